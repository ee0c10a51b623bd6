//! Where a dataset's bytes live. Every file access of ordo goes through the
//! [`Storage`] trait, so an object-store backend can come later: the
//! operations are the ones object stores offer (whole-object put,
//! put-if-absent, ranged reads, listing, delete), plus an exclusive lock.
//!
//! Two implementations: [`LocalStorage`] (the default, a directory on the
//! local file system) and [`MemoryStorage`] (for tests and throwaway
//! pipelines).

mod local;
mod memory;

use std::any::Any;
use std::io;
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;

pub use local::{Durability, LocalStorage};
pub use memory::MemoryStorage;

/// A held writer lock; dropping it releases the lock.
pub type LockGuard = Box<dyn Any + Send + Sync>;

/// Object-store-like access to files under one root.
///
/// Paths are relative, `/`-separated, with no `.` or `..` components.
/// Writes of whole files are atomic with respect to readers of the same
/// path only for [`Storage::put_if_absent`]; ordo never reads a file written
/// by [`Storage::put`] before a later `put_if_absent` publishes it.
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
    /// Writes a new file `path` (replacing any file there) durably.
    fn put(&self, path: &str, data: &[u8]) -> io::Result<()>;
    /// Reads a whole file.
    fn read(&self, path: &str) -> io::Result<Bytes>;
    /// Reads `range` of a file; errors if the file is shorter.
    fn read_range(&self, path: &str, range: Range<u64>) -> io::Result<Bytes>;
    /// The size of a file in bytes.
    fn size(&self, path: &str) -> io::Result<u64>;
    /// The names of the files directly in `dir` (not sub-directories),
    /// sorted; empty if `dir` does not exist.
    fn list(&self, dir: &str) -> io::Result<Vec<String>>;
    /// Deletes a file; a missing file is not an error.
    fn delete(&self, path: &str) -> io::Result<()>;
    /// Removes `dir` if it is empty (a no-op where directories do not
    /// exist); a missing or non-empty directory is not an error.
    fn remove_dir_if_empty(&self, dir: &str) -> io::Result<()>;
    /// Takes the exclusive lock named by `path`, waiting up to `timeout`;
    /// `Ok(None)` when it stayed held by another holder.
    fn lock(&self, path: &str, timeout: Duration) -> io::Result<Option<LockGuard>>;
    /// A path for messages (a real path for local storage).
    fn display_path(&self, path: &str) -> PathBuf;
    /// Deletes the temporary files an interrupted [`Storage::put_if_absent`]
    /// of this storage left directly in `dir` and returns their names;
    /// other files are never touched. Each storage owns its temporary
    /// names: the default, for storages whose writes leave nothing behind,
    /// deletes nothing.
    fn clean_up(&self, dir: &str) -> io::Result<Vec<String>> {
        let _ = dir;
        Ok(Vec::new())
    }
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
