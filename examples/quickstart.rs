//! The main job: `cargo run --release --example quickstart`.
//!
//! Builds a store under `./ordo-quickstart` (recreated on each run) and
//! walks through what ordo does: keys to directories, an ingestion loop of
//! small appends with duplicates and late out-of-order batches, the row
//! groups that result, a streaming cross-city analysis with
//! `iter_intersections`, and a field array of images beside a dataset.

use std::sync::Arc;
use std::time::Instant;

use ordo::arrow::array::{AsArray, Float64Array, RecordBatch, TimestampSecondArray};
use ordo::arrow::datatypes::{DataType, Field, Float64Type, Schema, SchemaRef, TimeUnit};
use ordo::fields::{ElementType, FieldArray, FieldSpec};
use ordo::ndarray::{Array as NdArray, IxDyn};
use ordo::{
    DuplicatesOn, IntersectOptions, RowGroupTarget, Store, SubLevel, TopLevel, WriteOptions,
};

/// How often a quantity is sampled: the second directory level.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, SubLevel)]
struct Sampling {
    frequency: String,
}

/// One dataset per quantity, city and sampling: `temperature-berlin/10min`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, TopLevel)]
struct Measure {
    quantity: String,
    city: String,
    sampling: Sampling,
}

const CITIES: [&str; 3] = ["berlin", "oslo", "paris"];
const STEP: i64 = 600; // one reading every 10 minutes
const DAYS: i64 = 10;
/// The first reading: 2024-03-01T00:00:00Z, in seconds since the epoch.
const T0: i64 = 1_709_251_200;

fn key(city: &str) -> Measure {
    Measure {
        quantity: "temperature".into(),
        city: city.into(),
        sampling: Sampling {
            frequency: "10min".into(),
        },
    }
}

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new(
            "ts",
            DataType::Timestamp(TimeUnit::Second, Some("UTC".into())),
            false,
        ),
        Field::new("celsius", DataType::Float64, false),
    ]))
}

/// A deterministic temperature: a daily cycle, an offset per city.
fn reading(city: usize, t: i64) -> f64 {
    let day = (t % 86_400) as f64 / 86_400.0 * std::f64::consts::TAU;
    5.0 + 4.0 * city as f64 - 6.0 * day.cos() + ((t / STEP) % 7) as f64 * 0.1
}

fn batch(city: usize, times: &[i64]) -> RecordBatch {
    RecordBatch::try_new(
        schema(),
        vec![
            Arc::new(TimestampSecondArray::from(times.to_vec()).with_timezone("UTC")),
            Arc::new(Float64Array::from_iter_values(
                times.iter().map(|&t| reading(city, t)),
            )),
        ],
    )
    .expect("valid batch")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::path::Path::new("ordo-quickstart");
    let _ = std::fs::remove_dir_all(root);
    let store = Store::<Measure>::open(root)?;
    println!(
        "ordo quickstart: a store of temperature datasets under {}/",
        root.display()
    );
    for city in CITIES {
        println!("  key {} -> {}", key(city), key(city).to_path()?.display());
    }

    // 1. Ingestion loop: hourly batches of 6 readings per city, each sent
    //    twice (at-least-once delivery), and every 50th batch held back and
    //    delivered late, after later ones. Dedup on the timestamp makes the
    //    redelivered rows replace the first copies.
    let started = Instant::now();
    let opts = WriteOptions::new("ts")
        .row_group_target_size("1D".parse::<RowGroupTarget>()?)
        .duplicates_on(DuplicatesOn::Columns(vec![]))
        .key_value_metadata([("unit", Some("celsius"))]);
    let (mut writes, mut rows) = (0, 0);
    let hours = DAYS * 24;
    for (c, city) in CITIES.iter().enumerate() {
        let ds = store.get(&key(city))?;
        let mut late = Vec::new();
        for h in 0..hours {
            let times: Vec<i64> = (0..6).map(|i| T0 + h * 3600 + i * STEP).collect();
            if h % 50 == 7 {
                late.push(times);
                continue;
            }
            for _delivery in 0..2 {
                ds.write(&batch(c, &times), &opts)?;
                writes += 1;
                rows += times.len();
            }
            if h % 50 == 20 {
                for times in late.drain(..) {
                    ds.write(&batch(c, &times), &opts)?; // out of order: merged
                    writes += 1;
                    rows += times.len();
                }
            }
        }
        for times in late.drain(..) {
            ds.write(&batch(c, &times), &opts)?;
            writes += 1;
            rows += times.len();
        }
    }
    store.refresh()?;
    let ingest = started.elapsed();
    println!(
        "\n1. ingested {writes} small writes ({rows} rows, half of them duplicates, some late) into {} datasets in {:.2?}",
        store.len(),
        ingest
    );

    // 2. What that left on disk: one row group per day, duplicates gone.
    let berlin = store.get(&key("berlin"))?;
    let stats = berlin.row_group_stats();
    println!(
        "2. {}: {} rows in {} row groups (target: 1 day), version {}, unit = {:?}",
        key("berlin"),
        berlin.num_rows(),
        stats.len(),
        berlin.version().unwrap_or(0),
        berlin.key_value_metadata().get("unit"),
    );
    for g in stats.iter().take(2) {
        println!("     {g}"); // file: rows, first .. last ts, in the column's zone
    }
    assert_eq!(berlin.num_rows() as i64, hours * 6, "every reading once");
    assert!(berlin.verify()?.is_empty());

    // 3. Streaming analysis across cities: for each window of the union of
    //    row-group starts, the spread between the warmest and the coldest
    //    city's mean; n_prev gives each series a warm-up before `start`.
    let started = Instant::now();
    let keys: Vec<Measure> = CITIES.iter().map(|c| key(c)).collect();
    let day = |d: u32| ordo::chrono::NaiveDate::from_ymd_opt(2024, 3, d).expect("a March day");
    let options = IntersectOptions::new()
        .start(day(3))
        .end_excl(day(9))
        .n_prev(6);
    let (mut steps, mut max_spread) = (0, f64::MIN);
    for step in store.iter_intersections(&keys, options)? {
        let step = step?;
        let means: Vec<f64> = step
            .iter()
            .map(|(_, b)| {
                let c = b.column(1).as_primitive::<Float64Type>();
                c.values().iter().sum::<f64>() / c.len() as f64
            })
            .collect();
        if means.len() == CITIES.len() {
            let spread = means.iter().cloned().fold(f64::MIN, f64::max)
                - means.iter().cloned().fold(f64::MAX, f64::min);
            max_spread = max_spread.max(spread);
        }
        steps += 1;
    }
    println!(
        "3. iter_intersections over {} cities, 2024-03-03 to 2024-03-09: {steps} windows, largest spread of daily means {max_spread:.2} °C, in {:.2?}",
        keys.len(),
        started.elapsed()
    );

    // 4. A field array beside the Berlin dataset: one 32x32 "satellite"
    //    image per hour, read back lazily by time.
    let started = Instant::now();
    let dir = root.join(key("berlin").to_path()?);
    let spec = FieldSpec::new(ElementType::F32, [32, 32])
        .time_unit(TimeUnit::Second, Some("UTC"))
        .attribute("units", "celsius")
        .attribute("long_name", "surface temperature");
    let field = FieldArray::create(&dir, "surface", &spec)?;
    for h in 0..48i64 {
        let img = NdArray::from_shape_fn(IxDyn(&[1, 32, 32]), |i| {
            reading(0, h * 3600) as f32 + (i[1] + i[2]) as f32 * 0.01
        });
        field.append(&[T0 + h * 3600], img.view())?;
    }
    let (times, imgs) = field.frames_between::<f32>(T0 + 10 * 3600, T0 + 13 * 3600)?;
    println!(
        "4. field array 'surface': {} frames of 32x32; 3 hours read back lazily: {} frames, shape {:?}, in {:.2?}",
        field.len()?,
        times.len(),
        imgs.shape(),
        started.elapsed()
    );
    println!(
        "\ndone: inspect {}/ with pyarrow, polars, DuckDB (Parquet) or zarr/xarray (_fields)",
        root.display()
    );
    Ok(())
}
