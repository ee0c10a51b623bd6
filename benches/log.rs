//! The commit log as datasets grow: the cost of one append (no coalescing,
//! fsync, checkpoints and auto-GC included), the bytes a commit writes
//! besides its data file, opening, and a one-row-group range read, at 100
//! and at 100,000 row groups, on the local file system; and the append on
//! the in-memory storage, which shows the format's own cost without the
//! file system's cost of a directory of 100,000 files. Ratios are printed
//! at the end (`RATIO ...` lines) and recorded in docs/PERFORMANCE.md.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::ticks;
use criterion::{BatchSize, Criterion, criterion_group};
use ordo::storage::{Durability, MemoryStorage};
use ordo::{
    Coalesce, OpenOptions, OrderedParquetDataset, OrderedValue, RowGroupTarget, WriteOptions,
};

/// Rows per row group (and per append).
const GROUP: usize = 100;

fn appends() -> WriteOptions {
    WriteOptions::new("ts").coalesce(Coalesce::Never)
}

/// A dataset of `groups` row groups of `GROUP` rows written in one commit
/// (no fsync, to keep the setup short), then checkpointed and appended to
/// 50 times (half a checkpoint interval: the records an open reads in the
/// steady state).
fn populated(dir: &Path, groups: usize) -> OrderedParquetDataset {
    let setup = OpenOptions::new().durability(Durability::Process);
    let ds = OrderedParquetDataset::open_with(dir, &setup).unwrap();
    fill(&ds, groups);
    // Measured with the defaults: fsync, auto-GC.
    OrderedParquetDataset::open(dir).unwrap()
}

fn fill(ds: &OrderedParquetDataset, groups: usize) {
    let one_commit = appends().row_group_target_size(RowGroupTarget::Rows(GROUP));
    ds.write(&ticks(0, groups * GROUP), &one_commit).unwrap();
    ds.checkpoint().unwrap();
    for i in 0..50 {
        ds.write(&ticks(((groups + i) * GROUP) as i64, GROUP), &appends())
            .unwrap();
    }
}

/// `ds.write` of successive `GROUP`-row appends, one per iteration.
fn bench_appends(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    ds: &OrderedParquetDataset,
) {
    let mut next = ds.num_rows() as i64;
    g.bench_function(name, |b| {
        b.iter_batched(
            || {
                next += GROUP as i64;
                ticks(next - GROUP as i64, GROUP)
            },
            |batch| ds.write(&batch, &appends()).unwrap(),
            BatchSize::PerIteration,
        )
    });
}

fn record_bytes(dir: &Path, version: u64) -> u64 {
    std::fs::metadata(dir.join(format!("_ordo/manifests/{version:020}.json")))
        .unwrap()
        .len()
}

fn log(c: &mut Criterion) {
    for (name, groups) in [("100", 100usize), ("100k", 100_000)] {
        let dir = tempfile::tempdir().unwrap();
        let ds = populated(dir.path(), groups);
        let mut g = c.benchmark_group("log");
        g.sample_size(100).measurement_time(Duration::from_secs(10));
        // Open and range reads first, at the size the setup made.
        g.bench_function(format!("open_{name}"), |b| {
            b.iter(|| OrderedParquetDataset::open(dir.path()).unwrap())
        });
        // One row group in the middle.
        let mid = (groups / 2 * GROUP) as i64 * 1_000_000;
        let (lo, hi) = (
            OrderedValue::from(mid),
            OrderedValue::from(mid + (GROUP as i64 - 1) * 1_000_000 + 1),
        );
        assert_eq!(
            ds.read_range(lo.clone(), hi.clone()).unwrap().num_rows(),
            GROUP
        );
        g.bench_function(format!("range_{name}"), |b| {
            b.iter(|| ds.read_range(lo.clone(), hi.clone()).unwrap())
        });
        bench_appends(&mut g, &format!("append_{name}"), &ds);
        let v = ds.version().unwrap();
        let bytes: u64 = (v - 9..=v).map(|v| record_bytes(dir.path(), v)).sum();
        println!(
            "BYTES per commit record at {name} row groups: {}",
            bytes / 10
        );
        let memory = OpenOptions::new().storage(Arc::new(MemoryStorage::new()));
        let in_memory = OrderedParquetDataset::open_with("d", &memory).unwrap();
        fill(&in_memory, groups);
        bench_appends(&mut g, &format!("append_{name}_memory"), &in_memory);
        g.finish();
    }
}

criterion_group!(benches, log);

fn main() {
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
    common::report_time_ratio(
        "append at 100k row groups / at 100",
        "log",
        "append_100k",
        "append_100",
        1.5,
    );
    common::report_time_ratio(
        "append at 100k row groups / at 100, in memory",
        "log",
        "append_100k_memory",
        "append_100_memory",
        1.5,
    );
    common::report_time_ratio(
        "range read at 100k row groups / at 100",
        "log",
        "range_100k",
        "range_100",
        1.5,
    );
    if let Some(ns) = common::mean_ns("log", "open_100k") {
        println!(
            "OPEN at 100k row groups: {:.1} ms (target < 50 ms)",
            ns / 1e6
        );
    }
}
