//! Concurrent processes on one store: one writer and three readers (full
//! reads, range reads, `iter_intersections` and field reads) for a bounded
//! time, every read checked against the model of the version it saw; two
//! writer processes on one dataset, every commit landing exactly once; a
//! lock held by another process giving `LockTimeout`.
//!
//! The binary is also each of those processes (selected by
//! `ORDO_PROC_ROLE`), so it runs without the test harness. `ORDO_PROC_SECS`
//! sets how long the readers and the writer run (default 4).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::workload::{self, DatasetModel, Rng};
use ordo::fields::FieldArray;
use ordo::ndarray::{Array as NdArray, IxDyn};
use ordo::storage::{LocalStorage, Storage};
use ordo::{Error, IntersectOptions, OpenOptions, OrderedParquetDataset, Store, TopLevel};

const ROLE: &str = "ORDO_PROC_ROLE";

/// One check: a summary line, or what went wrong.
type Check = fn() -> Result<String, String>;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, TopLevel)]
struct Name {
    name: String,
}

fn key(name: &str) -> Name {
    Name { name: name.into() }
}

fn main() {
    if let Ok(role) = std::env::var(ROLE) {
        let root = PathBuf::from(std::env::var("ORDO_PROC_ROOT").unwrap());
        if let Err(e) = child(&role, &root) {
            eprintln!("{role}: {e}");
            std::process::exit(1);
        }
        return;
    }
    let tests: Vec<(&str, Check)> = vec![
        ("one_writer_three_readers", one_writer_three_readers),
        ("two_writer_processes", two_writer_processes),
        #[cfg(feature = "cloud")]
        ("four_writer_processes_on_s3", four_writer_processes_on_s3),
        (
            "a_lock_held_by_another_process",
            lock_held_by_another_process,
        ),
    ];
    let mut failed = 0;
    for (name, test) in tests {
        match test() {
            Ok(summary) => println!("test {name} ... ok: {summary}"),
            Err(e) => {
                println!("test {name} ... FAILED: {e}");
                failed += 1;
            }
        }
    }
    if failed > 0 {
        std::process::exit(1);
    }
}

fn spawn(role: &str, root: &Path, extra: &[(&str, String)]) -> std::process::Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.env(ROLE, role).env("ORDO_PROC_ROOT", root);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn finished(role: &str, out: Output) -> Result<String, String> {
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "{role} failed ({}): {}{}",
            out.status,
            stdout,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn run_for() -> Duration {
    Duration::from_secs_f64(std::env::var("ORDO_PROC_SECS").map_or(4.0, |v| v.parse().unwrap()))
}

/// The writer's retention while readers run: versions younger than 2 s
/// are kept, so a read that takes less than that never loses a file (the
/// guarantee under test), while garbage collection keeps deleting older
/// versions under the readers' feet.
fn reader_retention() -> ordo::Retention {
    ordo::Retention::default()
        .keep_versions(3)
        .keep_younger_than(Duration::from_secs(2))
}

fn child(role: &str, root: &Path) -> Result<(), String> {
    let e = |e: Error| e.to_string();
    let deadline = Instant::now() + run_for();
    match role {
        "writer" => {
            let options = workload::open_options(reader_retention());
            let store = Store::<Name>::open_with(root, &options).map_err(e)?;
            let (a, b) = (
                store.get(&key("a")).map_err(e)?,
                store.get(&key("b")).map_err(e)?,
            );
            let field = workload::open_or_create_field(a.path().as_path(), true).map_err(e)?;
            let mut i = 0;
            while Instant::now() < deadline {
                i += 1;
                workload::dataset_op(&a, i, &reader_retention()).map_err(e)?;
                workload::dataset_op(&b, i, &reader_retention()).map_err(e)?;
                append_frame(&field, i).map_err(e)?;
            }
            println!("{i} operations");
        }
        "full" | "range" | "intersections" => {
            let mut reads = 0u64;
            let mut rng = Rng(std::process::id() as u64);
            let mut models = (DatasetModel::default(), DatasetModel::default());
            while Instant::now() < deadline {
                match role {
                    "full" => full_read(root, &mut models.0)?,
                    "range" => range_read(root, &mut models.0, &mut rng)?,
                    _ => {
                        intersections_read(root, &mut models)?;
                        field_read(root)?;
                    }
                }
                reads += 1;
            }
            println!("{reads} reads");
        }
        "shared-writer" => {
            let w: i64 = std::env::var("ORDO_PROC_WRITER").unwrap().parse().unwrap();
            let n: u64 = std::env::var("ORDO_PROC_COMMITS").unwrap().parse().unwrap();
            let stride: i64 = std::env::var("ORDO_PROC_WRITERS").unwrap().parse().unwrap();
            let open = workload::open_options(workload::short_retention());
            let ds = OrderedParquetDataset::open_with(root.join("shared"), &open).map_err(e)?;
            let mut versions = Vec::new();
            for i in 1..=n {
                let options = workload::write_options(false)
                    .key_value_metadata([(format!("writer{w}"), Some(i.to_string()))]);
                let report = ds
                    .write(&workload::commit_batch(i, w, stride), &options)
                    .map_err(e)?;
                versions.push(report.version.to_string());
            }
            println!("{}", versions.join(" "));
        }
        "locked-writer" => {
            let open = OpenOptions::new().lock_timeout(Duration::from_millis(200));
            let ds = OrderedParquetDataset::open_with(root.join("shared"), &open).map_err(e)?;
            let options = workload::write_options(false);
            match ds.write(&workload::commit_batch(1, 0, 1), &options) {
                Err(Error::LockTimeout { .. }) => println!("LockTimeout"),
                other => return Err(format!("expected LockTimeout, got {other:?}")),
            }
        }
        other => return Err(format!("unknown role {other}")),
    }
    Ok(())
}

/// Frame `i - 1` of the append-only field: time `i`, pixels `i * 100 + p/100`.
fn append_frame(field: &FieldArray, i: u64) -> Result<(), Error> {
    let frame = NdArray::from_shape_fn(IxDyn(&[1, 4, 4]), |ix| {
        workload::frame_value(i, 0, ix[1] * 4 + ix[2])
    });
    field.append(&[i as i64], frame.view())
}

fn full_read(root: &Path, model: &mut DatasetModel) -> Result<(), String> {
    let ds = OrderedParquetDataset::open(root.join("a")).map_err(|e| e.to_string())?;
    let k = workload::commits_of(&ds);
    if k == 0 {
        return Ok(());
    }
    if k < model.k {
        return Err(format!("went back from {} to {k} commits", model.k));
    }
    model.advance_to(k);
    let batch = ds.read().map_err(|e| format!("full read: {e}"))?;
    model
        .matches(&batch)
        .map_err(|e| format!("full read: {e}"))?;
    if ds.key_value_metadata() != model.meta {
        return Err(format!("metadata of {k} commits differs from the model"));
    }
    Ok(())
}

fn range_read(root: &Path, model: &mut DatasetModel, rng: &mut Rng) -> Result<(), String> {
    let ds = OrderedParquetDataset::open(root.join("a")).map_err(|e| e.to_string())?;
    let k = workload::commits_of(&ds);
    if k == 0 {
        return Ok(());
    }
    model.advance_to(k);
    let hi_max = (k as i64 + 1) * 10 + 30;
    let lo = rng.below(hi_max as u64) as i64 - 5;
    let hi = lo + rng.below(200) as i64;
    let batch = ds
        .read_range(lo, hi)
        .map_err(|e| format!("range read: {e}"))?;
    let got = workload::rows_of(&batch);
    let want: Vec<(i64, i64, i64)> = model
        .rows
        .range(lo..hi)
        .map(|(&t, &(c, j))| (t, c, j))
        .collect();
    if got != want {
        return Err(format!(
            "range [{lo}, {hi}) of {k} commits: {} rows read, {} expected",
            got.len(),
            want.len()
        ));
    }
    Ok(())
}

fn intersections_read(
    root: &Path,
    models: &mut (DatasetModel, DatasetModel),
) -> Result<(), String> {
    let store = Store::<Name>::open(root).map_err(|e| e.to_string())?;
    let keys = [key("a"), key("b")];
    if !keys.iter().all(|k| store.contains(k)) {
        return Ok(());
    }
    let steps = store
        .iter_intersections(&keys, IntersectOptions::new())
        .map_err(|e| format!("iter_intersections: {e}"))?;
    let mut parts: [Vec<ordo::arrow::array::RecordBatch>; 2] = [Vec::new(), Vec::new()];
    for step in steps {
        let step = step.map_err(|e| format!("step: {e}"))?;
        for (k, batch) in step.iter() {
            parts[usize::from(k.name == "b")].push(batch.clone());
        }
    }
    for (part, model) in parts.iter().zip([&mut models.0, &mut models.1]) {
        let batch = ordo::arrow::compute::concat_batches(&workload::schema(), part)
            .map_err(|e| e.to_string())?;
        // The latest commit's rows always survive: the largest commit
        // number among the rows is the version's commit count.
        let k = workload::max_commit(&batch);
        if k < model.k {
            return Err(format!("went back from {} to {k} commits", model.k));
        }
        model.advance_to(k);
        model
            .matches(&batch)
            .map_err(|e| format!("intersections: {e}"))?;
    }
    Ok(())
}

fn field_read(root: &Path) -> Result<(), String> {
    let field = match FieldArray::open(root.join("a"), "frames") {
        Ok(f) => f,
        Err(Error::FieldNotFound { .. }) => return Ok(()),
        Err(e) => return Err(e.to_string()),
    };
    let times = field.times().map_err(|e| format!("times: {e}"))?;
    let n = times.len() as u64;
    if times != (1..=n as i64).collect::<Vec<_>>() {
        return Err(format!("times {times:?}"));
    }
    if n == 0 {
        return Ok(());
    }
    let frames = field
        .frames::<f32>(0..n)
        .map_err(|e| format!("frames: {e}"))?;
    for (f, frame) in frames.outer_iter().enumerate() {
        for (p, &v) in frame.iter().enumerate() {
            if v != workload::frame_value(f as u64 + 1, 0, p) {
                return Err(format!("frame {f} pixel {p} is {v}"));
            }
        }
    }
    Ok(())
}

fn one_writer_three_readers() -> Result<String, String> {
    let root = tempfile::tempdir().unwrap();
    let writer = spawn("writer", root.path(), &[]);
    let readers: Vec<_> = ["full", "range", "intersections"]
        .iter()
        .map(|role| (*role, spawn(role, root.path(), &[])))
        .collect();
    let written = finished("writer", writer.wait_with_output().unwrap())?;
    let mut summary = vec![format!("writer: {written}")];
    for (role, reader) in readers {
        summary.push(format!(
            "{role}: {}",
            finished(role, reader.wait_with_output().unwrap())?
        ));
    }
    // The final state is the model's, and verifies.
    let ds = OrderedParquetDataset::open(root.path().join("a")).unwrap();
    let model = DatasetModel::at(workload::commits_of(&ds));
    model.matches(&ds.read().unwrap())?;
    if !ds.verify().unwrap().is_empty() {
        return Err("verify failed".into());
    }
    Ok(summary.join(", "))
}

fn two_writer_processes() -> Result<String, String> {
    let root = tempfile::tempdir().unwrap();
    writer_processes(root.path(), 2, 40)
}

/// Four writer processes x 25 commits on one dataset in an S3 bucket: no
/// lock, optimistic commits.
#[cfg(feature = "cloud")]
fn four_writer_processes_on_s3() -> Result<String, String> {
    let Some(root) = common::object::roots("processes")
        .pop()
        .filter(|r| r.starts_with("s3"))
    else {
        return Ok("skipped: ORDO_TEST_S3 is not set".into());
    };
    writer_processes(Path::new(&root), 4, 25)
}

/// `n` writer processes commit `commits` times each to one dataset under
/// `root` (a directory or a URL): every commit lands exactly once.
fn writer_processes(root: &Path, n: i64, commits: u64) -> Result<String, String> {
    let writers: Vec<_> = (0..n)
        .map(|w| {
            spawn(
                "shared-writer",
                root,
                &[
                    ("ORDO_PROC_WRITER", w.to_string()),
                    ("ORDO_PROC_COMMITS", commits.to_string()),
                    ("ORDO_PROC_WRITERS", n.to_string()),
                ],
            )
        })
        .collect();
    let mut versions = BTreeSet::new();
    for w in writers {
        let out = finished("shared-writer", w.wait_with_output().unwrap())?;
        for v in out.split_whitespace() {
            if !versions.insert(v.parse::<u64>().unwrap()) {
                return Err(format!("version {v} reported by both writers"));
            }
        }
    }
    let expected_versions: BTreeSet<u64> = (1..=n as u64 * commits).collect();
    if versions != expected_versions {
        return Err(format!("versions {versions:?}"));
    }
    // Every row of every commit of every writer, exactly once.
    let ds = OrderedParquetDataset::open(root.join("shared")).unwrap();
    let mut got = workload::rows_of(&ds.read().unwrap());
    got.sort_unstable();
    let mut want = Vec::new();
    for w in 0..n {
        for i in 1..=commits {
            let b = workload::commit_batch(i, w, n);
            want.extend(workload::rows_of(&b));
        }
    }
    want.sort_unstable();
    if got != want {
        return Err(format!("{} rows read, {} written", got.len(), want.len()));
    }
    let meta = ds.key_value_metadata();
    let last = commits.to_string();
    if (0..n).any(|w| meta.get(&format!("writer{w}")) != Some(&last)) {
        return Err(format!("metadata {meta:?}"));
    }
    if !ds.verify().unwrap().is_empty() {
        return Err("verify failed".into());
    }
    Ok(format!("{} commits, {} rows", versions.len(), got.len()))
}

fn lock_held_by_another_process() -> Result<String, String> {
    let root = tempfile::tempdir().unwrap();
    let ds = OrderedParquetDataset::open(root.path().join("shared")).unwrap();
    ds.write(
        &workload::commit_batch(1, 0, 1),
        &workload::write_options(false),
    )
    .unwrap();
    let before = common::dir_snapshot(root.path());
    let storage = LocalStorage::new(root.path().join("shared"));
    let guard = storage
        .lock("_ordo/lock", Duration::from_secs(1))
        .unwrap()
        .expect("the lock is free");
    let out = finished(
        "locked-writer",
        spawn("locked-writer", root.path(), &[])
            .wait_with_output()
            .unwrap(),
    )?;
    drop(guard);
    if out != "LockTimeout" {
        return Err(format!("the other process printed {out:?}"));
    }
    if common::dir_snapshot(root.path()) != before {
        return Err("the dataset changed".into());
    }
    Ok("LockTimeout, dataset unchanged".into())
}
