//! Planning a write: pure decisions on row ranges and row-group
//! statistics, kept apart from all I/O so they can be unit-tested.

use std::ops::Range;

use arrow::array::Array;

use crate::value::{OrderedValue, cmp_values, partition_point, value_at};

/// Cuts sorted rows into chunks of `target` rows, never splitting a run of
/// equal ordered values (a chunk grows past the target instead).
pub(crate) fn cut_rows(ordered: &dyn Array, target: usize) -> Vec<Range<usize>> {
    let n = ordered.len();
    let mut chunks = Vec::with_capacity(n / target.max(1) + 1);
    let mut start = 0;
    while start < n {
        let mut end = (start + target.max(1)).min(n);
        if end < n && cmp_values(&value_at(ordered, end - 1), &value_at(ordered, end)).is_eq() {
            end = partition_point(ordered, &value_at(ordered, end - 1), true);
        }
        chunks.push(start..end);
        start = end;
    }
    chunks
}

/// Where new rows with ordered range `[min, max]` fall relative to the
/// existing row groups (whose `(min, max)` are given in order).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Placement {
    /// No existing rows, or every new row is after the last one: new row
    /// groups are appended and nothing is rewritten.
    Append,
    /// The new rows reach into the existing range.
    Overlap,
}

pub(crate) fn placement(
    existing: &[(OrderedValue, OrderedValue)],
    new_min: &OrderedValue,
) -> Placement {
    match existing.last() {
        Some((_, last_max)) if cmp_values(new_min, last_max).is_le() => Placement::Overlap,
        _ => Placement::Append,
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::Int64Array;

    use super::*;

    #[test]
    fn cuts_respect_ties() {
        let a = Int64Array::from(vec![1, 2, 3, 3, 3, 3, 4, 5]);
        assert_eq!(cut_rows(&a, 3), vec![0..6, 6..8]);
        assert_eq!(cut_rows(&a, 2), vec![0..2, 2..6, 6..8]);
        assert_eq!(cut_rows(&a, 100), vec![0..8]);
        assert_eq!(cut_rows(&a, 1), vec![0..1, 1..2, 2..6, 6..7, 7..8]);
        let same = Int64Array::from(vec![7; 5]);
        assert_eq!(cut_rows(&same, 2), vec![0..5]);
        assert!(cut_rows(&Int64Array::from(Vec::<i64>::new()), 2).is_empty());
    }

    #[test]
    fn placement_needs_strictly_greater() {
        let i = OrderedValue::Int;
        let existing = vec![(i(1), i(5)), (i(7), i(9))];
        assert_eq!(placement(&existing, &i(10)), Placement::Append);
        assert_eq!(placement(&existing, &i(9)), Placement::Overlap);
        assert_eq!(placement(&existing, &i(0)), Placement::Overlap);
        assert_eq!(placement(&[], &i(0)), Placement::Append);
    }
}
