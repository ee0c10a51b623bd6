//! The state rebuilt from storage (records, checkpoints, whatever GC left)
//! equals a simple model at every retained version, after random
//! sequences of appends, merges, metadata changes, compactions, GCs and
//! checkpoints.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use ordo::arrow::array::{AsArray, RecordBatch};
use ordo::arrow::datatypes::Int64Type;
use ordo::{
    CompactOptions, OpenOptions, OrderedParquetDataset, Retention, RowGroupTarget, WriteOptions,
};
use proptest::prelude::*;

use crate::common::int_batch;

#[derive(Debug, Clone)]
enum Op {
    Append(u8),
    /// Rows at `start`, `start + 2`, ...: they interleave with and repeat
    /// existing values.
    Merge {
        start: u8,
        n: u8,
    },
    Meta {
        key: u8,
        value: Option<u8>,
    },
    Compact(u8),
    Gc(u8),
    Checkpoint,
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1u8..6).prop_map(Op::Append),
        3 => (0u8..60, 1u8..5).prop_map(|(start, n)| Op::Merge { start, n }),
        2 => (0u8..3, prop::option::of(0u8..3)).prop_map(|(key, value)| Op::Meta { key, value }),
        1 => (2u8..6).prop_map(Op::Compact),
        1 => (1u8..4).prop_map(Op::Gc),
        1 => Just(Op::Checkpoint),
        1 => Just(Op::Reopen),
    ]
}

/// A version as the model sees it: rows `(ts, v)` in order, and metadata.
#[derive(Debug, Clone, Default, PartialEq)]
struct Model {
    rows: Vec<(i64, i64)>,
    meta: BTreeMap<String, String>,
}

fn rows_of(batch: &RecordBatch) -> Vec<(i64, i64)> {
    let ts = batch.column(0).as_primitive::<Int64Type>();
    let v = batch.column(1).as_primitive::<Int64Type>();
    ts.values()
        .iter()
        .copied()
        .zip(v.values().iter().copied())
        .collect()
}

fn state(ds: &OrderedParquetDataset) -> Model {
    Model {
        rows: if ds.version().is_some() {
            rows_of(&ds.read().unwrap())
        } else {
            Vec::new()
        },
        meta: ds.key_value_metadata(),
    }
}

/// `n` values never written before, from the counter `next`.
fn fresh_values(next: &mut i64, n: usize) -> Vec<i64> {
    (0..n)
        .map(|_| {
            *next += 1;
            *next
        })
        .collect()
}

/// Runs `ops` on a memory storage, or an in-memory object store when
/// `object` (optimistic writers, merges from the handle's fresh groups).
fn run(ops: &[Op], object: bool) {
    let storage = crate::common::test_storage(object);
    let keep_all = Retention::default()
        .keep_versions(usize::MAX)
        .keep_younger_than(Duration::from_secs(3600));
    let opts = OpenOptions::new()
        .storage(storage.clone())
        .retention(keep_all);
    let mut ds = OrderedParquetDataset::open_with("d", &opts).unwrap();
    let write = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(3));
    let mut model = Model::default();
    let mut versions: HashMap<u64, Model> = HashMap::new();
    let mut next_value = 0i64;
    let mut commit = |ds: &OrderedParquetDataset, report: ordo::WriteReport, model: &Model| {
        if report.committed {
            versions.insert(report.version, model.clone());
        }
        assert!(report.checkpoint_error.is_none() && report.gc_error.is_none());
        assert_eq!(ds.version(), Some(report.version));
    };
    for op in ops {
        match op {
            Op::Append(n) => {
                let from = model.rows.last().map_or(0, |r| r.0 + 1);
                let ts: Vec<i64> = (from..from + *n as i64).collect();
                let v = fresh_values(&mut next_value, ts.len());
                let report = ds.write(&int_batch(&ts, &v), &write).unwrap();
                model.rows.extend(ts.into_iter().zip(v));
                commit(&ds, report, &model);
            }
            Op::Merge { start, n } => {
                let ts: Vec<i64> = (0..*n as i64).map(|i| *start as i64 + 2 * i).collect();
                let v = fresh_values(&mut next_value, ts.len());
                let report = ds.write(&int_batch(&ts, &v), &write).unwrap();
                model.rows.extend(ts.into_iter().zip(v));
                model.rows.sort_by_key(|r| r.0); // stable: new rows after equal old ones
                commit(&ds, report, &model);
            }
            Op::Meta { key, value } => {
                if ds.version().is_none() {
                    continue;
                }
                let key = format!("k{key}");
                let value = value.map(|v| format!("v{v}"));
                let report = ds.set_metadata([(key.clone(), value.clone())]).unwrap();
                match value {
                    Some(v) => model.meta.insert(key, v),
                    None => model.meta.remove(&key),
                };
                commit(&ds, report, &model);
            }
            Op::Compact(rows) => {
                if ds.version().is_none() {
                    continue;
                }
                let o = CompactOptions::new()
                    .row_group_target_size(RowGroupTarget::Rows(*rows as usize));
                let report = ds.compact(&o).unwrap();
                commit(&ds, report, &model);
            }
            Op::Gc(keep) => {
                // One writer: no grace period needed on an object store.
                let keep = Retention::default()
                    .keep_versions(*keep as usize)
                    .keep_younger_than(Duration::ZERO)
                    .grace_period(Duration::ZERO);
                ds.gc(&keep).unwrap();
            }
            Op::Checkpoint => {
                if ds.version().is_some() {
                    ds.checkpoint().unwrap();
                }
            }
            Op::Reopen => ds = OrderedParquetDataset::open_with("d", &opts).unwrap(),
        }
        assert_eq!(state(&ds), model, "after {op:?}");
    }
    let fresh = OrderedParquetDataset::open_with("d", &opts).unwrap();
    assert_eq!(state(&fresh), model);
    assert!(fresh.verify().unwrap().is_empty());
    for v in fresh.versions().unwrap() {
        let old = fresh.at_version(v).unwrap();
        assert_eq!(&state(&old), &versions[&v], "version {v}");
        assert!(old.verify().unwrap().is_empty(), "version {v}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_log_rebuilds_every_retained_version(
        ops in prop::collection::vec(op(), 1..40),
        object in any::<bool>(),
    ) {
        run(&ops, object);
    }
}
