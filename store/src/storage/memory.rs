//! An in-memory storage, for tests and throwaway pipelines.

use std::collections::{BTreeMap, HashSet};
use std::io;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{LockGuard, PathKind, Storage};

#[derive(Debug, Default)]
struct Inner {
    files: Mutex<BTreeMap<String, Bytes>>,
    locks: Mutex<HashSet<String>>,
    released: Condvar,
}

/// Files kept in memory; clones share the same files.
///
/// ```
/// use ordo_store::storage::{MemoryStorage, Storage};
/// let s = MemoryStorage::new();
/// s.put("f", b"abc")?;
/// assert_eq!(&s.read_range("f", 1..3)?[..], b"bc");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryStorage {
    inner: Arc<Inner>,
}

impl MemoryStorage {
    /// An empty storage.
    pub fn new() -> Self {
        Self::default()
    }

    fn files(&self) -> MutexGuard<'_, BTreeMap<String, Bytes>> {
        self.inner.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// All file paths, sorted (for tests).
    pub fn paths(&self) -> Vec<String> {
        self.files().keys().cloned().collect()
    }
}

/// The prefix of the paths inside `dir`.
fn dir_prefix(dir: &str) -> String {
    if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    }
}

fn not_found(path: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("{path}: no such file"))
}

struct MemoryLock {
    inner: Arc<Inner>,
    path: String,
}

impl Drop for MemoryLock {
    fn drop(&mut self) {
        let mut locks = self.inner.locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.remove(&self.path);
        self.inner.released.notify_all();
    }
}

impl Storage for MemoryStorage {
    fn has_links(&self) -> bool {
        false
    }

    fn put_if_absent(&self, path: &str, data: &[u8]) -> io::Result<bool> {
        let mut files = self.files();
        if files.contains_key(path) {
            return Ok(false);
        }
        files.insert(path.to_owned(), Bytes::copy_from_slice(data));
        Ok(true)
    }

    fn put(&self, path: &str, data: &[u8]) -> io::Result<()> {
        self.files()
            .insert(path.to_owned(), Bytes::copy_from_slice(data));
        Ok(())
    }

    fn read(&self, path: &str) -> io::Result<Bytes> {
        self.files()
            .get(path)
            .cloned()
            .ok_or_else(|| not_found(path))
    }

    fn read_range(&self, path: &str, range: Range<u64>) -> io::Result<Bytes> {
        let data = self.read(path)?;
        let (start, end) = (range.start as usize, range.end as usize);
        if start > end || end > data.len() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "{path}: range {range:?} past the end ({} bytes)",
                    data.len()
                ),
            ));
        }
        Ok(data.slice(start..end))
    }

    fn size(&self, path: &str) -> io::Result<u64> {
        Ok(self.read(path)?.len() as u64)
    }

    fn put_atomic(&self, path: &str, data: &[u8]) -> io::Result<()> {
        // Readers take a clone of the whole value under the lock.
        self.put(path, data)
    }

    fn list(&self, dir: &str) -> io::Result<Vec<String>> {
        let prefix = dir_prefix(dir);
        Ok(self
            .files()
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter_map(|(k, _)| {
                let rest = &k[prefix.len()..];
                (!rest.contains('/')).then(|| rest.to_owned())
            })
            .collect())
    }

    fn list_dirs(&self, dir: &str) -> io::Result<Vec<String>> {
        let prefix = dir_prefix(dir);
        let mut dirs: Vec<String> = self
            .files()
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter_map(|(k, _)| Some(k[prefix.len()..].split_once('/')?.0.to_owned()))
            .collect();
        // Paths sort with their `/`: `a.b/f` comes before `a/f`, while
        // the name `a` comes before `a.b`.
        dirs.sort();
        dirs.dedup();
        Ok(dirs)
    }

    fn kind(&self, path: &str) -> io::Result<PathKind> {
        if path.is_empty() {
            return Ok(PathKind::Directory);
        }
        let files = self.files();
        if files.contains_key(path) {
            return Ok(PathKind::File);
        }
        let prefix = dir_prefix(path);
        let shared = files
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&prefix));
        Ok(if shared {
            PathKind::Directory
        } else {
            PathKind::Missing
        })
    }

    fn delete(&self, path: &str) -> io::Result<()> {
        self.files().remove(path);
        Ok(())
    }

    fn remove_dir_if_empty(&self, _dir: &str) -> io::Result<()> {
        Ok(())
    }

    fn lock(&self, path: &str, timeout: Duration) -> io::Result<Option<LockGuard>> {
        let start = Instant::now();
        let mut locks = self.inner.locks.lock().unwrap_or_else(|e| e.into_inner());
        while locks.contains(path) {
            let left = timeout.saturating_sub(start.elapsed());
            if left.is_zero() {
                return Ok(None);
            }
            locks = self
                .inner
                .released
                .wait_timeout(locks, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        locks.insert(path.to_owned());
        Ok(Some(Box::new(MemoryLock {
            inner: self.inner.clone(),
            path: path.to_owned(),
        })))
    }

    fn display_path(&self, path: &str) -> PathBuf {
        PathBuf::from(format!("memory://{path}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_the_prefixes_files_share() {
        let s = MemoryStorage::new();
        for path in ["d/a/x", "d/a.b/f", "d/a/y", "d/file", "d/b/c/deep", "e"] {
            s.put(path, b"").unwrap();
        }
        assert_eq!(s.list_dirs("d").unwrap(), ["a", "a.b", "b"]);
        assert_eq!(s.list_dirs("").unwrap(), ["d"]);
        assert_eq!(s.list("d").unwrap(), ["file"]);
        assert_eq!(s.kind("d/b").unwrap(), PathKind::Directory);
        assert_eq!(s.kind("d/a.b/f").unwrap(), PathKind::File);
        assert_eq!(s.kind("d/a.").unwrap(), PathKind::Missing);
        assert_eq!(s.kind("").unwrap(), PathKind::Directory);
        s.delete("d/b/c/deep").unwrap();
        assert_eq!(s.kind("d/b").unwrap(), PathKind::Missing);
    }
}
