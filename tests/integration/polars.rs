//! Polars DataFrames in and out (feature `polars`): round trips for every
//! ordered type and the common column types, ranges, deduplication,
//! intersections, representation changes, conversion errors, and shared
//! buffers.
#![cfg(feature = "polars")]

use std::sync::Arc;

use ordo::arrow::array::{
    ArrayRef as ArrowArrayRef, AsArray, Decimal128Array, DictionaryArray, Float32Array, Int64Array,
    LargeBinaryArray, LargeStringArray, RecordBatch, StringArray, TimestampMillisecondArray,
    TimestampSecondArray,
};
use ordo::arrow::datatypes::{
    DataType as ArrowType, Field as ArrowField, Float64Type as ArrowF64, Int32Type as ArrowI32,
    Schema as ArrowSchema, TimeUnit as ArrowUnit,
};
use ordo::chrono::{NaiveDate, TimeZone as _, Utc};
use ordo::df::{df_to_record_batch, record_batch_to_df};
use ordo::polars::prelude::*;
use ordo::{
    DuplicatesOn, Error, IntersectOptions, OrderedParquetDataset, OrderedValue, ReadOptions,
    RowGroupTarget, Store, WriteOptions,
};

fn zone(name: &str) -> Option<ordo::polars::prelude::TimeZone> {
    ordo::polars::prelude::TimeZone::opt_try_new(Some(name)).unwrap()
}

/// `values` (ascending) as a column of `dtype`, cast from Int64.
fn ordered(name: &str, values: &[i64], dtype: &DataType) -> Column {
    Series::new(name.into(), values)
        .cast(dtype)
        .unwrap()
        .into_column()
}

/// A frame with `ts` of `dtype` and a nullable float column.
fn frame(ts: Column) -> DataFrame {
    let n = ts.len();
    let v: Vec<Option<f64>> = (0..n)
        .map(|i| (i % 3 != 1).then_some(i as f64 / 4.0))
        .collect();
    DataFrame::new(n, vec![ts, Column::new("v".into(), v)]).unwrap()
}

fn dataset() -> (tempfile::TempDir, OrderedParquetDataset) {
    let dir = tempfile::tempdir().unwrap();
    let ds = OrderedParquetDataset::open(dir.path().join("d")).unwrap();
    (dir, ds)
}

/// Writes `df` in two parts (the second overlapping the first's end, so
/// the merge path runs), reads it back through both paths and compares.
fn round_trip(df: &DataFrame) {
    let (_dir, ds) = dataset();
    let opts = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(3));
    let n = df.height();
    ds.write_df(&df.slice(0, n / 2), &opts).unwrap();
    ds.write_df(&df.slice((n / 2) as i64, n - n / 2), &opts)
        .unwrap();
    assert!(ds.num_row_groups() > 1);
    let back = ds.read_df().unwrap();
    assert!(back.equals_missing(df), "{df}\nread back as\n{back}");
    assert_eq!(back.schema(), df.schema());
    // The Arrow path agrees: same batch, same frame.
    let batch = ds.read().unwrap();
    assert_eq!(batch, df_to_record_batch(df).unwrap());
    assert!(record_batch_to_df(&batch).unwrap().equals_missing(df));
}

#[test]
fn every_ordered_type_round_trips() {
    let ts: Vec<i64> = vec![-5, 0, 0, 3, 7, 7, 7, 12, 40, 41];
    let unsigned: Vec<i64> = ts.iter().map(|t| t + 5).collect();
    use DataType::*;
    let signed = [Int8, Int16, Int32, Int64, Float32, Float64, Date];
    let times = [
        Datetime(TimeUnit::Nanoseconds, None),
        Datetime(TimeUnit::Microseconds, None),
        Datetime(TimeUnit::Milliseconds, None),
        Datetime(TimeUnit::Nanoseconds, zone("Europe/Berlin")),
        Datetime(TimeUnit::Microseconds, zone("UTC")),
        Datetime(TimeUnit::Milliseconds, zone("+03:00")),
        Datetime(TimeUnit::Milliseconds, zone("America/New_York")),
    ];
    for dtype in signed.iter().chain(&times) {
        round_trip(&frame(ordered("ts", &ts, dtype)));
    }
    for dtype in [UInt8, UInt16, UInt32, UInt64] {
        round_trip(&frame(ordered("ts", &unsigned, &dtype)));
    }
    let strings: Vec<std::string::String> = ts.iter().map(|t| format!("k{:03}", t + 5)).collect();
    round_trip(&frame(Column::new("ts".into(), strings)));
}

/// Every common column type, with nulls, next to an Int64 ordered column.
fn all_types() -> DataFrame {
    use DataType::*;
    let n = 6;
    let ints: Vec<Option<i64>> = vec![Some(-3), None, Some(0), Some(i64::MAX), None, Some(7)];
    let cast = |name: &str, dtype: &DataType| {
        Series::new(name.into(), &ints)
            .cast(dtype)
            .unwrap()
            .into_column()
    };
    let mut columns = vec![Column::new("ts".into(), (0..n as i64).collect::<Vec<_>>())];
    for (name, dtype) in [
        ("i8", Int8),
        ("i16", Int16),
        ("i32", Int32),
        ("u8", UInt8),
        ("u16", UInt16),
        ("u32", UInt32),
        ("u64", UInt64),
        ("f32", Float32),
        ("f64", Float64),
        ("date", Date),
        ("naive", Datetime(TimeUnit::Microseconds, None)),
        ("zoned", Datetime(TimeUnit::Nanoseconds, zone("Asia/Tokyo"))),
        ("span", Duration(TimeUnit::Milliseconds)),
    ] {
        // Casting drops what does not fit (i64::MAX in an i8): more nulls.
        columns.push(cast(name, &dtype));
    }
    columns.push(Column::new("i64".into(), &ints));
    columns.push(Column::new(
        "flag".into(),
        [Some(true), None, Some(false), Some(true), Some(false), None],
    ));
    let long = "a string longer than twelve bytes, kept out of line";
    columns.push(Column::new(
        "text".into(),
        [Some("é"), None, Some(""), Some(long), Some("x"), None],
    ));
    let bytes: [Option<&[u8]>; 6] = [Some(b"\x00\x01"), None, Some(b""), Some(b"z"), None, None];
    columns.push(Column::new("bytes".into(), bytes));
    columns.push(
        Series::new(
            "clock".into(),
            [Some(1_000_000_000i64), None, Some(0), None, None, None],
        )
        .cast(&Time)
        .unwrap()
        .into_column(),
    );
    let lists = [
        Series::new("".into(), [1i64, 2]),
        Series::new("".into(), [None::<i64>]),
        Series::new_empty("".into(), &Int64),
        Series::new("".into(), [3i64]),
        Series::new("".into(), [4i64, 5, 6]),
        Series::new("".into(), [7i64]),
    ];
    columns.push(Column::new("list".into(), lists));
    columns.push(Column::full_null("nothing".into(), n, &Null));
    DataFrame::new(n, columns).unwrap()
}

#[test]
fn common_column_types_round_trip_with_nulls() {
    round_trip(&all_types());
}

#[test]
fn ranges_projections_and_empty_reads() {
    let (_dir, ds) = dataset();
    let berlin = DataType::Datetime(TimeUnit::Milliseconds, zone("Europe/Berlin"));
    let hour = 3_600_000;
    let ts: Vec<i64> = (0..48).map(|h| 1_704_067_200_000 + h * hour).collect(); // 2024-01-01 UTC
    let df = frame(ordered("ts", &ts, &berlin));
    let opts = WriteOptions::new("ts").row_group_target_size("1D".parse().unwrap());
    ds.write_df(&df, &opts).unwrap();
    // Days are cut in the column's zone: 2024-01-01 00:00 UTC is 01:00 in
    // Berlin, so 23 + 24 + 1 rows.
    assert_eq!(ds.num_row_groups(), 3);
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 10, 0, 0).unwrap();
    let end = Utc.with_ymd_and_hms(2024, 1, 2, 2, 0, 0).unwrap();
    let some = ds.read_range_df(start, end).unwrap();
    assert!(some.equals_missing(&df.slice(10, 16)));
    let day = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    let v = ds
        .read_with_df(&ReadOptions::new().columns(["v"]).start(day))
        .unwrap();
    assert!(v.equals_missing(&df.select(["v"]).unwrap().slice(24, 24)));
    // One polars chunk per row group read, no concatenation.
    assert_eq!(v.column("v").unwrap().n_chunks(), 2);
    // Nothing in range: an empty frame with the dataset's columns.
    let none = ds
        .read_range_df(OrderedValue::Int(0), OrderedValue::Int(1))
        .unwrap();
    assert_eq!(none.shape(), (0, 2));
    assert_eq!(none.schema(), df.schema());
    // Reads of a dataset that does not exist fail as with Arrow.
    let (_d, empty) = dataset();
    assert!(matches!(
        empty.read_df(),
        Err(Error::DatasetNotFound { .. })
    ));
    let missing = ds.read_with_df(&ReadOptions::new().columns(["nope"]));
    assert!(matches!(missing, Err(Error::NoSuchColumn { column, .. }) if column == "nope"));
}

#[test]
fn string_ordered_ranges_and_deduplication() {
    let (_dir, ds) = dataset();
    let opts = WriteOptions::new("id")
        .duplicates_on(DuplicatesOn::Columns(vec![]))
        .key_value_metadata([("from", Some("polars"))]);
    let first = df!("id" => ["a", "b", "c", "d"], "n" => [1i32, 2, 3, 4]).unwrap();
    ds.write_df(&first, &opts).unwrap();
    // "b" and "d" again, twice: the last row wins, new beats old.
    let again = df!("id" => ["b", "b", "d", "e"], "n" => [20i32, 21, 40, 50]).unwrap();
    let report = ds.write_df(&again, &opts).unwrap();
    assert_eq!(report.version, 2);
    let want = df!("id" => ["a", "b", "c", "d", "e"], "n" => [1i32, 21, 3, 40, 50]).unwrap();
    assert!(ds.read_df().unwrap().equals(&want));
    let mid = ds.read_range_df("b", "d").unwrap();
    assert!(mid.equals(&want.slice(1, 2)));
    assert_eq!(ds.key_value_metadata()["from"], "polars");

    // All columns as the duplicate key: only identical rows collapse.
    let all = WriteOptions::new("id").duplicates_on(DuplicatesOn::All);
    ds.write_df(&df!("id" => ["e", "e"], "n" => [50i32, 51]).unwrap(), &all)
        .unwrap();
    assert_eq!(ds.num_rows(), 6);
}

#[test]
fn failed_writes_change_nothing() {
    let (_dir, ds) = dataset();
    let opts = WriteOptions::new("ts");
    ds.write_df(&df!("ts" => [1i64, 2], "v" => [1.0, 2.0]).unwrap(), &opts)
        .unwrap();
    let unsorted = df!("ts" => [5i64, 4], "v" => [1.0, 2.0]).unwrap();
    assert!(matches!(
        ds.write_df(&unsorted, &opts),
        Err(Error::Unsorted { .. })
    ));
    let null_ts = df!("ts" => [Some(5i64), None], "v" => [1.0, 2.0]).unwrap();
    assert!(matches!(
        ds.write_df(&null_ts, &opts),
        Err(Error::NullInOrderedColumn { row: 1, .. })
    ));
    let other_type = df!("ts" => [7i64], "v" => [1i32]).unwrap();
    match ds.write_df(&other_type, &opts) {
        Err(Error::SchemaMismatch {
            column,
            expected,
            found,
        }) => {
            assert_eq!(column, "v");
            assert!(expected.starts_with("Float64"), "{expected}");
            assert!(found.starts_with("Int32"), "{found}");
        }
        other => panic!("{other:?}"),
    }
    let no_ts = df!("v" => [1.0]).unwrap();
    assert!(matches!(
        ds.write_df(&no_ts, &opts),
        Err(Error::MissingOrderedColumn { .. })
    ));
    assert_eq!((ds.version(), ds.num_rows()), (Some(1), 2));
}

#[test]
fn multi_chunk_frames_are_written_whole() {
    let (_dir, ds) = dataset();
    let mut df = df!("ts" => [1i64, 2], "s" => ["a", "b"]).unwrap();
    df.vstack_mut(&df!("ts" => [3i64], "s" => ["c"]).unwrap())
        .unwrap();
    assert_eq!(df.first_col_n_chunks(), 2);
    ds.write_df(&df, &WriteOptions::new("ts")).unwrap();
    assert!(ds.read_df().unwrap().equals(&df));
}

/// A dataset created from Arrow with representations polars does not
/// produce (`Utf8`, `LargeBinary`, a zone spelled `+00:00`, a
/// non-nullable ordered column) takes DataFrame writes in those types.
#[test]
fn frames_take_the_stored_representation() {
    let (_dir, ds) = dataset();
    let ts_type = ArrowType::Timestamp(ArrowUnit::Millisecond, Some("+00:00".into()));
    let schema = Arc::new(ArrowSchema::new(vec![
        ArrowField::new("ts", ts_type.clone(), false),
        ArrowField::new("name", ArrowType::Utf8, true),
        ArrowField::new("blob", ArrowType::LargeBinary, true),
        ArrowField::new("other", ArrowType::LargeUtf8, true),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(TimestampMillisecondArray::from(vec![1, 2]).with_timezone("+00:00")),
            Arc::new(StringArray::from(vec![Some("a"), None])),
            Arc::new(LargeBinaryArray::from_opt_vec(vec![Some(b"x"), None])),
            Arc::new(LargeStringArray::from(vec!["p", "q"])),
        ],
    )
    .unwrap();
    ds.write(&batch, &WriteOptions::new("ts")).unwrap();

    // Read: the zone is polars' spelling, strings are polars strings.
    let read = ds.read_df().unwrap();
    let utc = DataType::Datetime(TimeUnit::Milliseconds, zone("UTC"));
    assert_eq!(read.column("ts").unwrap().dtype(), &utc);
    assert_eq!(read.column("name").unwrap().dtype(), &DataType::String);

    // Write back in polars' own types.
    let more = df!(
        "other" => ["r"],
        "ts" => [3i64],
        "name" => ["c"],
        "blob" => [b"y".as_slice()],
    )
    .unwrap();
    let mut more = more;
    more.apply("ts", |c| c.cast(&utc).unwrap()).unwrap();
    ds.write_df(&more, &WriteOptions::new("ts")).unwrap();
    let all = ds.read().unwrap();
    assert_eq!(all.schema(), schema);
    assert_eq!(all.num_rows(), 3);
    assert_eq!(all.column(1).as_string::<i32>().value(2), "c");
    assert!(ds.read_df().unwrap().tail(Some(1)).equals_missing(&{
        let mut want = more.select(["ts", "name", "blob", "other"]).unwrap();
        want.rechunk_mut();
        want
    }));

    // A zone that only looks alike is a real difference.
    let paris = DataType::Datetime(TimeUnit::Milliseconds, zone("Europe/Paris"));
    let mut elsewhere = more.clone();
    elsewhere.apply("ts", |c| c.cast(&paris).unwrap()).unwrap();
    assert!(matches!(
        ds.write_df(&elsewhere, &WriteOptions::new("ts")),
        Err(Error::SchemaMismatch { column, .. }) if column == "ts"
    ));
}

/// Arrow types polars stores differently are converted on read, as the
/// module docs' table says.
#[test]
fn arrow_representations_read_as_polars_types() {
    use ordo::arrow::array::{Date64Array, DurationSecondArray, ListArray, Time32MillisecondArray};
    use ordo::arrow::datatypes::Int32Type as ArrowI32Type;
    let (_dir, ds) = dataset();
    let batch = RecordBatch::try_from_iter([
        (
            "ts",
            Arc::new(TimestampSecondArray::from(vec![1, 2]).with_timezone("Europe/Berlin"))
                as ArrowArrayRef,
        ),
        ("day", Arc::new(Date64Array::from(vec![86_400_000, 0]))),
        (
            "clock",
            Arc::new(Time32MillisecondArray::from(vec![1_000, 2_000])),
        ),
        (
            "span",
            Arc::new(DurationSecondArray::from(vec![Some(3), None])),
        ),
        ("text", Arc::new(LargeStringArray::from(vec!["a", "b"]))),
        (
            "list",
            Arc::new(ListArray::from_iter_primitive::<ArrowI32Type, _, _>(vec![
                Some(vec![Some(1), None]),
                None,
            ])),
        ),
    ])
    .unwrap();
    ds.write(&batch, &WriteOptions::new("ts")).unwrap();
    let df = ds.read_df().unwrap();
    let berlin = zone("Europe/Berlin");
    let want = [
        DataType::Datetime(TimeUnit::Milliseconds, berlin),
        DataType::Datetime(TimeUnit::Milliseconds, None),
        DataType::Time,
        DataType::Duration(TimeUnit::Milliseconds),
        DataType::String,
        DataType::List(Box::new(DataType::Int32)),
    ];
    assert_eq!(df.dtypes(), want);
    let ts = df
        .column("ts")
        .unwrap()
        .datetime()
        .unwrap()
        .physical()
        .get(1);
    assert_eq!(ts, Some(2_000));
    assert_eq!(
        df.column("day")
            .unwrap()
            .datetime()
            .unwrap()
            .physical()
            .get(0),
        Some(86_400_000)
    );
    assert_eq!(df.column("span").unwrap().null_count(), 1);
    assert_eq!(df.column("list").unwrap().null_count(), 1);
}

/// A handle opened before another one created the dataset still gives the
/// frame the stored representation.
#[test]
fn a_handle_without_a_version_looks_up_the_stored_schema() {
    let (_dir, ds) = dataset();
    let stale = OrderedParquetDataset::open(ds.path()).unwrap();
    let schema = Arc::new(ArrowSchema::new(vec![
        ArrowField::new("ts", ArrowType::Int64, false),
        ArrowField::new("s", ArrowType::Utf8, true),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from(vec![1])),
            Arc::new(StringArray::from(vec!["a"])),
        ],
    )
    .unwrap();
    ds.write(&batch, &WriteOptions::new("ts")).unwrap();
    assert_eq!(stale.version(), None);
    let df = df!("ts" => [2i64], "s" => ["b"]).unwrap();
    stale.write_df(&df, &WriteOptions::new("ts")).unwrap();
    assert_eq!(stale.read().unwrap().num_rows(), 2);
}

#[test]
fn intersections_as_dataframes() {
    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, ordo::TopLevel)]
    struct Key {
        name: String,
    }
    let dir = tempfile::tempdir().unwrap();
    let store = Store::<Key>::open(dir.path()).unwrap();
    let (a, b) = (Key { name: "a".into() }, Key { name: "b".into() });
    let opts = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(2));
    let da = df!("ts" => [1i64, 2, 5, 6], "x" => ["p", "q", "r", "s"]).unwrap();
    let db = df!("ts" => [0i64, 3, 4], "x" => ["t", "u", "v"]).unwrap();
    store.get(&a).unwrap().write_df(&da, &opts).unwrap();
    store.get(&b).unwrap().write_df(&db, &opts).unwrap();
    let keys = [a.clone(), b.clone()];
    let options = IntersectOptions::new().start(2).n_prev(1);
    let mut seen: Vec<(String, DataFrame)> = Vec::new();
    for step in store.iter_intersections(&keys, options).unwrap() {
        let step = step.unwrap();
        let frames = step.dataframes().unwrap();
        for (key, df) in frames {
            assert!(step.get_df(&key).unwrap().unwrap().equals(&df));
            seen.push((key.name, df));
        }
    }
    // a: row groups [1, 2] [5, 6]; b: [0, 3] [4]. Windows [2, 4) [4, 5)
    // [5, ..). The first chunks hold one warm-up row: a's 1, b's 0.
    let heights: Vec<(&str, usize)> = seen.iter().map(|(k, d)| (k.as_str(), d.height())).collect();
    assert_eq!(heights, [("a", 2), ("b", 2), ("b", 1), ("a", 2)]);
    let (mut all_a, mut all_b) = (da.slice(0, 0), db.slice(0, 0));
    for (k, d) in &seen {
        if k == "a" {
            all_a.vstack_mut(d).unwrap();
        } else {
            all_b.vstack_mut(d).unwrap();
        }
    }
    assert!(all_a.equals(&da));
    assert!(all_b.equals(&db));
}

#[test]
fn types_polars_lacks_are_refused_by_column() {
    let cases: Vec<(ArrowArrayRef, &str)> = vec![
        (
            Arc::new(
                Decimal128Array::from(vec![1, 2])
                    .with_precision_and_scale(10, 2)
                    .unwrap(),
            ),
            "Decimal128(10, 2)",
        ),
        (
            ordo::arrow::compute::cast(&Float32Array::from(vec![1.0, 2.0]), &ArrowType::Float16)
                .unwrap(),
            "Float16",
        ),
        (
            Arc::new(TimestampSecondArray::from(vec![1, 2]).with_timezone("+05:30")),
            "+05:30",
        ),
        (
            Arc::new(DictionaryArray::<ArrowI32>::from_iter(["a", "b"])),
            "Dictionary",
        ),
    ];
    for (array, says) in cases {
        let (_dir, ds) = dataset();
        let batch = RecordBatch::try_from_iter([
            (
                "ts",
                Arc::new(Int64Array::from(vec![1, 2])) as ArrowArrayRef,
            ),
            ("bad", array),
        ])
        .unwrap();
        ds.write(&batch, &WriteOptions::new("ts")).unwrap();
        for result in [
            ds.read_df(),
            ds.read_range_df(0, 9),
            record_batch_to_df(&batch),
        ] {
            match result {
                Err(e @ Error::DataFrameConversion { .. }) => {
                    let msg = e.to_string();
                    assert!(
                        msg.starts_with(
                            "column `bad` cannot be converted between Arrow and polars"
                        ) && msg.contains(says),
                        "{msg}"
                    );
                }
                other => panic!("{other:?}"),
            }
        }
        // Projecting the column away reads fine.
        let ok = ds
            .read_with_df(&ReadOptions::new().columns(["ts"]))
            .unwrap();
        assert_eq!(ok.height(), 2);
    }
}

#[test]
fn primitive_buffers_are_shared_both_ways() {
    // Arrow to polars.
    let values = Int64Array::from_iter_values(0..1000);
    let arrow_ptr = values.values().as_ptr();
    let batch = RecordBatch::try_from_iter([("ts", Arc::new(values) as ArrowArrayRef)]).unwrap();
    let df = record_batch_to_df(&batch).unwrap();
    let series = df.column("ts").unwrap().as_materialized_series();
    assert_eq!(
        series.i64().unwrap().cont_slice().unwrap().as_ptr(),
        arrow_ptr
    );
    drop(batch); // polars keeps the buffer alive
    assert_eq!(series.i64().unwrap().get(999), Some(999));

    // Polars to Arrow.
    let df = df!("x" => (0..1000).map(|i| i as f64).collect::<Vec<_>>()).unwrap();
    let polars_ptr = df
        .column("x")
        .unwrap()
        .f64()
        .unwrap()
        .cont_slice()
        .unwrap()
        .as_ptr();
    let batch = df_to_record_batch(&df).unwrap();
    drop(df); // the batch keeps the buffer alive
    let column = batch.column(0).as_primitive::<ArrowF64>();
    assert_eq!(column.values().as_ptr(), polars_ptr);
    assert_eq!(column.value(999), 999.0);
}

/// Each side releases what it imported exactly once: the Arrow buffer's
/// reference count goes back to where it was once the frame and the
/// record batch made from it are dropped.
#[test]
fn shared_buffers_are_released() {
    let values = Int64Array::from_iter_values(0..1000);
    let buffer = values.values().inner().clone();
    let batch = RecordBatch::try_from_iter([("ts", Arc::new(values) as ArrowArrayRef)]).unwrap();
    let before = buffer.strong_count();
    let df = record_batch_to_df(&batch).unwrap();
    assert!(buffer.strong_count() > before);
    let again = df_to_record_batch(&df).unwrap();
    assert_eq!(
        again.column(0).to_data().buffers()[0].as_ptr(),
        buffer.as_ptr()
    );
    drop(df);
    assert!(
        buffer.strong_count() > before,
        "the second batch still shares it"
    );
    drop(again);
    assert_eq!(buffer.strong_count(), before);
}

#[test]
fn empty_frames() {
    let df = df!("ts" => Vec::<i64>::new(), "s" => Vec::<String>::new()).unwrap();
    let batch = df_to_record_batch(&df).unwrap();
    assert_eq!((batch.num_rows(), batch.num_columns()), (0, 2));
    assert!(record_batch_to_df(&batch).unwrap().equals(&df));
    let no_columns = DataFrame::empty_with_height(3);
    assert_eq!(df_to_record_batch(&no_columns).unwrap().num_rows(), 3);
}

/// The README shows the tour of `ordo::df`, whose rustdoc runs it: both
/// must stay the same code.
#[test]
fn readme_shows_the_tested_tour() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let module = std::fs::read_to_string(root.join("store/src/df/mod.rs")).unwrap();
    let in_readme = readme
        .split("```rs\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("README has a ```rs block");
    let docs: String = module
        .lines()
        .map_while(|l| l.strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    let in_docs = docs
        .split("```\n")
        .nth(1)
        .expect("the module docs open with an example");
    assert_eq!(in_readme.trim_end(), in_docs.trim_end());
}
