//! iter_intersections over 10 datasets of 2M ticks each, whose row-group
//! starts interleave (dataset i is shifted by i/10 of a row group, so each
//! step loads one new row group), beside a raw arrow-rs reader decoding
//! the same files one after the other in the same process. Prints a
//! `RATIO ...` line, then the peak memory of one iteration measured in a
//! fresh child process against the size of one decoded row group per
//! dataset.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::{median, report_ratio, ticks};
use criterion::{Criterion, criterion_group};
use ordo::arrow::array::{Float64Array, Int64Array, RecordBatch, TimestampNanosecondArray};
use ordo::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
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
    iterate_with(store, keys, IntersectOptions::new())
}

/// Every step of the intersection that `opts` select; the row count.
fn iterate_with(store: &Store<Ticker>, keys: &[Ticker], opts: IntersectOptions) -> usize {
    let mut rows = 0;
    for step in store.iter_intersections(keys, opts).unwrap() {
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

/// The workload beside oups: 8 datasets of 1M ticks, row groups of
/// 100,000 rows, boundaries interleaved, `n_prev` 2 (see
/// `benches/peers/oups_intersections.py`, which writes the same ticks).
const PEER_DATASETS: usize = 8;
const PEER_ROWS: usize = 1_000_000;
const PEER_GROUP: usize = 100_000;
const PEER_ROUNDS: usize = 5;

/// Ticks `first..first + rows` as the peer script makes them.
fn peer_ticks(first: i64, rows: usize) -> RecordBatch {
    let t: Vec<i64> = (first..first + rows as i64).collect();
    let bid: Vec<f64> = t
        .iter()
        .map(|t| 100.0 + (t * 7919 % 10_000) as f64 / 100.0)
        .collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new("ts", DataType::Timestamp(TimeUnit::Nanosecond, None), false),
        Field::new("bid", DataType::Float64, true),
        Field::new("ask", DataType::Float64, true),
        Field::new("volume", DataType::Int64, true),
    ]));
    let ts = t.iter().map(|t| t * 1_000_000);
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(TimestampNanosecondArray::from_iter_values(ts)),
            Arc::new(Float64Array::from_iter_values(bid.iter().copied())),
            Arc::new(Float64Array::from_iter_values(bid.iter().map(|b| b + 0.01))),
            Arc::new(Int64Array::from_iter_values(
                t.iter().map(|t| t * 31 % 1000),
            )),
        ],
    )
    .unwrap()
}

/// Milliseconds of each of `PEER_ROUNDS` runs of `run`, and its last result.
fn timed(mut run: impl FnMut() -> usize) -> (Vec<f64>, usize) {
    let mut rows = 0;
    let times = (0..PEER_ROUNDS)
        .map(|_| {
            let start = std::time::Instant::now();
            rows = run();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    (times, rows)
}

/// iter_intersections beside oups on the same ticks, in the same run.
fn report_peer() {
    let dir = tempfile::tempdir().unwrap();
    let shift = PEER_GROUP / PEER_DATASETS;
    let keys: Vec<Ticker> = (0..PEER_DATASETS)
        .map(|i| Ticker {
            name: format!("t{i}"),
        })
        .collect();
    for (i, key) in keys.iter().enumerate() {
        let path = dir.path().join(key.to_path().unwrap());
        let fast = OpenOptions::new().durability(Durability::Process);
        let ds = OrderedParquetDataset::open_with(path, &fast).unwrap();
        let opts =
            WriteOptions::new("ts").row_group_target_size(ordo::RowGroupTarget::Rows(PEER_GROUP));
        ds.write(&peer_ticks((i * shift) as i64, PEER_ROWS), &opts)
            .unwrap();
    }
    let store = Store::<Ticker>::open(dir.path()).unwrap();
    let span = ((PEER_DATASETS - 1) * shift + PEER_ROWS - 1) as f64;
    let window = IntersectOptions::new()
        .n_prev(2)
        .start((span * 0.45) as i64 * 1_000_000)
        .end_excl((span * 0.55) as i64 * 1_000_000);
    let (full, full_rows) =
        timed(|| iterate_with(&store, &keys, IntersectOptions::new().n_prev(2)));
    let (windowed, window_rows) = timed(|| iterate_with(&store, &keys, window.clone()));
    let peer = common::oups_venv().and_then(|python| {
        let root = tempfile::tempdir().map_err(|e| e.to_string())?;
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers/oups_intersections.py");
        let out = std::process::Command::new(python)
            .arg(script)
            .arg(root.path())
            .args([PEER_DATASETS, PEER_ROWS, PEER_GROUP, PEER_ROUNDS].map(|n| n.to_string()))
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        serde_json::from_slice::<serde_json::Value>(&out.stdout).map_err(|e| e.to_string())
    });
    let what = format!("{PEER_DATASETS} datasets x {PEER_ROWS} rows, n_prev 2");
    let (full, windowed) = (median(full), median(windowed));
    let peer = match peer {
        Ok(peer) => peer,
        Err(e) => {
            println!(
                "RATIO vs oups, iter_intersections over {what}: ordo {full:.1} ms over everything, {windowed:.1} ms over the middle 10%; oups skipped: {e}"
            );
            return;
        }
    };
    let ms = |k: &str| {
        median(
            peer[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect(),
        )
    };
    for (name, ordo_ms, oups, ordo_rows, oups_rows) in [
        (
            "everything",
            full,
            ms("full"),
            full_rows,
            &peer["full_rows"],
        ),
        (
            "the middle 10% of the span",
            windowed,
            ms("window"),
            window_rows,
            &peer["window_rows"],
        ),
    ] {
        println!(
            "RATIO vs oups, iter_intersections over {what}, {name}: ordo {ordo_ms:.1} ms ({ordo_rows} rows), oups {oups:.1} ms ({oups_rows} rows), throughput ratio {:.2}x (target >= 10x)",
            oups / ordo_ms
        );
    }
}

criterion_group!(benches, intersections);

fn main() {
    if let Some(root) = std::env::var_os(CHILD_ENV) {
        child(Path::new(&root));
        return;
    }
    // `cargo bench --bench intersections -- peer` runs only the comparison
    // with oups.
    let peer_only = std::env::args().skip(1).any(|a| a == "peer");
    if !peer_only {
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
    report_peer();
    if peer_only {
        return;
    }
    report_ratio(
        "iter_intersections, 10 datasets x 2M rows",
        "intersections",
        "ordo",
        "raw",
        0.7,
    );
}
