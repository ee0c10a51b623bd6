//! Polars DataFrames in and out (feature `polars`).
//!
//! Datasets are Arrow data; this module converts between arrow-rs record
//! batches and polars [`DataFrame`]s through the Arrow C Data Interface,
//! without copying buffers where the types allow, and adds DataFrame
//! versions of the dataset and intersection calls:
//! [`OrderedParquetDataset::write_df`],
//! [`read_df`](OrderedParquetDataset::read_df),
//! [`read_range_df`](OrderedParquetDataset::read_range_df),
//! [`read_with_df`](OrderedParquetDataset::read_with_df), and
//! [`Step::dataframes`] / [`Step::get_df`].
//! The polars crate these speak is re-exported as `ordo::polars`.
//!
//! ```
//! use ordo::polars::prelude::*;
//! use ordo::{DuplicatesOn, OrderedParquetDataset, OrderedValue, WriteOptions};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let ds = OrderedParquetDataset::open(dir.path().join("ticks")).unwrap();
//! let ticks = df!(
//!     "ts" => [1i64, 2, 3],
//!     "price" => [Some(10.0), None, Some(9.5)],
//!     "venue" => ["x", "y", "x"],
//! ).unwrap();
//! let opts = WriteOptions::new("ts").duplicates_on(DuplicatesOn::Columns(vec![]));
//! ds.write_df(&ticks, &opts).unwrap(); // same options, same checks as `write`
//! ds.write_df(&df!("ts" => [3i64], "price" => [9.7], "venue" => ["z"]).unwrap(), &opts).unwrap();
//! let all = ds.read_df().unwrap(); // ts 3 replaced by the newer row
//! assert_eq!(all.height(), 3);
//! let some = ds.read_range_df(OrderedValue::from(2), OrderedValue::from(4)).unwrap(); // [2, 4)
//! assert_eq!(some.column("venue").unwrap().str().unwrap().get(1), Some("z"));
//! ```
//!
//! # Type mapping
//!
//! | Arrow (arrow-rs) | polars | back to Arrow |
//! | --- | --- | --- |
//! | `Boolean`, `Int8`..`Int64`, `UInt8`..`UInt64`, `Float32`, `Float64` | same | same |
//! | `Utf8View` (`Utf8`, `LargeUtf8`: copied) | `String` | `Utf8View` |
//! | `BinaryView` (`Binary`, `LargeBinary`: copied) | `Binary` | `BinaryView` |
//! | `Date32` | `Date` | `Date32` |
//! | `Timestamp(ms/us/ns, zone)` | `Datetime(unit, zone)` | `Timestamp(unit, zone)` |
//! | `Timestamp(s, zone)`, `Date64` (converted) | `Datetime(ms, zone)` | `Timestamp(ms, zone)` |
//! | `Duration(ms/us/ns)` (`s`: converted to `ms`) | `Duration(unit)` | `Duration(unit)` |
//! | `Time32`, `Time64` (converted unless `ns`) | `Time` | `Time64(ns)` |
//! | `Null` | `Null` | `Null` |
//! | `List`, `LargeList` of the above (`List`: copied) | `List` | `LargeList` |
//!
//! Every other Arrow type (decimals, dictionaries, structs, `Float16`,
//! intervals...) is refused with [`Error::DataFrameConversion`] naming the
//! column, before anything is converted. So are time zones polars does not
//! know (it accepts IANA names, `UTC` and whole-hour offsets such as
//! `+01:00`, which it spells `Etc/GMT-1`; `+00:00` becomes `UTC`).
//! Polars types that need more polars features than ordo enables
//! (categoricals, enums, structs, decimals, arrays, 128-bit integers) are
//! not supported: reads refuse their Arrow types.
//!
//! Frames convert to Arrow with polars' newest types (the last column).
//! Every polars column is nullable. A dataset first written from a
//! DataFrame therefore reads back exactly as it was written, for every
//! ordered type polars has: integers, floats, strings, dates and
//! timestamps in any polars unit and zone.
//!
//! A dataset first written from Arrow may store other representations of
//! the same polars types. [`OrderedParquetDataset::write_df`] gives a
//! frame's strings the stored `Utf8` or `LargeUtf8`, binaries the stored
//! `Binary` or `LargeBinary`, and timestamps the stored spelling of the
//! same zone (`+00:00` for `UTC`): these columns are copied (strings,
//! binaries) or relabelled (zones). Other differences are not cast: they
//! fail as [`Error::SchemaMismatch`], as with `write`. In particular
//! columns stored as `Timestamp(s)`, `Date64`, `Time32`, `Duration(s)` or
//! `List` cannot be written from a frame.
//!
//! # Copies
//!
//! Arrow to polars: booleans, numbers, `Date32`, `Utf8View`, `BinaryView`,
//! and timestamps and durations in ms, us or ns share the Arrow buffers
//! (polars keeps them alive). A read keeps one polars chunk per row group
//! instead of concatenating them; `DataFrame::rechunk_mut` makes one.
//!
//! Polars to Arrow: a single-chunk column shares its buffers with the
//! record batch; a column of several chunks is concatenated first. Arrow
//! re-aligns (copies) a buffer that is less aligned than it requires.

mod ffi;
mod types;

use std::sync::Arc;

use arrow::array::{RecordBatch, RecordBatchOptions, new_empty_array};
use arrow::datatypes::{Field, Schema, SchemaRef};
use polars_arrow::datatypes::Field as PlField;
use polars_core::prelude::{Column, CompatLevel, DataFrame, Series};

use crate::dataset::{OrderedParquetDataset, ReadOptions, WriteReport};
use crate::error::{Cause, Error, Result};
use crate::intersect::Step;
use crate::options::WriteOptions;
use crate::value::OrderedValue;

fn conversion_error<C: Into<Cause>>(column: &str) -> impl FnOnce(C) -> Error + '_ {
    move |cause| Error::DataFrameConversion {
        column: column.to_owned(),
        source: cause.into(),
    }
}

/// A record batch as a DataFrame, sharing its buffers where the types
/// allow (see the [module docs](self) for the type mapping).
///
/// ```
/// use std::sync::Arc;
/// use ordo_store::arrow::array::{Int64Array, RecordBatch, StringViewArray};
/// use ordo_store::df::record_batch_to_df;
///
/// let batch = RecordBatch::try_from_iter([
///     ("ts", Arc::new(Int64Array::from(vec![1, 2])) as _),
///     ("name", Arc::new(StringViewArray::from(vec!["a", "b"])) as _),
/// ])?;
/// let df = record_batch_to_df(&batch)?;
/// assert_eq!(df.shape(), (2, 2));
/// assert_eq!(df.column("name")?.str()?.get(1), Some("b"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn record_batch_to_df(batch: &RecordBatch) -> Result<DataFrame> {
    batches_to_df(batch.schema_ref(), std::slice::from_ref(batch))
}

/// Batches of one schema as one DataFrame with a chunk per batch.
pub(crate) fn batches_to_df(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<DataFrame> {
    for f in schema.fields() {
        types::check_importable(f.data_type()).map_err(conversion_error(f.name()))?;
    }
    let height = batches.iter().map(RecordBatch::num_rows).sum();
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (i, f) in schema.fields().iter().enumerate() {
        let err = || conversion_error(f.name());
        let chunks = if batches.is_empty() {
            vec![ffi::arrow_to_polars(&new_empty_array(f.data_type())).map_err(err())?]
        } else {
            batches
                .iter()
                .map(|b| ffi::arrow_to_polars(b.column(i)).map_err(err()))
                .collect::<Result<Vec<_>>>()?
        };
        let series = Series::from_arrow_chunks(f.name().as_str().into(), chunks)
            .map_err(conversion_error(f.name()))?;
        columns.push(Column::from(series));
    }
    DataFrame::new(height, columns).map_err(conversion_error(""))
}

/// A DataFrame as a record batch, sharing the buffers of single-chunk
/// columns. Every field is nullable; strings become `Utf8View` (see the
/// [module docs](self) for the type mapping).
///
/// ```
/// use ordo_store::arrow::datatypes::DataType;
/// use ordo_store::df::df_to_record_batch;
/// use ordo_store::polars::prelude::*;
///
/// let df = df!("ts" => [1i64, 2], "name" => ["a", "b"])?;
/// let batch = df_to_record_batch(&df)?;
/// assert_eq!(batch.num_rows(), 2);
/// assert_eq!(batch.schema().field(1).data_type(), &DataType::Utf8View);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn df_to_record_batch(df: &DataFrame) -> Result<RecordBatch> {
    let mut fields = Vec::with_capacity(df.width());
    let mut arrays = Vec::with_capacity(df.width());
    for column in df.columns() {
        let name = column.name().to_string();
        let array = column.clone().rechunk_to_arrow(CompatLevel::newest());
        let field = PlField::new(column.name().clone(), array.dtype().clone(), true);
        let array = ffi::polars_to_arrow(array, &field).map_err(conversion_error(&name))?;
        fields.push(Field::new(name, array.data_type().clone(), true));
        arrays.push(array);
    }
    let options = RecordBatchOptions::new().with_row_count(Some(df.height()));
    Ok(RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        arrays,
        &options,
    )?)
}

/// `batch` with the stored representation of columns that `schema` keeps
/// differently (see `types::adapt_to_stored`).
fn adapt_to_schema(batch: RecordBatch, schema: &Schema) -> Result<RecordBatch> {
    let mut changed = false;
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut arrays = Vec::with_capacity(batch.num_columns());
    for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
        let array = match schema.field_with_name(field.name()) {
            Ok(stored) => types::adapt_to_stored(array, stored.data_type())
                .map_err(conversion_error(field.name()))?,
            Err(_) => array.clone(),
        };
        changed |= array.data_type() != field.data_type();
        fields.push(Field::new(field.name(), array.data_type().clone(), true));
        arrays.push(array);
    }
    if !changed {
        return Ok(batch);
    }
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    Ok(RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        arrays,
        &options,
    )?)
}

impl OrderedParquetDataset {
    /// Merges DataFrame `df` into the dataset: [`write`](Self::write) of
    /// the frame converted to Arrow, with the same options and checks.
    /// Columns the dataset stores as another representation of the same
    /// polars type (strings as `Utf8`, a zone spelled `+00:00`...) are
    /// given the stored one; see the [module docs](crate::df).
    ///
    /// ```
    /// use ordo_store::polars::prelude::*;
    /// use ordo_store::{OrderedParquetDataset, WriteOptions};
    /// let dir = tempfile::tempdir()?;
    /// let ds = OrderedParquetDataset::open(dir.path().join("ticks"))?;
    /// let report = ds.write_df(&df!("ts" => [1i64, 2, 3], "v" => [0.5, 1.5, 2.5])?, &WriteOptions::new("ts"))?;
    /// assert_eq!((report.version, ds.num_rows()), (1, 3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_df(&self, df: &DataFrame, options: &WriteOptions) -> Result<WriteReport> {
        let batch = df_to_record_batch(df)?;
        let stored = match self.schema() {
            Some(schema) => Some(schema),
            // This handle has not seen a version: another one may have
            // created the dataset since.
            None => self
                .load_head(None)?
                .and_then(|h| h.state)
                .map(|s| s.schema.clone()),
        };
        let batch = match stored {
            Some(schema) => adapt_to_schema(batch, &schema)?,
            None => batch,
        };
        self.write(&batch, options)
    }

    /// Reads the whole dataset into a DataFrame (one chunk per row group).
    ///
    /// ```
    /// use ordo_store::polars::prelude::*;
    /// use ordo_store::{OrderedParquetDataset, WriteOptions};
    /// let dir = tempfile::tempdir()?;
    /// let ds = OrderedParquetDataset::open(dir.path().join("ticks"))?;
    /// let df = df!("ts" => [1i64, 2, 3], "v" => [Some(0.5), None, Some(2.5)])?;
    /// ds.write_df(&df, &WriteOptions::new("ts"))?;
    /// assert!(ds.read_df()?.equals_missing(&df));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_df(&self) -> Result<DataFrame> {
        self.read_with_df(&ReadOptions::new())
    }

    /// Reads the rows whose ordered value lies in `[start, end_excl)` into
    /// a DataFrame.
    ///
    /// ```
    /// use ordo_store::polars::prelude::*;
    /// use ordo_store::{OrderedParquetDataset, OrderedValue, WriteOptions};
    /// let dir = tempfile::tempdir()?;
    /// let ds = OrderedParquetDataset::open(dir.path().join("ticks"))?;
    /// ds.write_df(&df!("ts" => [1i64, 2, 3, 4])?, &WriteOptions::new("ts"))?;
    /// let some = ds.read_range_df(OrderedValue::from(2), OrderedValue::from(4))?;
    /// assert!(some.equals(&df!("ts" => [2i64, 3])?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_range_df(
        &self,
        start: impl Into<OrderedValue>,
        end_excl: impl Into<OrderedValue>,
    ) -> Result<DataFrame> {
        self.read_with_df(&ReadOptions::new().start(start).end_excl(end_excl))
    }

    /// Reads what `options` select (columns, range) into a DataFrame with
    /// one chunk per row group: no concatenation copy.
    ///
    /// ```
    /// use ordo_store::polars::prelude::*;
    /// use ordo_store::{OrderedParquetDataset, ReadOptions, WriteOptions};
    /// let dir = tempfile::tempdir()?;
    /// let ds = OrderedParquetDataset::open(dir.path().join("ticks"))?;
    /// ds.write_df(&df!("ts" => [1i64, 2, 3], "v" => [1u8, 2, 3])?, &WriteOptions::new("ts"))?;
    /// let v = ds.read_with_df(&ReadOptions::new().columns(["v"]).start(2))?;
    /// assert!(v.equals(&df!("v" => [2u8, 3])?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_with_df(&self, options: &ReadOptions) -> Result<DataFrame> {
        let (schema, batches) = self.read_parts(options)?;
        batches_to_df(&schema, &batches)
    }
}

impl<K: PartialEq + Clone> Step<K> {
    /// The rows of `key` in this window as a DataFrame, if it has any.
    ///
    /// ```
    /// # use ordo::polars::prelude::*;
    /// # use ordo::{IntersectOptions, RowGroupTarget, Store, TopLevel, WriteOptions};
    /// # #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
    /// # struct Key { name: String }
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::<Key>::open(dir.path())?;
    /// # let (a, b) = (Key { name: "a".into() }, Key { name: "b".into() });
    /// # let opts = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(2));
    /// store.get(&a)?.write_df(&df!("ts" => [1i64, 2, 5, 6])?, &opts)?;
    /// store.get(&b)?.write_df(&df!("ts" => [3i64, 4])?, &opts)?;
    /// // Windows [1, 3) [3, 5) [5, ..).
    /// let mut steps = store.iter_intersections(&[a.clone(), b.clone()], IntersectOptions::new())?;
    /// let step = steps.next().unwrap()?; // window [1, 3)
    /// assert!(step.get_df(&a)?.unwrap().equals(&df!("ts" => [1i64, 2])?));
    /// assert!(step.get_df(&b)?.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_df(&self, key: &K) -> Result<Option<DataFrame>> {
        self.get(key).map(record_batch_to_df).transpose()
    }

    /// The keys with rows in this window and their rows as DataFrames, in
    /// the order the keys were given.
    ///
    /// ```
    /// # use ordo::polars::prelude::*;
    /// # use ordo::{IntersectOptions, RowGroupTarget, Store, TopLevel, WriteOptions};
    /// # #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
    /// # struct Key { name: String }
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::<Key>::open(dir.path())?;
    /// # let (a, b) = (Key { name: "a".into() }, Key { name: "b".into() });
    /// # let opts = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(2));
    /// store.get(&a)?.write_df(&df!("ts" => [1i64, 2, 5, 6])?, &opts)?;
    /// store.get(&b)?.write_df(&df!("ts" => [3i64, 4])?, &opts)?;
    /// let mut heights = Vec::new();
    /// for step in store.iter_intersections(&[a.clone(), b.clone()], IntersectOptions::new())? {
    ///     for (key, df) in step?.dataframes()? {
    ///         heights.push((key.name, df.height()));
    ///     }
    /// }
    /// assert_eq!(heights, [("a".into(), 2), ("b".into(), 2), ("a".into(), 2)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn dataframes(&self) -> Result<Vec<(K, DataFrame)>> {
        self.iter()
            .map(|(k, b)| Ok((k.clone(), record_batch_to_df(b)?)))
            .collect()
    }
}
