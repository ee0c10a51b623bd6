//! The last steps of every commit: the new row groups' files (encoded in
//! parallel), the record published with create-if-absent (or the files
//! deleted again), the handle's new state, and the checkpoint and garbage
//! collection some commits are followed by.

use std::sync::Arc;

use arrow::array::RecordBatch;
use parquet::basic::Compression;
use rayon::prelude::*;

use super::base::Base;
use super::{GC_EVERY, WriteReport};
use crate::dataset::{OrderedParquetDataset, Snapshot};
use crate::error::{Error, Result};
use crate::format::manifest::{self, RowGroupEntry};
use crate::format::record::Record;
use crate::format::rowfile;
use crate::format::snapshot::apply;
use crate::storage::random_u64;
use crate::value::stored::value_at;

impl OrderedParquetDataset {
    /// Publishes `record` within the grace period of `found_at` (when its
    /// base was found); on success the handle remembers the record and
    /// keeps `kept` (new files and their rows) decoded for the merges
    /// that follow.
    pub(super) fn publish(
        &self,
        record: &Record,
        kept: &[(&str, &RecordBatch)],
        found_at: std::time::Instant,
    ) -> Result<()> {
        let new_files: Vec<String> = record.add.iter().map(|e| e.file.clone()).collect();
        self.check_grace(found_at, &new_files)?;
        self.publish_or_clean_up(record, &new_files)?;
        self.remember(record);
        self.fresh.forget(&record.remove);
        for (file, batch) in kept {
            self.fresh.keep(file, batch);
        }
        Ok(())
    }

    /// After `record` (on top of `current`) is published: the handle's
    /// state, then the checkpoint and the collection when due, whose
    /// errors go into `report` (the commit itself succeeded).
    pub(super) fn after_publish(
        &self,
        current: Option<Arc<Snapshot>>,
        record: &Record,
        report: &mut WriteReport,
    ) -> Result<()> {
        let state = self.install(current, record)?;
        report.version = record.version;
        report.committed = true;
        if self.checkpoint_due(&state)
            && let Err(e) = self.write_checkpoint(&state)
        {
            report.checkpoint_error = Some(Arc::new(e));
        }
        if record.version.is_multiple_of(GC_EVERY)
            && let Err(e) = self.gc_locked(&self.retention, false)
        {
            report.gc_error = Some(Arc::new(e));
        }
        Ok(())
    }

    /// Makes the state after `record` (published on top of `state`) this
    /// handle's, changing `state` in place when nothing else holds it: the
    /// handle's own reference is dropped first, under the write guard, so
    /// that readers of the handle never see a missing state.
    fn install(&self, state: Option<Arc<Snapshot>>, record: &Record) -> Result<Arc<Snapshot>> {
        let mut guard = self.current.write().unwrap_or_else(|e| e.into_inner());
        *guard = None;
        let mut state = state;
        if let Err(reason) = apply(&mut state, record) {
            drop(guard);
            self.refresh()?;
            return Err(Error::CorruptManifest {
                path: self
                    .storage
                    .display_path(&self.file_path(&manifest::manifest_path(record.version))),
                reason: format!("this commit's own record does not apply: {reason}"),
            });
        }
        let state = state.expect("a commit that is not a removal leaves a state");
        *guard = Some(state.clone());
        Ok(state)
    }

    /// Publishes `record`; on failure deletes `new_files`, unless the
    /// record did get published (e.g. the final directory sync failed, or
    /// the reply was lost): then they are live.
    ///
    /// On storage without an exclusive lock (object stores), only a lost
    /// race proves the record will never exist: after any other error the
    /// request may still be applied later (a timeout), so the files are
    /// left to garbage collection, which spares them for the grace period.
    fn publish_or_clean_up(&self, record: &Record, new_files: &[String]) -> Result<()> {
        let Err(e) = self.publish_record(record) else {
            return Ok(());
        };
        let lost_race = matches!(e, Error::ConcurrentCommit { .. });
        if lost_race || (self.storage.exclusive_lock() && !self.is_own_record(record)) {
            self.delete_unpublished(new_files);
        }
        Err(e)
    }

    /// Deletes new data files no record lists, best effort: one that
    /// stays is unreferenced, and garbage collection deletes it.
    pub(super) fn delete_unpublished<S: AsRef<str>>(&self, files: impl IntoIterator<Item = S>) {
        for f in files {
            let _ = self.storage.delete(&self.file_path(f.as_ref()));
        }
    }

    /// Encodes `batches` (in parallel) and writes one file each. On error,
    /// files already written are deleted again.
    pub(super) fn write_files(
        &self,
        version: u64,
        base: &Base,
        batches: &[&RecordBatch],
        compression: Compression,
    ) -> Result<Vec<RowGroupEntry>> {
        let (schema, idx) = (&base.schema, base.idx);
        let ordered_on = schema.field(idx).name();
        let salt = random_u64();
        let encode = |(seq, chunk): (usize, &&RecordBatch)| -> Result<RowGroupEntry> {
            let rows = chunk.num_rows();
            let props = rowfile::writer_properties(schema, ordered_on, compression, rows)?;
            let bytes = rowfile::encode(chunk, props)?;
            let file = manifest::data_file_name(version, seq, salt);
            self.storage
                .put(&self.file_path(&file), &bytes)
                .map_err(self.io_error(&file))?;
            let ordered = chunk.column(idx);
            Ok(RowGroupEntry {
                file,
                num_rows: rows as u64,
                min: manifest::stat_to_json(&value_at(ordered.as_ref(), 0)),
                max: manifest::stat_to_json(&value_at(ordered.as_ref(), rows - 1)),
                size: bytes.len() as u64,
                crc32c: Some(crc32c::crc32c(&bytes)),
            })
        };
        let results: Vec<Result<RowGroupEntry>> = if batches.len() > 1 {
            batches.par_iter().enumerate().map(encode).collect()
        } else {
            batches.iter().enumerate().map(encode).collect()
        };
        if results.iter().any(Result::is_err) {
            self.delete_unpublished(results.iter().flatten().map(|e| &e.file));
            return Err(results.into_iter().find_map(Result::err).expect("an error"));
        }
        Ok(results.into_iter().map(|r| r.expect("checked")).collect())
    }
}
