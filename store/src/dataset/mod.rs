//! [`OrderedParquetDataset`]: one directory of sorted, non-overlapping
//! Parquet row groups published by numbered manifests.
//!
//! A handle is a view pinned to one version: its accessors and reads all
//! see that version, so statistics always match what is read. It moves to
//! a newer version when it writes, or on [`OrderedParquetDataset::refresh`].
//! Readers take no lock; writers serialize on `_ordo/lock`.

mod maintain;
mod read;
mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use arrow::datatypes::SchemaRef;

use crate::error::{Error, Result};
use crate::format::manifest::{self, DecodeError, MANIFEST_DIR, Manifest};
use crate::options::Retention;
use crate::options::open::OpenOptions;
use crate::storage::{Storage, join};
use crate::value::OrderedValue;
use crate::value::stored::{cmp_values, typed};

pub use maintain::{GcReport, Violation};
pub use read::{ReadOptions, Scan};
pub use write::WriteReport;

/// Statistics of one row group, as recorded in the manifest, with the
/// ordered column's extremes in its type (see [`OrderedValue`]).
///
/// ```
/// # use std::sync::Arc;
/// # use ordo_store::arrow::array::{RecordBatch, TimestampSecondArray};
/// # use ordo_store::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
/// use ordo_store::{OrderedParquetDataset, WriteOptions};
/// let dir = tempfile::tempdir()?;
/// let ts = DataType::Timestamp(TimeUnit::Second, Some("Europe/Berlin".into()));
/// let schema = Arc::new(Schema::new(vec![Field::new("ts", ts, false)]));
/// let times = TimestampSecondArray::from(vec![1_704_067_200, 1_704_070_800])
///     .with_timezone("Europe/Berlin");
/// let batch = RecordBatch::try_new(schema, vec![Arc::new(times)])?;
/// let ds = OrderedParquetDataset::open(dir.path())?;
/// ds.write(&batch, &WriteOptions::new("ts"))?;
/// let stats = &ds.row_group_stats()[0];
/// assert_eq!(stats.min.to_string(), "2024-01-01T01:00:00+01:00");
/// assert_eq!(stats.to_string(), format!("{}: 2 rows, 2024-01-01T01:00:00+01:00 .. 2024-01-01T02:00:00+01:00", stats.file));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RowGroupStats {
    /// The Parquet file holding the row group, relative to the dataset.
    pub file: String,
    /// Number of rows.
    pub num_rows: u64,
    /// Smallest ordered value.
    pub min: OrderedValue,
    /// Largest ordered value.
    pub max: OrderedValue,
    /// File size in bytes.
    pub size_bytes: u64,
}

impl std::fmt::Display for RowGroupStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} rows, {} .. {}",
            self.file, self.num_rows, self.min, self.max
        )
    }
}

impl RowGroupStats {
    /// These statistics with the extremes in the type `dt` of the ordered
    /// column instead of their stored form.
    fn typed(&self, dt: &arrow::datatypes::DataType) -> Self {
        Self {
            min: typed(&self.min, dt),
            max: typed(&self.max, dt),
            ..self.clone()
        }
    }
}

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

/// One committed version, decoded.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub manifest: Manifest,
    pub schema: SchemaRef,
    pub stats: Vec<RowGroupStats>,
}

impl Snapshot {
    fn new(manifest: Manifest) -> Self {
        let schema = manifest.schema();
        Self::with_schema(manifest, schema)
    }

    /// A snapshot whose schema is already decoded (the manifest's `schema`
    /// must encode it).
    pub(crate) fn with_schema(manifest: Manifest, schema: SchemaRef) -> Self {
        let dt = schema
            .field_with_name(&manifest.ordered_on)
            .expect("checked on decode")
            .data_type()
            .clone();
        let stats = manifest
            .row_groups
            .iter()
            .map(|rg| RowGroupStats {
                file: rg.file.clone(),
                num_rows: rg.num_rows,
                min: manifest::stat_from_json(&rg.min, &dt).expect("checked on decode"),
                max: manifest::stat_from_json(&rg.max, &dt).expect("checked on decode"),
                size_bytes: rg.size,
            })
            .collect();
        Self {
            manifest,
            schema,
            stats,
        }
    }

    pub(crate) fn ordered_index(&self) -> usize {
        self.schema
            .index_of(&self.manifest.ordered_on)
            .expect("checked on decode")
    }
}

/// An ordered Parquet dataset: sorted, non-overlapping Parquet row groups
/// published by numbered manifests. A handle is a view pinned to one
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
    /// The rule of the collection after commits.
    retention: Retention,
    current: RwLock<Option<Arc<Snapshot>>>,
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
        let (storage, prefix) = options.locate(path.as_ref());
        let ds = Self {
            storage,
            prefix,
            lock_timeout: options.lock_timeout,
            retention: options.retention.clone(),
            current: RwLock::new(None),
        };
        ds.refresh()?;
        Ok(ds)
    }

    /// A handle on the same dataset pinned to an older, still retained
    /// version (time travel).
    pub fn at_version(&self, version: u64) -> Result<Self> {
        let manifest = self
            .load_manifest(version)?
            .ok_or_else(|| Error::VersionNotFound {
                path: self.path(),
                version,
            })?;
        let snapshot = (!manifest.removed).then(|| Arc::new(Snapshot::new(manifest)));
        Ok(Self {
            storage: self.storage.clone(),
            prefix: self.prefix.clone(),
            lock_timeout: self.lock_timeout,
            retention: self.retention.clone(),
            current: RwLock::new(snapshot),
        })
    }

    /// Moves this handle to the latest committed version.
    pub fn refresh(&self) -> Result<()> {
        let latest = self.load_latest()?;
        self.set_current(
            latest
                .filter(|m| !m.removed)
                .map(|m| Arc::new(Snapshot::new(m))),
        );
        Ok(())
    }

    /// The dataset directory (for messages; `memory://...` in memory).
    pub fn path(&self) -> PathBuf {
        self.storage.display_path(&self.prefix)
    }

    /// The version this handle sees; `None` when nothing was committed.
    pub fn version(&self) -> Option<u64> {
        self.snapshot().map(|s| s.manifest.version)
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
            let dt = s.schema.field(s.ordered_index()).data_type().clone();
            s.stats.iter().map(|r| r.typed(&dt)).collect()
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
        self.snapshot().map(|s| s.manifest.ordered_on.clone())
    }

    /// User key-value metadata.
    pub fn key_value_metadata(&self) -> BTreeMap<String, String> {
        self.snapshot()
            .map_or_else(BTreeMap::new, |s| s.manifest.key_value_metadata.clone())
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

    /// Names this dataset in an Arrow error that names no dataset yet.
    pub(crate) fn located(&self) -> impl FnOnce(Error) -> Error + '_ {
        move |e| e.in_dataset(|| self.path())
    }

    pub(crate) fn io_error(&self, name: &str) -> impl FnOnce(std::io::Error) -> Error + '_ {
        let path = self.storage.display_path(&self.file_path(name));
        move |source| Error::Io { path, source }
    }

    fn list_versions(&self) -> Result<Vec<u64>> {
        let dir = self.file_path(MANIFEST_DIR);
        let names = self.storage.list(&dir).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotADirectory {
                // The dataset path (or a directory above it) is a file.
                Error::NotADirectory { path: self.path() }
            } else {
                self.io_error(MANIFEST_DIR)(e)
            }
        })?;
        let mut versions: Vec<u64> = names
            .iter()
            .filter_map(|n| manifest::parse_manifest_name(n))
            .collect();
        versions.sort_unstable();
        Ok(versions)
    }

    /// Reads manifest `version`; `Ok(None)` if it does not exist.
    pub(crate) fn load_manifest(&self, version: u64) -> Result<Option<Manifest>> {
        let name = manifest::manifest_path(version);
        let bytes = match self.storage.read(&self.file_path(&name)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io_error(&name)(e)),
        };
        let path = self.storage.display_path(&self.file_path(&name));
        match Manifest::decode(&bytes) {
            Ok(m) if m.version == version => Ok(Some(m)),
            Ok(m) => Err(Error::CorruptManifest {
                path,
                reason: format!("it says version {}, its name says {version}", m.version),
            }),
            Err(DecodeError::Corrupt(reason)) => Err(Error::CorruptManifest { path, reason }),
            Err(DecodeError::NewerFormat(found)) => Err(Error::UnsupportedFormatVersion {
                path,
                found,
                supported: manifest::FORMAT_VERSION,
            }),
        }
    }

    /// The latest manifest (possibly a tombstone), if any.
    pub(crate) fn load_latest(&self) -> Result<Option<Manifest>> {
        // A collector only deletes versions older than the latest, so a
        // manifest listed and then gone means a newer one exists: retry.
        for _ in 0..8 {
            let Some(&latest) = self.list_versions()?.last() else {
                return Ok(None);
            };
            if let Some(m) = self.load_manifest(latest)? {
                return Ok(Some(m));
            }
        }
        Err(Error::CorruptManifest {
            path: self.path(),
            reason: "the latest manifest keeps disappearing while being read".into(),
        })
    }
}
