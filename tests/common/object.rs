//! Object-storage roots for the tests: the process's in-memory object
//! store always, an S3 API server when `ORDO_TEST_S3` names a bucket URL.
#![cfg(feature = "cloud")]

use std::io;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use ordo::storage::{LockGuard, ObjectStorage, PathKind, Storage};

/// The bucket URL of the S3 suite (e.g. `s3://ordo`), with the server's
/// endpoint and credentials in the `AWS_*` variables; `None` (and a note
/// on stderr, once) when unset.
pub fn s3_root() -> Option<String> {
    static NOTE: Once = Once::new();
    match std::env::var("ORDO_TEST_S3") {
        Ok(url) if !url.is_empty() => Some(url.trim_end_matches('/').to_owned()),
        _ => {
            NOTE.call_once(|| {
                eprintln!(
                    "S3 suite skipped: ORDO_TEST_S3 is not set (`.ci/s3-server cargo test --all-features` runs it against a local S3 server)"
                )
            });
            None
        }
    }
}

/// Fresh roots for test `name`: one in memory, one on S3 when configured.
pub fn roots(name: &str) -> Vec<String> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let unique = format!(
        "{name}-{}-{nanos}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    );
    let mut roots = vec![format!("memory://{unique}")];
    if let Some(s3) = s3_root() {
        roots.push(format!("{s3}/{unique}"));
    }
    roots
}

/// A storage that, before each commit record of the dataset at `prefix`
/// is published, calls `before(version)` (which commits that version from
/// another handle): every attempt of a writer through it loses the race.
pub struct CommitFirst<F> {
    inner: ObjectStorage,
    prefix: String,
    before: F,
}

impl<F: Fn(u64) + Send + Sync> CommitFirst<F> {
    pub fn new(inner: ObjectStorage, prefix: &str, before: F) -> Self {
        Self {
            inner,
            prefix: format!("{prefix}/_ordo/manifests/"),
            before,
        }
    }
}

impl<F> std::fmt::Debug for CommitFirst<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommitFirst")
            .field("inner", &self.inner)
            .finish()
    }
}

impl<F: Fn(u64) + Send + Sync> Storage for CommitFirst<F> {
    fn put_if_absent(&self, path: &str, data: &[u8]) -> io::Result<bool> {
        if let Some(name) = path.strip_prefix(&self.prefix)
            && let Some(v) = name.split('.').next().and_then(|n| n.parse().ok())
        {
            (self.before)(v);
        }
        self.inner.put_if_absent(path, data)
    }
    fn put(&self, path: &str, data: &[u8]) -> io::Result<()> {
        self.inner.put(path, data)
    }
    fn put_atomic(&self, path: &str, data: &[u8]) -> io::Result<()> {
        self.inner.put_atomic(path, data)
    }
    fn read(&self, path: &str) -> io::Result<Bytes> {
        self.inner.read(path)
    }
    fn read_range(&self, path: &str, range: Range<u64>) -> io::Result<Bytes> {
        self.inner.read_range(path, range)
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
    fn delete(&self, path: &str) -> io::Result<()> {
        self.inner.delete(path)
    }
    fn remove_dir_if_empty(&self, dir: &str) -> io::Result<()> {
        self.inner.remove_dir_if_empty(dir)
    }
    fn lock(&self, path: &str, timeout: Duration) -> io::Result<Option<LockGuard>> {
        self.inner.lock(path, timeout)
    }
    fn exclusive_lock(&self) -> bool {
        self.inner.exclusive_lock()
    }
    fn has_links(&self) -> bool {
        self.inner.has_links()
    }
    fn list_modified(&self, dir: &str) -> io::Result<Vec<(String, SystemTime)>> {
        self.inner.list_modified(dir)
    }
    fn display_path(&self, path: &str) -> PathBuf {
        self.inner.display_path(path)
    }
}

#[allow(unused_imports)]
pub use counted::{Counted, Fault, Requests};

mod counted {
    use std::collections::BTreeMap;
    use std::fmt;
    use std::sync::{Arc, Mutex};

    use futures::StreamExt;
    use futures::stream::BoxStream;
    use ordo::object_store::path::Path;
    use ordo::object_store::{
        CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
        PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
    };

    /// How the failing request fails.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Fault {
        /// Never sent: an error, nothing applied.
        BeforeSend,
        /// Applied, but the reply is lost: an error.
        ReplyLost,
        /// Timed out: an error at once, and the request applied a little
        /// later (after the caller may have moved on).
        Timeout,
    }

    /// Requests counted by kind.
    pub type Requests = BTreeMap<&'static str, u64>;

    /// An object store that counts requests by kind (`put`, `get`, `head`,
    /// `delete`, `list`) and can fail the k-th mutating or reading request.
    #[derive(Debug)]
    pub struct Counted {
        inner: Arc<dyn ObjectStore>,
        state: Mutex<State>,
    }

    #[derive(Debug, Default)]
    struct State {
        counts: Requests,
        total: u64,
        fail: Option<(u64, Fault)>,
    }

    impl Counted {
        pub fn new(inner: Arc<dyn ObjectStore>) -> Self {
            Self {
                inner,
                state: Mutex::default(),
            }
        }

        /// The counts since the last call, reset.
        pub fn take(&self) -> Requests {
            let mut s = self.state.lock().unwrap();
            s.total = 0;
            std::mem::take(&mut s.counts)
        }

        /// Fails the `k`-th request from now (1-based) with `fault`.
        pub fn fail_at(&self, k: u64, fault: Fault) {
            let mut s = self.state.lock().unwrap();
            s.total = 0;
            s.fail = Some((k, fault));
        }

        /// Whether the fault set by `fail_at` was injected.
        pub fn fired(&self) -> bool {
            self.state.lock().unwrap().fail.is_none()
        }

        /// Counts one request of `kind`; the fault to inject, if it is the one.
        fn count(&self, kind: &'static str) -> Option<Fault> {
            let mut s = self.state.lock().unwrap();
            *s.counts.entry(kind).or_default() += 1;
            s.total += 1;
            match s.fail {
                Some((k, fault)) if k == s.total => {
                    s.fail = None;
                    Some(fault)
                }
                _ => None,
            }
        }
    }

    fn injected(what: &str) -> ordo::object_store::Error {
        ordo::object_store::Error::Generic {
            store: "Counted",
            source: format!("injected fault: {what}").into(),
        }
    }

    impl fmt::Display for Counted {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "Counted({})", self.inner)
        }
    }

    #[async_trait::async_trait]
    impl ObjectStore for Counted {
        async fn put_opts(
            &self,
            location: &Path,
            payload: PutPayload,
            opts: PutOptions,
        ) -> Result<PutResult> {
            match self.count("put") {
                None => self.inner.put_opts(location, payload, opts).await,
                Some(Fault::BeforeSend) => Err(injected("put not sent")),
                Some(Fault::ReplyLost) => {
                    let _ = self.inner.put_opts(location, payload, opts).await;
                    Err(injected("put reply lost"))
                }
                Some(Fault::Timeout) => {
                    let (inner, location) = (self.inner.clone(), location.clone());
                    std::thread::spawn(move || {
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        let _ =
                            futures::executor::block_on(inner.put_opts(&location, payload, opts));
                    });
                    Err(injected("put timed out"))
                }
            }
        }

        async fn put_multipart_opts(
            &self,
            location: &Path,
            opts: PutMultipartOptions,
        ) -> Result<Box<dyn MultipartUpload>> {
            self.count("put");
            self.inner.put_multipart_opts(location, opts).await
        }

        async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
            let kind = if options.head { "head" } else { "get" };
            match self.count(kind) {
                None => self.inner.get_opts(location, options).await,
                Some(_) => Err(injected("read failed")),
            }
        }

        fn delete_stream(
            &self,
            locations: BoxStream<'static, Result<Path>>,
        ) -> BoxStream<'static, Result<Path>> {
            // One request per object (what `Storage::delete` sends).
            let fault = self.count("delete");
            match fault {
                None => self.inner.delete_stream(locations),
                Some(Fault::BeforeSend) => {
                    futures::stream::once(async { Err(injected("delete not sent")) }).boxed()
                }
                Some(_) => {
                    let inner = self.inner.clone();
                    let applied: Vec<Result<Path>> =
                        futures::executor::block_on(inner.delete_stream(locations).collect());
                    drop(applied);
                    futures::stream::once(async { Err(injected("delete reply lost")) }).boxed()
                }
            }
        }

        fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
            self.count("list");
            self.inner.list(prefix)
        }

        async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
            match self.count("list") {
                None => self.inner.list_with_delimiter(prefix).await,
                Some(_) => Err(injected("list failed")),
            }
        }

        async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
            self.count("copy");
            self.inner.copy_opts(from, to, options).await
        }
    }
}
