//! Where a path or URL leads: a local directory or an object store.

use std::io;
use std::path::Path;
use std::sync::Arc;

use super::{Durability, LocalStorage, Storage};

/// Whether `location` is a URL (`scheme://…`, with a scheme of two or more
/// letters, so that a Windows drive such as `C:\` is a path).
///
/// ```
/// use ordo_store::storage::is_url;
/// assert!(is_url("s3://bucket/prices"));
/// assert!(is_url("memory://test"));
/// assert!(!is_url("data/prices"));
/// assert!(!is_url("/tmp/s3:/x"));
/// ```
pub fn is_url(location: &str) -> bool {
    let Some((scheme, _)) = location.split_once("://") else {
        return false;
    };
    scheme.len() >= 2
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// The storage rooted at `location`: a local directory (a path, or a
/// `file://` URL) with `durability`, or with the `cloud` feature an object
/// store (`s3://`, `gs://`, `az://`, `memory://`; see `ObjectStorage::from_url`).
///
/// Errors: `InvalidInput` for a URL that cannot be opened (unknown scheme,
/// malformed), `Unsupported` for an object-store URL in a build without
/// the `cloud` feature.
///
/// ```
/// use ordo_store::storage::{Durability, Storage, storage_for};
/// let dir = tempfile::tempdir()?;
/// let url = format!("file://{}", dir.path().display());
/// let local = storage_for(&url, Durability::Sync)?;
/// local.put("x", b"1")?;
/// assert!(dir.path().join("x").exists());
/// assert!(storage_for("nope://bucket", Durability::Sync).is_err());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn storage_for(
    location: impl AsRef<Path>,
    durability: Durability,
) -> io::Result<Arc<dyn Storage>> {
    let path = location.as_ref();
    let Some(text) = path.to_str().filter(|t| is_url(t)) else {
        return Ok(Arc::new(
            LocalStorage::new(path).with_durability(durability),
        ));
    };
    if let Some(local) = text.strip_prefix("file://") {
        return Ok(Arc::new(
            LocalStorage::new(local).with_durability(durability),
        ));
    }
    object_storage(text)
}

#[cfg(feature = "cloud")]
fn object_storage(url: &str) -> io::Result<Arc<dyn Storage>> {
    Ok(Arc::new(super::ObjectStorage::from_url(url)?))
}

#[cfg(not(feature = "cloud"))]
fn object_storage(url: &str) -> io::Result<Arc<dyn Storage>> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        format!("{url}: object storage needs ordo built with the `cloud` feature"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_paths() {
        for url in [
            "s3://b/p",
            "gs://b",
            "az://c/p",
            "memory://x",
            "file:///tmp/x",
            "s3a://b",
        ] {
            assert!(is_url(url), "{url}");
        }
        for path in [
            "b/p", "/abs/p", "C:\\x", "c://x", "a b://x", "://x", "1a://x",
        ] {
            assert!(!is_url(path), "{path}");
        }
    }

    #[test]
    fn unknown_scheme_is_an_error() {
        let e = storage_for("nope://bucket/x", Durability::Sync).unwrap_err();
        assert!(e.to_string().contains("nope://bucket/x"), "{e}");
    }
}
