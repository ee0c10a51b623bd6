//! Field arrays: N-dimensional arrays over time stored in Zarr v3 beside a
//! dataset (detector image stacks, simulation fields).
//!
//! Layout, inside a key's dataset directory:
//!
//! ```text
//! <dataset>/_fields/<name>.zarr/        Zarr v3 group (attributes: ACDD, ordo)
//!     zarr.json
//!     data/zarr.json, data/c/...        the frames: shape [time, ...frame]
//!     time/zarr.json, time/c/...        1-D int64 time coordinate
//! <dataset>/_fields/<name>.lock         writer lock, outside the .zarr
//! ```
//!
//! The `_fields` directory starts with `_`, so Parquet readers scanning the
//! dataset directory and key discovery ignore it. The length of a field is
//! the length of its `time` array: frames are written first (new chunk
//! keys), then `data`'s metadata grows, then `time`'s; every file write is
//! atomic (zarrs' `AtomicWriteStorageAdapter`: write `key.tmp`, rename).
//! Readers therefore never see a frame without its time. Shrinking goes the
//! other way round (time first). Writers serialize on the lock file;
//! leftovers of a crashed writer (`*.tmp` keys, frames beyond the time
//! length) are cleaned under the lock by the next writer.

mod array;
mod element;
mod in_store;
mod locate;
mod time_chunks;
mod write;
mod zarr;

pub use array::{FieldArray, FieldCodec, FieldSpec};
pub use element::{ElementType, FieldElement};

/// The directory holding the field arrays of a dataset directory.
pub const FIELDS_DIR: &str = "_fields";
