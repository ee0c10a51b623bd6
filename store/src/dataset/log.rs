//! The dataset's log on storage: reading the files of `_ordo/manifests/`
//! (format-1 manifests and format-2 commit records), checkpoints and the
//! hint; rebuilding the state of a version; finding the head without a
//! listing; publishing records and checkpoints. The state changes
//! themselves are pure (`format::snapshot`).

use std::io::ErrorKind;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::OrderedParquetDataset;
use crate::error::{Error, Result};
use crate::format::checkpoint;
use crate::format::manifest::{
    self, CHECKPOINT_DIR, DecodeError, LAST_CHECKPOINT_FILE, MANIFEST_DIR,
};
use crate::format::record::{LogEntry, Record};
use crate::format::snapshot::{Snapshot, StateBase, apply};

/// The number of commits after which a checkpoint is written, for a state
/// of `groups` row groups: 10 up to 200 groups, then one more per 20
/// groups, at most 100 (from 2,000 groups on). Opening applies up to that
/// many records; a checkpoint costs about 90 bytes per group. So small
/// datasets, whose checkpoints cost little more than a record, open after
/// at most 10 records, and large ones write their checkpoint (about 9 MB
/// at 100,000 groups) once per 100 commits. The first format-2 commit of
/// a format-1 dataset always writes one.
pub(crate) fn checkpoint_interval(groups: usize) -> u64 {
    (groups as u64 / 20).clamp(10, 100)
}

/// The latest version (tombstones included) and its state.
pub(crate) struct Head {
    pub version: u64,
    pub state: Option<Arc<Snapshot>>,
}

/// A state, or `None` when empty or removed.
type State = Option<Arc<Snapshot>>;

/// How many recent commit records a handle remembers (a few hundred
/// bytes each).
const RECENT_RECORDS: usize = 256;

impl OrderedParquetDataset {
    /// Reads the log file of version `v`; `Ok(None)` if it does not exist.
    pub(crate) fn read_entry(&self, v: u64) -> Result<Option<LogEntry>> {
        let name = manifest::manifest_path(v);
        let bytes = match self.storage.read(&self.file_path(&name)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io_error(&name)(e)),
        };
        let path = self.storage.display_path(&self.file_path(&name));
        match LogEntry::decode(&bytes) {
            Ok(e) if e.version() == v => Ok(Some(e)),
            Ok(e) => Err(Error::CorruptManifest {
                path,
                reason: format!("it says version {}, its name says {v}", e.version()),
            }),
            Err(DecodeError::Corrupt(reason)) => Err(Error::CorruptManifest { path, reason }),
            Err(DecodeError::NewerFormat(found)) => Err(Error::UnsupportedFormatVersion {
                path,
                found,
                supported: manifest::FORMAT_VERSION,
            }),
        }
    }

    /// Keeps `record` (committed by this handle, or applied by it) for
    /// [`Self::read_entry_recent`]; the newest [`RECENT_RECORDS`] stay.
    pub(crate) fn remember(&self, record: &Record) {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.insert(record.version, Arc::new(record.clone()));
        while recent.len() > RECENT_RECORDS {
            recent.pop_first();
        }
    }

    /// [`Self::read_entry`] for garbage collection: a record this handle
    /// remembers is not read again. Only for versions at or below a state
    /// this handle has just checked (its own commit's base): such records
    /// belong to the current history, since `remove` deletes every
    /// record before a new history can reuse the numbers. Identity checks
    /// and reads that look for new versions always read the storage.
    pub(crate) fn read_entry_recent(&self, v: u64) -> Result<Option<LogEntry>> {
        let known = self
            .recent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&v)
            .cloned();
        match known {
            Some(r) => Ok(Some(LogEntry::Delta((*r).clone()))),
            None => self.read_entry(v),
        }
    }

    /// Whether the log file of version `v` exists (an error unless the
    /// storage answers one way or the other).
    pub(crate) fn entry_exists(&self, v: u64) -> Result<bool> {
        let name = manifest::manifest_path(v);
        match self.storage.size(&self.file_path(&name)) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(self.io_error(&name)(e)),
        }
    }

    /// Checkpoint `v`: `None` when missing, `Some(Err(why))` when it does
    /// not decode (a damaged checkpoint is never needed: the records
    /// rebuild the state).
    pub(crate) fn read_checkpoint(
        &self,
        v: u64,
    ) -> Result<Option<std::result::Result<Snapshot, String>>> {
        let name = manifest::checkpoint_path(v);
        let bytes = match self.storage.read(&self.file_path(&name)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io_error(&name)(e)),
        };
        Ok(Some(checkpoint::decode(&bytes).and_then(|s| {
            if s.version == v {
                Ok(s)
            } else {
                Err(format!("it says version {}, its name says {v}", s.version))
            }
        })))
    }

    /// The checkpoint versions on storage, ascending.
    pub(crate) fn list_checkpoints(&self) -> Result<Vec<u64>> {
        let dir = self.file_path(CHECKPOINT_DIR);
        let names = self
            .storage
            .list(&dir)
            .map_err(self.io_error(CHECKPOINT_DIR))?;
        let mut versions: Vec<u64> = names
            .iter()
            .filter_map(|n| manifest::parse_checkpoint_name(n))
            .collect();
        versions.sort_unstable();
        Ok(versions)
    }

    /// The version the hint names; `None` when missing or unreadable (the
    /// hint is never needed for correctness).
    fn read_hint(&self) -> Option<u64> {
        let bytes = self
            .storage
            .read(&self.file_path(LAST_CHECKPOINT_FILE))
            .ok()?;
        let hint: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        hint.get("version")?.as_u64()
    }

    /// The state of version `v`: `Ok(None)` when version `v` does not
    /// exist, `Ok(Some(None))` when it is a removal. Built from the newest
    /// readable checkpoint at or below `v`, or the newest format-1 manifest
    /// or starting record, plus the records after it.
    pub(crate) fn load_version(&self, v: u64) -> Result<Option<State>> {
        let checkpoints = self.list_checkpoints()?;
        let mut checkpoints = checkpoints.iter().rev().filter(|&&c| c <= v).peekable();
        let mut chain: Vec<Record> = Vec::new();
        let mut u = v;
        let base: State = loop {
            if checkpoints.next_if_eq(&&u).is_some()
                && let Some(Ok(s)) = self.read_checkpoint(u)?
                && self.checkpoint_matches_record(&s)
            {
                break Some(Arc::new(s));
            }
            match self.read_entry(u)? {
                None if u == v => return Ok(None),
                None => {
                    return Err(Error::CorruptManifest {
                        path: self
                            .storage
                            .display_path(&self.file_path(&manifest::manifest_path(u))),
                        reason: format!(
                            "it is missing, and version {v} cannot be rebuilt without it (no readable checkpoint at or after it)"
                        ),
                    });
                }
                Some(LogEntry::Full(m)) if m.removed => break None,
                Some(LogEntry::Full(m)) => break Some(Arc::new(Snapshot::from_manifest(m))),
                Some(LogEntry::Delta(r)) => {
                    let starts = r.removed || r.schema.is_some();
                    chain.push(r);
                    if starts {
                        break None;
                    }
                    if u == 1 {
                        break None; // applying it reports the missing start
                    }
                    u -= 1;
                }
            }
        };
        let mut state = base;
        for r in chain.iter().rev() {
            self.apply_record(&mut state, r)?;
        }
        Ok(Some(state))
    }

    /// Whether checkpoint `s` belongs to the record of its version (same
    /// commit id), or that record was collected. A checkpoint of another
    /// history (a removed dataset written again) does not.
    pub(crate) fn checkpoint_matches_record(&self, s: &Snapshot) -> bool {
        match self.read_entry(s.version) {
            Ok(Some(LogEntry::Delta(r))) => s.commit_id.as_deref() == Some(r.commit_id.as_str()),
            Ok(None) => true,
            Ok(Some(LogEntry::Full(_))) | Err(_) => false,
        }
    }

    fn apply_record(&self, state: &mut State, r: &Record) -> Result<()> {
        apply(state, r).map_err(|reason| Error::CorruptManifest {
            path: self
                .storage
                .display_path(&self.file_path(&manifest::manifest_path(r.version))),
            reason,
        })
    }

    /// The latest version and its state. Starts from `known` (a state this
    /// handle holds) or the checkpoint the hint names and reads the records
    /// after it until one is missing: no listing. Falls back to listing
    /// `_ordo/manifests/` when neither is usable.
    pub(crate) fn load_head(&self, known: State) -> Result<Option<Head>> {
        // The checkpoint the hint names belongs to the current history:
        // `remove` deletes the hint, then the checkpoints, before any
        // record, and only checkpoint writers of the new history write a
        // hint again. A state this handle holds may be of a removed
        // history: its record's commit id is checked.
        let start = match known {
            Some(s) => Some((s, true)),
            None => match self.read_hint() {
                Some(c) => match self.read_checkpoint(c)? {
                    Some(Ok(s)) => {
                        self.checkpointed.fetch_max(c, Ordering::Relaxed);
                        Some((Arc::new(s), false))
                    }
                    _ => None,
                },
                None => None,
            },
        };
        if let Some((s, check_identity)) = start
            && let Some(head) = self.roll_forward(s, check_identity)?
        {
            return Ok(Some(head));
        }
        // A collector only deletes versions older than the latest, so a
        // version listed and then gone means a newer one exists: retry.
        for _ in 0..8 {
            let Some(&latest) = self.list_versions()?.last() else {
                return Ok(None);
            };
            if let Some(state) = self.load_version(latest)? {
                return Ok(Some(Head {
                    version: latest,
                    state,
                }));
            }
        }
        Err(Error::CorruptManifest {
            path: self.path(),
            reason: "the latest manifest keeps disappearing while being read".into(),
        })
    }

    /// Applies the records after `s` until one is missing. `None` when the
    /// result cannot be trusted as the head: the record of `s` is not the
    /// one `s` was built from (the dataset was removed and written again;
    /// checked when `check_identity`), or it is gone (collected), so the
    /// missing record may have been collected too. Collection deletes in
    /// ascending order, so when the last version read still exists after
    /// the next one was found missing, the next one had not been written.
    ///
    /// In the steady state (nothing new) that is two requests: the next
    /// record, missing, then the record of `s`, whose reading checks its
    /// identity and its existence at once.
    fn roll_forward(&self, s: Arc<Snapshot>, check_identity: bool) -> Result<Option<Head>> {
        let is_same = |entry: Option<LogEntry>| match (&s.commit_id, entry) {
            (Some(id), Some(LogEntry::Delta(r))) => r.commit_id == *id,
            _ => false,
        };
        let first = self.read_entry(s.version + 1)?;
        if first.is_none() {
            let current = self.read_entry(s.version)?;
            let trusted = if check_identity {
                is_same(current)
            } else {
                current.is_some()
            };
            let version = s.version;
            return Ok(trusted.then_some(Head {
                version,
                state: Some(s),
            }));
        }
        if check_identity && !is_same(self.read_entry(s.version)?) {
            return Ok(None);
        }
        let mut v = s.version;
        let mut state = Some(s);
        let mut next = first;
        while let Some(entry) = next {
            match entry {
                LogEntry::Full(m) if m.removed => state = None,
                LogEntry::Full(m) => state = Some(Arc::new(Snapshot::from_manifest(m))),
                LogEntry::Delta(r) => {
                    self.apply_record(&mut state, &r)?;
                    self.remember(&r);
                }
            }
            v += 1;
            next = self.read_entry(v + 1)?;
        }
        Ok(self.entry_exists(v)?.then_some(Head { version: v, state }))
    }

    /// Publishes `record` as the next version, create-if-absent. When the
    /// storage reports a failure, the record may still have landed (a lost
    /// reply): it is this commit's if the file holds its commit id.
    pub(crate) fn publish_record(&self, record: &Record) -> Result<()> {
        let name = manifest::manifest_path(record.version);
        let created = match self
            .storage
            .put_if_absent(&self.file_path(&name), &record.encode())
        {
            Ok(created) => created,
            Err(e) => {
                if self.is_own_record(record) {
                    return Ok(());
                }
                return Err(self.io_error(&name)(e));
            }
        };
        if !created {
            return Err(Error::ConcurrentCommit {
                path: self.path(),
                version: record.version,
            });
        }
        Ok(())
    }

    /// Whether the record of `record.version` on storage is `record`'s
    /// (same commit id); any doubt is `false`.
    pub(crate) fn is_own_record(&self, record: &Record) -> bool {
        matches!(
            self.read_entry(record.version),
            Ok(Some(LogEntry::Delta(r))) if r.commit_id == record.commit_id
        )
    }

    /// Whether a checkpoint is due after committing `s`.
    pub(crate) fn checkpoint_due(&self, s: &Snapshot) -> bool {
        let known = self.checkpointed.load(Ordering::Relaxed);
        let every = checkpoint_interval(s.stats.len());
        match s.base {
            StateBase::Format1(b) if known <= b => true,
            StateBase::Format1(_) => s.version - known >= every,
            // A starting record's state counts from the empty state before
            // it, so checkpoints of a steady size fall on multiples.
            StateBase::Start(b) => s.version - (b - 1).max(known) >= every,
            StateBase::Checkpoint(b) => s.version - b.max(known) >= every,
        }
    }

    /// Writes the checkpoint of `s` (create-if-absent: any copy holds the
    /// same state) and points the hint at it unless this handle knows a
    /// newer one. Never needed for correctness: a crash here leaves a
    /// temporary file or a stale hint.
    pub(crate) fn write_checkpoint(&self, s: &Snapshot) -> Result<()> {
        let name = manifest::checkpoint_path(s.version);
        self.storage
            .put_if_absent(&self.file_path(&name), &checkpoint::encode(s))
            .map_err(self.io_error(&name))?;
        if self.checkpointed.load(Ordering::Relaxed) > s.version {
            return Ok(());
        }
        let hint = serde_json::json!({ "version": s.version });
        self.storage
            .put_atomic(
                &self.file_path(LAST_CHECKPOINT_FILE),
                hint.to_string().as_bytes(),
            )
            .map_err(self.io_error(LAST_CHECKPOINT_FILE))?;
        self.checkpointed.fetch_max(s.version, Ordering::Relaxed);
        Ok(())
    }

    /// Every version still in the log, oldest first (a listing).
    pub(crate) fn list_versions(&self) -> Result<Vec<u64>> {
        let dir = self.file_path(MANIFEST_DIR);
        let names = self.storage.list(&dir).map_err(|e| {
            if e.kind() == ErrorKind::NotADirectory {
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
}
