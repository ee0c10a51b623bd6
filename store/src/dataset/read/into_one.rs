//! Whole row groups read into one batch without a concatenation copy.
//!
//! The manifest knows every row group's row count, so each fixed-width
//! column's output is allocated once (see [`zeroed`]) and cut into one
//! slice per row group before decoding. Row groups then decode in
//! parallel, each copying its values into its own slices and dropping its
//! decoded arrays at once: the memory in flight is one row group per
//! thread besides the output, and freed decoding buffers are reused by the
//! next row group instead of faulting in fresh pages. Columns of other
//! types (strings, lists, booleans, ...) keep their decoded arrays and are
//! concatenated at the end, as before.

use arrow::array::BooleanBufferBuilder;
use arrow::array::{Array, ArrayData, ArrayRef, RecordBatch, RecordBatchOptions, make_array};
use arrow::buffer::{MutableBuffer, NullBuffer};
use rayon::prelude::*;

use super::{ResolvedRead, decode_err};
use crate::dataset::OrderedParquetDataset;
use crate::error::{Error, Result};

/// Rows decoded at a time before they are copied: small enough that the
/// decoded arrays come from the allocator's reused memory (not fresh
/// pages the kernel must fault in and zero), large enough to decode
/// efficiently.
const COPY_ROWS: usize = 8192;

/// What a row group leaves of one output column once decoded.
enum Piece {
    /// Its values were copied into the output; its validity, per decoded
    /// batch (`None`: no nulls).
    Copied(Vec<(usize, Option<NullBuffer>)>),
    /// Its decoded arrays, to concatenate.
    Arrays(Vec<ArrayRef>),
}

impl OrderedParquetDataset {
    /// Reads `resolved`'s row groups, none of which needs trimming, into
    /// one batch.
    pub(super) fn read_into_one(&self, resolved: &ResolvedRead) -> Result<RecordBatch> {
        let schema = &resolved.out_schema;
        let stats = &resolved.snapshot.stats;
        let rows: Vec<usize> = resolved
            .groups
            .iter()
            .map(|&(i, _)| stats[i].num_rows as usize)
            .collect();
        let total: usize = rows.iter().sum();
        let widths: Vec<Option<usize>> = schema
            .fields()
            .iter()
            .map(|f| f.data_type().primitive_width())
            .collect();
        let mut outputs: Vec<Option<MutableBuffer>> = widths
            .iter()
            .map(|w| w.map(|w| zeroed(w * total)))
            .collect();
        let slices = cut(&mut outputs, &widths, &rows);
        let pieces = resolved
            .groups
            .par_iter()
            .zip(slices)
            .map(|(&(i, _), slices)| self.decode_into(resolved, i, slices))
            .collect::<Result<Vec<_>>>()?;
        let columns = assemble(schema, outputs, pieces, total)?;
        let options = RecordBatchOptions::new().with_row_count(Some(total));
        Ok(RecordBatch::try_new_with_options(
            schema.clone(),
            columns,
            &options,
        )?)
    }

    /// Decodes row group `i`, copying its fixed-width columns into
    /// `slices` (one per output column, `None` for the others).
    fn decode_into(
        &self,
        resolved: &ResolvedRead,
        i: usize,
        mut slices: Vec<Option<&mut [u8]>>,
    ) -> Result<Vec<Piece>> {
        let rg = &resolved.snapshot.stats[i];
        let expected = rg.num_rows as usize;
        let (reader, _) = resolved.open(&self.storage, &self.prefix, i, false, COPY_ROWS, None)?;
        let err = decode_err(&self.storage, &self.prefix, &rg.file);
        let mut pieces: Vec<Piece> = slices
            .iter()
            .map(|s| match s {
                Some(_) => Piece::Copied(Vec::new()),
                None => Piece::Arrays(Vec::new()),
            })
            .collect();
        let mut at = 0;
        for batch in reader {
            let batch = resolved.finish(batch.map_err(&err)?, None)?;
            let n = batch.num_rows();
            if at + n > expected {
                return Err(miscounted(self, rg, expected));
            }
            for ((column, slice), piece) in batch.columns().iter().zip(&mut slices).zip(&mut pieces)
            {
                match piece {
                    Piece::Copied(nulls) => {
                        let slice = slice.as_deref_mut().expect("a fixed-width column");
                        copy_values(column, slice, at);
                        nulls.push((n, column.nulls().cloned()));
                    }
                    Piece::Arrays(arrays) => arrays.push(column.clone()),
                }
            }
            at += n;
        }
        if at != expected {
            return Err(miscounted(self, rg, expected));
        }
        Ok(pieces)
    }
}

/// A row group whose file holds another number of rows than its manifest
/// entry says.
fn miscounted(ds: &OrderedParquetDataset, rg: &crate::RowGroupStats, expected: usize) -> Error {
    let path = ds
        .storage
        .display_path(&crate::storage::join(&ds.prefix, &rg.file));
    Error::CorruptRowGroup {
        path,
        source: format!("the file does not hold the {expected} rows its manifest entry records")
            .into(),
    }
}

/// `len` zeroed bytes, aligned for every fixed-width Arrow type (16
/// bytes), that no one has written yet: a `calloc`, which for large sizes
/// maps pages the kernel zeroes as they are first touched, by the copy
/// that fills them (an aligned allocation would be zeroed by a `memset`
/// first: tens of megabytes written twice).
fn zeroed(len: usize) -> MutableBuffer {
    let mut buffer = MutableBuffer::from(vec![0i128; len.div_ceil(16)]);
    buffer.truncate(len);
    buffer
}

/// Each row group's slice of every fixed-width output, in row-group order.
fn cut<'a>(
    outputs: &'a mut [Option<MutableBuffer>],
    widths: &[Option<usize>],
    rows: &[usize],
) -> Vec<Vec<Option<&'a mut [u8]>>> {
    let mut slices: Vec<Vec<Option<&mut [u8]>>> = rows
        .iter()
        .map(|_| Vec::with_capacity(widths.len()))
        .collect();
    for (output, width) in outputs.iter_mut().zip(widths) {
        let mut rest = output.as_mut().map(MutableBuffer::as_slice_mut);
        for (group, &n) in slices.iter_mut().zip(rows) {
            let part = match (rest.take(), width) {
                (Some(bytes), Some(w)) => {
                    let (part, tail) = bytes.split_at_mut(n * w);
                    rest = Some(tail);
                    Some(part)
                }
                _ => None,
            };
            group.push(part);
        }
    }
    slices
}

/// Copies the values of fixed-width `column` into `slice` from row `at`.
fn copy_values(column: &ArrayRef, slice: &mut [u8], at: usize) {
    let data = column.to_data();
    let width = column
        .data_type()
        .primitive_width()
        .expect("a fixed-width column");
    let values = &data.buffers()[0].as_slice()[data.offset() * width..][..data.len() * width];
    slice[at * width..][..values.len()].copy_from_slice(values);
}

/// The output columns: the filled buffers with their validity, and the
/// concatenated others (in parallel, column by column).
fn assemble(
    schema: &arrow::datatypes::SchemaRef,
    outputs: Vec<Option<MutableBuffer>>,
    pieces: Vec<Vec<Piece>>,
    total: usize,
) -> Result<Vec<ArrayRef>> {
    // Column-major: each column's pieces, in row-group order.
    let mut by_column: Vec<Vec<Piece>> = outputs.iter().map(|_| Vec::new()).collect();
    for group in pieces {
        for (column, piece) in by_column.iter_mut().zip(group) {
            column.push(piece);
        }
    }
    outputs
        .into_par_iter()
        .zip(by_column)
        .zip(schema.fields().par_iter())
        .map(|((output, pieces), field)| match output {
            Some(values) => {
                let nulls = validity(&pieces, total);
                let data = ArrayData::builder(field.data_type().clone())
                    .len(total)
                    .add_buffer(values.into())
                    .nulls(nulls)
                    .build()?;
                Ok(make_array(data))
            }
            None => {
                let arrays: Vec<&dyn Array> = pieces
                    .iter()
                    .flat_map(|p| match p {
                        Piece::Arrays(arrays) => arrays.as_slice(),
                        Piece::Copied(_) => &[],
                    })
                    .map(|a| a.as_ref())
                    .collect();
                if arrays.is_empty() {
                    return Ok(arrow::array::new_empty_array(field.data_type()));
                }
                Ok(arrow::compute::concat(&arrays)?)
            }
        })
        .collect()
}

/// The validity of a filled column: `None` when no row group had a null.
fn validity(pieces: &[Piece], total: usize) -> Option<NullBuffer> {
    let batches = || {
        pieces.iter().flat_map(|p| match p {
            Piece::Copied(nulls) => nulls.as_slice(),
            Piece::Arrays(_) => &[],
        })
    };
    if batches().all(|(_, nulls)| nulls.is_none()) {
        return None;
    }
    let mut bits = BooleanBufferBuilder::new(total);
    for (n, nulls) in batches() {
        match nulls {
            Some(nulls) => bits.append_buffer(nulls.inner()),
            None => bits.append_n(*n, true),
        }
    }
    Some(NullBuffer::new(bits.finish()))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{BooleanArray, Float64Array, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;
    use crate::dataset::read::{ReadOptions, concat_parallel};
    use crate::{RowGroupTarget, WriteOptions};

    /// 25,000 rows in row groups of 10,000 (two of them decoded in
    /// several batches) and 5,000: fixed-width columns with nulls in some
    /// row groups only, and two columns that are concatenated.
    fn dataset(dir: &std::path::Path) -> OrderedParquetDataset {
        let schema = Arc::new(Schema::new(vec![
            Field::new("ts", DataType::Int64, false),
            Field::new("price", DataType::Float64, true),
            Field::new("name", DataType::Utf8, true),
            Field::new("flag", DataType::Boolean, false),
        ]));
        let n = 25_000i64;
        let price =
            Float64Array::from_iter((0..n).map(|i| (i < 10_000 && i % 7 == 0).then_some(i as f64)));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from_iter_values(0..n)),
                Arc::new(price),
                Arc::new(StringArray::from_iter(
                    (0..n).map(|i| (i % 3 != 0).then(|| i.to_string())),
                )),
                Arc::new(BooleanArray::from_iter((0..n).map(|i| Some(i % 2 == 0)))),
            ],
        )
        .unwrap();
        let ds = OrderedParquetDataset::open(dir).unwrap();
        let opts = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(10_000));
        ds.write(&batch, &opts).unwrap();
        assert_eq!(ds.num_row_groups(), 3);
        ds
    }

    #[test]
    fn whole_row_groups_read_into_one_batch_as_concatenated() {
        let dir = tempfile::tempdir().unwrap();
        let ds = dataset(dir.path());
        for opts in [
            ReadOptions::new(),
            ReadOptions::new().columns(["flag", "price", "ts"]),
            ReadOptions::new().columns(["name"]),
            ReadOptions::new().columns(Vec::<String>::new()),
        ] {
            let resolved =
                ResolvedRead::new(ds.snapshot_or_not_found().unwrap(), &ds.path(), &opts).unwrap();
            assert!(resolved.groups.iter().all(|&(_, partial)| !partial));
            let one = ds.read_into_one(&resolved).unwrap();
            let parts = ds.decode_groups(&resolved).unwrap();
            let concatenated = concat_parallel(&resolved.out_schema, &parts).unwrap();
            assert_eq!(one.num_rows(), 25_000);
            assert_eq!(one, concatenated);
            assert_eq!(one, ds.read_with(&opts).unwrap());
        }
        let price = ds.read().unwrap().column(1).clone();
        assert_eq!(price.null_count(), 25_000 - 10_000 / 7 - 1);
    }

    #[test]
    fn a_row_group_with_other_rows_than_its_entry_is_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let ds = dataset(dir.path());
        for delta in [-1i64, 1] {
            let mut snapshot = (*ds.snapshot_or_not_found().unwrap()).clone();
            let rg = &mut snapshot.stats[1];
            rg.num_rows = (rg.num_rows as i64 + delta) as _;
            let file = rg.file.clone();
            let resolved =
                ResolvedRead::new(Arc::new(snapshot), &ds.path(), &ReadOptions::new()).unwrap();
            match ds.read_into_one(&resolved) {
                Err(Error::CorruptRowGroup { path, source }) => {
                    assert_eq!(path, dir.path().join(&file));
                    let expected = 10_000 + delta;
                    assert_eq!(
                        source.to_string(),
                        format!(
                            "the file does not hold the {expected} rows its manifest entry records"
                        )
                    );
                }
                other => panic!("{other:?}"),
            }
        }
    }
}
