//! Maintenance: removal, and `verify`, which checks every invariant of
//! the format.

use arrow::array::Array;

use super::{OrderedParquetDataset, Snapshot};
use crate::error::{Error, Result};
use crate::format::manifest::{
    self, CHECKPOINT_DIR, FORMAT_NAME, LAST_CHECKPOINT_FILE, LOCK_FILE, MANIFEST_DIR, ORDO_DIR,
};
use crate::format::record::{Operation, RECORD_FORMAT_VERSION, Record, new_commit_id};
use crate::format::rowfile;
use crate::value::stored::{cmp_values, value_at};

/// One broken invariant found by [`OrderedParquetDataset::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The file concerned, relative to the dataset (or `_ordo/...`).
    pub file: String,
    /// What is wrong.
    pub problem: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.problem)
    }
}

impl OrderedParquetDataset {
    /// Writes a checkpoint of the latest version now (one is written every
    /// 10 to 100 commits anyway; see docs/FORMAT.md 3.5) and returns its
    /// version.
    /// Takes the writer lock; the dataset must exist
    /// ([`Error::DatasetNotFound`]).
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
    /// assert_eq!(ds.checkpoint()?, 1);
    /// assert!(dir.path().join("_ordo/checkpoints/00000000000000000001.arrow").exists());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn checkpoint(&self) -> Result<u64> {
        let (_guard, _, snapshot) = self.lock_existing()?;
        self.write_checkpoint(&snapshot)?;
        Ok(snapshot.version)
    }

    /// Removes the dataset: a tombstone version is published first, so a
    /// crash part-way leaves a dataset that reads as removed, then every
    /// file of the dataset is deleted. Readers still on old versions lose
    /// their files. Files ordo did not write are left in place. Waits up
    /// to the handle's lock timeout for the writer lock.
    pub fn remove(&self) -> Result<()> {
        if self.list_versions()?.is_empty() {
            self.set_current(None);
            return Ok(()); // nothing of ordo's: create nothing, not even the lock
        }
        // The lock file is deleted at the end while held: a writer that was
        // waiting on it and one that creates a new one could both proceed,
        // but create-if-absent publishing lets only one commit each version.
        let _guard = self.lock()?;
        let published = self.retrying(|| self.publish_tombstone())?;
        if !published {
            return Ok(());
        }
        for name in self.storage.list(&self.prefix).map_err(self.io_error(""))? {
            if manifest::data_file_version(&name).is_some() {
                self.storage
                    .delete(&self.file_path(&name))
                    .map_err(self.io_error(&name))?;
            }
        }
        // The hint before the checkpoints, the checkpoints before the
        // records: what a crash leaves still reads as removed.
        self.storage
            .delete(&self.file_path(LAST_CHECKPOINT_FILE))
            .map_err(self.io_error(LAST_CHECKPOINT_FILE))?;
        let cdir = self.file_path(CHECKPOINT_DIR);
        for name in self
            .storage
            .list(&cdir)
            .map_err(self.io_error(CHECKPOINT_DIR))?
        {
            let path = format!("{CHECKPOINT_DIR}/{name}");
            self.storage
                .delete(&self.file_path(&path))
                .map_err(self.io_error(&path))?;
        }
        self.storage
            .remove_dir_if_empty(&cdir)
            .map_err(self.io_error(CHECKPOINT_DIR))?;
        let mdir = self.file_path(MANIFEST_DIR);
        let mut names = self
            .storage
            .list(&mdir)
            .map_err(self.io_error(MANIFEST_DIR))?;
        // The tombstone (the newest manifest) goes last.
        names.sort();
        for name in names {
            let path = format!("{MANIFEST_DIR}/{name}");
            self.storage
                .delete(&self.file_path(&path))
                .map_err(self.io_error(&path))?;
        }
        self.storage
            .remove_dir_if_empty(&mdir)
            .map_err(self.io_error(MANIFEST_DIR))?;
        self.storage
            .delete(&self.file_path(LOCK_FILE))
            .map_err(self.io_error(LOCK_FILE))?;
        self.storage
            .remove_dir_if_empty(&self.file_path(ORDO_DIR))
            .map_err(self.io_error(ORDO_DIR))?;
        self.storage
            .remove_dir_if_empty(&self.prefix)
            .map_err(self.io_error(""))?;
        self.set_current(None);
        self.oldest_seen
            .store(0, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Publishes a tombstone on the latest version unless it is one;
    /// `false` when the dataset has no version at all.
    fn publish_tombstone(&self) -> Result<bool> {
        let Some(head) = self.load_head(None)? else {
            return Ok(false);
        };
        if let Some(state) = head.state {
            let tomb = Record {
                format: FORMAT_NAME.into(),
                format_version: RECORD_FORMAT_VERSION,
                version: head.version + 1,
                commit_id: new_commit_id(),
                created_at_ms: super::write::now_ms(),
                operation: Operation::Remove,
                ordered_on: state.ordered_on.clone(),
                schema: None,
                add: Vec::new(),
                remove: Vec::new(),
                metadata_set: Default::default(),
                metadata_unset: Vec::new(),
                removed: true,
            };
            self.publish_record(&tomb)?;
        }
        Ok(true)
    }

    /// Checks every invariant of the version this handle sees and returns
    /// the violations (empty when all hold): each listed file exists, has
    /// the manifest's size, row count and schema, is sorted on the ordered
    /// column with the recorded min and max, and row groups are strictly
    /// increasing (`max[i] < min[i+1]`). Reads every file.
    pub fn verify(&self) -> Result<Vec<Violation>> {
        let Some(snapshot) = self.snapshot() else {
            return Ok(Vec::new());
        };
        let mut problems = Vec::new();
        for (i, rg) in snapshot.stats.iter().enumerate() {
            if cmp_values(&rg.min, &rg.max).is_gt() {
                problems.push(Violation {
                    file: rg.file.clone(),
                    problem: format!("min {} > max {}", rg.min, rg.max),
                });
            }
            if let Some(next) = snapshot.stats.get(i + 1)
                && cmp_values(&rg.max, &next.min).is_ge()
            {
                problems.push(Violation {
                    file: rg.file.clone(),
                    problem: format!(
                        "overlaps the next row group {}: max {} >= its min {}",
                        next.file, rg.max, next.min
                    ),
                });
            }
            if let Err(problem) = self.verify_file(&snapshot, i) {
                problems.push(Violation {
                    file: rg.file.clone(),
                    problem,
                });
            }
        }
        self.verify_checkpoints(&snapshot, &mut problems)?;
        Ok(problems)
    }

    /// Every checkpoint decodes, and the one of this handle's version holds
    /// its state. A damaged checkpoint is ignored by readers (the records
    /// rebuild the state), but reported here.
    fn verify_checkpoints(&self, snapshot: &Snapshot, problems: &mut Vec<Violation>) -> Result<()> {
        for c in self.list_checkpoints()? {
            let file = manifest::checkpoint_path(c);
            let problem = match self.read_checkpoint(c)? {
                None => None, // collected meanwhile
                Some(Err(why)) => Some(format!(
                    "is damaged and ignored (the commit records rebuild the state): {why}"
                )),
                Some(Ok(cp)) if !self.checkpoint_matches_record(&cp) => Some(format!(
                    "belongs to another commit than record {c} (its commit id differs) and is ignored"
                )),
                Some(Ok(cp)) if c == snapshot.version => (cp.stats != snapshot.stats
                    || cp.key_value_metadata != snapshot.key_value_metadata
                    || cp.schema != snapshot.schema)
                    .then(|| {
                        format!(
                            "does not hold the state of version {c} that the commit records build"
                        )
                    }),
                Some(Ok(_)) => None,
            };
            if let Some(problem) = problem {
                problems.push(Violation { file, problem });
            }
        }
        Ok(())
    }

    fn verify_file(&self, snapshot: &Snapshot, i: usize) -> std::result::Result<(), String> {
        let rg = &snapshot.stats[i];
        let path = self.file_path(&rg.file);
        let expected = rowfile::Expected {
            size: rg.size_bytes,
            crc32c: rg.crc32c,
            version: snapshot.version,
        };
        let batch =
            rowfile::read_all(&self.storage, &path, &expected, &snapshot.schema).map_err(|e| {
                match e {
                    Error::CorruptRowGroup { source, .. } => source.to_string(),
                    other => other.to_string(),
                }
            })?;
        if batch.num_rows() as u64 != rg.num_rows {
            return Err(format!(
                "has {} rows, {} recorded",
                batch.num_rows(),
                rg.num_rows
            ));
        }
        let col = batch.column(snapshot.ordered_index());
        crate::value::stored::check_ordered(col, &snapshot.ordered_on)
            .map_err(|e| e.to_string())?;
        if col.is_empty() {
            return Err("is empty".into());
        }
        let (min, max) = (
            value_at(col.as_ref(), 0),
            value_at(col.as_ref(), col.len() - 1),
        );
        if cmp_values(&min, &rg.min).is_ne() || cmp_values(&max, &rg.max).is_ne() {
            return Err(format!(
                "holds [{min}, {max}], [{}, {}] recorded",
                rg.min, rg.max
            ));
        }
        Ok(())
    }
}
