//! The kill test: a writer process runs the workload of
//! `common/workload.rs` on a dataset (or a field array) and prints
//! `committed <n>` after each operation returns; this test kills it with
//! SIGKILL at random instants, reopens, checks `verify()` and that the
//! contents are exactly the state after k operations with k the last
//! printed n or the one after, then restarts the writer from k.
//!
//! `ORDO_KILLS` sets the number of kills per target (default 200; a fifth
//! of it on S3), `ORDO_KILL_SEED` the schedule's seed, `ORDO_KILL_TARGETS`
//! which targets run (`dataset,field,s3dataset` by default; `s3dataset`,
//! a dataset in the bucket of `ORDO_TEST_S3`, says it is skipped without
//! one). The same binary is the writer
//! when `ORDO_KILL_CHILD` is set (no test harness: `harness = false`).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::workload::{self, DatasetModel, FieldModel, Rng};
use ordo::OrderedParquetDataset;
use ordo::fields::FieldArray;

const CHILD: &str = "ORDO_KILL_CHILD";
/// A fresh dataset every this many kills keeps each check small.
const KILLS_PER_DATASET: u64 = 100;

fn main() {
    if let Ok(target) = std::env::var(CHILD) {
        let dir = PathBuf::from(std::env::var("ORDO_KILL_DIR").unwrap());
        let from: u64 = std::env::var("ORDO_KILL_FROM").unwrap().parse().unwrap();
        match target.as_str() {
            "dataset" | "s3dataset" => dataset_writer(&dir, from),
            "field" => field_writer(&dir, from),
            other => panic!("unknown target {other}"),
        }
        return;
    }
    let kills: u64 = std::env::var("ORDO_KILLS").map_or(200, |v| v.parse().expect("ORDO_KILLS"));
    let seed: u64 = std::env::var("ORDO_KILL_SEED").map_or_else(
        |_| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        },
        |v| v.parse().expect("ORDO_KILL_SEED"),
    );
    println!("kill test: {kills} kills per target, ORDO_KILL_SEED={seed}");
    let only = std::env::var("ORDO_KILL_TARGETS").unwrap_or_default();
    let mut failed = false;
    for target in [Target::Dataset, Target::Field, Target::S3Dataset] {
        let name = format!("{target:?}").to_lowercase();
        if !only.is_empty() && !only.split(',').any(|t| t == name) {
            continue;
        }
        let kills = match target {
            Target::S3Dataset if s3_root().is_none() => {
                println!("{target:?}: skipped: ORDO_TEST_S3 is not set");
                continue;
            }
            Target::S3Dataset => kills.div_ceil(5),
            _ => kills,
        };
        let started = Instant::now();
        match run(target, kills, seed) {
            Ok(stats) => println!(
                "{target:?}: {kills} kills, {} operations committed, {} kills after an \
                 unreported commit, 0 lost, 0 verify failures ({:.1} s)",
                stats.ops,
                stats.unreported,
                started.elapsed().as_secs_f64()
            ),
            Err(e) => {
                println!("{target:?}: FAILED: {e}");
                failed = true;
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
}

fn dataset_writer(dir: &Path, from: u64) {
    let options = workload::open_options(workload::short_retention());
    let ds = OrderedParquetDataset::open_with(dir, &options).unwrap();
    assert_eq!(
        workload::commits_of(&ds),
        from,
        "restarted at the wrong state"
    );
    let mut out = std::io::stdout().lock();
    for i in from + 1.. {
        workload::dataset_op(&ds, i, &workload::short_retention()).unwrap();
        writeln!(out, "committed {i}").unwrap();
        out.flush().unwrap();
    }
}

fn field_writer(dir: &Path, from: u64) {
    let one_chunk_per_frame = std::env::var("ORDO_KILL_LAYOUT").unwrap() == "frame";
    let field = workload::open_or_create_field(dir, one_chunk_per_frame).unwrap();
    let mut model = FieldModel::at(from);
    let mut out = std::io::stdout().lock();
    for i in from + 1.. {
        workload::field_op(&field, &model, i).unwrap();
        model.apply(i);
        writeln!(out, "committed {i}").unwrap();
        out.flush().unwrap();
    }
}

#[derive(Debug, Clone, Copy)]
enum Target {
    Dataset,
    Field,
    /// A dataset in an S3 bucket: writers without a lock.
    S3Dataset,
}

/// The bucket URL of the S3 targets (see `common::object`).
fn s3_root() -> Option<String> {
    std::env::var("ORDO_TEST_S3")
        .ok()
        .filter(|u| !u.is_empty())
        .map(|u| u.trim_end_matches('/').to_owned())
}

#[derive(Default)]
struct Stats {
    ops: u64,
    unreported: u64,
}

/// Runs the writer until killed after `delay`; returns the last `n` it
/// printed (`from` if none).
fn run_writer_until_killed(
    target: Target,
    dir: &Path,
    from: u64,
    delay: Duration,
    layout: &str,
) -> u64 {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env("ORDO_KILL_LAYOUT", layout)
        .env(CHILD, format!("{target:?}").to_lowercase())
        .env("ORDO_KILL_DIR", dir)
        .env("ORDO_KILL_FROM", from.to_string())
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let last = Arc::new(AtomicU64::new(from));
    let stdout = child.stdout.take().unwrap();
    let reader = {
        let last = last.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let line = line.unwrap();
                let n: u64 = line
                    .strip_prefix("committed ")
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("unexpected writer output {line:?}"));
                last.store(n, Ordering::SeqCst);
            }
        })
    };
    std::thread::sleep(delay);
    let _ = child.kill();
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    // Killed, as planned: anything else means the writer failed.
    assert!(
        status.code().is_none(),
        "the writer exited by itself ({status}): {stderr}"
    );
    last.load(Ordering::SeqCst)
}

fn run(target: Target, kills: u64, seed: u64) -> Result<Stats, String> {
    let mut rng = Rng(seed);
    let mut stats = Stats::default();
    let local = tempfile::tempdir().unwrap();
    let root = match target {
        Target::S3Dataset => PathBuf::from(format!(
            "{}/kill-{seed}-{}",
            s3_root().expect("checked"),
            std::process::id()
        )),
        _ => local.path().to_path_buf(),
    };
    let mut dir = root.join("0");
    let (mut k, mut dataset_model, mut field_model) =
        (0u64, DatasetModel::default(), FieldModel::default());
    for kill in 0..kills {
        if kill > 0 && kill.is_multiple_of(KILLS_PER_DATASET) {
            dir = root.join(kill.to_string());
            k = 0;
            dataset_model = DatasetModel::default();
            field_model = FieldModel::default();
        }
        // Most kills land in the middle of the work, some right at start
        // (requests to the S3 server take longer than local writes).
        let span = match target {
            Target::S3Dataset => 200_000,
            _ => 40_000,
        };
        let delay = Duration::from_micros(rng.below(span));
        // Field arrays alternate layouts from one directory to the next.
        let layout = if (kill / KILLS_PER_DATASET).is_multiple_of(2) {
            "chunked"
        } else {
            "frame"
        };
        let n = run_writer_until_killed(target, &dir, k, delay, layout);
        let context = |e: String| format!("kill {kill} (delay {delay:?}, last printed {n}): {e}");
        let found = match target {
            Target::Dataset | Target::S3Dataset => check_dataset(&dir, n, &mut dataset_model),
            Target::Field => check_field(&dir, n, &mut field_model),
        }
        .map_err(context)?;
        stats.ops += found - k;
        if found == n + 1 {
            stats.unreported += 1;
        }
        k = found;
    }
    Ok(stats)
}

/// Checks the dataset after a kill; returns the number of commits it holds.
fn check_dataset(dir: &Path, n: u64, model: &mut DatasetModel) -> Result<u64, String> {
    let ds = OrderedParquetDataset::open(dir).map_err(|e| format!("reopen: {e}"))?;
    let k = workload::commits_of(&ds);
    if k != n && k != n + 1 {
        return Err(format!("holds {k} commits, {n} were reported"));
    }
    let problems = ds.verify().map_err(|e| format!("verify: {e}"))?;
    if !problems.is_empty() {
        return Err(format!("verify: {problems:?}"));
    }
    model.advance_to(k);
    if ds.key_value_metadata() != model.meta {
        return Err(format!(
            "metadata {:?}, expected {:?}",
            ds.key_value_metadata(),
            model.meta
        ));
    }
    if k > 0 {
        model.matches(&ds.read().map_err(|e| format!("read: {e}"))?)?;
    }
    Ok(k)
}

/// Checks the field after a kill; returns the number of operations it
/// holds (the state must be that after n or n + 1 operations).
fn check_field(dir: &Path, n: u64, model: &mut FieldModel) -> Result<u64, String> {
    let field = match FieldArray::open(dir, "frames") {
        Ok(f) => f,
        // Killed before the field's creation finished: nothing committed.
        Err(ordo::Error::FieldNotFound { .. }) if n == 0 => return Ok(0),
        Err(e) => return Err(format!("reopen: {e}")),
    };
    while model.k < n {
        model.apply(model.k + 1);
    }
    if model.matches(&field).is_ok() {
        return Ok(n);
    }
    let mut next = model.clone();
    next.apply(n + 1);
    match next.matches(&field) {
        Ok(()) => {
            *model = next;
            Ok(n + 1)
        }
        Err(e) => Err(format!(
            "neither the state after {n} nor after {} operations: {e}",
            n + 1
        )),
    }
}
