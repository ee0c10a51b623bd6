//! Object storage through the `object_store` crate: S3, Google Cloud
//! Storage, Azure Blob Storage, an in-memory store, or any
//! `Arc<dyn ObjectStore>` a user already holds.
//!
//! The clients are async; ordo's API is not. Each operation runs to
//! completion on a small runtime owned by ordo (two I/O threads, started
//! on first use), so the caller's thread blocks as it would on a local
//! file, whether or not it runs inside a runtime of its own.
//!
//! Object stores have no lock. [`ObjectStorage::lock`] is a lease (see
//! `lease.rs`) that a crashed holder's successor breaks after it expires,
//! so a held lock proves nothing ([`Storage::exclusive_lock`] is `false`):
//! dataset writers do not take it and are optimistic instead (the
//! put-if-absent of the commit record decides between racing writers; the
//! loser re-plans on the new head), and garbage collection spares
//! unreferenced files younger than the grace period. Field arrays, whose
//! chunks have fixed names, take the lease.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use object_store::memory::InMemory;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};

use super::{LockGuard, PathKind, Storage, join};

mod lease;

/// Files under a prefix of an object store.
///
/// ```
/// use std::sync::Arc;
/// use ordo_store::storage::{ObjectStorage, Storage};
/// use ordo_store::object_store::memory::InMemory;
/// let s = ObjectStorage::new(Arc::new(InMemory::new()), "bucket/prefix", "memory://bucket/prefix")?;
/// assert!(s.put_if_absent("a/b", b"one")?);
/// assert!(!s.put_if_absent("a/b", b"two")?); // the first writer wins
/// assert_eq!(&s.read_range("a/b", 1..3)?[..], b"ne");
/// assert_eq!(s.display_path("a/b").to_str(), Some("memory://bucket/prefix/a/b"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ObjectStorage {
    store: Arc<dyn ObjectStore>,
    root: String,
    display: String,
}

impl ObjectStorage {
    /// The objects of `store` below `root` (a `/`-separated prefix, empty
    /// for the whole store); `display` names the root in messages and
    /// [`Storage::display_path`] (usually its URL).
    ///
    /// Errors: a `root` that is not a valid object path (empty segments,
    /// `.` or `..`).
    pub fn new(
        store: Arc<dyn ObjectStore>,
        root: &str,
        display: impl Into<String>,
    ) -> io::Result<Self> {
        let root = root.trim_matches('/').to_owned();
        if !root.is_empty() {
            object_path(&root)?;
        }
        Ok(Self {
            store,
            root,
            display: display.into().trim_end_matches('/').to_owned(),
        })
    }

    /// The storage a URL names: `s3://bucket/prefix` (also `s3a://`),
    /// `gs://bucket/prefix`, `az://container/prefix` (also `azure://`,
    /// `abfs://`, `abfss://` and Azure's `https://` forms), or
    /// `memory://name/prefix`. Credentials, region and endpoint come from
    /// the environment variables `object_store`'s builders read
    /// (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_REGION`, `AWS_ALLOW_HTTP`, `GOOGLE_*`, `AZURE_*`).
    ///
    /// `memory://name` is one in-memory store per `name` for the life of
    /// the process, so that handles opened on the same URL see the same
    /// objects.
    ///
    /// ```
    /// use ordo_store::storage::{ObjectStorage, Storage};
    /// let a = ObjectStorage::from_url("memory://doc-example/data")?;
    /// a.put("x", b"1")?;
    /// let b = ObjectStorage::from_url("memory://doc-example")?;
    /// assert_eq!(&b.read("data/x")?[..], b"1");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_url(url: &str) -> io::Result<Self> {
        let parsed = url::Url::parse(url).map_err(|e| invalid(format!("{url}: {e}")))?;
        let (store, root): (Arc<dyn ObjectStore>, String) = match parsed.scheme() {
            "memory" => {
                let name = parsed.host_str().unwrap_or_default().to_owned();
                (named_memory_store(&name), parsed.path().to_owned())
            }
            "s3" | "s3a" => {
                let s3 = object_store::aws::AmazonS3Builder::from_env()
                    .with_url(url)
                    .build()
                    .map_err(|e| invalid(format!("{url}: {e}")))?;
                (Arc::new(s3), parsed.path().to_owned())
            }
            "gs" => {
                let gcs = object_store::gcp::GoogleCloudStorageBuilder::from_env()
                    .with_url(url)
                    .build()
                    .map_err(|e| invalid(format!("{url}: {e}")))?;
                (Arc::new(gcs), parsed.path().to_owned())
            }
            "az" | "azure" | "abfs" | "abfss" | "adl" | "https" => {
                let (scheme, path) = object_store::ObjectStoreScheme::parse(&parsed)
                    .map_err(|e| invalid(format!("{url}: {e}")))?;
                if scheme != object_store::ObjectStoreScheme::MicrosoftAzure {
                    return Err(invalid(format!(
                        "{url}: an https URL must name an Azure container; for S3 or GCS use s3:// or gs://"
                    )));
                }
                let azure = object_store::azure::MicrosoftAzureBuilder::from_env()
                    .with_url(url)
                    .build()
                    .map_err(|e| invalid(format!("{url}: {e}")))?;
                (Arc::new(azure), path.as_ref().to_owned())
            }
            other => {
                return Err(invalid(format!(
                    "{url}: unknown storage scheme `{other}` (s3, gs, az, memory or file)"
                )));
            }
        };
        Self::new(store, &root, url)
    }

    /// The object store underneath.
    pub fn object_store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    fn path(&self, path: &str) -> io::Result<ObjectPath> {
        object_path(&join(&self.root, path))
    }

    /// Runs `f` on the object store and maps its error.
    fn run<T, F>(
        &self,
        path: &str,
        f: impl FnOnce(Arc<dyn ObjectStore>, ObjectPath) -> F,
    ) -> io::Result<T>
    where
        F: Future<Output = object_store::Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        let location = self.path(path)?;
        block_on(f(self.store.clone(), location)).map_err(to_io)
    }

    /// The objects and common prefixes directly below `dir`.
    fn list_level(&self, dir: &str) -> io::Result<object_store::ListResult> {
        let full = join(&self.root, dir);
        let prefix = if full.is_empty() {
            None
        } else {
            Some(object_path(&full)?)
        };
        let store = self.store.clone();
        block_on(async move { store.list_with_delimiter(prefix.as_ref()).await }).map_err(to_io)
    }
}

impl Storage for ObjectStorage {
    fn has_links(&self) -> bool {
        false
    }

    fn put_if_absent(&self, path: &str, data: &[u8]) -> io::Result<bool> {
        let payload = PutPayload::from(Bytes::copy_from_slice(data));
        let opts = PutOptions::from(PutMode::Create);
        let result = self.run(
            path,
            |s, p| async move { s.put_opts(&p, payload, opts).await },
        );
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn put(&self, path: &str, data: &[u8]) -> io::Result<()> {
        let payload = PutPayload::from(Bytes::copy_from_slice(data));
        self.run(path, |s, p| async move { s.put(&p, payload).await })
            .map(drop)
    }

    fn put_atomic(&self, path: &str, data: &[u8]) -> io::Result<()> {
        // An object is replaced whole: readers see the old one or the new.
        self.put(path, data)
    }

    fn read(&self, path: &str) -> io::Result<Bytes> {
        self.run(path, |s, p| async move { s.get(&p).await?.bytes().await })
    }

    fn read_range(&self, path: &str, range: Range<u64>) -> io::Result<Bytes> {
        let want = range.end.saturating_sub(range.start);
        let r = range.clone();
        let data = self.run(path, |s, p| async move { s.get_range(&p, r).await })?;
        if data.len() as u64 != want {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{path}: range {range:?} past the end of the object"),
            ));
        }
        Ok(data)
    }

    fn size(&self, path: &str) -> io::Result<u64> {
        self.run(path, |s, p| async move { s.head(&p).await })
            .map(|m| m.size)
    }

    fn list(&self, dir: &str) -> io::Result<Vec<String>> {
        let mut names: Vec<String> = self
            .list_level(dir)?
            .objects
            .into_iter()
            .filter_map(|m| m.location.filename().map(str::to_owned))
            .collect();
        names.sort();
        Ok(names)
    }

    fn list_modified(&self, dir: &str) -> io::Result<Vec<(String, SystemTime)>> {
        let mut entries: Vec<(String, SystemTime)> = self
            .list_level(dir)?
            .objects
            .into_iter()
            .filter_map(|m| {
                let name = m.location.filename()?.to_owned();
                Some((name, SystemTime::from(m.last_modified)))
            })
            .collect();
        entries.sort();
        Ok(entries)
    }

    fn list_dirs(&self, dir: &str) -> io::Result<Vec<String>> {
        let mut names: Vec<String> = self
            .list_level(dir)?
            .common_prefixes
            .into_iter()
            .filter_map(|p| p.filename().map(str::to_owned))
            .collect();
        names.sort();
        Ok(names)
    }

    fn kind(&self, path: &str) -> io::Result<PathKind> {
        if path.is_empty() {
            return Ok(PathKind::Directory);
        }
        match self.run(path, |s, p| async move { s.head(&p).await }) {
            Ok(_) => return Ok(PathKind::File),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let level = self.list_level(path)?;
        Ok(
            if level.objects.is_empty() && level.common_prefixes.is_empty() {
                PathKind::Missing
            } else {
                PathKind::Directory
            },
        )
    }

    fn delete(&self, path: &str) -> io::Result<()> {
        match self.run(path, |s, p| async move { s.delete(&p).await }) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn remove_dir_if_empty(&self, _dir: &str) -> io::Result<()> {
        Ok(()) // prefixes vanish with their last object
    }

    fn lock(&self, path: &str, timeout: Duration) -> io::Result<Option<LockGuard>> {
        lease::acquire(self, path, timeout)
    }

    fn exclusive_lock(&self) -> bool {
        false
    }

    fn display_path(&self, path: &str) -> PathBuf {
        if path.is_empty() {
            PathBuf::from(&self.display)
        } else {
            PathBuf::from(format!("{}/{path}", self.display))
        }
    }
}

/// The object path of a storage path, refusing what object stores cannot
/// name (empty segments, `.`, `..`) instead of encoding it.
fn object_path(path: &str) -> io::Result<ObjectPath> {
    ObjectPath::parse(path).map_err(|e| invalid(format!("{path}: {e}")))
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// An `object_store` error as an I/O error of the matching kind.
fn to_io(e: object_store::Error) -> io::Error {
    let kind =
        match &e {
            object_store::Error::NotFound { .. } => io::ErrorKind::NotFound,
            object_store::Error::AlreadyExists { .. }
            | object_store::Error::Precondition { .. } => io::ErrorKind::AlreadyExists,
            object_store::Error::PermissionDenied { .. }
            | object_store::Error::Unauthenticated { .. } => io::ErrorKind::PermissionDenied,
            object_store::Error::InvalidPath { .. } => io::ErrorKind::InvalidInput,
            object_store::Error::NotSupported { .. }
            | object_store::Error::NotImplemented { .. } => io::ErrorKind::Unsupported,
            _ => io::ErrorKind::Other,
        };
    io::Error::new(kind, e)
}

/// The process-wide in-memory store named `name` (`memory://name`).
fn named_memory_store(name: &str) -> Arc<dyn ObjectStore> {
    static STORES: OnceLock<Mutex<HashMap<String, Arc<InMemory>>>> = OnceLock::new();
    let mut stores = STORES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    stores
        .entry(name.to_owned())
        .or_insert_with(|| Arc::new(InMemory::new()))
        .clone()
}

/// ordo's I/O runtime.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ordo-io")
            .enable_all()
            .build()
            .expect("the I/O runtime starts (threads and timers only)")
    })
}

/// Runs `f` to completion on ordo's runtime. Outside any runtime the
/// calling thread drives it; inside one (where blocking on a runtime
/// would panic), it is spawned and awaited from this thread.
fn block_on<F>(f: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    if tokio::runtime::Handle::try_current().is_err() {
        return runtime().block_on(f);
    }
    match futures::executor::block_on(runtime().spawn(f)) {
        Ok(out) => out,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("ordo's I/O runtime cancelled a request: {e}"),
    }
}
