//! How a handle is opened: where its bytes live, how long it waits for a
//! writer lock, how durable its writes are, and which versions the
//! collection after its commits keeps. One builder configures datasets,
//! stores and field arrays alike.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::options::Retention;
use crate::storage::{Durability, Storage, storage_for};

/// How long a writer waits for the lock by default.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// How many times a write is tried against racing writers by default.
pub const DEFAULT_COMMIT_ATTEMPTS: u32 = 20;

/// Options of a handle: an [`OrderedParquetDataset`](crate::OrderedParquetDataset),
/// a [`Store`](crate::Store) (and so the datasets and field arrays it
/// opens) or a [`FieldArray`](crate::fields::FieldArray). Every operation
/// of the handle that takes a writer lock (writes, compaction, metadata
/// changes, garbage collection, removal, field appends) waits at most
/// `lock_timeout` for it, then fails with
/// [`Error::LockTimeout`](crate::Error::LockTimeout).
///
/// Defaults: local files with [`Durability::Sync`], a 30 s lock timeout,
/// the default [`Retention`].
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use ordo_store::storage::{Durability, MemoryStorage};
/// use ordo_store::{OpenOptions, OrderedParquetDataset, Retention};
///
/// let dir = tempfile::tempdir()?;
/// let opts = OpenOptions::new()
///     .lock_timeout(Duration::from_secs(5))
///     .durability(Durability::Process)
///     .retention(Retention::default().keep_versions(2));
/// let on_disk = OrderedParquetDataset::open_with(dir.path().join("ticks"), &opts)?;
/// assert_eq!(on_disk.version(), None);
///
/// // Another storage: paths are `/`-separated prefixes inside it.
/// let in_memory = OpenOptions::new().storage(Arc::new(MemoryStorage::new()));
/// let ds = OrderedParquetDataset::open_with("ticks", &in_memory)?;
/// assert_eq!(ds.path().to_str(), Some("memory://ticks"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct OpenOptions {
    pub(crate) lock_timeout: Duration,
    pub(crate) durability: Durability,
    pub(crate) storage: Option<Arc<dyn Storage>>,
    pub(crate) retention: Retention,
    pub(crate) commit_attempts: u32,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl OpenOptions {
    /// The default options (see the type's docs).
    pub fn new() -> Self {
        Self {
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            durability: Durability::Sync,
            storage: None,
            retention: Retention::default(),
            commit_attempts: DEFAULT_COMMIT_ATTEMPTS,
        }
    }

    /// How long an operation waits for the writer lock.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// How durable local writes are (see [`Durability`]); ignored when a
    /// [`storage`](Self::storage) is given, which has its own.
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// Where the bytes live, for datasets and field arrays. Without it,
    /// paths are local directories; with it, a path is a `/`-separated
    /// prefix inside `storage` (e.g. a
    /// [`MemoryStorage`](crate::storage::MemoryStorage)). A
    /// [`Store`](crate::Store) is local only.
    pub fn storage(mut self, storage: Arc<dyn Storage>) -> Self {
        self.storage = Some(storage);
        self
    }

    /// The rule of the garbage collection that follows some commits (every
    /// 8th version) of the handle.
    pub fn retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// How many times a write is planned and tried when other writers
    /// commit the version it was about to commit (default 20; at least 1).
    /// This happens on storages without an exclusive lock (object
    /// stores), where writers are optimistic; after the last attempt the
    /// write fails with [`Error::CommitConflict`](crate::Error::CommitConflict).
    ///
    /// ```
    /// use ordo_store::OpenOptions;
    /// let impatient = OpenOptions::new().commit_attempts(3);
    /// # let _ = impatient;
    /// ```
    pub fn commit_attempts(mut self, attempts: u32) -> Self {
        self.commit_attempts = attempts.max(1);
        self
    }

    /// The storage and prefix of `path` under these options: inside the
    /// given storage, or the storage `path` names (a local directory or,
    /// with the `cloud` feature, an object-store URL).
    pub(crate) fn locate(&self, path: &Path) -> Result<(Arc<dyn Storage>, String)> {
        match &self.storage {
            Some(storage) => {
                let prefix = path
                    .components()
                    .filter_map(|c| match c {
                        std::path::Component::Normal(s) => Some(s.to_string_lossy()),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
                    .join("/");
                Ok((storage.clone(), prefix))
            }
            None => storage_for(path, self.durability)
                .map(|s| (s, String::new()))
                .map_err(|source| Error::InvalidLocation {
                    location: path.display().to_string(),
                    source,
                }),
        }
    }
}
