//! [`OrderedParquetDataset`]: one directory of sorted, non-overlapping
//! Parquet row groups published by numbered manifests.
//!
//! A handle is a view pinned to one version: its accessors and reads all
//! see that version, so statistics always match what is read. It moves to
//! a newer version when it writes, or on [`OrderedParquetDataset::refresh`].
//! Readers take no lock; writers serialize on `_ordo/lock`.

mod fresh;
mod gc;
mod log;
mod maintain;
mod read;
mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, RwLock};

use arrow::datatypes::SchemaRef;

use crate::error::{Error, Result};
pub(crate) use crate::format::snapshot::Snapshot;
use crate::options::Retention;
use crate::options::open::OpenOptions;
use crate::storage::{Storage, join};
use crate::value::OrderedValue;
use crate::value::stored::cmp_values;

pub use crate::format::snapshot::RowGroupStats;

pub use gc::GcReport;
pub use maintain::Violation;
pub use read::{ReadOptions, Scan};
pub use write::WriteReport;

/// The row groups holding values in `[lo, hi)` (stored values; `None` is
/// no bound): a contiguous run, since row groups are sorted and do not
/// overlap.
pub(crate) fn overlapping(
    stats: &[RowGroupStats],
    lo: Option<&OrderedValue>,
    hi: Option<&OrderedValue>,
) -> std::ops::Range<usize> {
    let start = lo.map_or(0, |lo| {
        stats.partition_point(|g| cmp_values(&g.max, lo).is_lt())
    });
    let end = hi.map_or(stats.len(), |hi| {
        stats.partition_point(|g| cmp_values(&g.min, hi).is_lt())
    });
    start..end.max(start)
}

/// An ordered Parquet dataset: sorted, non-overlapping Parquet row groups
/// published by numbered commit records. A handle is a view pinned to one
/// version; writes move it to the version they commit, `refresh` to the
/// latest. Readers take no lock; writers serialize on `_ordo/lock`.
///
/// ```
/// use std::sync::Arc;
/// use ordo_store::arrow::array::{Float64Array, Int64Array, RecordBatch};
/// use ordo_store::arrow::datatypes::{DataType, Field, Schema};
/// use ordo_store::{OrderedParquetDataset, OrderedValue, WriteOptions};
///
/// let dir = tempfile::tempdir()?;
/// let ds = OrderedParquetDataset::open(dir.path().join("ticks"))?;
/// assert_eq!(ds.version(), None); // nothing on disk yet
///
/// let schema = Arc::new(Schema::new(vec![
///     Field::new("ts", DataType::Int64, false),
///     Field::new("price", DataType::Float64, true),
/// ]));
/// let batch = RecordBatch::try_new(schema, vec![
///     Arc::new(Int64Array::from(vec![1, 2, 3])),
///     Arc::new(Float64Array::from(vec![10.0, 10.5, 9.5])),
/// ])?;
/// ds.write(&batch, &WriteOptions::new("ts"))?;
/// assert_eq!(ds.version(), Some(1));
/// assert_eq!(ds.num_rows(), 3);
/// assert_eq!(ds.read()?, batch);
/// let some = ds.read_range(OrderedValue::from(2), OrderedValue::from(3))?;
/// assert_eq!(some.num_rows(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct OrderedParquetDataset {
    storage: Arc<dyn Storage>,
    prefix: String,
    /// How long operations wait for the writer lock.
    lock_timeout: std::time::Duration,
    /// How many times a write is tried against racing writers.
    commit_attempts: u32,
    /// The rule of the collection after commits.
    retention: Retention,
    current: RwLock<Option<Arc<Snapshot>>>,
    /// The newest checkpoint this handle knows of (0: none).
    checkpointed: AtomicU64,
    /// The oldest version this handle saw on storage (0: none yet), which
    /// spares the collection after commits a listing.
    oldest_seen: AtomicU64,
    /// The commit records this handle wrote or applied lately, by version,
    /// which spare the collection after commits their reading.
    recent: std::sync::Mutex<std::collections::BTreeMap<u64, Arc<crate::format::record::Record>>>,
    /// Row groups this handle wrote lately, for the merges that follow.
    fresh: fresh::FreshGroups,
}

impl OrderedParquetDataset {
    /// Opens the dataset in directory `path` at its latest version, with
    /// the default [`OpenOptions`]. Creates nothing on disk: a dataset
    /// without versions is empty until the first write.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, &OpenOptions::new())
    }

    /// Opens the dataset at `path` with `options`: its storage, lock
    /// timeout, durability and retention (see [`OpenOptions`]).
    pub fn open_with(path: impl AsRef<Path>, options: &OpenOptions) -> Result<Self> {
        let (storage, prefix) = options.locate(path.as_ref())?;
        Self::open_in(storage, prefix, options)
    }

    /// Opens the dataset at `prefix` of `storage` (a store's dataset).
    pub(crate) fn open_in(
        storage: Arc<dyn Storage>,
        prefix: String,
        options: &OpenOptions,
    ) -> Result<Self> {
        let ds = Self {
            storage,
            prefix,
            commit_attempts: options.commit_attempts,
            lock_timeout: options.lock_timeout,
            retention: options.retention.clone(),
            current: RwLock::new(None),
            checkpointed: AtomicU64::new(0),
            oldest_seen: AtomicU64::new(0),
            recent: std::sync::Mutex::default(),
            fresh: fresh::FreshGroups::default(),
        };
        ds.refresh()?;
        Ok(ds)
    }

    /// A handle on the same dataset pinned to an older, still retained
    /// version (time travel).
    pub fn at_version(&self, version: u64) -> Result<Self> {
        let snapshot = self
            .load_version(version)?
            .ok_or_else(|| Error::VersionNotFound {
                path: self.path(),
                version,
            })?;
        Ok(Self {
            storage: self.storage.clone(),
            prefix: self.prefix.clone(),
            lock_timeout: self.lock_timeout,
            commit_attempts: self.commit_attempts,
            retention: self.retention.clone(),
            current: RwLock::new(snapshot),
            checkpointed: AtomicU64::new(0),
            oldest_seen: AtomicU64::new(0),
            recent: std::sync::Mutex::default(),
            fresh: fresh::FreshGroups::default(),
        })
    }

    /// Moves this handle to the latest committed version.
    pub fn refresh(&self) -> Result<()> {
        let head = self.load_head(self.snapshot())?;
        self.set_current(head.and_then(|h| h.state));
        Ok(())
    }

    /// The dataset directory (for messages; `memory://...` in memory).
    pub fn path(&self) -> PathBuf {
        self.storage.display_path(&self.prefix)
    }

    /// The version this handle sees; `None` when nothing was committed.
    pub fn version(&self) -> Option<u64> {
        self.snapshot().map(|s| s.version)
    }

    /// Every committed version still on disk, oldest first.
    pub fn versions(&self) -> Result<Vec<u64>> {
        self.list_versions()
    }

    /// Number of rows.
    pub fn num_rows(&self) -> u64 {
        self.snapshot()
            .map_or(0, |s| s.stats.iter().map(|r| r.num_rows).sum())
    }

    /// Number of row groups (= row-group files).
    pub fn num_row_groups(&self) -> usize {
        self.snapshot().map_or(0, |s| s.stats.len())
    }

    /// Statistics of each row group, in order.
    pub fn row_group_stats(&self) -> Vec<RowGroupStats> {
        self.snapshot().map_or_else(Vec::new, |s| {
            let dt = s.ordered_type();
            s.stats.iter().map(|r| r.typed(dt)).collect()
        })
    }

    /// Statistics of each row group with the extremes as stored (what
    /// ranges and intersections compare).
    pub(crate) fn stored_stats(&self) -> Vec<RowGroupStats> {
        self.snapshot().map_or_else(Vec::new, |s| s.stats.clone())
    }

    /// The Arrow schema, once something was written.
    pub fn schema(&self) -> Option<SchemaRef> {
        self.snapshot().map(|s| s.schema.clone())
    }

    /// The ordered column, once something was written.
    pub fn ordered_on(&self) -> Option<String> {
        self.snapshot().map(|s| s.ordered_on.clone())
    }

    /// User key-value metadata.
    pub fn key_value_metadata(&self) -> BTreeMap<String, String> {
        self.snapshot()
            .map_or_else(BTreeMap::new, |s| s.key_value_metadata.clone())
    }

    pub(crate) fn snapshot(&self) -> Option<Arc<Snapshot>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn snapshot_or_not_found(&self) -> Result<Arc<Snapshot>> {
        self.snapshot()
            .ok_or_else(|| Error::DatasetNotFound { path: self.path() })
    }

    fn set_current(&self, snapshot: Option<Arc<Snapshot>>) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = snapshot;
    }

    pub(crate) fn file_path(&self, name: &str) -> String {
        join(&self.prefix, name)
    }

    /// The storage holding the dataset, and the dataset's directory in it.
    #[cfg(feature = "sql")]
    pub(crate) fn storage_and_prefix(&self) -> (&Arc<dyn Storage>, &str) {
        (&self.storage, &self.prefix)
    }

    /// Names this dataset in an Arrow error that names no dataset yet.
    pub(crate) fn located(&self) -> impl FnOnce(Error) -> Error + '_ {
        move |e| e.in_dataset(|| self.path())
    }

    pub(crate) fn io_error(&self, name: &str) -> impl FnOnce(std::io::Error) -> Error + '_ {
        let path = self.storage.display_path(&self.file_path(name));
        move |source| Error::Io { path, source }
    }
}
