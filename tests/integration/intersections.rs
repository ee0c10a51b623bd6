//! Store::iter_intersections through the public API: windows at
//! row-group starts clipped to the range, absent keys, skipped windows,
//! real zero and epoch bounds, n_prev, errors, pinned versions, and a
//! property test against a model that reads whole datasets.

use std::path::Path;
use std::sync::Arc;

use crate::common::{int_batch, ticks};
use ordo::arrow::array::{AsArray, RecordBatch};
use ordo::arrow::datatypes::{DataType, Int64Type};
use ordo::chrono::{NaiveDate, TimeZone, Utc};
use ordo::storage::Durability;
use ordo::{
    Coalesce, Error, IntersectOptions, OrderedParquetDataset, OrderedValue, RowGroupTarget, Step,
    Store, TopLevel, WriteOptions,
};
use proptest::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, TopLevel)]
struct Key {
    name: String,
}

fn key(name: &str) -> Key {
    Key { name: name.into() }
}

fn keys(names: &[&str]) -> Vec<Key> {
    names.iter().map(|n| key(n)).collect()
}

/// A handle on `name`'s dataset that writes without fsync (fast tests).
fn fast(root: &Path, name: &str) -> OrderedParquetDataset {
    let dir = root.join(key(name).to_path().unwrap());
    let fast = ordo::OpenOptions::new().durability(Durability::Process);
    OrderedParquetDataset::open_with(dir, &fast).unwrap()
}

fn small_groups(rows: usize) -> WriteOptions {
    WriteOptions::new("ts")
        .row_group_target_size(RowGroupTarget::Rows(rows))
        .coalesce(Coalesce::Never)
}

/// Writes `ts` (payload `v = 1000 * ts + position`) into `name` in row
/// groups of `rows`.
fn put(root: &Path, name: &str, ts: &[i64], rows: usize) {
    let v: Vec<i64> = ts
        .iter()
        .enumerate()
        .map(|(i, t)| t * 1000 + i as i64)
        .collect();
    fast(root, name)
        .write(&int_batch(ts, &v), &small_groups(rows))
        .unwrap();
}

/// `(ts, v)` of each row; `ts` of any integer or timestamp type.
fn rows_of(batch: &RecordBatch) -> Vec<(i64, i64)> {
    let cast = |name: &str| {
        ordo::arrow::compute::cast(batch.column_by_name(name).unwrap(), &DataType::Int64).unwrap()
    };
    let (ts, v) = (cast("ts"), cast(batch.schema().field(1).name()));
    let (ts, v) = (
        ts.as_primitive::<Int64Type>(),
        v.as_primitive::<Int64Type>(),
    );
    ts.values()
        .iter()
        .copied()
        .zip(v.values().iter().copied())
        .collect()
}

fn int(v: &OrderedValue) -> i64 {
    match v {
        OrderedValue::Int(i) => *i,
        other => panic!("not an Int: {other:?}"),
    }
}

/// One step: window start and end, then per key name its `(ts, v)` rows.
type Window = (i64, Option<i64>, Vec<(String, Vec<(i64, i64)>)>);

/// A step as a [`Window`], checking its accessors agree.
fn window_of(step: &Step<Key>) -> Window {
    assert!(!step.is_empty());
    let chunks = step
        .iter()
        .map(|(k, b)| {
            assert_eq!(step.get(k), Some(b));
            (k.name.clone(), rows_of(b))
        })
        .collect::<Vec<_>>();
    assert_eq!(chunks.len(), step.len());
    (int(step.start()), step.end_excl().map(int), chunks)
}

fn actual(store: &Store<Key>, keys: &[Key], opts: IntersectOptions) -> Vec<Window> {
    store
        .iter_intersections(keys, opts)
        .unwrap()
        .map(|step| window_of(&step.unwrap()))
        .collect()
}

/// The reference: whole datasets cut at the row-group starts clipped to
/// `[lo, hi)`, with `n_prev[i]` rows from before `lo` in front of key
/// `i`'s first chunk.
fn model(
    store: &Store<Key>,
    keys: &[Key],
    lo: Option<i64>,
    hi: Option<i64>,
    n_prev: &[usize],
) -> Vec<Window> {
    let in_range = |t: i64| lo.is_none_or(|l| t >= l) && hi.is_none_or(|h| t < h);
    let mut data = Vec::new();
    let mut bounds = Vec::new();
    for k in keys {
        let ds = store.get(k).unwrap();
        data.push(rows_of(&ds.read().unwrap()));
        for s in ds.row_group_stats() {
            let (min, max) = (int(&s.min), int(&s.max));
            if lo.is_none_or(|l| max >= l) && hi.is_none_or(|h| min < h) {
                bounds.push(lo.map_or(min, |l| min.max(l)));
            }
        }
    }
    if lo.zip(hi).is_some_and(|(l, h)| l >= h) {
        bounds.clear();
    }
    bounds.sort();
    bounds.dedup();
    let mut out: Vec<Window> = Vec::new();
    let mut seen = vec![false; keys.len()];
    for (i, &start) in bounds.iter().enumerate() {
        let end = bounds.get(i + 1).copied().or(hi);
        let mut chunks = Vec::new();
        for (d, rows) in data.iter().enumerate() {
            let mut chunk: Vec<(i64, i64)> = rows
                .iter()
                .copied()
                .filter(|&(t, _)| in_range(t) && t >= start && end.is_none_or(|e| t < e))
                .collect();
            if chunk.is_empty() {
                continue;
            }
            if !seen[d] {
                seen[d] = true;
                if let Some(l) = lo {
                    let before: Vec<_> = rows.iter().copied().filter(|&(t, _)| t < l).collect();
                    let n = n_prev[d].min(before.len());
                    let mut prev = before[before.len() - n..].to_vec();
                    prev.extend(chunk);
                    chunk = prev;
                }
            }
            chunks.push((keys[d].name.clone(), chunk));
        }
        if !chunks.is_empty() {
            out.push((start, end, chunks));
        }
    }
    out
}

fn opts(lo: Option<i64>, hi: Option<i64>) -> IntersectOptions {
    let mut o = IntersectOptions::new();
    if let Some(l) = lo {
        o = o.start(l);
    }
    if let Some(h) = hi {
        o = o.end_excl(h);
    }
    o
}

/// A step as `(start, end, [(key, [ts])])`, for hand-written expectations.
type TsWindow<'a> = (i64, Option<i64>, Vec<(&'a str, Vec<i64>)>);

fn ts_only(windows: &[Window]) -> Vec<TsWindow<'_>> {
    windows
        .iter()
        .map(|(s, e, chunks)| {
            let chunks = chunks
                .iter()
                .map(|(k, rows)| (k.as_str(), rows.iter().map(|r| r.0).collect()))
                .collect();
            (*s, *e, chunks)
        })
        .collect()
}

#[test]
fn windows_on_and_off_row_group_edges() {
    let dir = tempfile::tempdir().unwrap();
    put(dir.path(), "a", &(0..12).collect::<Vec<_>>(), 3); // [0-2] [3-5] [6-8] [9-11]
    put(dir.path(), "b", &[1, 4, 7, 10, 13, 16], 2); // [1 4] [7 10] [13 16]
    let store = Store::<Key>::open(dir.path()).unwrap();
    let ks = keys(&["a", "b"]);
    let all = actual(&store, &ks, IntersectOptions::new());
    assert_eq!(
        ts_only(&all),
        vec![
            (0, Some(1), vec![("a", vec![0])]),
            (1, Some(3), vec![("a", vec![1, 2]), ("b", vec![1])]),
            (3, Some(6), vec![("a", vec![3, 4, 5]), ("b", vec![4])]),
            (6, Some(7), vec![("a", vec![6])]),
            (7, Some(9), vec![("a", vec![7, 8]), ("b", vec![7])]),
            (9, Some(13), vec![("a", vec![9, 10, 11]), ("b", vec![10])]),
            (13, None, vec![("b", vec![13, 16])]),
        ]
    );
    // Off the edges: start inside a row group of each, end inside too.
    let some = actual(&store, &ks, opts(Some(4), Some(10)));
    assert_eq!(
        ts_only(&some),
        vec![
            (4, Some(6), vec![("a", vec![4, 5]), ("b", vec![4])]),
            (6, Some(7), vec![("a", vec![6])]),
            (7, Some(9), vec![("a", vec![7, 8]), ("b", vec![7])]),
            (9, Some(10), vec![("a", vec![9])]),
        ]
    );
    // Every range, on and off the edges, against the model.
    for lo in (-1..19).map(Some).chain([None]) {
        for hi in (-1..19).map(Some).chain([None]) {
            assert_eq!(
                actual(&store, &ks, opts(lo, hi)),
                model(&store, &ks, lo, hi, &[0, 0]),
                "[{lo:?}, {hi:?})"
            );
        }
    }
}

#[test]
fn identical_ranges_step_together_in_the_given_key_order() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a", "b", "c"] {
        put(dir.path(), name, &(0..10).collect::<Vec<_>>(), 4);
    }
    let store = Store::<Key>::open(dir.path()).unwrap();
    let ks = keys(&["c", "a", "b"]);
    let steps = actual(&store, &ks, IntersectOptions::new());
    assert_eq!(steps.len(), 3);
    for (s, _, chunks) in &steps {
        let names: Vec<&str> = chunks.iter().map(|c| c.0.as_str()).collect();
        assert_eq!(names, ["c", "a", "b"], "step at {s}");
    }
    assert_eq!(
        steps.iter().map(|w| (w.0, w.1)).collect::<Vec<_>>(),
        vec![(0, Some(4)), (4, Some(8)), (8, None)]
    );
    assert_eq!(steps, model(&store, &ks, None, None, &[0; 3]));
}

#[test]
fn disjoint_datasets_take_turns() {
    let dir = tempfile::tempdir().unwrap();
    put(dir.path(), "a", &(0..6).collect::<Vec<_>>(), 3);
    put(dir.path(), "b", &(100..106).collect::<Vec<_>>(), 3);
    let store = Store::<Key>::open(dir.path()).unwrap();
    let ks = keys(&["a", "b"]);
    assert_eq!(
        ts_only(&actual(&store, &ks, IntersectOptions::new())),
        vec![
            (0, Some(3), vec![("a", vec![0, 1, 2])]),
            (3, Some(100), vec![("a", vec![3, 4, 5])]),
            (100, Some(103), vec![("b", vec![100, 101, 102])]),
            (103, None, vec![("b", vec![103, 104, 105])]),
        ]
    );
}

#[test]
fn datasets_without_rows_in_range_are_absent_and_empty_windows_skipped() {
    let dir = tempfile::tempdir().unwrap();
    put(dir.path(), "a", &[0, 100], 10); // one row group around the range
    put(dir.path(), "b", &[50, 60], 10);
    put(dir.path(), "c", &[55], 10);
    put(dir.path(), "far", &[1000, 1001], 10);
    let store = Store::<Key>::open(dir.path()).unwrap();
    let ks = keys(&["a", "b", "c", "far"]);
    // Bounds 20 (a clipped), 50, 55: [20, 50) holds no row and is skipped.
    assert_eq!(
        ts_only(&actual(&store, &ks, opts(Some(20), Some(500)))),
        vec![
            (50, Some(55), vec![("b", vec![50])]),
            (
                55,
                Some(500),
                vec![("a", vec![100]), ("b", vec![60]), ("c", vec![55])]
            ),
        ]
    );
    // a's row group intersects [10, 40) but holds no row there.
    assert_eq!(actual(&store, &ks, opts(Some(10), Some(40))), vec![]);
    for (lo, hi) in [(None, Some(100)), (Some(56), None), (Some(0), Some(1001))] {
        assert_eq!(
            actual(&store, &ks, opts(lo, hi)),
            model(&store, &ks, lo, hi, &[0; 4])
        );
    }
}

#[test]
fn zero_and_the_epoch_are_real_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let ts: Vec<i64> = (-5..5).collect();
    fast(dir.path(), "t")
        .write(&ticks(&ts), &small_groups(3))
        .unwrap();
    fast(dir.path(), "u")
        .write(&ticks(&[-7, 0, 7]), &small_groups(3))
        .unwrap();
    let store = Store::<Key>::open(dir.path()).unwrap();
    let ks = keys(&["t", "u"]);
    let ts_of = |o: IntersectOptions| -> Vec<i64> {
        store
            .iter_intersections(&ks, o)
            .unwrap()
            .flat_map(|s| s.unwrap().into_chunks())
            .filter(|(k, _)| k.name == "t")
            .flat_map(|(_, b)| rows_of(&b).into_iter().map(|r| r.0))
            .collect()
    };
    let epoch = Utc.timestamp_opt(0, 0).unwrap();
    let day0 = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    for start in [OrderedValue::Int(0), epoch.into(), day0.into()] {
        assert_eq!(
            ts_of(IntersectOptions::new().start(start.clone())),
            vec![0, 1, 2, 3, 4]
        );
        assert_eq!(
            ts_of(IntersectOptions::new().end_excl(start.clone())),
            vec![-5, -4, -3, -2, -1]
        );
        assert_eq!(
            ts_of(IntersectOptions::new().start(start).n_prev(2)),
            vec![-2, -1, 0, 1, 2, 3, 4]
        );
    }
    let steps = store
        .iter_intersections(&ks, IntersectOptions::new().start(epoch))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    assert_eq!(
        steps[0].start(),
        &OrderedValue::from(epoch),
        "the column's type"
    );
    assert_eq!(steps[0].start().to_string(), "1970-01-01T00:00:00Z");
    // Shown as the column's values: a timestamp without a time zone
    // without an offset.
    assert_eq!(
        steps[0].to_string(),
        "[1970-01-01T00:00:00, 1970-01-01T00:00:00.000000001): t (1 row), u (1 row)"
    );
    assert_eq!(steps[0].get(&key("u")).map(|b| b.num_rows()), Some(1));
    // Bounds in the column's unit: 1 µs is 1000 ns, so nothing in range.
    let us = Utc.timestamp_opt(0, 1000).unwrap();
    assert!(ts_of(IntersectOptions::new().start(us)).is_empty());
}

#[test]
fn ranges_outside_the_data_yield_nothing() {
    let dir = tempfile::tempdir().unwrap();
    put(dir.path(), "a", &(0..10).collect::<Vec<_>>(), 3);
    put(dir.path(), "b", &(5..15).collect::<Vec<_>>(), 4);
    let store = Store::<Key>::open(dir.path()).unwrap();
    let ks = keys(&["a", "b"]);
    for o in [
        opts(Some(15), None),
        opts(Some(100), Some(200)).n_prev(5),
        opts(None, Some(0)),
        opts(Some(-10), Some(0)),
        opts(Some(6), Some(6)),
        opts(Some(8), Some(3)).n_prev(2),
        IntersectOptions::new().start(u64::MAX),
    ] {
        assert_eq!(actual(&store, &ks, o.clone()), vec![], "{o:?}");
    }
    // An end above every storable value is no end.
    assert_eq!(
        actual(&store, &ks, IntersectOptions::new().end_excl(u64::MAX)),
        model(&store, &ks, None, None, &[0, 0])
    );
}

#[test]
fn n_prev_warms_up_each_key_first_chunk() {
    let dir = tempfile::tempdir().unwrap();
    put(dir.path(), "a", &(0..20).collect::<Vec<_>>(), 4);
    put(dir.path(), "b", &(0..20).step_by(2).collect::<Vec<_>>(), 3);
    put(dir.path(), "c", &[0, 1, 2, 30, 31, 32, 33, 34], 3); // first in range at 30
    put(dir.path(), "d", &[0, 1, 2, 3, 4], 2); // nothing in range
    let store = Store::<Key>::open(dir.path()).unwrap();
    let ks = keys(&["a", "b", "c", "d"]);
    let first_ts = |w: &[Window], name: &str| -> Vec<i64> {
        let chunk = w
            .iter()
            .find_map(|s| s.2.iter().find(|c| c.0 == name))
            .unwrap();
        chunk.1.iter().map(|r| r.0).collect()
    };
    // More than a row group (4 rows), then more than the dataset.
    let six = actual(&store, &ks, opts(Some(10), None).n_prev(6));
    assert_eq!(first_ts(&six, "a"), vec![4, 5, 6, 7, 8, 9, 10, 11]);
    assert_eq!(first_ts(&six, "b"), vec![0, 2, 4, 6, 8, 10]);
    assert_eq!(first_ts(&six, "c"), vec![0, 1, 2, 30, 31, 32]);
    assert!(
        six.iter().all(|s| s.2.iter().all(|c| c.0 != "d")),
        "d never appears"
    );
    assert_eq!(six, model(&store, &ks, Some(10), None, &[6; 4]));
    let all = actual(&store, &ks, opts(Some(10), Some(31)).n_prev(1000));
    assert_eq!(first_ts(&all, "a"), (0..12).collect::<Vec<_>>());
    assert_eq!(all, model(&store, &ks, Some(10), Some(31), &[1000; 4]));
    // n_prev never adds steps.
    assert_eq!(actual(&store, &ks, opts(Some(10), None)).len(), six.len());
    // One per key.
    let per = actual(
        &store,
        &ks,
        opts(Some(10), None).n_prev_per_key([2, 0, 1, 5]),
    );
    assert_eq!(first_ts(&per, "a"), vec![8, 9, 10, 11]);
    assert_eq!(first_ts(&per, "b"), vec![10]);
    assert_eq!(first_ts(&per, "c"), vec![2, 30, 31, 32]);
    assert_eq!(per, model(&store, &ks, Some(10), None, &[2, 0, 1, 5]));
    // Without a start there is nothing before it.
    assert_eq!(
        actual(&store, &ks, IntersectOptions::new().n_prev(3)),
        model(&store, &ks, None, None, &[0; 4])
    );
}

/// In a row group of many pages, the rows before the start are on the
/// page the start is on (taken from the decode of the first chunk), on
/// the page before it (the start is a page's first rows), or on both.
#[test]
fn n_prev_from_the_start_page_and_from_the_pages_before() {
    let dir = tempfile::tempdir().unwrap();
    put(dir.path(), "a", &(0..100_000).collect::<Vec<_>>(), 100_000);
    put(
        dir.path(),
        "b",
        &(0..100_000).step_by(7).collect::<Vec<_>>(),
        30_000,
    );
    let store = Store::<Key>::open(dir.path()).unwrap();
    let ks = keys(&["a", "b"]);
    let a = store.get(&key("a")).unwrap();
    assert_eq!(a.row_group_stats().len(), 1);
    // Pages hold 20,000 rows or a little more: starts at page edges and
    // just after them, mid-page, and near the group's first rows.
    for start in [
        1, 2, 3, 20_000, 20_481, 20_482, 40_960, 40_961, 40_963, 50_000, 99_999,
    ] {
        for n_prev in [1, 3, 9_000, 25_000] {
            let o = opts(Some(start), Some(start + 30_000)).n_prev(n_prev);
            assert_eq!(
                actual(&store, &ks, o),
                model(&store, &ks, Some(start), Some(start + 30_000), &[n_prev; 2]),
                "start {start}, n_prev {n_prev}"
            );
        }
    }
}

#[test]
fn a_missing_file_before_the_start_fails_the_first_step() {
    let dir = tempfile::tempdir().unwrap();
    put(dir.path(), "a", &(0..20).collect::<Vec<_>>(), 4);
    put(dir.path(), "b", &(0..20).collect::<Vec<_>>(), 4);
    let store = Store::<Key>::open(dir.path()).unwrap();
    // Rows 8..12 of "b": the group just before the start at 12.
    let b = store.get(&key("b")).unwrap();
    let file = dir
        .path()
        .join(key("b").to_path().unwrap())
        .join(&b.row_group_stats()[2].file);
    std::fs::remove_file(&file).unwrap();
    let o = opts(Some(12), None).n_prev(2);
    let mut steps = store.iter_intersections(&keys(&["a", "b"]), o).unwrap();
    match steps.next() {
        Some(Err(Error::MissingRowGroupFile { path, version: 1 })) => assert_eq!(path, file),
        other => panic!("{other:?}"),
    }
    // Without previous rows, that file is not needed.
    let o = opts(Some(12), None);
    let rows: usize = store
        .iter_intersections(&keys(&["a", "b"]), o)
        .unwrap()
        .map(|s| s.unwrap().iter().map(|(_, b)| b.num_rows()).sum::<usize>())
        .sum();
    assert_eq!(rows, 16);
}

#[test]
fn bad_requests_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    put(dir.path(), "a", &[1, 2, 3], 2);
    let other = int_batch(&[1, 2], &[1, 2]);
    let renamed = RecordBatch::try_new(
        Arc::new(ordo::arrow::datatypes::Schema::new(vec![
            ordo::arrow::datatypes::Field::new("t", DataType::Int64, false),
            ordo::arrow::datatypes::Field::new("v", DataType::Int64, true),
        ])),
        other.columns().to_vec(),
    )
    .unwrap();
    fast(dir.path(), "renamed")
        .write(&renamed, &WriteOptions::new("t"))
        .unwrap();
    fast(dir.path(), "time")
        .write(&ticks(&[1, 2]), &WriteOptions::new("ts"))
        .unwrap();
    let store = Store::<Key>::open(dir.path()).unwrap();
    let err =
        |ks: &[&str], o: IntersectOptions| store.iter_intersections(&keys(ks), o).unwrap_err();

    let e = err(&["x", "a", "y"], IntersectOptions::new());
    assert!(
        matches!(&e, Error::KeysNotFound { keys, .. } if keys == &["x", "y"]),
        "{e}"
    );
    assert!(e.to_string().contains("x, y"), "{e}");
    let e = err(&["a", "renamed"], IntersectOptions::new());
    assert!(
        matches!(&e, Error::OrderedColumnMismatch { first_key, first, key, other }
            if first_key == "a" && first == "`ts` (Int64)" && key == "renamed" && other == "`t` (Int64)"),
        "{e}"
    );
    let e = err(&["a", "time"], IntersectOptions::new());
    assert!(
        matches!(&e, Error::OrderedColumnMismatch { first, other, .. }
            if first == "`ts` (Int64)" && other.starts_with("`ts` (Timestamp")),
        "{e}"
    );
    assert!(matches!(
        err(&["a"], IntersectOptions::new().start("x")),
        Error::IncompatibleValue { .. }
    ));
    let epoch = Utc.timestamp_opt(0, 0).unwrap();
    assert!(matches!(
        err(&["a"], IntersectOptions::new().end_excl(epoch)),
        Error::IncompatibleValue { .. }
    ));
    assert!(matches!(
        err(&["a", "a"], IntersectOptions::new()),
        Error::InvalidOption { option: "keys", .. }
    ));
    assert!(matches!(
        err(&["a"], IntersectOptions::new().n_prev_per_key([1, 2])),
        Error::InvalidOption {
            option: "n_prev_per_key",
            ..
        }
    ));
    // No keys: nothing to walk.
    assert_eq!(
        store
            .iter_intersections(&[], IntersectOptions::new())
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn commits_during_iteration_are_not_seen() {
    let dir = tempfile::tempdir().unwrap();
    put(dir.path(), "a", &(0..100).collect::<Vec<_>>(), 10);
    put(dir.path(), "b", &(0..100).step_by(3).collect::<Vec<_>>(), 7);
    let store = Store::<Key>::open(dir.path()).unwrap();
    let ks = keys(&["a", "b"]);
    let o = || opts(Some(5), Some(95)).n_prev(3);
    let expected = model(&store, &ks, Some(5), Some(95), &[3, 3]);
    let before = actual(&store, &ks, o());
    assert_eq!(before, expected);

    // Commits between steps: inserts that rewrite row groups, appends.
    let mut it = store.iter_intersections(&ks, o()).unwrap();
    let pinned: Vec<(Key, u64)> = it.versions().map(|(k, v)| (k.clone(), v)).collect();
    let mut got = Vec::new();
    for round in 0..expected.len() {
        let step = it.next().unwrap().unwrap();
        got.push(step);
        let writer = fast(dir.path(), if round % 2 == 0 { "a" } else { "b" });
        let ts: Vec<i64> = (0..20).map(|i| i * 5 + round as i64).collect();
        writer
            .write(&int_batch(&ts, &ts), &small_groups(6))
            .unwrap();
    }
    assert!(it.next().is_none());
    assert_eq!(
        it.versions()
            .map(|(k, v)| (k.clone(), v))
            .collect::<Vec<_>>(),
        pinned
    );
    let got: Vec<Window> = got.iter().map(window_of).collect();
    assert_eq!(got, expected);
    assert_ne!(
        model(&store, &ks, Some(5), Some(95), &[3, 3]),
        expected,
        "the data changed"
    );

    // A writer thread committing while the iteration runs.
    let expected = model(&store, &ks, None, None, &[0, 0]);
    let it = store
        .iter_intersections(&ks, IntersectOptions::new())
        .unwrap();
    let root = dir.path().to_owned();
    let writer = std::thread::spawn(move || {
        for i in 0..30i64 {
            let ts = [i * 7, i * 7 + 1, 500 + i];
            fast(&root, "a")
                .write(&int_batch(&ts, &ts), &small_groups(4))
                .unwrap();
        }
    });
    let mut got = Vec::new();
    for step in it {
        got.push(window_of(&step.unwrap()));
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    writer.join().unwrap();
    assert_eq!(got, expected);
}

#[test]
fn iterating_on_rayon_workers_with_prefetch_does_not_deadlock() {
    use rayon::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    for (i, name) in ["a", "b", "c"].iter().enumerate() {
        put(
            dir.path(),
            name,
            &(0..60).map(|t| t * 3 + i as i64).collect::<Vec<_>>(),
            4,
        );
    }
    let store = Store::<Key>::open(dir.path()).unwrap();
    let ks = keys(&["a", "b", "c"]);
    let expected = model(&store, &ks, Some(10), None, &[2; 3]);
    // Iterators created outside the pool (their first loads start ahead),
    // then advanced on its workers, more of them than workers.
    let iters: Vec<_> = (0..2 * rayon::current_num_threads() + 2)
        .map(|_| {
            let o = opts(Some(10), None).n_prev(2).prefetch(3);
            let mut it = store.iter_intersections(&ks, o).unwrap();
            let first = it.next().unwrap().unwrap();
            (first, it)
        })
        .collect();
    let results: Vec<Vec<Window>> = iters
        .into_par_iter()
        .map(|(first, it)| {
            let mut all = vec![window_of(&first)];
            all.extend(it.map(|s| window_of(&s.unwrap())));
            all
        })
        .collect();
    assert!(results.iter().all(|w| w == &expected));
    let on_workers: Vec<Vec<Window>> = (0..4)
        .into_par_iter()
        .map(|_| actual(&store, &ks, opts(Some(10), None).n_prev(2).prefetch(2)))
        .collect();
    assert!(on_workers.iter().all(|w| w == &expected));
}

fn cases() -> u32 {
    std::env::var("ORDO_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// A dataset: sorted writes (merged by ordo) and a row-group target.
fn dataset() -> impl Strategy<Value = (Vec<Vec<i64>>, usize)> {
    (
        prop::collection::vec(prop::collection::vec(-20i64..60, 1..15), 1..4),
        1usize..6,
    )
        .prop_map(|(mut writes, rows)| {
            for w in &mut writes {
                w.sort_unstable();
            }
            (writes, rows)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn streaming_matches_the_model(
        datasets in prop::collection::vec(dataset(), 1..5),
        lo in prop::option::of(-25i64..65),
        hi in prop::option::of(-25i64..65),
        n_prev in prop::collection::vec(0usize..12, 4),
        prefetch in prop::option::of(0usize..4),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let names: Vec<String> = (0..datasets.len()).map(|i| format!("d{i}")).collect();
        let mut counter = 0;
        for (name, (writes, rows)) in names.iter().zip(&datasets) {
            let ds = fast(dir.path(), name);
            for ts in writes {
                let v: Vec<i64> = (counter..counter + ts.len() as i64).collect();
                counter += ts.len() as i64;
                ds.write(&int_batch(ts, &v), &small_groups(*rows)).unwrap();
            }
        }
        let store = Store::<Key>::open(dir.path()).unwrap();
        let ks: Vec<Key> = names.iter().map(|n| key(n)).collect();
        let n_prev = &n_prev[..ks.len()];
        let mut o = opts(lo, hi).n_prev_per_key(n_prev.to_vec());
        if let Some(p) = prefetch {
            o = o.prefetch(p);
        }
        prop_assert_eq!(actual(&store, &ks, o), model(&store, &ks, lo, hi, n_prev));
    }
}
