//! Row-level work of a write: merging sorted rows and cutting them into
//! row groups by a row-count or period target.

use std::cmp::Ordering;
use std::ops::Range;

use arrow::array::{Array, ArrayRef, RecordBatch, RecordBatchOptions};
use arrow::array::{DynComparator, make_comparator};
use arrow::compute::{SortOptions, concat, interleave};
use rayon::prelude::*;

use crate::dataset::write::dedup;
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
                    end + partition_point(n - end, |k| cmp(last, end + k).is_eq())
                }
                Self::Period(_) => {
                    let bucket = self.bucket(&value_at(ordered, start));
                    let rest = n - start - 1;
                    let same = |k| self.bucket(&value_at(ordered, start + 1 + k)) == bucket;
                    start + 1 + partition_point(rest, same)
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
/// (existing data before new data), each side keeping its order. With a
/// duplicate `key` (column indices, as [`dedup::key_columns`] gives), the
/// merged rows are deduplicated as [`dedup::keep_last`] would.
///
/// Only the rows of `first` within the range of `second` are interleaved
/// (an overwrite in the middle of a large group touches a few of them);
/// the rows before and after are copied as they are. Which rows are kept
/// is decided on the merged key columns alone, and every column is then
/// copied once, the columns in parallel.
pub(crate) fn merge_sorted(
    first: &RecordBatch,
    second: &RecordBatch,
    idx: usize,
    key: Option<&[usize]>,
) -> Result<RecordBatch> {
    if first.num_rows() == 0 || second.num_rows() == 0 {
        let only = if first.num_rows() == 0 { second } else { first };
        return match key {
            Some(key) => dedup::keep_last(only, idx, key),
            None => Ok(only.clone()),
        };
    }
    let order = Order::new(first, second, idx)?;
    let keep = match key {
        None => None,
        Some(key) => {
            let merged = |c| order.column(first, second, c, None);
            let ordered = merged(idx)?;
            let keys = if key == [idx] {
                Vec::new()
            } else {
                key.iter().map(|&c| merged(c)).collect::<Result<_>>()?
            };
            dedup::kept_rows(&ordered, &keys, key == [idx])?
        }
    };
    let keep = keep.as_deref();
    let columns = (0..first.num_columns())
        .into_par_iter()
        .map(|c| order.column(first, second, c, keep))
        .collect::<Result<Vec<ArrayRef>>>()?;
    let rows = keep.map_or(order.len(first), |k| k.iter().filter(|&&k| k).count());
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    Ok(RecordBatch::try_new_with_options(
        first.schema(),
        columns,
        &options,
    )?)
}

/// The merged order of two sorted batches (`first` and `second`, neither
/// empty): the rows of `first` before `window`, then `middle` (the rows of
/// `first`'s window and all of `second`, interleaved, as `(side, row)`),
/// then the rows of `first` after `window`.
struct Order {
    window: Range<usize>,
    middle: Vec<(usize, usize)>,
}

impl Order {
    fn new(first: &RecordBatch, second: &RecordBatch, idx: usize) -> Result<Self> {
        let m = second.num_rows();
        // The rows of `first` not after `second`'s first row precede all
        // of `second`; those after its last row follow all of it.
        let (window, cmp) = window(first, second, idx, true)?;
        let mut middle = Vec::with_capacity(window.len() + m);
        let (mut i, mut j) = (window.start, 0);
        while i < window.end && j < m {
            if cmp(i, j).is_le() {
                middle.push((0, i));
                i += 1;
            } else {
                middle.push((1, j));
                j += 1;
            }
        }
        middle.extend((i..window.end).map(|i| (0, i)));
        middle.extend((j..m).map(|j| (1, j)));
        Ok(Self { window, middle })
    }

    /// The number of merged rows.
    fn len(&self, first: &RecordBatch) -> usize {
        first.num_rows() - self.window.len() + self.middle.len()
    }

    /// Column `c` of the merged rows; with `keep` (one flag per merged
    /// row), of the kept ones only.
    fn column(
        &self,
        first: &RecordBatch,
        second: &RecordBatch,
        c: usize,
        keep: Option<&[bool]>,
    ) -> Result<ArrayRef> {
        let (a, b) = (first.column(c), second.column(c));
        let (lo, hi, mid) = (self.window.start, self.window.end, self.middle.len());
        let kept = |from: usize, len: usize| keep.map(|k| &k[from..from + len]);
        let middle = match kept(lo, mid) {
            None => interleave(&[a.as_ref(), b.as_ref()], &self.middle)?,
            Some(k) => {
                let rows: Vec<(usize, usize)> = (self.middle.iter().zip(k))
                    .filter_map(|(row, keep)| keep.then_some(*row))
                    .collect();
                interleave(&[a.as_ref(), b.as_ref()], &rows)?
            }
        };
        let after = a.len() - hi;
        let mut pieces = kept_slices(a, 0..lo, kept(0, lo));
        pieces.push(middle);
        pieces.extend(kept_slices(a, hi..a.len(), kept(lo + mid, after)));
        let pieces: Vec<&dyn Array> = pieces.iter().map(|p| p.as_ref()).collect();
        Ok(concat(&pieces)?)
    }
}

/// The stretches of rows `range` of `array` that `keep` (a flag per row
/// of `range`) keeps, all of them without `keep`, as slices.
fn kept_slices(array: &ArrayRef, range: Range<usize>, keep: Option<&[bool]>) -> Vec<ArrayRef> {
    let from = range.start;
    let Some(keep) = keep else {
        return vec![array.slice(from, range.len())];
    };
    let mut slices = Vec::new();
    let mut start = 0;
    while start < keep.len() {
        let run = keep[start..]
            .iter()
            .take_while(|&&k| k == keep[start])
            .count();
        if keep[start] {
            slices.push(array.slice(from + start, run));
        }
        start += run;
    }
    slices
}

/// Whether `merged` (the rows of `existing` merged with `new` and
/// deduplicated) holds the same rows as `existing`: the write then
/// changes nothing. The rows of `existing` within the range of `new` are
/// compared first, as they are the ones a write changes: most writes that
/// change something are told apart there, without comparing every row.
pub(crate) fn same_rows(
    existing: &RecordBatch,
    merged: &RecordBatch,
    new: &RecordBatch,
    idx: usize,
) -> Result<bool> {
    let (n, m) = (existing.num_rows(), new.num_rows());
    if merged.num_rows() != n {
        return Ok(false);
    }
    if n > 0 && m > 0 {
        let (w, _) = window(existing, new, idx, false)?;
        if existing.slice(w.start, w.len()) != merged.slice(w.start, w.len()) {
            return Ok(false);
        }
    }
    Ok(existing == merged)
}

/// The rows of `first` (not empty) within the range of the ordered
/// values of `second` (not empty): rows before the window are below
/// `second`'s first value (or equal to it, with `ties_before`), rows
/// after it above `second`'s last. Also returns the comparator of a row
/// of `first` with a row of `second` (floats by IEEE total order, as
/// everywhere else).
fn window(
    first: &RecordBatch,
    second: &RecordBatch,
    idx: usize,
    ties_before: bool,
) -> Result<(Range<usize>, DynComparator)> {
    let (n, m) = (first.num_rows(), second.num_rows());
    let cmp = make_comparator(
        first.column(idx).as_ref(),
        second.column(idx).as_ref(),
        SortOptions::default(),
    )?;
    let before = |i| match cmp(i, 0) {
        Ordering::Less => true,
        Ordering::Equal => ties_before,
        Ordering::Greater => false,
    };
    let lo = partition_point(n, before);
    let hi = lo + partition_point(n - lo, |i| cmp(lo + i, m - 1).is_le());
    Ok((lo..hi, cmp))
}

/// The number of leading indices of `0..n` for which `pred` holds (`pred`
/// holds for a prefix of them).
fn partition_point(n: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, AsArray, Int64Array, StringArray};
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

    /// A stable merge, existing rows first on ties, one row at a time.
    fn model_merge(a: &[(i64, i64)], b: &[(i64, i64)]) -> Vec<(i64, i64)> {
        let mut out: Vec<(i64, i64)> = a.to_vec();
        for &row in b {
            let at = out.partition_point(|r| r.0 <= row.0);
            out.insert(at, row);
        }
        out
    }

    /// Rows of (`ts`, `tag`), two Int64 columns.
    fn int_pairs(ts: Vec<i64>, tag: Vec<i64>) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("ts", DataType::Int64, false),
            Field::new("tag", DataType::Int64, false),
        ]));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(ts)),
            Arc::new(Int64Array::from(tag)),
        ];
        RecordBatch::try_new(schema, columns).unwrap()
    }

    fn pairs(batch: &RecordBatch) -> Vec<(i64, i64)> {
        let ts = batch.column(0).as_primitive::<Int64Type>().values();
        let tag = batch.column(1).as_primitive::<Int64Type>().values();
        ts.iter().copied().zip(tag.iter().copied()).collect()
    }

    proptest::proptest! {
        /// The windowed merge equals a row-by-row stable merge, whether
        /// the new rows fall before, inside (with ties on the window's
        /// edges) or after the existing ones.
        #[test]
        fn merge_equals_a_stable_merge(
            mut a in proptest::collection::vec(0i64..40, 0..60),
            mut b in proptest::collection::vec(0i64..40, 0..20),
        ) {
            a.sort();
            b.sort();
            // Tags: the row's side and position, so order is checked.
            let batch = |ts: &[i64], side: i64| {
                int_pairs(ts.to_vec(), (0..ts.len() as i64).map(|i| side * 1000 + i).collect())
            };
            let (first, second) = (batch(&a, 0), batch(&b, 1));
            let merged = merge_sorted(&first, &second, 0, None).unwrap();
            proptest::prop_assert_eq!(
                pairs(&merged),
                model_merge(&pairs(&first), &pairs(&second))
            );
        }
    }

    proptest::proptest! {
        /// Merging with a duplicate key equals merging, then keeping the
        /// last of each group of duplicates: on the ordered column alone
        /// and with a second column, with duplicates within either side
        /// (inside and outside the window) and across them.
        #[test]
        fn merge_with_a_key_equals_merge_then_dedup(
            mut a in proptest::collection::vec((0i64..30, 0i64..3), 0..60),
            mut b in proptest::collection::vec((0i64..30, 0i64..3), 0..20),
        ) {
            a.sort_by_key(|r| r.0);
            b.sort_by_key(|r| r.0);
            let schema = Arc::new(Schema::new(vec![
                Field::new("k", DataType::Int64, false),
                Field::new("ts", DataType::Int64, false),
                Field::new("tag", DataType::Utf8, false),
            ]));
            let batch = |rows: &[(i64, i64)], side: &str| {
                let columns: Vec<ArrayRef> = vec![
                    Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.1))),
                    Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0))),
                    Arc::new(StringArray::from_iter_values(
                        (0..rows.len()).map(|i| format!("{side}{i}")),
                    )),
                ];
                RecordBatch::try_new(schema.clone(), columns).unwrap()
            };
            let (first, second) = (batch(&a, "a"), batch(&b, "b"));
            let plain = merge_sorted(&first, &second, 1, None).unwrap();
            for key in [vec![1], vec![1, 0], vec![0, 1, 2]] {
                let merged = merge_sorted(&first, &second, 1, Some(&key)).unwrap();
                let model = dedup::keep_last(&plain, 1, &key).unwrap();
                proptest::prop_assert_eq!(merged, model);
            }
        }
    }

    #[test]
    fn same_rows_compares_the_window_then_everything() {
        let batch = int_pairs;
        let existing = batch(vec![1, 2, 3, 4, 5], vec![10, 20, 30, 40, 50]);
        let new = batch(vec![3, 4], vec![30, 40]);
        assert!(same_rows(&existing, &existing.clone(), &new, 0).unwrap());
        // A value changed inside the new rows' range.
        let changed = batch(vec![1, 2, 3, 4, 5], vec![10, 20, 30, 41, 50]);
        assert!(!same_rows(&existing, &changed, &new, 0).unwrap());
        // Equal inside the range, different outside it.
        let outside = batch(vec![1, 2, 3, 4, 5], vec![11, 20, 30, 40, 50]);
        assert!(!same_rows(&existing, &outside, &new, 0).unwrap());
        // Another row count; new rows beyond every existing one.
        let longer = batch(vec![1, 2, 3, 4, 5, 6], vec![10, 20, 30, 40, 50, 60]);
        assert!(!same_rows(&existing, &longer, &new, 0).unwrap());
        let after = batch(vec![9], vec![90]);
        assert!(same_rows(&existing, &existing.clone(), &after, 0).unwrap());
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
            None,
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
