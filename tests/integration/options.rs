//! `OpenOptions`, the one configuration of a handle: its lock timeout
//! reaches every operation that takes a lock, a store hands it to its
//! datasets and fields, its retention drives the collection after
//! commits; and the maintenance calls that take only what they need.
//! Also: errors keep their cause as their source.

use std::error::Error as _;
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::faulty::{Fault, Faulty, Op, Outcome};
use crate::common::{dir_snapshot, int_batch};
use ordo::fields::{ElementType, FieldArray, FieldSpec};
use ordo::ndarray::{Array, IxDyn};
use ordo::storage::{LocalStorage, MemoryStorage};
use ordo::{
    CompactOptions, Error, OpenOptions, OrderedParquetDataset, Retention, RowGroupTarget, Store,
    TopLevel, WriteOptions,
};

const SHORT: Duration = Duration::from_millis(60);

fn impatient() -> OpenOptions {
    OpenOptions::new().lock_timeout(SHORT)
}

/// Holds `path` locked as another process would.
fn hold(path: &Path) -> std::fs::File {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .unwrap();
    file.lock().unwrap();
    file
}

fn assert_timed_out(result: Result<impl std::fmt::Debug, Error>, started: Instant) {
    match result {
        Err(Error::LockTimeout { waited, .. }) => assert_eq!(waited, SHORT),
        other => panic!("expected LockTimeout, got {other:?}"),
    }
    assert!(started.elapsed() >= SHORT);
}

#[test]
fn the_lock_timeout_of_the_handle_reaches_every_locking_operation() {
    let dir = tempfile::tempdir().unwrap();
    let ds = OrderedParquetDataset::open_with(dir.path(), &impatient()).unwrap();
    ds.write(&int_batch(&[1, 2], &[1, 2]), &WriteOptions::new("ts"))
        .unwrap();
    let _held = hold(&dir.path().join("_ordo/lock"));
    let before = dir_snapshot(dir.path());
    let t = Instant::now();
    let write = ds.write(&int_batch(&[3], &[3]), &WriteOptions::new("ts"));
    assert_timed_out(write, t);
    let t = Instant::now();
    assert_timed_out(ds.compact(&CompactOptions::new()), t);
    let t = Instant::now();
    assert_timed_out(ds.set_metadata([("k", Some("v"))]), t);
    let t = Instant::now();
    assert_timed_out(ds.gc(&Retention::default()), t);
    let t = Instant::now();
    assert_timed_out(ds.remove(), t);
    assert_eq!(dir_snapshot(dir.path()), before);
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
struct Run {
    name: String,
}

#[test]
fn a_store_hands_its_options_to_its_datasets_and_fields() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::<Run>::open_with(dir.path(), &impatient()).unwrap();
    let run = Run { name: "a".into() };
    let ds = store.get(&run).unwrap();
    ds.write(&int_batch(&[1], &[1]), &WriteOptions::new("ts"))
        .unwrap();
    let field = store
        .create_field(&run, "img", &FieldSpec::new(ElementType::U8, [2]))
        .unwrap();
    let _held = hold(&dir.path().join("a/_ordo/lock"));
    let _held_field = hold(&dir.path().join("a/_fields/img.lock"));

    let t = Instant::now();
    let write = store
        .get(&run)
        .unwrap()
        .write(&int_batch(&[2], &[2]), &WriteOptions::new("ts"));
    assert_timed_out(write, t);
    let t = Instant::now();
    assert_timed_out(store.remove(&run), t);
    let frames = Array::<u8, _>::zeros(IxDyn(&[1, 2]));
    let t = Instant::now();
    assert_timed_out(field.append(&[1], frames.view()), t);
    let reopened = store.field(&run, "img").unwrap();
    let t = Instant::now();
    assert_timed_out(reopened.truncate(0), t);
}

#[test]
fn stores_and_fields_live_in_any_storage() {
    let dir = tempfile::tempdir().unwrap();
    let memory = MemoryStorage::new();
    let in_memory = OpenOptions::new().storage(Arc::new(memory.clone()));
    // A store inside another storage: its root is a directory there.
    let store = Store::<Run>::open_with("stores/a", &in_memory).unwrap();
    let run = Run { name: "r3".into() };
    let batch = int_batch(&[1, 2], &[1, 2]);
    store
        .get(&run)
        .unwrap()
        .write(&batch, &ordo::WriteOptions::new("ts"))
        .unwrap();
    assert!(
        memory.paths().iter().all(|p| p.starts_with("stores/a/")),
        "{:?}",
        memory.paths()
    );
    assert_eq!(
        Store::<Run>::open_with("stores/a", &in_memory)
            .unwrap()
            .keys(),
        [run]
    );
    assert!(
        Store::<Run>::open_with("stores/b", &in_memory)
            .unwrap()
            .is_empty()
    );
    // A field in memory: the same code as on disk, nothing on disk.
    let spec = FieldSpec::new(ElementType::U8, [2]);
    let field = FieldArray::create_with("runs/7", "img", &spec, &in_memory).unwrap();
    let frames = Array::from_shape_fn(IxDyn(&[3, 2]), |i| (i[0] * 10 + i[1]) as u8);
    field.append(&[1, 2, 3], frames.view()).unwrap();
    field.truncate(2).unwrap();
    let more = Array::from_shape_fn(IxDyn(&[1, 2]), |i| 90 + i[1] as u8);
    field.replace_from(2, &[5], more.view()).unwrap();
    let reopened = FieldArray::open_with("runs/7", "img", &in_memory).unwrap();
    assert_eq!(reopened.times().unwrap(), vec![1, 5]);
    assert_eq!(
        reopened.frame::<u8>(1).unwrap().as_slice(),
        Some(&[90, 91][..])
    );
    assert!(matches!(
        FieldArray::create_with("runs/7", "img", &spec, &in_memory),
        Err(Error::FieldExists { .. })
    ));
    assert!(matches!(
        FieldArray::open_with("runs/8", "img", &in_memory),
        Err(Error::FieldNotFound { .. })
    ));
    assert!(
        memory
            .paths()
            .iter()
            .filter(|p| !p.starts_with("stores/"))
            .all(|p| p.starts_with("runs/7/_fields/img.")),
        "{:?}",
        memory.paths()
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // Its lock is the storage's: a second writer waits, then times out.
    let guard = ordo::storage::Storage::lock(&memory, "runs/7/_fields/img.lock", SHORT)
        .unwrap()
        .unwrap();
    let impatient_memory = impatient().storage(Arc::new(memory.clone()));
    let held = FieldArray::open_with("runs/7", "img", &impatient_memory).unwrap();
    let t = Instant::now();
    assert_timed_out(held.truncate(0), t);
    drop(guard);
    held.truncate(0).unwrap();
}

#[test]
fn the_retention_of_the_handle_drives_the_collection_after_commits() {
    let dir = tempfile::tempdir().unwrap();
    let keep_one = Retention::default()
        .keep_versions(1)
        .keep_younger_than(Duration::ZERO);
    let ds = OrderedParquetDataset::open_with(dir.path(), &OpenOptions::new().retention(keep_one))
        .unwrap();
    let default = OrderedParquetDataset::open(dir.path().join("default")).unwrap();
    let o = WriteOptions::new("ts").coalesce(ordo::Coalesce::Never);
    for i in 0..104 {
        ds.write(&int_batch(&[i], &[i]), &o).unwrap();
        default.write(&int_batch(&[i], &[i]), &o).unwrap();
    }
    // The 104th commit collects up to the checkpoint of version 100 (the
    // collection after commits never writes one of its own); the default
    // keeps every version replaced less than 60 s ago.
    assert_eq!(ds.versions().unwrap(), (100..=104).collect::<Vec<_>>());
    assert_eq!(default.versions().unwrap(), (1..=104).collect::<Vec<_>>());
    assert_eq!(ds.num_rows(), 104);
    // The files of the collected versions are gone, those of the kept
    // ones are all there.
    assert_eq!(ds.num_row_groups(), 104);
    assert!(ds.verify().unwrap().is_empty());
}

#[test]
fn set_metadata_needs_a_dataset_and_changes_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let ds = OrderedParquetDataset::open(dir.path().join("none")).unwrap();
    let err = ds.set_metadata([("k", Some("v"))]).unwrap_err();
    assert!(matches!(err, Error::DatasetNotFound { .. }), "{err}");
    assert!(!dir.path().join("none").exists());

    let ds = OrderedParquetDataset::open(dir.path().join("d")).unwrap();
    let o = WriteOptions::new("ts").key_value_metadata([("a", Some("1")), ("b", Some("2"))]);
    ds.write(&int_batch(&[1, 2, 3], &[4, 5, 6]), &o).unwrap();
    let files = ds.row_group_stats();
    let r = ds
        .set_metadata([("a", None), ("c", Some("3"))] as [(&str, Option<&str>); 2])
        .unwrap();
    assert!(r.committed);
    assert_eq!((r.version, r.rows_written, r.row_groups_written), (2, 0, 0));
    let kv: Vec<(String, String)> = ds.key_value_metadata().into_iter().collect();
    assert_eq!(kv, [("b".into(), "2".into()), ("c".into(), "3".into())]);
    assert_eq!(ds.row_group_stats(), files);
    assert_eq!(ds.read().unwrap(), int_batch(&[1, 2, 3], &[4, 5, 6]));
    // Removing an absent key changes nothing: nothing is committed.
    let before = dir_snapshot(dir.path());
    assert!(!ds.set_metadata([("zz", None::<&str>)]).unwrap().committed);
    assert_eq!(dir_snapshot(dir.path()), before);
    // The compaction keeps the metadata.
    let one = CompactOptions::new().row_group_target_size(RowGroupTarget::Rows(1));
    ds.compact(&one).unwrap();
    assert_eq!(ds.num_row_groups(), 3);
    assert_eq!(ds.key_value_metadata()["c"], "3");
}

#[test]
fn a_compaction_to_an_invalid_target_is_refused_before_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let ds = OrderedParquetDataset::open(dir.path()).unwrap();
    ds.write(&int_batch(&[1], &[1]), &WriteOptions::new("ts"))
        .unwrap();
    let _held = hold(&dir.path().join("_ordo/lock"));
    let zero = CompactOptions::new().row_group_target_size(RowGroupTarget::Rows(0));
    let err = ds.compact(&zero).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidOption {
                option: "row_group_target_size",
                ..
            }
        ),
        "{err}"
    );
}

/// Reads of row-group files fail with `PermissionDenied`.
#[derive(Debug)]
struct UnreadableRowGroups;

impl Fault for UnreadableRowGroups {
    fn on(&self, _op: Op, _path: &str, _len: usize) -> Outcome {
        Outcome::Proceed
    }
    fn on_read(&self, path: &str) -> Option<io::Error> {
        path.ends_with(".parquet")
            .then(|| io::Error::from(io::ErrorKind::PermissionDenied))
    }
}

#[test]
fn a_failed_read_of_a_row_group_is_io_on_every_read_path() {
    let dir = tempfile::tempdir().unwrap();
    OrderedParquetDataset::open(dir.path())
        .unwrap()
        .write(&int_batch(&[1, 2], &[1, 2]), &WriteOptions::new("ts"))
        .unwrap();
    let storage = Arc::new(Faulty {
        inner: LocalStorage::new(dir.path()),
        fault: UnreadableRowGroups,
    });
    let ds = OrderedParquetDataset::open_with("", &OpenOptions::new().storage(storage)).unwrap();
    let is_io = |r: Result<_, Error>| match r {
        Err(Error::Io { path, source }) => {
            assert!(path.to_string_lossy().ends_with(".parquet"), "{path:?}");
            assert_eq!(source.kind(), io::ErrorKind::PermissionDenied);
        }
        other => panic!("expected Io, got {other:?}"),
    };
    is_io(ds.read().map(|_| ()));
    is_io(ds.head(1, &Default::default()).map(|_| ()));
    is_io(ds.scan().unwrap().next().unwrap().map(|_| ()));
    // The merge path reads whole files.
    is_io(
        ds.write(&int_batch(&[1], &[9]), &WriteOptions::new("ts"))
            .map(|_| ()),
    );
}

#[test]
fn errors_keep_their_cause_as_source() {
    let dir = tempfile::tempdir().unwrap();
    let ds = OrderedParquetDataset::open(dir.path()).unwrap();
    ds.write(&int_batch(&[1, 2], &[1, 2]), &WriteOptions::new("ts"))
        .unwrap();
    // Garbage of the recorded size: the decoder's error is the source.
    let file = dir.path().join(&ds.row_group_stats()[0].file);
    let size = std::fs::metadata(&file).unwrap().len() as usize;
    std::fs::write(&file, vec![7u8; size]).unwrap();
    let err = ds.read().unwrap_err();
    assert!(matches!(err, Error::CorruptRowGroup { .. }), "{err}");
    let source = err.source().expect("a source");
    assert!(err.to_string().ends_with(&source.to_string()), "{err}");

    // A Zarr metadata problem carries the error of zarrs.
    let spec = FieldSpec::new(ElementType::U8, [2]);
    FieldArray::create(dir.path(), "img", &spec).unwrap();
    std::fs::write(dir.path().join("_fields/img.zarr/data/zarr.json"), b"{").unwrap();
    let err = FieldArray::open(dir.path(), "img").unwrap_err();
    assert!(matches!(err, Error::Zarr { .. }), "{err}");
    assert!(err.source().is_some(), "{err}");
}
