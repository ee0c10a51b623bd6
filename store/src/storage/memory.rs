//! An in-memory storage, for tests and throwaway pipelines.

use std::collections::{BTreeMap, HashSet};
use std::io;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{LockGuard, Storage};

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

    fn list(&self, dir: &str) -> io::Result<Vec<String>> {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
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
