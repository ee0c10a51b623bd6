//! Crash safety and writer serialization of the commit protocol.
//!
//! A crash is simulated by a storage that fails every mutating operation
//! after a budget of them: whatever the budget, the dataset must reopen at
//! the previous or the new version, with exactly that version's rows, and
//! pass `verify`.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use crate::common::faulty::{Fault, Faulty, Op, Outcome};
use crate::common::{dir_snapshot, int_batch};
use ordo::arrow::array::RecordBatch;
use ordo::storage::{MemoryStorage, Storage};
use ordo::{Error, OrderedParquetDataset, Retention, RowGroupTarget, WriteOptions};

/// Fails every mutating call once `budget` of them have run, like a process
/// that died at that point; the write that dies leaves half its bytes.
#[derive(Debug)]
struct Crash {
    budget: usize,
    used: AtomicUsize,
}

impl Fault for Crash {
    fn on(&self, op: Op, _path: &str, len: usize) -> Outcome {
        let step = self.used.fetch_add(1, Ordering::SeqCst);
        let crash = || io::Error::other("injected crash");
        if step < self.budget {
            Outcome::Proceed
        } else if step == self.budget && op == Op::Put {
            Outcome::Partial(len / 2, crash())
        } else {
            Outcome::Fail(crash())
        }
    }
}

type CrashingStorage = Faulty<MemoryStorage, Crash>;

/// The options of the workload's handles on `storage`: the collection
/// after commits keeps 2 versions.
fn keep_two(storage: Arc<dyn ordo::storage::Storage>) -> ordo::OpenOptions {
    let keep_two = Retention::default()
        .keep_versions(2)
        .keep_younger_than(Duration::ZERO);
    ordo::OpenOptions::new()
        .storage(storage)
        .retention(keep_two)
}

/// The scripted workload (on a handle opened with `keep_two`): first
/// write, appends (several row groups at once), a checkpoint, a
/// metadata-only commit, a GC, more appends.
fn workload(ds: &OrderedParquetDataset, mut committed: impl FnMut(u64)) -> Result<(), Error> {
    let o = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(3));
    let mut next = 0i64;
    for (i, n) in [5usize, 1, 7, 0, 2, 4].into_iter().enumerate() {
        let ts: Vec<i64> = (next..next + n as i64).collect();
        next += n as i64;
        let o = o
            .clone()
            .key_value_metadata([("step", Some(i.to_string()))]);
        let r = ds.write(&int_batch(&ts, &ts), &o)?;
        committed(r.version);
        if i == 1 {
            // A checkpoint and its hint: the crash points cover both.
            ds.checkpoint()?;
        }
        if i == 3 {
            ds.gc(&Retention::default()
                .keep_versions(2)
                .keep_younger_than(Duration::ZERO))?;
        }
    }
    Ok(())
}

#[test]
fn a_crash_at_any_step_leaves_the_previous_or_the_new_version() {
    // Reference run: the contents after each version.
    let reference = MemoryStorage::new();
    let ds = OrderedParquetDataset::open_with("d", &keep_two(Arc::new(reference.clone()))).unwrap();
    let mut expected: Vec<(u64, RecordBatch)> = Vec::new();
    workload(&ds, |v| expected.push((v, ds.read().unwrap()))).unwrap();
    let last_version = expected.last().unwrap().0;

    let mut budget = 0;
    loop {
        let inner = MemoryStorage::new();
        let crashing = Arc::new(CrashingStorage {
            inner: inner.clone(),
            fault: Crash {
                budget,
                used: AtomicUsize::new(0),
            },
        });
        let ds = OrderedParquetDataset::open_with("d", &keep_two(crashing)).unwrap();
        let mut last_ok = 0;
        let outcome = workload(&ds, |v| last_ok = v);
        let reopened = OrderedParquetDataset::open_with(
            "d",
            &ordo::OpenOptions::new().storage(Arc::new(inner.clone())),
        )
        .unwrap();
        let seen = reopened.version().unwrap_or(0);
        assert!(
            seen == last_ok || seen == last_ok + 1,
            "budget {budget}: committed {last_ok}, reopened at {seen}"
        );
        if seen > 0 {
            let want = &expected.iter().find(|(v, _)| *v == seen).unwrap().1;
            assert_eq!(&reopened.read().unwrap(), want, "budget {budget}");
            assert!(reopened.verify().unwrap().is_empty(), "budget {budget}");
        }
        // The next writer recovers: it commits on top and GC leaves only
        // the files of the kept versions.
        let next = reopened.num_rows() as i64 + 1000;
        reopened
            .write(&int_batch(&[next], &[next]), &WriteOptions::new("ts"))
            .unwrap();
        reopened
            .gc(&Retention::default()
                .keep_versions(1)
                .keep_younger_than(Duration::ZERO))
            .unwrap();
        let live: Vec<String> = reopened
            .row_group_stats()
            .into_iter()
            .map(|s| format!("d/{}", s.file))
            .collect();
        let data_files: Vec<String> = inner
            .paths()
            .into_iter()
            .filter(|p| p.ends_with(".parquet"))
            .collect();
        let mut live_sorted = live.clone();
        live_sorted.sort();
        assert_eq!(
            data_files, live_sorted,
            "budget {budget}: leftovers not collected"
        );
        assert!(reopened.verify().unwrap().is_empty());
        if outcome.is_ok() {
            assert_eq!(seen, last_version);
            break;
        }
        budget += 1;
    }
    assert!(
        budget > 10,
        "the workload has many mutating steps ({budget})"
    );
}

#[test]
fn two_writers_serialize_and_lose_no_update() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    OrderedParquetDataset::open(&path)
        .unwrap()
        .write(&int_batch(&[0], &[0]), &WriteOptions::new("ts"))
        .unwrap();
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = (0..2)
        .map(|w| {
            let (path, barrier) = (path.clone(), barrier.clone());
            std::thread::spawn(move || {
                // Each thread has its own handle, hence its own lock file
                // descriptor, like another process.
                let ds = OrderedParquetDataset::open(&path).unwrap();
                barrier.wait();
                for i in 0..25 {
                    let o = WriteOptions::new("ts")
                        .key_value_metadata([(format!("w{w}-{i}"), Some("1"))]);
                    ds.write(&int_batch(&[], &[]), &o).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let ds = OrderedParquetDataset::open(&path).unwrap();
    assert_eq!(ds.version(), Some(51), "every commit landed once");
    assert_eq!(ds.key_value_metadata().len(), 50, "no update was lost");
}

#[test]
fn a_held_lock_gives_lock_timeout_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let impatient = ordo::OpenOptions::new().lock_timeout(Duration::from_millis(100));
    let ds = OrderedParquetDataset::open_with(dir.path(), &impatient).unwrap();
    ds.write(&int_batch(&[1], &[1]), &WriteOptions::new("ts"))
        .unwrap();
    let lock_file = std::fs::File::open(dir.path().join("_ordo/lock")).unwrap();
    lock_file.lock().unwrap(); // another holder, as another process would be
    let before = dir_snapshot(dir.path());
    let o = WriteOptions::new("ts");
    let start = std::time::Instant::now();
    let err = ds.write(&int_batch(&[2], &[2]), &o).unwrap_err();
    assert!(start.elapsed() >= Duration::from_millis(100));
    match &err {
        Error::LockTimeout { path, waited } => {
            assert!(path.ends_with("_ordo/lock"));
            assert_eq!(*waited, Duration::from_millis(100));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("_ordo/lock"));
    assert_eq!(dir_snapshot(dir.path()), before);
    drop(lock_file);
    ds.write(&int_batch(&[2], &[2]), &o).unwrap();
    assert_eq!(ds.num_rows(), 2);

    // The same with the in-memory storage.
    let mem = MemoryStorage::new();
    let ds = OrderedParquetDataset::open_with(
        "m",
        &ordo::OpenOptions::new().storage(Arc::new(mem.clone())),
    )
    .unwrap();
    let guard = mem.lock("m/_ordo/lock", Duration::ZERO).unwrap().unwrap();
    assert!(matches!(
        ds.write(&int_batch(&[1], &[1]), &o),
        Err(Error::LockTimeout { .. })
    ));
    assert!(mem.paths().is_empty());
    drop(guard);
    ds.write(&int_batch(&[1], &[1]), &o).unwrap();
}

#[test]
fn a_handle_left_behind_by_commits_and_gc_commits_after_the_latest() {
    let dir = tempfile::tempdir().unwrap();
    let o = WriteOptions::new("ts");
    let stale = OrderedParquetDataset::open(dir.path()).unwrap();
    stale.write(&int_batch(&[0], &[0]), &o).unwrap();
    // Another handle commits versions 2..=6 and collects all but the last
    // two: manifest 2, the one after the stale handle's, is gone.
    let other = OrderedParquetDataset::open(dir.path()).unwrap();
    for t in 1..=5 {
        other.write(&int_batch(&[t], &[t]), &o).unwrap();
    }
    other
        .gc(&Retention::default()
            .keep_versions(2)
            .keep_younger_than(Duration::ZERO))
        .unwrap();
    assert_eq!(other.versions().unwrap(), vec![5, 6]);
    let report = stale.write(&int_batch(&[6], &[6]), &o).unwrap();
    assert_eq!(report.version, 7, "the next version, not a collected one");
    let all = OrderedParquetDataset::open(dir.path()).unwrap();
    assert_eq!(all.version(), Some(7));
    assert_eq!(all.num_rows(), 7, "no commit lost");
    assert!(all.verify().unwrap().is_empty());
}
