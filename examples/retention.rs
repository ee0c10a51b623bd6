//! How much disk an ingestion loop uses under a retention rule.
//!
//! `cargo run --release --example retention -- [DIR [PACE_MS]]` runs the
//! same loop of 1,000 appends of 100 ticks, one every `PACE_MS`
//! milliseconds (default 0: as fast as it goes) twice, into `DIR/default` with the default
//! [`Retention`] (the last 5 versions and those replaced within 60 s) and
//! into `DIR/keep-15-min` with a rule keeping the last 10 versions and
//! every version younger than 15 minutes, and prints the bytes each leaves
//! on disk next to the bytes the latest version needs. The loop's
//! automatic garbage collection (after every 8th commit) is all that
//! deletes anything.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ordo::arrow::array::{Float64Array, RecordBatch, TimestampNanosecondArray};
use ordo::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use ordo::storage::Durability;
use ordo::{OpenOptions, OrderedParquetDataset, Retention, WriteOptions};

const COMMITS: i64 = 1_000;
const ROWS: i64 = 100;

fn ticks(from: i64) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("ts", DataType::Timestamp(TimeUnit::Nanosecond, None), false),
        Field::new("price", DataType::Float64, false),
    ]));
    let ts: Vec<i64> = (from..from + ROWS).map(|i| i * 1_000_000).collect();
    let price: Vec<f64> = (from..from + ROWS).map(|i| (i % 89) as f64).collect();
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(TimestampNanosecondArray::from(ts)),
            Arc::new(Float64Array::from(price)),
        ],
    )
    .expect("valid batch")
}

/// Bytes of every file under `dir`.
fn bytes_under(dir: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            bytes_under(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

/// Runs the loop into `dir`; returns (bytes on disk, live bytes, versions kept).
fn run(
    dir: &Path,
    retention: Retention,
    pace: Duration,
) -> Result<(u64, u64, usize), Box<dyn std::error::Error>> {
    let _ = std::fs::remove_dir_all(dir);
    // fsync off: the space used does not depend on it.
    let options = OpenOptions::new()
        .durability(Durability::Process)
        .retention(retention);
    let ds = OrderedParquetDataset::open_with(dir, &options)?;
    let opts = WriteOptions::new("ts");
    for i in 0..COMMITS {
        ds.write(&ticks(i * ROWS), &opts)?;
        std::thread::sleep(pace);
    }
    let live: u64 = ds.row_group_stats().iter().map(|g| g.size_bytes).sum();
    Ok((bytes_under(dir)?, live, ds.versions()?.len()))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "ordo-retention".into()),
    );
    let pace = Duration::from_millis(match std::env::args().nth(2) {
        Some(ms) => ms.parse()?,
        None => 0,
    });
    let rules = [
        ("default", Retention::default()),
        (
            "keep-15-min",
            Retention::default()
                .keep_versions(10)
                .keep_younger_than(Duration::from_secs(15 * 60)),
        ),
    ];
    for (name, rule) in rules {
        let started = Instant::now();
        let (disk, live, versions) = run(&root.join(name), rule, pace)?;
        println!(
            "{name:>12}: {COMMITS} appends of {ROWS} rows in {:.2?}: {:.1} KiB on disk for {:.1} KiB of live row groups, {versions} versions kept",
            started.elapsed(),
            disk as f64 / 1024.0,
            live as f64 / 1024.0,
        );
    }
    Ok(())
}
