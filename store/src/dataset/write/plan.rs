//! Planning a write: pure decisions on row-group statistics and shapes,
//! kept apart from all I/O so they can be unit-tested.
//!
//! A write is planned in two steps. [`overlap`] picks the existing row
//! groups whose range meets the new rows (they are read, merged with the
//! new rows and cut again). [`coalesce`] then looks at the resulting
//! sequence of row-group shapes and picks a run of off-target (too small)
//! groups next to the written region to merge, following the coalescing
//! policy; it is applied until it picks nothing.

use std::ops::Range;

use crate::options::Coalesce;
use crate::value::OrderedValue;
use crate::value::stored::cmp_values;

/// The existing row groups whose `[min, max]` (given by `bounds`) meets
/// `[new_min, new_max]` (inclusive: equal values must share a row group),
/// as a range of indices. When it is empty, its start is where the new
/// rows go. Binary searches: O(log n) whatever the number of groups.
pub(crate) fn overlap<T>(
    groups: &[T],
    bounds: impl Fn(&T) -> (&OrderedValue, &OrderedValue),
    new_min: &OrderedValue,
    new_max: &OrderedValue,
) -> Range<usize> {
    let lo = groups.partition_point(|g| cmp_values(bounds(g).1, new_min).is_lt());
    let hi = groups.partition_point(|g| cmp_values(bounds(g).0, new_max).is_le());
    lo..hi.max(lo)
}

/// What coalescing needs to know about one row group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    pub rows: u64,
    /// Period index of the first and last row (0 for row-count targets).
    pub first_bucket: i64,
    pub last_bucket: i64,
}

/// How row groups are sized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sizing {
    /// A row count: groups below 80% of it are off target.
    Rows(u64),
    /// One group per period: groups sharing a period with a neighbour are
    /// off target.
    Period,
}

/// How many off-target groups of one size tier the automatic policy lets
/// pile up before merging them; see [`coalesce`].
pub(crate) const AUTO_FANOUT: usize = 8;

fn off_target(shapes: &[Shape], i: usize, sizing: Sizing) -> bool {
    match sizing {
        Sizing::Rows(t) => shapes[i].rows * 5 < t * 4,
        Sizing::Period => {
            (i > 0 && shapes[i - 1].last_bucket == shapes[i].first_bucket)
                || (i + 1 < shapes.len() && shapes[i].last_bucket == shapes[i + 1].first_bucket)
        }
    }
}

/// Whether groups `i` and `i + 1` may be merged: both off target, and for
/// period targets in the same period.
pub(crate) fn joinable(shapes: &[Shape], i: usize, sizing: Sizing) -> bool {
    off_target(shapes, i, sizing)
        && off_target(shapes, i + 1, sizing)
        && (sizing != Sizing::Period || shapes[i].last_bucket == shapes[i + 1].first_bucket)
}

/// The size tier of a group: groups of one tier differ in size by less
/// than the fanout.
fn tier(rows: u64) -> u32 {
    let mut t = 0;
    let mut r = rows.max(1);
    while r >= AUTO_FANOUT as u64 {
        r /= AUTO_FANOUT as u64;
        t += 1;
    }
    t
}

/// The groups among `n` that [`coalesce`] needs to see for `touched` (all
/// of them when `touched` is empty): the runs it considers contain or
/// border `touched`, so they reach no further than the groups joinable
/// (`joinable(i)`: groups `i` and `i + 1`) on either side of it. The group
/// just outside shares no period with the window's edge (else they would
/// be joinable), so the off-target checks inside need nothing outside.
/// Coalescing a window gives what coalescing all groups gives (see the
/// test), in time independent of the number of groups.
pub(crate) fn coalesce_window(
    n: usize,
    touched: &Range<usize>,
    joinable: impl Fn(usize) -> bool,
) -> Range<usize> {
    if touched.is_empty() {
        return 0..n;
    }
    let mut start = touched.start.saturating_sub(1);
    while start > 0 && joinable(start - 1) {
        start -= 1;
    }
    let mut end = (touched.end + 1).min(n);
    while end < n && joinable(end - 1) {
        end += 1;
    }
    start..end
}

/// A run of adjacent off-target groups to merge, or `None`.
///
/// Runs considered: those that contain or border a group of `touched` (the
/// groups just written); every run when `touched` is empty (a write
/// without rows). Policies:
/// - `Never`: nothing;
/// - `MaxOffTarget(m)`: a run of more than `m` groups, or (row targets)
///   one that reaches the target, is merged whole (oups' rule);
/// - `Auto`: a run that reaches the target (row targets), or a period
///   followed by a later group (period targets), is merged whole; otherwise
///   `AUTO_FANOUT` consecutive groups of one size tier are merged. Each
///   row then takes part in about `log_F(target / batch)` merges, and at
///   most `F - 1` groups of each tier remain: size-tiered, never the whole
///   tail on every append.
///
/// `shapes` may be a window of the groups ([`coalesce_window`]);
/// `more_after` says that groups follow it.
pub(crate) fn coalesce(
    shapes: &[Shape],
    touched: Range<usize>,
    more_after: bool,
    sizing: Sizing,
    policy: &Coalesce,
) -> Option<Range<usize>> {
    if *policy == Coalesce::Never || shapes.len() < 2 {
        return None;
    }
    let mut runs = Vec::new();
    let mut i = 0;
    while i < shapes.len() {
        let start = i;
        while i + 1 < shapes.len() && joinable(shapes, i, sizing) {
            i += 1;
        }
        if i > start {
            runs.push(start..i + 1);
        }
        i += 1;
    }
    let near =
        |r: &Range<usize>| touched.is_empty() || (r.start <= touched.end && touched.start <= r.end);
    for run in runs.into_iter().rev().filter(near) {
        let rows: u64 = shapes[run.clone()].iter().map(|s| s.rows).sum();
        let reaches_target = matches!(sizing, Sizing::Rows(t) if rows >= t);
        match policy {
            Coalesce::Never => return None,
            Coalesce::MaxOffTarget(m) => {
                if run.len() > *m || reaches_target {
                    return Some(run);
                }
            }
            Coalesce::Auto => {
                // A period followed by a later one is complete (appends go
                // to the latest period): merge it into one group.
                let closed_period =
                    sizing == Sizing::Period && (run.end < shapes.len() || more_after);
                if reaches_target || closed_period {
                    return Some(run);
                }
                let f = AUTO_FANOUT;
                let window = (run.start..=run.end.saturating_sub(f)).rev().find(|&w| {
                    w + f <= run.end
                        && shapes[w..w + f]
                            .iter()
                            .all(|s| tier(s.rows) == tier(shapes[w].rows))
                });
                if let Some(w) = window {
                    return Some(w..w + f);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shapes(rows: &[u64]) -> Vec<Shape> {
        rows.iter()
            .map(|&rows| Shape {
                rows,
                first_bucket: 0,
                last_bucket: 0,
            })
            .collect()
    }

    fn pair(g: &(OrderedValue, OrderedValue)) -> (&OrderedValue, &OrderedValue) {
        (&g.0, &g.1)
    }

    #[test]
    fn overlap_is_inclusive_and_contiguous() {
        let i = OrderedValue::Int;
        let g = vec![(i(0), i(9)), (i(10), i(19)), (i(30), i(39))];
        assert_eq!(overlap(&g, pair, &i(40), &i(50)), 3..3); // after the last
        assert_eq!(overlap(&g, pair, &i(-5), &i(-1)), 0..0); // before the first
        assert_eq!(overlap(&g, pair, &i(20), &i(29)), 2..2); // in a gap
        assert_eq!(overlap(&g, pair, &i(39), &i(45)), 2..3); // equal to a max
        assert_eq!(overlap(&g, pair, &i(-1), &i(0)), 0..1); // equal to a min
        assert_eq!(overlap(&g, pair, &i(5), &i(31)), 0..3); // spanning
        assert_eq!(overlap(&g, pair, &i(12), &i(13)), 1..2); // inside one
        assert_eq!(overlap(&[], pair, &i(1), &i(2)), 0..0);
    }

    #[test]
    fn never_and_max_off_target() {
        let s = shapes(&[100, 10, 10, 10]);
        let t = Sizing::Rows(100);
        assert_eq!(coalesce(&s, 3..4, false, t, &Coalesce::Never), None);
        assert_eq!(
            coalesce(&s, 3..4, false, t, &Coalesce::MaxOffTarget(3)),
            None
        );
        assert_eq!(
            coalesce(&s, 3..4, false, t, &Coalesce::MaxOffTarget(2)),
            Some(1..4)
        );
        assert_eq!(
            coalesce(&s, 3..4, false, t, &Coalesce::MaxOffTarget(1)),
            Some(1..4)
        );
        // Reaching the target merges the run whatever m is.
        let s = shapes(&[100, 50, 50]);
        assert_eq!(
            coalesce(&s, 2..3, false, t, &Coalesce::MaxOffTarget(5)),
            Some(1..3)
        );
        // A run far from the written groups is left alone...
        let s = shapes(&[10, 10, 10, 100, 10]);
        assert_eq!(
            coalesce(&s, 4..5, false, t, &Coalesce::MaxOffTarget(1)),
            None
        );
        // ...unless the write had no rows.
        assert_eq!(
            coalesce(&s, 0..0, false, t, &Coalesce::MaxOffTarget(1)),
            Some(0..3)
        );
    }

    #[test]
    fn auto_merges_fanout_groups_of_one_tier() {
        let t = Sizing::Rows(1_000_000);
        let mut rows = vec![10; AUTO_FANOUT - 1];
        let s = shapes(&rows);
        assert_eq!(coalesce(&s, 6..7, false, t, &Coalesce::Auto), None);
        rows.push(12);
        let s = shapes(&rows);
        assert_eq!(
            coalesce(&s, 7..8, false, t, &Coalesce::Auto),
            Some(0..AUTO_FANOUT)
        );
        // Different tiers are not merged.
        let s = shapes(&[1, 10, 100, 1000, 10_000, 100_000, 1, 10]);
        assert_eq!(coalesce(&s, 7..8, false, t, &Coalesce::Auto), None);
    }

    #[test]
    fn period_targets_join_only_within_a_period() {
        let p = |rows, a, b| Shape {
            rows,
            first_bucket: a,
            last_bucket: b,
        };
        let s = vec![p(5, 0, 0), p(5, 1, 1), p(5, 1, 1), p(5, 2, 2)];
        assert_eq!(
            coalesce(&s, 2..3, false, Sizing::Period, &Coalesce::MaxOffTarget(1)),
            Some(1..3)
        );
        assert_eq!(
            coalesce(&s, 3..4, false, Sizing::Period, &Coalesce::MaxOffTarget(1)),
            Some(1..3)
        );
        // Auto: a closed period is merged, the open (last) one waits.
        assert_eq!(
            coalesce(&s, 3..4, false, Sizing::Period, &Coalesce::Auto),
            Some(1..3)
        );
        let open = vec![p(5, 0, 0), p(5, 1, 1), p(5, 1, 1)];
        assert_eq!(
            coalesce(&open, 2..3, false, Sizing::Period, &Coalesce::Auto),
            None
        );
        let alone = vec![p(5, 0, 0), p(5, 1, 1)];
        assert_eq!(
            coalesce(
                &alone,
                1..2,
                false,
                Sizing::Period,
                &Coalesce::MaxOffTarget(0)
            ),
            None
        );
    }

    #[test]
    #[allow(clippy::same_item_push)] // the loop also merges
    fn auto_policy_bounds_write_amplification_and_group_count() {
        // Simulate 1,000 appends of 1,000 rows with a 100,000-row target.
        let target = 100_000u64;
        let mut groups: Vec<u64> = Vec::new();
        let (mut written, mut appended) = (0u64, 0u64);
        for _ in 0..1000 {
            groups.push(1000);
            written += 1000;
            appended += 1000;
            let mut touched = groups.len() - 1..groups.len();
            while let Some(r) = coalesce(
                &shapes(&groups),
                touched.clone(),
                false,
                Sizing::Rows(target),
                &Coalesce::Auto,
            ) {
                let rows: u64 = groups[r.clone()].iter().sum();
                written += rows;
                let cut = cut_sizes(rows, target);
                let n = cut.len();
                groups.splice(r.clone(), cut);
                touched = r.start..r.start + n;
            }
        }
        let amplification = written as f64 / appended as f64;
        assert!(amplification <= 4.0, "{amplification}");
        assert!(groups.len() <= 2 * 10, "{} groups", groups.len());
    }

    /// Row counts of a cut of `rows` by a row target (as `cut_rows` does
    /// on data without ties).
    fn cut_sizes(mut rows: u64, target: u64) -> Vec<u64> {
        let mut out = Vec::new();
        while rows > target {
            out.push(target);
            rows -= target;
        }
        match out.last_mut() {
            Some(last) if rows * 5 < target => *last += rows,
            _ if rows > 0 => out.push(rows),
            _ => {}
        }
        out
    }

    proptest::proptest! {
        /// Coalescing the window around the touched groups picks what
        /// coalescing every group picks.
        #[test]
        fn the_window_gives_what_all_groups_give(
            groups in proptest::collection::vec((1u64..12, 0i64..4, 0i64..2), 0..40),
            at in 0usize..40,
            len in 0usize..3,
            period in proptest::bool::ANY,
            policy in 0u8..4,
        ) {
            // Buckets that never decrease, as in sorted data.
            let mut bucket = 0;
            let shapes: Vec<Shape> = groups
                .iter()
                .map(|&(rows, step, span)| {
                    bucket += step;
                    let first = bucket;
                    bucket += span;
                    Shape { rows, first_bucket: first, last_bucket: bucket }
                })
                .collect();
            let n = shapes.len();
            let start = at.min(n);
            let touched = start..(start + len).min(n);
            let sizing = if period { Sizing::Period } else { Sizing::Rows(10) };
            let policy = match policy {
                0 => Coalesce::Never,
                1 => Coalesce::Auto,
                p => Coalesce::MaxOffTarget(p as usize - 1),
            };
            let all = coalesce(&shapes, touched.clone(), false, sizing, &policy);
            let w = coalesce_window(n, &touched, |i| joinable(&shapes, i, sizing));
            let local = if touched.is_empty() {
                touched.clone()
            } else {
                touched.start - w.start..touched.end - w.start
            };
            let windowed = coalesce(&shapes[w.clone()], local, w.end < n, sizing, &policy)
                .map(|r| r.start + w.start..r.end + w.start);
            proptest::prop_assert_eq!(windowed, all);
        }
    }
}
