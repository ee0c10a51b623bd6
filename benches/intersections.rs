//! iter_intersections over 10 datasets of 2M ticks each, whose row-group
//! starts interleave (dataset i is shifted by i/10 of a row group, so each
//! step loads one new row group), beside a raw arrow-rs reader decoding
//! the same files one after the other in the same process. Prints a
//! `RATIO ...` line, then the peak memory of one iteration measured in a
//! fresh child process against the size of one decoded row group per
//! dataset.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{report_ratio, ticks};
use criterion::{Criterion, criterion_group};
use ordo::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use ordo::storage::Durability;
use ordo::{
    IntersectOptions, OpenOptions, OrderedParquetDataset, ReadOptions, Store, TopLevel,
    WriteOptions,
};

const DATASETS: usize = 10;
const ROWS: usize = 2_000_000;
/// The child process measuring memory reads the store root from this.
const CHILD_ENV: &str = "ORDO_BENCH_INTERSECT_RSS_ROOT";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, TopLevel)]
struct Ticker {
    name: String,
}

fn keys() -> Vec<Ticker> {
    (0..DATASETS)
        .map(|i| Ticker {
            name: format!("t{i}"),
        })
        .collect()
}

/// Writes the datasets (default row-group target) without fsync.
fn populate(root: &Path) {
    let shift = ordo::DEFAULT_ROW_GROUP_ROWS / DATASETS;
    for (i, key) in keys().iter().enumerate() {
        let dir = root.join(key.to_path().unwrap());
        let fast = OpenOptions::new().durability(Durability::Process);
        let ds = OrderedParquetDataset::open_with(dir, &fast).unwrap();
        ds.write(&ticks((i * shift) as i64, ROWS), &WriteOptions::new("ts"))
            .unwrap();
    }
}

/// Every step of the intersection of all datasets; returns the row count.
fn ordo_iterate(store: &Store<Ticker>, keys: &[Ticker]) -> usize {
    let mut rows = 0;
    for step in store
        .iter_intersections(keys, IntersectOptions::new())
        .unwrap()
    {
        rows += step
            .unwrap()
            .iter()
            .map(|(_, b)| b.num_rows())
            .sum::<usize>();
    }
    rows
}

/// The raw baseline: arrow-rs' reader over each file in turn, streaming.
fn raw_iterate(files: &[PathBuf]) -> usize {
    let mut rows = 0;
    for f in files {
        let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(f).unwrap())
            .unwrap()
            .with_batch_size(65_536)
            .build()
            .unwrap();
        for b in reader {
            rows += b.unwrap().num_rows();
        }
    }
    rows
}

fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// In the child: one full iteration, then the resident-set growth.
fn child(root: &Path) {
    let store = Store::<Ticker>::open(root).unwrap();
    let keys = keys();
    let before = status_kb("VmRSS:");
    let rows = ordo_iterate(&store, &keys);
    assert_eq!(rows, DATASETS * ROWS);
    let peak = status_kb("VmHWM:");
    println!("CHILD {before} {peak}");
}

/// The decoded size of the largest row group of each dataset, summed.
fn one_row_group_per_dataset(store: &Store<Ticker>) -> usize {
    let mut total = 0;
    for key in keys() {
        let ds = store.get(&key).unwrap();
        let stats = ds.row_group_stats();
        let i = (0..stats.len()).max_by_key(|&i| stats[i].num_rows).unwrap();
        let mut opts = ReadOptions::new().start(stats[i].min.clone());
        if let Some(next) = stats.get(i + 1) {
            opts = opts.end_excl(next.min.clone());
        }
        total += ds.read_with(&opts).unwrap().get_array_memory_size();
    }
    total
}

fn report_memory(root: &Path, store: &Store<Ticker>) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env(CHILD_ENV, root)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let Some((before, peak)) = text.lines().find_map(|l| {
        let mut it = l.strip_prefix("CHILD ")?.split(' ');
        Some((
            it.next()?.parse::<u64>().ok()?,
            it.next()?.parse::<u64>().ok()?,
        ))
    }) else {
        println!(
            "MEMORY child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    };
    let groups = one_row_group_per_dataset(store) as f64 / 1e6;
    let growth = (peak.saturating_sub(before)) as f64 / 1e3;
    println!(
        "MEMORY iter_intersections over {DATASETS} x {ROWS} rows: RSS {:.1} MB before, peak {:.1} MB, growth {growth:.1} MB; one decoded row group per dataset: {groups:.1} MB (growth / that = {:.2})",
        before as f64 / 1e3,
        peak as f64 / 1e3,
        growth / groups
    );
}

fn intersections(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    populate(dir.path());
    let store = Store::<Ticker>::open(dir.path()).unwrap();
    let keys = keys();
    assert_eq!(store.keys(), keys);
    let files: Vec<PathBuf> = keys
        .iter()
        .flat_map(|k| {
            let base = dir.path().join(k.to_path().unwrap());
            let ds = store.get(k).unwrap();
            ds.row_group_stats()
                .into_iter()
                .map(move |s| base.join(s.file))
        })
        .collect();
    assert_eq!(raw_iterate(&files), DATASETS * ROWS);
    assert_eq!(ordo_iterate(&store, &keys), DATASETS * ROWS);

    let mut g = c.benchmark_group("intersections");
    g.sample_size(10).measurement_time(Duration::from_secs(15));
    g.bench_function("raw", |b| b.iter(|| raw_iterate(&files)));
    g.bench_function("ordo", |b| b.iter(|| ordo_iterate(&store, &keys)));
    g.finish();

    report_memory(dir.path(), &store);
}

criterion_group!(benches, intersections);

fn main() {
    if let Some(root) = std::env::var_os(CHILD_ENV) {
        child(Path::new(&root));
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
    report_ratio(
        "iter_intersections, 10 datasets x 2M rows",
        "intersections",
        "ordo",
        "raw",
        0.7,
    );
}
