//! SQL over one dataset of 20M rows in 200 row groups of 100,000 (ts ns
//! every 100 ms + 3 f64 + i64): `ordo::sql` (DataFusion over ordo's
//! metadata) against DuckDB reading the same Parquet files, in the same
//! run. Three queries: a full aggregate, an aggregate over 1% of the time
//! span, hourly bars.
//!
//!     cargo bench --features sql --bench sql
//!
//! The dataset is made once under the target directory and reused. DuckDB
//! runs in the venv `~/.cache/ordo-bench-venv` (made from
//! `benches/peers/requirements.txt` when missing; the peer is skipped when
//! it cannot be made). Prints `RATIO` lines and the row groups each ordo
//! query read; results in docs/PERFORMANCE.md.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use criterion::Criterion;
use ordo::arrow::array::{RecordBatch, TimestampNanosecondArray};
use ordo::sql::{DatasetTable, Sql};
use ordo::{OrderedParquetDataset, RowGroupTarget, WriteOptions};

const ROWS: usize = 20_000_000;
const GROUP: usize = 100_000;
/// Nanoseconds between rows.
const STEP: i64 = 100_000_000;

/// The queries, by name; `{lo}` and `{hi}` bound 1% of the span.
const QUERIES: [(&str, &str); 3] = [
    (
        "full_aggregate",
        "SELECT count(*), avg(bid), min(ask), max(last), sum(volume) FROM t",
    ),
    (
        "range_1pct_aggregate",
        "SELECT count(*), avg(bid), min(ask), max(last), sum(volume) FROM t \
         WHERE ts >= TIMESTAMP '{lo}' AND ts < TIMESTAMP '{hi}'",
    ),
    (
        "hourly_bars",
        "SELECT date_trunc('hour', ts) AS h, min(bid), max(bid), avg(last), sum(volume) \
         FROM t GROUP BY h ORDER BY h",
    ),
];

/// The bench dataset, written on first use.
fn dataset(dir: &Path) -> OrderedParquetDataset {
    let ds = OrderedParquetDataset::open(dir).unwrap();
    if ds.num_rows() == ROWS as u64 {
        return ds;
    }
    let _ = std::fs::remove_dir_all(dir);
    let ds = OrderedParquetDataset::open(dir).unwrap();
    let opts = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(GROUP));
    for chunk in 0..ROWS / 1_000_000 {
        let b = common::ticks((chunk * 1_000_000) as i64, 1_000_000);
        // One row every 100 ms: 23 days, 556 hours.
        let ts = TimestampNanosecondArray::from_iter_values(
            (0..b.num_rows() as i64).map(|i| (chunk as i64 * 1_000_000 + i) * STEP),
        );
        let mut columns = b.columns().to_vec();
        columns[0] = Arc::new(ts);
        let b = RecordBatch::try_new(b.schema(), columns).unwrap();
        ds.write(&b, &opts).unwrap();
    }
    assert_eq!(ds.num_row_groups(), ROWS / GROUP);
    ds
}

/// The time of row `i` as a SQL timestamp literal.
fn at(i: i64) -> String {
    let t = ordo::chrono::DateTime::from_timestamp_nanos(i * STEP);
    t.naive_utc().format("%Y-%m-%d %H:%M:%S%.f").to_string()
}

fn queries() -> Vec<(&'static str, String)> {
    // 1% of the rows, starting off a row-group edge.
    let (lo, hi) = (
        ROWS as i64 / 2 + 12_345,
        ROWS as i64 / 2 + 12_345 + ROWS as i64 / 100,
    );
    QUERIES
        .iter()
        .map(|(name, q)| (*name, q.replace("{lo}", &at(lo)).replace("{hi}", &at(hi))))
        .collect()
}

fn main() {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("ordo-bench-sql");
    let ds = dataset(&dir);
    let files: Vec<String> = ds
        .row_group_stats()
        .iter()
        .map(|g| dir.join(&g.file).to_string_lossy().into_owned())
        .collect();

    let table = Arc::new(DatasetTable::new(&ds).unwrap());
    let sql = Sql::new();
    sql.context().register_table("t", table.clone()).unwrap();
    let mut c = Criterion::default().sample_size(10).configure_from_args();
    let mut group = c.benchmark_group("sql");
    for (name, q) in queries() {
        let before = table.scan_stats();
        let out = sql.query(&q).unwrap();
        let read = table.scan_stats().row_groups - before.row_groups;
        println!(
            "{name}: {} result rows, {read} of {} row groups read",
            out.iter().map(|b| b.num_rows()).sum::<usize>(),
            ROWS / GROUP
        );
        group.bench_function(name, |b| b.iter(|| sql.query(&q).unwrap()));
    }
    group.finish();
    c.final_summary();

    if std::env::var("ORDO_BENCH_NO_PEER").is_ok() {
        return;
    }
    let peer = duckdb(&files, &queries());
    for (name, _) in queries() {
        let Some(ordo_ms) = common::mean_ns("sql", name).map(|ns| ns / 1e6) else {
            continue;
        };
        match &peer {
            Ok(v) => {
                let duck = v[name].as_f64().unwrap_or(f64::NAN);
                println!(
                    "RATIO sql {name} vs DuckDB: ordo {ordo_ms:.2} ms, DuckDB {duck:.2} ms, speed ratio {:.2}x",
                    duck / ordo_ms
                );
            }
            Err(why) => {
                println!("RATIO sql {name} vs DuckDB: peer skipped: {why}; ordo {ordo_ms:.2} ms")
            }
        }
    }
}

/// DuckDB's median milliseconds per query, by name.
fn duckdb(files: &[String], queries: &[(&str, String)]) -> Result<serde_json::Value, String> {
    let python = common::bench_venv()?;
    let peers = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers");
    let spec = std::env::temp_dir().join(format!("ordo-sql-bench-{}.json", std::process::id()));
    let queries: serde_json::Map<String, serde_json::Value> = queries
        .iter()
        .map(|(n, q)| ((*n).to_owned(), serde_json::Value::from(q.as_str())))
        .collect();
    std::fs::write(
        &spec,
        serde_json::json!({"files": files, "queries": queries}).to_string(),
    )
    .map_err(|e| e.to_string())?;
    let out = Command::new(&python)
        .arg(peers.join("duckdb_sql.py"))
        .arg(&spec)
        .output()
        .map_err(|e| format!("python: {e}"));
    let _ = std::fs::remove_file(&spec);
    let out = out?;
    if !out.status.success() {
        return Err(format!(
            "duckdb_sql.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
}
