//! The one walker of store directories, through a [`Storage`]:
//! [`dataset_dirs`] (every dataset directory under a root, found without a
//! key type, for tools that inspect a store they do not know the key of),
//! [`Store`](crate::Store) discovery and `keys_with_fields`.
//!
//! One policy for all of them: names starting with `_` or `.` (ordo's own
//! `_ordo` and `_fields` among them) are skipped, and so are names that
//! are not UTF-8; links are never followed below the root (the storage
//! lists real directories only); a directory removed while walking has no
//! sub-directory; any other failure is [`Error::Io`] naming the directory
//! that could not be read.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::format::manifest::{self, MANIFEST_DIR};
use crate::storage::{PathKind, Storage, join};

/// The dataset directories under `root`, relative to it and sorted: every
/// directory at any depth whose `_ordo/manifests/` holds a manifest. `root`
/// itself is listed as the empty path when it is a dataset.
///
/// The walk follows the rules of [`Store`](crate::Store) discovery, minus
/// the key: names starting with `_` or `.` (ordo's own `_ordo` and
/// `_fields` among them) and names that are not UTF-8 are skipped, and
/// symbolic links below the root are never followed (the root itself may
/// be one). It does not stop at a dataset: directories inside one are
/// searched too. A missing root has no dataset; a root that is not a
/// directory is [`Error::NotADirectory`].
///
/// ```
/// # use std::sync::Arc;
/// # use ordo_store::arrow::array::{Int64Array, RecordBatch};
/// # use ordo_store::arrow::datatypes::{DataType, Field, Schema};
/// use std::path::PathBuf;
/// use ordo_store::{WriteOptions, dataset_dirs};
///
/// let dir = tempfile::tempdir()?;
/// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
/// # let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(vec![1]))])?;
/// for path in ["b", "a/1D", "a/1h"] {
///     ordo_store::write(dir.path().join(path), &batch, &WriteOptions::new("ts"))?;
/// }
/// std::fs::create_dir(dir.path().join("empty"))?; // no manifest: not a dataset
/// let found = dataset_dirs(dir.path())?;
/// assert_eq!(found, ["a/1D", "a/1h", "b"].map(PathBuf::from));
/// assert_eq!(dataset_dirs(dir.path().join("b"))?, [PathBuf::new()]);
/// assert!(dataset_dirs(dir.path().join("missing"))?.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn dataset_dirs(root: impl AsRef<Path>) -> Result<Vec<PathBuf>> {
    let (storage, _) = crate::OpenOptions::new().locate(root.as_ref())?;
    dataset_dirs_in(storage.as_ref())
}

/// [`dataset_dirs`] of the root of `storage`.
pub(crate) fn dataset_dirs_in(storage: &dyn Storage) -> Result<Vec<PathBuf>> {
    let walker = Walker::new(storage);
    if !walker.root_exists()? {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    if walker.has_manifest("")? {
        found.push(PathBuf::new());
    }
    walker.walk("", Depth::Every, &mut |rel| {
        if walker.has_manifest(rel)? {
            found.push(PathBuf::from(rel));
        }
        Ok(())
    })?;
    found.sort();
    Ok(found)
}

/// Which directories [`Walker::walk`] visits.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Depth {
    /// Every directory below the start, each before those inside it.
    Every,
    /// The directories exactly this many levels below the start.
    Exactly(usize),
}

/// Walks the directories of a store's storage (see the module docs for
/// the policy).
#[derive(Clone, Copy)]
pub(crate) struct Walker<'a> {
    storage: &'a dyn Storage,
}

impl<'a> Walker<'a> {
    pub(crate) fn new(storage: &'a dyn Storage) -> Self {
        Self { storage }
    }

    /// Whether the root exists: a missing root is an empty store, anything
    /// but a directory is [`Error::NotADirectory`].
    pub(crate) fn root_exists(&self) -> Result<bool> {
        match self.storage.kind("").map_err(self.io_error(""))? {
            PathKind::Directory => Ok(true),
            PathKind::Missing => Ok(false),
            PathKind::File | PathKind::Link => Err(Error::NotADirectory {
                path: self.storage.display_path(""),
            }),
        }
    }

    /// Calls `visit` with the relative path of each directory `depth`
    /// selects below `rel`, in name order, depth first.
    pub(crate) fn walk(
        &self,
        rel: &str,
        depth: Depth,
        visit: &mut dyn FnMut(&str) -> Result<()>,
    ) -> Result<()> {
        if let Depth::Exactly(0) = depth {
            return visit(rel);
        }
        for child in self.children(rel)? {
            match depth {
                Depth::Every => {
                    visit(&child)?;
                    self.walk(&child, Depth::Every, visit)?;
                }
                Depth::Exactly(levels) => self.walk(&child, Depth::Exactly(levels - 1), visit)?,
            }
        }
        Ok(())
    }

    /// The directories directly in `rel` where datasets may be, as paths
    /// relative to the root.
    fn children(&self, rel: &str) -> Result<Vec<String>> {
        let names = self.storage.list_dirs(rel).map_err(self.io_error(rel))?;
        Ok(names
            .into_iter()
            .filter(|name| !name.starts_with(['_', '.']))
            .map(|name| join(rel, &name))
            .collect())
    }

    /// Whether `rel/_ordo/manifests/` (real directories, no links) holds a
    /// manifest file. On storage without links, one listing.
    pub(crate) fn has_manifest(&self, rel: &str) -> Result<bool> {
        let mut dir = rel.to_owned();
        for level in MANIFEST_DIR.split('/') {
            dir = join(&dir, level);
            if self.storage.has_links() && self.kind(&dir)? != PathKind::Directory {
                return Ok(false);
            }
        }
        let names = self.storage.list(&dir).map_err(self.io_error(&dir))?;
        Ok(names
            .iter()
            .any(|n| manifest::parse_manifest_name(n).is_some()))
    }

    /// Whether `rel` is a dataset: every level below the root a real
    /// directory (no link), holding a manifest.
    pub(crate) fn probe(&self, rel: &str) -> Result<bool> {
        let mut dir = String::new();
        for level in rel.split('/').filter(|l| !l.is_empty()) {
            dir = join(&dir, level);
            if !self.storage.has_links() {
                break; // listing the manifests below answers for every level
            }
            if self.kind(&dir)? != PathKind::Directory {
                return Ok(false);
            }
        }
        self.has_manifest(rel)
    }

    /// What `rel` names (links not followed).
    pub(crate) fn kind(&self, rel: &str) -> Result<PathKind> {
        self.storage.kind(rel).map_err(self.io_error(rel))
    }

    /// Makes [`Error::Io`]s naming `rel`.
    pub(crate) fn io_error(&self, rel: &str) -> impl Fn(std::io::Error) -> Error + use<> {
        let path = self.storage.display_path(rel);
        move |source| Error::Io {
            path: path.clone(),
            source,
        }
    }
}

/// A relative path of a key as a storage path (`/`-separated).
pub(crate) fn storage_path(rel: &Path) -> String {
    rel.iter()
        .map(|part| part.to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{LocalStorage, MemoryStorage};

    /// Makes `rel` look like a dataset (a manifest file name is enough for
    /// discovery).
    fn fake_dataset(storage: &dyn Storage, rel: &str) {
        let manifest = join(rel, &crate::format::manifest::manifest_path(1));
        // Discovery does not decode manifests.
        storage.put(&manifest, b"{}").unwrap();
    }

    /// The same layout on local and in-memory storage.
    fn storages() -> Vec<(Box<dyn Storage>, Option<tempfile::TempDir>)> {
        let dir = tempfile::tempdir().unwrap();
        vec![
            (Box::new(LocalStorage::new(dir.path())), Some(dir)),
            (Box::new(MemoryStorage::new()), None),
        ]
    }

    #[test]
    fn skips_hidden_reserved_and_manifestless_directories() {
        for (storage, _dir) in storages() {
            let s = storage.as_ref();
            fake_dataset(s, "x/y");
            fake_dataset(s, "x/y/nested");
            fake_dataset(s, "_private/z");
            fake_dataset(s, ".hidden");
            fake_dataset(s, "x/_fields/f");
            s.put("x/no-manifest/_ordo/manifests/notes", b"not a manifest")
                .unwrap();
            s.put("x/file", b"not a directory").unwrap();
            let found = dataset_dirs_in(s).unwrap();
            assert_eq!(found, [PathBuf::from("x/y"), PathBuf::from("x/y/nested")]);
            fake_dataset(s, "");
            assert_eq!(dataset_dirs_in(s).unwrap()[0], PathBuf::new());
        }
    }

    #[test]
    fn a_file_root_is_an_error_and_a_missing_one_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        LocalStorage::new(dir.path()).put("f", b"x").unwrap();
        assert!(matches!(
            dataset_dirs(dir.path().join("f")),
            Err(Error::NotADirectory { .. })
        ));
        assert!(dataset_dirs(dir.path().join("missing")).unwrap().is_empty());
    }

    /// Local storage in which one directory cannot be read (tests run as
    /// root, for whom permissions deny nothing).
    #[derive(Debug)]
    struct Unreadable {
        inner: LocalStorage,
        dir: &'static str,
    }

    impl Unreadable {
        fn check(&self, dir: &str) -> std::io::Result<()> {
            if dir == self.dir {
                return Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
            }
            Ok(())
        }
    }

    impl Storage for Unreadable {
        fn put_if_absent(&self, path: &str, data: &[u8]) -> std::io::Result<bool> {
            self.inner.put_if_absent(path, data)
        }
        fn put(&self, path: &str, data: &[u8]) -> std::io::Result<()> {
            self.inner.put(path, data)
        }
        fn put_atomic(&self, path: &str, data: &[u8]) -> std::io::Result<()> {
            self.inner.put_atomic(path, data)
        }
        fn read(&self, path: &str) -> std::io::Result<bytes::Bytes> {
            self.inner.read(path)
        }
        fn read_range(
            &self,
            path: &str,
            range: std::ops::Range<u64>,
        ) -> std::io::Result<bytes::Bytes> {
            self.inner.read_range(path, range)
        }
        fn size(&self, path: &str) -> std::io::Result<u64> {
            self.inner.size(path)
        }
        fn list(&self, dir: &str) -> std::io::Result<Vec<String>> {
            self.check(dir)?;
            self.inner.list(dir)
        }
        fn list_dirs(&self, dir: &str) -> std::io::Result<Vec<String>> {
            self.check(dir)?;
            self.inner.list_dirs(dir)
        }
        fn kind(&self, path: &str) -> std::io::Result<PathKind> {
            self.inner.kind(path)
        }
        fn delete(&self, path: &str) -> std::io::Result<()> {
            self.inner.delete(path)
        }
        fn remove_dir_if_empty(&self, dir: &str) -> std::io::Result<()> {
            self.inner.remove_dir_if_empty(dir)
        }
        fn lock(
            &self,
            path: &str,
            timeout: std::time::Duration,
        ) -> std::io::Result<Option<crate::storage::LockGuard>> {
            self.inner.lock(path, timeout)
        }
        fn display_path(&self, path: &str) -> PathBuf {
            self.inner.display_path(path)
        }
    }

    /// A key of two levels, `<a>/<b>`.
    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
    struct Pair(String, String);

    impl crate::keys::__private::KeyLevel for Pair {
        const NAME: &'static str = "Pair";
        const LEVELS: usize = 2;
        fn level_widths(out: &mut Vec<usize>) {
            out.extend([1, 1]);
        }
        fn key_fields(out: &mut Vec<(&'static str, arrow::datatypes::DataType)>) {
            out.extend([
                ("a", arrow::datatypes::DataType::Utf8),
                ("b", arrow::datatypes::DataType::Utf8),
            ]);
        }
        fn write_dirs(
            &self,
            _: char,
            dirs: &mut Vec<String>,
        ) -> std::result::Result<(), crate::KeyError> {
            dirs.extend([self.0.clone(), self.1.clone()]);
            Ok(())
        }
        fn from_dirs(dirs: &[Vec<&str>], _: char) -> std::result::Result<Self, crate::KeyError> {
            Ok(Pair(dirs[0][0].to_owned(), dirs[1][0].to_owned()))
        }
        fn fmt_fields(&self, sep: char, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{}{sep}{}", self.0, self.1)
        }
    }

    impl crate::keys::TopLevel for Pair {
        const SEP: char = '-';
    }

    #[test]
    fn an_unreadable_directory_is_an_io_error_naming_it() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let local = LocalStorage::new(root);
        fake_dataset(&local, "a/x");
        fake_dataset(&local, "b/y");
        fn io_path<T>(result: Result<T>) -> PathBuf {
            match result {
                Err(Error::Io { path, .. }) => path,
                Err(e) => panic!("not an Io error: {e}"),
                Ok(_) => panic!("no error"),
            }
        }
        for dir in ["a", "a/x", "a/x/_ordo/manifests"] {
            let storage = Unreadable {
                inner: local.clone(),
                dir,
            };
            assert_eq!(io_path(dataset_dirs_in(&storage)), root.join(dir), "{dir}");
        }
        // Store discovery reads the levels above the keys, then each
        // key's manifests.
        for dir in ["", "a", "a/x/_ordo/manifests"] {
            let storage = std::sync::Arc::new(Unreadable {
                inner: local.clone(),
                dir,
            });
            let opened = crate::Store::<Pair>::open_in(
                root.to_path_buf(),
                storage,
                &crate::OpenOptions::new(),
            );
            assert_eq!(io_path(opened), local.display_path(dir), "{dir}");
        }
        let store = crate::Store::<Pair>::open(root).unwrap();
        assert_eq!(store.len(), 2);
    }
}
