//! The version a commit builds on: the writer lock, the latest version,
//! and on shared storage (object stores, no exclusive lock) the optimistic
//! base: the handle's own state, checked while the data is written, with a
//! retry after a lost race and a bound on how long a base may be held
//! (FORMAT.md 15.1).

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::basic::Compression;

use super::super::{OrderedParquetDataset, Snapshot};
use super::merge::Cutter;
use crate::error::{Error, Result};
use crate::format::manifest::{LOCK_FILE, RowGroupEntry};
use crate::format::record::LogEntry;
use crate::storage::{LockGuard, random_u64};

/// A commit prepared under the lock: the version it builds on, the
/// dataset's schema and ordered column, and the cutter of the target.
pub(super) struct Base {
    pub(super) current: Option<Arc<Snapshot>>,
    pub(super) last_version: u64,
    pub(super) schema: SchemaRef,
    pub(super) idx: usize,
    pub(super) cutter: Cutter,
    /// The handle's state, not checked before planning: the commit checks
    /// it while writing the data files (see [`OrderedParquetDataset::base_for_write`]).
    pub(super) speculative: bool,
    /// When the base was found: the write must publish within half the
    /// grace period of it on shared storage (see `check_grace`).
    pub(super) found_at: std::time::Instant,
}

impl Base {
    /// A commit on top of `snapshot`, version `last_version`.
    pub(super) fn existing(snapshot: Arc<Snapshot>, last_version: u64, cutter: Cutter) -> Self {
        Self {
            idx: snapshot.ordered_index(),
            schema: snapshot.schema.clone(),
            current: Some(snapshot),
            last_version,
            cutter,
            speculative: false,
            found_at: std::time::Instant::now(),
        }
    }
}

impl OrderedParquetDataset {
    /// Runs `attempt` (which takes the lock, plans on the latest version
    /// and commits) until it does not lose the race for the next version
    /// to another writer, at most the handle's `commit_attempts` times,
    /// sleeping a random, growing while between tries. Only storages
    /// without an exclusive lock see such races.
    pub(crate) fn retrying<T>(&self, mut attempt: impl FnMut() -> Result<T>) -> Result<T> {
        let mut tries = 0;
        loop {
            tries += 1;
            match attempt() {
                Err(Error::ConcurrentCommit { .. }) if tries < self.commit_attempts => {
                    // The next attempt plans on the latest version.
                    let _ = self.refresh();
                    let cap_ms = (5u64 << tries.min(7)).min(500);
                    let pause = random_u64() % (cap_ms + 1);
                    std::thread::sleep(std::time::Duration::from_millis(pause));
                }
                Err(Error::ConcurrentCommit { .. }) => {
                    return Err(Error::CommitConflict {
                        path: self.path(),
                        attempts: tries,
                    });
                }
                other => return other,
            }
        }
    }

    /// The version a write builds on, its state, and whether that is the
    /// handle's state taken on trust. On storage without an exclusive lock
    /// (object stores), a handle that holds a state of the current format
    /// plans on it at once, and the commit checks, while the data files are
    /// written, that its record still holds that state's commit id
    /// (FORMAT.md 15.1): one read instead of two before planning, and off
    /// the critical path. A stale state loses the put-if-absent of the
    /// next record, and the retry starts from a refreshed handle.
    pub(super) fn base_for_write(&self) -> Result<(u64, Option<Arc<Snapshot>>, bool)> {
        if !self.storage.exclusive_lock()
            && let Some(s) = self.snapshot()
            && s.commit_id.is_some()
        {
            return Ok((s.version, Some(s), true));
        }
        let (version, state) = self.latest_locked()?;
        Ok((version, state, false))
    }

    /// Whether `base` is the latest version: the next record is missing,
    /// and after that the base's record still holds the commit id of its
    /// state (section 6's check: collection deletes records oldest first,
    /// so the next one had not been written when it was found missing).
    fn base_is_current(&self, base: &Base) -> Result<bool> {
        let Some(id) = base.current.as_ref().and_then(|s| s.commit_id.as_ref()) else {
            return Ok(false);
        };
        if self.entry_exists(base.last_version + 1)? {
            return Ok(false);
        }
        Ok(matches!(
            self.read_entry(base.last_version)?,
            Some(LogEntry::Delta(r)) if r.commit_id == *id
        ))
    }

    /// The latest version number (tombstones included) and snapshot, with
    /// the lock held: the handle's snapshot rolled forward over the records
    /// committed since (usually none: one read and two existence checks),
    /// or a fresh load.
    pub(crate) fn latest_locked(&self) -> Result<(u64, Option<Arc<Snapshot>>)> {
        let head = self.load_head(self.snapshot())?;
        Ok(head.map_or((0, None), |h| (h.version, h.state)))
    }

    /// The writer lock, the latest version number and its snapshot, for
    /// maintenance of a dataset that must exist: `DatasetNotFound`
    /// otherwise, and a dataset never written gets nothing created, not
    /// even the lock.
    pub(crate) fn lock_existing(&self) -> Result<(LockGuard, u64, Arc<Snapshot>)> {
        if self.load_head(self.snapshot())?.is_none() {
            return Err(Error::DatasetNotFound { path: self.path() });
        }
        let guard = self.lock()?;
        let (last_version, current) = self.latest_locked()?;
        let snapshot = current.ok_or_else(|| Error::DatasetNotFound { path: self.path() })?;
        Ok((guard, last_version, snapshot))
    }

    /// Takes the writer lock, waiting up to the handle's lock timeout. On
    /// storage whose lock is a lease (object stores), writers take none:
    /// they are optimistic (see [`Self::retrying`]).
    pub(crate) fn lock(&self) -> Result<LockGuard> {
        if !self.storage.exclusive_lock() {
            return Ok(Box::new(()));
        }
        let path = self.file_path(LOCK_FILE);
        self.storage
            .lock(&path, self.lock_timeout)
            .map_err(self.io_error(LOCK_FILE))?
            .ok_or_else(|| Error::LockTimeout {
                path: self.storage.display_path(&path),
                waited: self.lock_timeout,
            })
    }

    /// Writes the new groups' files; for an optimistic base, while checking
    /// that it is still the latest. A base found stale deletes the files
    /// and loses the race (`ConcurrentCommit`, which `retrying` retries).
    pub(super) fn write_files_on(
        &self,
        version: u64,
        base: &Base,
        batches: &[&RecordBatch],
        compression: Compression,
    ) -> Result<Vec<RowGroupEntry>> {
        if !base.speculative {
            return self.write_files(version, base, batches, compression);
        }
        let (written, current) = rayon::join(
            || self.write_files(version, base, batches, compression),
            || self.base_is_current(base),
        );
        let entries = written?;
        if !matches!(current, Ok(true)) {
            self.delete_unpublished(entries.iter().map(|e| &e.file));
            current?;
            return Err(Error::ConcurrentCommit {
                path: self.path(),
                version,
            });
        }
        Ok(entries)
    }

    /// On storage without an exclusive lock, another process's garbage
    /// collection deletes unreferenced files, and versions replaced,
    /// older than the grace period: a write whose base was found more than
    /// half of it ago deletes its files and commits nothing (the half
    /// leaves room for clock skew between the collector and the store).
    pub(super) fn check_grace(
        &self,
        started: std::time::Instant,
        new_files: &[String],
    ) -> Result<()> {
        let grace = self.retention.grace();
        let elapsed = started.elapsed();
        if self.storage.exclusive_lock() || elapsed <= grace / 2 {
            return Ok(());
        }
        self.delete_unpublished(new_files);
        Err(Error::GracePeriodExceeded {
            path: self.path(),
            elapsed,
            grace,
        })
    }
}
