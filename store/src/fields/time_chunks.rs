//! Appending to the `time` coordinate.
//!
//! Fields created by this version of ordo store `time` uncompressed
//! (`bytes` codec, little endian): an append puts its 8-byte values at
//! their offsets in the chunk object, past the published length, without
//! decoding anything. A chunk that holds no published value yet is written
//! directly (readers never look there before the new length is
//! published); a chunk that does is replaced atomically, with the
//! published values' bytes unchanged, so a reader sees them in the old
//! object or the new one. Fields whose `time` is compressed (created by
//! earlier versions) rewrite the chunk through zarrs, atomically too.

use std::io;
use std::path::Path;

use zarrs::array::{Array, ArraySubset};

use super::zarr::{TIME_FILL, zarr_err};
use super::zarr_store::ZarrStore;
use crate::error::{Error, Result};

/// Writes `times` at positions `n..n + times.len()` of `time`, whose shape
/// already includes them (the caller publishes the metadata afterwards).
/// `root` names the field in errors.
pub(super) fn write_times(
    root: &Path,
    store: &ZarrStore,
    time: &Array<ZarrStore>,
    n: u64,
    times: &[i64],
) -> Result<()> {
    let err = zarr_err(root);
    if !is_raw_little_endian(time) {
        return time
            .store_array_subset(
                &ArraySubset::new_with_ranges(std::slice::from_ref(&(n..n + times.len() as u64))),
                times.to_vec(),
            )
            .map_err(|e| err.of(e));
    }
    let tc = time.chunk_shape(&[0]).map_err(|e| err.of(e))?[0].get();
    let mut done = 0;
    while done < times.len() {
        let pos = n + done as u64;
        let (chunk, within) = (pos / tc, pos % tc);
        let take = ((tc - within) as usize).min(times.len() - done);
        let bytes: Vec<u8> = times[done..done + take]
            .iter()
            .flat_map(|t| t.to_le_bytes())
            .collect();
        write_in_chunk(store, time.chunk_key(&[chunk]).as_str(), tc, within, &bytes)?;
        done += take;
    }
    Ok(())
}

/// Writes `bytes` at element `within` of the `time` chunk `key` of `tc`
/// elements. From element 0 on, the chunk holds no published value: it is
/// written whole (fill values after `bytes`). Else it must be whole, and
/// is replaced atomically.
fn write_in_chunk(store: &ZarrStore, key: &str, tc: u64, within: u64, bytes: &[u8]) -> Result<()> {
    let storage = store.storage();
    let path = store.path(key);
    let io_err = |source| Error::Io {
        path: storage.display_path(&path),
        source,
    };
    let full = tc * 8;
    let offset = within as usize * 8;
    if within == 0 {
        // A new chunk (or the remains of a crashed writer's).
        let mut chunk = bytes.to_vec();
        let fill = TIME_FILL.to_le_bytes();
        while (chunk.len() as u64) < full {
            chunk.extend_from_slice(&fill);
        }
        return storage.put(&path, &chunk).map_err(io_err);
    }
    let current = match storage.read(&path) {
        Ok(current) => Some(current),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_err(e)),
    };
    let size = current.as_ref().map(|c| c.len() as u64);
    let Some(current) = current.filter(|_| size == Some(full)) else {
        // Published values live in this chunk: it must be whole.
        return Err(zarr_err(&storage.display_path(&path)).of(format!(
            "time chunk is {} bytes, expected {full}",
            size.map_or_else(|| "missing".into(), |s| s.to_string())
        )));
    };
    let mut chunk = current.to_vec();
    chunk[offset..offset + bytes.len()].copy_from_slice(bytes);
    storage.put_atomic(&path, &chunk).map_err(io_err)
}

/// Whether `time` is stored as plain little-endian integers.
fn is_raw_little_endian(time: &Array<ZarrStore>) -> bool {
    let Ok(meta) = serde_json::to_value(time.metadata()) else {
        return false;
    };
    let codecs = &meta["codecs"];
    codecs.as_array().is_some_and(|c| c.len() == 1)
        && codecs[0]["name"] == "bytes"
        && codecs[0]["configuration"]["endian"] == "little"
}
