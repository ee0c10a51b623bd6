//! Dataset benches, each beside its raw arrow-rs baseline in the same run:
//! 200 appends of 10,000 ticks, full and 1% range reads of 2M rows, and
//! the time of one append at 1M and at 20M rows; then the peer, ArcticDB
//! on its local LMDB backend (`benches/peers/arcticdb_local.py`), on the
//! same workload: the appends, a full read in a fresh process and a
//! 10,000-row overwrite in the middle of the 2M rows. Ratios are printed
//! at the end (`RATIO ...` lines) and recorded in docs/PERFORMANCE.md.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{median, raw_read, raw_write, report_ratio, ticks};
use criterion::{BatchSize, Criterion, criterion_group};
use ordo::arrow::array::{AsArray, Int64Array, RecordBatch};
use ordo::arrow::datatypes::{Int64Type, TimestampNanosecondType};
use ordo::chrono::TimeZone;
use ordo::storage::Durability;
use ordo::{
    Coalesce, DuplicatesOn, OpenOptions, OrderedParquetDataset, OrderedValue, WriteOptions,
};

const APPENDS: usize = 200;
const APPEND_ROWS: usize = 10_000;
/// The child process timing a full read reads the dataset's path from this.
const READ_CHILD_ENV: &str = "ORDO_BENCH_READ_CHILD";
/// Rounds of the peer's workload (and of ordo's fresh-process reads).
const PEER_ROUNDS: usize = 5;

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

/// The 10,000 ticks in the middle of the appended span (from the middle
/// of one append to the middle of the next), with volumes raised by
/// `bump`: new values each time, or the write would change nothing (and
/// commit nothing).
fn overwrite_batch(bump: i64) -> RecordBatch {
    let from = (APPENDS / 2 * APPEND_ROWS + APPEND_ROWS / 2) as i64;
    let batch = ticks(from, APPEND_ROWS);
    let volume = batch.column(4).as_primitive::<Int64Type>();
    let bumped: Int64Array = volume.iter().map(|v| v.map(|v| v + bump)).collect();
    let mut columns = batch.columns().to_vec();
    columns[4] = Arc::new(bumped);
    RecordBatch::try_new(batch.schema(), columns).unwrap()
}

/// The peer's workload on ordo: the 200 appends (default options), then
/// 10,000-row overwrites in the middle (last wins on `ts`), each with new
/// values.
fn overwrite(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let ds = open(dir.path(), Durability::Sync);
    for i in 0..APPENDS {
        ds.write(&ticks((i * APPEND_ROWS) as i64, APPEND_ROWS), &opts())
            .unwrap();
    }
    let o = opts().duplicates_on(DuplicatesOn::Columns(vec!["ts".into()]));
    let mut bump = 0;
    let mut g = c.benchmark_group("peer");
    g.sample_size(20);
    g.bench_function("ordo_overwrite", |b| {
        b.iter_batched(
            || {
                bump += 1;
                overwrite_batch(bump)
            },
            |batch| {
                let report = ds.write(&batch, &o).unwrap();
                assert!(report.committed && report.rows_rewritten > 0);
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
    assert_eq!(ds.num_rows(), (APPENDS * APPEND_ROWS) as u64);
}

/// In the child: opens the dataset at `path` and prints the milliseconds
/// of one full read (the open included).
fn read_child(path: &Path) {
    let start = Instant::now();
    let ds = OrderedParquetDataset::open(path).unwrap();
    let batch = ds.read().unwrap();
    let ms = start.elapsed().as_secs_f64() * 1e3;
    assert_eq!(batch.num_rows(), APPENDS * APPEND_ROWS);
    println!("READ {ms}");
}

/// Milliseconds of a full read of the 200 appends in fresh processes,
/// `PEER_ROUNDS` of them.
fn fresh_reads() -> Vec<f64> {
    let dir = tempfile::tempdir().unwrap();
    let ds = open(dir.path(), Durability::Process);
    for i in 0..APPENDS {
        ds.write(&ticks((i * APPEND_ROWS) as i64, APPEND_ROWS), &opts())
            .unwrap();
    }
    (0..PEER_ROUNDS)
        .map(|_| {
            let out = Command::new(std::env::current_exe().unwrap())
                .env(READ_CHILD_ENV, dir.path())
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            text.lines()
                .find_map(|l| l.strip_prefix("READ "))
                .unwrap_or_else(|| {
                    panic!(
                        "the read child failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    )
                })
                .parse()
                .unwrap()
        })
        .collect()
}

/// The peer's timings (milliseconds per round) of the same workload.
fn arcticdb() -> Result<serde_json::Value, String> {
    let python = common::bench_venv()?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers/arcticdb_local.py");
    let out = Command::new(python)
        .arg(script)
        .arg(dir.path().join("lmdb"))
        .args([APPENDS, APPEND_ROWS, PEER_ROUNDS].map(|n| n.to_string()))
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
}

/// Prints the ratios to ArcticDB (its median time over ordo's).
fn report_peer() {
    let ordo_reads = fresh_reads();
    let peer = match arcticdb() {
        Ok(p) => p,
        Err(e) => {
            println!("RATIO vs ArcticDB: skipped: {e}");
            return;
        }
    };
    let peer_ms = |what: &str| {
        median(
            peer[what]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_f64()).collect())
                .unwrap_or_default(),
        )
    };
    let line = |what: &str, ordo: Option<f64>, peer: f64, target: f64| match ordo {
        Some(o) => println!(
            "RATIO vs ArcticDB, {what}: ordo {o:.2} ms, ArcticDB {peer:.2} ms, throughput ratio {:.2}x (target >= {target}x)",
            peer / o
        ),
        None => println!("RATIO vs ArcticDB, {what}: ordo's estimate missing (filtered out?)"),
    };
    let ms = |group, bench| common::mean_ns(group, bench).map(|ns| ns / 1e6);
    line(
        "200 appends x 10k rows (defaults, fsync)",
        ms("appends", "ordo_sync"),
        peer_ms("appends"),
        1.5,
    );
    line(
        "full read of 2M rows in a fresh process (median)",
        Some(median(ordo_reads)),
        peer_ms("read"),
        1.2,
    );
    line(
        "10k-row overwrite in the middle of 2M rows",
        ms("peer", "ordo_overwrite"),
        peer_ms("update"),
        1.0,
    );
}

criterion_group!(benches, appends, reads, overwrite, append_at_size);

fn main() {
    if let Some(path) = std::env::var_os(READ_CHILD_ENV) {
        read_child(Path::new(&path));
        return;
    }
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
    report_peer();
}
