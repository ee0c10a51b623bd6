//! Deduplication of sorted rows: among rows equal on the duplicate key
//! (which always includes the ordered column), the last one is kept.

use std::collections::HashSet;

use arrow::array::{ArrayRef, BooleanArray, RecordBatch};
use arrow::compute::{filter_record_batch, partition};
use arrow::row::{RowConverter, SortField};

use crate::error::{Error, Result};
use crate::options::DuplicatesOn;

/// The column indices forming the duplicate key, or `None` for no dedup.
pub(crate) fn key_columns(
    duplicates_on: &DuplicatesOn,
    batch: &RecordBatch,
    ordered_idx: usize,
) -> Result<Option<Vec<usize>>> {
    let schema = batch.schema();
    Ok(match duplicates_on {
        DuplicatesOn::None => None,
        DuplicatesOn::All => Some((0..schema.fields().len()).collect()),
        DuplicatesOn::Columns(cols) => {
            let mut idx = vec![ordered_idx];
            for c in cols {
                let i = schema.index_of(c).map_err(|_| Error::InvalidOption {
                    option: "duplicates_on",
                    reason: format!("no column `{c}` in the data"),
                })?;
                if !idx.contains(&i) {
                    idx.push(i);
                }
            }
            Some(idx)
        }
    })
}

/// Keeps the last of each group of duplicates in `batch`, which is sorted
/// on `ordered_idx` (duplicates are therefore within runs of equal ordered
/// values). The order of kept rows is unchanged.
pub(crate) fn keep_last(
    batch: &RecordBatch,
    ordered_idx: usize,
    key: &[usize],
) -> Result<RecordBatch> {
    let n = batch.num_rows();
    if n < 2 {
        return Ok(batch.clone());
    }
    let ordered = batch.column(ordered_idx);
    let key_arrays: Vec<ArrayRef> = key.iter().map(|&i| batch.column(i).clone()).collect();
    let converter = RowConverter::new(
        key_arrays
            .iter()
            .map(|a| SortField::new(a.data_type().clone()))
            .collect(),
    )?;
    let rows = converter.convert_columns(&key_arrays)?;
    let mut keep = vec![true; n];
    let mut seen = HashSet::new();
    // Within each run of equal ordered values, walk from the end and keep
    // the first occurrence of each key seen (the last in row order).
    for run in partition(std::slice::from_ref(ordered))?.ranges() {
        if run.len() > 1 {
            seen.clear();
            for i in run.rev() {
                keep[i] = seen.insert(rows.row(i));
            }
        }
    }
    if keep.iter().all(|&k| k) {
        return Ok(batch.clone());
    }
    Ok(filter_record_batch(batch, &BooleanArray::from(keep))?)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{AsArray, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Int64Type, Schema};

    use super::*;

    #[test]
    fn last_occurrence_wins_within_equal_ordered_values() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("ts", DataType::Int64, false),
            Field::new("k", DataType::Utf8, true),
            Field::new("v", DataType::Int64, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(vec![1, 1, 1, 2, 3, 3])),
                Arc::new(StringArray::from(vec![
                    Some("a"),
                    Some("b"),
                    Some("a"),
                    Some("a"),
                    None,
                    None,
                ])),
                Arc::new(Int64Array::from(vec![10, 11, 12, 13, 14, 15])),
            ],
        )
        .unwrap();
        let cols = key_columns(&DuplicatesOn::Columns(vec!["k".into()]), &batch, 0)
            .unwrap()
            .unwrap();
        let out = keep_last(&batch, 0, &cols).unwrap();
        let v: Vec<i64> = out.column(2).as_primitive::<Int64Type>().values().to_vec();
        assert_eq!(v, vec![11, 12, 13, 15]);
        let all = key_columns(&DuplicatesOn::All, &batch, 0).unwrap().unwrap();
        assert_eq!(keep_last(&batch, 0, &all).unwrap().num_rows(), 6);
        let on_ts = key_columns(&DuplicatesOn::Columns(vec![]), &batch, 0)
            .unwrap()
            .unwrap();
        let out = keep_last(&batch, 0, &on_ts).unwrap();
        let v: Vec<i64> = out.column(2).as_primitive::<Int64Type>().values().to_vec();
        assert_eq!(v, vec![12, 13, 15]);
        assert!(key_columns(&DuplicatesOn::Columns(vec!["zz".into()]), &batch, 0).is_err());
    }
}
