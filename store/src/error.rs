//! The error type of ordo-store. Every variant says what was wrong and
//! where; `docs/ERRORS.md` lists them all with when they happen.

use std::path::PathBuf;
use std::time::Duration;

use crate::keys::KeyError;

/// Result alias of ordo-store.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The cause of an error from another library (zarrs, parquet, arrow,
/// polars), or a message where ordo itself found the problem; reached
/// through [`std::error::Error::source`].
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// Everything that can go wrong in ordo-store.
///
/// ```
/// use ordo_store::Error;
/// let err = Error::NullInOrderedColumn { column: "ts".into(), row: 3 };
/// assert_eq!(err.to_string(), "ordered column `ts` has a null at row 3 (counted from 0)");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A key failed validation or a path failed to parse as a key.
    #[error(transparent)]
    Key(#[from] KeyError),

    /// An I/O operation failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// The writer lock was held by someone else for the whole timeout.
    #[error("could not lock {path} within {waited:?}: another writer holds it")]
    LockTimeout {
        /// The lock file.
        path: PathBuf,
        /// How long we waited.
        waited: Duration,
    },

    /// A dataset has no committed version (nothing was ever written, or it
    /// was removed).
    #[error("no dataset at {path}")]
    DatasetNotFound {
        /// The dataset directory.
        path: PathBuf,
    },

    /// A requested version does not exist (never committed or collected).
    #[error("dataset {path} has no version {version}")]
    VersionNotFound {
        /// The dataset directory.
        path: PathBuf,
        /// The version asked for.
        version: u64,
    },

    /// A manifest cannot be decoded.
    #[error("corrupt manifest {path}: {reason}")]
    CorruptManifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// A manifest was written by a newer ordo.
    #[error("manifest {path} has format version {found}; this ordo reads up to {supported}")]
    UnsupportedFormatVersion {
        /// The manifest file.
        path: PathBuf,
        /// The version found.
        found: u32,
        /// The newest version this build reads.
        supported: u32,
    },

    /// A row-group file listed by the manifest does not exist.
    #[error("row-group file {path} listed by version {version} is missing")]
    MissingRowGroupFile {
        /// The missing file.
        path: PathBuf,
        /// The version listing it.
        version: u64,
    },

    /// A row-group file cannot be decoded (truncated, corrupt) or does not
    /// match what the log records about it.
    #[error("corrupt row-group file {path}: {source}")]
    CorruptRowGroup {
        /// The file.
        path: PathBuf,
        /// What is wrong with it: the decoder's error, or a message.
        source: Cause,
    },

    /// A write named another ordered column than the dataset's.
    #[error("dataset {path} is ordered on `{dataset}`, but the write names `{given}`")]
    OrderedOnMismatch {
        /// The dataset directory.
        path: PathBuf,
        /// The dataset's ordered column.
        dataset: String,
        /// The column the write named.
        given: String,
    },

    /// The ordered column is not in the data.
    #[error("ordered column `{column}` is not in the data (columns: {available})")]
    MissingOrderedColumn {
        /// The ordered column.
        column: String,
        /// The columns present, comma-separated.
        available: String,
    },

    /// The ordered column has a type ordo cannot order on.
    #[error(
        "ordered column `{column}` has type {data_type}, which cannot be an ordered column (integers, floats, timestamps, dates and strings can)"
    )]
    UnsupportedOrderedType {
        /// The ordered column.
        column: String,
        /// Its type.
        data_type: String,
    },

    /// The ordered column holds a null.
    #[error("ordered column `{column}` has a null at row {row} (counted from 0)")]
    NullInOrderedColumn {
        /// The ordered column.
        column: String,
        /// The first row holding a null.
        row: usize,
    },

    /// The ordered column holds a NaN.
    #[error("ordered column `{column}` has a NaN at row {row} (counted from 0)")]
    NanInOrderedColumn {
        /// The ordered column.
        column: String,
        /// The first row holding a NaN.
        row: usize,
    },

    /// The data is not sorted on the ordered column.
    #[error(
        "data is not sorted on `{column}`: row {row} (counted from 0) holds {value}, which comes after a larger value ({previous})"
    )]
    Unsorted {
        /// The ordered column.
        column: String,
        /// The first row smaller than its predecessor.
        row: usize,
        /// The predecessor's value.
        previous: String,
        /// The row's value.
        value: String,
    },

    /// A column's type or nullability differs from the dataset's schema.
    #[error("column `{column}`: the dataset has {expected}, the data has {found}")]
    SchemaMismatch {
        /// The column.
        column: String,
        /// What the dataset has.
        expected: String,
        /// What the data has.
        found: String,
    },

    /// The data lacks a column of the dataset.
    #[error("the data has no column `{column}`, which the dataset has")]
    MissingColumn {
        /// The column.
        column: String,
    },

    /// The data has a column the dataset lacks.
    #[error("the data has a column `{column}` that the dataset does not have")]
    ExtraColumn {
        /// The column.
        column: String,
    },

    /// A column is named twice in the data or in a projection.
    #[error("column `{column}` appears twice")]
    DuplicateColumn {
        /// The column.
        column: String,
    },

    /// A path or URL names no storage ordo can open (unknown scheme,
    /// malformed URL, or an object-store URL without the `cloud` feature).
    #[error("cannot open {location}: {source}")]
    InvalidLocation {
        /// The path or URL as given.
        location: String,
        /// Why.
        source: std::io::Error,
    },

    /// Writers kept committing the version this write was about to commit:
    /// it was planned again on each new latest version, and gave up after
    /// `attempts` tries. Nothing of it was committed.
    #[error(
        "{path}: gave up after {attempts} attempts: other writers committed each version this write tried to commit"
    )]
    CommitConflict {
        /// The dataset.
        path: PathBuf,
        /// How many times the write was planned and tried.
        attempts: u32,
    },

    /// A write on storage without an exclusive lock took longer than half
    /// the grace period between finding the version it builds on and
    /// publishing its commit: another process's garbage collection could
    /// have deleted its files or that version, so it deleted its files
    /// itself and committed nothing.
    #[error(
        "{path}: the write took {elapsed:?}, more than half the grace period of {grace:?}; nothing was committed (raise Retention::grace_period for slow writes)"
    )]
    GracePeriodExceeded {
        /// The dataset.
        path: PathBuf,
        /// How long the write had been running when it gave up.
        elapsed: std::time::Duration,
        /// The handle's grace period.
        grace: std::time::Duration,
    },

    /// An option has an invalid value.
    #[error("invalid option `{option}`: {reason}")]
    InvalidOption {
        /// The option.
        option: &'static str,
        /// Why it is invalid.
        reason: String,
    },

    /// A range bound or value cannot be compared with the ordered column.
    #[error("value {value} cannot be compared with ordered column `{column}` of type {data_type}")]
    IncompatibleValue {
        /// The ordered column.
        column: String,
        /// Its type.
        data_type: String,
        /// The value given.
        value: String,
    },

    /// Text that does not parse as a value of a column's type
    /// ([`OrderedValue::parse`](crate::OrderedValue::parse)).
    #[error("cannot parse {text:?} as a {data_type} value: {reason}")]
    UnparsableValue {
        /// The text given.
        text: String,
        /// The column type.
        data_type: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A projection names a column the dataset does not have.
    #[error("no column `{column}` in dataset {path}")]
    NoSuchColumn {
        /// The dataset directory.
        path: PathBuf,
        /// The column.
        column: String,
    },

    /// Another writer published the same version, bypassing the lock.
    #[error("version {version} of {path} was published by another writer (was the lock bypassed?)")]
    ConcurrentCommit {
        /// The dataset directory.
        path: PathBuf,
        /// The contested version.
        version: u64,
    },

    /// A path that must be a directory (a store root, or a level of a
    /// dataset's path inside a store) exists and is something else.
    #[error("{path} exists and is not a directory")]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },

    /// A level of a dataset's path inside a store is a symbolic link: a
    /// store never follows links below its root.
    #[error("{path} is a symbolic link; a store does not follow links below its root")]
    SymlinkInStore {
        /// The link.
        path: PathBuf,
    },

    /// Datasets asked for by key do not exist (never written, or removed).
    #[error("no dataset for key(s) {} in store {root}", keys.join(", "))]
    KeysNotFound {
        /// The store root.
        root: PathBuf,
        /// Every missing key, in its `Display` form.
        keys: Vec<String>,
    },

    /// Datasets intersected together disagree on their ordered column
    /// (name or type).
    #[error(
        "datasets disagree on the ordered column: `{first_key}` is ordered on {first}, `{key}` on {other}"
    )]
    OrderedColumnMismatch {
        /// The first key given (the reference).
        first_key: String,
        /// Its ordered column and type, as "`name` (type)".
        first: String,
        /// The key that differs.
        key: String,
        /// Its ordered column and type, as "`name` (type)".
        other: String,
    },

    /// A field array does not exist.
    #[error("no field array at {path}")]
    FieldNotFound {
        /// The `.zarr` directory.
        path: PathBuf,
    },

    /// A field array to create exists already.
    #[error("field array {path} exists already")]
    FieldExists {
        /// The `.zarr` directory.
        path: PathBuf,
    },

    /// Frames of another element type than the field's.
    #[error("field {path} holds {expected} elements, not {found}")]
    FieldTypeMismatch {
        /// The `.zarr` directory.
        path: PathBuf,
        /// The field's element type.
        expected: &'static str,
        /// The type given.
        found: &'static str,
    },

    /// Frames of another shape than the field's (or not one per time).
    #[error("field {path} expects frames shaped {expected}, got {found}")]
    FieldShapeMismatch {
        /// The `.zarr` directory.
        path: PathBuf,
        /// The expected shape.
        expected: String,
        /// The shape given.
        found: String,
    },

    /// Frame times not strictly increasing, or not after the last frame.
    #[error("field {path}: time {value} at index {index} is not after {previous}")]
    NonIncreasingTime {
        /// The `.zarr` directory.
        path: PathBuf,
        /// The index in the given times (0: compared with the stored last).
        index: usize,
        /// The time it must exceed.
        previous: i64,
        /// The offending time.
        value: i64,
    },

    /// A read past the end of a field (zarrs would return fill values).
    #[error("field {path}: {what} is out of bounds ({len} frames)")]
    OutOfBounds {
        /// The `.zarr` directory.
        path: PathBuf,
        /// What was asked.
        what: String,
        /// The number of frames.
        len: u64,
    },

    /// A Zarr store or metadata problem.
    #[error("zarr error on {path}: {source}")]
    Zarr {
        /// The `.zarr` directory (or the file of it concerned).
        path: PathBuf,
        /// What went wrong: the error of zarrs, or a message.
        source: Cause,
    },

    /// Parquet encoding or decoding failed.
    #[error("parquet error on {path}: {source}")]
    Parquet {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        source: parquet::errors::ParquetError,
    },

    /// A column could not be converted between Arrow and a polars
    /// DataFrame (feature `polars`): a type or time zone polars lacks.
    #[error("column `{column}` cannot be converted between Arrow and polars: {source}")]
    DataFrameConversion {
        /// The column (empty when the frame as a whole failed).
        column: String,
        /// Why: the error of arrow or polars, or a message.
        source: Cause,
    },

    /// A SQL query failed to parse, plan or run (feature `sql`): an unknown
    /// table or column, a syntax error, a type error, or a failed read.
    #[error("SQL query failed: {message}")]
    Query {
        /// DataFusion's message, on one line.
        message: String,
        /// The error of DataFusion.
        source: Cause,
    },

    /// The input of a streaming write (`write_batches`) yielded an error;
    /// nothing was committed.
    #[error("reading the input failed after {rows} rows: {source}")]
    Input {
        /// Rows the input had yielded before the error.
        rows: u64,
        /// The input's error.
        source: Cause,
    },

    /// An Arrow computation on the rows of a dataset failed.
    #[error("arrow error on {}: {source}", if path.as_os_str().is_empty() { "new data".into() } else { path.display().to_string() })]
    Arrow {
        /// The dataset directory (empty for data not yet in a dataset).
        path: PathBuf,
        /// The underlying error.
        source: arrow::error::ArrowError,
    },
}

impl From<arrow::error::ArrowError> for Error {
    /// An Arrow error not yet tied to a dataset; the dataset operation it
    /// surfaces from names its directory (see [`Error::in_dataset`]).
    fn from(source: arrow::error::ArrowError) -> Self {
        Error::Arrow {
            path: PathBuf::new(),
            source,
        }
    }
}

impl Error {
    /// This error about the rows of one batch, with its row numbers
    /// counted from the start of a stream in which `offset` rows came
    /// before the batch.
    pub(crate) fn at_row_offset(self, offset: usize) -> Self {
        match self {
            Error::NullInOrderedColumn { column, row } => Error::NullInOrderedColumn {
                column,
                row: row + offset,
            },
            Error::NanInOrderedColumn { column, row } => Error::NanInOrderedColumn {
                column,
                row: row + offset,
            },
            Error::Unsorted {
                column,
                row,
                previous,
                value,
            } => Error::Unsorted {
                column,
                row: row + offset,
                previous,
                value,
            },
            other => other,
        }
    }

    /// This error, with `path` as the dataset of an Arrow error that names
    /// none yet.
    pub(crate) fn in_dataset(self, path: impl FnOnce() -> PathBuf) -> Self {
        match self {
            Error::Arrow { path: p, source } if p.as_os_str().is_empty() => Error::Arrow {
                path: path(),
                source,
            },
            other => other,
        }
    }
}
