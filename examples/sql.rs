//! SQL over a store of sensor series (feature `sql`): the `datasets`
//! catalog with the key's fields as columns, hourly bars of one series
//! for one day, and two series joined on time buckets.
//!
//! `cargo run --release --example sql --features sql [DIR]`

use std::sync::Arc;

use ordo::arrow::array::{Float64Array, RecordBatch, TimestampMillisecondArray};
use ordo::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use ordo::arrow::util::pretty::pretty_format_batches;
use ordo::sql::{Sql, StoreSchema};
use ordo::{RowGroupTarget, Store, SubLevel, TopLevel, WriteOptions};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, SubLevel)]
struct Sampling {
    every: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
struct Sensor {
    quantity: String,
    city: String,
    sampling: Sampling,
}

/// Three days of one reading every 10 minutes, from 2024-03-01 UTC.
fn readings(base: f64, swing: f64) -> RecordBatch {
    let start_ms = 1_709_251_200_000i64;
    let n = 3 * 24 * 6;
    let ts = (0..n).map(|i| start_ms + i * 600_000);
    let value = (0..n).map(|i| base + swing * (i as f64 * std::f64::consts::PI / 72.0).sin());
    let schema = Arc::new(Schema::new(vec![
        Field::new(
            "ts",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            false,
        ),
        Field::new("value", DataType::Float64, false),
    ]));
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(TimestampMillisecondArray::from_iter_values(ts).with_timezone("UTC")),
            Arc::new(Float64Array::from_iter_values(value)),
        ],
    )
    .expect("columns match the schema")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "ordo-sql".into());
    let _ = std::fs::remove_dir_all(&dir);
    let store = Store::<Sensor>::open(&dir)?;
    let every = |e: &str| Sampling { every: e.into() };
    let opts = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(144));
    for (quantity, city, base, swing) in [
        ("temperature", "berlin", 8.0, 4.0),
        ("temperature", "paris", 11.0, 5.0),
        ("humidity", "berlin", 70.0, 15.0),
    ] {
        let key = Sensor {
            quantity: quantity.into(),
            city: city.into(),
            sampling: every("10min"),
        };
        store.get(&key)?.write(&readings(base, swing), &opts)?;
    }

    let sql = Sql::with_schema(StoreSchema::of_store(&store));
    let show = |title: &str, query: &str| -> Result<(), Box<dyn std::error::Error>> {
        println!("{title}\n{query}");
        println!("{}\n", pretty_format_batches(&sql.query(query)?)?);
        Ok(())
    };
    show(
        "The catalog: one row per dataset, the key's fields as columns.",
        "SELECT quantity, city, every, num_rows, num_row_groups, first, last FROM datasets ORDER BY path",
    )?;
    show(
        "Hourly bars of Berlin's temperature on the morning of March 2 (reads one row group):",
        r#"SELECT date_trunc('hour', ts) AS hour, min(value) AS low, max(value) AS high,
       first_value(value ORDER BY ts) AS open, last_value(value ORDER BY ts) AS close
FROM "temperature-berlin/10min"
WHERE ts >= '2024-03-02T06:00:00Z' AND ts < '2024-03-02T12:00:00Z'
GROUP BY hour ORDER BY hour"#,
    )?;
    show(
        "Berlin against Paris, daily means joined on the day:",
        r#"SELECT b.day, round(b.mean, 2) AS berlin, round(p.mean, 2) AS paris
FROM (SELECT date_trunc('day', ts) AS day, avg(value) AS mean FROM "temperature-berlin/10min" GROUP BY 1) b
JOIN (SELECT date_trunc('day', ts) AS day, avg(value) AS mean FROM "temperature-paris/10min" GROUP BY 1) p
  ON b.day = p.day
ORDER BY b.day"#,
    )?;
    Ok(())
}
