//! Maintenance: garbage collection under the retention rule, removal,
//! and `verify`, which checks every invariant of the format.

use std::collections::{HashMap, HashSet};

use arrow::array::Array;

use super::{OrderedParquetDataset, Snapshot};
use crate::error::{Error, Result};
use crate::format::manifest::{self, LOCK_FILE, MANIFEST_DIR, Manifest, ORDO_DIR};
use crate::format::rowfile;
use crate::options::Retention;
use crate::value::stored::{cmp_values, value_at};

/// What a garbage collection deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GcReport {
    /// Manifest versions deleted.
    pub versions_deleted: Vec<u64>,
    /// Data and temporary files deleted.
    pub files_deleted: Vec<String>,
}

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
    /// Deletes versions outside `retention` and the files only they used,
    /// plus leftovers of crashed writers. Takes the writer lock, waiting up
    /// to the handle's lock timeout ([`OpenOptions::lock_timeout`]).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ordo_store::arrow::array::{Int64Array, RecordBatch};
    /// # use ordo_store::arrow::datatypes::{DataType, Field, Schema};
    /// use std::time::Duration;
    /// use ordo_store::{OrderedParquetDataset, Retention, WriteOptions};
    /// let dir = tempfile::tempdir()?;
    /// let ds = OrderedParquetDataset::open(dir.path())?;
    /// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
    /// for i in 0..3 {
    ///     let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(vec![i]))])?;
    ///     ds.write(&batch, &WriteOptions::new("ts"))?;
    /// }
    /// let keep_one = Retention::default().keep_versions(1).keep_younger_than(Duration::ZERO);
    /// let report = ds.gc(&keep_one)?;
    /// assert_eq!(report.versions_deleted, vec![1, 2]);
    /// assert_eq!(ds.versions()?, vec![3]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// [`OpenOptions::lock_timeout`]: crate::OpenOptions::lock_timeout
    pub fn gc(&self, retention: &Retention) -> Result<GcReport> {
        let _guard = self.lock()?;
        self.gc_locked(retention)
    }

    /// Garbage collection; the caller holds the lock.
    ///
    /// Versions are kept when among the last `n`, or replaced less than `t`
    /// ago (by the recorded creation time of the next version); versions
    /// are created in time order, so the collected ones are a prefix. Every data file is named after
    /// the version that wrote it, a commit lists every file it wrote, and a
    /// file once dropped is never listed again. So a file tagged `v` is
    /// garbage when `v` is newer than the latest version (a crashed
    /// writer's), when `v` is older than the oldest kept version and that
    /// version does not list it, or when `v` is the latest or the oldest
    /// kept version and manifest `v` does not list it (a crashed writer
    /// whose version number was later reused). Only those two manifests
    /// and O(log n) others (to find the retention cut) are read.
    pub(crate) fn gc_locked(&self, retention: &Retention) -> Result<GcReport> {
        let versions = self.list_versions()?;
        let Some(&latest) = versions.last() else {
            return Ok(GcReport::default());
        };
        let keep_from = versions.len().saturating_sub(retention.versions());
        let now = super::write::now_ms();
        let young_ms = i64::try_from(retention.younger_than().as_millis()).unwrap_or(i64::MAX);
        // A version's age counts from its replacement: the creation of the
        // next version. Ages so decrease along `versions`, and collectable
        // versions form a prefix of the candidates (the ones before the
        // last `n`, each of which has a successor): binary-search its end,
        // reading O(log n) manifests. A missing manifest counts as old.
        let is_old = |i: usize| -> Result<bool> {
            Ok(self
                .load_manifest(versions[i + 1])?
                .is_none_or(|m| now.saturating_sub(m.created_at_ms) >= young_ms))
        };
        let (mut lo, mut hi) = (0, keep_from);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if is_old(mid)? {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let cut = lo;
        let (collect, kept) = versions.split_at(cut);
        let oldest_kept = kept[0];
        let mut listed: HashMap<u64, HashSet<String>> = HashMap::new();
        // Whether manifest `v` lists `name` (manifests read once each).
        let mut lists = |v: u64, name: &str| -> Result<bool> {
            if let std::collections::hash_map::Entry::Vacant(e) = listed.entry(v) {
                let manifest = self.load_manifest(v)?;
                e.insert(
                    manifest
                        .into_iter()
                        .flat_map(|m| m.row_groups)
                        .map(|r| r.file)
                        .collect(),
                );
            }
            Ok(listed[&v].contains(name))
        };
        let mut doomed = Vec::new();
        for name in self.storage.list(&self.prefix).map_err(self.io_error(""))? {
            let Some(v) = manifest::data_file_version(&name) else {
                continue; // not ordo's
            };
            // Manifests other than the latest and the oldest kept are not
            // read: a crashed writer's file tagged with a reused version in
            // between is collected once that version leaves retention.
            let garbage = if v > latest {
                true
            } else if v < oldest_kept {
                !lists(oldest_kept, &name)?
            } else if v == latest || v == oldest_kept {
                !lists(v, &name)? && !lists(latest, &name)? && !lists(oldest_kept, &name)?
            } else {
                false
            };
            if garbage {
                doomed.push(name);
            }
        }
        let mut report = GcReport::default();
        // Data files go first: a crash then leaves manifests pointing at
        // deleted files only for versions already outside retention.
        for f in doomed {
            self.storage
                .delete(&self.file_path(&f))
                .map_err(self.io_error(&f))?;
            report.files_deleted.push(f);
        }
        for &v in collect {
            let name = manifest::manifest_path(v);
            self.storage
                .delete(&self.file_path(&name))
                .map_err(self.io_error(&name))?;
            report.versions_deleted.push(v);
        }
        // What interrupted publications left: the storage knows its own
        // temporary names.
        let mdir = self.file_path(MANIFEST_DIR);
        for name in self
            .storage
            .clean_up(&mdir)
            .map_err(self.io_error(MANIFEST_DIR))?
        {
            report.files_deleted.push(format!("{MANIFEST_DIR}/{name}"));
        }
        Ok(report)
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
        let Some(latest) = self.load_latest()? else {
            return Ok(());
        };
        if !latest.removed {
            let tomb = Manifest {
                version: latest.version + 1,
                created_at_ms: super::write::now_ms(),
                row_groups: Vec::new(),
                removed: true,
                ..latest
            };
            self.publish(&tomb)?;
        }
        for name in self.storage.list(&self.prefix).map_err(self.io_error(""))? {
            if manifest::data_file_version(&name).is_some() {
                self.storage
                    .delete(&self.file_path(&name))
                    .map_err(self.io_error(&name))?;
            }
        }
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
        Ok(())
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
        Ok(problems)
    }

    fn verify_file(&self, snapshot: &Snapshot, i: usize) -> std::result::Result<(), String> {
        let rg = &snapshot.stats[i];
        let path = self.file_path(&rg.file);
        let expected = rowfile::Expected {
            size: rg.size_bytes,
            crc32c: snapshot.manifest.row_groups[i].crc32c,
            version: snapshot.manifest.version,
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
                "has {} rows, the manifest says {}",
                batch.num_rows(),
                rg.num_rows
            ));
        }
        let col = batch.column(snapshot.ordered_index());
        crate::value::stored::check_ordered(col, &snapshot.manifest.ordered_on)
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
                "holds [{min}, {max}], the manifest says [{}, {}]",
                rg.min, rg.max
            ));
        }
        Ok(())
    }
}
