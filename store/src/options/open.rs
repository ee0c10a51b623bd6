//! How a handle is opened: where its bytes live, how long it waits for a
//! writer lock, how durable its writes are, and which versions the
//! collection after its commits keeps. One builder configures datasets,
//! stores and field arrays alike.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::options::Retention;
use crate::storage::{Durability, LocalStorage, Storage};

/// How long a writer waits for the lock by default.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

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

    /// The storage and prefix of `path` under these options.
    pub(crate) fn locate(&self, path: &Path) -> (Arc<dyn Storage>, String) {
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
                (storage.clone(), prefix)
            }
            None => (
                Arc::new(LocalStorage::new(path).with_durability(self.durability)),
                String::new(),
            ),
        }
    }
}
