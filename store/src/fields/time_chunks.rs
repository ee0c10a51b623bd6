//! Appending to the `time` coordinate.
//!
//! Fields created by this version of ordo store `time` uncompressed
//! (`bytes` codec, little endian): an append writes its 8-byte values in
//! place, at their offsets in the chunk file, past the published length.
//! Readers never look there before the new length is published, and the
//! published values' bytes are never touched, so no temporary copy of the
//! chunk is needed. Fields whose `time` is compressed (created by earlier
//! versions) rewrite the chunk through the atomic adapter.

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::Path;

use zarrs::array::{Array, ArraySubset};

use super::zarr::{TIME_FILL, ZarrStore, zarr_err};
use crate::error::{Error, Result};

/// Writes `times` at positions `n..n + times.len()` of `time`, whose shape
/// already includes them (the caller publishes the metadata afterwards).
pub(super) fn write_times(
    root: &Path,
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
        let path = root.join(time.chunk_key(&[chunk]).as_str());
        let bytes: Vec<u8> = times[done..done + take]
            .iter()
            .flat_map(|t| t.to_le_bytes())
            .collect();
        write_in_chunk(&path, tc, within, &bytes)?;
        done += take;
    }
    Ok(())
}

/// Writes `bytes` at element `within` of the chunk file at `path`, creating
/// the file (every element the fill value) when the chunk starts at the
/// first new position.
fn write_in_chunk(path: &Path, tc: u64, within: u64, bytes: &[u8]) -> Result<()> {
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let full = tc * 8;
    let size = std::fs::metadata(path).map(|m| m.len()).ok();
    if size != Some(full) {
        if within > 0 {
            // Published values live in this chunk: it must be whole.
            return Err(zarr_err(path).of(format!(
                "time chunk is {} bytes, expected {full}",
                size.map_or_else(|| "missing".into(), |s| s.to_string())
            )));
        }
        // A new chunk (or the remains of a crashed writer's): no published
        // value lives in it, so it is written directly.
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let fill: Vec<u8> = (0..tc).flat_map(|_| TIME_FILL.to_le_bytes()).collect();
        std::fs::write(path, fill).map_err(io)?;
    }
    let file = OpenOptions::new().write(true).open(path).map_err(io)?;
    file.write_all_at(bytes, within * 8).map_err(io)?;
    file.sync_all().map_err(io)
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
