//! Garbage collection under the retention rule: old versions (log entries
//! and checkpoints), the data files only they used, and what crashed
//! writers left behind.

use std::collections::HashSet;
use std::sync::atomic::Ordering;

use super::OrderedParquetDataset;
use crate::error::Result;
use crate::format::manifest::{self, CHECKPOINT_DIR, MANIFEST_DIR, ORDO_DIR};
use crate::format::record::LogEntry;
use crate::options::Retention;

/// What a garbage collection deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GcReport {
    /// Versions deleted (their manifests or commit records).
    pub versions_deleted: Vec<u64>,
    /// Data files, checkpoints and temporary files deleted.
    pub files_deleted: Vec<String>,
}

/// The garbage collection after commits also sweeps the data directory for
/// crashed writers' files every this many versions (an explicit `gc`
/// always does).
const SWEEP_EVERY: u64 = 256;

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
        // Remembered records are trusted only right after a commit of this
        // handle (see `read_entry_recent`): an explicit collection reads
        // the log afresh.
        self.recent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.gc_locked(retention, true)
    }

    /// Garbage collection; the caller holds the lock. `exact`: collect
    /// every version outside retention (writing a checkpoint at the oldest
    /// kept version when needed) and sweep the data directory; otherwise
    /// (after a commit) collect up to the newest checkpoint outside
    /// retention only, which costs no checkpoint, and sweep every
    /// [`SWEEP_EVERY`] versions.
    ///
    /// Versions are kept when among the last `n`, or replaced less than `t`
    /// ago (by the recorded creation time of the next version); versions
    /// are created in time order, so the collected ones are a prefix,
    /// found by binary search (O(log n) entries read). Every version at or
    /// after the cut rebuilds from the cut's base (a checkpoint or a
    /// format-1 manifest) and the records after it, so everything before
    /// the base goes: files removed by the collected records, then
    /// checkpoints, then log entries, each oldest first.
    pub(crate) fn gc_locked(&self, retention: &Retention, exact: bool) -> Result<GcReport> {
        let versions = self.versions_locked(exact)?;
        let Some(&latest) = versions.last() else {
            return Ok(GcReport::default());
        };
        let oldest_kept = versions[self.retention_cut(&versions, retention)?];
        let base = self.collection_base(&versions, oldest_kept, exact)?;
        let mut report = GcReport::default();
        let collect: Vec<u64> = versions.iter().copied().filter(|&v| v < base).collect();
        if exact || latest.is_multiple_of(SWEEP_EVERY) {
            self.sweep(base, latest, retention.grace(), &mut report)?;
        }
        if !collect.is_empty() {
            self.delete_removed_files(&collect, base, &mut report)?;
        }
        for c in self.list_checkpoints()?.into_iter().filter(|&c| c < base) {
            let name = manifest::checkpoint_path(c);
            self.delete_file(&name)?;
            report.files_deleted.push(name);
        }
        for &v in &collect {
            self.delete_file(&manifest::manifest_path(v))?;
            report.versions_deleted.push(v);
        }
        self.oldest_seen
            .store(base.max(versions[0]), Ordering::Relaxed);
        Ok(report)
    }

    /// The versions on storage, oldest first, with the lock held. The
    /// collection after commits needs no listing: versions are contiguous
    /// (commits add the next one, collections delete the oldest first), so
    /// when the oldest this handle saw still exists they are the run from
    /// it to this handle's version, the latest under the lock. Otherwise
    /// (another process collected, or `exact`) the log is listed.
    fn versions_locked(&self, exact: bool) -> Result<Vec<u64>> {
        let oldest = self.oldest_seen.load(Ordering::Relaxed);
        if !exact
            && oldest > 0
            && let Some(latest) = self.version()
            && oldest <= latest
            && self.entry_exists(oldest)?
        {
            return Ok((oldest..=latest).collect());
        }
        let versions = self.list_versions()?;
        if let Some(&first) = versions.first() {
            self.oldest_seen.store(first, Ordering::Relaxed);
        }
        Ok(versions)
    }

    /// The index in `versions` of the oldest version `retention` keeps.
    fn retention_cut(&self, versions: &[u64], retention: &Retention) -> Result<usize> {
        let keep_from = versions.len().saturating_sub(retention.versions());
        let now = super::write::now_ms();
        // On shared storage a writer may hold a base for up to half the
        // grace period before publishing on top of it: versions replaced
        // within the grace period stay, whatever the rule (FORMAT.md 15.1).
        let young = if self.storage.exclusive_lock() {
            retention.younger_than()
        } else {
            retention.younger_than().max(retention.grace())
        };
        let young_ms = i64::try_from(young.as_millis()).unwrap_or(i64::MAX);
        // A version's age counts from its replacement: the creation of the
        // next version. Ages so decrease along `versions`: binary-search
        // the end of the old ones. A missing entry counts as old.
        let is_old = |i: usize| -> Result<bool> {
            Ok(self
                .read_entry_recent(versions[i + 1])?
                .is_none_or(|e| now.saturating_sub(e.created_at_ms()) >= young_ms))
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
        Ok(lo.min(versions.len() - 1))
    }

    /// The version every kept version rebuilds from: `oldest_kept` when it
    /// is a format-1 manifest or has a checkpoint (written here when
    /// `exact`), else the newest sound checkpoint before it, else the
    /// oldest version (nothing is collected).
    fn collection_base(&self, versions: &[u64], oldest_kept: u64, exact: bool) -> Result<u64> {
        let oldest = versions[0];
        if oldest_kept == oldest {
            return Ok(oldest);
        }
        if let Some(LogEntry::Full(_)) = self.read_entry_recent(oldest_kept)? {
            return Ok(oldest_kept);
        }
        let trusted = self.checkpointed.load(Ordering::Relaxed);
        for c in self.list_checkpoints()?.into_iter().rev() {
            if c > oldest_kept {
                continue;
            }
            if c <= oldest || (c < oldest_kept && exact) {
                break;
            }
            // A checkpoint this handle wrote or read is sound; another is
            // read once before the records it replaces go.
            if c == trusted || matches!(self.read_checkpoint(c)?, Some(Ok(_))) {
                return Ok(c);
            }
        }
        if exact && let Some(Some(state)) = self.load_version(oldest_kept)? {
            self.write_checkpoint(&state)?;
            return Ok(oldest_kept);
        }
        Ok(oldest)
    }

    /// Deletes the files the records `collect` (and the base's own record)
    /// removed: a file removed at a version at or before `base` is in no
    /// state from `base` on. A collected format-1 manifest lists whole
    /// states: its files not in the base's state go.
    fn delete_removed_files(
        &self,
        collect: &[u64],
        base: u64,
        report: &mut GcReport,
    ) -> Result<()> {
        let mut doomed: Vec<String> = Vec::new();
        let mut base_files: Option<HashSet<String>> = None;
        for &v in collect.iter().chain(std::iter::once(&base)) {
            match self.read_entry_recent(v)? {
                Some(LogEntry::Delta(r)) => doomed.extend(r.remove),
                Some(LogEntry::Full(m)) if v < base => {
                    if base_files.is_none() {
                        base_files = Some(self.files_at(base)?);
                    }
                    let live = base_files.as_ref().expect("set above");
                    doomed.extend(
                        m.row_groups
                            .into_iter()
                            .map(|r| r.file)
                            .filter(|f| !live.contains(f)),
                    );
                }
                _ => {}
            }
        }
        doomed.sort();
        doomed.dedup();
        for f in doomed {
            self.delete_file(&f)?;
            report.files_deleted.push(f);
        }
        Ok(())
    }

    /// The files of version `v`'s state (empty when removed or missing).
    fn files_at(&self, v: u64) -> Result<HashSet<String>> {
        let state = self.load_version(v)?.flatten();
        Ok(state
            .iter()
            .flat_map(|s| s.stats.iter().map(|g| g.file.clone()))
            .collect())
    }

    /// Deletes data files no version from `base` on lists: files are
    /// named after the version that wrote them and live over one run of
    /// versions from it, so a file tagged `t` is garbage when `t` is newer
    /// than `latest` (a crashed writer's), when `t <= base` and the base's
    /// state does not list it, or when the entry of `t` does not add it (a
    /// crashed writer whose version number was later reused). Plus the
    /// temporary files interrupted publications (of records, checkpoints
    /// and the hint) left, which the storage knows by name.
    fn sweep(
        &self,
        base: u64,
        latest: u64,
        grace: std::time::Duration,
        report: &mut GcReport,
    ) -> Result<()> {
        let mut base_files: Option<HashSet<String>> = None;
        let mut added: std::collections::HashMap<u64, HashSet<String>> = Default::default();
        for name in self.sweepable_files(grace)? {
            let Some(t) = manifest::data_file_version(&name) else {
                continue; // not ordo's
            };
            let garbage = if t > latest {
                true
            } else if t <= base {
                if base_files.is_none() {
                    base_files = Some(self.files_at(base)?);
                }
                !base_files.as_ref().expect("set above").contains(&name)
            } else {
                if let std::collections::hash_map::Entry::Vacant(e) = added.entry(t) {
                    e.insert(match self.read_entry_recent(t)? {
                        Some(LogEntry::Delta(r)) => r.add.into_iter().map(|g| g.file).collect(),
                        Some(LogEntry::Full(m)) => {
                            m.row_groups.into_iter().map(|g| g.file).collect()
                        }
                        None => HashSet::new(),
                    });
                }
                !added[&t].contains(&name)
            };
            if garbage {
                self.delete_file(&name)?;
                report.files_deleted.push(name);
            }
        }
        for dir in [ORDO_DIR, MANIFEST_DIR, CHECKPOINT_DIR] {
            let cleaned = self
                .storage
                .clean_up(&self.file_path(dir))
                .map_err(self.io_error(dir))?;
            report
                .files_deleted
                .extend(cleaned.into_iter().map(|n| format!("{dir}/{n}")));
        }
        Ok(())
    }

    /// The files of the data directory the sweep may judge: all of them
    /// under an exclusive lock (no writer runs), else those modified at
    /// least the grace period ago (a younger one may belong to a writer
    /// about to commit it).
    fn sweepable_files(&self, grace: std::time::Duration) -> Result<Vec<String>> {
        if self.storage.exclusive_lock() {
            return self.storage.list(&self.prefix).map_err(self.io_error(""));
        }
        let now = std::time::SystemTime::now();
        let files = self
            .storage
            .list_modified(&self.prefix)
            .map_err(self.io_error(""))?;
        Ok(files
            .into_iter()
            .filter(|(_, modified)| now.duration_since(*modified).is_ok_and(|age| age >= grace))
            .map(|(name, _)| name)
            .collect())
    }

    fn delete_file(&self, name: &str) -> Result<()> {
        self.storage
            .delete(&self.file_path(name))
            .map_err(self.io_error(name))
    }
}
