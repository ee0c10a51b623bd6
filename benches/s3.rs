//! Appends to a dataset in an S3 bucket, beside ArcticDB's S3 library on
//! the same server, in the same run: 200 appends of 10,000 rows (ts ns +
//! 3 f64 + i64), 3 rounds each on fresh datasets; plus the raw floor, one
//! `PUT` of each append's zstd(1) Parquet file through `object_store`.
//!
//!     .ci/s3-server cargo bench --features cloud --bench s3
//!
//! Needs the server's variables (`ORDO_TEST_S3`, `AWS_*`; `.ci/s3-server`
//! sets them) and says it is skipped without them. ArcticDB runs in the
//! venv `~/.cache/ordo-bench-venv`, made from `benches/peers/requirements.txt`
//! when missing; when it cannot be made the peer is skipped. Prints
//! `RATIO` lines; results in docs/PERFORMANCE.md.

mod common;

use std::process::Command;
use std::time::Instant;

use ordo::storage::{ObjectStorage, Storage};
use ordo::{OpenOptions, OrderedParquetDataset, WriteOptions};

const APPENDS: usize = 200;
const ROWS: usize = 10_000;
const ROUNDS: usize = 3;

fn main() {
    let Ok(root) = std::env::var("ORDO_TEST_S3") else {
        println!("s3 bench skipped: ORDO_TEST_S3 is not set (run it under .ci/s3-server)");
        return;
    };
    let batches: Vec<_> = (0..APPENDS)
        .map(|i| common::ticks((i * ROWS) as i64, ROWS))
        .collect();
    let run = std::process::id();

    let mut ordo_ms = Vec::new();
    for round in 0..ROUNDS {
        let url = format!("{root}/bench-{run}/ordo-{round}");
        let ds = OrderedParquetDataset::open_with(&url, &OpenOptions::new()).unwrap();
        let mut opts = WriteOptions::new("ts");
        if std::env::var("ORDO_BENCH_NEVER").is_ok() {
            opts = opts.coalesce(ordo::Coalesce::Never);
        }
        let start = Instant::now();
        for b in &batches {
            ds.write(b, &opts).unwrap();
        }
        ordo_ms.push(start.elapsed().as_secs_f64() * 1e3 / APPENDS as f64);
        assert_eq!(ds.num_rows(), (APPENDS * ROWS) as u64);
    }

    // The same appends in memory (memory://): ordo's own time, no network.
    let mut memory_ms = Vec::new();
    for round in 0..ROUNDS {
        let ds = OrderedParquetDataset::open(format!("memory://s3-bench-{run}/{round}")).unwrap();
        let start = Instant::now();
        for b in &batches {
            ds.write(b, &WriteOptions::new("ts")).unwrap();
        }
        memory_ms.push(start.elapsed().as_secs_f64() * 1e3 / APPENDS as f64);
    }

    // The floor: one PUT per append of the same rows, encoded once.
    let files: Vec<Vec<u8>> = batches
        .iter()
        .map(|b| {
            let path = std::env::temp_dir().join(format!("ordo-s3-bench-{run}.parquet"));
            common::raw_write(&path, b);
            let bytes = std::fs::read(&path).unwrap();
            let _ = std::fs::remove_file(&path);
            bytes
        })
        .collect();
    let mut raw_ms = Vec::new();
    for round in 0..ROUNDS {
        let raw = ObjectStorage::from_url(&format!("{root}/bench-{run}/raw-{round}")).unwrap();
        let start = Instant::now();
        for (i, bytes) in files.iter().enumerate() {
            raw.put(&format!("{i:05}.parquet"), bytes).unwrap();
        }
        raw_ms.push(start.elapsed().as_secs_f64() * 1e3 / APPENDS as f64);
    }

    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (ordo, raw) = (median(&mut ordo_ms), median(&mut raw_ms));
    let memory = median(&mut memory_ms);
    println!("s3 appends of {ROWS} rows, median of {ROUNDS} rounds of {APPENDS}:");
    println!("  ordo {ordo:.2} ms/append (rounds {ordo_ms:.2?})");
    println!("  ordo in memory:// {memory:.2} ms/append (rounds {memory_ms:.2?})");
    println!("  raw PUT of the zstd(1) file {raw:.2} ms/append (rounds {raw_ms:.2?})");
    if std::env::var("ORDO_BENCH_NO_PEER").is_ok() {
        return;
    }
    match arcticdb(&root) {
        Ok(mut peer) => {
            let arctic = median(&mut peer);
            println!("  ArcticDB {arctic:.2} ms/append (rounds {peer:.2?})");
            println!(
                "RATIO s3 append vs ArcticDB: ordo {ordo:.2} ms, ArcticDB {arctic:.2} ms, speed ratio {:.2}x (target >= 2x); raw PUT {raw:.2} ms",
                arctic / ordo
            );
        }
        Err(why) => println!(
            "RATIO s3 append vs ArcticDB: peer skipped: {why}; ordo {ordo:.2} ms, raw PUT {raw:.2} ms"
        ),
    }
}

/// ArcticDB's milliseconds per append, one per round.
fn arcticdb(root: &str) -> Result<Vec<f64>, String> {
    let python = common::bench_venv()?;
    let peers = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers");
    let bucket = root
        .trim_start_matches("s3://")
        .split('/')
        .next()
        .unwrap_or("ordo");
    let out = Command::new(&python)
        .arg(peers.join("arcticdb_s3.py"))
        .args([
            bucket,
            &APPENDS.to_string(),
            &ROWS.to_string(),
            &ROUNDS.to_string(),
        ])
        .output()
        .map_err(|e| format!("python: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "arcticdb_s3.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    Ok(v["append_ms"]
        .as_array()
        .ok_or("no append_ms")?
        .iter()
        .filter_map(|x| x.as_f64())
        .collect())
}
