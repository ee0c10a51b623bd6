//! OrderedParquetDataset through the public API: writes, reads, ranges,
//! validation (with the directory unchanged), metadata, versions, GC.

use std::sync::Arc;
use std::time::Duration;

use crate::common::{dir_snapshot, int_batch, ticks};
use ordo::arrow::array::*;
use ordo::arrow::compute::{concat_batches, filter_record_batch};
use ordo::arrow::datatypes::*;
use ordo::chrono::{NaiveDate, TimeZone, Utc};
use ordo::{
    Error, OrderedParquetDataset, OrderedValue, ReadOptions, Retention, RowGroupTarget,
    WriteOptions,
};

fn opts() -> WriteOptions {
    WriteOptions::new("ts")
}

fn ts_of(batch: &RecordBatch) -> Vec<i64> {
    ordo::arrow::compute::cast(batch.column_by_name("ts").unwrap(), &DataType::Int64)
        .unwrap()
        .as_primitive::<Int64Type>()
        .values()
        .to_vec()
}

#[test]
fn appends_split_by_target_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let ds = OrderedParquetDataset::open(dir.path().join("d")).unwrap();
    assert!(!dir.path().join("d").exists(), "open creates nothing");
    assert!(matches!(ds.read(), Err(Error::DatasetNotFound { .. })));
    let o = opts()
        .row_group_target_size(RowGroupTarget::Rows(4))
        .coalesce(ordo::Coalesce::Never);
    let first = ticks(&(0..12).collect::<Vec<_>>());
    let r = ds.write(&first, &o).unwrap();
    assert_eq!(
        (r.version, r.row_groups_written, r.rows_written),
        (1, 3, 12)
    );
    let second = ticks(&(12..15).collect::<Vec<_>>());
    let r = ds.write(&second, &o).unwrap();
    assert_eq!(
        (r.version, r.row_groups_written, r.row_groups_rewritten),
        (2, 1, 0)
    );
    assert_eq!(ds.num_rows(), 15);
    assert_eq!(ds.num_row_groups(), 4);
    let stats = ds.row_group_stats();
    assert_eq!(
        stats.iter().map(|s| s.num_rows).collect::<Vec<_>>(),
        vec![4, 4, 4, 3]
    );
    // Statistics are in the column's type: nanosecond timestamps.
    assert_eq!(stats[0].min, OrderedValue::from(Utc.timestamp_nanos(0)));
    assert_eq!(stats[3].max, OrderedValue::from(Utc.timestamp_nanos(14)));
    assert_eq!(stats[3].max.to_string(), "1970-01-01T00:00:00.000000014Z");
    let all = concat_batches(&first.schema(), &[first.clone(), second]).unwrap();
    assert_eq!(ds.read().unwrap(), all);
    assert!(ds.verify().unwrap().is_empty());
    // Another handle sees the same.
    let again = OrderedParquetDataset::open(dir.path().join("d")).unwrap();
    assert_eq!(again.read().unwrap(), all);
    assert_eq!(again.ordered_on().as_deref(), Some("ts"));
    assert_eq!(again.schema().unwrap(), first.schema());
}

#[test]
fn ties_never_straddle_row_groups() {
    let ds = memory_dataset();
    let ts = [1, 2, 2, 2, 2, 2, 3, 4];
    let v: Vec<i64> = (0..8).collect();
    ds.write(
        &int_batch(&ts, &v),
        &opts().row_group_target_size(RowGroupTarget::Rows(3)),
    )
    .unwrap();
    let rows: Vec<u64> = ds.row_group_stats().iter().map(|s| s.num_rows).collect();
    assert_eq!(rows, vec![6, 2]);
    assert!(ds.verify().unwrap().is_empty());
}

fn memory_dataset() -> OrderedParquetDataset {
    OrderedParquetDataset::open_with(
        "mem",
        &ordo::OpenOptions::new().storage(Arc::new(ordo::storage::MemoryStorage::new())),
    )
    .unwrap()
}

/// A batch of `n` sorted values of type `dt` in column `ts`, offset by
/// `from`, with a payload column.
fn typed_batch(dt: &DataType, from: i64, n: i64) -> RecordBatch {
    let ints: Vec<i64> = (from..from + n).map(|i| i * 3).collect();
    let col: ArrayRef = match dt {
        DataType::Utf8 => Arc::new(StringArray::from_iter_values(
            ints.iter().map(|i| format!("k{:08}", i + 1000)),
        )),
        DataType::LargeUtf8 => Arc::new(LargeStringArray::from_iter_values(
            ints.iter().map(|i| format!("k{:08}", i + 1000)),
        )),
        DataType::Utf8View => Arc::new(StringViewArray::from_iter_values(
            ints.iter().map(|i| format!("k{:08}", i + 1000)),
        )),
        DataType::Float32 | DataType::Float64 => {
            let f = Arc::new(Float64Array::from_iter_values(
                ints.iter().map(|&i| i as f64 - 7.5),
            ));
            ordo::arrow::compute::cast(&(f as ArrayRef), dt).unwrap()
        }
        _ => {
            let base = Arc::new(Int64Array::from(ints.clone())) as ArrayRef;
            ordo::arrow::compute::cast(&base, dt).unwrap()
        }
    };
    let schema = Arc::new(Schema::new(vec![
        Field::new("ts", dt.clone(), false),
        Field::new("payload", DataType::Int64, true),
    ]));
    RecordBatch::try_new(schema, vec![col, Arc::new(Int64Array::from(ints))]).unwrap()
}

fn ordered_types() -> Vec<DataType> {
    use DataType::*;
    let mut v = vec![
        Int8, Int16, Int32, Int64, UInt8, UInt16, UInt32, UInt64, Float32, Float64,
    ];
    for unit in [
        TimeUnit::Second,
        TimeUnit::Millisecond,
        TimeUnit::Microsecond,
        TimeUnit::Nanosecond,
    ] {
        v.push(Timestamp(unit, None));
        v.push(Timestamp(unit, Some("Europe/Berlin".into())));
    }
    v.extend([Date32, Date64, Utf8, LargeUtf8, Utf8View]);
    v
}

#[test]
fn every_ordered_type_round_trips_and_filters_by_range() {
    for dt in ordered_types() {
        let ds = memory_dataset();
        let o = opts().row_group_target_size(RowGroupTarget::Rows(7));
        let a = typed_batch(&dt, 0, 20);
        let b = typed_batch(&dt, 20, 15);
        ds.write(&a, &o).unwrap();
        ds.write(&b, &o).unwrap();
        let all = concat_batches(&a.schema(), &[a, b]).unwrap();
        assert_eq!(ds.read().unwrap(), all, "{dt}");
        assert!(ds.verify().unwrap().is_empty(), "{dt}");
        // Range read on stored values, compared to a filter of everything.
        let stats = ds.row_group_stats();
        let (lo, hi) = (stats[1].min.clone(), stats[3].max.clone());
        let got = ds.read_range(lo.clone(), hi.clone()).unwrap();
        let model = model_range(&all, &lo, &hi);
        assert_eq!(got, model, "{dt}");
        assert!(got.num_rows() > 0);
    }
}

/// Rows of `all` (sorted on `ts`) with `lo <= ts < hi`, computed with arrow
/// kernels on stored values (bounds taken from statistics, so exact).
fn model_range(all: &RecordBatch, lo: &OrderedValue, hi: &OrderedValue) -> RecordBatch {
    let col = all.column_by_name("ts").unwrap();
    let per_unit = match col.data_type() {
        DataType::Timestamp(TimeUnit::Second, _) => 1_000_000_000,
        DataType::Timestamp(TimeUnit::Millisecond, _) | DataType::Date64 => 1_000_000,
        DataType::Timestamp(TimeUnit::Microsecond, _) => 1_000,
        _ => 1,
    };
    let scalar = |v: &OrderedValue| -> ArrayRef {
        let a: ArrayRef = match v {
            OrderedValue::Timestamp(t) => Arc::new(Int64Array::from(vec![
                t.timestamp_nanos_opt().unwrap() / per_unit,
            ])),
            OrderedValue::Date(d) => {
                let days = d.signed_duration_since(NaiveDate::default()).num_days();
                let v = if *col.data_type() == DataType::Date64 {
                    days * 86_400_000
                } else {
                    days
                };
                Arc::new(Int64Array::from(vec![v]))
            }
            OrderedValue::Int(i) => Arc::new(Int64Array::from(vec![*i])),
            OrderedValue::UInt(u) => Arc::new(UInt64Array::from(vec![*u])),
            OrderedValue::Float(f) => Arc::new(Float64Array::from(vec![*f])),
            OrderedValue::Str(s) => Arc::new(StringArray::from(vec![s.clone()])),
            other => panic!("{other:?}"),
        };
        let target = match col.data_type() {
            DataType::Timestamp(u, tz) => DataType::Timestamp(*u, tz.clone()),
            t => t.clone(),
        };
        ordo::arrow::compute::cast(&a, &target).unwrap()
    };
    let (lo, hi) = (scalar(lo), scalar(hi));
    let ge = ordo::arrow::compute::kernels::cmp::gt_eq(col, &Scalar::new(lo)).unwrap();
    let lt = ordo::arrow::compute::kernels::cmp::lt(col, &Scalar::new(hi)).unwrap();
    let mask = ordo::arrow::compute::and(&ge, &lt).unwrap();
    filter_record_batch(all, &mask).unwrap()
}

#[test]
fn range_bounds_on_inside_and_outside_row_groups() {
    let ds = memory_dataset();
    // Row groups [0..=9], [10..=19], ... with values 0, 10, 20, ... step 10.
    let ts: Vec<i64> = (0..100).map(|i| i * 10).collect();
    let v: Vec<i64> = (0..100).collect();
    let all = int_batch(&ts, &v);
    ds.write(
        &all,
        &opts().row_group_target_size(RowGroupTarget::Rows(10)),
    )
    .unwrap();
    let bounds = [
        -50, -1, 0, 1, 5, 90, 95, 99, 100, 101, 500, 990, 991, 1000, 5000,
    ];
    for &lo in &bounds {
        for &hi in &bounds {
            let got = ds.read_range(lo, hi).unwrap();
            let want: Vec<i64> = ts.iter().copied().filter(|&t| t >= lo && t < hi).collect();
            assert_eq!(ts_of(&got), want, "[{lo}, {hi})");
        }
    }
    // Projection keeps the requested order and may omit the ordered column.
    let got = ds
        .read_with(&ReadOptions::new().columns(["v"]).start(95).end_excl(130))
        .unwrap();
    assert_eq!(got.num_columns(), 1);
    assert_eq!(
        got.column(0).as_primitive::<Int64Type>().values(),
        &[10, 11, 12]
    );
    let got = ds
        .read_with(&ReadOptions::new().columns(["v", "ts"]))
        .unwrap();
    assert_eq!(got.schema().field(0).name(), "v");
    assert!(matches!(
        ds.read_with(&ReadOptions::new().columns(["nope"])),
        Err(Error::NoSuchColumn { column, .. }) if column == "nope"
    ));
    assert!(matches!(
        ds.read_range(OrderedValue::from("x"), 5),
        Err(Error::IncompatibleValue { .. })
    ));
}

#[test]
fn timestamp_bounds_zero_and_epoch_are_real_bounds() {
    let ds = memory_dataset();
    let ts = [-2_000_000_000, -1, 0, 1, 1_500_000_000, 86_400_000_000_000];
    ds.write(
        &ticks(&ts),
        &opts().row_group_target_size(RowGroupTarget::Rows(2)),
    )
    .unwrap();
    let epoch = Utc.timestamp_opt(0, 0).unwrap();
    assert_eq!(
        ts_of(
            &ds.read_range(epoch, Utc.timestamp_opt(2, 0).unwrap())
                .unwrap()
        ),
        vec![0, 1, 1_500_000_000]
    );
    assert_eq!(ts_of(&ds.read_range(0, 1).unwrap()), vec![0]);
    assert_eq!(
        ts_of(&ds.read_range(epoch.naive_utc(), epoch.naive_utc()).unwrap()),
        Vec::<i64>::new()
    );
    let day = NaiveDate::from_ymd_opt(1970, 1, 2).unwrap();
    assert_eq!(
        ts_of(
            &ds.read_range(day, NaiveDate::from_ymd_opt(1970, 1, 3).unwrap())
                .unwrap()
        ),
        vec![86_400_000_000_000]
    );
    // Sub-unit bound rounds up: 1.5 ns -> rows >= 2 ns.
    let t = Utc.timestamp_opt(0, 1).unwrap();
    assert_eq!(
        ts_of(&ds.read_range(t, 5_000_000_000i64).unwrap()),
        vec![1, 1_500_000_000]
    );
}

#[test]
fn scan_streams_in_bounded_batches() {
    let ds = memory_dataset();
    let ts: Vec<i64> = (0..1000).collect();
    ds.write(
        &ticks(&ts),
        &opts().row_group_target_size(RowGroupTarget::Rows(300)),
    )
    .unwrap();
    let scan = ds
        .scan_with(&ReadOptions::new().batch_size(128).start(250).end_excl(800))
        .unwrap();
    assert_eq!(scan.version(), 1);
    let batches: Vec<RecordBatch> = scan.map(Result::unwrap).collect();
    assert!(
        batches
            .iter()
            .all(|b| b.num_rows() <= 128 && b.num_rows() > 0)
    );
    let got: Vec<i64> = batches.iter().flat_map(ts_of).collect();
    assert_eq!(got, (250..800).collect::<Vec<_>>());
    let total: usize = ds.scan().unwrap().map(|b| b.unwrap().num_rows()).sum();
    assert_eq!(total, 1000);
}

/// Runs `write` on a fresh dataset holding one commit and checks the error
/// and that the directory did not change at all.
fn assert_rejected(batch: &RecordBatch, o: &WriteOptions, check: impl Fn(&Error) -> bool) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d");
    let ds = OrderedParquetDataset::open(&path).unwrap();
    ds.write(&int_batch(&[1, 2, 3], &[1, 2, 3]), &opts())
        .unwrap();
    let before = dir_snapshot(dir.path());
    let err = ds.write(batch, o).unwrap_err();
    assert!(check(&err), "unexpected error: {err:?}");
    assert!(!err.to_string().is_empty());
    assert_eq!(dir_snapshot(dir.path()), before, "{err}");
    assert_eq!(ds.version(), Some(1));
    // On a path with no dataset, nothing is created either.
    let fresh = dir.path().join("fresh");
    let ds = OrderedParquetDataset::open(&fresh).unwrap();
    if ds.write(batch, o).is_err() {
        assert!(!fresh.exists(), "{err}");
    }
}

#[test]
fn bad_input_is_rejected_and_changes_nothing() {
    let schema2 = |dt: DataType, nullable: bool| {
        Arc::new(Schema::new(vec![
            Field::new("ts", DataType::Int64, false),
            Field::new("v", dt, nullable),
        ]))
    };
    assert_rejected(&int_batch(&[5, 4], &[0, 0]), &opts(), |e| {
        matches!(e, Error::Unsorted { row: 1, .. })
    });
    let nulls = RecordBatch::try_new(
        schema2(DataType::Int64, true),
        vec![
            Arc::new(Int64Array::from(vec![Some(5), None])),
            Arc::new(Int64Array::from(vec![1, 2])),
        ],
    );
    // A nullable ordered field in the data is fine, an actual null is not.
    let nulls = nulls.unwrap_or_else(|_| {
        let s = Arc::new(Schema::new(vec![
            Field::new("ts", DataType::Int64, true),
            Field::new("v", DataType::Int64, true),
        ]));
        RecordBatch::try_new(
            s,
            vec![
                Arc::new(Int64Array::from(vec![Some(5), None])),
                Arc::new(Int64Array::from(vec![1, 2])),
            ],
        )
        .unwrap()
    });
    assert_rejected(&nulls, &opts(), |e| {
        matches!(e, Error::NullInOrderedColumn { row: 1, .. })
    });
    let nan = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new("f", DataType::Float64, false)])),
        vec![Arc::new(Float64Array::from(vec![1.0, f64::NAN]))],
    )
    .unwrap();
    assert_rejected(&nan, &WriteOptions::new("f"), |e| {
        matches!(e, Error::NanInOrderedColumn { row: 1, .. })
    });
    assert_rejected(
        &int_batch(&[7], &[0]),
        &WriteOptions::new("v"),
        |e| matches!(e, Error::OrderedOnMismatch { dataset, given, .. } if dataset == "ts" && given == "v"),
    );
    assert_rejected(&int_batch(&[7], &[0]), &WriteOptions::new("nope"), |e| {
        matches!(e, Error::MissingOrderedColumn { .. })
    });
    let extra = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("ts", DataType::Int64, false),
            Field::new("v", DataType::Int64, true),
            Field::new("w", DataType::Int64, true),
        ])),
        vec![
            Arc::new(Int64Array::from(vec![9])),
            Arc::new(Int64Array::from(vec![9])),
            Arc::new(Int64Array::from(vec![9])),
        ],
    )
    .unwrap();
    assert_rejected(
        &extra,
        &opts(),
        |e| matches!(e, Error::ExtraColumn { column } if column == "w"),
    );
    let missing = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)])),
        vec![Arc::new(Int64Array::from(vec![9]))],
    )
    .unwrap();
    assert_rejected(
        &missing,
        &opts(),
        |e| matches!(e, Error::MissingColumn { column } if column == "v"),
    );
    let other_type = RecordBatch::try_new(
        schema2(DataType::Float64, true),
        vec![
            Arc::new(Int64Array::from(vec![9])),
            Arc::new(Float64Array::from(vec![3.5])),
        ],
    )
    .unwrap();
    assert_rejected(&other_type, &opts(), |e| {
        matches!(e, Error::SchemaMismatch { column, expected, found }
            if column == "v" && expected.contains("Int64") && found.contains("Float64"))
    });
    // The dataset's `ts` is non-nullable: data with a null there is refused
    // by the null check; a nullable payload into a non-nullable column:
    let strict = tempfile::tempdir().unwrap();
    let ds = OrderedParquetDataset::open(strict.path()).unwrap();
    let s = schema2(DataType::Int64, false);
    ds.write(
        &RecordBatch::try_new(
            s,
            vec![
                Arc::new(Int64Array::from(vec![1])),
                Arc::new(Int64Array::from(vec![1])),
            ],
        )
        .unwrap(),
        &opts(),
    )
    .unwrap();
    let before = dir_snapshot(strict.path());
    let with_null = RecordBatch::try_new(
        schema2(DataType::Int64, true),
        vec![
            Arc::new(Int64Array::from(vec![2])),
            Arc::new(Int64Array::from(vec![None::<i64>])),
        ],
    )
    .unwrap();
    assert!(matches!(
        ds.write(&with_null, &opts()),
        Err(Error::SchemaMismatch { .. })
    ));
    assert_eq!(dir_snapshot(strict.path()), before);
    let unsupported = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new(
            "ts",
            DataType::Boolean,
            false,
        )])),
        vec![Arc::new(BooleanArray::from(vec![true]))],
    )
    .unwrap();
    assert_rejected(&unsupported, &opts(), |e| {
        matches!(e, Error::UnsupportedOrderedType { .. })
    });
    assert_rejected(
        &int_batch(&[9], &[0]),
        &opts().row_group_target_size("1D".parse().unwrap()),
        |e| matches!(e, Error::InvalidOption { option: "row_group_target_size", reason } if reason.contains("timestamp or date")),
    );
    assert_rejected(
        &int_batch(&[9], &[0]),
        &opts().row_group_target_size(RowGroupTarget::Rows(0)),
        |e| {
            matches!(
                e,
                Error::InvalidOption {
                    option: "row_group_target_size",
                    ..
                }
            )
        },
    );
    assert_rejected(
        &int_batch(&[9], &[0]),
        &opts().duplicates_on(ordo::DuplicatesOn::Columns(vec!["zz".into()])),
        |e| {
            matches!(
                e,
                Error::InvalidOption {
                    option: "duplicates_on",
                    ..
                }
            )
        },
    );
    assert!(matches!(
        "abc".parse::<RowGroupTarget>(),
        Err(Error::InvalidOption { .. })
    ));
}

#[test]
fn key_value_metadata_is_committed_with_the_data() {
    let ds = memory_dataset();
    let r = ds
        .write(
            &int_batch(&[1], &[1]),
            &opts().key_value_metadata([("a", Some("1")), ("b", Some("2"))]),
        )
        .unwrap();
    assert_eq!(r.version, 1);
    // Metadata only, no rows: a new version.
    let empty = int_batch(&[], &[]);
    let r = ds
        .write(
            &empty,
            &opts().key_value_metadata([("a", Some("x")), ("b", None::<&str>), ("c", Some("3"))]),
        )
        .unwrap();
    assert!(r.committed);
    assert_eq!(r.version, 2);
    let kv = ds.key_value_metadata();
    assert_eq!(kv.get("a").map(String::as_str), Some("x"));
    assert_eq!(kv.get("b"), None);
    assert_eq!(kv.get("c").map(String::as_str), Some("3"));
    // Nothing to do: no new version.
    let r = ds
        .write(&empty, &opts().key_value_metadata([("a", Some("x"))]))
        .unwrap();
    assert!(!r.committed);
    assert_eq!(ds.version(), Some(2));
    assert_eq!(
        ds.at_version(1)
            .unwrap()
            .key_value_metadata()
            .get("a")
            .map(String::as_str),
        Some("1")
    );
    // An empty first write creates an empty dataset.
    let fresh = memory_dataset();
    let r = fresh.write(&empty, &opts()).unwrap();
    assert_eq!((r.version, fresh.num_rows()), (1, 0));
    assert_eq!(fresh.read().unwrap().num_rows(), 0);
}

#[test]
fn pinned_reader_survives_commits_and_gc() {
    let dir = tempfile::tempdir().unwrap();
    let keep_two = Retention::default()
        .keep_versions(2)
        .keep_younger_than(Duration::ZERO);
    let with_keep_two = ordo::OpenOptions::new().retention(keep_two.clone());
    let ds = OrderedParquetDataset::open_with(dir.path(), &with_keep_two).unwrap();
    let o = opts().row_group_target_size(RowGroupTarget::Rows(5));
    ds.write(&int_batch(&[0, 1, 2], &[0, 1, 2]), &o).unwrap();
    let reader = OrderedParquetDataset::open(dir.path()).unwrap();
    let scan = reader.scan().unwrap();
    for i in 1..20 {
        ds.write(&int_batch(&[i * 10], &[i]), &o).unwrap();
    }
    // The pinned handle still sees version 1 until refreshed.
    assert_eq!(reader.version(), Some(1));
    assert_eq!(reader.num_rows(), 3);
    // Version 1 files are gone after GC beyond retention...
    let report = ds.gc(&keep_two).unwrap();
    assert_eq!(ds.versions().unwrap(), vec![19, 20]);
    assert!(report.versions_deleted.is_empty() || report.versions_deleted.iter().all(|&v| v < 19));
    assert!(matches!(
        ds.at_version(1),
        Err(Error::VersionNotFound { version: 1, .. })
    ));
    // ... but the retained ones stay readable.
    assert_eq!(ds.at_version(19).unwrap().num_rows(), 21);
    drop(scan);
    reader.refresh().unwrap();
    assert_eq!(reader.num_rows(), 22);
    assert!(reader.verify().unwrap().is_empty());
    // Only files of retained versions remain.
    let files = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(files, ds.num_row_groups() + 1, "data files plus _ordo");
}

#[test]
fn a_reader_within_retention_keeps_reading_while_gc_runs() {
    let dir = tempfile::tempdir().unwrap();
    let ds = OrderedParquetDataset::open(dir.path()).unwrap();
    let o = opts().row_group_target_size(RowGroupTarget::Rows(4));
    ds.write(&int_batch(&(0..40).collect::<Vec<_>>(), &[0; 40]), &o)
        .unwrap();
    let reader = OrderedParquetDataset::open(dir.path()).unwrap();
    let mut scan = reader.scan_with(&ReadOptions::new().batch_size(4)).unwrap();
    let first = scan.next().unwrap().unwrap();
    for i in 0..30 {
        ds.write(&int_batch(&[100 + i], &[1]), &o).unwrap();
        ds.gc(&Retention::default()).unwrap(); // default keeps 15 minutes
    }
    let rest: usize = scan.map(|b| b.unwrap().num_rows()).sum();
    assert_eq!(first.num_rows() + rest, 40);
    assert_eq!(reader.at_version(1).unwrap().read().unwrap().num_rows(), 40);
}

#[test]
fn remove_deletes_the_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d");
    let ds = OrderedParquetDataset::open(&path).unwrap();
    ds.write(&int_batch(&[1, 2], &[1, 2]), &opts()).unwrap();
    std::fs::write(path.join("notes.txt"), "mine").unwrap();
    ds.remove().unwrap();
    assert_eq!(ds.version(), None);
    let left: Vec<_> = std::fs::read_dir(&path)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        left,
        vec![std::ffi::OsString::from("notes.txt")],
        "foreign files stay"
    );
    assert!(matches!(
        OrderedParquetDataset::open(&path).unwrap().read(),
        Err(Error::DatasetNotFound { .. })
    ));
    // A new dataset can start there, with another schema.
    let ds = OrderedParquetDataset::open(&path).unwrap();
    ds.write(&ticks(&[5]), &opts()).unwrap();
    assert_eq!(ds.num_rows(), 1);
}

#[test]
fn free_write_function() {
    let dir = tempfile::tempdir().unwrap();
    let r = ordo::write(dir.path(), &int_batch(&[1], &[1]), &opts()).unwrap();
    assert_eq!(r.version, 1);
    let r = ordo::write(dir.path(), &int_batch(&[2], &[1]), &opts()).unwrap();
    assert_eq!(r.version, 2);
    assert_eq!(
        OrderedParquetDataset::open(dir.path()).unwrap().num_rows(),
        2
    );
}

#[test]
fn verify_reports_tampered_files() {
    let dir = tempfile::tempdir().unwrap();
    let ds = OrderedParquetDataset::open(dir.path()).unwrap();
    ds.write(
        &int_batch(&(0..50).collect::<Vec<_>>(), &[7; 50]),
        &opts().row_group_target_size(RowGroupTarget::Rows(20)),
    )
    .unwrap();
    let stats = ds.row_group_stats();
    // Replace the second file by a valid Parquet file with other rows.
    let other = tempfile::tempdir().unwrap();
    let od = OrderedParquetDataset::open(other.path()).unwrap();
    od.write(&int_batch(&[100, 101], &[0, 0]), &opts()).unwrap();
    let donor = other.path().join(&od.row_group_stats()[0].file);
    std::fs::copy(donor, dir.path().join(&stats[1].file)).unwrap();
    // Truncate the third.
    let third = dir.path().join(&stats[2].file);
    let bytes = std::fs::read(&third).unwrap();
    std::fs::write(&third, &bytes[..bytes.len() / 2]).unwrap();
    let problems = ds.verify().unwrap();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert_eq!(problems[0].file, stats[1].file);
    assert_eq!(problems[1].file, stats[2].file);
    assert!(matches!(ds.read(), Err(Error::CorruptRowGroup { .. })));
}

#[test]
fn corrupt_or_foreign_state_gives_specific_errors() {
    let dir = tempfile::tempdir().unwrap();
    let ds = OrderedParquetDataset::open(dir.path()).unwrap();
    ds.write(&int_batch(&[1, 2], &[1, 2]), &opts()).unwrap();
    let manifest = dir.path().join("_ordo/manifests/00000000000000000001.json");
    let good = std::fs::read(&manifest).unwrap();

    std::fs::write(&manifest, b"{ not json").unwrap();
    let err = OrderedParquetDataset::open(dir.path()).unwrap_err();
    assert!(
        matches!(&err, Error::CorruptManifest { path, .. } if path.ends_with("00000000000000000001.json")),
        "{err}"
    );

    let mut v: serde_json::Value = serde_json::from_slice(&good).unwrap();
    v["format_version"] = 99.into();
    std::fs::write(&manifest, serde_json::to_vec(&v).unwrap()).unwrap();
    assert!(matches!(
        OrderedParquetDataset::open(dir.path()),
        Err(Error::UnsupportedFormatVersion {
            found: 99,
            supported: 2,
            ..
        })
    ));

    std::fs::write(&manifest, &good).unwrap();
    let ds = OrderedParquetDataset::open(dir.path()).unwrap();
    std::fs::remove_file(dir.path().join(&ds.row_group_stats()[0].file)).unwrap();
    assert!(matches!(
        ds.read(),
        Err(Error::MissingRowGroupFile { version: 1, .. })
    ));
    assert_eq!(ds.verify().unwrap().len(), 1);
}

#[test]
fn remove_of_nothing_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("never");
    OrderedParquetDataset::open(&path)
        .unwrap()
        .remove()
        .unwrap();
    assert!(!path.exists());
}

#[test]
fn a_noop_write_moves_the_handle_to_the_latest_version() {
    let dir = tempfile::tempdir().unwrap();
    let a = OrderedParquetDataset::open(dir.path()).unwrap();
    a.write(&int_batch(&[1], &[1]), &opts()).unwrap();
    let b = OrderedParquetDataset::open(dir.path()).unwrap();
    a.write(&int_batch(&[2], &[2]), &opts()).unwrap();
    assert_eq!(b.version(), Some(1));
    let r = b.write(&int_batch(&[], &[]), &opts()).unwrap();
    assert!(!r.committed);
    assert_eq!((r.version, b.version()), (2, Some(2)));
    // A handle pinned to an old version writes on top of the latest.
    let old = b.at_version(1).unwrap();
    let r = old.write(&int_batch(&[3], &[3]), &opts()).unwrap();
    assert_eq!((r.version, old.num_rows()), (3, 3));
}

#[test]
fn row_group_files_are_plain_parquet_with_ordo_settings() {
    use ordo::parquet::basic::{Compression, Encoding};
    use ordo::parquet::file::reader::{FileReader, SerializedFileReader};
    let dir = tempfile::tempdir().unwrap();
    let ds = OrderedParquetDataset::open(dir.path()).unwrap();
    ds.write(&ticks(&(0..5000).collect::<Vec<_>>()), &opts())
        .unwrap();
    let file = std::fs::File::open(dir.path().join(&ds.row_group_stats()[0].file)).unwrap();
    let reader = SerializedFileReader::new(file).unwrap();
    let meta = reader.metadata();
    assert_eq!(meta.num_row_groups(), 1);
    let rg = meta.row_group(0);
    let sorting = rg.sorting_columns().expect("sorting_columns set");
    assert_eq!((sorting[0].column_idx, sorting[0].descending), (0, false));
    let ts = rg.column(0);
    assert!(matches!(ts.compression(), Compression::ZSTD(_)));
    assert!(ts.encodings().any(|e| e == Encoding::DELTA_BINARY_PACKED));
    assert!(
        !ts.encodings()
            .any(|e| e == Encoding::RLE_DICTIONARY || e == Encoding::PLAIN_DICTIONARY)
    );
    assert!(ts.statistics().is_some());
    assert!(
        ts.column_index_offset().is_some() && ts.offset_index_offset().is_some(),
        "page index"
    );
    // The Arrow schema travels with the file: other readers get the types.
    assert!(
        meta.file_metadata()
            .key_value_metadata()
            .unwrap()
            .iter()
            .any(|kv| kv.key == "ARROW:schema")
    );
}

#[test]
fn relative_paths_work() {
    let dir = tempfile::tempdir_in(".").unwrap();
    let relative = std::path::Path::new(dir.path().file_name().unwrap()).join("a/b");
    let ds = OrderedParquetDataset::open(&relative).unwrap();
    ds.write(&int_batch(&[1], &[1]), &opts()).unwrap();
    assert_eq!(
        OrderedParquetDataset::open(&relative).unwrap().num_rows(),
        1
    );
}

#[test]
fn appends_conform_string_kinds_and_all_null_columns() {
    let dir = tempfile::tempdir().unwrap();
    let ds = OrderedParquetDataset::open(dir.path()).unwrap();
    let schema = |s: DataType, v: DataType| {
        Arc::new(Schema::new(vec![
            Field::new("ts", DataType::Int64, false),
            Field::new("s", s, true),
            Field::new("v", v, true),
        ]))
    };
    // As pandas writes it: large strings.
    let first = RecordBatch::try_new(
        schema(DataType::LargeUtf8, DataType::Float64),
        vec![
            Arc::new(Int64Array::from(vec![1, 2])),
            Arc::new(LargeStringArray::from(vec!["a", "b"])),
            Arc::new(Float64Array::from(vec![1.5, 2.5])),
        ],
    )
    .unwrap();
    ds.write(&first, &opts()).unwrap();
    // As a CSV reader infers a day whose `v` is empty: Utf8 and Null.
    let day = RecordBatch::try_new(
        schema(DataType::Utf8, DataType::Null),
        vec![
            Arc::new(Int64Array::from(vec![3, 4])),
            Arc::new(StringArray::from(vec![Some("c"), None])),
            Arc::new(NullArray::new(2)),
        ],
    )
    .unwrap();
    ds.write(&day, &opts()).unwrap();
    let all = ds.read().unwrap();
    assert_eq!(all.schema(), first.schema());
    assert_eq!(
        all.column(1).as_string::<i64>().iter().collect::<Vec<_>>(),
        vec![Some("a"), Some("b"), Some("c"), None]
    );
    assert_eq!(all.column(2).null_count(), 2);
    // A lossy change is still refused, naming the column; nothing changes.
    let before = dir_snapshot(dir.path());
    let ints = RecordBatch::try_new(
        schema(DataType::Utf8, DataType::Int64),
        vec![
            Arc::new(Int64Array::from(vec![5])),
            Arc::new(StringArray::from(vec!["e"])),
            Arc::new(Int64Array::from(vec![5])),
        ],
    )
    .unwrap();
    let err = ds.write(&ints, &opts()).unwrap_err();
    assert!(
        matches!(&err, Error::SchemaMismatch { column, .. } if column == "v"),
        "{err}"
    );
    assert_eq!(dir_snapshot(dir.path()), before);
}

#[test]
fn writes_and_compactions_that_change_nothing_commit_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ds = OrderedParquetDataset::open(dir.path()).unwrap();
    let o = opts()
        .row_group_target_size(RowGroupTarget::Rows(4))
        .duplicates_on(ordo::DuplicatesOn::Columns(vec![]));
    let rows: Vec<i64> = (0..10).collect();
    ds.write(&int_batch(&rows, &rows), &o).unwrap();
    let four = ordo::CompactOptions::new().row_group_target_size(RowGroupTarget::Rows(4));
    ds.compact(&four).unwrap();
    let version = ds.version();
    let before = dir_snapshot(dir.path());
    // The same rows again, and a subset of them: every row a duplicate
    // equal to the one it would replace.
    for (ts, v) in [(&rows[..], &rows[..]), (&rows[3..6], &rows[3..6])] {
        let r = ds.write(&int_batch(ts, v), &o).unwrap();
        assert!(!r.committed, "{r:?}");
        assert_eq!((r.row_groups_written, r.row_groups_rewritten), (0, 0));
        assert_eq!(ds.version(), version);
    }
    let r = ds.compact(&four).unwrap();
    assert!(!r.committed, "{r:?}");
    assert_eq!(dir_snapshot(dir.path()), before);
    // A changed value is a change.
    let r = ds.write(&int_batch(&[4], &[40]), &o).unwrap();
    assert!(r.committed);
    assert_eq!(ds.num_rows(), 10);
}

#[test]
fn retention_counts_a_version_s_age_from_its_replacement() {
    let dir = tempfile::tempdir().unwrap();
    let ds = OrderedParquetDataset::open(dir.path()).unwrap();
    ds.write(&int_batch(&[1], &[1]), &opts()).unwrap();
    std::thread::sleep(Duration::from_millis(1_200));
    ds.write(&int_batch(&[2], &[2]), &opts()).unwrap();
    ds.write(&int_batch(&[3], &[3]), &opts()).unwrap();
    let keep = Retention::default()
        .keep_versions(1)
        .keep_younger_than(Duration::from_secs(1));
    // Version 1 was created more than 1 s ago but replaced just now: a
    // reader that opened it while it was the latest still reads it.
    ds.gc(&keep).unwrap();
    assert_eq!(ds.versions().unwrap(), vec![1, 2, 3]);
    std::thread::sleep(Duration::from_millis(1_200));
    let report = ds.gc(&keep).unwrap();
    assert_eq!(report.versions_deleted, vec![1, 2]);
    assert_eq!(ds.versions().unwrap(), vec![3]);
}

#[test]
fn statistics_and_errors_show_values_in_the_column_type() {
    let dir = tempfile::tempdir().unwrap();
    let zone = "Europe/Berlin";
    let ts = DataType::Timestamp(TimeUnit::Second, Some(zone.into()));
    let schema = Arc::new(Schema::new(vec![
        Field::new("ts", ts, false),
        Field::new("day", DataType::Date32, false),
    ]));
    let batch = |secs: Vec<i64>| {
        let days: Vec<i32> = secs.iter().map(|s| (s / 86_400) as i32).collect();
        RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(TimestampSecondArray::from(secs).with_timezone(zone)),
                Arc::new(Date32Array::from(days)),
            ],
        )
        .unwrap()
    };
    let ds = OrderedParquetDataset::open(dir.path().join("t")).unwrap();
    // 2024-07-01T00:00:00Z and 2024-07-02T00:00:00Z.
    ds.write(&batch(vec![1_719_792_000, 1_719_878_400]), &opts())
        .unwrap();
    let stats = &ds.row_group_stats()[0];
    let t = Utc.with_ymd_and_hms(2024, 7, 1, 0, 0, 0).unwrap();
    assert_eq!(stats.min, OrderedValue::from(t));
    assert_eq!(stats.min.to_string(), "2024-07-01T02:00:00+02:00");
    assert_eq!(stats.max.to_string(), "2024-07-02T02:00:00+02:00");
    let err = ds
        .write(&batch(vec![1_719_878_400, 1_719_792_000]), &opts())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "data is not sorted on `ts`: row 1 (counted from 0) holds 2024-07-01T02:00:00+02:00, \
         which comes after a larger value (2024-07-02T02:00:00+02:00)"
    );
    // A date column's statistics are dates.
    let by_day = OrderedParquetDataset::open(dir.path().join("d")).unwrap();
    by_day
        .write(
            &batch(vec![1_719_792_000, 1_719_878_400]),
            &WriteOptions::new("day"),
        )
        .unwrap();
    let stats = &by_day.row_group_stats()[0];
    let d = NaiveDate::from_ymd_opt(2024, 7, 1).unwrap();
    assert_eq!(stats.min, OrderedValue::Date(d));
    assert_eq!(stats.max.to_string(), "2024-07-02");
    // Bounds taken from the statistics select exactly.
    let r = ds.read_range(stats.min.clone(), stats.max.clone()).unwrap();
    assert_eq!(r.num_rows(), 1);
}

#[test]
fn gc_deletes_what_interrupted_publications_left_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let ds = OrderedParquetDataset::open(dir.path()).unwrap();
    ds.write(&int_batch(&[1], &[1]), &opts()).unwrap();
    let manifests = dir.path().join("_ordo/manifests");
    // A publication of version 2 that died between its temporary file and
    // the link, and a file of someone else's.
    let left = ".00000000000000000002.json.00000000deadbeef.tmp";
    std::fs::write(manifests.join(left), b"{\"partial").unwrap();
    std::fs::write(manifests.join("notes.tmp"), b"mine").unwrap();
    let report = ds.gc(&Retention::default()).unwrap();
    assert_eq!(
        report.files_deleted,
        vec![format!("_ordo/manifests/{left}")]
    );
    assert!(!manifests.join(left).exists());
    assert!(manifests.join("notes.tmp").exists());
    assert_eq!(ds.versions().unwrap(), vec![1]);
}
