//! The columns of one row group encoded and compressed in parallel.
//!
//! `ArrowWriter` encodes the columns of a row group one after the other.
//! An append is one batch and one row group, so its encoding (the larger
//! part of its time) would use one core; here each leaf column is
//! encoded on rayon's pool by the writers `ArrowWriter` itself would use,
//! and the chunks are appended in schema order: the file is the same.

use arrow::array::RecordBatch;
use parquet::arrow::arrow_writer::{ArrowColumnChunk, ArrowColumnWriter, compute_leaves};
use parquet::errors::Result;
use rayon::prelude::*;

/// Encodes the columns of `batch`, one leaf column per writer of
/// `writers` (the row group's writers, in schema order), in parallel.
pub(crate) fn encode(
    batch: &RecordBatch,
    writers: Vec<ArrowColumnWriter>,
) -> Result<Vec<ArrowColumnChunk>> {
    let mut leaves = Vec::with_capacity(writers.len());
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        leaves.extend(compute_leaves(field, column)?);
    }
    assert_eq!(leaves.len(), writers.len(), "one writer per leaf column");
    writers
        .into_par_iter()
        .zip(leaves)
        .map(|(mut writer, leaf)| {
            writer.write(&leaf)?;
            writer.close()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Float64Array, Int64Array, ListArray, StringArray, StructArray};
    use arrow::datatypes::{DataType, Field, Int32Type};
    use parquet::arrow::ArrowWriter;
    use parquet::basic::{Compression, ZstdLevel};
    use parquet::file::properties::{EnabledStatistics, WriterProperties};

    use super::*;

    /// Columns of every shape of leaf: flat with nulls, strings, a
    /// struct of two leaves, a list.
    fn batch() -> RecordBatch {
        let n = 1000;
        let ts: ArrayRef = Arc::new(Int64Array::from_iter_values(0..n));
        let price: ArrayRef = Arc::new(Float64Array::from_iter(
            (0..n).map(|i| (i % 7 != 0).then_some(i as f64 / 3.0)),
        ));
        let name: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..n).map(|i| format!("s{}", i % 13)),
        ));
        let pair: ArrayRef = Arc::new(StructArray::from(vec![
            (
                Arc::new(Field::new("a", DataType::Int64, false)),
                Arc::new(Int64Array::from_iter_values((0..n).map(|i| i * 2))) as ArrayRef,
            ),
            (
                Arc::new(Field::new("b", DataType::Utf8, true)),
                Arc::new(StringArray::from_iter(
                    (0..n).map(|i| (i % 5 != 0).then(|| i.to_string())),
                )) as ArrayRef,
            ),
        ]));
        let list: ArrayRef = Arc::new(ListArray::from_iter_primitive::<Int32Type, _, _>(
            (0..n).map(|i| (i % 3 != 0).then(|| (0..i % 4).map(|v| Some(v as i32)))),
        ));
        RecordBatch::try_from_iter([
            ("ts", ts),
            ("price", price),
            ("name", name),
            ("pair", pair),
            ("list", list),
        ])
        .unwrap()
    }

    fn props() -> WriterProperties {
        WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap()))
            .set_statistics_enabled(EnabledStatistics::Page)
            .set_data_page_row_count_limit(100)
            .build()
    }

    #[test]
    fn the_file_is_the_one_arrow_writer_writes() {
        let batch = batch();
        let mut sequential = Vec::new();
        let mut writer =
            ArrowWriter::try_new(&mut sequential, batch.schema(), Some(props())).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();

        let mut parallel = Vec::new();
        let writer = ArrowWriter::try_new(&mut parallel, batch.schema(), Some(props())).unwrap();
        let (mut file, factory) = writer.into_serialized_writer().unwrap();
        let chunks = encode(&batch, factory.create_column_writers(0).unwrap()).unwrap();
        assert_eq!(
            chunks.len(),
            6,
            "ts, price, name, pair.a, pair.b, list.item"
        );
        let mut row_group = file.next_row_group().unwrap();
        for chunk in chunks {
            chunk.append_to_row_group(&mut row_group).unwrap();
        }
        row_group.close().unwrap();
        file.close().unwrap();

        assert_eq!(parallel, sequential);
    }
}
