//! Big writes in one commit: peak memory and time of streaming 5 GB into a
//! dataset, through the library (`write_batches` of generated batches)
//! and the CLI (`ordo write` of a CSV file), and CSV import against DuckDB
//! turning the same file into one sorted zstd Parquet file.
//!
//! ```sh
//! cargo build --release -p ordo-cli --no-default-features && cargo bench --bench big_write
//! ```
//!
//! `ORDO_BENCH_BIG_GB` sets the size of the big inputs (default 5);
//! `ORDO_BENCH_CSV_ROWS` the rows of the import comparison (default
//! 20,000,000). The CSV files are generated once into
//! `$CARGO_TARGET_DIR/ordo-bench-big/`. Peak memory is the kernel's
//! high-water mark of the resident set (`VmHWM`) of a fresh process.

#[path = "common.rs"]
mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ordo::arrow::array::RecordBatch;
use ordo::{OrderedParquetDataset, WriteOptions};

/// The child process writing generated batches reads its size from this.
const CHILD_ENV: &str = "ORDO_BENCH_BIG_WRITE_CHILD";
/// Rows per generated batch.
const BATCH: usize = 100_000;

fn gigabytes() -> f64 {
    std::env::var("ORDO_BENCH_BIG_GB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5.0)
}

fn csv_rows() -> usize {
    std::env::var("ORDO_BENCH_CSV_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000_000)
}

fn work_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("ordo-bench-big");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn status_kb(status: &str, field: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// In the child: `bytes` of generated ticks (Arrow memory) streamed into
/// a new dataset with the default options; prints the peak RSS.
fn child(bytes: f64) {
    let dir = tempfile::tempdir_in(work_dir()).unwrap();
    let ds = OrderedParquetDataset::open(dir.path().join("ticks")).unwrap();
    let per_batch = common::ticks(0, BATCH).get_array_memory_size() as f64;
    let batches = (bytes / per_batch).ceil() as usize;
    let stream = (0..batches).map(|i| {
        Ok::<RecordBatch, std::convert::Infallible>(common::ticks((i * BATCH) as i64, BATCH))
    });
    let start = Instant::now();
    let report = ds.write_batches(stream, &WriteOptions::new("ts")).unwrap();
    let secs = start.elapsed().as_secs_f64();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    println!(
        "CHILD {} {secs} {} {} {}",
        status_kb(&status, "VmHWM:"),
        batches * BATCH,
        ds.versions().unwrap().len(),
        report.row_groups_written
    );
}

fn library(gb: f64) {
    let out = Command::new(std::env::current_exe().unwrap())
        .env(CHILD_ENV, (gb * 1e9).to_string())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(fields) = text.lines().find_map(|l| l.strip_prefix("CHILD ")) else {
        println!(
            "MEMORY write_batches: the child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    };
    let f: Vec<f64> = fields.split(' ').map(|v| v.parse().unwrap()).collect();
    let (peak_mb, secs, rows) = (f[0] / 1e3, f[1], f[2]);
    println!(
        "MEMORY write_batches of {gb:.1} GB ({:.1}M rows of ts + 3 f64 + i64): peak RSS {peak_mb:.0} MB (target < 1024 MB), {secs:.1} s ({:.1}M rows/s), {} version(s), {} row groups",
        rows / 1e6,
        rows / 1e6 / secs,
        f[3],
        f[4]
    );
}

/// A CSV of `rows` ticks (`ts` as integer nanoseconds, two prices, a
/// volume), generated once.
fn csv_file(rows: usize) -> PathBuf {
    let path = work_dir().join(format!("ticks-{rows}.csv"));
    if path.exists() {
        return path;
    }
    let partial = path.with_extension("partial");
    let mut w =
        std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&partial).unwrap());
    writeln!(w, "ts,bid,ask,volume").unwrap();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..rows as i64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let bid = 100.0 + (x % 10_000) as f64 / 100.0;
        let ts = 1_700_000_000_000_000_000 + i * 1_000_000;
        writeln!(w, "{ts},{bid:.2},{:.2},{}", bid + 0.01, x % 1000).unwrap();
    }
    w.into_inner().unwrap().sync_all().unwrap();
    std::fs::rename(&partial, &path).unwrap();
    path
}

/// The release CLI beside this bench's binary, if built.
fn ordo_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let bin = exe.parent()?.parent()?.join("ordo");
    bin.exists().then_some(bin)
}

/// Runs `cmd`, polling its peak RSS; (seconds, peak MB).
fn run_measured(cmd: &mut Command) -> (f64, f64) {
    let start = Instant::now();
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_path) {
            peak = peak.max(status_kb(&text, "VmHWM:"));
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let secs = start.elapsed().as_secs_f64();
    if !status.success() {
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        panic!("{cmd:?} failed: {err}");
    }
    (secs, peak as f64 / 1e3)
}

/// `ordo write` of `csv` into a new dataset: (seconds, peak MB).
fn ordo_import(ordo: &Path, csv: &Path) -> (f64, f64) {
    let dir = tempfile::tempdir_in(work_dir()).unwrap();
    run_measured(
        Command::new(ordo)
            .arg("write")
            .arg(dir.path().join("ticks"))
            .arg(csv)
            .args(["--ordered-on", "ts"]),
    )
}

fn cli_memory(ordo: &Path, gb: f64) {
    // About 36 bytes a line.
    let rows = (gb * 1e9 / 36.0) as usize;
    let csv = csv_file(rows);
    let size = std::fs::metadata(&csv).unwrap().len() as f64 / 1e9;
    let (secs, peak) = ordo_import(ordo, &csv);
    println!(
        "MEMORY ordo write of a {size:.2} GB CSV ({:.1}M rows): peak RSS {peak:.0} MB (target < 1024 MB), {secs:.1} s",
        rows as f64 / 1e6
    );
}

fn csv_import(ordo: &Path) {
    let csv = csv_file(csv_rows());
    let size = std::fs::metadata(&csv).unwrap().len() as f64 / 1e9;
    let ordo_secs = (0..2)
        .map(|_| ordo_import(ordo, &csv).0)
        .fold(f64::MAX, f64::min);
    let peer = common::bench_venv().and_then(|python| {
        let out_dir = tempfile::tempdir_in(work_dir()).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers/duckdb_csv.py");
        let out = Command::new(python)
            .arg(script)
            .arg(&csv)
            .arg(out_dir.path().join("out.parquet"))
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse::<f64>()
            .map_err(|e| e.to_string())
    });
    match peer {
        Ok(duck) => println!(
            "RATIO CSV import of {size:.2} GB ({}M rows): ordo write {ordo_secs:.2} s, DuckDB {duck:.2} s, throughput ratio {:.2}x (target >= 0.8x)",
            csv_rows() / 1_000_000,
            duck / ordo_secs
        ),
        Err(e) => println!("RATIO CSV import: ordo write {ordo_secs:.2} s; DuckDB skipped: {e}"),
    }
}

fn main() {
    if let Some(bytes) = std::env::var_os(CHILD_ENV) {
        child(bytes.to_string_lossy().parse().unwrap());
        return;
    }
    // `cargo bench` passes `--bench`; a filter argument selects parts.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wanted = |part: &str| filter.is_empty() || filter.iter().any(|f| part.contains(f.as_str()));
    let gb = gigabytes();
    if wanted("library") {
        library(gb);
    }
    let Some(ordo) = ordo_binary() else {
        println!(
            "the CLI parts need the release CLI: cargo build --release -p ordo-cli --no-default-features"
        );
        return;
    };
    if wanted("csv_import") {
        csv_import(&ordo);
    }
    if wanted("cli_memory") {
        cli_memory(&ordo, gb);
    }
}
