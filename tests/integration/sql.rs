//! SQL with DataFusion (feature `sql`): results against ordo's own reads,
//! plans that need no sort on the ordered column, pruning measured by
//! what the scans read, pinned versions, the `datasets` catalog with typed
//! key columns, other storages, ordered columns of other types, and the
//! errors of bad queries.
#![cfg(feature = "sql")]

use std::sync::Arc;

use ordo::arrow::array::{
    Array, AsArray, Float64Array, Int64Array, RecordBatch, StringArray, TimestampSecondArray,
};
use ordo::arrow::datatypes::{
    DataType, Field, Float64Type, Int64Type, Schema, TimeUnit, UInt64Type,
};
use ordo::arrow::util::pretty::pretty_format_batches;
use ordo::sql::{DatasetTable, Sql, StoreSchema};
use ordo::{
    DuplicatesOn, Error, OpenOptions, OrderedParquetDataset, RowGroupTarget, Store, TopLevel,
    WriteOptions,
};

/// Rows `0..n` of (ts = 10 * i, price = i / 4 with every 7th null, sym
/// cycling over three names with every 5th null).
fn rows(from: i64, n: i64) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("ts", DataType::Int64, false),
        Field::new("price", DataType::Float64, true),
        Field::new("sym", DataType::Utf8, true),
    ]));
    let range = from..from + n;
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from_iter_values(range.clone().map(|i| i * 10))),
            Arc::new(Float64Array::from_iter(
                range
                    .clone()
                    .map(|i| (i % 7 != 0).then_some(i as f64 / 4.0)),
            )),
            Arc::new(StringArray::from_iter(range.map(|i| {
                (i % 5 != 0).then(|| ["a", "b", "c"][(i % 3) as usize])
            }))),
        ],
    )
    .unwrap()
}

/// A dataset of 2,000 rows in 20 row groups of 100 rows.
fn dataset(dir: &std::path::Path) -> OrderedParquetDataset {
    let ds = OrderedParquetDataset::open(dir.join("ticks")).unwrap();
    let opts = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(100));
    ds.write(&rows(0, 2000), &opts).unwrap();
    assert_eq!(ds.num_row_groups(), 20);
    ds
}

fn one_table(ds: &OrderedParquetDataset) -> (Sql, Arc<DatasetTable>) {
    let table = Arc::new(DatasetTable::new(ds).unwrap());
    let sql = Sql::new();
    sql.context().register_table("t", table.clone()).unwrap();
    (sql, table)
}

fn scalar_i64(sql: &Sql, query: &str) -> i64 {
    let out = sql.query(query).unwrap();
    out[0].column(0).as_primitive::<Int64Type>().value(0)
}

fn plan(sql: &Sql, query: &str) -> String {
    let out = sql.query(&format!("EXPLAIN {query}")).unwrap();
    pretty_format_batches(&out).unwrap().to_string()
}

#[test]
fn aggregates_and_ranges_match_ordo_reads() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dataset(dir.path());
    let (sql, _) = one_table(&ds);
    let all = ds.read().unwrap();
    assert_eq!(scalar_i64(&sql, "SELECT count(*) FROM t"), 2000);
    assert_eq!(
        scalar_i64(&sql, "SELECT count(price) FROM t"),
        (2000 - all.column(1).null_count()) as i64
    );
    for (lo, hi) in [
        (0, 20_000),
        (995, 1_005),
        (1_000, 1_000),
        (1_000, 1_010),
        (1_990, 2_005),
        (19_990, 30_000),
    ] {
        let model = ds.read_range(lo, hi).unwrap();
        let q = format!(
            "SELECT count(*), sum(price), min(ts), max(ts) FROM t WHERE ts >= {lo} AND ts < {hi}"
        );
        let out = sql.query(&q).unwrap();
        let b = &out[0];
        assert_eq!(
            b.column(0).as_primitive::<Int64Type>().value(0),
            model.num_rows() as i64,
            "{q}"
        );
        let sum: f64 = model
            .column(1)
            .as_primitive::<Float64Type>()
            .iter()
            .flatten()
            .sum();
        let got = b.column(1).as_primitive::<Float64Type>();
        if model.column(1).null_count() < model.num_rows() {
            assert!((got.value(0) - sum).abs() < 1e-9, "{q}");
        }
        if model.num_rows() > 0 {
            let ts = model.column(0).as_primitive::<Int64Type>();
            assert_eq!(
                b.column(2).as_primitive::<Int64Type>().value(0),
                ts.value(0)
            );
            assert_eq!(
                b.column(3).as_primitive::<Int64Type>().value(0),
                ts.value(ts.len() - 1)
            );
        } else {
            assert!(b.column(2).is_null(0));
        }
    }
    // Strings and nulls come back as written.
    let out = sql
        .query("SELECT sym, count(*) AS n FROM t GROUP BY sym ORDER BY sym NULLS FIRST")
        .unwrap();
    let text = pretty_format_batches(&out).unwrap().to_string();
    assert!(text.contains("|     | 400 |"), "{text}");
}

#[test]
fn ordering_on_the_ordered_column_needs_no_sort() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dataset(dir.path());
    let (sql, _) = one_table(&ds);
    for q in [
        "SELECT * FROM t ORDER BY ts",
        "SELECT ts, price FROM t WHERE ts > 500 ORDER BY ts LIMIT 5",
        "SELECT ts, lag(price) OVER (ORDER BY ts) FROM t",
        "SELECT ts, avg(price) OVER (ORDER BY ts ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) FROM t",
    ] {
        let p = plan(&sql, q);
        assert!(!p.contains("SortExec"), "{q}:\n{p}");
        assert!(p.contains("DataSourceExec"), "{q}:\n{p}");
    }
    // A sort on another column is planned as usual.
    assert!(plan(&sql, "SELECT * FROM t ORDER BY price").contains("SortExec"));
    // Results in order, both directions.
    let out = sql.query("SELECT ts FROM t ORDER BY ts LIMIT 3").unwrap();
    assert_eq!(
        out[0].column(0).as_primitive::<Int64Type>().values(),
        &[0, 10, 20]
    );
    let out = sql
        .query("SELECT ts FROM t ORDER BY ts DESC LIMIT 3")
        .unwrap();
    assert_eq!(
        out[0].column(0).as_primitive::<Int64Type>().values(),
        &[19_990, 19_980, 19_970]
    );
    let out = sql.query("SELECT ts FROM t ORDER BY ts").unwrap();
    let ts: Vec<i64> = out
        .iter()
        .flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec())
        .collect();
    assert_eq!(ts, (0..2000).map(|i| i * 10).collect::<Vec<_>>());
}

#[test]
fn range_filters_read_only_the_row_groups_they_touch() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dataset(dir.path());
    let total_bytes: u64 = ds.row_group_stats().iter().map(|g| g.size_bytes).sum();
    let (sql, table) = one_table(&ds);
    // Row group 7 holds ts 7000..=7990.
    assert_eq!(
        scalar_i64(
            &sql,
            "SELECT count(*) FROM t WHERE ts >= 7100 AND ts < 7200"
        ),
        10
    );
    let s = table.scan_stats();
    assert_eq!(s.row_groups, 1);
    assert!(s.bytes * 10 < total_bytes, "{s:?} of {total_bytes}");
    // BETWEEN bounds on row-group edges, and a bound on the other side.
    assert_eq!(
        scalar_i64(
            &sql,
            "SELECT count(*) FROM t WHERE ts BETWEEN 7990 AND 8000"
        ),
        2
    );
    assert_eq!(table.scan_stats().row_groups - s.row_groups, 2);
    let before = table.scan_stats().row_groups;
    assert_eq!(
        scalar_i64(&sql, "SELECT count(*) FROM t WHERE 18000 <= ts"),
        200
    );
    assert_eq!(table.scan_stats().row_groups - before, 2);
    // Nothing in range: no row group at all.
    let before = table.scan_stats();
    assert_eq!(
        scalar_i64(&sql, "SELECT count(*) FROM t WHERE ts > 100000"),
        0
    );
    assert_eq!(table.scan_stats(), before);
    // A filter on another column reads every row group but is still right.
    let before = table.scan_stats().row_groups;
    let expected = (1601..2000).filter(|i| i % 7 != 0).count() as i64;
    assert_eq!(
        scalar_i64(&sql, "SELECT count(*) FROM t WHERE price > 400"),
        expected
    );
    assert_eq!(table.scan_stats().row_groups - before, 20);
}

#[test]
fn a_table_is_pinned_to_its_version() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dataset(dir.path());
    let (sql, table) = one_table(&ds);
    let rows_stream = sql.query_stream("SELECT ts FROM t").unwrap();
    // A writer replaces every row group and adds rows meanwhile.
    let writer = OrderedParquetDataset::open(dir.path().join("ticks")).unwrap();
    writer
        .write(
            &rows(0, 3000),
            &WriteOptions::new("ts").duplicates_on(DuplicatesOn::Columns(vec!["ts".into()])),
        )
        .unwrap();
    assert_eq!(writer.num_rows(), 3000);
    let n: usize = rows_stream.map(|b| b.unwrap().num_rows()).sum();
    assert_eq!(n, 2000);
    assert_eq!(scalar_i64(&sql, "SELECT count(*) FROM t"), 2000);
    assert_eq!(table.version(), 1);
    // A root session names datasets per query: the next query sees the
    // new version.
    let root = Sql::open(dir.path(), &OpenOptions::new()).unwrap();
    assert_eq!(scalar_i64(&root, "SELECT count(*) FROM ticks"), 3000);
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, ordo::SubLevel)]
struct Freq {
    freq: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
struct Measure {
    quantity: String,
    year: i16,
    path: u64,
    freq: Freq,
}

#[test]
fn the_catalog_lists_datasets_with_typed_keys() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::<Measure>::open(dir.path()).unwrap();
    let opts = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(100));
    let key = |q: &str, year, f: &str| Measure {
        quantity: q.into(),
        year,
        path: 7,
        freq: Freq { freq: f.into() },
    };
    let a = store.get(&key("temp", 2024, "10min")).unwrap();
    a.write(&rows(0, 250), &opts).unwrap();
    a.set_metadata([("source", Some("dwd"))]).unwrap();
    store
        .get(&key("wind", 2023, "1h"))
        .unwrap()
        .write(&rows(100, 50), &opts)
        .unwrap();
    // A directory that is no key of the store still shows, with null keys.
    ordo::write(dir.path().join("other"), &rows(0, 1), &opts).unwrap();

    let sql = Sql::with_schema(StoreSchema::of_store(&store));
    let out = sql
        .query("SELECT quantity, year, key_path, freq, path, version, num_rows, num_row_groups, ordered_on, first, last, metadata['source'] AS source FROM datasets ORDER BY path")
        .unwrap();
    let text = pretty_format_batches(&out).unwrap().to_string();
    let expected = "\
+----------+------+----------+-------+-------------------+---------+----------+----------------+------------+-------+------+--------+
| quantity | year | key_path | freq  | path              | version | num_rows | num_row_groups | ordered_on | first | last | source |
+----------+------+----------+-------+-------------------+---------+----------+----------------+------------+-------+------+--------+
|          |      |          |       | other             | 1       | 1        | 1              | ts         | 0     | 0    |        |
| temp     | 2024 | 7        | 10min | temp-2024-7/10min | 2       | 250      | 3              | ts         | 0     | 2490 | dwd    |
| wind     | 2023 | 7        | 1h    | wind-2023-7/1h    | 1       | 50       | 1              | ts         | 1000  | 1490 |        |
+----------+------+----------+-------+-------------------+---------+----------+----------------+------------+-------+------+--------+";
    assert_eq!(text, expected);
    let schema = out[0].schema();
    assert_eq!(
        schema.field_with_name("year").unwrap().data_type(),
        &DataType::Int16
    );
    assert_eq!(
        schema.field_with_name("key_path").unwrap().data_type(),
        &DataType::UInt64
    );
    assert_eq!(
        schema.field_with_name("first").unwrap().data_type(),
        &DataType::Int64
    );
    let n = out[0]
        .column_by_name("num_rows")
        .unwrap()
        .as_primitive::<UInt64Type>();
    assert_eq!(n.values(), &[1, 250, 50]);
    // Datasets are tables by their paths.
    assert_eq!(
        scalar_i64(&sql, r#"SELECT count(*) FROM "temp-2024-7/10min""#),
        250
    );
}

#[test]
fn bad_queries_are_one_line_query_errors_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dataset(dir.path());
    let before = crate::common::dir_snapshot(dir.path());
    let sql = Sql::open(dir.path(), &OpenOptions::new()).unwrap();
    for (query, needle) in [
        ("SELECT * FROM nope", "nope"),
        ("SELEC 1", "SELEC"),
        ("SELECT missing FROM ticks", "missing"),
        ("SELECT ts + 'x' FROM ticks", "Int64 + Utf8"),
    ] {
        match sql.query(query) {
            Err(Error::Query { message, source }) => {
                assert!(
                    message.contains(needle) && !message.contains('\n'),
                    "{query}: {message}"
                );
                assert!(
                    source
                        .downcast_ref::<ordo::sql::datafusion::error::DataFusionError>()
                        .is_some()
                );
                let shown = Error::Query {
                    message: message.clone(),
                    source,
                }
                .to_string();
                assert_eq!(shown, format!("SQL query failed: {message}"));
            }
            other => panic!("{query}: {other:?}"),
        }
        assert!(
            matches!(sql.query_stream(query), Err(Error::Query { .. })),
            "{query}"
        );
    }
    // A view is the session's; a dataset's name is not free for it.
    sql.query("CREATE VIEW recent AS SELECT * FROM ticks WHERE ts >= 19000")
        .unwrap();
    assert_eq!(scalar_i64(&sql, "SELECT count(*) FROM recent"), 100);
    let err = sql.query("CREATE VIEW ticks AS SELECT 1").unwrap_err();
    assert!(
        err.to_string().contains("already exists") || err.to_string().contains("dataset"),
        "{err}"
    );
    assert_eq!(crate::common::dir_snapshot(dir.path()), before);
    drop(ds);
}

#[test]
fn sessions_open_a_dataset_a_root_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path());
    // A dataset: table `t`.
    let one = Sql::open(dir.path().join("ticks"), &OpenOptions::new()).unwrap();
    assert_eq!(scalar_i64(&one, "SELECT count(*) FROM t"), 2000);
    // A root with nothing yet: an empty catalog, no error.
    let empty = Sql::open(dir.path().join("nothing"), &OpenOptions::new()).unwrap();
    let out = empty.query("SELECT count(*) FROM datasets").unwrap();
    assert_eq!(
        pretty_format_batches(&out)
            .unwrap()
            .to_string()
            .lines()
            .nth(3)
            .unwrap(),
        "| 0        |"
    );
    let out = empty.query("SELECT path, first FROM datasets").unwrap();
    assert_eq!(out.iter().map(|b| b.num_rows()).sum::<usize>(), 0);
    // SHOW TABLES lists the datasets and the catalog.
    let root = Sql::open(dir.path(), &OpenOptions::new()).unwrap();
    let out = root
        .query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name")
        .unwrap();
    let names: Vec<String> = out[0]
        .column(0)
        .as_string::<i32>()
        .iter()
        .map(|s| s.unwrap().to_owned())
        .collect();
    assert_eq!(names, ["datasets", "ticks"]);
    // A table of no dataset.
    let missing = OrderedParquetDataset::open(dir.path().join("nothing")).unwrap();
    assert!(matches!(
        DatasetTable::new(&missing),
        Err(Error::DatasetNotFound { .. })
    ));
}

#[test]
fn other_storages_and_ordered_types() {
    // In memory, through OpenOptions::storage.
    let memory = Arc::new(ordo::storage::MemoryStorage::new());
    let opts = OpenOptions::new().storage(memory);
    let ds = OrderedParquetDataset::open_with("in/memory", &opts).unwrap();
    ds.write(
        &rows(0, 500),
        &WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(100)),
    )
    .unwrap();
    let sql = Sql::open("in", &opts).unwrap();
    assert_eq!(
        scalar_i64(&sql, "SELECT count(*) FROM \"memory\" WHERE ts >= 2000"),
        300
    );

    // Seconds timestamps in a zone (stored as milliseconds), ordered.
    let dir = tempfile::tempdir().unwrap();
    let tz = DataType::Timestamp(TimeUnit::Second, Some("Europe/Berlin".into()));
    let schema = Arc::new(Schema::new(vec![Field::new("ts", tz, false)]));
    let secs = TimestampSecondArray::from_iter_values((0..1000).map(|i| 1_709_251_200 + i * 3600))
        .with_timezone("Europe/Berlin");
    let batch = RecordBatch::try_new(schema, vec![Arc::new(secs)]).unwrap();
    let ds = OrderedParquetDataset::open(dir.path().join("s")).unwrap();
    ds.write(
        &batch,
        &WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(100)),
    )
    .unwrap();
    let (sql, table) = one_table(&ds);
    let out = sql
        .query("SELECT ts FROM t WHERE ts >= '2024-03-02T00:00:00Z' AND ts < '2024-03-02T03:00:00+01:00' ORDER BY ts")
        .unwrap();
    assert_eq!(
        out[0].schema().field(0).data_type(),
        batch.schema().field(0).data_type()
    );
    let got = pretty_format_batches(&out).unwrap().to_string();
    assert_eq!(
        got.lines().filter(|l| l.contains("2024-03-02T0")).count(),
        2,
        "{got}"
    );
    assert!(got.contains("2024-03-02T01:00:00+01:00"), "{got}");
    assert_eq!(table.scan_stats().row_groups, 1);

    // A string ordered column.
    let schema = Arc::new(Schema::new(vec![Field::new("name", DataType::Utf8, false)]));
    let names: Vec<String> = (0..300).map(|i| format!("n{i:04}")).collect();
    let batch = RecordBatch::try_new(schema, vec![Arc::new(StringArray::from(names))]).unwrap();
    let ds = OrderedParquetDataset::open(dir.path().join("names")).unwrap();
    ds.write(
        &batch,
        &WriteOptions::new("name").row_group_target_size(RowGroupTarget::Rows(100)),
    )
    .unwrap();
    let (sql, table) = one_table(&ds);
    assert_eq!(
        scalar_i64(
            &sql,
            "SELECT count(*) FROM t WHERE name >= 'n0150' AND name < 'n0160'"
        ),
        10
    );
    assert_eq!(table.scan_stats().row_groups, 1);
    assert!(!plan(&sql, "SELECT name FROM t ORDER BY name").contains("SortExec"));
}

#[cfg(feature = "cloud")]
#[test]
fn an_object_store_dataset_is_a_table() {
    let url = format!("memory://sql-{}", std::process::id());
    let ds = OrderedParquetDataset::open(format!("{url}/ticks")).unwrap();
    ds.write(
        &rows(0, 1000),
        &WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(100)),
    )
    .unwrap();
    let sql = Sql::open(&url, &OpenOptions::new()).unwrap();
    assert_eq!(
        scalar_i64(
            &sql,
            "SELECT count(*) FROM ticks WHERE ts >= 5000 AND ts < 5100"
        ),
        10
    );
    let out = sql.query("SELECT num_row_groups FROM datasets").unwrap();
    assert_eq!(out[0].column(0).as_primitive::<UInt64Type>().value(0), 10);
}
