//! The write path: validate, lock, plan, write immutable files, publish
//! the next manifest with create-if-absent.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use rayon::prelude::*;

use super::{OrderedParquetDataset, Snapshot};

use crate::conform::{conform, initial_schema};
use crate::dedup;
use crate::error::{Error, Result};
use crate::manifest::{self, LOCK_FILE, MANIFEST_DIR, Manifest, RowGroupEntry};
use crate::options::{RowGroupTarget, WriteOptions};
use crate::plan::{self, Placement};
use crate::rowfile;
use crate::storage::{LockGuard, random_u64};
use crate::value::{check_ordered, kind_of, value_at};

/// What a write did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteReport {
    /// The version the dataset is at after the write.
    pub version: u64,
    /// Whether the write committed a new version (a write that changes
    /// nothing does not).
    pub committed: bool,
    /// Rows written into new row-group files.
    pub rows_written: u64,
    /// New row-group files.
    pub row_groups_written: usize,
    /// Existing row groups read and rewritten.
    pub row_groups_rewritten: usize,
    /// Bytes of the new row-group files.
    pub bytes_written: u64,
    /// An error of the garbage collection that follows some commits; the
    /// commit itself succeeded and the collection is retried later.
    pub gc_error: Option<String>,
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
        options.check()?;
        let column = &options.ordered_on;
        let idx = batch
            .schema()
            .index_of(column)
            .map_err(|_| Error::MissingOrderedColumn {
                column: column.clone(),
                available: batch
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.name().as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let ordered = batch.column(idx);
        if kind_of(ordered.data_type()).is_none() {
            return Err(Error::UnsupportedOrderedType {
                column: column.clone(),
                data_type: ordered.data_type().to_string(),
            });
        }
        check_ordered(ordered, column)?;
        let fresh_schema = initial_schema(batch)?;
        dedup::key_columns(&options.duplicates_on, batch, idx)?;

        let _guard = self.lock(options.lock_timeout)?;
        let (last_version, current) = self.latest_locked()?;
        let schema = match &current {
            Some(s) if s.manifest.ordered_on != *column => {
                return Err(Error::OrderedOnMismatch {
                    path: self.path(),
                    dataset: s.manifest.ordered_on.clone(),
                    given: column.clone(),
                });
            }
            Some(s) => s.schema.clone(),
            None => fresh_schema,
        };
        let data = conform(batch, &schema)?;
        let idx = schema.index_of(column).expect("conformed");
        let data = match dedup::key_columns(&options.duplicates_on, &data, idx)? {
            Some(key) => dedup::keep_last(&data, idx, &key)?,
            None => data,
        };
        self.commit(current, last_version, &schema, &data, options)
    }

    /// The latest version number (tombstones included) and snapshot, with
    /// the lock held. Versions are contiguous and only lock holders add
    /// them, so when manifest `v + 1` does not exist this handle's version
    /// `v` is the latest and its snapshot is reused without a listing.
    pub(crate) fn latest_locked(&self) -> Result<(u64, Option<Arc<Snapshot>>)> {
        if let Some(s) = self.snapshot() {
            let next = format!(
                "{MANIFEST_DIR}/{}",
                manifest::manifest_name(s.manifest.version + 1)
            );
            match self.storage.size(&self.file_path(&next)) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Ok((s.manifest.version, Some(s)));
                }
                Err(e) => return Err(self.io_error(&next)(e)),
                Ok(_) => {}
            }
        }
        let latest = self.load_latest()?;
        let version = latest.as_ref().map_or(0, |m| m.version);
        Ok((
            version,
            latest
                .filter(|m| !m.removed)
                .map(|m| Arc::new(Snapshot::new(m))),
        ))
    }

    pub(crate) fn lock(&self, timeout: std::time::Duration) -> Result<LockGuard> {
        let path = self.file_path(LOCK_FILE);
        self.storage
            .lock(&path, timeout)
            .map_err(self.io_error(LOCK_FILE))?
            .ok_or_else(|| Error::LockTimeout {
                path: self.storage.display_path(&path),
                waited: timeout,
            })
    }

    fn commit(
        &self,
        current: Option<Arc<Snapshot>>,
        last_version: u64,
        schema: &SchemaRef,
        data: &RecordBatch,
        options: &WriteOptions,
    ) -> Result<WriteReport> {
        let version = last_version + 1;
        let idx = schema.index_of(&options.ordered_on).expect("conformed");
        let mut row_groups = current
            .as_ref()
            .map_or_else(Vec::new, |s| s.manifest.row_groups.clone());
        let mut report = WriteReport {
            version: last_version,
            ..WriteReport::default()
        };

        if data.num_rows() > 0 {
            let existing: Vec<_> = current
                .as_ref()
                .map(|s| {
                    s.stats
                        .iter()
                        .map(|r| (r.min.clone(), r.max.clone()))
                        .collect()
                })
                .unwrap_or_default();
            let new_min = value_at(data.column(idx).as_ref(), 0);
            if plan::placement(&existing, &new_min) == Placement::Overlap {
                let (first, last) = (&existing[0].0, &existing[existing.len() - 1].1);
                let new_max = value_at(data.column(idx).as_ref(), data.num_rows() - 1);
                return Err(Error::OverlapNotSupported {
                    path: self.path(),
                    detail: format!(
                        "new rows span [{new_min}, {new_max}], existing rows [{first}, {last}]"
                    ),
                });
            }
            let RowGroupTarget::Rows(target) = options.target;
            let chunks = plan::cut_rows(data.column(idx).as_ref(), target);
            let entries = self.write_files(version, schema, data, &chunks, options)?;
            report.rows_written = data.num_rows() as u64;
            report.row_groups_written = entries.len();
            report.bytes_written = entries.iter().map(|e| e.size).sum();
            row_groups.extend(entries);
        }

        let mut kv = current
            .as_ref()
            .map_or_else(BTreeMap::new, |s| s.manifest.key_value_metadata.clone());
        for (k, v) in &options.key_value_metadata {
            match v {
                Some(v) => kv.insert(k.clone(), v.clone()),
                None => kv.remove(k),
            };
        }
        if let Some(s) = current.clone()
            && report.row_groups_written == 0
            && kv == s.manifest.key_value_metadata
        {
            // Nothing to commit; the handle still moves to the latest.
            self.set_current(Some(s));
            return Ok(report);
        }
        let manifest = Manifest {
            format: manifest::FORMAT_NAME.into(),
            format_version: manifest::FORMAT_VERSION,
            version,
            created_at_ms: now_ms(),
            ordered_on: options.ordered_on.clone(),
            schema: current.as_ref().map_or_else(
                || manifest::encode_schema(schema),
                |s| s.manifest.schema.clone(),
            ),
            key_value_metadata: kv,
            row_groups,
            removed: false,
        };
        let new_files: Vec<String> = manifest.row_groups
            [manifest.row_groups.len() - report.row_groups_written..]
            .iter()
            .map(|e| e.file.clone())
            .collect();
        if let Err(e) = self.publish(&manifest) {
            // Delete the new files, unless the manifest did get published
            // (e.g. the final directory sync failed): then they are live.
            if !self.manifest_exists(manifest.version) {
                for f in &new_files {
                    let _ = self.storage.delete(&self.file_path(f));
                }
            }
            return Err(e);
        }
        report.version = version;
        report.committed = true;
        self.set_current(Some(Arc::new(Snapshot::with_schema(
            manifest,
            schema.clone(),
        ))));
        if version.is_multiple_of(GC_EVERY)
            && let Err(e) = self.gc_locked(&options.retention)
        {
            report.gc_error = Some(e.to_string());
        }
        Ok(report)
    }

    /// Encodes `chunks` of `data` (in parallel) and writes one file each.
    /// On error, files already written are deleted again.
    fn write_files(
        &self,
        version: u64,
        schema: &SchemaRef,
        data: &RecordBatch,
        chunks: &[std::ops::Range<usize>],
        options: &WriteOptions,
    ) -> Result<Vec<RowGroupEntry>> {
        let idx = schema.index_of(&options.ordered_on).expect("conformed");
        let salt = random_u64();
        let encode = |(seq, range): (usize, &std::ops::Range<usize>)| -> Result<RowGroupEntry> {
            let chunk = data.slice(range.start, range.len());
            let props = rowfile::writer_properties(
                schema,
                &options.ordered_on,
                options.compression,
                range.len(),
            )?;
            let bytes = rowfile::encode(&chunk, props)?;
            let file = manifest::data_file_name(version, seq, salt);
            self.storage
                .put(&self.file_path(&file), &bytes)
                .map_err(self.io_error(&file))?;
            let ordered = chunk.column(idx);
            Ok(RowGroupEntry {
                file,
                num_rows: range.len() as u64,
                min: manifest::stat_to_json(&value_at(ordered.as_ref(), 0)),
                max: manifest::stat_to_json(&value_at(ordered.as_ref(), range.len() - 1)),
                size: bytes.len() as u64,
            })
        };
        let results: Vec<Result<RowGroupEntry>> = if chunks.len() > 1 {
            chunks.par_iter().enumerate().map(encode).collect()
        } else {
            chunks.iter().enumerate().map(encode).collect()
        };
        if results.iter().any(Result::is_err) {
            for entry in results.iter().flatten() {
                let _ = self.storage.delete(&self.file_path(&entry.file));
            }
            return Err(results.into_iter().find_map(Result::err).expect("an error"));
        }
        Ok(results.into_iter().map(|r| r.expect("checked")).collect())
    }

    fn manifest_exists(&self, version: u64) -> bool {
        let name = format!("{MANIFEST_DIR}/{}", manifest::manifest_name(version));
        self.storage.size(&self.file_path(&name)).is_ok()
    }

    /// Publishes `manifest` as the next version, create-if-absent.
    pub(crate) fn publish(&self, manifest: &Manifest) -> Result<()> {
        let name = format!(
            "{MANIFEST_DIR}/{}",
            manifest::manifest_name(manifest.version)
        );
        let created = self
            .storage
            .put_if_absent(&self.file_path(&name), &manifest.encode())
            .map_err(self.io_error(&name))?;
        if !created {
            return Err(Error::ConcurrentCommit {
                path: self.path(),
                version: manifest.version,
            });
        }
        Ok(())
    }
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
