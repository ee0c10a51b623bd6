//! An ingestion loop: small batches of ticks appended as they arrive,
//! some redelivered (deduplicated), one late (merged in place).
//!
//! `cargo run --example ingest_loop -- [DIR]` writes the dataset `DIR/ticks`
//! (default `./ordo-ingest`, recreated), collects old versions, and writes
//! `DIR/expected.json` (row count, sums) for the Python interop check,
//! which reads the same files with pyarrow, polars and DuckDB.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ordo::arrow::array::{Float64Array, Int64Array, RecordBatch, TimestampNanosecondArray};
use ordo::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use ordo::{DuplicatesOn, OrderedParquetDataset, Retention, RowGroupTarget, WriteOptions};

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("ts", DataType::Timestamp(TimeUnit::Nanosecond, None), false),
        Field::new("price", DataType::Float64, false),
        Field::new("volume", DataType::Int64, false),
    ]))
}

/// Ticks `from..to` (one per millisecond) of a made-up instrument.
fn ticks(from: i64, to: i64) -> RecordBatch {
    let ts: Vec<i64> = (from..to).map(|i| i * 1_000_000).collect();
    let price: Vec<f64> = (from..to).map(|i| 100.0 + (i % 97) as f64 * 0.01).collect();
    let volume: Vec<i64> = (from..to).map(|i| i % 13 + 1).collect();
    RecordBatch::try_new(
        schema(),
        vec![
            Arc::new(TimestampNanosecondArray::from(ts)),
            Arc::new(Float64Array::from(price)),
            Arc::new(Int64Array::from(volume)),
        ],
    )
    .expect("valid batch")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "ordo-ingest".into()),
    );
    let _ = std::fs::remove_dir_all(&dir);
    let ds = OrderedParquetDataset::open(dir.join("ticks"))?;
    // Ticks are unique per timestamp: a redelivered batch replaces itself.
    let opts = WriteOptions::new("ts")
        .row_group_target_size(RowGroupTarget::Rows(20_000))
        .duplicates_on(DuplicatesOn::Columns(vec![]));

    let started = Instant::now();
    let batch = 1_000;
    let mut late = None;
    for i in 0..100i64 {
        let (from, to) = (i * batch, (i + 1) * batch);
        if i == 42 {
            late = Some((from, to)); // arrives later
            continue;
        }
        ds.write(&ticks(from, to), &opts)?;
        if i % 10 == 0 {
            ds.write(&ticks(from, to), &opts)?; // redelivered
        }
    }
    let (from, to) = late.expect("held back");
    let report = ds.write(&ticks(from, to), &opts)?;
    println!(
        "{} writes in {:.2?}: {} rows in {} row groups, version {}; the late batch rewrote {} row group(s)",
        100 + 10,
        started.elapsed(),
        ds.num_rows(),
        ds.num_row_groups(),
        report.version,
        report.row_groups_rewritten,
    );

    // Keep only the latest version's files, so tools that glob the
    // directory (instead of reading the manifest) see exactly its rows.
    let gc = ds.gc(&Retention::default()
        .keep_versions(1)
        .keep_younger_than(Duration::ZERO))?;
    println!(
        "gc: {} versions and {} files deleted",
        gc.versions_deleted.len(),
        gc.files_deleted.len()
    );
    assert!(ds.verify()?.is_empty());

    let all = ds.read()?;
    let volume: i64 = ordo::arrow::compute::sum(
        all.column(2)
            .as_any()
            .downcast_ref::<Int64Array>()
            .expect("volume"),
    )
    .unwrap_or(0);
    let expected = format!(
        "{{\"rows\": {}, \"volume_sum\": {volume}, \"first_ts\": 0, \"last_ts\": {}}}",
        all.num_rows(),
        (100 * batch - 1) * 1_000_000
    );
    std::fs::write(dir.join("expected.json"), expected)?;
    println!("wrote {}", dir.join("expected.json").display());
    Ok(())
}
