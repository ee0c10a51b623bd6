//! [`Store`]: a collection of datasets under one root directory, each at
//! the relative path its key gives. The semantics are documented on
//! [`Store`].

pub(crate) mod discover;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use self::discover::{Depth, Walker, storage_path};
use crate::dataset::OrderedParquetDataset;
use crate::error::{Error, Result};
use crate::keys::TopLevel;
use crate::options::open::OpenOptions;
use crate::storage::{PathKind, Prefixed, Storage};

/// A collection of datasets named by keys of type `K`, each in the
/// directory [`TopLevel::to_path`] gives, relative to the root.
///
/// # Discovery
///
/// [`Store::open`] and [`Store::refresh`] walk the root to exactly
/// `K::DEPTH` directory levels. A directory there is a dataset when
/// `_ordo/manifests/` in it holds at least one manifest file (20 digits +
/// `.json`) and its relative path parses with [`TopLevel::from_path`].
/// Everything else is ignored without error: foreign files and
/// directories, names that do not parse as a key, names starting with `_`
/// or `.`, directories without a manifest. Symbolic links below the root
/// are never followed (the root itself may be one).
///
/// # The key set
///
/// The store caches its sorted key set behind a lock, so every method
/// takes `&self` and a `Store` can be shared between threads:
/// - [`Store::contains`] always asks the disk (a few `stat` calls and one
///   directory listing) and updates the cache with the answer;
/// - a key handed out by [`Store::get`] that had no dataset yet is
///   remembered, and joins the key set ([`Store::keys`], [`Store::len`],
///   [`Store::iter`]) as soon as a write created it;
/// - datasets created or removed by other processes, or removed through a
///   dataset handle rather than [`Store::remove`], show up in the key set
///   after [`Store::refresh`].
///
/// A dataset whose removal crashed part-way still holds a tombstone
/// manifest: it is listed, reads as empty (`version() == None`), and
/// [`Store::remove`] finishes removing it.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use ordo::arrow::array::{Int64Array, RecordBatch};
/// use ordo::arrow::datatypes::{DataType, Field, Schema};
/// use ordo::{Store, TopLevel, WriteOptions};
///
/// #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, TopLevel)]
/// struct Ticker { exchange: String, symbol: String }
///
/// let dir = tempfile::tempdir()?;
/// let store = Store::<Ticker>::open(dir.path())?;
/// assert!(store.is_empty());
///
/// let key = Ticker { exchange: "xetra".into(), symbol: "sap".into() };
/// let ds = store.get(&key)?; // nothing on disk yet
/// assert!(!store.contains(&key));
/// let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
/// let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(vec![1, 2, 3]))])?;
/// ds.write(&batch, &WriteOptions::new("ts"))?;
/// assert!(store.contains(&key));
/// assert_eq!(store.keys(), vec![key.clone()]);
///
/// // Another handle on the same root discovers it.
/// let again = Store::<Ticker>::open(dir.path())?;
/// assert_eq!(again.get(&key)?.num_rows(), 3);
///
/// store.remove(&key)?;
/// assert!(store.is_empty());
/// assert_eq!(std::fs::read_dir(dir.path())?.count(), 0); // parents pruned
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Store<K> {
    root: PathBuf,
    /// The root's files: every access of the store goes through it.
    storage: Arc<dyn Storage>,
    /// The options every dataset and field array of the store opens with.
    options: OpenOptions,
    keys: RwLock<KeySet<K>>,
}

/// The cached key set.
#[derive(Debug)]
struct KeySet<K> {
    /// Keys with a dataset, as last seen.
    known: BTreeSet<K>,
    /// Keys handed out by `get` without a dataset at the time: a write
    /// through the handle may create it.
    pending: BTreeSet<K>,
}

impl<K: TopLevel + Ord + Clone> Store<K> {
    /// Opens the store rooted at `root` and discovers its datasets.
    ///
    /// A missing root is an empty store (nothing is created: the first
    /// write creates the directories). A root that exists but is not a
    /// directory is [`Error::NotADirectory`].
    ///
    /// ```
    /// use ordo::{Error, Store, TopLevel};
    /// #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
    /// struct Key { name: String }
    ///
    /// let dir = tempfile::tempdir()?;
    /// let store = Store::<Key>::open(dir.path().join("not-yet"))?;
    /// assert!(store.is_empty());
    /// assert!(!dir.path().join("not-yet").exists());
    ///
    /// std::fs::write(dir.path().join("file"), b"x")?;
    /// assert!(matches!(
    ///     Store::<Key>::open(dir.path().join("file")),
    ///     Err(Error::NotADirectory { .. })
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(root: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(root, &OpenOptions::new())
    }

    /// Opens the store at `root` with `options`, which its datasets and
    /// field arrays open with (lock timeout, durability, retention,
    /// commit attempts). `root` is a local directory or, with the `cloud`
    /// feature, an object-store URL (`s3://bucket/prefix`, `gs://…`,
    /// `az://…`, `memory://…`). With a [`storage`](OpenOptions::storage)
    /// in `options`, `root` is a `/`-separated directory inside it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ordo::{OpenOptions, Store, TopLevel};
    /// #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
    /// struct Key { name: String }
    ///
    /// let dir = tempfile::tempdir()?;
    /// let patient = OpenOptions::new().lock_timeout(Duration::from_secs(120));
    /// let store = Store::<Key>::open_with(dir.path(), &patient)?;
    /// assert!(store.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_with(root: impl AsRef<Path>, options: &OpenOptions) -> Result<Self> {
        let root = root.as_ref().to_path_buf();
        let (storage, prefix) = options.locate(&root)?;
        Self::open_in(root, Prefixed::over(storage, prefix), options)
    }

    /// Opens the store whose root `root` is the root of `storage`.
    pub(crate) fn open_in(
        root: PathBuf,
        storage: Arc<dyn Storage>,
        options: &OpenOptions,
    ) -> Result<Self> {
        let known = discover(storage.as_ref())?;
        // Datasets and fields open inside the root's storage, by their
        // paths relative to the root: one client for a whole bucket.
        let options = options.clone().storage(storage.clone());
        Ok(Self {
            root,
            storage,
            options,
            keys: RwLock::new(KeySet {
                known,
                pending: BTreeSet::new(),
            }),
        })
    }

    /// The root directory.
    ///
    /// ```
    /// # use ordo::{Store, TopLevel};
    /// # #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
    /// # struct Key { name: String }
    /// let store = Store::<Key>::open("/nonexistent/ordo-store")?;
    /// assert_eq!(store.root(), std::path::Path::new("/nonexistent/ordo-store"));
    /// # Ok::<(), ordo::Error>(())
    /// ```
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The options the store's datasets and field arrays open with.
    pub(crate) fn options(&self) -> &OpenOptions {
        &self.options
    }

    /// The storage of the root.
    pub(crate) fn storage(&self) -> &dyn Storage {
        self.storage.as_ref()
    }

    /// The storage of the root, shared.
    #[cfg(feature = "sql")]
    pub(crate) fn storage_arc(&self) -> Arc<dyn Storage> {
        self.storage.clone()
    }

    /// The walker of the store's directories.
    pub(crate) fn walker(&self) -> Walker<'_> {
        Walker::new(self.storage.as_ref())
    }

    /// Walks the root again, replacing the cached key set: picks up
    /// datasets created or removed by other processes or handles.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ordo::arrow::array::{Int64Array, RecordBatch};
    /// # use ordo::arrow::datatypes::{DataType, Field, Schema};
    /// use ordo::{Store, TopLevel, WriteOptions};
    /// #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
    /// struct Key { name: String }
    ///
    /// let dir = tempfile::tempdir()?;
    /// let reader = Store::<Key>::open(dir.path())?;
    /// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
    /// # let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(vec![1]))])?;
    /// let writer = Store::<Key>::open(dir.path())?;
    /// writer.get(&Key { name: "a".into() })?.write(&batch, &WriteOptions::new("ts"))?;
    /// assert_eq!(reader.len(), 0); // not yet seen
    /// reader.refresh()?;
    /// assert_eq!(reader.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn refresh(&self) -> Result<()> {
        let known = discover(self.storage.as_ref())?;
        let mut keys = self.write_keys();
        keys.pending.retain(|k| !known.contains(k));
        keys.known = known;
        Ok(())
    }

    /// A handle on the dataset of `key`, at its latest version. Validates
    /// the key and creates nothing on disk: a dataset without versions is
    /// empty until its first write, which creates the directories.
    ///
    /// Errors: [`Error::Key`] for an invalid key, [`Error::SymlinkInStore`]
    /// or [`Error::NotADirectory`] when a level of the key's path is a link
    /// or a file, and the errors of [`OrderedParquetDataset::open`].
    ///
    /// ```
    /// use ordo::{Store, TopLevel};
    /// #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
    /// struct Key { name: String }
    ///
    /// let dir = tempfile::tempdir()?;
    /// let store = Store::<Key>::open(dir.path())?;
    /// let ds = store.get(&Key { name: "new".into() })?;
    /// assert_eq!(ds.version(), None);
    /// assert_eq!(std::fs::read_dir(dir.path())?.count(), 0);
    /// assert!(store.get(&Key { name: "a.b".into() }).is_err()); // invalid key
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(&self, key: &K) -> Result<OrderedParquetDataset> {
        let dir = self.dataset_dir(key)?;
        let ds = OrderedParquetDataset::open_with(dir, &self.options)?;
        let known = self.read_keys().known.contains(key);
        if !known {
            let mut keys = self.write_keys();
            if ds.version().is_some() {
                keys.known.insert(key.clone());
            } else {
                keys.pending.insert(key.clone());
            }
        }
        Ok(ds)
    }

    /// Whether `key` has a dataset on disk now (checked on disk, so it also
    /// sees datasets other processes created). An invalid key has none.
    ///
    /// ```
    /// use ordo::{Store, TopLevel};
    /// #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
    /// struct Key { name: String }
    ///
    /// let dir = tempfile::tempdir()?;
    /// let store = Store::<Key>::open(dir.path())?;
    /// assert!(!store.contains(&Key { name: "a".into() }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn contains(&self, key: &K) -> bool {
        let Ok(rel) = key.to_path() else {
            return false;
        };
        match self.walker().probe(&storage_path(&rel)) {
            Ok(found) => {
                let cached = self.read_keys().known.contains(key);
                if found != cached {
                    let mut keys = self.write_keys();
                    if found {
                        keys.pending.remove(key);
                        keys.known.insert(key.clone());
                    } else {
                        keys.known.remove(key);
                    }
                }
                found
            }
            // The disk cannot answer: trust the cache.
            Err(_) => self.read_keys().known.contains(key),
        }
    }

    /// The keys of the datasets, sorted (see [`Store`] for how current
    /// the set is).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ordo::arrow::array::{Int64Array, RecordBatch};
    /// # use ordo::arrow::datatypes::{DataType, Field, Schema};
    /// use ordo::{Store, TopLevel, WriteOptions};
    /// #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
    /// struct Key { name: String }
    ///
    /// let dir = tempfile::tempdir()?;
    /// let store = Store::<Key>::open(dir.path())?;
    /// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
    /// # let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(vec![1]))])?;
    /// for name in ["b", "a"] {
    ///     store.get(&Key { name: name.into() })?.write(&batch, &WriteOptions::new("ts"))?;
    /// }
    /// assert_eq!(store.keys(), vec![Key { name: "a".into() }, Key { name: "b".into() }]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keys(&self) -> Vec<K> {
        self.settle_pending();
        self.read_keys().known.iter().cloned().collect()
    }

    /// The number of datasets.
    ///
    /// ```
    /// # use ordo::{Store, TopLevel};
    /// # #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
    /// # struct Key { name: String }
    /// let dir = tempfile::tempdir()?;
    /// assert_eq!(Store::<Key>::open(dir.path())?.len(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.settle_pending();
        self.read_keys().known.len()
    }

    /// Whether the store has no dataset.
    ///
    /// ```
    /// # use ordo::{Store, TopLevel};
    /// # #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
    /// # struct Key { name: String }
    /// let dir = tempfile::tempdir()?;
    /// assert!(Store::<Key>::open(dir.path())?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every dataset with its key, in key order, each opened (at its latest
    /// version) only when the iterator reaches it. The key set is the one
    /// of the call.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ordo::arrow::array::{Int64Array, RecordBatch};
    /// # use ordo::arrow::datatypes::{DataType, Field, Schema};
    /// use ordo::{Store, TopLevel, WriteOptions};
    /// #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
    /// struct Key { name: String }
    ///
    /// let dir = tempfile::tempdir()?;
    /// let store = Store::<Key>::open(dir.path())?;
    /// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
    /// # let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(vec![1, 2]))])?;
    /// store.get(&Key { name: "a".into() })?.write(&batch, &WriteOptions::new("ts"))?;
    /// for entry in store.iter() {
    ///     let (key, ds) = entry?;
    ///     assert_eq!((key.name.as_str(), ds.num_rows()), ("a", 2));
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = Result<(K, OrderedParquetDataset)>> + '_ {
        self.keys()
            .into_iter()
            .map(|k| self.get(&k).map(|ds| (k, ds)))
    }

    /// Removes the dataset of `key` ([`OrderedParquetDataset::remove`],
    /// waiting up to the store's lock timeout for the writer lock), then
    /// removes the parent directories it leaves empty, up to but excluding
    /// the root. Files ordo did not write stay, and so do the directories
    /// holding them. Nothing outside the dataset's directory and its
    /// emptied parents is touched, and no symbolic link is followed: a
    /// link on the key's path is [`Error::SymlinkInStore`].
    ///
    /// Removing a key without a dataset is `Ok(())` and changes nothing on
    /// disk. Readers pinned to a version of the dataset lose its files.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ordo::arrow::array::{Int64Array, RecordBatch};
    /// # use ordo::arrow::datatypes::{DataType, Field, Schema};
    /// use ordo::{Store, SubLevel, TopLevel, WriteOptions};
    /// #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, SubLevel)]
    /// struct Day { day: u32 }
    /// #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
    /// struct Key { name: String, day: Day }
    ///
    /// let dir = tempfile::tempdir()?;
    /// let store = Store::<Key>::open(dir.path())?;
    /// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
    /// # let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(vec![1]))])?;
    /// let key = |d| Key { name: "a".into(), day: Day { day: d } };
    /// store.get(&key(1))?.write(&batch, &WriteOptions::new("ts"))?;
    /// store.get(&key(2))?.write(&batch, &WriteOptions::new("ts"))?;
    /// store.remove(&key(1))?;
    /// assert!(dir.path().join("a").is_dir()); // still holds day 2
    /// store.remove(&key(2))?;
    /// assert!(!dir.path().join("a").exists()); // pruned
    /// store.remove(&key(2))?; // no dataset: nothing to do
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn remove(&self, key: &K) -> Result<()> {
        let rel = key.to_path()?;
        let dir = self.dataset_dir(key)?;
        if self.walker().probe(&storage_path(&rel))? {
            OrderedParquetDataset::open_with(&dir, &self.options)?.remove()?;
            self.prune_parents(&rel)?;
        }
        let mut keys = self.write_keys();
        keys.known.remove(key);
        keys.pending.remove(key);
        Ok(())
    }

    /// The directory of `key`'s dataset relative to the root (where the
    /// store's options, which hold the root's storage, open it), after
    /// checking that no existing level of it below the root is a link or
    /// a file.
    pub(crate) fn dataset_dir(&self, key: &K) -> Result<PathBuf> {
        let rel = key.to_path()?;
        if !self.storage.has_links() {
            // Object stores: no links, and a prefix is never a file in the
            // way: nothing to check (and no request to pay per level).
            return Ok(rel);
        }
        let walker = self.walker();
        let mut dir = String::new();
        for level in rel.iter() {
            dir = crate::storage::join(&dir, &level.to_string_lossy());
            let path = || self.storage.display_path(&dir);
            match walker.kind(&dir)? {
                PathKind::Directory => {}
                PathKind::Missing => break,
                PathKind::Link => return Err(Error::SymlinkInStore { path: path() }),
                PathKind::File => return Err(Error::NotADirectory { path: path() }),
            }
        }
        Ok(rel)
    }

    /// Removes the dataset directory and its parents while they are empty,
    /// deepest first, stopping below the root.
    fn prune_parents(&self, rel: &Path) -> Result<()> {
        let walker = self.walker();
        let mut dir = Some(rel);
        while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
            let path = storage_path(d);
            self.storage
                .remove_dir_if_empty(&path)
                .map_err(walker.io_error(&path))?;
            // Still there: not empty, and neither are its parents.
            if walker.kind(&path)? != PathKind::Missing {
                break;
            }
            dir = d.parent();
        }
        Ok(())
    }

    /// Moves pending keys whose dataset now exists into the key set.
    fn settle_pending(&self) {
        let pending: Vec<K> = self.read_keys().pending.iter().cloned().collect();
        if pending.is_empty() {
            return;
        }
        let found: Vec<K> = pending
            .into_iter()
            .filter(|k| {
                k.to_path()
                    .is_ok_and(|rel| self.walker().probe(&storage_path(&rel)).unwrap_or(false))
            })
            .collect();
        if !found.is_empty() {
            let mut keys = self.write_keys();
            for k in found {
                keys.pending.remove(&k);
                keys.known.insert(k);
            }
        }
    }

    fn read_keys(&self) -> RwLockReadGuard<'_, KeySet<K>> {
        self.keys.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_keys(&self) -> RwLockWriteGuard<'_, KeySet<K>> {
        self.keys.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// The keys of the datasets in `storage` (see [`Store`]).
fn discover<K: TopLevel + Ord>(storage: &dyn Storage) -> Result<BTreeSet<K>> {
    let mut keys = BTreeSet::new();
    let walker = Walker::new(storage);
    if !walker.root_exists()? {
        return Ok(keys);
    }
    walker.walk("", Depth::Exactly(K::DEPTH), &mut |rel| {
        if walker.has_manifest(rel)?
            && let Ok(key) = K::from_path(Path::new(rel))
        {
            keys.insert(key);
        }
        Ok(())
    })?;
    Ok(keys)
}
