//! Datasets, stores, intersections and fields in object storage, through
//! URLs: on the process's in-memory object store (`memory://`) always, and
//! on an S3 API server when `ORDO_TEST_S3` names a bucket URL (`.ci/run`
//! starts one; see README). Optimistic writers racing on threads, the
//! grace period of garbage collection, and bad input leaving the bucket
//! as it was.
#![cfg(feature = "cloud")]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::common::{int_batch, object::roots};
use ordo::arrow::array::{AsArray, RecordBatch};
use ordo::arrow::datatypes::Int64Type;
use ordo::storage::{ObjectStorage, Storage};
use ordo::{
    Coalesce, DuplicatesOn, Error, IntersectOptions, OpenOptions, OrderedParquetDataset,
    OrderedValue, Retention, RowGroupTarget, Store, TopLevel, WriteOptions,
};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
struct Sensor {
    site: String,
    channel: u32,
}

fn ints(batch: &RecordBatch, column: &str) -> Vec<i64> {
    batch
        .column_by_name(column)
        .unwrap()
        .as_primitive::<Int64Type>()
        .values()
        .to_vec()
}

fn opts() -> WriteOptions {
    WriteOptions::new("ts")
        .row_group_target_size(RowGroupTarget::Rows(4))
        .coalesce(Coalesce::Never)
}

/// Every object below `root` with its bytes, to prove nothing changed.
fn objects(root: &str) -> BTreeMap<String, Vec<u8>> {
    let storage = ObjectStorage::from_url(root).unwrap();
    let mut out = BTreeMap::new();
    let mut dirs = vec![String::new()];
    while let Some(dir) = dirs.pop() {
        let join = |n: &str| {
            if dir.is_empty() {
                n.to_owned()
            } else {
                format!("{dir}/{n}")
            }
        };
        for f in storage.list(&dir).unwrap() {
            let path = join(&f);
            out.insert(path.clone(), storage.read(&path).unwrap().to_vec());
        }
        dirs.extend(storage.list_dirs(&dir).unwrap().iter().map(|d| join(d)));
    }
    out
}

#[test]
fn a_dataset_lives_at_a_url() {
    for root in roots("dataset") {
        let url = format!("{root}/ticks");
        let ds = OrderedParquetDataset::open(&url).unwrap();
        assert_eq!(ds.version(), None, "{url}");
        assert_eq!(ds.path().to_str(), Some(url.as_str()));
        ds.write(&int_batch(&[1, 2, 3, 4, 5], &[1, 1, 1, 1, 1]), &opts())
            .unwrap();
        ds.write(&int_batch(&[6, 7], &[2, 2]), &opts()).unwrap();
        // An overlapping correction, last wins on ts.
        let fix = opts().duplicates_on(DuplicatesOn::Columns(vec![]));
        ds.write(&int_batch(&[2, 3], &[9, 9]), &fix).unwrap();
        ds.set_metadata([("source", Some("station 7"))]).unwrap();

        let again = OrderedParquetDataset::open(&url).unwrap();
        assert_eq!(again.version(), Some(4), "{url}");
        let all = again.read().unwrap();
        assert_eq!(ints(&all, "ts"), [1, 2, 3, 4, 5, 6, 7], "{url}");
        assert_eq!(ints(&all, "v"), [1, 9, 9, 1, 1, 2, 2], "{url}");
        let some = again
            .read_range(OrderedValue::from(3), OrderedValue::from(6))
            .unwrap();
        assert_eq!(ints(&some, "ts"), [3, 4, 5]);
        assert_eq!(again.key_value_metadata()["source"], "station 7");
        assert!(again.verify().unwrap().is_empty(), "{url}");
        let first = again.at_version(1).unwrap().read().unwrap();
        assert_eq!(ints(&first, "v"), [1, 1, 1, 1, 1]);

        again.remove().unwrap();
        assert!(
            objects(&url).is_empty(),
            "{url}: {:?}",
            objects(&url).keys()
        );
        assert_eq!(OrderedParquetDataset::open(&url).unwrap().version(), None);
    }
}

#[test]
fn a_store_its_intersections_and_discovery_live_at_a_url() {
    for root in roots("store") {
        let store = Store::<Sensor>::open(&root).unwrap();
        let a = Sensor {
            site: "berlin".into(),
            channel: 1,
        };
        let b = Sensor {
            site: "paris".into(),
            channel: 2,
        };
        store
            .get(&a)
            .unwrap()
            .write(&int_batch(&[1, 2, 3, 4, 5, 6], &[1; 6]), &opts())
            .unwrap();
        store
            .get(&b)
            .unwrap()
            .write(&int_batch(&[3, 4, 8], &[2; 3]), &opts())
            .unwrap();

        let reopened = Store::<Sensor>::open(&root).unwrap();
        assert_eq!(reopened.keys(), [a.clone(), b.clone()], "{root}");
        let found = ordo::dataset_dirs(&root).unwrap();
        assert_eq!(found.len(), 2, "{root}: {found:?}");

        let steps: Vec<_> = reopened
            .iter_intersections(&[a.clone(), b.clone()], IntersectOptions::new())
            .unwrap()
            .map(|s| s.unwrap())
            .collect();
        let rows: usize = steps
            .iter()
            .flat_map(|s| [s.get(&a), s.get(&b)])
            .flatten()
            .map(|c| c.num_rows())
            .sum();
        assert_eq!(rows, 9, "{root}");

        reopened.remove(&a).unwrap();
        assert_eq!(Store::<Sensor>::open(&root).unwrap().keys(), [b]);
    }
}

#[test]
fn racing_writers_on_threads_each_commit_once() {
    for root in roots("race") {
        let url = format!("{root}/shared");
        let (writers, commits) = (4, 8);
        std::thread::scope(|s| {
            for w in 0..writers {
                let url = url.clone();
                s.spawn(move || {
                    let ds = OrderedParquetDataset::open(&url).unwrap();
                    for c in 0..commits {
                        let t = (w * 1000 + c) as i64;
                        ds.write(&int_batch(&[t], &[w as i64]), &opts()).unwrap();
                    }
                });
            }
        });
        let ds = OrderedParquetDataset::open(&url).unwrap();
        let mut expected: Vec<i64> = (0..writers)
            .flat_map(|w| (0..commits).map(move |c| (w * 1000 + c) as i64))
            .collect();
        expected.sort();
        assert_eq!(ints(&ds.read().unwrap(), "ts"), expected, "{url}");
        assert_eq!(ds.version(), Some((writers * commits) as u64));
        let all = Retention::default().keep_versions(usize::MAX);
        assert_eq!(ds.gc(&all).unwrap().versions_deleted, Vec::<u64>::new());
        let versions = ds.versions().unwrap();
        assert_eq!(
            versions,
            (1..=(writers * commits) as u64).collect::<Vec<_>>()
        );
        assert!(ds.verify().unwrap().is_empty());
    }
}

#[test]
fn a_writer_that_keeps_losing_gives_up_with_a_named_error() {
    // Two handles; the second's every attempt loses to a commit of the
    // first, made between its planning and its publication. A storage
    // that commits for "the other writer" on each record put does that.
    let root = format!("memory://give-up-{}", std::process::id());
    let url = format!("{root}/d");
    let loser =
        OrderedParquetDataset::open_with(&url, &OpenOptions::new().commit_attempts(3)).unwrap();
    let rival = OrderedParquetDataset::open(&url).unwrap();
    rival.write(&int_batch(&[0], &[0]), &opts()).unwrap();
    loser.refresh().unwrap();
    let inner = ObjectStorage::from_url(&root).unwrap();
    let sabotage = Arc::new(crate::common::object::CommitFirst::new(
        inner,
        "d",
        move |v| {
            let _ = v;
            rival
                .write(&int_batch(&[v as i64 * 10], &[1]), &opts())
                .unwrap();
        },
    ));
    let loser_on_sabotage = OrderedParquetDataset::open_with(
        "d",
        &OpenOptions::new().storage(sabotage).commit_attempts(3),
    )
    .unwrap();
    drop(loser);
    let err = loser_on_sabotage
        .write(&int_batch(&[5], &[5]), &opts())
        .unwrap_err();
    assert!(
        matches!(err, Error::CommitConflict { attempts: 3, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("memory://"), "{err}");
    let ds = OrderedParquetDataset::open(&url).unwrap();
    assert!(!ints(&ds.read().unwrap(), "ts").contains(&5));
    assert!(ds.verify().unwrap().is_empty());
}

#[test]
fn gc_spares_young_unreferenced_files_on_shared_storage() {
    for root in roots("grace") {
        let url = format!("{root}/d");
        let ds = OrderedParquetDataset::open(&url).unwrap();
        ds.write(&int_batch(&[1], &[1]), &opts()).unwrap();
        // Another writer's file, written but not yet committed.
        let storage = ObjectStorage::from_url(&url).unwrap();
        let pending = "00000000000000000002-00000-0123456789abcdef.parquet";
        storage.put(pending, b"not yet committed").unwrap();
        let keep_one = Retention::default()
            .keep_versions(1)
            .keep_younger_than(Duration::ZERO);
        ds.gc(&keep_one).unwrap();
        assert!(
            storage.list("").unwrap().contains(&pending.to_owned()),
            "{url}"
        );
        // Past the grace period it is a crashed writer's, and goes.
        let no_grace = keep_one.clone().grace_period(Duration::ZERO);
        let report = ds.gc(&no_grace).unwrap();
        assert!(
            report.files_deleted.contains(&pending.to_owned()),
            "{report:?}"
        );
        assert_eq!(ints(&ds.read().unwrap(), "ts"), [1]);
    }
}

#[test]
fn bad_input_leaves_the_bucket_unchanged() {
    for root in roots("bad-input") {
        let url = format!("{root}/d");
        let ds = OrderedParquetDataset::open(&url).unwrap();
        ds.write(&int_batch(&[1, 2], &[1, 2]), &opts()).unwrap();
        let before = objects(&root);
        let unsorted = ds.write(&int_batch(&[5, 3], &[0, 0]), &opts()).unwrap_err();
        assert!(matches!(unsorted, Error::Unsorted { .. }), "{unsorted:?}");
        let wrong_column = ds
            .write(&int_batch(&[9], &[9]), &WriteOptions::new("v"))
            .unwrap_err();
        assert!(
            matches!(wrong_column, Error::OrderedOnMismatch { .. }),
            "{wrong_column:?}"
        );
        assert_eq!(objects(&root), before, "{root}");
    }
}

#[test]
fn unknown_schemes_are_named_errors() {
    let err = OrderedParquetDataset::open("ftp://host/x").unwrap_err();
    assert!(matches!(err, Error::InvalidLocation { .. }), "{err:?}");
    assert!(err.to_string().contains("ftp://host/x"), "{err}");
    let err = Store::<Sensor>::open("nope://x").unwrap_err();
    assert!(err.to_string().contains("unknown storage scheme"), "{err}");
}

/// The requests each operation sends, counted by an instrumented object
/// store (in memory: the same requests an S3 client sends). Printed with
/// `--nocapture`; recorded in docs/PERFORMANCE.md.
#[test]
fn requests_per_operation() {
    use crate::common::object::Counted;
    let counted = Arc::new(Counted::new(Arc::new(
        ordo::object_store::memory::InMemory::new(),
    )));
    let storage = Arc::new(ObjectStorage::new(counted.clone(), "", "memory://counted").unwrap());
    let on = OpenOptions::new().storage(storage.clone());
    let append = WriteOptions::new("ts")
        .row_group_target_size(RowGroupTarget::Rows(1000))
        .coalesce(Coalesce::Never);
    let ds = OrderedParquetDataset::open_with("d", &on).unwrap();
    for i in 0..30 {
        let ts: Vec<i64> = (i * 100..(i + 1) * 100).collect();
        ds.write(&int_batch(&ts, &ts), &append).unwrap();
    }
    let mut report = Vec::new();
    let mut measure = |what: &str, f: &mut dyn FnMut()| {
        counted.take();
        f();
        let counts = counted.take();
        let total: u64 = counts.values().sum();
        report.push(format!("{what}: {total} {counts:?}"));
        counts
    };
    let open = measure("open", &mut || {
        OrderedParquetDataset::open_with("d", &on).unwrap();
    });
    let mut i = 30;
    let appends: Vec<_> = (0..12)
        .map(|_| {
            i += 1;
            let ts: Vec<i64> = (i * 100..(i + 1) * 100).collect();
            measure("append", &mut || {
                ds.write(&int_batch(&ts, &ts), &append).unwrap();
            })
        })
        .collect();
    let reader = OrderedParquetDataset::open_with("d", &on).unwrap();
    let full = measure("full read", &mut || {
        reader.read().unwrap();
    });
    let range = measure("range read of one row group", &mut || {
        reader
            .read_range(OrderedValue::from(1510), OrderedValue::from(1520))
            .unwrap();
    });

    // A store of 100 datasets (two levels of keys), and 2 of them
    // intersected (one row group each per window).
    let store = Store::<Sensor>::open_with("store", &on).unwrap();
    let sensor = |i: u32| Sensor {
        site: format!("site{}", i / 10),
        channel: i % 10,
    };
    for i in 0..100 {
        let ts: Vec<i64> = (0..20).map(|t| t * 10 + i as i64).collect();
        store
            .get(&sensor(i))
            .unwrap()
            .write(&int_batch(&ts, &ts), &opts())
            .unwrap();
    }
    let discovery = measure("discovery of 100 datasets (Store::open)", &mut || {
        assert_eq!(Store::<Sensor>::open_with("store", &on).unwrap().len(), 100);
    });
    let pair = [sensor(0), sensor(1)];
    let mut steps = store
        .iter_intersections(&pair, IntersectOptions::new())
        .unwrap();
    steps.next().unwrap().unwrap(); // the first step also opens the datasets
    let step = measure("4 iter_intersections steps (2 datasets)", &mut || {
        for _ in 0..4 {
            steps.next().unwrap().unwrap();
        }
    });

    for line in &report {
        println!("{line}");
    }
    let plain = |c: &crate::common::object::Requests| {
        c.get("head") == Some(&1)
            && c.get("get") == Some(&1)
            && c.get("put") == Some(&2)
            && c.len() == 3
    };
    // Steady state: the data file written while the next record is found
    // missing and the handle's own record read (its commit id checked),
    // then the commit record; a checkpoint now and then, and the
    // collection after every 8th version.
    let steady = appends.iter().filter(|c| plain(c)).count();
    assert!(
        steady >= 9,
        "appends of 2 checks + 2 writes: {steady} of 12: {report:?}"
    );
    let total = |c: &crate::common::object::Requests| c.values().sum::<u64>();
    assert_eq!(total(&range), 1, "{report:?}");
    assert_eq!(total(&full), reader.num_row_groups() as u64, "{report:?}");
    assert!(total(&open) <= 4, "{report:?}");
    // A window needs at most one new row group per dataset.
    assert!(total(&step) <= 8, "{report:?}");
    // One listing per directory of keys and per dataset's manifests.
    assert!(total(&discovery) <= 112, "{report:?}");
}

#[test]
fn field_arrays_live_at_a_url_and_appenders_take_turns() {
    use ordo::fields::{ElementType, FieldArray, FieldSpec};
    use ordo::ndarray::{Array, IxDyn};
    for root in roots("fields") {
        let dir = format!("{root}/run-7");
        let spec = FieldSpec::new(ElementType::U16, [2, 2]);
        let field = FieldArray::create(&dir, "image", &spec).unwrap();
        assert_eq!(FieldArray::list(&dir).unwrap(), ["image"], "{dir}");
        // Two appenders on threads, 10 frames each: the lease makes them
        // take turns; every frame lands once, times stay increasing.
        std::thread::scope(|s| {
            for w in 0..2u16 {
                let dir = dir.clone();
                s.spawn(move || {
                    let f = FieldArray::open(&dir, "image").unwrap();
                    for i in 0..10u16 {
                        let frame = Array::from_elem(IxDyn(&[1, 2, 2]), w * 100 + i);
                        // Times: the appender reads the last one under the
                        // lease, so it appends after whatever is there.
                        loop {
                            let last = f.times().unwrap().last().copied().unwrap_or(0);
                            match f.append(&[last + 1], frame.view()) {
                                Ok(()) => break,
                                Err(ordo::Error::NonIncreasingTime { .. }) => continue,
                                Err(e) => panic!("{e}"),
                            }
                        }
                    }
                });
            }
        });
        let times = field.times().unwrap();
        assert_eq!(times, (1..=20).collect::<Vec<i64>>(), "{dir}");
        let mut values: Vec<u16> = (0..20)
            .map(|i| field.frame::<u16>(i).unwrap()[[0, 0]])
            .collect();
        values.sort();
        let mut want: Vec<u16> = (0..2)
            .flat_map(|w| (0..10).map(move |i| w * 100 + i))
            .collect();
        want.sort();
        assert_eq!(values, want, "{dir}");
        field.truncate(5).unwrap();
        assert_eq!(
            FieldArray::open(&dir, "image")
                .unwrap()
                .times()
                .unwrap()
                .len(),
            5
        );
        // No lease is left behind.
        let storage = ObjectStorage::from_url(&dir).unwrap();
        let left: Vec<String> = storage.list("_fields").unwrap();
        assert!(left.iter().all(|n| !n.ends_with(".lock")), "{left:?}");
    }
}

/// What a faulted operation does.
#[derive(Debug, Clone, Copy)]
enum FaultedOp {
    /// A write merging into existing row groups, whose version (8) also
    /// runs the collection after commits.
    MergingWrite,
    Gc,
    Checkpoint,
}

#[test]
fn a_failed_request_at_any_point_leaves_the_previous_or_the_new_version() {
    use crate::common::object::{Counted, Fault};
    let merge = opts().duplicates_on(DuplicatesOn::Columns(vec![]));
    let mut runs = 0;
    for fault in [Fault::BeforeSend, Fault::ReplyLost, Fault::Timeout] {
        for op in [
            FaultedOp::MergingWrite,
            FaultedOp::Gc,
            FaultedOp::Checkpoint,
        ] {
            for k in 1.. {
                let memory: Arc<dyn ordo::object_store::ObjectStore> =
                    Arc::new(ordo::object_store::memory::InMemory::new());
                let clean = OpenOptions::new().storage(Arc::new(
                    ObjectStorage::new(memory.clone(), "", "memory://clean").unwrap(),
                ));
                let setup = OrderedParquetDataset::open_with("d", &clean).unwrap();
                for v in 0..7i64 {
                    let ts: Vec<i64> = (v * 4..v * 4 + 4).collect();
                    setup.write(&int_batch(&ts, &[v; 4]), &merge).unwrap();
                }
                let before = setup.read().unwrap();
                let counted = Arc::new(Counted::new(memory.clone()));
                let faulty = OpenOptions::new().storage(Arc::new(
                    ObjectStorage::new(counted.clone(), "", "memory://faulty").unwrap(),
                ));
                let ds = OrderedParquetDataset::open_with("d", &faulty).unwrap();
                counted.fail_at(k, fault);
                let result = match op {
                    FaultedOp::MergingWrite => ds
                        .write(&int_batch(&[2, 3, 9, 30], &[-1; 4]), &merge)
                        .map(|r| r.version),
                    FaultedOp::Gc => ds
                        .gc(&Retention::default()
                            .keep_versions(2)
                            .keep_younger_than(Duration::ZERO)
                            .grace_period(Duration::ZERO))
                        .map(|_| 7),
                    FaultedOp::Checkpoint => ds.checkpoint(),
                };
                let fired = counted.fired();
                // A request that timed out lands a little later.
                std::thread::sleep(Duration::from_millis(40));
                let after = OrderedParquetDataset::open_with("d", &clean).unwrap();
                let what = format!("{fault:?} at request {k} of {op:?}: {result:?}");
                let version = after.version().unwrap();
                let rows = after.read().unwrap_or_else(|e| panic!("{what}: {e}"));
                match version {
                    7 => assert_eq!(rows, before, "{what}"),
                    8 => {
                        assert!(matches!(op, FaultedOp::MergingWrite), "{what}");
                        let ts = ints(&rows, "ts");
                        assert_eq!(
                            ts,
                            [
                                0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
                                19, 20, 21, 22, 23, 24, 25, 26, 27, 30
                            ],
                            "{what}"
                        );
                        assert_eq!(ints(&rows, "v")[2..4], [-1, -1], "{what}");
                    }
                    other => panic!("{what}: version {other}"),
                }
                assert_eq!(after.verify().unwrap(), [], "{what}");
                // A reply lost is recognised: the write reports its commit.
                if matches!(op, FaultedOp::MergingWrite) && fault != Fault::Timeout {
                    assert_eq!(result.is_ok(), version == 8, "{what}");
                }
                runs += 1;
                if !fired {
                    break;
                }
            }
        }
    }
    assert!(runs > 30, "{runs} runs");
}

/// 200 appends with the default options (auto coalescing, checkpoints,
/// the collection after commits): the merges read nothing back (the
/// handle keeps the groups it wrote), the collection reads no record the
/// handle wrote.
#[test]
fn requests_of_200_default_appends() {
    use crate::common::object::Counted;
    let counted = Arc::new(Counted::new(Arc::new(
        ordo::object_store::memory::InMemory::new(),
    )));
    let storage = Arc::new(ObjectStorage::new(counted.clone(), "", "memory://counted").unwrap());
    let on = OpenOptions::new().storage(storage);
    let ds = OrderedParquetDataset::open_with("d", &on).unwrap();
    for i in 0..200i64 {
        let ts: Vec<i64> = (i * 10_000..(i + 1) * 10_000).collect();
        ds.write(&int_batch(&ts, &ts), &WriteOptions::new("ts"))
            .unwrap();
    }
    let counts = counted.take();
    println!("200 appends: {counts:?}");
    let per_append = counts.values().sum::<u64>() as f64 / 200.0;
    assert!(
        per_append < 4.6,
        "{per_append} requests per append: {counts:?}"
    );
    assert!(counts["get"] <= 205, "{counts:?}");
}

#[test]
fn a_stale_handle_never_forks_the_log_after_a_collection() {
    for root in roots("stale") {
        let url = format!("{root}/d");
        let stale = OrderedParquetDataset::open(&url).unwrap();
        stale.write(&int_batch(&[0], &[0]), &opts()).unwrap();
        // Another writer commits versions 2..=20 and collects everything
        // before the last (no writer runs, so no grace period is needed).
        let other = OrderedParquetDataset::open(&url).unwrap();
        for i in 1..20 {
            other.write(&int_batch(&[i], &[i]), &opts()).unwrap();
        }
        let all_but_last = Retention::default()
            .keep_versions(1)
            .keep_younger_than(Duration::ZERO)
            .grace_period(Duration::ZERO);
        other.gc(&all_but_last).unwrap();
        assert_eq!(other.versions().unwrap(), [20], "{url}");
        // The stale handle (at version 1, whose record and the next are
        // gone) must commit version 21, not a new version 2 below the base.
        let report = stale.write(&int_batch(&[100], &[100]), &opts()).unwrap();
        assert_eq!(report.version, 21, "{url}");
        let ds = OrderedParquetDataset::open(&url).unwrap();
        let mut want: Vec<i64> = (0..20).collect();
        want.push(100);
        assert_eq!(ints(&ds.read().unwrap(), "ts"), want, "{url}");
        assert_eq!(ds.versions().unwrap(), [20, 21]);
        assert!(ds.verify().unwrap().is_empty());
    }
}

#[test]
fn shared_storage_keeps_versions_replaced_within_the_grace_period() {
    for root in roots("floor") {
        let url = format!("{root}/d");
        let ds = OrderedParquetDataset::open(&url).unwrap();
        for i in 0..4 {
            ds.write(&int_batch(&[i], &[i]), &opts()).unwrap();
        }
        // Without the grace period, keep_younger_than(0) would collect
        // versions 1..=3: a writer may still be about to commit on them.
        let keep_one = Retention::default()
            .keep_versions(1)
            .keep_younger_than(Duration::ZERO);
        assert!(
            ds.gc(&keep_one).unwrap().versions_deleted.is_empty(),
            "{url}"
        );
        assert_eq!(ds.versions().unwrap(), [1, 2, 3, 4]);
        let report = ds.gc(&keep_one.grace_period(Duration::ZERO)).unwrap();
        assert_eq!(report.versions_deleted, [1, 2, 3], "{url}");
    }
}

#[test]
fn a_write_slower_than_half_the_grace_period_commits_nothing() {
    let root = roots("slow").remove(0);
    let url = format!("{root}/d");
    OrderedParquetDataset::open(&url)
        .unwrap()
        .write(&int_batch(&[1], &[1]), &opts())
        .unwrap();
    let before = objects(&root);
    // A grace period so short that any write outlasts half of it.
    let hasty =
        OpenOptions::new().retention(Retention::default().grace_period(Duration::from_nanos(2)));
    let ds = OrderedParquetDataset::open_with(&url, &hasty).unwrap();
    let err = ds.write(&int_batch(&[2], &[2]), &opts()).unwrap_err();
    assert!(matches!(err, Error::GracePeriodExceeded { .. }), "{err:?}");
    assert!(err.to_string().contains("nothing was committed"), "{err}");
    assert_eq!(objects(&root), before, "its files are deleted");
}
