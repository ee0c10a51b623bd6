//! Loads a Parquet file written by another tool (pyarrow, polars, DuckDB,
//! Spark...) into an ordo dataset.
//!
//! `cargo run --example import_parquet -- FILE DATASET ORDERED_COLUMN`
//! reads FILE with the parquet crate, writes it in one commit (sorting it
//! first if needed), and prints the dataset's row groups.

use std::fs::File;

use ordo::arrow::array::RecordBatchReader;
use ordo::arrow::compute::{SortColumn, concat_batches, lexsort_to_indices, take_record_batch};
use ordo::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use ordo::{OrderedParquetDataset, WriteOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, file, dataset, column] = &args[..] else {
        return Err("usage: import_parquet FILE DATASET ORDERED_COLUMN".into());
    };
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(file)?)?.build()?;
    let schema = reader.schema();
    let batches = reader.collect::<Result<Vec<_>, _>>()?;
    let batch = concat_batches(&schema, &batches)?;
    // ordo requires sorted input (it never sorts silently): sort here.
    let idx = batch.schema().index_of(column)?;
    let order = lexsort_to_indices(
        &[SortColumn {
            values: batch.column(idx).clone(),
            options: None,
        }],
        None,
    )?;
    let sorted = take_record_batch(&batch, &order)?;
    let ds = OrderedParquetDataset::open(dataset)?;
    let report = ds.write(&sorted, &WriteOptions::new(column.as_str()))?;
    println!(
        "imported {} rows from {file} into {dataset}: version {}, {} row group(s)",
        sorted.num_rows(),
        report.version,
        ds.num_row_groups()
    );
    Ok(())
}
