//! Polars DataFrames in and out of ordo.
//!
//! `cargo run --example polars --features polars` writes hourly sensor
//! readings as DataFrames into a store (`./ordo-polars`, recreated), with
//! late and corrected rows deduplicated by the write options, reads a day
//! back as a DataFrame, and walks two sensors in lock-step, one DataFrame
//! per sensor and window.

use ordo::polars::prelude::*;
use ordo::{DuplicatesOn, IntersectOptions, RowGroupTarget, Store, TopLevel, WriteOptions};

/// One dataset per site and sensor: `paris-7`, `lyon-3`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, TopLevel)]
struct Sensor {
    site: String,
    id: u32,
}

const HOUR_MS: i64 = 3_600_000;
const START_MS: i64 = 1_735_689_600_000; // 2025-01-01T00:00Z

/// `hours` hourly readings from hour `first`, as a DataFrame whose `ts`
/// column is a polars datetime in UTC.
fn readings(first: i64, hours: i64, offset: f64) -> PolarsResult<DataFrame> {
    let ts: Vec<i64> = (first..first + hours)
        .map(|h| START_MS + h * HOUR_MS)
        .collect();
    let celsius: Vec<f64> = (first..first + hours)
        .map(|h| offset + ((h % 24) as f64 - 12.0).abs() / 2.0)
        .collect();
    let mut df = df!("ts" => ts, "celsius" => celsius)?;
    let utc = DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
    df.apply("ts", |c| c.cast(&utc).expect("i64 to datetime"))?;
    Ok(df)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::path::Path::new("ordo-polars");
    let _ = std::fs::remove_dir_all(root);
    let store = Store::<Sensor>::open(root)?;
    let paris = Sensor {
        site: "paris".into(),
        id: 7,
    };
    let lyon = Sensor {
        site: "lyon".into(),
        id: 3,
    };

    // The same WriteOptions as for Arrow batches: one row group per day
    // (cut in the column's time zone), and one row per timestamp, the
    // latest written winning.
    let opts = WriteOptions::new("ts")
        .row_group_target_size("1D".parse::<RowGroupTarget>()?)
        .duplicates_on(DuplicatesOn::Columns(vec![]));
    store.get(&paris)?.write_df(&readings(0, 72, 5.0)?, &opts)?;
    store.get(&lyon)?.write_df(&readings(6, 60, 8.0)?, &opts)?;
    // A correction for paris' hours 10..14 replaces the rows written before.
    store
        .get(&paris)?
        .write_df(&readings(10, 4, 20.0)?, &opts)?;
    let ds = store.get(&paris)?;
    println!(
        "paris: {} rows in {} row groups",
        ds.num_rows(),
        ds.num_row_groups()
    );

    // A range read into a DataFrame: the second day (bounds are chrono
    // instants, converted to the column's unit).
    let day = |d: u32| ordo::chrono::NaiveDate::from_ymd_opt(2025, 1, d).unwrap();
    let second_day = ds.read_range_df(day(2), day(3))?;
    println!("paris on 2025-01-02:\n{}", second_day.head(Some(3)));
    assert_eq!(second_day.height(), 24);

    // Lock-step across sensors: each step holds, per sensor, the rows of
    // one window, here as DataFrames.
    println!("window start (ms)    sensor      rows   mean °C");
    for step in store.iter_intersections(&[paris, lyon], IntersectOptions::new())? {
        let step = step?;
        for (sensor, df) in step.dataframes()? {
            let mean = df.column("celsius")?.as_materialized_series().mean();
            println!(
                "{:<20} {:<11} {:>4}   {:.2}",
                step.start().to_string(),
                sensor.to_string(),
                df.height(),
                mean.unwrap_or(f64::NAN)
            );
        }
    }
    Ok(())
}
