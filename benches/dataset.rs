//! Dataset benches, each beside its raw arrow-rs baseline in the same run:
//! 200 appends of 10,000 ticks, full and 1% range reads of 2M rows, and
//! the time of one append at 1M and at 20M rows. Ratios are printed at
//! the end (`RATIO ...` lines) and recorded in docs/PERFORMANCE.md.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{raw_read, raw_write, report_ratio, ticks};
use criterion::{BatchSize, Criterion, criterion_group};
use ordo::arrow::array::{AsArray, RecordBatch};
use ordo::arrow::datatypes::TimestampNanosecondType;
use ordo::chrono::TimeZone;
use ordo::storage::Durability;
use ordo::{Coalesce, OpenOptions, OrderedParquetDataset, OrderedValue, WriteOptions};

const APPENDS: usize = 200;
const APPEND_ROWS: usize = 10_000;

fn opts() -> WriteOptions {
    WriteOptions::new("ts")
}

fn open(dir: &std::path::Path, durability: Durability) -> OrderedParquetDataset {
    OrderedParquetDataset::open_with(dir, &OpenOptions::new().durability(durability)).unwrap()
}

fn appends(c: &mut Criterion) {
    let batches: Vec<RecordBatch> = (0..APPENDS)
        .map(|i| ticks((i * APPEND_ROWS) as i64, APPEND_ROWS))
        .collect();
    let mut g = c.benchmark_group("appends");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("raw", |b| {
        b.iter_batched(
            || tempfile::tempdir().unwrap(),
            |dir| {
                for (i, batch) in batches.iter().enumerate() {
                    raw_write(&dir.path().join(format!("{i}.parquet")), batch);
                }
                dir
            },
            BatchSize::PerIteration,
        )
    });
    let cases = [
        ("ordo_sync", Durability::Sync, Coalesce::Auto),
        ("ordo_process", Durability::Process, Coalesce::Auto),
        ("ordo_never_sync", Durability::Sync, Coalesce::Never),
        ("ordo_never_process", Durability::Process, Coalesce::Never),
    ];
    for (name, durability, coalesce) in cases {
        let o = opts().coalesce(coalesce);
        g.bench_function(name, |b| {
            b.iter_batched(
                || tempfile::tempdir().unwrap(),
                |dir| {
                    let ds = open(dir.path(), durability);
                    for batch in &batches {
                        ds.write(batch, &o).unwrap();
                    }
                    dir
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

/// A dataset of `rows` ticks in row groups of the default target.
fn populated(rows: usize) -> (tempfile::TempDir, OrderedParquetDataset) {
    let dir = tempfile::tempdir().unwrap();
    let ds = open(dir.path(), Durability::Process);
    let chunk = 2_000_000;
    for start in (0..rows).step_by(chunk) {
        ds.write(&ticks(start as i64, chunk.min(rows - start)), &opts())
            .unwrap();
    }
    (dir, ds)
}

fn reads(c: &mut Criterion) {
    let (dir, ds) = populated(2_000_000);
    let files: Vec<PathBuf> = ds
        .row_group_stats()
        .iter()
        .map(|s| dir.path().join(&s.file))
        .collect();
    let mut g = c.benchmark_group("read");
    g.sample_size(20);
    g.bench_function("raw_full", |b| b.iter(|| raw_read(&files)));
    g.bench_function("ordo_full", |b| b.iter(|| ds.read().unwrap()));
    g.bench_function("ordo_full_batches", |b| {
        b.iter(|| ds.read_batches(&ordo::ReadOptions::new()).unwrap())
    });
    // 1% of the rows, in the middle, not aligned on row groups.
    let (lo, hi) = (1_003_000i64 * 1_000_000, 1_023_000i64 * 1_000_000);
    let overlapping: Vec<PathBuf> = ds
        .row_group_stats()
        .iter()
        .filter(|s| {
            // Statistics are in the column's type: instants.
            let at = |ns: i64| OrderedValue::from(ordo::chrono::Utc.timestamp_nanos(ns));
            s.max >= at(lo) && s.min < at(hi)
        })
        .map(|s| dir.path().join(&s.file))
        .collect();
    g.bench_function("raw_range", |b| {
        b.iter(|| {
            // The raw reader decodes the overlapping files and filters.
            let mut n = 0;
            for batch in raw_read(&overlapping) {
                let ts = batch.column(0).as_primitive::<TimestampNanosecondType>();
                n += ts.values().iter().filter(|&&t| t >= lo && t < hi).count();
            }
            n
        })
    });
    g.bench_function("ordo_range", |b| b.iter(|| ds.read_range(lo, hi).unwrap()));
    g.finish();
    assert_eq!(ds.read_range(lo, hi).unwrap().num_rows(), 20_000);
}

fn append_at_size(c: &mut Criterion) {
    let mut g = c.benchmark_group("append_at");
    g.sample_size(30);
    for (name, rows) in [("1M", 1_000_000usize), ("20M", 20_000_000)] {
        let (_dir, ds) = populated(rows);
        let mut next = rows as i64;
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    next += APPEND_ROWS as i64;
                    ticks(next - APPEND_ROWS as i64, APPEND_ROWS)
                },
                |batch| ds.write(&batch, &opts()).unwrap(),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, appends, reads, append_at_size);

fn main() {
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
    for (what, bench) in [
        ("auto coalescing, fsync", "ordo_sync"),
        ("auto coalescing, no fsync", "ordo_process"),
        ("no coalescing, fsync", "ordo_never_sync"),
        ("no coalescing, no fsync", "ordo_never_process"),
    ] {
        report_ratio(
            &format!("200 appends x 10k rows, {what}"),
            "appends",
            bench,
            "raw",
            0.5,
        );
    }
    report_ratio(
        "full read 2M rows, one batch",
        "read",
        "ordo_full",
        "raw_full",
        0.8,
    );
    report_ratio(
        "full read 2M rows, batch per row group",
        "read",
        "ordo_full_batches",
        "raw_full",
        0.8,
    );
    report_ratio("1% range read", "read", "ordo_range", "raw_range", 0.8);
    common::report_time_ratio(
        "append at 20M rows / at 1M rows",
        "append_at",
        "20M",
        "1M",
        1.3,
    );
}
