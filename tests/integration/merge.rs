//! Overlapping writes, deduplication, row-group targets and coalescing,
//! checked against a simple in-memory model: a stable merge (existing rows
//! first on ties) followed by keep-last deduplication.

use std::sync::Arc;

use ordo::arrow::array::*;
use ordo::arrow::datatypes::*;
use ordo::storage::MemoryStorage;
use ordo::{
    Coalesce, DuplicatesOn, OrderedParquetDataset, OrderedValue, RowGroupTarget, WriteOptions,
};
use proptest::prelude::*;

/// A model row: ordered value, a tag that may be null, a payload.
pub(crate) type Row = (i64, Option<i64>, i64);

fn schema(tz: Option<&str>) -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new(
            "ts",
            DataType::Timestamp(TimeUnit::Second, tz.map(Into::into)),
            false,
        ),
        Field::new("tag", DataType::Int64, true),
        Field::new("v", DataType::Int64, false),
    ]))
}

pub(crate) fn batch(rows: &[Row], tz: Option<&str>) -> RecordBatch {
    let ts = TimestampSecondArray::from(rows.iter().map(|r| r.0).collect::<Vec<_>>())
        .with_timezone_opt(tz.map(String::from));
    RecordBatch::try_new(
        schema(tz),
        vec![
            Arc::new(ts),
            Arc::new(Int64Array::from(
                rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            )),
            Arc::new(Int64Array::from(
                rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            )),
        ],
    )
    .unwrap()
}

pub(crate) fn rows_of(b: &RecordBatch) -> Vec<Row> {
    let ts = b.column(0).as_primitive::<TimestampSecondType>();
    let tag = b.column(1).as_primitive::<Int64Type>();
    let v = b.column(2).as_primitive::<Int64Type>();
    (0..b.num_rows())
        .map(|i| {
            (
                ts.value(i),
                tag.is_valid(i).then(|| tag.value(i)),
                v.value(i),
            )
        })
        .collect()
}

/// The model of a write: stable merge, then keep the last of duplicates.
pub(crate) fn model_write(existing: &[Row], new: &[Row], dedup: &DuplicatesOn) -> Vec<Row> {
    let mut all: Vec<Row> = existing.iter().chain(new).copied().collect();
    all.sort_by_key(|r| r.0); // stable: existing first, each side in order
    let key = |r: &Row| -> (i64, Option<i64>, Option<i64>) {
        match dedup {
            DuplicatesOn::All => (r.0, r.1, Some(r.2)),
            DuplicatesOn::Columns(c) if c.is_empty() => (r.0, None, None),
            _ => (r.0, r.1, None),
        }
    };
    if *dedup == DuplicatesOn::None {
        return all;
    }
    let mut out: Vec<Row> = Vec::new();
    for (i, r) in all.iter().enumerate() {
        let later_duplicate = all[i + 1..]
            .iter()
            .take_while(|s| s.0 == r.0)
            .any(|s| key(s) == key(r));
        if !later_duplicate {
            out.push(*r);
        }
    }
    out
}

fn memory() -> OrderedParquetDataset {
    OrderedParquetDataset::open_with(
        "d",
        &ordo::OpenOptions::new().storage(Arc::new(MemoryStorage::new())),
    )
    .unwrap()
}

pub(crate) fn sorted(mut rows: Vec<Row>) -> Vec<Row> {
    rows.sort_by_key(|r| r.0);
    rows
}

#[test]
fn every_overlap_shape_matches_the_model() {
    let base: Vec<Row> = (0..10)
        .flat_map(|g| (0..5).map(move |i| (g * 100 + i * 10, Some(i), 0)))
        .collect();
    let shapes: Vec<(&str, Vec<i64>)> = vec![
        ("before the first", vec![-20, -10]),
        ("between two", vec![150, 160]),
        ("inside one", vec![205, 215, 225]),
        ("spanning several", vec![90, 100, 250, 420, 555]),
        ("after the last", vec![950, 960]),
        ("equal to a min", vec![300]),
        ("equal to a max", vec![340]),
        ("equal to the last max", vec![940, 940]),
        ("equal to the first min", vec![0]),
    ];
    for dedup in [
        DuplicatesOn::None,
        DuplicatesOn::Columns(vec!["tag".into()]),
        DuplicatesOn::All,
    ] {
        for (name, ts) in &shapes {
            let ds = memory();
            let o = WriteOptions::new("ts")
                .row_group_target_size(RowGroupTarget::Rows(5))
                .coalesce(Coalesce::Never)
                .duplicates_on(dedup.clone());
            ds.write(&batch(&base, None), &o).unwrap();
            assert_eq!(ds.num_row_groups(), 10);
            let new: Vec<Row> = ts.iter().map(|&t| (t, Some((t / 10) % 5), 1)).collect();
            let report = ds.write(&batch(&new, None), &o).unwrap();
            let got = rows_of(&ds.read().unwrap());
            assert_eq!(got, model_write(&base, &new, &dedup), "{name} {dedup:?}");
            assert!(ds.verify().unwrap().is_empty(), "{name}");
            let touched = ds.row_group_stats().len();
            assert!(touched >= 10, "{name}");
            // Only overlapping groups are rewritten.
            let lo = ts[0];
            let hi = *ts.last().unwrap();
            let overlapping = (0..10)
                .filter(|g| g * 100 <= hi && g * 100 + 40 >= lo)
                .count();
            assert_eq!(report.row_groups_rewritten, overlapping, "{name}");
        }
    }
}

#[test]
fn new_data_beats_existing_and_later_beats_earlier() {
    let ds = memory();
    let o = WriteOptions::new("ts").duplicates_on(DuplicatesOn::Columns(vec![]));
    ds.write(
        &batch(&[(1, None, 10), (2, None, 20), (3, None, 30)], None),
        &o,
    )
    .unwrap();
    ds.write(
        &batch(&[(2, None, 21), (2, None, 22), (4, None, 40)], None),
        &o,
    )
    .unwrap();
    let got: Vec<i64> = rows_of(&ds.read().unwrap()).iter().map(|r| r.2).collect();
    assert_eq!(got, vec![10, 22, 30, 40]);
    // Without dedup, ties keep arrival order (existing first).
    let ds = memory();
    let o = WriteOptions::new("ts");
    ds.write(&batch(&[(1, None, 10), (2, None, 20)], None), &o)
        .unwrap();
    ds.write(&batch(&[(1, None, 11), (2, None, 21)], None), &o)
        .unwrap();
    let got: Vec<i64> = rows_of(&ds.read().unwrap()).iter().map(|r| r.2).collect();
    assert_eq!(got, vec![10, 11, 20, 21]);
}

#[test]
fn equal_values_never_straddle_row_groups() {
    let ds = memory();
    let o = WriteOptions::new("ts")
        .row_group_target_size(RowGroupTarget::Rows(10))
        .coalesce(Coalesce::Never);
    ds.write(
        &batch(&(0..25).map(|i| (7, None, i)).collect::<Vec<_>>(), None),
        &o,
    )
    .unwrap();
    assert_eq!(ds.num_row_groups(), 1);
    ds.write(&batch(&[(7, None, 99), (8, None, 0)], None), &o)
        .unwrap();
    assert_eq!(ds.num_row_groups(), 1, "{:?}", ds.row_group_stats());
    assert!(ds.verify().unwrap().is_empty());
}

#[test]
fn a_mid_dataset_write_touches_at_most_two_row_groups() {
    let ds = memory();
    let n = 10_000_000i64;
    let ts = Int64Array::from_iter_values(0..n);
    let one_col = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
    let big = RecordBatch::try_new(one_col.clone(), vec![Arc::new(ts)]).unwrap();
    ds.write(&big, &WriteOptions::new("ts")).unwrap();
    assert_eq!(ds.num_row_groups(), 100);
    let mid = RecordBatch::try_new(
        one_col,
        vec![Arc::new(Int64Array::from_iter_values(4_999_500..5_000_500))],
    )
    .unwrap();
    let r = ds.write(&mid, &WriteOptions::new("ts")).unwrap();
    assert!(r.row_groups_rewritten <= 2, "{r:?}");
    assert_eq!(r.row_groups_rewritten, 2);
    assert_eq!(ds.num_rows(), n as u64 + 1000);
    assert!(ds.row_group_stats().len() <= 101);
}

#[test]
fn coalescing_policies() {
    let append = |o: &WriteOptions, n: usize| {
        let ds = memory();
        let mut rewritten = 0;
        for i in 0..n as i64 {
            let r = ds
                .write(&batch(&[(2 * i, None, i), (2 * i + 1, None, i)], None), o)
                .unwrap();
            rewritten += r.rows_rewritten;
        }
        assert!(ds.verify().unwrap().is_empty());
        (ds, rewritten)
    };
    let t = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(100));
    let (ds, rewritten) = append(&t.clone().coalesce(Coalesce::Never), 50);
    assert_eq!((ds.num_row_groups(), rewritten), (50, 0));
    // oups' rule with m = 1: every second append merges the small tail,
    // until it reaches 80% of the target.
    let (ds, _) = append(&t.clone().max_n_off_target_rgs(1), 50);
    let rows: Vec<u64> = ds.row_group_stats().iter().map(|g| g.num_rows).collect();
    assert_eq!(rows, vec![80, 20]);
    // m = 3: at most 3 small groups pile up.
    let (ds, _) = append(&t.clone().max_n_off_target_rgs(3), 30);
    assert!(ds.num_row_groups() <= 3);
    // Auto: fewer than 2 * fanout small groups, bounded rewrites.
    let (ds, rewritten) = append(&t.clone(), 200);
    assert!(ds.num_row_groups() <= 4 + 2 * 8, "{}", ds.num_row_groups());
    assert!(rewritten <= 4 * 400, "{rewritten}");
    // An empty write performs pending coalescing.
    let (ds, _) = append(&t.clone().coalesce(Coalesce::Never), 10);
    let r = ds
        .write(&batch(&[], None), &t.clone().max_n_off_target_rgs(0))
        .unwrap();
    assert!(r.committed);
    assert_eq!(ds.num_row_groups(), 1);
    assert_eq!(ds.num_rows(), 20);
}

#[test]
fn auto_coalescing_of_1000_appends_of_1000_rows() {
    let ds = memory();
    let o = WriteOptions::new("ts");
    let (mut appended, mut written) = (0u64, 0u64);
    for i in 0..1000i64 {
        let rows: Vec<Row> = (0..1000).map(|j| (i * 1000 + j, None, j)).collect();
        let r = ds.write(&batch(&rows, None), &o).unwrap();
        appended += 1000;
        written += r.rows_written;
    }
    let amplification = written as f64 / appended as f64;
    assert!(amplification <= 4.0, "write amplification {amplification}");
    let minimum = 10; // 1M rows in 100,000-row groups
    assert!(
        ds.num_row_groups() <= 2 * minimum,
        "{} row groups",
        ds.num_row_groups()
    );
    assert!(ds.verify().unwrap().is_empty());
}

#[test]
fn period_targets_cut_at_period_boundaries_in_every_zone() {
    for tz in [
        None,
        Some("UTC"),
        Some("Europe/Berlin"),
        Some("America/New_York"),
    ] {
        let ds = memory();
        let o = WriteOptions::new("ts").row_group_target_size("1D".parse().unwrap());
        // Three days of hourly rows, written in 6-hour batches out of order.
        let mut chunks: Vec<Vec<Row>> = (0..12)
            .map(|c| {
                (0..6)
                    .map(|h| ((c * 6 + h) * 3600, None, c * 6 + h))
                    .collect()
            })
            .collect();
        chunks.swap(3, 7);
        for c in &chunks {
            ds.write(&batch(c, tz), &o).unwrap();
        }
        assert!(ds.verify().unwrap().is_empty());
        assert_eq!(ds.num_rows(), 72);
        // Each group lies within one local day.
        let offset = |t: i64| -> i64 {
            let shift = match tz {
                Some("Europe/Berlin") => 3600,
                Some("America/New_York") => -5 * 3600,
                _ => 0,
            };
            shift + t
        };
        for g in ds.row_group_stats() {
            // Statistics are instants; the local day is checked on the
            // stored seconds.
            let (OrderedValue::Timestamp(a), OrderedValue::Timestamp(b)) = (&g.min, &g.max) else {
                panic!("{g:?}")
            };
            let (a, b) = (a.timestamp(), b.timestamp());
            assert_eq!(
                offset(a).div_euclid(86400),
                offset(b).div_euclid(86400),
                "{tz:?}"
            );
        }
        // Auto coalescing merged every closed day into one group; the last
        // (open) day keeps its appended groups until an explicit merge.
        let days = if tz.is_none() || tz == Some("UTC") {
            3
        } else {
            4
        };
        let stats = ds.row_group_stats();
        let last_day = |g: &ordo::RowGroupStats| match &g.min {
            OrderedValue::Timestamp(a) => offset(a.timestamp()).div_euclid(86400),
            other => unreachable!("{other:?}"),
        };
        let final_day = last_day(stats.last().unwrap());
        assert_eq!(
            stats.iter().filter(|g| last_day(g) != final_day).count(),
            days - 1,
            "{tz:?}"
        );
        ds.write(&batch(&[], tz), &o.clone().max_n_off_target_rgs(0))
            .unwrap();
        assert_eq!(
            ds.num_row_groups(),
            days,
            "{tz:?}: {:?}",
            ds.row_group_stats()
        );
        assert!(ds.verify().unwrap().is_empty());
    }
}

#[test]
fn compact_rewrites_into_target_sized_groups() {
    let ds = memory();
    let never = WriteOptions::new("ts")
        .row_group_target_size(RowGroupTarget::Rows(10))
        .coalesce(Coalesce::Never);
    for i in 0..30i64 {
        ds.write(&batch(&[(i, None, i)], None), &never).unwrap();
    }
    assert_eq!(ds.num_row_groups(), 30);
    let before = ds.read().unwrap();
    let ten = ordo::CompactOptions::new().row_group_target_size(RowGroupTarget::Rows(10));
    let r = ds.compact_range(10i64, 20i64, &ten).unwrap();
    assert_eq!(r.row_groups_rewritten, 10);
    assert_eq!(ds.num_row_groups(), 21);
    let r = ds.compact(&ten).unwrap();
    assert!(r.committed);
    assert_eq!(ds.num_row_groups(), 3);
    assert_eq!(ds.read().unwrap(), before);
    assert!(ds.verify().unwrap().is_empty());
}

#[derive(Debug, Clone)]
struct Case {
    target: RowGroupTarget,
    coalesce: Coalesce,
    dedup: DuplicatesOn,
    tz: Option<&'static str>,
    writes: Vec<Vec<Row>>,
}

fn case() -> impl Strategy<Value = Case> {
    let target = prop_oneof![
        (1usize..12).prop_map(RowGroupTarget::Rows),
        prop_oneof![Just("10s"), Just("30s"), Just("1min"), Just("1h")]
            .prop_map(|p| RowGroupTarget::Period(p.parse().unwrap())),
    ];
    let coalesce = prop_oneof![
        Just(Coalesce::Auto),
        Just(Coalesce::Never),
        (0usize..4).prop_map(Coalesce::MaxOffTarget)
    ];
    let dedup = prop_oneof![
        Just(DuplicatesOn::None),
        Just(DuplicatesOn::All),
        Just(DuplicatesOn::Columns(vec![])),
        Just(DuplicatesOn::Columns(vec!["tag".into()])),
    ];
    let tz = prop_oneof![Just(None), Just(Some("Asia/Kolkata"))];
    let row = (-30i64..150, proptest::option::of(0i64..3), 0i64..5);
    let write = proptest::collection::vec(row, 0..25).prop_map(sorted);
    (
        target,
        coalesce,
        dedup,
        tz,
        proptest::collection::vec(write, 1..8),
    )
        .prop_map(|(target, coalesce, dedup, tz, writes)| Case {
            target,
            coalesce,
            dedup,
            tz,
            writes,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("ORDO_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000)
    ))]

    #[test]
    fn random_writes_agree_with_the_model(case in case(), object in any::<bool>()) {
        // Half the cases on an in-memory object store: optimistic writes,
        // merges from the groups the handle wrote.
        let on = ordo::OpenOptions::new().storage(crate::common::test_storage(object));
        let ds = OrderedParquetDataset::open_with("d", &on).unwrap();
        let o = WriteOptions::new("ts")
            .row_group_target_size(case.target.clone())
            .coalesce(case.coalesce.clone())
            .duplicates_on(case.dedup.clone());
        let mut model: Vec<Row> = Vec::new();
        for (i, w) in case.writes.iter().enumerate() {
            // Payloads carry the write number so last-wins is visible.
            let w: Vec<Row> = w.iter().map(|r| (r.0, r.1, r.2 + 10 * i as i64)).collect();
            ds.write(&batch(&w, case.tz), &o).unwrap();
            let deduped_new = model_write(&[], &w, &case.dedup);
            model = model_write(&model, &deduped_new, &case.dedup);
            let got = if ds.version().is_some() { rows_of(&ds.read().unwrap()) } else { vec![] };
            prop_assert_eq!(&got, &model, "after write {}", i);
            let problems = ds.verify().unwrap();
            prop_assert!(problems.is_empty(), "{:?}", problems);
            if let RowGroupTarget::Rows(t) = case.target {
                // Groups exceed the target only by a folded remainder (under
                // 20%) and by runs of equal values.
                let max_run = got.chunk_by(|a, b| a.0 == b.0).map(<[Row]>::len).max().unwrap_or(0);
                for g in ds.row_group_stats() {
                    let limit = (t + t / 5 + max_run) as u64;
                    prop_assert!(g.num_rows <= limit, "{:?} over {}", g, t);
                }
            }
        }
    }
}
