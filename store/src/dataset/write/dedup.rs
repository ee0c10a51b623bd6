//! Deduplication of sorted rows: among rows equal on the duplicate key
//! (which always includes the ordered column), the last one is kept.

use std::collections::HashSet;
use std::ops::Range;

use arrow::array::{ArrayRef, BooleanArray, RecordBatch};
use arrow::compute::filter_record_batch;
use arrow::compute::kernels::cmp::not_distinct;
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
    let keys: Vec<ArrayRef> = key.iter().map(|&i| batch.column(i).clone()).collect();
    match kept_rows(batch.column(ordered_idx), &keys, key == [ordered_idx])? {
        None => Ok(batch.clone()),
        Some(keep) => Ok(filter_record_batch(batch, &BooleanArray::from(keep))?),
    }
}

/// Which rows [`keep_last`] keeps, given the ordered column of sorted
/// rows and the key's columns (`ordered_only`: the key is the ordered
/// column alone, and `keys` is not looked at); `None` when it keeps every
/// row.
pub(crate) fn kept_rows(
    ordered: &ArrayRef,
    keys: &[ArrayRef],
    ordered_only: bool,
) -> Result<Option<Vec<bool>>> {
    let n = ordered.len();
    if n < 2 {
        return Ok(None);
    }
    // The rows equal to the next one on the ordered column (floats by
    // IEEE total order, as everywhere): duplicates are among them and the
    // row after each.
    let same = not_distinct(&ordered.slice(0, n - 1), &ordered.slice(1, n - 1))?;
    let before_equal: Vec<usize> = same.values().set_indices().collect();
    if before_equal.is_empty() {
        return Ok(None);
    }
    let mut keep = vec![true; n];
    if ordered_only {
        // A run of equal values is one key: all but its last row go.
        for i in before_equal {
            keep[i] = false;
        }
        return Ok(Some(keep));
    }
    let fields = keys.iter().map(|a| SortField::new(a.data_type().clone()));
    let converter = RowConverter::new(fields.collect())?;
    let rows = converter.convert_columns(keys)?;
    let mut seen = HashSet::new();
    // Within each run of equal ordered values, walk from the end and keep
    // the first occurrence of each key seen (the last in row order).
    for run in runs(&before_equal) {
        seen.clear();
        for i in run.rev() {
            keep[i] = seen.insert(rows.row(i));
        }
    }
    Ok((!keep.iter().all(|&k| k)).then_some(keep))
}

/// The runs of equal rows, given the rows equal to the next one (in
/// increasing order): each run is a stretch of them and the row after it.
fn runs(before_equal: &[usize]) -> Vec<Range<usize>> {
    let mut runs: Vec<Range<usize>> = Vec::new();
    for &i in before_equal {
        match runs.last_mut() {
            Some(run) if run.end == i + 1 => run.end = i + 2,
            _ => runs.push(i..i + 2),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{AsArray, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Int64Type, Schema};

    use super::*;

    proptest::proptest! {
        /// Against a model: the last row of each key, in row order, on the
        /// ordered column alone (one key a run) and with a second column.
        #[test]
        fn keeps_the_last_row_of_each_key(
            mut rows in proptest::collection::vec((0i64..12, 0i64..3), 0..80),
        ) {
            rows.sort_by_key(|r| r.0);
            let schema = Arc::new(Schema::new(vec![
                Field::new("ts", DataType::Int64, false),
                Field::new("k", DataType::Int64, false),
                Field::new("row", DataType::Int64, false),
            ]));
            let batch = RecordBatch::try_new(
                schema,
                vec![
                    Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0))),
                    Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.1))),
                    Arc::new(Int64Array::from_iter_values(0..rows.len() as i64)),
                ],
            )
            .unwrap();
            for key in [vec![0], vec![0, 1]] {
                let model: Vec<i64> = (0..rows.len())
                    .filter(|&i| {
                        let same = |j: &usize| key.iter().all(|&c| {
                            let (a, b) = (rows[i], rows[*j]);
                            if c == 0 { a.0 == b.0 } else { a.1 == b.1 }
                        });
                        !(i + 1..rows.len()).any(|j| same(&j))
                    })
                    .map(|i| i as i64)
                    .collect();
                let out = keep_last(&batch, 0, &key).unwrap();
                let kept = out.column(2).as_primitive::<Int64Type>().values().to_vec();
                proptest::prop_assert_eq!(kept, model);
            }
        }
    }

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
