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
//! dataset directory and key discovery ignore it. Every byte goes through
//! ordo's [`Storage`](crate::storage::Storage): zarrs sees it through the
//! adapter of `zarr_store.rs`, so a field lives wherever a dataset can. The
//! length of a field is the length of its `time` array: frames are written
//! first (new chunk keys), then `data`'s metadata grows, then `time`'s; a
//! key that readers may be reading is replaced atomically
//! ([`Storage::put_atomic`](crate::storage::Storage::put_atomic)). Readers
//! therefore never see a frame without its time. Shrinking goes the other
//! way round (time first). Writers serialize on the lock file; leftovers of
//! a crashed writer (the storage's temporary files, frames beyond the time
//! length) are cleaned under the lock by the next writer.

mod array;
mod element;
mod in_store;
mod locate;
mod spec;
mod time_chunks;
mod write;
mod zarr;
mod zarr_store;

pub use array::FieldArray;
pub use element::{ElementType, FieldElement};
pub use spec::{FieldCodec, FieldSpec};

/// The directory holding the field arrays of a dataset directory.
pub const FIELDS_DIR: &str = "_fields";
