//! One row-group file: Parquet encoding with ordo's writer settings, and
//! reading through the [`Storage`] trait.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{
    DataType, Int32Type, Int64Type, Schema, SchemaRef, Time32SecondType, TimeUnit,
    TimestampSecondType,
};
use arrow::error::ArrowError;
use bytes::{Buf, Bytes};
use parquet::arrow::ArrowWriter;
use parquet::arrow::add_encoded_arrow_schema_to_metadata;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader,
    ParquetRecordBatchReaderBuilder, RowSelection, RowSelector,
};
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::arrow::{ArrowSchemaConverter, ProjectionMask};
use parquet::basic::{Compression, Encoding};
use parquet::errors::ParquetError;
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaData, SortingColumn};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::reader::{ChunkReader, Length};
use parquet::schema::types::ColumnPath;

use super::columns;
use crate::error::{Error, Result};
use crate::storage::Storage;
use crate::value::OrderedValue;
use crate::value::stored::cmp_values;

/// Writer settings of every row-group file: statistics with page index,
/// `sorting_columns` on the ordered column, which is delta-encoded (plain
/// for floats) without dictionary.
pub(crate) fn writer_properties(
    schema: &Schema,
    ordered_on: &str,
    compression: Compression,
    rows: usize,
) -> Result<WriterProperties> {
    let descr = ArrowSchemaConverter::new()
        .convert(schema)
        .map_err(|e| Error::InvalidOption {
            option: "schema",
            reason: e.to_string(),
        })?;
    let leaf = descr
        .columns()
        .iter()
        .position(|c| c.path().parts() == [ordered_on.to_owned()])
        .expect("the ordered column is a top-level primitive column");
    let dt = schema
        .field_with_name(ordered_on)
        .expect("checked")
        .data_type();
    let encoding = match dt {
        DataType::Float32 | DataType::Float64 => Encoding::PLAIN,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Encoding::DELTA_BYTE_ARRAY,
        _ => Encoding::DELTA_BINARY_PACKED,
    };
    let path = ColumnPath::from(ordered_on);
    Ok(WriterProperties::builder()
        .set_compression(compression)
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(rows.max(1)))
        .set_sorting_columns(Some(vec![SortingColumn {
            column_idx: leaf as i32,
            descending: false,
            nulls_first: false,
        }]))
        .set_column_dictionary_enabled(path.clone(), false)
        .set_column_encoding(path, encoding)
        .set_created_by(format!("ordo {}", env!("CARGO_PKG_VERSION")))
        .build())
}

/// Encodes `batch` as one Parquet file holding one row group (see
/// [`parquet_compatible`] for the types stored in another unit).
pub(crate) fn encode(batch: &RecordBatch, mut props: WriterProperties) -> Result<Vec<u8>> {
    let wrap = |source| Error::Parquet {
        path: "<new row group>".into(),
        source,
    };
    let stored = parquet_compatible(batch)?;
    // The embedded Arrow schema keeps the original types, so that Arrow
    // readers (pyarrow, ordo) restore them.
    add_encoded_arrow_schema_to_metadata(batch.schema_ref(), &mut props);
    let options = ArrowWriterOptions::new()
        .with_properties(props)
        .with_skip_arrow_metadata(true);
    let mut buf = Vec::with_capacity(batch.get_array_memory_size() / 2 + 1024);
    let writer =
        ArrowWriter::try_new_with_options(&mut buf, stored.schema(), options).map_err(wrap)?;
    if stored.num_rows() == 0 {
        // No row group, as `ArrowWriter` writes it.
        writer.close().map_err(wrap)?;
        return Ok(buf);
    }
    let (mut file, factory) = writer.into_serialized_writer().map_err(wrap)?;
    let writers = factory.create_column_writers(0).map_err(wrap)?;
    let chunks = columns::encode(&stored, writers).map_err(wrap)?;
    let mut row_group = file.next_row_group().map_err(wrap)?;
    for chunk in chunks {
        chunk.append_to_row_group(&mut row_group).map_err(wrap)?;
    }
    row_group.close().map_err(wrap)?;
    file.close().map_err(wrap)?;
    Ok(buf)
}

/// The type a column of type `dt` is stored as: Parquet has no seconds
/// unit, so `Timestamp(Second)` is stored as milliseconds (Parquet
/// `TIMESTAMP(MILLIS)`, which every reader reads as a timestamp) and
/// `Time32(Second)` likewise; other types as they are.
fn stored_type(dt: &DataType) -> Option<DataType> {
    match dt {
        DataType::Timestamp(TimeUnit::Second, tz) => {
            Some(DataType::Timestamp(TimeUnit::Millisecond, tz.clone()))
        }
        DataType::Time32(TimeUnit::Second) => Some(DataType::Time32(TimeUnit::Millisecond)),
        _ => None,
    }
}

/// `batch` with its seconds columns (`Timestamp(Second)`,
/// `Time32(Second)`) converted to milliseconds: Parquet has no seconds
/// unit, and a seconds column written as it is becomes a plain INT64 that
/// other readers (DuckDB, polars, pyarrow without the Arrow schema) show
/// as integers. ordo stores its row groups so; use it before writing a
/// Parquet file of your own. A value too large for milliseconds (beyond
/// about 292 million years) keeps its column in seconds.
///
/// ```
/// # use std::sync::Arc;
/// use ordo_store::arrow::array::{RecordBatch, TimestampSecondArray};
/// use ordo_store::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
/// let ts = DataType::Timestamp(TimeUnit::Second, Some("UTC".into()));
/// let schema = Arc::new(Schema::new(vec![Field::new("ts", ts, false)]));
/// let batch = RecordBatch::try_new(schema, vec![Arc::new(TimestampSecondArray::from(vec![1]).with_timezone("UTC"))])?;
/// let stored = ordo_store::parquet_compatible(&batch)?;
/// assert_eq!(stored.schema().field(0).data_type(), &DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parquet_compatible(batch: &RecordBatch) -> Result<RecordBatch> {
    if !batch
        .schema()
        .fields()
        .iter()
        .any(|f| stored_type(f.data_type()).is_some())
    {
        return Ok(batch.clone());
    }
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        let converted = stored_type(field.data_type()).and_then(|to| {
            let ms = match column.data_type() {
                DataType::Timestamp(..) => column
                    .as_primitive::<TimestampSecondType>()
                    .try_unary::<_, Int64Type, _>(|s| s.checked_mul(1000).ok_or(()))
                    .ok()
                    .map(|a| Arc::new(a) as ArrayRef),
                _ => column
                    .as_primitive::<Time32SecondType>()
                    .try_unary::<_, Int32Type, _>(|s| s.checked_mul(1000).ok_or(()))
                    .ok()
                    .map(|a| Arc::new(a) as ArrayRef),
            }?;
            let array = arrow::compute::cast(&ms, &to).ok()?;
            Some((field.as_ref().clone().with_data_type(to), array))
        });
        let (f, c) = converted.unwrap_or_else(|| (field.as_ref().clone(), column.clone()));
        fields.push(f);
        columns.push(c);
    }
    let schema = Schema::new_with_metadata(fields, batch.schema().metadata().clone());
    Ok(RecordBatch::try_new(Arc::new(schema), columns)?)
}

/// `batch` (decoded from a row-group file) with the columns' types of
/// `schema` (same names and order): undoes [`parquet_compatible`].
pub(crate) fn restore_types(
    batch: RecordBatch,
    schema: &SchemaRef,
) -> std::result::Result<RecordBatch, ArrowError> {
    if batch.schema_ref() == schema
        || batch
            .schema()
            .fields()
            .iter()
            .zip(schema.fields())
            .all(|(a, b)| a.data_type() == b.data_type())
    {
        return batch.with_schema(schema.clone());
    }
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(c, f)| {
            if c.data_type() == f.data_type() {
                Ok(c.clone())
            } else {
                arrow::compute::cast(c, f.data_type())
            }
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    RecordBatch::try_new(schema.clone(), columns)
}

/// Stored values of the file per value of the dataset's column: 1000 for
/// a seconds column stored in milliseconds (see [`stored_type`]).
fn unit_factor(meta: &ParquetMetaData, leaf: usize, dt: &DataType) -> i64 {
    let millis = matches!(
        meta.file_metadata().schema_descr().column(leaf).logical_type_ref(),
        Some(parquet::basic::LogicalType::Timestamp(t))
            if t.unit == parquet::basic::TimeUnit::MILLIS
    );
    if millis && matches!(dt, DataType::Timestamp(TimeUnit::Second, _)) {
        1000
    } else {
        1
    }
}

/// A [`ChunkReader`] over one file of a [`Storage`]: ranged reads, or
/// (when every column is wanted) the whole file in one read, served from
/// memory after. A decoder asks for the footer, the page index and each
/// column chunk in turn: on an object store each would be a request.
pub(crate) struct StorageReader {
    storage: Arc<dyn Storage>,
    path: String,
    len: u64,
    whole: Option<std::sync::OnceLock<Bytes>>,
}

impl StorageReader {
    /// Ranged reads of `path`, `len` bytes long.
    pub(crate) fn new(storage: Arc<dyn Storage>, path: String, len: u64) -> Self {
        Self {
            storage,
            path,
            len,
            whole: None,
        }
    }

    /// Reads all of `path` at the first access, and serves every range
    /// from it.
    pub(crate) fn whole(storage: Arc<dyn Storage>, path: String, len: u64) -> Self {
        Self {
            whole: Some(std::sync::OnceLock::new()),
            ..Self::new(storage, path, len)
        }
    }
}

impl Length for StorageReader {
    fn len(&self) -> u64 {
        self.len
    }
}

impl ChunkReader for StorageReader {
    type T = bytes::buf::Reader<Bytes>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(self
            .get_bytes(start, (self.len.saturating_sub(start)) as usize)?
            .reader())
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        let external = |e: std::io::Error| ParquetError::External(Box::new(e));
        let Some(cell) = &self.whole else {
            return self
                .storage
                .read_range(&self.path, start..start + length as u64)
                .map_err(external);
        };
        let all = match cell.get() {
            Some(all) => all,
            None => {
                let read = self
                    .storage
                    .read_range(&self.path, 0..self.len)
                    .map_err(external)?;
                cell.get_or_init(|| read)
            }
        };
        let end = start.saturating_add(length as u64);
        if end > all.len() as u64 {
            return Err(external(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "{}: range {start}..{end} past the end ({} bytes)",
                    self.path,
                    all.len()
                ),
            )));
        }
        Ok(all.slice(start as usize..end as usize))
    }
}

/// What to read from one row-group file.
pub(crate) struct ReadSpec<'a> {
    /// The dataset's schema, whose types the batches are given in.
    pub schema: &'a SchemaRef,
    pub columns: Option<&'a [usize]>,
    pub batch_size: usize,
    /// Prune pages to those that may hold ordered values in `[lo, hi)`,
    /// using the page index of the ordered column (a superset of the rows
    /// wanted: the caller trims exactly).
    pub prune: Option<PagePrune<'a>>,
}

/// Page pruning on the ordered column.
pub(crate) struct PagePrune<'a> {
    pub column: &'a str,
    pub data_type: &'a DataType,
    pub lo: Option<&'a OrderedValue>,
    pub hi: Option<&'a OrderedValue>,
    /// Only the rows the last `n` rows in range can be among: the last
    /// page kept and the pages before it that hold `n` rows.
    pub last: Option<usize>,
}

/// Keeps, of the kept pages, the last one and the ones just before it
/// that hold `n` rows: the rows are sorted, so every row of a page before
/// the last kept one is below `hi`, and the last `n` rows below `hi` are
/// among those (the last kept page may hold only one).
fn keep_last(pages: &mut [(bool, usize)], n: usize) {
    let Some(last) = pages.iter().rposition(|&(keep, _)| keep) else {
        return;
    };
    let mut rows = 0;
    for (keep, count) in pages[..last].iter_mut().rev() {
        if rows >= n {
            *keep = false;
        } else if *keep {
            rows += *count;
        }
    }
}

/// The rows of pages that may hold ordered values in `[lo, hi)`, from the
/// page index; `None` when there is no usable index.
fn page_selection(meta: &ParquetMetaData, prune: &PagePrune<'_>) -> Option<RowSelection> {
    let leaf = meta
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .position(|c| c.path().parts() == [prune.column.to_owned()])?;
    // ordo's files hold one row group; prune only those (others are read
    // whole and trimmed by the caller).
    if meta.num_row_groups() != 1 {
        return None;
    }
    let num_rows = usize::try_from(meta.row_group(0).num_rows()).ok()?;
    let pages = meta.offset_index()?.first()?.get(leaf)?.page_locations();
    let index = meta.column_index()?.first()?.get(leaf)?;
    let kind = meta.file_metadata().schema_descr().column(leaf);
    let factor = unit_factor(meta, leaf, prune.data_type);
    let unsigned = matches!(
        kind.logical_type_ref(),
        Some(parquet::basic::LogicalType::Integer(int)) if !int.is_signed
    );
    let stat = |p: usize, max: bool| -> Option<OrderedValue> {
        use parquet::file::page_index::column_index::ColumnIndexMetaData as C;
        // The page's max or min, from whichever typed index this is.
        macro_rules! pick {
            ($ix:expr) => {
                if max {
                    $ix.max_value(p)
                } else {
                    $ix.min_value(p)
                }
            };
        }
        Some(match index {
            C::INT32(ix) => {
                let v = *pick!(ix)?;
                if unsigned {
                    OrderedValue::UInt(u64::from(v as u32))
                } else {
                    OrderedValue::Int(v.into())
                }
            }
            C::INT64(ix) => {
                let v = *pick!(ix)?;
                if unsigned {
                    OrderedValue::UInt(v as u64)
                } else if max {
                    OrderedValue::Int(v.div_euclid(factor) + i64::from(v.rem_euclid(factor) != 0))
                } else {
                    OrderedValue::Int(v.div_euclid(factor))
                }
            }
            C::FLOAT(ix) => OrderedValue::Float((*pick!(ix)?).into()),
            C::DOUBLE(ix) => OrderedValue::Float(*pick!(ix)?),
            C::BYTE_ARRAY(ix) => {
                OrderedValue::Str(std::str::from_utf8(pick!(ix)?).ok()?.to_owned())
            }
            _ => return None,
        })
    };
    let mut kept = Vec::with_capacity(pages.len());
    for p in 0..pages.len() {
        let start = usize::try_from(pages[p].first_row_index).ok()?;
        let end = match pages.get(p + 1) {
            Some(next) => usize::try_from(next.first_row_index).ok()?,
            None => num_rows,
        };
        let keep = prune
            .lo
            .is_none_or(|lo| stat(p, true).is_none_or(|max| cmp_values(&max, lo).is_ge()))
            && prune
                .hi
                .is_none_or(|hi| stat(p, false).is_none_or(|min| cmp_values(&min, hi).is_lt()));
        kept.push((keep, end - start));
    }
    if let Some(n) = prune.last {
        keep_last(&mut kept, n);
    }
    let selected_any = kept.iter().any(|&(keep, _)| keep);
    let selectors = kept.into_iter().map(|(keep, rows)| {
        if keep {
            RowSelector::select(rows)
        } else {
            RowSelector::skip(rows)
        }
    });
    selected_any.then(|| RowSelection::from_iter(selectors))
}

/// Opens one row-group file for reading. Decoding problems (truncated or
/// corrupt file) become [`Error::CorruptRowGroup`]; a missing file
/// [`Error::MissingRowGroupFile`].
pub(crate) fn open(
    storage: &Arc<dyn Storage>,
    path: &str,
    size: u64,
    version: u64,
    spec: ReadSpec<'_>,
) -> Result<RowFileReader> {
    let full = storage.display_path(path);
    // Every column wanted: one read of the whole file beats one per
    // column chunk (and the footer's), above all on object stores.
    let every_column = spec
        .columns
        .is_none_or(|c| c.len() >= spec.schema.fields().len());
    let reader = if every_column {
        StorageReader::whole(storage.clone(), path.to_owned(), size)
    } else {
        StorageReader::new(storage.clone(), path.to_owned(), size)
    };
    // The storage's errors reach here wrapped by the decoder: a missing
    // file and other I/O failures are told apart from undecodable bytes,
    // as `read_all` does.
    let corrupt = |e: ParquetError| match e {
        ParquetError::External(inner) => match inner.downcast::<std::io::Error>() {
            Ok(io) if io.kind() == std::io::ErrorKind::NotFound => Error::MissingRowGroupFile {
                path: full.clone(),
                version,
            },
            Ok(io) => Error::Io {
                path: full.clone(),
                source: *io,
            },
            Err(other) => Error::CorruptRowGroup {
                path: full.clone(),
                source: other,
            },
        },
        e => Error::CorruptRowGroup {
            path: full.clone(),
            source: e.into(),
        },
    };
    let policy = if spec.prune.is_some() {
        PageIndexPolicy::Optional
    } else {
        PageIndexPolicy::Skip
    };
    let options = ArrowReaderOptions::new().with_page_index_policy(policy);
    let meta = ArrowReaderMetadata::load(&reader, options).map_err(corrupt)?;
    let selection = spec
        .prune
        .as_ref()
        .and_then(|p| page_selection(meta.metadata(), p));
    // The decoder reserves (and zeroes) a batch's worth of every column
    // before it decodes: no more than the pages kept hold, so that the
    // last rows of a group (`tail`) do not cost a whole group's buffers.
    let batch_size = selection
        .as_ref()
        .map_or(spec.batch_size, |s| spec.batch_size.min(s.row_count()));
    let mut builder = ParquetRecordBatchReaderBuilder::new_with_metadata(reader, meta)
        .with_batch_size(batch_size.max(1));
    if let Some(cols) = spec.columns {
        let mask = ProjectionMask::roots(builder.parquet_schema(), cols.iter().copied());
        builder = builder.with_projection(mask);
    }
    if let Some(selection) = selection {
        builder = builder.with_row_selection(selection);
    }
    let schema = match spec.columns {
        Some(cols) => Arc::new(spec.schema.project(cols)?),
        None => spec.schema.clone(),
    };
    Ok(RowFileReader {
        inner: builder.build().map_err(corrupt)?,
        schema,
    })
}

/// The batches of one row-group file, in the dataset's types.
pub(crate) struct RowFileReader {
    inner: ParquetRecordBatchReader,
    schema: SchemaRef,
}

impl Iterator for RowFileReader {
    type Item = std::result::Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let batch = self.inner.next()?;
        Some(batch.and_then(|b| restore_types(b, &self.schema)))
    }
}

/// What the log records of a row-group file, checked by [`read_all`].
pub(crate) struct Expected {
    pub size: u64,
    pub crc32c: Option<u32>,
    pub version: u64,
}

/// Reads a whole row-group file (for verification and merges) in one
/// read, checking its size and, when the manifest records it, its
/// CRC-32C: a rewrite never carries silently corrupted rows into new
/// files.
pub(crate) fn read_all(
    storage: &Arc<dyn Storage>,
    path: &str,
    expected: &Expected,
    schema: &Arc<Schema>,
) -> Result<RecordBatch> {
    let full = storage.display_path(path);
    let corrupt = |reason: String| Error::CorruptRowGroup {
        path: full.clone(),
        source: reason.into(),
    };
    let bytes = storage.read(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::MissingRowGroupFile {
                path: full.clone(),
                version: expected.version,
            }
        } else {
            Error::Io {
                path: full.clone(),
                source: e,
            }
        }
    })?;
    if bytes.len() as u64 != expected.size {
        return Err(corrupt(format!(
            "size is {} bytes, {} recorded",
            bytes.len(),
            expected.size
        )));
    }
    if let Some(want) = expected.crc32c {
        let got = crc32c::crc32c(&bytes);
        if got != want {
            return Err(corrupt(format!(
                "checksum mismatch: CRC-32C is {got:08x}, {want:08x} recorded"
            )));
        }
    }
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .and_then(|b| b.with_batch_size(usize::MAX).build())
        .map_err(|e| corrupt(e.to_string()))?;
    let batches = reader
        .map(|b| b.and_then(|b| restore_types(b, schema)))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| corrupt(e.to_string()))?;
    arrow::compute::concat_batches(schema, &batches)
        .map_err(|e| corrupt(format!("does not have the dataset's schema: {e}")))
}

#[cfg(test)]
mod tests {
    use super::keep_last;

    #[test]
    fn the_last_rows_keep_the_last_page_and_enough_before_it() {
        let pages = |keep: &[bool], rows: &[usize]| -> Vec<(bool, usize)> {
            keep.iter().copied().zip(rows.iter().copied()).collect()
        };
        let kept = |p: Vec<(bool, usize)>| -> Vec<bool> { p.into_iter().map(|(k, _)| k).collect() };
        let mut p = pages(&[true; 4], &[10, 10, 10, 5]);
        keep_last(&mut p, 12);
        assert_eq!(kept(p), [false, true, true, true]);
        let mut p = pages(&[true; 4], &[10, 10, 10, 5]);
        keep_last(&mut p, 10);
        assert_eq!(kept(p), [false, false, true, true]);
        let mut p = pages(&[true; 3], &[10, 10, 10]);
        keep_last(&mut p, 100);
        assert_eq!(kept(p), [true, true, true]);
        // Pages outside the range stay skipped; the last kept one counts
        // for nothing (it may hold a single row in range).
        let mut p = pages(&[false, true, true, false], &[10, 10, 3, 10]);
        keep_last(&mut p, 5);
        assert_eq!(kept(p), [false, true, true, false]);
        let mut p = pages(&[false; 2], &[10, 10]);
        keep_last(&mut p, 5);
        assert_eq!(kept(p), [false, false]);
    }
}
