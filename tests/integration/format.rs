//! Format 2: commit records, checkpoints, the hint, and format-1 datasets
//! (a fixture written by the previous release) read and upgraded.

use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use ordo::storage::{LockGuard, MemoryStorage, PathKind, Storage};
use ordo::{Coalesce, OpenOptions, OrderedParquetDataset, Retention, RowGroupTarget, WriteOptions};

use crate::common::fixtures::format1_copy;
use crate::common::int_batch;

fn log_json(ds_dir: &Path, v: u64) -> serde_json::Value {
    let path = ds_dir.join(format!("_ordo/manifests/{v:020}.json"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn appends() -> WriteOptions {
    WriteOptions::new("ts").coalesce(Coalesce::Never)
}

#[test]
fn a_format1_dataset_opens_reads_verifies_and_upgrades_on_its_next_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = format1_copy(dir.path());
    assert_eq!(log_json(&path, 3)["format_version"], 1);
    let ds = OrderedParquetDataset::open(&path).unwrap();
    assert_eq!(
        (ds.version(), ds.num_rows(), ds.num_row_groups()),
        (Some(3), 45, 5)
    );
    assert_eq!(ds.key_value_metadata()["source"], "station-7");
    assert_eq!(ds.key_value_metadata()["unit"], "EUR");
    assert_eq!(ds.versions().unwrap(), vec![1, 2, 3]);
    assert!(ds.verify().unwrap().is_empty());
    let before = ds.read().unwrap();
    assert_eq!(ds.at_version(1).unwrap().num_rows(), 30);

    // The next write commits a format-2 record on top, and a checkpoint.
    let schema = before.schema();
    let ts = ordo::arrow::array::TimestampNanosecondArray::from(vec![1_709_251_300_000_000_000])
        .with_timezone("UTC");
    let row = ordo::arrow::array::RecordBatch::try_new(
        schema,
        vec![
            Arc::new(ts),
            Arc::new(ordo::arrow::array::Float64Array::from(vec![1.5])),
            Arc::new(ordo::arrow::array::Int64Array::from(vec![99])),
        ],
    )
    .unwrap();
    let report = ds.write(&row, &appends()).unwrap();
    assert_eq!(report.version, 4);
    assert!(report.checkpoint_error.is_none());
    let record = log_json(&path, 4);
    assert_eq!(record["format_version"], 2);
    assert_eq!(record["operation"], "write");
    assert!(
        record.get("schema").is_none(),
        "built on the format-1 manifest"
    );
    assert!(
        path.join("_ordo/checkpoints/00000000000000000004.arrow")
            .exists()
    );
    assert!(ds.verify().unwrap().is_empty());

    let reopened = OrderedParquetDataset::open(&path).unwrap();
    assert_eq!(reopened.num_rows(), 46);
    assert_eq!(reopened.key_value_metadata(), ds.key_value_metadata());
    assert_eq!(reopened.at_version(3).unwrap().read().unwrap(), before);
    assert!(reopened.verify().unwrap().is_empty());
    // GC collects the format-1 manifests like any old version.
    let report = reopened
        .gc(&Retention::default()
            .keep_versions(1)
            .keep_younger_than(Duration::ZERO))
        .unwrap();
    assert_eq!(report.versions_deleted, vec![1, 2, 3]);
    let fresh = OrderedParquetDataset::open(&path).unwrap();
    assert_eq!(fresh.read().unwrap(), reopened.read().unwrap());
    assert!(fresh.verify().unwrap().is_empty());
}

#[test]
fn upgrade_commits_once_and_keeps_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = format1_copy(dir.path());
    let ds = OrderedParquetDataset::open(&path).unwrap();
    let rows = ds.read().unwrap();
    let report = ds.upgrade().unwrap();
    assert!(report.committed);
    assert_eq!((report.version, report.rows_written), (4, 0));
    assert_eq!(log_json(&path, 4)["operation"], "upgrade");
    assert!(!ds.upgrade().unwrap().committed, "already format 2");
    let reopened = OrderedParquetDataset::open(&path).unwrap();
    assert_eq!(reopened.read().unwrap(), rows);
    assert_eq!(reopened.key_value_metadata(), ds.key_value_metadata());
    assert!(reopened.verify().unwrap().is_empty());
    // Upgrading a dataset that does not exist creates nothing.
    let empty = dir.path().join("none");
    let err = OrderedParquetDataset::open(&empty)
        .unwrap()
        .upgrade()
        .unwrap_err();
    assert!(matches!(err, ordo::Error::DatasetNotFound { .. }), "{err}");
    assert!(!empty.exists());
}

/// A storage that counts reads and listings.
#[derive(Debug, Default)]
struct Counting {
    inner: MemoryStorage,
    reads: AtomicUsize,
    lists: AtomicUsize,
    puts: AtomicUsize,
    /// The directories listed, in order.
    listed: std::sync::Mutex<Vec<String>>,
}

impl Storage for Counting {
    fn put_if_absent(&self, path: &str, data: &[u8]) -> io::Result<bool> {
        self.puts.fetch_add(1, Ordering::SeqCst);
        self.inner.put_if_absent(path, data)
    }
    fn put(&self, path: &str, data: &[u8]) -> io::Result<()> {
        self.puts.fetch_add(1, Ordering::SeqCst);
        self.inner.put(path, data)
    }
    fn put_atomic(&self, path: &str, data: &[u8]) -> io::Result<()> {
        self.puts.fetch_add(1, Ordering::SeqCst);
        self.inner.put_atomic(path, data)
    }
    fn read(&self, path: &str) -> io::Result<Bytes> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.read(path)
    }
    fn read_range(&self, path: &str, range: Range<u64>) -> io::Result<Bytes> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.read_range(path, range)
    }
    fn size(&self, path: &str) -> io::Result<u64> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.size(path)
    }
    fn list(&self, dir: &str) -> io::Result<Vec<String>> {
        self.lists.fetch_add(1, Ordering::SeqCst);
        self.listed.lock().unwrap().push(dir.to_owned());
        self.inner.list(dir)
    }
    fn list_dirs(&self, dir: &str) -> io::Result<Vec<String>> {
        self.lists.fetch_add(1, Ordering::SeqCst);
        self.inner.list_dirs(dir)
    }
    fn kind(&self, path: &str) -> io::Result<PathKind> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.kind(path)
    }
    fn delete(&self, path: &str) -> io::Result<()> {
        self.inner.delete(path)
    }
    fn remove_dir_if_empty(&self, dir: &str) -> io::Result<()> {
        self.inner.remove_dir_if_empty(dir)
    }
    fn lock(&self, path: &str, timeout: Duration) -> io::Result<Option<LockGuard>> {
        self.inner.lock(path, timeout)
    }
    fn display_path(&self, path: &str) -> PathBuf {
        self.inner.display_path(path)
    }
}

impl Counting {
    fn take(&self) -> (usize, usize, usize) {
        (
            self.reads.swap(0, Ordering::SeqCst),
            self.lists.swap(0, Ordering::SeqCst),
            self.puts.swap(0, Ordering::SeqCst),
        )
    }
}

/// `n` single-row appends of rows 0..n.
fn appended(ds: &OrderedParquetDataset, n: i64) {
    for i in 0..n {
        ds.write(&int_batch(&[i], &[i]), &appends()).unwrap();
    }
}

fn keep_all() -> Retention {
    Retention::default()
        .keep_versions(usize::MAX)
        .keep_younger_than(Duration::from_secs(3600))
}

fn checkpoints_of(storage: &MemoryStorage) -> Vec<u64> {
    storage
        .paths()
        .into_iter()
        .filter_map(|p| {
            p.strip_prefix("d/_ordo/checkpoints/")?
                .strip_suffix(".arrow")?
                .parse()
                .ok()
        })
        .collect()
}

#[test]
fn small_datasets_checkpoint_every_10_commits() {
    let storage = Arc::new(MemoryStorage::new());
    let opts = OpenOptions::new()
        .storage(storage.clone())
        .retention(keep_all());
    let ds = OrderedParquetDataset::open_with("d", &opts).unwrap();
    appended(&ds, 25);
    assert_eq!(checkpoints_of(&storage), [10, 20]);
    let hint = storage.read("d/_ordo/_last_checkpoint").unwrap();
    assert_eq!(&hint[..], br#"{"version":20}"#);
}

#[test]
fn large_datasets_checkpoint_every_100_commits_and_open_lists_nothing() {
    let storage = Arc::new(Counting::default());
    let opts = OpenOptions::new()
        .storage(storage.clone())
        .retention(keep_all());
    let ds = OrderedParquetDataset::open_with("d", &opts).unwrap();
    // 2,000 row groups in one commit: the interval is 100 from there on.
    let ts: Vec<i64> = (0..2000).collect();
    let one_per_group = appends().row_group_target_size(RowGroupTarget::Rows(1));
    ds.write(&int_batch(&ts, &ts), &one_per_group).unwrap();
    for i in 2000..2249 {
        ds.write(&int_batch(&[i], &[i]), &appends()).unwrap();
    }
    assert_eq!(ds.version(), Some(250));
    assert_eq!(checkpoints_of(&storage.inner), [100, 200]);
    let hint = storage.inner.read("d/_ordo/_last_checkpoint").unwrap();
    assert_eq!(&hint[..], br#"{"version":200}"#);

    storage.take();
    let reopened = OrderedParquetDataset::open_with("d", &opts).unwrap();
    let (reads, lists, puts) = storage.take();
    assert_eq!(
        (reopened.version(), reopened.num_row_groups()),
        (Some(250), 2249)
    );
    // The hint, checkpoint 200, records 201..=250, the missing 251 and
    // the existence of 250.
    assert_eq!((reads, lists, puts), (1 + 1 + 50 + 1 + 1, 0, 0));

    // A handle that is current refreshes with two reads (the next record,
    // missing, then its own, checked); a commit costs the same reads plus
    // the data file and the record.
    reopened.refresh().unwrap();
    assert_eq!(storage.take(), (2, 0, 0));
    reopened
        .write(&int_batch(&[10_000], &[0]), &appends())
        .unwrap();
    assert_eq!(storage.take(), (2, 0, 2));
}

#[test]
fn the_collection_after_commits_lists_no_log() {
    let storage = Arc::new(Counting::default());
    let keep_2 = Retention::default()
        .keep_versions(2)
        .keep_younger_than(Duration::ZERO);
    let opts = OpenOptions::new()
        .storage(storage.clone())
        .retention(keep_2);
    let ds = OrderedParquetDataset::open_with("d", &opts).unwrap();
    appended(&ds, 20); // the first collection (version 8) lists the log once
    storage.listed.lock().unwrap().clear();
    for i in 20..32 {
        ds.write(&int_batch(&[i], &[i]), &appends()).unwrap();
    }
    let listed = std::mem::take(&mut *storage.listed.lock().unwrap());
    assert!(
        !listed.iter().any(|d| d.ends_with("_ordo/manifests")),
        "{listed:?}"
    );
    // Versions 24 and 32 collected up to the checkpoint of 30 (every 10
    // commits at this size), keeping 31 and 32.
    assert_eq!(ds.versions().unwrap(), vec![30, 31, 32]);
    // Another process's collection is noticed: the oldest version this
    // handle saw is gone, so the next collection lists again.
    let other = OrderedParquetDataset::open_with("d", &opts).unwrap();
    other
        .gc(&Retention::default()
            .keep_versions(1)
            .keep_younger_than(Duration::ZERO))
        .unwrap();
    assert_eq!(other.versions().unwrap(), vec![32]);
    storage.listed.lock().unwrap().clear();
    for i in 32..40 {
        ds.write(&int_batch(&[i], &[i]), &appends()).unwrap();
    }
    let listed = std::mem::take(&mut *storage.listed.lock().unwrap());
    assert!(
        listed.iter().any(|d| d.ends_with("_ordo/manifests")),
        "{listed:?}"
    );
    // The newest checkpoint before the kept 39 and 40 is the one the other
    // collection wrote at 32: nothing more to collect.
    assert_eq!(ds.versions().unwrap(), (32..=40).collect::<Vec<_>>());
    assert_eq!(ds.num_rows(), 40);
    assert!(ds.verify().unwrap().is_empty());
}

#[test]
fn a_record_costs_the_same_bytes_at_any_size() {
    let storage = Arc::new(MemoryStorage::new());
    let opts = OpenOptions::new().storage(storage.clone());
    let ds = OrderedParquetDataset::open_with("d", &opts).unwrap();
    let record_len = |v: u64| {
        storage
            .read(&format!("d/_ordo/manifests/{v:020}.json"))
            .unwrap()
            .len()
    };
    appended(&ds, 1000);
    // Records 2..=9 vs 992..=999 (the commit id and times vary; the
    // statistics are numbers of similar width).
    let small: usize = (990..=999).map(|i| record_len(i - 980)).sum::<usize>() / 10;
    let large: usize = (990..=999).map(record_len).sum::<usize>() / 10;
    assert!(
        large <= small + 8,
        "{small} bytes at 10 groups, {large} at 990"
    );
}

#[test]
fn a_damaged_checkpoint_is_ignored_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let opts = OpenOptions::new().retention(keep_all());
    let ds = OrderedParquetDataset::open_with(dir.path(), &opts).unwrap();
    appended(&ds, 45);
    let rows = ds.read().unwrap();
    let cps = dir.path().join("_ordo/checkpoints");
    let name = |v: u64| format!("{v:020}.arrow");
    assert!(cps.join(name(40)).exists() && cps.join(name(30)).exists());
    let bytes = std::fs::read(cps.join(name(40))).unwrap();
    std::fs::write(cps.join(name(40)), &bytes[..bytes.len() / 2]).unwrap();
    let reopened = OrderedParquetDataset::open(dir.path()).unwrap();
    assert_eq!(
        reopened.read().unwrap(),
        rows,
        "rebuilt from checkpoint 30 and the records"
    );
    let problems = reopened.verify().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].file, format!("_ordo/checkpoints/{}", name(40)));
    assert!(problems[0].problem.contains("damaged"), "{}", problems[0]);
    // Time travel to the damaged checkpoint's version still works.
    assert_eq!(reopened.at_version(40).unwrap().num_rows(), 40);
    // With every checkpoint damaged, the records from version 1 rebuild it.
    for v in [10, 20, 30] {
        std::fs::write(cps.join(name(v)), b"not arrow").unwrap();
    }
    let rebuilt = OrderedParquetDataset::open(dir.path()).unwrap();
    assert_eq!(rebuilt.read().unwrap(), rows);
    assert_eq!(rebuilt.verify().unwrap().len(), 4);
}

#[test]
fn a_missing_stale_or_torn_hint_falls_back_to_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let ds = OrderedParquetDataset::open(dir.path()).unwrap();
    appended(&ds, 25);
    let rows = ds.read().unwrap();
    let hint = dir.path().join("_ordo/_last_checkpoint");
    for content in [
        &b"{\"vers"[..],
        b"{\"version\": 7}",
        b"{\"version\": 100000}",
        b"[]",
    ] {
        std::fs::write(&hint, content).unwrap();
        let reopened = OrderedParquetDataset::open(dir.path()).unwrap();
        assert_eq!(
            reopened.version(),
            Some(25),
            "{}",
            String::from_utf8_lossy(content)
        );
        assert_eq!(reopened.read().unwrap(), rows);
    }
    std::fs::remove_file(&hint).unwrap();
    let reopened = OrderedParquetDataset::open(dir.path()).unwrap();
    assert_eq!(reopened.read().unwrap(), rows);
    assert!(reopened.verify().unwrap().is_empty());
}

#[test]
fn an_interrupted_checkpoint_is_harmless_and_swept() {
    let dir = tempfile::tempdir().unwrap();
    let ds = OrderedParquetDataset::open(dir.path()).unwrap();
    appended(&ds, 5);
    // What a crash while publishing checkpoint 5 leaves: its temporary file.
    let cps = dir.path().join("_ordo/checkpoints");
    std::fs::create_dir_all(&cps).unwrap();
    let tmp = cps.join(".00000000000000000005.arrow.0123456789abcdef.tmp");
    std::fs::write(&tmp, b"half a checkpoint").unwrap();
    let reopened = OrderedParquetDataset::open(dir.path()).unwrap();
    assert_eq!(reopened.version(), Some(5));
    assert!(reopened.verify().unwrap().is_empty());
    let report = reopened.gc(&Retention::default()).unwrap();
    assert!(
        report.files_deleted.contains(
            &"_ordo/checkpoints/.00000000000000000005.arrow.0123456789abcdef.tmp".to_string()
        ),
        "{report:?}"
    );
    assert!(!tmp.exists());
}

#[test]
fn gc_keeps_every_retained_version_rebuildable() {
    let storage = Arc::new(MemoryStorage::new());
    let keep_3 = Retention::default()
        .keep_versions(3)
        .keep_younger_than(Duration::ZERO);
    let opts = OpenOptions::new()
        .storage(storage.clone())
        .retention(keep_3.clone());
    let ds = OrderedParquetDataset::open_with("d", &opts).unwrap();
    let o = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(4));
    for i in 0..230i64 {
        // Appends that coalesce, so that records remove files too.
        ds.write(&int_batch(&[i], &[i]), &o).unwrap();
    }
    // The last auto-GC (version 224, keeping 222..) collected up to the
    // checkpoint before the retained versions (every 10 commits at this
    // size); an explicit GC collects exactly.
    let versions = ds.versions().unwrap();
    assert_eq!(versions.first(), Some(&220));
    ds.gc(&keep_3).unwrap();
    assert_eq!(ds.versions().unwrap(), vec![228, 229, 230]);
    for v in [228, 229, 230] {
        let old = ds.at_version(v).unwrap();
        assert_eq!(old.num_rows(), v);
        assert!(old.verify().unwrap().is_empty(), "version {v}");
    }
    let live: std::collections::BTreeSet<String> = [228, 229, 230]
        .iter()
        .flat_map(|&v| ds.at_version(v).unwrap().row_group_stats())
        .map(|s| format!("d/{}", s.file))
        .collect();
    let on_storage: std::collections::BTreeSet<String> = storage
        .paths()
        .into_iter()
        .filter(|p| p.ends_with(".parquet"))
        .collect();
    assert_eq!(on_storage, live, "only the kept versions' files remain");
}

#[test]
fn an_old_handle_is_not_fooled_by_a_dataset_removed_and_written_again() {
    let storage = Arc::new(MemoryStorage::new());
    let opts = OpenOptions::new().storage(storage.clone());
    let old = OrderedParquetDataset::open_with("d", &opts).unwrap();
    appended(&old, 3);
    let other = OrderedParquetDataset::open_with("d", &opts).unwrap();
    other.remove().unwrap();
    other
        .write(&int_batch(&[500, 501, 502, 503], &[0, 0, 0, 0]), &appends())
        .unwrap();
    appended(&other, 2); // versions 1..=3 again, other rows
    assert_eq!(other.version(), Some(3));
    old.refresh().unwrap();
    assert_eq!(old.read().unwrap(), other.read().unwrap());
    // And it writes on top of the new history.
    old.write(&int_batch(&[900], &[0]), &appends()).unwrap();
    assert_eq!(old.version(), Some(4));
    assert_eq!(
        OrderedParquetDataset::open_with("d", &opts)
            .unwrap()
            .num_rows(),
        7
    );
}
