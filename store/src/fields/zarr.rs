//! The Zarr layer shared by a field's reads and writes: the zarrs store
//! type, the `time` coordinate's constants and truncation count, error
//! mapping, the writer lock and the cleanup of crashed atomic writes.

use std::path::Path;

use serde_json::Value;
use zarrs::array::Array;
use zarrs::filesystem::FilesystemStore;
use zarrs::storage::storage_adapter::atomic_write::AtomicWriteStorageAdapter;

use super::FIELDS_DIR;
use crate::error::{Error, Result};
use crate::storage::{LocalStorage, Storage};

/// The zarrs store of a field: files written atomically (temporary file,
/// then rename).
pub(crate) type ZarrStore = AtomicWriteStorageAdapter<FilesystemStore>;

/// Elements per chunk of the `time` coordinate.
pub(crate) const TIME_CHUNK: u64 = 4096;
/// The attribute of `time` counting truncations (and `replace_from`s):
/// the only operations that change frames below the published length.
pub(crate) const TRUNCATIONS: &str = "ordo_truncations";

/// How many truncations `time`'s metadata records.
pub(crate) fn truncations(time: &Array<ZarrStore>) -> u64 {
    time.attributes()
        .get(TRUNCATIONS)
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

/// Fill value of `time`: the NaT of numpy, so no real time is masked.
pub(crate) const TIME_FILL: i64 = i64::MIN;

/// Makes [`Error::Zarr`]s of the field at `path`, keeping the cause as
/// the source.
pub(crate) fn zarr_err(path: &Path) -> ZarrErr<'_> {
    ZarrErr(path)
}

/// See [`zarr_err`].
pub(crate) struct ZarrErr<'a>(&'a Path);

impl ZarrErr<'_> {
    /// The error of this field caused by `cause` (an error of zarrs, or a
    /// message).
    pub(crate) fn of(&self, cause: impl Into<crate::error::Cause>) -> Error {
        Error::Zarr {
            path: self.0.to_owned(),
            source: cause.into(),
        }
    }
}

/// Takes the writer lock of field `name` (outside its `.zarr`).
pub(crate) fn lock(
    dataset_dir: &Path,
    name: &str,
    timeout: std::time::Duration,
) -> Result<crate::storage::LockGuard> {
    let storage = LocalStorage::new(dataset_dir.join(FIELDS_DIR));
    let lock = format!("{name}.lock");
    storage
        .lock(&lock, timeout)
        .map_err(|source| Error::Io {
            path: storage.display_path(&lock),
            source,
        })?
        .ok_or_else(|| Error::LockTimeout {
            path: storage.display_path(&lock),
            waited: timeout,
        })
}

/// Deletes the temporary files a crashed atomic write left below `dir`.
pub(crate) fn remove_tmp_files(dir: &std::path::Path) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io {
        path: dir.to_owned(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| Error::Io {
            path: dir.to_owned(),
            source,
        })?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        if kind.is_dir() {
            remove_tmp_files(&path)?;
        } else if path.extension().is_some_and(|e| e == "tmp") {
            std::fs::remove_file(&path).map_err(|source| Error::Io { path, source })?;
        }
    }
    Ok(())
}
