//! The write path: validate, lock, plan, write immutable files, publish
//! the next commit record with create-if-absent, checkpoint when due.
//!
//! Its parts: `base` (the version a commit builds on, the lock, the
//! optimistic check and retry on shared storage), [`conform`] (new data
//! against the dataset's schema),
//! [`dedup`] (keep-last), [`merge`] (stable merge and the cutter),
//! [`plan`] (pure decisions: overlap and coalescing), [`layout`] (the row
//! groups a write builds, executing the plan), `publish` (files, record,
//! state), `stream` (a stream of batches in one commit, bounded memory).

mod base;
pub(crate) mod conform;
pub(crate) mod dedup;
mod layout;
pub(crate) mod merge;
pub(crate) mod plan;
mod publish;
mod stream;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

use self::base::Base;
use self::layout::Layout;
use super::{OrderedParquetDataset, Snapshot, overlapping};

use self::conform::{conform, initial_schema};
use self::merge::Cutter;
use crate::error::{Error, Result};
use crate::format::manifest::{self, FORMAT_NAME, RowGroupEntry};
use crate::format::record::{Operation, RECORD_FORMAT_VERSION, Record, new_commit_id};
use crate::options::period::Bucketer;
use crate::options::{Coalesce, CompactOptions, RowGroupTarget, WriteOptions};
use crate::value::OrderedValue;
use crate::value::stored::{bound_to_stored, check_ordered};
use parquet::basic::Compression;

/// What a write did.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct WriteReport {
    /// The version the dataset is at after the write.
    pub version: u64,
    /// Whether the write committed a new version (a write that changes
    /// nothing does not).
    pub committed: bool,
    /// Rows written into new row-group files (new and rewritten rows).
    pub rows_written: u64,
    /// New row-group files.
    pub row_groups_written: usize,
    /// Existing row groups read and rewritten (overlapped by the new rows,
    /// or merged by coalescing).
    pub row_groups_rewritten: usize,
    /// Rows of those existing row groups.
    pub rows_rewritten: u64,
    /// Bytes of the new row-group files.
    pub bytes_written: u64,
    /// An error of the garbage collection that follows some commits; the
    /// commit itself succeeded and the collection is retried later.
    pub gc_error: Option<Arc<Error>>,
    /// An error writing the checkpoint that follows some commits; the
    /// commit itself succeeded and a later commit writes one.
    pub checkpoint_error: Option<Arc<Error>>,
}

impl PartialEq for WriteReport {
    /// Equal counts and version; errors compare by their message.
    fn eq(&self, other: &Self) -> bool {
        let gc = |r: &Self| {
            let text = |e: &Option<Arc<Error>>| e.as_ref().map(ToString::to_string);
            (text(&r.gc_error), text(&r.checkpoint_error))
        };
        (self.version, self.committed, self.rows_written)
            == (other.version, other.committed, other.rows_written)
            && (self.row_groups_written, self.row_groups_rewritten)
                == (other.row_groups_written, other.row_groups_rewritten)
            && (self.rows_rewritten, self.bytes_written)
                == (other.rows_rewritten, other.bytes_written)
            && gc(self) == gc(other)
    }
}

/// The cutter of a row-group target for the ordered column of `schema`;
/// a period target on a column that is not a timestamp or date is an
/// error.
pub(crate) fn cutter(
    target: &RowGroupTarget,
    schema: &SchemaRef,
    ordered_on: &str,
) -> Result<Cutter> {
    Ok(match target {
        RowGroupTarget::Rows(n) => Cutter::Rows(*n),
        RowGroupTarget::Period(p) => {
            let dt = schema
                .field_with_name(ordered_on)
                .expect("checked")
                .data_type();
            Cutter::Period(Bucketer::new(*p, dt, ordered_on)?)
        }
    })
}

/// What a commit does to the layout.
#[derive(Clone)]
enum Change {
    /// Merge new rows (conformed to the dataset's schema, deduplicated
    /// among themselves on `dedup_key`), then coalesce.
    Write {
        data: RecordBatch,
        dedup_key: Option<Vec<usize>>,
    },
    /// Re-cut these row groups.
    Compact(std::ops::Range<usize>),
    /// Change the key-value metadata only.
    Metadata,
    /// Nothing, but commit even so when the dataset is in format 1.
    Upgrade,
}

impl Change {
    fn operation(&self) -> Operation {
        match self {
            Self::Write { .. } => Operation::Write,
            Self::Compact(_) => Operation::Compact,
            Self::Metadata => Operation::Metadata,
            Self::Upgrade => Operation::Upgrade,
        }
    }
}

/// How a commit writes: the coalescing of a write, the compression of
/// new files and the key-value metadata changes.
struct CommitOptions<'a> {
    coalesce: &'a Coalesce,
    compression: Compression,
    metadata: &'a [(String, Option<String>)],
}

impl<'a> From<&'a WriteOptions> for CommitOptions<'a> {
    fn from(o: &'a WriteOptions) -> Self {
        Self {
            coalesce: &o.coalesce,
            compression: o.compression,
            metadata: &o.key_value_metadata,
        }
    }
}

/// Auto garbage collection runs after every this many versions.
const GC_EVERY: u64 = 8;

impl OrderedParquetDataset {
    /// Merges `batch` into the dataset and commits a new version.
    ///
    /// The batch must be sorted on `options.ordered_on()` (ties allowed),
    /// without nulls or NaN there, and match the dataset's schema (column
    /// order may differ). On any error nothing changes on disk. See the
    /// type's docs for an example.
    pub fn write(&self, batch: &RecordBatch, options: &WriteOptions) -> Result<WriteReport> {
        // Everything that can be checked on the data alone is, before the
        // lock is taken.
        options.check()?;
        let column = &options.ordered_on;
        let idx = ordered_index(batch, column)?;
        check_ordered(batch.column(idx), column)?;
        // Conformance never changes the ordered column's kind, so the
        // cutter holds for the conformed rows too.
        let cutter = cutter(&options.target, batch.schema_ref(), column)?;
        let fresh_schema = initial_schema(batch)?;
        dedup::key_columns(&options.duplicates_on, batch, idx)?;

        self.retrying(|| {
            let _guard = self.lock()?;
            let found_at = std::time::Instant::now();
            let (last_version, current, speculative) = self.base_for_write()?;
            let schema = self.schema_for_write(current.as_deref(), column, &fresh_schema)?;
            let data = conform(batch, &schema).map_err(self.located())?;
            let idx = schema.index_of(column).expect("conformed");
            let dedup_key = dedup::key_columns(&options.duplicates_on, &data, idx)?;
            let data = match &dedup_key {
                Some(key) => dedup::keep_last(&data, idx, key).map_err(self.located())?,
                None => data,
            };
            let base = Base {
                current,
                last_version,
                schema,
                idx,
                cutter: cutter.clone(),
                speculative,
                found_at,
            };
            self.commit(base, Change::Write { data, dedup_key }, options.into())
                .map_err(self.located())
        })
    }

    /// The schema of a write of rows ordered on `column` on top of
    /// `current`: the dataset's, or `fresh` for a new dataset. A dataset
    /// ordered on another column is an error.
    fn schema_for_write(
        &self,
        current: Option<&Snapshot>,
        column: &str,
        fresh: &SchemaRef,
    ) -> Result<SchemaRef> {
        match current {
            Some(s) if s.ordered_on != column => Err(Error::OrderedOnMismatch {
                path: self.path(),
                dataset: s.ordered_on.clone(),
                given: column.to_owned(),
            }),
            Some(s) => Ok(s.schema.clone()),
            None => Ok(fresh.clone()),
        }
    }

    /// Rewrites the whole dataset into row groups of `options`' target.
    /// The rows do not change; a dataset already cut to the target commits
    /// nothing. The new groups are held in memory until written.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ordo_store::arrow::array::{Int64Array, RecordBatch};
    /// # use ordo_store::arrow::datatypes::{DataType, Field, Schema};
    /// use ordo_store::{Coalesce, CompactOptions, OpenOptions, OrderedParquetDataset, RowGroupTarget, WriteOptions};
    /// use ordo_store::storage::MemoryStorage;
    /// let memory = OpenOptions::new().storage(Arc::new(MemoryStorage::new()));
    /// let ds = OrderedParquetDataset::open_with("d", &memory)?;
    /// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
    /// let opts = WriteOptions::new("ts").coalesce(Coalesce::Never);
    /// for i in 0..20 {
    ///     let b = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(vec![i]))])?;
    ///     ds.write(&b, &opts)?;
    /// }
    /// assert_eq!(ds.num_row_groups(), 20);
    /// let ten = CompactOptions::new().row_group_target_size(RowGroupTarget::Rows(10));
    /// ds.compact(&ten)?;
    /// assert_eq!(ds.num_row_groups(), 2);
    /// assert!(!ds.compact(&ten)?.committed); // already compact
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compact(&self, options: &CompactOptions) -> Result<WriteReport> {
        self.compact_groups(options, None)
    }

    /// Like [`compact`](Self::compact), for the row groups holding rows in
    /// `[start, end_excl)` only (whole row groups are rewritten).
    pub fn compact_range(
        &self,
        start: impl Into<OrderedValue>,
        end_excl: impl Into<OrderedValue>,
        options: &CompactOptions,
    ) -> Result<WriteReport> {
        self.compact_groups(options, Some((start.into(), end_excl.into())))
    }

    fn compact_groups(
        &self,
        options: &CompactOptions,
        bounds: Option<(OrderedValue, OrderedValue)>,
    ) -> Result<WriteReport> {
        options.target.check()?;
        self.retrying(|| {
            let (_guard, last_version, snapshot) = self.lock_existing()?;
            let schema = snapshot.schema.clone();
            let groups = match &bounds {
                None => 0..snapshot.stats.len(),
                Some((start, end)) => {
                    let dt = schema.field(snapshot.ordered_index()).data_type();
                    let column = &snapshot.ordered_on;
                    // A start above every storable value selects nothing; an
                    // end above every storable value is no bound.
                    match bound_to_stored(start, dt, column)? {
                        None => 0..0,
                        Some(lo) => {
                            let hi = bound_to_stored(end, dt, column)?;
                            overlapping(&snapshot.stats, Some(&lo), hi.as_ref())
                        }
                    }
                }
            };
            let cutter = cutter(&options.target, &schema, &snapshot.ordered_on)?;
            let base = Base::existing(snapshot, last_version, cutter);
            let commit = CommitOptions {
                coalesce: &Coalesce::Never,
                compression: options.compression,
                metadata: &[],
            };
            self.commit(base, Change::Compact(groups), commit)
                .map_err(self.located())
        })
    }

    /// Changes the key-value metadata: `Some` adds or updates a key, `None`
    /// removes it. Commits a version that differs from the latest in its
    /// metadata only, or nothing when nothing changes; the dataset must
    /// exist ([`Error::DatasetNotFound`]). To change metadata together with
    /// data, use [`WriteOptions::key_value_metadata`].
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ordo_store::arrow::array::{Int64Array, RecordBatch};
    /// # use ordo_store::arrow::datatypes::{DataType, Field, Schema};
    /// use ordo_store::{OrderedParquetDataset, WriteOptions};
    /// let dir = tempfile::tempdir()?;
    /// let ds = OrderedParquetDataset::open(dir.path())?;
    /// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
    /// # let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(vec![1]))])?;
    /// ds.write(&batch, &WriteOptions::new("ts"))?;
    /// let report = ds.set_metadata([("source", Some("station 7")), ("draft", None)])?;
    /// assert_eq!((report.version, report.rows_written), (2, 0));
    /// assert_eq!(ds.key_value_metadata()["source"], "station 7");
    /// assert!(!ds.set_metadata([("source", Some("station 7"))])?.committed);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_metadata<K, V>(
        &self,
        changes: impl IntoIterator<Item = (K, Option<V>)>,
    ) -> Result<WriteReport>
    where
        K: Into<String>,
        V: Into<String>,
    {
        let changes: Vec<(String, Option<String>)> = changes
            .into_iter()
            .map(|(k, v)| (k.into(), v.map(Into::into)))
            .collect();
        self.commit_without_rows(Change::Metadata, &changes)
    }

    /// A commit of an existing dataset that cuts no row group: metadata
    /// changes, or the upgrade.
    fn commit_without_rows(
        &self,
        change: Change,
        metadata: &[(String, Option<String>)],
    ) -> Result<WriteReport> {
        self.retrying(|| {
            let (_guard, last_version, snapshot) = self.lock_existing()?;
            // No row group is cut: any cutter does.
            let cutter = Cutter::Rows(crate::options::DEFAULT_ROW_GROUP_ROWS);
            let base = Base::existing(snapshot, last_version, cutter);
            let commit = CommitOptions {
                coalesce: &Coalesce::Never,
                compression: crate::options::default_compression(),
                metadata,
            };
            self.commit(base, change.clone(), commit)
        })
    }

    /// Upgrades a dataset written in format 1 (whole-version manifests) to
    /// format 2 (commit records and checkpoints): commits a version that
    /// changes nothing but the format, and its checkpoint. A dataset
    /// already in format 2 commits nothing. Any commit upgrades a format-1
    /// dataset the same way; this is for doing it ahead of time.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ordo_store::arrow::array::{Int64Array, RecordBatch};
    /// # use ordo_store::arrow::datatypes::{DataType, Field, Schema};
    /// use ordo_store::{OrderedParquetDataset, WriteOptions};
    /// let dir = tempfile::tempdir()?;
    /// let ds = OrderedParquetDataset::open(dir.path())?;
    /// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
    /// # let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(vec![1]))])?;
    /// ds.write(&batch, &WriteOptions::new("ts"))?;
    /// assert!(!ds.upgrade()?.committed); // written in format 2 already
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn upgrade(&self) -> Result<WriteReport> {
        self.commit_without_rows(Change::Upgrade, &[])
    }

    /// Builds the new layout, writes its new row groups and publishes the
    /// next commit record; commits nothing when nothing changes.
    fn commit(
        &self,
        base: Base,
        change: Change,
        options: CommitOptions<'_>,
    ) -> Result<WriteReport> {
        let operation = change.operation();
        let layout = self.new_layout(&base, change, options.coalesce)?;
        let mut report = WriteReport {
            version: base.last_version,
            row_groups_rewritten: layout.groups_rewritten,
            rows_rewritten: layout.rows_rewritten,
            ..WriteReport::default()
        };
        let (metadata_set, metadata_unset) =
            metadata_changes(base.current.as_deref(), options.metadata);
        if let Some(s) = &base.current
            && layout.unchanged(s.stats.len())
            && metadata_set.is_empty()
            && metadata_unset.is_empty()
            // Only a format-1 manifest's state has no commit id.
            && !(operation == Operation::Upgrade && s.commit_id.is_none())
        {
            // Nothing to commit; the handle still moves to the latest.
            self.set_current(Some(s.clone()));
            return Ok(report);
        }
        let version = base.last_version + 1;
        let new_batches = layout.new_groups();
        let entries = self.write_files_on(version, &base, &new_batches, options.compression)?;
        report.row_groups_written = entries.len();
        report.rows_written = new_batches.iter().map(|b| b.num_rows() as u64).sum();
        report.bytes_written = entries.iter().map(|e| e.size).sum();
        let removed = layout.removed_files();
        let metadata = (metadata_set, metadata_unset);
        let record = new_record(&base, version, operation, entries, removed, metadata);
        let kept: Vec<(&str, &RecordBatch)> = record
            .add
            .iter()
            .map(|e| e.file.as_str())
            .zip(new_batches.iter().copied())
            .collect();
        self.publish(&record, &kept, base.found_at)?;
        drop(kept);
        drop(layout);
        self.after_publish(base.current, &record, &mut report)?;
        Ok(report)
    }

    /// The layout after `change`: merged and coalesced, or re-cut.
    fn new_layout<'a>(
        &'a self,
        base: &'a Base,
        change: Change,
        coalesce: &Coalesce,
    ) -> Result<Layout<'a>> {
        let mut layout = Layout::new(
            self,
            base.current.as_deref(),
            base.schema.clone(),
            base.idx,
            base.cutter.clone(),
        );
        match change {
            Change::Write { data, dedup_key } => {
                let touched = if data.num_rows() > 0 {
                    layout.merge(&data, dedup_key.as_deref())?
                } else {
                    Some(0..0)
                };
                // Rows that change nothing leave the layout as it is.
                if let Some(touched) = touched {
                    layout.coalesce(touched, coalesce)?;
                }
            }
            Change::Compact(groups) => layout.recut(groups)?,
            Change::Metadata | Change::Upgrade => {}
        }
        Ok(layout)
    }
}

/// The index of the ordered column `column` in `batch`.
fn ordered_index(batch: &RecordBatch, column: &str) -> Result<usize> {
    let schema = batch.schema_ref();
    schema
        .index_of(column)
        .map_err(|_| Error::MissingOrderedColumn {
            column: column.to_owned(),
            available: schema
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The record of version `version` on top of `base`: `add` new files (in
/// order), `remove` files of the base, `metadata` keys set and unset.
fn new_record(
    base: &Base,
    version: u64,
    operation: Operation,
    add: Vec<RowGroupEntry>,
    remove: Vec<String>,
    metadata: (BTreeMap<String, String>, Vec<String>),
) -> Record {
    Record {
        format: FORMAT_NAME.into(),
        format_version: RECORD_FORMAT_VERSION,
        version,
        commit_id: new_commit_id(),
        created_at_ms: now_ms(),
        operation,
        ordered_on: base.schema.field(base.idx).name().clone(),
        schema: base
            .current
            .is_none()
            .then(|| manifest::encode_schema(&base.schema)),
        add,
        remove,
        metadata_set: metadata.0,
        metadata_unset: metadata.1,
        removed: false,
    }
}

/// The keys `changes` set to a new value and the keys they remove, against
/// `current`'s metadata.
fn metadata_changes(
    current: Option<&Snapshot>,
    changes: &[(String, Option<String>)],
) -> (BTreeMap<String, String>, Vec<String>) {
    let mut kv = current.map_or_else(BTreeMap::new, |s| s.key_value_metadata.clone());
    for (k, v) in changes {
        match v {
            Some(v) => kv.insert(k.clone(), v.clone()),
            None => kv.remove(k),
        };
    }
    let before = current.map(|s| &s.key_value_metadata);
    let set = kv
        .iter()
        .filter(|(k, v)| before.and_then(|b| b.get(*k)) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let unset = before
        .into_iter()
        .flat_map(|b| b.keys())
        .filter(|k| !kv.contains_key(*k))
        .cloned()
        .collect();
    (set, unset)
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
