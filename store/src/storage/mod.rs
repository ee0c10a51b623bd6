//! Where ordo's bytes live. Every file access of ordo goes through the
//! [`Storage`] trait: datasets, store discovery and removal, and field
//! arrays (whose zarrs store is an adapter over a `Storage`). Only this
//! module touches the file system, so an object-store backend can come
//! later: the operations are the ones object stores offer (whole-object
//! put, atomic replace, put-if-absent, ranged reads, listing of objects
//! and of common prefixes, delete), plus an exclusive lock. Local
//! directories are the prefixes that objects share; symbolic links, which
//! object stores do not have, are reported and never followed below a
//! storage's root.
//!
//! Each storage owns the temporary names its atomic writes use and their
//! removal after a crash ([`Storage::clean_up`]); callers never match
//! them.
//!
//! Three implementations: [`LocalStorage`] (the default, a directory on
//! the local file system), [`MemoryStorage`] (for tests and throwaway
//! pipelines) and, with the `cloud` feature, `ObjectStorage` (S3, GCS,
//! Azure, any `object_store::ObjectStore`). [`storage_for`] picks one for
//! a path or URL.

mod local;
mod location;
mod memory;
#[cfg(feature = "cloud")]
mod object;
mod prefixed;

use std::any::Any;
use std::io;
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;

pub use local::{Durability, LocalStorage};
pub use location::{is_url, storage_for};
pub use memory::MemoryStorage;
#[cfg(feature = "cloud")]
pub use object::ObjectStorage;
pub(crate) use prefixed::Prefixed;

/// A held writer lock; dropping it releases the lock.
pub type LockGuard = Box<dyn Any + Send + Sync>;

/// Object-store-like access to files under one root.
///
/// Paths are relative, `/`-separated, with no `.` or `..` components.
/// Writes of whole files are atomic with respect to readers of the same
/// path only for [`Storage::put_if_absent`] and [`Storage::put_atomic`];
/// ordo never reads a file written by [`Storage::put`] before a later
/// atomic write publishes it.
///
/// ```
/// use ordo_store::storage::{MemoryStorage, Storage};
/// let s = MemoryStorage::new();
/// assert!(s.put_if_absent("a/b", b"one")?);
/// assert!(!s.put_if_absent("a/b", b"two")?);
/// assert_eq!(&s.read("a/b")?[..], b"one");
/// assert_eq!(s.list("a")?, vec!["b".to_string()]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait Storage: Send + Sync + std::fmt::Debug {
    /// Creates `path` with `data` unless it exists; returns whether it was
    /// created. The file appears complete or not at all.
    fn put_if_absent(&self, path: &str, data: &[u8]) -> io::Result<bool>;
    /// Writes a new file `path` (replacing any file there) durably. A
    /// reader of `path` during the write may see part of it: ordo only
    /// `put`s files nobody reads yet.
    fn put(&self, path: &str, data: &[u8]) -> io::Result<()>;
    /// Writes `path` (replacing any file there) durably, so that readers
    /// see the previous content or `data` whole, never a part (on local
    /// storage: a temporary file, then a rename; objects of object stores
    /// are replaced whole anyway). A crash may leave a temporary file,
    /// which [`Storage::clean_up`] of the directory deletes.
    ///
    /// ```
    /// use ordo_store::storage::{LocalStorage, Storage};
    /// let dir = tempfile::tempdir()?;
    /// let s = LocalStorage::new(dir.path());
    /// s.put_atomic("meta/zarr.json", b"{}")?;
    /// s.put_atomic("meta/zarr.json", br#"{"shape": [2]}"#)?;
    /// assert_eq!(&s.read("meta/zarr.json")?[..], br#"{"shape": [2]}"#);
    /// assert_eq!(s.list("meta")?, ["zarr.json"]); // no temporary file left
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn put_atomic(&self, path: &str, data: &[u8]) -> io::Result<()>;
    /// Reads a whole file.
    fn read(&self, path: &str) -> io::Result<Bytes>;
    /// Reads `range` of a file; errors if the file is shorter.
    fn read_range(&self, path: &str, range: Range<u64>) -> io::Result<Bytes>;
    /// The size of a file in bytes.
    fn size(&self, path: &str) -> io::Result<u64>;
    /// The names of the files directly in `dir` (not sub-directories),
    /// sorted; empty if `dir` does not exist.
    fn list(&self, dir: &str) -> io::Result<Vec<String>>;
    /// The names of the directories directly in `dir`, sorted; empty if
    /// `dir` does not exist. On an object store these are the common
    /// prefixes below `dir/`; on local storage, real directories only (a
    /// link to one is not listed, so walks never follow links). Names that
    /// are not UTF-8 are left out, as by [`Storage::list`].
    ///
    /// ```
    /// use ordo_store::storage::{MemoryStorage, Storage};
    /// let s = MemoryStorage::new();
    /// s.put("a/x/f", b"")?;
    /// s.put("a/y/z/f", b"")?;
    /// s.put("a/g", b"")?;
    /// assert_eq!(s.list_dirs("a")?, ["x", "y"]);
    /// assert_eq!(s.list("a")?, ["g"]);
    /// assert!(s.list_dirs("missing")?.is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn list_dirs(&self, dir: &str) -> io::Result<Vec<String>>;
    /// What `path` names, without following a link at `path` (links are
    /// reported as [`PathKind::Link`]; links in the storage's root path
    /// itself are followed: the empty path is the root, which is what it
    /// resolves to). A path below a file is [`PathKind::Missing`].
    ///
    /// ```
    /// use ordo_store::storage::{LocalStorage, PathKind, Storage};
    /// let dir = tempfile::tempdir()?;
    /// let s = LocalStorage::new(dir.path());
    /// s.put("a/f", b"x")?;
    /// assert_eq!(s.kind("")?, PathKind::Directory);
    /// assert_eq!(s.kind("a")?, PathKind::Directory);
    /// assert_eq!(s.kind("a/f")?, PathKind::File);
    /// assert_eq!(s.kind("a/f/g")?, PathKind::Missing);
    /// assert_eq!(s.kind("b")?, PathKind::Missing);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn kind(&self, path: &str) -> io::Result<PathKind>;
    /// Whether paths of this storage may be symbolic links (local file
    /// systems): walkers then check every level before listing below it.
    /// Object stores and memory have none, which spares those requests.
    fn has_links(&self) -> bool {
        true
    }
    /// Deletes a file; a missing file is not an error.
    fn delete(&self, path: &str) -> io::Result<()>;
    /// Removes `dir` if it is empty (a no-op where directories do not
    /// exist); a missing or non-empty directory is not an error.
    fn remove_dir_if_empty(&self, dir: &str) -> io::Result<()>;
    /// Takes the exclusive lock named by `path`, waiting up to `timeout`;
    /// `Ok(None)` when it stayed held by another holder. See
    /// [`Storage::exclusive_lock`] for what a held lock proves.
    fn lock(&self, path: &str, timeout: Duration) -> io::Result<Option<LockGuard>>;
    /// Whether a lock held through [`Storage::lock`] proves that no other
    /// holder runs (true for local and memory storage). An object store's
    /// lock is a lease, broken after it expires: it is not proof. Then
    /// dataset writers are optimistic instead of locking (the put-if-absent
    /// of a commit record decides races) and garbage collection spares
    /// unreferenced files younger than the grace period, since another
    /// writer may be about to commit them.
    fn exclusive_lock(&self) -> bool {
        true
    }
    /// The names of the files directly in `dir` with their last
    /// modification times, sorted by name. Needed only by storages whose
    /// lock is not exclusive (the grace period of garbage collection);
    /// the default says it is unsupported.
    fn list_modified(&self, dir: &str) -> io::Result<Vec<(String, std::time::SystemTime)>> {
        let _ = dir;
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this storage does not report modification times",
        ))
    }
    /// A path for messages (a real path for local storage).
    fn display_path(&self, path: &str) -> PathBuf;
    /// Deletes the temporary files an interrupted [`Storage::put_if_absent`]
    /// or [`Storage::put_atomic`] of this storage left directly in `dir`
    /// (not in its sub-directories) and returns their names;
    /// other files are never touched. Each storage owns its temporary
    /// names: the default, for storages whose writes leave nothing behind,
    /// deletes nothing.
    fn clean_up(&self, dir: &str) -> io::Result<Vec<String>> {
        let _ = dir;
        Ok(Vec::new())
    }
}

/// What a path of a [`Storage`] names (see [`Storage::kind`]).
///
/// ```
/// use ordo_store::storage::{MemoryStorage, PathKind, Storage};
/// let s = MemoryStorage::new();
/// s.put("dir/file", b"")?;
/// assert_eq!(s.kind("dir")?, PathKind::Directory); // a common prefix
/// assert_eq!(s.kind("dir/file")?, PathKind::File);
/// assert_eq!(s.kind("other")?, PathKind::Missing);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    /// Nothing is there.
    Missing,
    /// A file (on local storage, anything that is neither a directory nor
    /// a link: a regular file, a device, a socket, a pipe).
    File,
    /// A directory; on an object store, a prefix that objects share.
    Directory,
    /// A symbolic link (local storage only), never followed.
    Link,
}

/// Joins storage path segments with `/`, skipping empty ones.
pub(crate) fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_owned(),
        (_, true) => a.to_owned(),
        _ => format!("{a}/{b}"),
    }
}

/// How often a lock is retried while waiting.
pub(crate) const LOCK_POLL: Duration = Duration::from_millis(5);

/// A random number for unique file names (std's hasher keys are random).
pub(crate) fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    h.finish()
}
