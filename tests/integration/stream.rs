//! Streaming writes (`write_batches`): one commit for a stream of many
//! chunks, the same rows and row groups as one `write` of every row,
//! errors counted across the stream, and nothing left behind by a stream
//! that fails at any point.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common::faulty::{Fault, Faulty, Op, Outcome};
use crate::common::{dir_snapshot, int_batch, test_storage};
use crate::merge::{Row, batch, model_write, rows_of, sorted};
use ordo::arrow::array::{Int64Array, RecordBatch};
use ordo::arrow::error::ArrowError;
use ordo::storage::{LocalStorage, Storage};
use ordo::{
    Coalesce, DuplicatesOn, Error, OpenOptions, OrderedParquetDataset, RowGroupTarget, WriteOptions,
};
use proptest::prelude::*;

/// Options that make every batch of a stream its own chunk.
fn streaming(target: usize) -> WriteOptions {
    WriteOptions::new("ts")
        .row_group_target_size(RowGroupTarget::Rows(target))
        .stream_chunk_bytes(1)
}

fn ok(batches: Vec<RecordBatch>) -> impl Iterator<Item = Result<RecordBatch, ArrowError>> {
    batches.into_iter().map(Ok)
}

/// Batches of `per` consecutive ts values from `range`, v = ts * 10.
fn runs(range: std::ops::Range<i64>, per: usize) -> Vec<RecordBatch> {
    let all: Vec<i64> = range.collect();
    all.chunks(per)
        .map(|c| int_batch(c, &c.iter().map(|t| t * 10).collect::<Vec<_>>()))
        .collect()
}

fn ts_of(ds: &OrderedParquetDataset) -> Vec<i64> {
    let b = ds.read().unwrap();
    b.column(0)
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap()
        .values()
        .to_vec()
}

/// The data files in a local dataset directory.
fn parquet_files(dir: &std::path::Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".parquet"))
        .collect();
    files.sort();
    files
}

#[test]
fn a_long_stream_is_one_commit_with_on_target_groups_and_no_stray_file() {
    let dir = tempfile::tempdir().unwrap();
    let ds = OrderedParquetDataset::open(dir.path()).unwrap();
    ds.write(&int_batch(&[-5, -4], &[0, 0]), &streaming(100))
        .unwrap();
    // 60 batches of 37 rows: chunks end in the middle of groups.
    let report = ds
        .write_batches(ok(runs(0..2220, 37)), &streaming(100))
        .unwrap();
    assert_eq!((report.version, report.committed), (2, true));
    assert_eq!(ds.versions().unwrap(), vec![1, 2]);
    let mut expected = vec![-5, -4];
    expected.extend(0..2220);
    assert_eq!(ts_of(&ds), expected);
    assert_eq!(report.rows_written, 2220 + report.rows_rewritten);
    // The same groups as one write of every row.
    let other = tempfile::tempdir().unwrap();
    let single = OrderedParquetDataset::open(other.path()).unwrap();
    single
        .write(&int_batch(&[-5, -4], &[0, 0]), &streaming(100))
        .unwrap();
    let all = runs(0..2220, 2220).pop().unwrap();
    single.write(&all, &streaming(100)).unwrap();
    let sizes = |ds: &OrderedParquetDataset| -> Vec<u64> {
        ds.row_group_stats().iter().map(|g| g.num_rows).collect()
    };
    assert_eq!(sizes(&ds), sizes(&single));
    assert!(
        sizes(&ds).iter().filter(|&&n| n == 100).count() >= 20,
        "{:?}",
        sizes(&ds)
    );
    // Files of the working state replaced before the commit are gone.
    let listed: Vec<String> = ds.row_group_stats().into_iter().map(|g| g.file).collect();
    let mut listed_sorted = listed.clone();
    listed_sorted.sort();
    ds.gc(&ordo::Retention::default()).unwrap();
    assert_eq!(parquet_files(dir.path()), listed_sorted);
    assert!(ds.verify().unwrap().is_empty());
}

#[test]
fn a_stream_into_the_middle_merges_like_one_write() {
    let (one, many) = (test_storage(false), test_storage(false));
    let open = |s: &Arc<dyn Storage>| {
        OrderedParquetDataset::open_with("d", &OpenOptions::new().storage(s.clone())).unwrap()
    };
    let (a, b) = (open(&one), open(&many));
    let o = streaming(50).duplicates_on(DuplicatesOn::Columns(vec![]));
    let even: Vec<i64> = (0..1000).map(|i| i * 2).collect();
    let base = int_batch(&even, &vec![0; even.len()]);
    a.write(&base, &o).unwrap();
    b.write(&base, &o).unwrap();
    // Rows 500..1500 in steps of 1 overlap the even rows (dedup: the new
    // ones win) and interleave with the odd ones; batches of 33.
    let new = runs(500..1500, 33);
    let all = ordo::arrow::compute::concat_batches(&new[0].schema(), &new).unwrap();
    let single = a.write(&all, &o).unwrap();
    let streamed = b.write_batches(ok(new), &o).unwrap();
    assert_eq!(a.read().unwrap(), b.read().unwrap());
    let sizes = |ds: &OrderedParquetDataset| -> Vec<u64> {
        ds.row_group_stats().iter().map(|g| g.num_rows).collect()
    };
    assert_eq!(sizes(&a), sizes(&b));
    assert_eq!(streamed.rows_written, single.rows_written);
    assert_eq!(streamed.row_groups_written, single.row_groups_written);
    assert_eq!(b.versions().unwrap(), vec![1, 2]);
    assert!(b.verify().unwrap().is_empty());
}

#[test]
fn duplicates_across_batch_boundaries_keep_the_last() {
    let ds =
        OrderedParquetDataset::open_with("d", &OpenOptions::new().storage(test_storage(false)))
            .unwrap();
    let o = streaming(3).duplicates_on(DuplicatesOn::Columns(vec![]));
    // ts 5 spans three batches and two chunks; the last value wins.
    let batches = vec![
        int_batch(&[1, 2, 5], &[1, 2, 50]),
        int_batch(&[5, 5], &[51, 52]),
        int_batch(&[5, 6, 7], &[53, 6, 7]),
        int_batch(&[8, 9, 10, 11], &[8, 9, 10, 11]),
    ];
    ds.write_batches(ok(batches), &o).unwrap();
    let got = ds.read().unwrap();
    assert_eq!(
        got,
        int_batch(
            &[1, 2, 5, 6, 7, 8, 9, 10, 11],
            &[1, 2, 53, 6, 7, 8, 9, 10, 11]
        )
    );
    assert!(ds.verify().unwrap().is_empty());
}

/// A dataset with two versions and what its directory holds.
fn two_versions(dir: &std::path::Path) -> OrderedParquetDataset {
    let ds = OrderedParquetDataset::open(dir).unwrap();
    ds.write(&int_batch(&[0, 1, 2], &[0, 0, 0]), &streaming(4))
        .unwrap();
    ds.write(&int_batch(&[3, 4], &[0, 0]), &streaming(4))
        .unwrap();
    ds
}

#[test]
fn unsorted_batches_name_the_row_of_the_stream_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ds = two_versions(dir.path());
    let before = dir_snapshot(dir.path());
    // Batch 6 starts below the end of batch 5: row 6 * 10 of the stream.
    let mut batches = runs(10..70, 10);
    batches.push(int_batch(&[65, 80], &[0, 0]));
    let err = ds.write_batches(ok(batches), &streaming(4)).unwrap_err();
    match &err {
        Error::Unsorted {
            column,
            row,
            previous,
            value,
        } => {
            assert_eq!((column.as_str(), *row), ("ts", 60));
            assert_eq!((previous.as_str(), value.as_str()), ("69", "65"));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("row 60 (counted from 0)"), "{err}");
    assert_eq!(dir_snapshot(dir.path()), before);
    // Within a later batch too.
    let mut batches = runs(10..70, 10);
    batches.push(int_batch(&[70, 72, 71], &[0, 0, 0]));
    let err = ds.write_batches(ok(batches), &streaming(4)).unwrap_err();
    assert!(matches!(err, Error::Unsorted { row: 62, .. }), "{err:?}");
    assert_eq!(dir_snapshot(dir.path()), before);
}

#[test]
fn a_null_in_a_later_batch_is_counted_from_the_start_of_the_stream() {
    let dir = tempfile::tempdir().unwrap();
    let ds = two_versions(dir.path());
    let before = dir_snapshot(dir.path());
    let mut batches = runs(10..40, 10);
    use ordo::arrow::datatypes::{DataType, Field, Schema};
    let nullable = Arc::new(Schema::new(vec![
        Field::new("ts", DataType::Int64, true),
        Field::new("v", DataType::Int64, true),
    ]));
    let with_null = RecordBatch::try_new(
        nullable,
        vec![
            Arc::new(Int64Array::from(vec![Some(40), None])),
            Arc::new(Int64Array::from(vec![1, 2])),
        ],
    )
    .unwrap();
    batches.push(with_null);
    let err = ds.write_batches(ok(batches), &streaming(4)).unwrap_err();
    assert!(
        matches!(&err, Error::NullInOrderedColumn { row: 31, column } if column == "ts"),
        "{err:?}"
    );
    assert_eq!(dir_snapshot(dir.path()), before);
}

#[test]
fn an_input_error_mid_stream_commits_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ds = two_versions(dir.path());
    let before = dir_snapshot(dir.path());
    let batches = runs(10..110, 10).into_iter().enumerate().map(|(i, b)| {
        if i == 7 {
            Err(ArrowError::ParseError(
                "line 71 of day.csv: bad float".into(),
            ))
        } else {
            Ok(b)
        }
    });
    let err = ds.write_batches(batches, &streaming(4)).unwrap_err();
    assert!(matches!(err, Error::Input { rows: 70, .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "reading the input failed after 70 rows: Parser error: line 71 of day.csv: bad float"
    );
    assert_eq!(dir_snapshot(dir.path()), before);
    assert_eq!(ds.version(), Some(2));
}

/// Fails the `n`-th data file put.
#[derive(Debug)]
struct NthDataPut {
    n: usize,
    seen: AtomicUsize,
}

impl Fault for NthDataPut {
    fn on(&self, op: Op, path: &str, _len: usize) -> Outcome {
        if op == Op::Put
            && path.ends_with(".parquet")
            && self.seen.fetch_add(1, Ordering::SeqCst) + 1 == self.n
        {
            return Outcome::Fail(io::Error::other("disk full"));
        }
        Outcome::Proceed
    }
}

#[test]
fn a_storage_fault_at_any_file_of_a_stream_leaves_the_dataset_as_it_was() {
    let mut failed = 0;
    for n in 1.. {
        let dir = tempfile::tempdir().unwrap();
        two_versions(dir.path());
        let before = dir_snapshot(dir.path());
        let faulty = Faulty {
            inner: LocalStorage::new(dir.path()),
            fault: NthDataPut {
                n,
                seen: AtomicUsize::new(0),
            },
        };
        let on = OpenOptions::new().storage(Arc::new(faulty));
        let ds = OrderedParquetDataset::open_with("", &on).unwrap();
        match ds.write_batches(ok(runs(10..60, 5)), &streaming(4)) {
            Err(Error::Io { .. }) => {
                assert_eq!(dir_snapshot(dir.path()), before, "file {n}");
                failed += 1;
            }
            Err(other) => panic!("file {n}: {other:?}"),
            Ok(report) => {
                assert!(report.committed);
                break;
            }
        }
    }
    // Faults while chunks were written and at the last files.
    assert!(failed >= 10, "{failed}");
}

#[test]
fn a_stream_on_shared_storage_loses_to_a_concurrent_commit_cleanly() {
    #[cfg(feature = "cloud")]
    {
        let storage = test_storage(true);
        let on = OpenOptions::new().storage(storage.clone());
        let ds = OrderedParquetDataset::open_with("d", &on).unwrap();
        ds.write(&int_batch(&[0], &[0]), &streaming(4)).unwrap();
        let rival = OrderedParquetDataset::open_with("d", &on).unwrap();
        let files_before = storage.list("d").unwrap();
        let batches = runs(10..60, 5).into_iter().enumerate().map(move |(i, b)| {
            if i == 5 {
                rival.write(&int_batch(&[1], &[1]), &streaming(4)).unwrap();
            }
            Ok::<_, ArrowError>(b)
        });
        let err = ds.write_batches(batches, &streaming(4)).unwrap_err();
        assert!(
            matches!(err, Error::CommitConflict { attempts: 1, .. }),
            "{err:?}"
        );
        let fresh = OrderedParquetDataset::open_with("d", &on).unwrap();
        assert_eq!(ts_of(&fresh), vec![0, 1]);
        // The stream's files are gone; the rival's commit added its own.
        let stray: Vec<String> = storage
            .list("d")
            .unwrap()
            .into_iter()
            .filter(|f| f.ends_with(".parquet") && !files_before.contains(f))
            .filter(|f| !fresh.row_group_stats().iter().any(|g| &g.file == f))
            .collect();
        assert!(stray.is_empty(), "{stray:?}");
        assert!(fresh.verify().unwrap().is_empty());
    }
}

#[test]
fn short_and_empty_streams() {
    let on = OpenOptions::new().storage(test_storage(false));
    let ds = OrderedParquetDataset::open_with("d", &on).unwrap();
    // No batch: nothing to do, no dataset created.
    let report = ds
        .write_batches(ok(vec![]), &WriteOptions::new("ts"))
        .unwrap();
    assert!(!report.committed);
    assert_eq!(ds.version(), None);
    // Metadata alone needs an existing dataset.
    let meta = WriteOptions::new("ts").key_value_metadata([("k", Some("v"))]);
    let err = ds.write_batches(ok(vec![]), &meta).unwrap_err();
    assert!(matches!(err, Error::DatasetNotFound { .. }), "{err:?}");
    // Empty batches only: the dataset is created with their schema.
    let empty = int_batch(&[], &[]);
    let report = ds
        .write_batches(ok(vec![empty.clone(), empty]), &WriteOptions::new("ts"))
        .unwrap();
    assert_eq!(report.version, 1);
    assert_eq!(ds.num_rows(), 0);
    // One chunk: the same as `write`, batches in either column order.
    let flipped = int_batch(&[3], &[30]).project(&[1, 0]).unwrap();
    let report = ds
        .write_batches(ok(vec![int_batch(&[1, 2], &[10, 20]), flipped]), &meta)
        .unwrap();
    assert_eq!(report.version, 2);
    assert_eq!(ds.read().unwrap(), int_batch(&[1, 2, 3], &[10, 20, 30]));
    assert_eq!(ds.key_value_metadata()["k"], "v");
    let meta2 = WriteOptions::new("ts").key_value_metadata([("k", Some("w"))]);
    assert_eq!(ds.write_batches(ok(vec![]), &meta2).unwrap().version, 3);
    assert_eq!(ds.key_value_metadata()["k"], "w");
    // A missing ordered column is named before anything is written.
    let err = ds
        .write_batches(ok(vec![int_batch(&[4], &[4])]), &WriteOptions::new("time"))
        .unwrap_err();
    assert!(matches!(err, Error::MissingOrderedColumn { .. }), "{err:?}");
}

fn case() -> impl Strategy<Value = (usize, Coalesce, DuplicatesOn, Vec<Row>, Vec<Vec<Row>>)> {
    let target = 1usize..9;
    let coalesce = prop_oneof![
        Just(Coalesce::Never),
        Just(Coalesce::Auto),
        (0usize..4).prop_map(Coalesce::MaxOffTarget),
    ];
    let dedup = prop_oneof![
        Just(DuplicatesOn::None),
        Just(DuplicatesOn::Columns(vec![])),
        Just(DuplicatesOn::Columns(vec!["tag".into()])),
        Just(DuplicatesOn::All),
    ];
    let row = (-30i64..150, proptest::option::of(0i64..3), 0i64..5);
    let base = proptest::collection::vec(row.clone(), 0..40).prop_map(sorted);
    // The stream: sorted rows cut into batches at random places.
    let stream = (
        proptest::collection::vec(row, 0..60),
        proptest::collection::vec(0usize..60, 0..8),
    )
        .prop_map(|(rows, cuts)| {
            let rows = sorted(rows);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(rows.len())).collect();
            cuts.push(0);
            cuts.push(rows.len());
            cuts.sort_unstable();
            cuts.windows(2)
                .map(|w| rows[w[0]..w[1]].to_vec())
                .collect::<Vec<_>>()
        });
    (target, coalesce, dedup, base, stream)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("ORDO_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
    ))]

    #[test]
    fn a_stream_writes_what_one_write_of_its_rows_writes(
        (target, coalesce, dedup, base, stream) in case(),
    ) {
        let open = || OrderedParquetDataset::open_with(
            "d", &OpenOptions::new().storage(test_storage(false))).unwrap();
        let (one, many) = (open(), open());
        let o = WriteOptions::new("ts")
            .row_group_target_size(RowGroupTarget::Rows(target))
            .coalesce(coalesce.clone())
            .duplicates_on(dedup.clone())
            .stream_chunk_bytes(1);
        if !base.is_empty() {
            one.write(&batch(&base, None), &o).unwrap();
            many.write(&batch(&base, None), &o).unwrap();
        }
        let rows: Vec<Row> = stream.concat();
        one.write(&batch(&rows, None), &o).unwrap();
        let batches: Vec<RecordBatch> = stream.iter().map(|b| batch(b, None)).collect();
        many.write_batches(ok(batches), &o).unwrap();
        let read = |ds: &OrderedParquetDataset| if ds.version().is_some() { rows_of(&ds.read().unwrap()) } else { vec![] };
        let model = model_write(&base, &model_write(&[], &rows, &dedup), &dedup);
        prop_assert_eq!(read(&many), model);
        prop_assert!(many.verify().unwrap().is_empty());
        prop_assert!(many.versions().unwrap().len() <= one.versions().unwrap().len());
        if coalesce == Coalesce::Never {
            // Chunks continue the cut where the last one stopped: the same
            // row groups as one write.
            let sizes = |ds: &OrderedParquetDataset| -> Vec<u64> {
                ds.row_group_stats().iter().map(|g| g.num_rows).collect()
            };
            prop_assert_eq!(sizes(&many), sizes(&one));
        }
    }
}
