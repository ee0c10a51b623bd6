//! How a scan's row groups are shared out among its partitions, which
//! DataFusion runs in parallel. Decisions only, no I/O.
//!
//! Each partition reads a contiguous run of the selected row groups in
//! order, so its rows come sorted on the ordered column. The runs are
//! balanced on the rows each group probably holds in the query's range
//! (an estimate from the group's extremes, see `Bounds::share`): a full
//! scan of many groups is cut at group boundaries, but a short time range
//! touches only a few groups, often two of them in part, and whole groups
//! would leave one partition with most of the work. There a group is cut
//! between two partitions, each reading its own rows of it.
//!
//! The estimate only decides where to cut. Every row of every selected
//! group is read by exactly one partition, whatever the estimate says; the
//! query's filters then keep the rows in range.

use std::ops::Range;

/// No piece of a cut group is smaller than this many rows (one batch of
/// the scan): smaller pieces are not worth their overhead.
const MIN_PIECE_ROWS: u64 = 8192;

/// What the split knows of one selected row group.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Estimate {
    /// Its rows.
    pub rows: u64,
    /// The rows probably in the query's range (within `0..rows`).
    pub in_range: Range<u64>,
}

/// Rows of one selected row group read by one partition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Piece {
    /// The group's index among the selected ones.
    pub group: usize,
    /// The rows of the group read, `None`: all of them.
    pub rows: Option<Range<u64>>,
}

/// A position between two rows: before row `row` of group `group`
/// (`row` 0: the boundary before the group).
type Cut = (usize, u64);

/// `groups` shared out among at most `parts` partitions, each a list of
/// pieces in order; every row of every group in exactly one piece.
pub(crate) fn partitions(groups: &[Estimate], parts: usize) -> Vec<Vec<Piece>> {
    let mut cuts = vec![(0, 0)];
    cuts.extend(inner_cuts(groups, parts.max(1)));
    cuts.push((groups.len(), 0));
    cuts.windows(2)
        .map(|w| pieces(groups, w[0], w[1]))
        .filter(|p| !p.is_empty())
        .collect()
}

/// The `parts - 1` cuts (fewer where they coincide) that share the
/// estimated rows out evenly, moved to a group boundary when one is near.
fn inner_cuts(groups: &[Estimate], parts: usize) -> Vec<Cut> {
    // The rows of each group that count in the balance.
    let mut spans: Vec<Range<u64>> = groups.iter().map(|g| g.in_range.clone()).collect();
    if spans.iter().all(|s| s.is_empty()) {
        // Nothing in range by the estimate (a range within one value,
        // say): balance on all rows instead.
        spans = groups.iter().map(|g| 0..g.rows).collect();
    }
    let total: u64 = spans.iter().map(|s| s.end - s.start).sum();
    // A cut this close to a group boundary moves to it.
    let near = (total / parts as u64 / 10).max(MIN_PIECE_ROWS);
    let mut cuts: Vec<Cut> = Vec::with_capacity(parts);
    let (mut i, mut before) = (0, 0u64);
    for k in 1..parts as u64 {
        let target = (total as u128 * k as u128 / parts as u128) as u64;
        while i < spans.len() && before + (spans[i].end - spans[i].start) <= target {
            before += spans[i].end - spans[i].start;
            i += 1;
        }
        let cut = match spans.get(i) {
            None => (groups.len(), 0),
            Some(s) => {
                let (left, right) = (target - before, before + (s.end - s.start) - target);
                match (left <= right, left.min(right) <= near) {
                    (true, true) => (i, 0),
                    (false, true) => (i + 1, 0),
                    _ => (i, s.start + left),
                }
            }
        };
        let last = *cuts.last().unwrap_or(&(0, 0));
        // Not a piece smaller than `near` between two cuts in one group.
        let too_close = cut.0 == last.0 && cut.1 < last.1 + near;
        if cut > last && cut.0 < groups.len() && !too_close {
            cuts.push(cut);
        }
    }
    cuts
}

/// The pieces between two cuts.
fn pieces(groups: &[Estimate], from: Cut, to: Cut) -> Vec<Piece> {
    (from.0..groups.len().min(to.0 + 1))
        .filter_map(|g| {
            let rows = groups[g].rows;
            let start = if g == from.0 { from.1 } else { 0 };
            let end = if g == to.0 { to.1 } else { rows };
            (start < end).then(|| Piece {
                group: g,
                rows: (start > 0 || end < rows).then_some(start..end),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn whole(rows: &[u64]) -> Vec<Estimate> {
        rows.iter()
            .map(|&n| Estimate {
                rows: n,
                in_range: 0..n,
            })
            .collect()
    }

    /// The groups of each partition, whole ones as their index.
    fn shape(p: &[Vec<Piece>]) -> Vec<Vec<(usize, Option<Range<u64>>)>> {
        p.iter()
            .map(|part| part.iter().map(|x| (x.group, x.rows.clone())).collect())
            .collect()
    }

    #[test]
    fn many_groups_are_cut_at_group_boundaries() {
        let k = 100_000;
        let p = partitions(&whole(&[k; 200]), 2);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].len(), 100);
        assert!(p.iter().flatten().all(|x| x.rows.is_none()));
        assert_eq!(
            shape(&partitions(&whole(&[k; 6]), 3))[1],
            [(2, None), (3, None)]
        );
    }

    #[test]
    fn a_short_range_is_cut_inside_a_group() {
        // 1% of 200 groups of 100,000 rows: the end of one group, a whole
        // one and the start of a third.
        let k = 100_000;
        let groups = vec![
            Estimate {
                rows: k,
                in_range: 12_345..k,
            },
            Estimate {
                rows: k,
                in_range: 0..k,
            },
            Estimate {
                rows: k,
                in_range: 0..12_345,
            },
        ];
        assert_eq!(
            shape(&partitions(&groups, 2)),
            [
                vec![(0, None), (1, Some(0..12_345))],
                vec![(1, Some(12_345..k)), (2, None)]
            ]
        );
        // One partition: everything whole.
        assert_eq!(
            shape(&partitions(&groups, 1)),
            [vec![(0, None), (1, None), (2, None)]]
        );
    }

    #[test]
    fn many_partitions_cut_no_piece_smaller_than_a_batch() {
        let p = partitions(&whole(&[100_000]), 16);
        assert!(p.len() > 2 && p.len() < 16, "{p:?}");
        for piece in p.iter().flatten() {
            let rows = piece.rows.clone().unwrap();
            assert!(rows.end - rows.start >= MIN_PIECE_ROWS, "{p:?}");
        }
    }

    #[test]
    fn small_groups_stay_whole() {
        assert_eq!(
            shape(&partitions(&whole(&[10, 1, 1, 1]), 2)),
            [vec![(0, None)], vec![(1, None), (2, None), (3, None)]]
        );
        assert_eq!(
            shape(&partitions(&whole(&[1, 1]), 8)),
            [vec![(0, None)], vec![(1, None)]]
        );
        assert_eq!(shape(&partitions(&whole(&[1]), 4)), [vec![(0, None)]]);
        assert!(partitions(&[], 4).is_empty());
    }

    #[test]
    fn nothing_estimated_in_range_balances_on_all_rows() {
        let groups: Vec<Estimate> = (0..4)
            .map(|_| Estimate {
                rows: 50_000,
                in_range: 0..0,
            })
            .collect();
        assert_eq!(
            shape(&partitions(&groups, 2)),
            [vec![(0, None), (1, None)], vec![(2, None), (3, None)]]
        );
    }

    proptest! {
        /// Every row of every group is read once, in order, by at most
        /// `parts` partitions, none empty.
        #[test]
        fn every_row_once_in_order(
            groups in prop::collection::vec((1u64..300_000, 0.0f64..1.0, 0.0f64..1.0), 0..12),
            parts in 1usize..6,
        ) {
            let groups: Vec<Estimate> = groups
                .into_iter()
                .map(|(rows, a, b)| {
                    let (a, b) = ((a * rows as f64) as u64, (b * rows as f64) as u64);
                    Estimate { rows, in_range: a.min(b)..a.max(b) }
                })
                .collect();
            let p = partitions(&groups, parts);
            prop_assert!(p.len() <= parts);
            prop_assert!(p.iter().all(|part| !part.is_empty()));
            let mut next = (0usize, 0u64);
            for piece in p.iter().flatten() {
                let rows = piece.rows.clone().unwrap_or(0..groups[piece.group].rows);
                prop_assert!(rows.start < rows.end && rows.end <= groups[piece.group].rows);
                if next.0 < groups.len() && next.1 == groups[next.0].rows {
                    next = (next.0 + 1, 0);
                }
                prop_assert_eq!((piece.group, rows.start), next);
                next = (piece.group, rows.end);
            }
            let done = next == (0, 0) && groups.is_empty()
                || next.0 + 1 == groups.len() && next.1 == groups[next.0].rows;
            prop_assert!(done, "ended at {:?} of {} groups", next, groups.len());
        }
    }
}
