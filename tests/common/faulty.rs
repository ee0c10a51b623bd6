//! A storage that injects faults into mutating calls (a process dying at a
//! given step, a disk filling up) and, when asked, into reads (a file that
//! cannot be read). Listings and locks go straight to the inner storage.

use std::io;
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use ordo::storage::{LockGuard, PathKind, Storage};

/// The mutating calls a fault can hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Put,
    PutAtomic,
    PutIfAbsent,
    Delete,
}

/// What happens to one mutating call.
pub enum Outcome {
    Proceed,
    Fail(io::Error),
    /// Writes the first `n` bytes (for `PutIfAbsent` and `PutAtomic`, to a
    /// temporary file beside the target, as the local storage does), then
    /// fails.
    Partial(usize, io::Error),
}

/// Decides the outcome of each mutating call, and whether a read fails.
pub trait Fault: Send + Sync + std::fmt::Debug {
    fn on(&self, op: Op, path: &str, len: usize) -> Outcome;
    /// The error of a read of `path` (whole or ranged); none by default.
    fn on_read(&self, _path: &str) -> Option<io::Error> {
        None
    }
}

#[derive(Debug)]
pub struct Faulty<S, F> {
    pub inner: S,
    pub fault: F,
}

impl<S: Storage, F: Fault> Storage for Faulty<S, F> {
    fn put_if_absent(&self, path: &str, data: &[u8]) -> io::Result<bool> {
        match self.fault.on(Op::PutIfAbsent, path, data.len()) {
            Outcome::Proceed => self.inner.put_if_absent(path, data),
            Outcome::Fail(e) => Err(e),
            Outcome::Partial(n, e) => {
                self.inner.put(&format!("{path}.partial.tmp"), &data[..n])?;
                Err(e)
            }
        }
    }
    fn put(&self, path: &str, data: &[u8]) -> io::Result<()> {
        match self.fault.on(Op::Put, path, data.len()) {
            Outcome::Proceed => self.inner.put(path, data),
            Outcome::Fail(e) => Err(e),
            Outcome::Partial(n, e) => {
                self.inner.put(path, &data[..n])?;
                Err(e)
            }
        }
    }
    fn put_atomic(&self, path: &str, data: &[u8]) -> io::Result<()> {
        match self.fault.on(Op::PutAtomic, path, data.len()) {
            Outcome::Proceed => self.inner.put_atomic(path, data),
            Outcome::Fail(e) => Err(e),
            Outcome::Partial(n, e) => {
                self.inner.put(&format!("{path}.partial.tmp"), &data[..n])?;
                Err(e)
            }
        }
    }
    fn delete(&self, path: &str) -> io::Result<()> {
        match self.fault.on(Op::Delete, path, 0) {
            Outcome::Proceed | Outcome::Partial(..) => self.inner.delete(path),
            Outcome::Fail(e) => Err(e),
        }
    }
    fn read(&self, path: &str) -> io::Result<Bytes> {
        match self.fault.on_read(path) {
            Some(e) => Err(e),
            None => self.inner.read(path),
        }
    }
    fn read_range(&self, path: &str, range: Range<u64>) -> io::Result<Bytes> {
        match self.fault.on_read(path) {
            Some(e) => Err(e),
            None => self.inner.read_range(path, range),
        }
    }
    fn size(&self, path: &str) -> io::Result<u64> {
        self.inner.size(path)
    }
    fn list(&self, dir: &str) -> io::Result<Vec<String>> {
        self.inner.list(dir)
    }
    fn list_dirs(&self, dir: &str) -> io::Result<Vec<String>> {
        self.inner.list_dirs(dir)
    }
    fn kind(&self, path: &str) -> io::Result<PathKind> {
        self.inner.kind(path)
    }
    fn remove_dir_if_empty(&self, dir: &str) -> io::Result<()> {
        self.inner.remove_dir_if_empty(dir)
    }
    fn lock(&self, path: &str, timeout: Duration) -> io::Result<Option<LockGuard>> {
        self.inner.lock(path, timeout)
    }
    fn display_path(&self, path: &str) -> PathBuf {
        self.inner.display_path(path)
    }
    fn clean_up(&self, dir: &str) -> io::Result<Vec<String>> {
        self.inner.clean_up(dir)
    }
}
