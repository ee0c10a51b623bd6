//! Row-level work of a write: merging sorted rows and cutting them into
//! row groups by a row-count or period target.

use std::ops::Range;

use arrow::array::make_comparator;
use arrow::array::{Array, RecordBatch};
use arrow::compute::{SortOptions, interleave_record_batch};
use arrow::row::{RowConverter, SortField};

use crate::error::Result;
use crate::options::period::Bucketer;
use crate::value::OrderedValue;
use crate::value::stored::value_at;

/// How merged rows are cut into row groups.
#[derive(Debug, Clone)]
pub(crate) enum Cutter {
    /// Chunks of this many rows; a remainder under 20% of it joins the
    /// previous chunk rather than forming a tiny group.
    Rows(usize),
    /// One chunk per period.
    Period(Bucketer),
}

impl Cutter {
    /// The period index of a stored value (0 for row targets).
    pub(crate) fn bucket(&self, v: &OrderedValue) -> i64 {
        match (self, v) {
            (Self::Period(b), OrderedValue::Int(i)) => b.bucket(*i),
            _ => 0,
        }
    }

    /// Cuts sorted rows into chunks; a run of equal ordered values is never
    /// split (a chunk grows past the target instead).
    pub(crate) fn cut(&self, ordered: &dyn Array) -> Vec<Range<usize>> {
        let n = ordered.len();
        // Rows compared in place (floats by IEEE total order, as the
        // statistics): no value is materialized per probe.
        let cmp = make_comparator(ordered, ordered, SortOptions::default())
            .expect("ordered columns have an orderable type, checked on write");
        let mut chunks: Vec<Range<usize>> = Vec::new();
        let mut start = 0;
        while start < n {
            let end = match self {
                Self::Rows(target) => {
                    let end = (start + (*target).max(1)).min(n);
                    // A run of values equal to the last row of the chunk
                    // stays in it: the chunk ends at the run's end.
                    let last = end - 1;
                    let (mut lo, mut hi) = (end, n);
                    while lo < hi {
                        let mid = lo + (hi - lo) / 2;
                        if cmp(last, mid).is_eq() {
                            lo = mid + 1;
                        } else {
                            hi = mid;
                        }
                    }
                    lo
                }
                Self::Period(_) => {
                    let bucket = self.bucket(&value_at(ordered, start));
                    let (mut lo, mut hi) = (start + 1, n);
                    while lo < hi {
                        let mid = lo + (hi - lo) / 2;
                        if self.bucket(&value_at(ordered, mid)) == bucket {
                            lo = mid + 1;
                        } else {
                            hi = mid;
                        }
                    }
                    lo
                }
            };
            chunks.push(start..end);
            start = end;
        }
        if let Self::Rows(target) = self
            && chunks.len() > 1
            && chunks[chunks.len() - 1].len() * 5 < *target
        {
            let last = chunks.pop().expect("two chunks");
            chunks.last_mut().expect("one chunk").end = last.end;
        }
        chunks
    }
}

/// Merges two batches sorted on column `idx` into one sorted batch; on
/// equal ordered values the rows of `first` come before those of `second`
/// (existing data before new data), each side keeping its order.
pub(crate) fn merge_sorted(
    first: &RecordBatch,
    second: &RecordBatch,
    idx: usize,
) -> Result<RecordBatch> {
    if first.num_rows() == 0 {
        return Ok(second.clone());
    }
    if second.num_rows() == 0 {
        return Ok(first.clone());
    }
    let converter = RowConverter::new(vec![SortField::new(first.column(idx).data_type().clone())])?;
    let a = converter.convert_columns(&[first.column(idx).clone()])?;
    let b = converter.convert_columns(&[second.column(idx).clone()])?;
    let (n, m) = (first.num_rows(), second.num_rows());
    // Appended in order (the common case): one copy, no interleaving.
    if a.row(n - 1) <= b.row(0) {
        return Ok(arrow::compute::concat_batches(
            &first.schema(),
            [first, second],
        )?);
    }
    let mut indices = Vec::with_capacity(n + m);
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if a.row(i) <= b.row(j) {
            indices.push((0, i));
            i += 1;
        } else {
            indices.push((1, j));
            j += 1;
        }
    }
    indices.extend((i..n).map(|i| (0, i)));
    indices.extend((j..m).map(|j| (1, j)));
    Ok(interleave_record_batch(&[first, second], &indices)?)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{AsArray, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Int64Type, Schema, TimeUnit};

    use super::*;

    #[test]
    fn row_cuts_respect_ties_and_fold_small_remainders() {
        let a = Int64Array::from(vec![1, 2, 3, 3, 3, 3, 4, 5]);
        assert_eq!(Cutter::Rows(3).cut(&a), vec![0..6, 6..8]);
        assert_eq!(Cutter::Rows(2).cut(&a), vec![0..2, 2..6, 6..8]);
        assert_eq!(Cutter::Rows(100).cut(&a), vec![0..8]);
        let same = Int64Array::from(vec![7; 5]);
        assert_eq!(Cutter::Rows(2).cut(&same), vec![0..5]);
        assert!(
            Cutter::Rows(2)
                .cut(&Int64Array::from(Vec::<i64>::new()))
                .is_empty()
        );
        // 21 rows by 10: 10, 11 (a remainder of 1 < 20% joins the previous).
        let a = Int64Array::from_iter_values(0..21);
        assert_eq!(Cutter::Rows(10).cut(&a), vec![0..10, 10..21]);
        let a = Int64Array::from_iter_values(0..22);
        assert_eq!(Cutter::Rows(10).cut(&a), vec![0..10, 10..20, 20..22]);
    }

    #[test]
    fn period_cuts_at_period_changes() {
        let dt = DataType::Timestamp(TimeUnit::Second, None);
        let b = Bucketer::new("1h".parse().unwrap(), &dt, "ts").unwrap();
        let a = Int64Array::from(vec![0, 10, 3599, 3600, 7300, 7300, 100_000]);
        assert_eq!(Cutter::Period(b).cut(&a), vec![0..3, 3..4, 4..6, 6..7]);
    }

    #[test]
    fn merge_is_stable_existing_first() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("ts", DataType::Int64, false),
            Field::new("tag", DataType::Utf8, false),
        ]));
        let batch = |ts: Vec<i64>, tag: &str| {
            let tags = vec![tag; ts.len()];
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(Int64Array::from(ts)),
                    Arc::new(StringArray::from(tags)),
                ],
            )
            .unwrap()
        };
        let m = merge_sorted(
            &batch(vec![1, 2, 2, 5], "old"),
            &batch(vec![0, 2, 6], "new"),
            0,
        )
        .unwrap();
        let ts: Vec<i64> = m.column(0).as_primitive::<Int64Type>().values().to_vec();
        assert_eq!(ts, vec![0, 1, 2, 2, 2, 5, 6]);
        let tags: Vec<&str> = m
            .column(1)
            .as_string::<i32>()
            .iter()
            .map(Option::unwrap)
            .collect();
        assert_eq!(tags, vec!["new", "old", "old", "old", "new", "old", "new"]);
    }
}
