//! SQL scans share the selected row groups among their partitions by the
//! rows estimated in range, cutting a group in two where whole groups
//! would not balance: every row is still read exactly once, in order.
#![cfg(feature = "sql")]

use std::sync::Arc;

use ordo::arrow::array::{AsArray, Float64Array, Int64Array, RecordBatch};
use ordo::arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema};
use ordo::arrow::util::pretty::pretty_format_batches;
use ordo::sql::{DatasetTable, Sql};
use ordo::{OrderedParquetDataset, RowGroupTarget, WriteOptions};

const GROUP: i64 = 40_000;

/// 4 row groups of 40,000 rows: ts = i, v = i / 2.
fn dataset(dir: &std::path::Path) -> OrderedParquetDataset {
    let schema = Arc::new(Schema::new(vec![
        Field::new("ts", DataType::Int64, false),
        Field::new("v", DataType::Float64, false),
    ]));
    let n = 4 * GROUP;
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from_iter_values(0..n)),
            Arc::new(Float64Array::from_iter_values(
                (0..n).map(|i| i as f64 / 2.0),
            )),
        ],
    )
    .unwrap();
    let ds = OrderedParquetDataset::open(dir.join("ticks")).unwrap();
    let opts = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(GROUP as usize));
    ds.write(&batch, &opts).unwrap();
    assert_eq!(ds.num_row_groups(), 4);
    ds
}

fn session(ds: &OrderedParquetDataset, partitions: usize) -> (Sql, Arc<DatasetTable>) {
    let table = Arc::new(DatasetTable::new(ds).unwrap());
    let sql = Sql::new();
    sql.context().register_table("t", table.clone()).unwrap();
    sql.query(&format!(
        "SET datafusion.execution.target_partitions = {partitions}"
    ))
    .unwrap();
    (sql, table)
}

fn ts_column(out: &[RecordBatch]) -> Vec<i64> {
    out.iter()
        .flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec())
        .collect()
}

#[test]
fn a_short_range_cuts_a_group_between_partitions_and_reads_each_row_once() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dataset(dir.path());
    let (sql, table) = session(&ds, 3);
    // 10,000 rows at the end of group 0 and 30,000 at the start of group
    // 1: three partitions of about 13,000 rows need group 1 cut in two.
    let range = "ts >= 30000 AND ts < 70000";
    let plan = pretty_format_batches(
        &sql.query(&format!("EXPLAIN SELECT count(*) FROM t WHERE {range}"))
            .unwrap(),
    )
    .unwrap()
    .to_string();
    let cut = &ds.row_group_stats()[1].file;
    assert_eq!(plan.matches(cut.as_str()).count(), 2, "{plan}");
    assert!(plan.contains("3 groups"), "{plan}");

    let out = sql
        .query(&format!("SELECT count(*), sum(v) FROM t WHERE {range}"))
        .unwrap();
    assert_eq!(
        out[0].column(0).as_primitive::<Int64Type>().value(0),
        40_000
    );
    let sum: f64 = (30_000..70_000).map(|i| i as f64 / 2.0).sum();
    assert_eq!(out[0].column(1).as_primitive::<Float64Type>().value(0), sum);
    assert_eq!(table.scan_stats().row_groups, 2 * 2);

    // In order without a sort, both ways, and the rows of the cut group
    // neither lost nor doubled.
    let out = sql
        .query(&format!("SELECT ts FROM t WHERE {range} ORDER BY ts"))
        .unwrap();
    assert_eq!(ts_column(&out), (30_000..70_000).collect::<Vec<_>>());
    let out = sql
        .query(&format!(
            "SELECT ts FROM t WHERE {range} ORDER BY ts DESC LIMIT 3"
        ))
        .unwrap();
    assert_eq!(ts_column(&out), [69_999, 69_998, 69_997]);
    let out = sql
        .query(&format!(
            "SELECT ts, ts - lag(ts) OVER (ORDER BY ts) AS step FROM t WHERE {range}"
        ))
        .unwrap();
    let steps: Vec<i64> = out
        .iter()
        .flat_map(|b| {
            b.column(1)
                .as_primitive::<Int64Type>()
                .iter()
                .flatten()
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(steps.len(), 39_999);
    assert!(steps.iter().all(|&s| s == 1));
}

#[test]
fn whole_scans_and_any_partition_count_read_every_row_once() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dataset(dir.path());
    for partitions in [1, 2, 3, 5, 16] {
        let (sql, _) = session(&ds, partitions);
        for (filter, rows) in [
            ("TRUE", 0..4 * GROUP),
            ("ts >= 12345", 12_345..4 * GROUP),
            ("ts < 100001", 0..100_001),
            ("ts BETWEEN 39990 AND 40010", 39_990..40_011),
            ("ts > 1000 AND ts < 159000", 1001..159_000),
        ] {
            let out = sql
                .query(&format!("SELECT ts FROM t WHERE {filter} ORDER BY ts"))
                .unwrap();
            assert_eq!(
                ts_column(&out),
                rows.clone().collect::<Vec<_>>(),
                "{filter}, {partitions} partitions"
            );
            let out = sql
                .query(&format!("SELECT count(*) FROM t WHERE {filter}"))
                .unwrap();
            let n = out[0].column(0).as_primitive::<Int64Type>().value(0);
            assert_eq!(
                n,
                rows.end - rows.start,
                "{filter}, {partitions} partitions"
            );
        }
    }
}
