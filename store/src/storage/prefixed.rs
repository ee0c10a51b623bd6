//! A storage seen from one of its directories: what a store opened with a
//! storage of the caller's works on.

use std::io;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use super::{LockGuard, PathKind, Storage, join};

/// The files of `inner` below `prefix`, with paths relative to it.
#[derive(Debug)]
pub(crate) struct Prefixed {
    inner: Arc<dyn Storage>,
    prefix: String,
}

impl Prefixed {
    /// `inner` below `prefix` (`inner` itself when `prefix` is empty).
    pub(crate) fn over(inner: Arc<dyn Storage>, prefix: String) -> Arc<dyn Storage> {
        if prefix.is_empty() {
            inner
        } else {
            Arc::new(Self { inner, prefix })
        }
    }

    fn full(&self, path: &str) -> String {
        join(&self.prefix, path)
    }
}

impl Storage for Prefixed {
    fn put_if_absent(&self, path: &str, data: &[u8]) -> io::Result<bool> {
        self.inner.put_if_absent(&self.full(path), data)
    }
    fn put(&self, path: &str, data: &[u8]) -> io::Result<()> {
        self.inner.put(&self.full(path), data)
    }
    fn put_atomic(&self, path: &str, data: &[u8]) -> io::Result<()> {
        self.inner.put_atomic(&self.full(path), data)
    }
    fn read(&self, path: &str) -> io::Result<Bytes> {
        self.inner.read(&self.full(path))
    }
    fn read_range(&self, path: &str, range: Range<u64>) -> io::Result<Bytes> {
        self.inner.read_range(&self.full(path), range)
    }
    fn size(&self, path: &str) -> io::Result<u64> {
        self.inner.size(&self.full(path))
    }
    fn list(&self, dir: &str) -> io::Result<Vec<String>> {
        self.inner.list(&self.full(dir))
    }
    fn list_dirs(&self, dir: &str) -> io::Result<Vec<String>> {
        self.inner.list_dirs(&self.full(dir))
    }
    fn kind(&self, path: &str) -> io::Result<PathKind> {
        self.inner.kind(&self.full(path))
    }
    fn delete(&self, path: &str) -> io::Result<()> {
        self.inner.delete(&self.full(path))
    }
    fn remove_dir_if_empty(&self, dir: &str) -> io::Result<()> {
        self.inner.remove_dir_if_empty(&self.full(dir))
    }
    fn lock(&self, path: &str, timeout: Duration) -> io::Result<Option<LockGuard>> {
        self.inner.lock(&self.full(path), timeout)
    }
    fn has_links(&self) -> bool {
        self.inner.has_links()
    }
    fn exclusive_lock(&self) -> bool {
        self.inner.exclusive_lock()
    }
    fn list_modified(&self, dir: &str) -> io::Result<Vec<(String, SystemTime)>> {
        self.inner.list_modified(&self.full(dir))
    }
    fn display_path(&self, path: &str) -> PathBuf {
        self.inner.display_path(&self.full(path))
    }
    fn clean_up(&self, dir: &str) -> io::Result<Vec<String>> {
        self.inner.clean_up(&self.full(dir))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemoryStorage;

    #[test]
    fn paths_are_relative_to_the_prefix() {
        let inner = Arc::new(MemoryStorage::new());
        let p = Prefixed::over(inner.clone(), "root/sub".into());
        p.put("a/f", b"1").unwrap();
        assert_eq!(inner.paths(), ["root/sub/a/f"]);
        assert_eq!(p.list_dirs("").unwrap(), ["a"]);
        assert_eq!(p.kind("a").unwrap(), PathKind::Directory);
        assert_eq!(p.display_path("a").to_str(), Some("memory://root/sub/a"));
        assert!(!p.put_if_absent("a/f", b"2").unwrap());
        p.delete("a/f").unwrap();
        assert!(inner.paths().is_empty());
    }
}
