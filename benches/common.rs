//! Shared pieces of the benches: tick data, the raw arrow-rs baselines,
//! and the ratio report read back from criterion's estimates.
#![allow(dead_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ordo::arrow::array::{Float64Array, Int64Array, RecordBatch, TimestampNanosecondArray};
use ordo::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use ordo::parquet::arrow::ArrowWriter;
use ordo::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use ordo::parquet::basic::{Compression, ZstdLevel};
use ordo::parquet::file::properties::WriterProperties;

pub fn tick_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("ts", DataType::Timestamp(TimeUnit::Nanosecond, None), false),
        Field::new("bid", DataType::Float64, true),
        Field::new("ask", DataType::Float64, true),
        Field::new("last", DataType::Float64, true),
        Field::new("volume", DataType::Int64, true),
    ]))
}

/// `n` ticks starting at row `from`, one per millisecond, with noisy
/// prices (so compression has real work to do).
pub fn ticks(from: i64, n: usize) -> RecordBatch {
    let ts: Vec<i64> = (from..from + n as i64).map(|i| i * 1_000_000).collect();
    let mut x = (from as u64)
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut noise = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % 10_000) as f64 / 100.0
    };
    let bid: Vec<f64> = (0..n).map(|_| 100.0 + noise()).collect();
    let ask: Vec<f64> = bid.iter().map(|b| b + 0.01).collect();
    let last: Vec<f64> = (0..n).map(|_| 100.0 + noise()).collect();
    let vol: Vec<i64> = (0..n).map(|_| noise() as i64).collect();
    RecordBatch::try_new(
        tick_schema(),
        vec![
            Arc::new(TimestampNanosecondArray::from(ts)),
            Arc::new(Float64Array::from(bid)),
            Arc::new(Float64Array::from(ask)),
            Arc::new(Float64Array::from(last)),
            Arc::new(Int64Array::from(vol)),
        ],
    )
    .unwrap()
}

/// The raw baseline writer: arrow-rs' `ArrowWriter` with zstd(1), one file.
pub fn raw_write(path: &Path, batch: &RecordBatch) {
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap()))
        .build();
    let mut w =
        ArrowWriter::try_new(File::create(path).unwrap(), batch.schema(), Some(props)).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
}

/// The raw baseline reader: arrow-rs' reader over each file in turn.
pub fn raw_read(files: &[PathBuf]) -> Vec<RecordBatch> {
    let mut out = Vec::new();
    for f in files {
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(f).unwrap())
            .unwrap()
            .with_batch_size(65_536)
            .build()
            .unwrap();
        for b in reader {
            out.push(b.unwrap());
        }
    }
    out
}

/// Criterion's mean estimate (ns) of `group/bench` from this run.
pub fn mean_ns(group: &str, bench: &str) -> Option<f64> {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let path = dir
        .join("criterion")
        .join(group)
        .join(bench)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["mean"]["point_estimate"].as_f64()
}

/// Prints `name: ordo / raw` as a throughput ratio (raw time / ordo time:
/// above 1 means ordo is faster).
pub fn report_ratio(name: &str, group: &str, ordo: &str, raw: &str, target: f64) {
    match (mean_ns(group, ordo), mean_ns(group, raw)) {
        (Some(o), Some(r)) => println!(
            "RATIO {name}: ordo {:.2} ms, raw {:.2} ms, throughput ratio {:.2}x (target >= {target}x)",
            o / 1e6,
            r / 1e6,
            r / o
        ),
        _ => println!("RATIO {name}: estimates missing (filtered out?)"),
    }
}

/// Prints `name: ordo / baseline` as a time ratio (below 1 means ordo is
/// faster).
pub fn report_time_ratio(name: &str, group: &str, ordo: &str, base: &str, target: f64) {
    match (mean_ns(group, ordo), mean_ns(group, base)) {
        (Some(o), Some(b)) => println!(
            "RATIO {name}: {:.2} ms vs {:.2} ms, time ratio {:.2} (target <= {target})",
            o / 1e6,
            b / 1e6,
            o / b
        ),
        _ => println!("RATIO {name}: estimates missing (filtered out?)"),
    }
}

/// The Python of the peers' venv (`~/.cache/ordo-bench-venv`), made and
/// brought up to `benches/peers/requirements.txt` on the way; an error
/// saying why when it cannot be.
pub fn bench_venv() -> Result<PathBuf, String> {
    use std::process::Command;
    let home = std::env::var("HOME").map_err(|_| "no HOME")?;
    let venv = PathBuf::from(home).join(".cache/ordo-bench-venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status();
        if !made.is_ok_and(|s| s.success()) {
            return Err("python3 -m venv failed".into());
        }
    }
    pip_install(&venv, "requirements.txt")?;
    Ok(python)
}

/// Installs `benches/peers/REQUIREMENTS` into `venv`.
fn pip_install(venv: &Path, requirements: &str) -> Result<(), String> {
    let peers = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers");
    let pip = std::process::Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(peers.join(requirements))
        .status();
    if !pip.is_ok_and(|s| s.success()) {
        return Err(format!(
            "pip could not install benches/peers/{requirements}"
        ));
    }
    Ok(())
}

/// The median of `v` (the upper one of an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The Python of the oups venv (`~/.cache/ordo-oups-venv`), created and
/// filled from `benches/peers/requirements-oups.txt` when missing. oups
/// needs Python 3.13 or later: `python3.13` (or later) on the `PATH`, or
/// one installed by pyenv. `Err` says why the peer is skipped.
pub fn oups_venv() -> Result<PathBuf, String> {
    use std::process::Command;
    let home = PathBuf::from(std::env::var("HOME").map_err(|_| "no HOME")?);
    let venv = home.join(".cache/ordo-oups-venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        let pyenv = std::fs::read_dir(home.join(".pyenv/versions"))
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.strip_prefix("3.")
                    .and_then(|rest| rest.split('.').next()?.parse::<u32>().ok())
                    .is_some_and(|minor| minor >= 13)
            })
            .map(|e| e.path().join("bin/python").display().to_string());
        let candidates = ["python3.14", "python3.13"].map(String::from);
        let made = candidates.into_iter().chain(pyenv).any(|base| {
            Command::new(base)
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .is_ok_and(|s| s.success())
        });
        if !made {
            return Err("no Python 3.13 or later to make the oups venv with".into());
        }
    }
    pip_install(&venv, "requirements-oups.txt")?;
    Ok(python)
}
