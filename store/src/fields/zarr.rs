//! The Zarr layer shared by a field's reads and writes: the `time`
//! coordinate's constants and truncation count, error mapping and the
//! writer lock. The zarrs store itself is in `zarr_store.rs`.

use std::path::Path;

use serde_json::Value;
use zarrs::array::Array;

use super::zarr_store::ZarrStore;
use crate::error::{Error, Result};

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

/// Takes the writer lock of the field stored in `store`: the file
/// `<name>.lock` beside its `<name>.zarr`.
pub(crate) fn lock(
    store: &ZarrStore,
    timeout: std::time::Duration,
) -> Result<crate::storage::LockGuard> {
    let zarr = store.prefix();
    let lock = format!("{}.lock", zarr.strip_suffix(".zarr").unwrap_or(zarr));
    let storage = store.storage();
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
