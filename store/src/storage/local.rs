//! The local file system.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{LOCK_POLL, LockGuard, PathKind, Storage};

/// Whether writes are flushed to the disk before a commit is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `fsync` files and directories: a commit survives power loss.
    #[default]
    Sync,
    /// Leave flushing to the OS: a commit survives a crash of the process,
    /// not of the machine. Faster for small appends.
    Process,
}

/// Files under a directory of the local file system.
///
/// ```
/// use ordo_store::storage::{LocalStorage, Storage};
/// let dir = tempfile::tempdir()?;
/// let s = LocalStorage::new(dir.path());
/// s.put("x/y.bin", b"data")?;
/// assert_eq!(s.size("x/y.bin")?, 4);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LocalStorage {
    root: PathBuf,
    durability: Durability,
}

impl LocalStorage {
    /// Storage rooted at `root` (created lazily, on the first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            durability: Durability::Sync,
        }
    }

    /// Sets the durability of writes.
    pub fn with_durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn full(&self, path: &str) -> PathBuf {
        if path.is_empty() {
            self.root.clone()
        } else {
            self.root.join(path)
        }
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        if self.durability == Durability::Sync {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    }

    /// Creates `dir` and its missing ancestors, and adds to `changed` the
    /// directories that gained an entry (the parent of each one created):
    /// with `Durability::Sync` the caller flushes them before it returns,
    /// so a commit's first files cannot vanish with their directory after
    /// a power loss.
    fn create_dirs(&self, dir: &Path, changed: &mut Vec<PathBuf>) -> io::Result<()> {
        // `""` is the current directory of a relative path.
        if dir.as_os_str().is_empty() || dir.is_dir() {
            return Ok(());
        }
        if let Some(parent) = dir.parent() {
            self.create_dirs(parent, changed)?;
        }
        match fs::create_dir(dir) {
            Ok(()) => {
                changed.push(match dir.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
                    _ => PathBuf::from("."),
                });
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// [`Self::create_dirs`], flushing the directories that changed.
    fn create_synced_dirs(&self, dir: &Path) -> io::Result<()> {
        let mut changed = Vec::new();
        self.create_dirs(dir, &mut changed)?;
        changed.iter().try_for_each(|d| self.sync_dir(d))
    }

    /// Writes the file `path` whole (a new one with `create_new`) and, with
    /// `Durability::Sync`, flushes it and the directories created for it.
    /// The directories are flushed after the file: a journaling file
    /// system commits them all with the file's flush, and the later
    /// directory flushes find nothing left to do.
    fn write_new(&self, path: &Path, data: &[u8], create_new: bool) -> io::Result<()> {
        let parent = path.parent().expect("storage paths have a parent");
        let mut changed = Vec::new();
        self.create_dirs(parent, &mut changed)?;
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .create_new(create_new)
            .truncate(!create_new)
            .open(path)?;
        file.write_all(data)?;
        if self.durability == Durability::Sync {
            file.sync_all()?;
        }
        changed.iter().try_for_each(|d| self.sync_dir(d))
    }

    /// Writes `data` whole under a new temporary name beside `target`
    /// (see [`is_temporary`]) and returns that name; a failed write
    /// deletes what it wrote.
    fn write_temporary(&self, target: &Path, data: &[u8]) -> io::Result<PathBuf> {
        let name = target.file_name().expect("a file name").to_string_lossy();
        let tmp = target.with_file_name(format!(".{name}.{}.tmp", unique_suffix()));
        if let Err(e) = self.write_new(&tmp, data, true) {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        Ok(tmp)
    }

    /// The UTF-8 names of the entries of `dir` whose type (links not
    /// followed) `keep` accepts, sorted; empty if `dir` does not exist.
    fn entries(&self, dir: &str, keep: fn(&fs::FileType) -> bool) -> io::Result<Vec<String>> {
        let entries = match fs::read_dir(self.full(dir)) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry?;
            // `DirEntry::file_type` does not follow links.
            if keep(&entry.file_type()?)
                && let Some(name) = entry.file_name().to_str()
            {
                names.push(name.to_owned());
            }
        }
        names.sort();
        Ok(names)
    }
}

/// Whether `name` is a temporary name of `put_if_absent` or `put_atomic`:
/// `.{target}.{16 hex digits}.tmp`.
fn is_temporary(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
        return false;
    };
    rest.rsplit_once('.').is_some_and(|(target, suffix)| {
        !target.is_empty() && suffix.len() == 16 && suffix.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

fn unique_suffix() -> String {
    format!("{:016x}", super::random_u64())
}

impl Storage for LocalStorage {
    fn put_if_absent(&self, path: &str, data: &[u8]) -> io::Result<bool> {
        let target = self.full(path);
        // Write the whole content under a temporary name, then hard-link it
        // to the target: `link` fails if the target exists, so the target
        // appears complete, once, or not at all.
        let tmp = self.write_temporary(&target, data)?;
        let linked = fs::hard_link(&tmp, &target);
        // The temporary name is garbage either way; a failure to unlink it
        // leaves a `.tmp` file that garbage collection removes.
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => {
                self.sync_dir(target.parent().expect("a parent"))?;
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn put(&self, path: &str, data: &[u8]) -> io::Result<()> {
        let target = self.full(path);
        self.write_new(&target, data, false)?;
        self.sync_dir(target.parent().expect("a parent"))
    }

    fn put_atomic(&self, path: &str, data: &[u8]) -> io::Result<()> {
        let target = self.full(path);
        // A rename replaces the target in one step: readers that opened the
        // old file keep reading it whole, later ones open the new one.
        let tmp = self.write_temporary(&target, data)?;
        if let Err(e) = fs::rename(&tmp, &target) {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        self.sync_dir(target.parent().expect("a parent"))
    }

    fn read(&self, path: &str) -> io::Result<Bytes> {
        fs::read(self.full(path)).map(Bytes::from)
    }

    fn read_range(&self, path: &str, range: Range<u64>) -> io::Result<Bytes> {
        use std::io::{Read, Seek, SeekFrom};
        let mut file = File::open(self.full(path))?;
        let len = usize::try_from(range.end - range.start)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "range too large"))?;
        file.seek(SeekFrom::Start(range.start))?;
        // `read_to_end` fills the spare capacity without zeroing it first.
        let mut buf = Vec::with_capacity(len);
        file.take(len as u64).read_to_end(&mut buf)?;
        if buf.len() < len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{path}: range {range:?} past the end"),
            ));
        }
        Ok(Bytes::from(buf))
    }

    fn size(&self, path: &str) -> io::Result<u64> {
        Ok(fs::metadata(self.full(path))?.len())
    }

    fn list(&self, dir: &str) -> io::Result<Vec<String>> {
        self.entries(dir, fs::FileType::is_file)
    }

    fn list_dirs(&self, dir: &str) -> io::Result<Vec<String>> {
        self.entries(dir, fs::FileType::is_dir)
    }

    fn kind(&self, path: &str) -> io::Result<PathKind> {
        // The root is where the storage lives, wherever a link takes it;
        // below it, links are reported, not followed.
        let meta = if path.is_empty() {
            fs::metadata(&self.root)
        } else {
            fs::symlink_metadata(self.full(path))
        };
        match meta {
            Ok(m) if m.file_type().is_symlink() => Ok(PathKind::Link),
            Ok(m) if m.is_dir() => Ok(PathKind::Directory),
            Ok(_) => Ok(PathKind::File),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                Ok(PathKind::Missing)
            }
            Err(e) => Err(e),
        }
    }

    fn clean_up(&self, dir: &str) -> io::Result<Vec<String>> {
        let mut deleted = Vec::new();
        for name in self.list(dir)? {
            if is_temporary(&name) {
                self.delete(&super::join(dir, &name))?;
                deleted.push(name);
            }
        }
        Ok(deleted)
    }

    fn delete(&self, path: &str) -> io::Result<()> {
        match fs::remove_file(self.full(path)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn remove_dir_if_empty(&self, dir: &str) -> io::Result<()> {
        match fs::remove_dir(self.full(dir)) {
            Ok(()) => Ok(()),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::DirectoryNotEmpty
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    fn lock(&self, path: &str, timeout: Duration) -> io::Result<Option<LockGuard>> {
        let path = self.full(path);
        self.create_synced_dirs(path.parent().expect("a parent"))?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        let start = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Some(Box::new(file))),
                Err(fs::TryLockError::WouldBlock) if start.elapsed() < timeout => {
                    std::thread::sleep(LOCK_POLL.min(timeout.saturating_sub(start.elapsed())));
                }
                Err(fs::TryLockError::WouldBlock) => return Ok(None),
                Err(fs::TryLockError::Error(e)) => return Err(e),
            }
        }
    }

    fn display_path(&self, path: &str) -> PathBuf {
        self.full(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_up_deletes_only_its_own_temporary_names() {
        let dir = tempfile::tempdir().unwrap();
        let s = LocalStorage::new(dir.path());
        assert!(
            s.put_if_absent("m/00000000000000000001.json", b"{}")
                .unwrap()
        );
        let ours = ".00000000000000000002.json.0123456789abcdef.tmp";
        let others = [
            ".00000000000000000002.json.tmp",
            "notes.tmp",
            "x.0123456789abcdef.tmp",
            "..0123456789abcdef.tmp",
            ".y.0123456789abcdeg.tmp",
        ];
        for name in std::iter::once(ours).chain(others) {
            s.put(&format!("m/{name}"), b"partial").unwrap();
        }
        assert_eq!(s.clean_up("m").unwrap(), vec![ours.to_string()]);
        let mut left = others.map(String::from).to_vec();
        left.push("00000000000000000001.json".into());
        left.sort();
        assert_eq!(s.list("m").unwrap(), left);
        assert!(s.clean_up("missing").unwrap().is_empty());
        // The names `put_if_absent` makes are temporary names.
        assert!(is_temporary(&format!(".a.json.{}.tmp", unique_suffix())));
    }

    #[test]
    fn put_atomic_replaces_whole_and_leaves_no_temporary_name() {
        let dir = tempfile::tempdir().unwrap();
        let s = LocalStorage::new(dir.path());
        s.put_atomic("a/k", b"first").unwrap();
        s.put_atomic("a/k", b"second, longer").unwrap();
        assert_eq!(&s.read("a/k").unwrap()[..], b"second, longer");
        assert_eq!(s.list("a").unwrap(), ["k"]);
        // A failed write (here: the target is a directory) deletes its
        // temporary file.
        fs::create_dir(dir.path().join("a/sub")).unwrap();
        assert!(s.put_atomic("a/sub", b"x").is_err());
        assert_eq!(s.list("a").unwrap(), ["k"]);
    }

    #[test]
    fn kinds_and_directories_never_follow_links_below_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let s = LocalStorage::new(dir.path());
        s.put("d/sub/f", b"x").unwrap();
        s.put("d/file", b"x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("d/sub"), dir.path().join("d/link")).unwrap();
        assert_eq!(s.list_dirs("d").unwrap(), ["sub"]);
        assert_eq!(s.list("d").unwrap(), ["file"]);
        assert_eq!(s.kind("d/link").unwrap(), PathKind::Link);
        assert_eq!(s.kind("d/sub").unwrap(), PathKind::Directory);
        assert_eq!(s.kind("d/file/below").unwrap(), PathKind::Missing);
        assert!(s.list_dirs("missing").unwrap().is_empty());
        // A root that is a link is followed.
        let linked = LocalStorage::new(dir.path().join("d/link"));
        assert_eq!(linked.kind("").unwrap(), PathKind::Directory);
        assert_eq!(linked.list("").unwrap(), ["f"]);
        let file_root = LocalStorage::new(dir.path().join("d/file"));
        assert_eq!(file_root.kind("").unwrap(), PathKind::File);
    }
}
