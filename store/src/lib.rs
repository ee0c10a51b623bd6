//! ordo-store: the runtime of ordo.
//!
//! Users depend on the `ordo` facade crate, which re-exports this crate's
//! public items together with the derive macros. The folders show the
//! architecture (docs/ARCHITECTURE.md): [`keys`] (dataset names),
//! [`storage`] (where bytes live), `format` (manifests and row-group
//! files), `value` (ordered values), `options`, `dataset` (one
//! [`OrderedParquetDataset`]: its read path, its write path and
//! maintenance), `store` (a [`Store`] of datasets and their discovery),
//! `intersect` ([`Store::iter_intersections`]), [`fields`] (Zarr arrays
//! beside datasets), `df` (polars DataFrames) and `sql` (DataFusion
//! tables and schemas over datasets and stores).

mod dataset;
#[cfg(feature = "polars")]
pub mod df;
mod error;
pub mod fields;
mod format;
mod intersect;
pub mod keys;
mod options;
#[cfg(feature = "sql")]
pub mod sql;
pub mod storage;
mod store;
mod value;

use std::path::Path;

/// The arrow crate ordo's API speaks, re-exported so versions always match.
pub use arrow;
pub use dataset::{
    GcReport, OrderedParquetDataset, ReadOptions, RowGroupStats, Scan, Violation, WriteReport,
};
pub use error::{Cause, Error, Result};
pub use format::rowfile::parquet_compatible;
pub use intersect::{IntersectOptions, Intersections, Step};
pub use keys::{KeyError, SubLevel, TopLevel};
/// The ndarray crate field arrays are read and written with.
pub use ndarray;
/// The `object_store` crate ordo's object storage is built on (with the
/// `cloud` feature): hand an `Arc<dyn ObjectStore>` you already hold to
/// [`storage::ObjectStorage::new`].
#[cfg(feature = "cloud")]
pub use object_store;
pub use options::open::{DEFAULT_COMMIT_ATTEMPTS, DEFAULT_LOCK_TIMEOUT, OpenOptions};
pub use options::period::{Period, PeriodUnit};
pub use options::{
    Coalesce, CompactOptions, DEFAULT_CHUNK_BYTES, DEFAULT_ROW_GROUP_ROWS, DuplicatesOn, Retention,
    RowGroupTarget, WriteOptions,
};
/// The parquet crate ordo's files are written with.
pub use parquet;
/// The polars crate of [`df`]'s DataFrames, re-exported so versions
/// always match (feature `polars`).
#[cfg(feature = "polars")]
pub use polars;
pub use store::Store;
pub use store::discover::dataset_dirs;
pub use value::OrderedValue;

/// Writes `batch` into the dataset at `path` without a [`Store`]: opens it
/// (creating it on the first write) and calls
/// [`OrderedParquetDataset::write`].
///
/// ```
/// # use std::sync::Arc;
/// # use ordo_store::arrow::array::{Int64Array, RecordBatch};
/// # use ordo_store::arrow::datatypes::{DataType, Field, Schema};
/// use ordo_store::WriteOptions;
/// let dir = tempfile::tempdir()?;
/// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
/// # let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(vec![1, 2]))])?;
/// let report = ordo_store::write(dir.path().join("x"), &batch, &WriteOptions::new("ts"))?;
/// assert_eq!(report.version, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write(
    path: impl AsRef<Path>,
    batch: &arrow::array::RecordBatch,
    options: &WriteOptions,
) -> Result<WriteReport> {
    OrderedParquetDataset::open(path)?.write(batch, options)
}
