//! Corrupt and hostile inputs: each gives a specific error, never a panic,
//! and leaves what is on disk as it was. The fault table of
//! `docs/RELIABILITY.md` points at these tests (and at the ones of
//! `dataset.rs`, `store.rs`, `fields.rs` and `keys.rs` it names).

use std::io;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::common::faulty::{Fault, Faulty, Op, Outcome};
use crate::common::{dir_snapshot, int_batch};
use ordo::storage::LocalStorage;
use ordo::{
    Error, KeyError, OrderedParquetDataset, Retention, RowGroupTarget, Store, TopLevel,
    WriteOptions,
};

fn opts() -> WriteOptions {
    WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(20))
}

fn ts(range: Range<i64>) -> Vec<i64> {
    range.collect()
}

/// A dataset of 60 rows in three row groups of 20.
fn three_groups(dir: &Path) -> OrderedParquetDataset {
    let ds = OrderedParquetDataset::open(dir).unwrap();
    let t = ts(0..60);
    ds.write(&int_batch(&t, &t), &opts()).unwrap();
    assert_eq!(ds.num_row_groups(), 3);
    ds
}

#[test]
fn every_flipped_byte_of_a_row_group_file_is_caught_without_panic() {
    let dir = tempfile::tempdir().unwrap();
    let ds = three_groups(dir.path());
    let file = dir.path().join(&ds.row_group_stats()[1].file);
    let good = std::fs::read(&file).unwrap();
    let expected = ds.read().unwrap();
    let (mut read_errors, mut wrong_rows) = (0, 0);
    for at in 0..good.len() {
        let mut bad = good.clone();
        bad[at] ^= 0x5a;
        std::fs::write(&file, &bad).unwrap();
        // verify always sees it: the manifest's CRC-32C no longer matches.
        let problems = ds.verify().unwrap();
        assert_eq!(problems.len(), 1, "byte {at}: {problems:?}");
        assert!(
            problems[0].problem.contains("checksum mismatch"),
            "byte {at}: {}",
            problems[0].problem
        );
        // A plain read either fails as a corrupt row group or decodes.
        match ds.read() {
            Err(Error::CorruptRowGroup { path, .. }) => {
                assert_eq!(path, file);
                read_errors += 1;
            }
            Err(other) => panic!("byte {at}: unexpected error {other}"),
            Ok(batch) if batch != expected => wrong_rows += 1,
            Ok(_) => {}
        }
    }
    std::fs::write(&file, &good).unwrap();
    assert!(ds.verify().unwrap().is_empty());
    assert!(read_errors > 0, "some flips break the structure");
    // Flips inside encoded values decode into other values: the reason
    // the manifest carries a checksum that `verify` and merges check.
    eprintln!(
        "{} bytes flipped: {read_errors} read errors, {wrong_rows} reads with other values",
        good.len()
    );
}

#[test]
fn a_merge_never_copies_a_corrupt_row_group() {
    let dir = tempfile::tempdir().unwrap();
    let ds = three_groups(dir.path());
    let file = dir.path().join(&ds.row_group_stats()[1].file);
    let mut bad = std::fs::read(&file).unwrap();
    // A byte in the middle of the data pages, where a flip still decodes.
    let at = bad.len() / 3;
    bad[at] ^= 0x01;
    std::fs::write(&file, &bad).unwrap();
    // Another handle: the writer's own keeps the groups it wrote lately
    // in memory, and would merge those instead of the damaged file.
    let ds = OrderedParquetDataset::open(dir.path()).unwrap();
    let before = dir_snapshot(dir.path());
    // Rows inside the damaged group: the merge must rewrite it.
    let err = ds.write(&int_batch(&[25], &[0]), &opts()).unwrap_err();
    assert!(
        matches!(&err, Error::CorruptRowGroup { path, source } if path == &file && source.to_string().contains("checksum")),
        "{err}"
    );
    assert_eq!(dir_snapshot(dir.path()), before);
    let twenty = ordo::CompactOptions::new().row_group_target_size(RowGroupTarget::Rows(20));
    let err = ds.compact(&twenty).unwrap_err();
    assert!(matches!(err, Error::CorruptRowGroup { .. }), "{err}");
    assert_eq!(dir_snapshot(dir.path()), before);
    // Appends after the damaged group do not touch it and still work.
    ds.write(&int_batch(&[100], &[0]), &opts()).unwrap();
}

#[test]
fn manifests_without_checksums_still_read_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let ds = three_groups(dir.path());
    let manifest = dir.path().join("_ordo/manifests/00000000000000000001.json");
    let mut m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    for rg in m["add"].as_array_mut().unwrap() {
        assert!(rg["crc32c"].is_u64());
        rg.as_object_mut().unwrap().remove("crc32c");
    }
    std::fs::write(&manifest, serde_json::to_vec(&m).unwrap()).unwrap();
    let ds2 = OrderedParquetDataset::open(dir.path()).unwrap();
    assert_eq!(ds2.read().unwrap(), ds.read().unwrap());
    assert!(ds2.verify().unwrap().is_empty());
    // A merge into an unchecked group works and records checksums again.
    ds2.write(&int_batch(&[25], &[0]), &opts()).unwrap();
    let latest = dir.path().join("_ordo/manifests/00000000000000000002.json");
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(latest).unwrap()).unwrap();
    let with_crc = m["add"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|rg| rg["crc32c"].is_u64())
        .count();
    assert!(with_crc >= 1, "the rewritten group has a checksum");
}

#[test]
fn a_manifest_naming_a_file_outside_the_dataset_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    three_groups(dir.path());
    let manifest = dir.path().join("_ordo/manifests/00000000000000000001.json");
    let mut m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    for hostile in ["../../etc/passwd", "/etc/passwd", "sub/x.parquet", ""] {
        m["add"][0]["file"] = hostile.into();
        std::fs::write(&manifest, serde_json::to_vec(&m).unwrap()).unwrap();
        let before = dir_snapshot(dir.path());
        let err = OrderedParquetDataset::open(dir.path()).unwrap_err();
        assert!(
            matches!(&err, Error::CorruptManifest { reason, .. } if reason.contains("invalid file name")),
            "{hostile}: {err}"
        );
        assert_eq!(dir_snapshot(dir.path()), before);
    }
}

#[test]
fn a_lock_file_that_is_not_ours() {
    let dir = tempfile::tempdir().unwrap();
    let ds = three_groups(dir.path());
    let lock = dir.path().join("_ordo/lock");

    // Content written by someone else: the lock is an advisory lock on the
    // file, its bytes mean nothing and are left alone.
    std::fs::write(&lock, b"pid 4242, held by some other tool\n").unwrap();
    ds.write(&int_batch(&[100], &[1]), &opts()).unwrap();
    assert_eq!(
        std::fs::read(&lock).unwrap(),
        b"pid 4242, held by some other tool\n"
    );

    // A directory where the lock file should be: an I/O error naming it,
    // nothing written.
    std::fs::remove_file(&lock).unwrap();
    std::fs::create_dir(&lock).unwrap();
    let before = dir_snapshot(dir.path());
    let err = ds.write(&int_batch(&[101], &[1]), &opts()).unwrap_err();
    assert!(
        matches!(&err, Error::Io { path, .. } if path == &lock),
        "{err}"
    );
    assert_eq!(dir_snapshot(dir.path()), before);
    assert_eq!(
        OrderedParquetDataset::open(dir.path()).unwrap().num_rows(),
        61
    );
}

#[test]
fn an_empty_directory_where_a_dataset_should_be() {
    let dir = tempfile::tempdir().unwrap();
    for empty in ["", "_ordo", "_ordo/manifests"] {
        std::fs::create_dir_all(dir.path().join(empty)).unwrap();
        let before = dir_snapshot(dir.path());
        let ds = OrderedParquetDataset::open(dir.path()).unwrap();
        assert_eq!(ds.version(), None);
        assert!(matches!(
            ds.read(),
            Err(Error::DatasetNotFound { path }) if path == dir.path()
        ));
        assert!(matches!(
            ds.at_version(1),
            Err(Error::VersionNotFound { version: 1, .. })
        ));
        assert!(ds.verify().unwrap().is_empty());
        assert_eq!(dir_snapshot(dir.path()), before, "reading creates nothing");
    }
    // A store does not list it.
    let store = Store::<Flat>::open(dir.path().parent().unwrap()).unwrap();
    assert!(store.keys().iter().all(|k| !dir.path().ends_with(&k.name)));
}

#[test]
fn a_dataset_path_that_is_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dataset");
    std::fs::write(&file, b"x").unwrap();
    let err = OrderedParquetDataset::open(&file).unwrap_err();
    assert!(
        matches!(&err, Error::NotADirectory { path } if path == &file),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        format!("{} exists and is not a directory", file.display())
    );
    let err = ordo::write(&file, &int_batch(&[1], &[1]), &opts()).unwrap_err();
    assert!(matches!(&err, Error::NotADirectory { .. }), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, TopLevel)]
struct Flat {
    name: String,
}

#[test]
fn keys_that_try_path_traversal_are_rejected_before_any_access() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let store = Store::<Flat>::open(&root).unwrap();
    let before = dir_snapshot(dir.path());
    for hostile in [
        "..",
        ".",
        "../x",
        "a/../../b",
        "/etc",
        "/",
        "a\\b",
        "a\0b",
        "_ordo",
        ".hidden",
        "",
    ] {
        let key = Flat {
            name: hostile.into(),
        };
        let err = store.get(&key).unwrap_err();
        assert!(matches!(err, Error::Key(_)), "{hostile:?}: {err}");
        assert!(!store.contains(&key));
        assert!(matches!(store.remove(&key), Err(Error::Key(_))));
        // Parsing is as strict as printing.
        assert!(Flat::from_path(Path::new(hostile)).is_err(), "{hostile:?}");
    }
    for path in ["..", "../etc", "/etc", "a/b"] {
        let err: KeyError = Flat::from_path(Path::new(path)).unwrap_err();
        assert!(!err.to_string().is_empty());
    }
    assert_eq!(dir_snapshot(dir.path()), before);
}

/// A disk with `free` bytes left: writes past it fail with `StorageFull`
/// after writing what fit, like `write(2)` on a full file system.
#[derive(Debug)]
struct FullDisk {
    free: AtomicU64,
}

impl Fault for FullDisk {
    fn on(&self, op: Op, _path: &str, len: usize) -> Outcome {
        let free = self.free.load(Ordering::SeqCst);
        if op == Op::Delete || len as u64 <= free {
            self.free.fetch_sub(len as u64, Ordering::SeqCst);
            Outcome::Proceed
        } else {
            self.free.store(0, Ordering::SeqCst);
            Outcome::Partial(free as usize, io::Error::from(io::ErrorKind::StorageFull))
        }
    }
}

#[test]
fn a_full_disk_fails_the_write_and_keeps_the_previous_version() {
    let dir = tempfile::tempdir().unwrap();
    let ds = three_groups(dir.path());
    let v1 = ds.read().unwrap();
    // An overlapping write with coalescing: several new files, then the
    // manifest. Every amount of free space from none to enough.
    let t: Vec<i64> = (10..90).collect();
    let batch = int_batch(&t, &t);
    let mut free = 0u64;
    let committed = loop {
        let disk = Arc::new(Faulty {
            inner: LocalStorage::new(dir.path()),
            fault: FullDisk {
                free: AtomicU64::new(free),
            },
        });
        let full =
            OrderedParquetDataset::open_with("", &ordo::OpenOptions::new().storage(disk)).unwrap();
        match full.write(&batch, &opts()) {
            Ok(report) => break report.version,
            Err(err) => {
                assert!(
                    matches!(&err, Error::Io { source, .. } if source.kind() == io::ErrorKind::StorageFull),
                    "{free} bytes free: {err}"
                );
                assert!(err.to_string().contains("no storage space"), "{err}");
                let reopened = OrderedParquetDataset::open(dir.path()).unwrap();
                assert_eq!(reopened.version(), Some(1), "{free} bytes free");
                assert_eq!(reopened.read().unwrap(), v1);
                assert!(reopened.verify().unwrap().is_empty());
            }
        }
        free += 97;
    };
    assert_eq!(committed, 2);
    let ds = OrderedParquetDataset::open(dir.path()).unwrap();
    assert_eq!(ds.num_rows(), 140, "no dedup: both copies of 10..60");
    assert!(ds.verify().unwrap().is_empty());
    // Garbage collection removes what the failed attempts left.
    ds.gc(&Retention::default()
        .keep_versions(1)
        .keep_younger_than(Duration::ZERO))
        .unwrap();
    let live: std::collections::BTreeSet<String> =
        ds.row_group_stats().into_iter().map(|s| s.file).collect();
    let on_disk: std::collections::BTreeSet<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "_ordo")
        .collect();
    assert_eq!(on_disk, live);
}

/// Lets `budget` mutating calls through, then fails every call, like a
/// process that died there; the call that dies writes half its bytes.
#[derive(Debug)]
struct DiesAt {
    budget: usize,
    used: AtomicU64,
}

impl Fault for DiesAt {
    fn on(&self, _op: Op, _path: &str, len: usize) -> Outcome {
        let step = self.used.fetch_add(1, Ordering::SeqCst) as usize;
        let died = || io::Error::other("injected crash");
        match step.cmp(&self.budget) {
            std::cmp::Ordering::Less => Outcome::Proceed,
            std::cmp::Ordering::Equal => Outcome::Partial(len / 2, died()),
            std::cmp::Ordering::Greater => Outcome::Fail(died()),
        }
    }
}

#[test]
fn a_field_write_that_dies_at_any_storage_step_leaves_the_previous_or_the_new_length() {
    use ordo::fields::{ElementType, FieldArray, FieldSpec};
    use ordo::ndarray::{Array, ArrayD, Axis, IxDyn};
    use ordo::storage::Durability;

    let frames = |k: usize, base: f32| -> ArrayD<f32> {
        Array::from_shape_fn(IxDyn(&[k, 2, 2]), |i| {
            base + (i[0] * 4 + i[1] * 2 + i[2]) as f32
        })
    };
    let one_chunk_per_frame = FieldSpec::new(ElementType::F32, [2, 2]);
    let straddling = one_chunk_per_frame
        .clone()
        .chunk_shape([1, 2])
        .time_chunk(2);
    for spec in [one_chunk_per_frame, straddling] {
        let mut budget = 0;
        loop {
            let dir = tempfile::tempdir().unwrap();
            let field = FieldArray::create(dir.path(), "f", &spec).unwrap();
            field.append(&[1, 2], frames(2, 0.0).view()).unwrap();
            let dying = Arc::new(Faulty {
                inner: LocalStorage::new(dir.path()).with_durability(Durability::Process),
                fault: DiesAt {
                    budget,
                    used: AtomicU64::new(0),
                },
            });
            let options = ordo::OpenOptions::new().storage(dying);
            let result = FieldArray::open_with("", "f", &options)
                .and_then(|f| f.append(&[3, 4, 5], frames(3, 100.0).view()));
            // Readers see the previous length or the new one, with exactly
            // its frames.
            let reader = FieldArray::open(dir.path(), "f").unwrap();
            let expected: Vec<(i64, f32)> = match result {
                Ok(()) => vec![(1, 0.0), (2, 4.0), (3, 100.0), (4, 104.0), (5, 108.0)],
                Err(_) => vec![(1, 0.0), (2, 4.0)],
            };
            assert_eq!(
                reader.times().unwrap(),
                expected.iter().map(|e| e.0).collect::<Vec<_>>(),
                "budget {budget}"
            );
            let read = reader.frames::<f32>(0..expected.len() as u64).unwrap();
            for (i, frame) in read.axis_iter(Axis(0)).enumerate() {
                assert_eq!(frame[[0, 0]], expected[i].1, "budget {budget}, frame {i}");
                assert_eq!(
                    frame[[1, 1]],
                    expected[i].1 + 3.0,
                    "budget {budget}, frame {i}"
                );
            }
            // The next writer repairs what the dead one left and appends.
            reader.append(&[9], frames(1, 900.0).view()).unwrap();
            assert_eq!(reader.len().unwrap(), expected.len() as u64 + 1);
            let last = reader.frame::<f32>(expected.len() as u64).unwrap();
            assert_eq!(last[[1, 0]], 902.0, "budget {budget}");
            if result.is_ok() {
                break;
            }
            budget += 1;
        }
        assert!(budget >= 4, "the append took {budget} storage steps");
    }
}
