//! Aggregations grouped on the ordered column or a monotonic function of
//! it run over runs of equal keys, without hashing (`RunAggregateExec`):
//! the plan says so, and the results equal DataFusion's own hash
//! aggregation of the same rows in a plain in-memory table.
#![cfg(feature = "sql")]

use std::sync::Arc;

use ordo::arrow::array::{Float64Array, RecordBatch, StringArray, TimestampSecondArray};
use ordo::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use ordo::arrow::util::pretty::pretty_format_batches;
use ordo::sql::datafusion::datasource::MemTable;
use ordo::sql::{DatasetTable, Sql};
use ordo::{OrderedParquetDataset, RowGroupTarget, WriteOptions};

/// 3,000 rows, one every 7 seconds, in row groups of 100 rows: price
/// `i / 4` (exact in binary, so sums do not depend on their order) with
/// every 9th null, sym cycling over three names with every 5th null.
fn ticks(dir: &std::path::Path) -> OrderedParquetDataset {
    let ts = DataType::Timestamp(TimeUnit::Second, None);
    let schema = Arc::new(Schema::new(vec![
        Field::new("ts", ts, false),
        Field::new("price", DataType::Float64, true),
        Field::new("sym", DataType::Utf8, true),
    ]));
    let n = 3000i64;
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(TimestampSecondArray::from_iter_values(
                (0..n).map(|i| 1_709_251_200 + i * 7),
            )),
            Arc::new(Float64Array::from_iter(
                (0..n).map(|i| (i % 9 != 0).then_some(i as f64 / 4.0)),
            )),
            Arc::new(StringArray::from_iter((0..n).map(|i| {
                (i % 5 != 0).then(|| ["a", "b", "c"][(i % 3) as usize])
            }))),
        ],
    )
    .unwrap();
    let ds = OrderedParquetDataset::open(dir.join("ticks")).unwrap();
    let opts = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(100));
    ds.write(&batch, &opts).unwrap();
    ds
}

/// ordo's session on the dataset, and one on its rows as an in-memory
/// table, which declares no order: DataFusion aggregates those by
/// hashing (checked below).
fn sessions(ds: &OrderedParquetDataset) -> (Sql, Sql) {
    let sql = Sql::new();
    let table = Arc::new(DatasetTable::new(ds).unwrap());
    sql.context().register_table("t", table).unwrap();
    let rows = ds.read().unwrap();
    let plain = Sql::new();
    let mem = MemTable::try_new(rows.schema(), vec![vec![rows]]).unwrap();
    plain.context().register_table("t", Arc::new(mem)).unwrap();
    (sql, plain)
}

fn run(sql: &Sql, query: &str) -> String {
    pretty_format_batches(&sql.query(query).unwrap())
        .unwrap()
        .to_string()
}

/// The result of `query` on the in-memory table, by hash aggregation.
fn reference(plain: &Sql, query: &str) -> String {
    assert!(!run(plain, &format!("EXPLAIN {query}")).contains("RunAggregateExec"));
    run(plain, query)
}

const AGGREGATES: &str = "count(*) AS n, count(price) AS priced, sum(price) AS total, \
    avg(price) AS mean, min(price) AS low, max(price) AS high, min(sym) AS first_sym, \
    max(sym) AS last_sym";

#[test]
fn groups_on_the_ordered_column_run_without_hashing_and_equal_hash_aggregation() {
    let dir = tempfile::tempdir().unwrap();
    let ds = ticks(dir.path());
    let (sql, plain) = sessions(&ds);
    let queries = [
        // Minutes: 8-9 rows each; hours: 514-515 rows, across row groups.
        format!("SELECT date_trunc('minute', ts) AS k, {AGGREGATES} FROM t GROUP BY k ORDER BY k"),
        format!(
            "SELECT date_trunc('hour', ts) AS k, {AGGREGATES} FROM t GROUP BY k ORDER BY k DESC"
        ),
        // The ordered column itself: one row a group.
        format!("SELECT ts AS k, {AGGREGATES} FROM t GROUP BY ts ORDER BY ts"),
        // A filtered range.
        format!(
            "SELECT date_trunc('hour', ts) AS k, {AGGREGATES} FROM t \
             WHERE ts >= '2024-03-01T01:10:00' AND ts < '2024-03-01T03:20:00' GROUP BY k ORDER BY k"
        ),
    ];
    for query in &queries {
        assert!(
            run(&sql, &format!("EXPLAIN {query}")).contains("RunAggregateExec"),
            "{query}"
        );
        assert_eq!(run(&sql, query), reference(&plain, query), "{query}");
    }
    // EXPLAIN ANALYZE shows what it did.
    let analyzed = run(&sql, &format!("EXPLAIN ANALYZE {}", queries[1]));
    let line = analyzed
        .lines()
        .find(|l| l.contains("RunAggregateExec"))
        .unwrap();
    assert!(
        line.contains("output_rows=") && line.contains("elapsed_compute="),
        "{line}"
    );
    // A range holding no row (the scan is empty: nothing to aggregate).
    let empty = format!(
        "SELECT date_trunc('hour', ts) AS k, {AGGREGATES} FROM t WHERE ts < '2000-01-01' GROUP BY k"
    );
    assert_eq!(run(&sql, &empty), reference(&plain, &empty));
    // One partition: a single aggregation, run by run too.
    sql.query("SET datafusion.execution.target_partitions = 1")
        .unwrap();
    let query = &queries[0];
    assert!(run(&sql, &format!("EXPLAIN {query}")).contains("RunAggregateExec: mode=Single"));
    assert_eq!(run(&sql, query), reference(&plain, query));
    // Small batches: groups are emitted while the input goes on, the open
    // one kept for the next batch.
    sql.query("SET datafusion.execution.batch_size = 64")
        .unwrap();
    for query in &queries[..3] {
        assert_eq!(run(&sql, query), reference(&plain, query), "{query}");
    }
}

#[test]
fn other_groupings_keep_datafusion_s_aggregation() {
    let dir = tempfile::tempdir().unwrap();
    let ds = ticks(dir.path());
    let (sql, plain) = sessions(&ds);
    for query in [
        // Not sorted on the key.
        format!("SELECT sym, {AGGREGATES} FROM t GROUP BY sym ORDER BY sym"),
        // Two keys; a FILTER.
        "SELECT date_trunc('hour', ts) AS k, sym, count(*) AS n FROM t GROUP BY k, sym ORDER BY k, sym".into(),
        "SELECT date_trunc('hour', ts) AS k, count(*) FILTER (WHERE sym = 'a') AS n FROM t GROUP BY k ORDER BY k".into(),
    ] {
        assert!(
            !run(&sql, &format!("EXPLAIN {query}")).contains("RunAggregateExec"),
            "{query}"
        );
        assert_eq!(run(&sql, &query), reference(&plain, &query), "{query}");
    }
    // A DISTINCT: DataFusion groups by (k, sym) first, then counts per k
    // (that second aggregation may run by runs); the result is the same.
    let query =
        "SELECT date_trunc('hour', ts) AS k, count(DISTINCT sym) AS n FROM t GROUP BY k ORDER BY k";
    assert_eq!(run(&sql, query), reference(&plain, query));
}
