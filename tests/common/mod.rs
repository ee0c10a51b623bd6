//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod faulty;
pub mod fixtures;
#[cfg(feature = "cloud")]
pub mod object;
pub mod workload;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ordo::arrow::array::{
    ArrayRef, Float64Array, Int64Array, RecordBatch, TimestampNanosecondArray,
};
use ordo::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// The tick schema of the benches: ts + 3 f64 + i64.
pub fn tick_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("ts", DataType::Timestamp(TimeUnit::Nanosecond, None), false),
        Field::new("bid", DataType::Float64, true),
        Field::new("ask", DataType::Float64, true),
        Field::new("last", DataType::Float64, true),
        Field::new("volume", DataType::Int64, true),
    ]))
}

/// Ticks with timestamps `ts` (ns).
pub fn ticks(ts: &[i64]) -> RecordBatch {
    let f = |k: f64| -> ArrayRef {
        Arc::new(Float64Array::from_iter_values(
            ts.iter().map(|&t| t as f64 * 0.5 + k),
        ))
    };
    RecordBatch::try_new(
        tick_schema(),
        vec![
            Arc::new(TimestampNanosecondArray::from(ts.to_vec())),
            f(1.0),
            f(2.0),
            f(3.0),
            Arc::new(Int64Array::from_iter_values(ts.iter().map(|&t| t % 1000))),
        ],
    )
    .unwrap()
}

/// A batch with one Int64 column `ts` and a payload column `v`.
pub fn int_batch(ts: &[i64], v: &[i64]) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("ts", DataType::Int64, false),
        Field::new("v", DataType::Int64, true),
    ]));
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from(ts.to_vec())),
            Arc::new(Int64Array::from(v.to_vec())),
        ],
    )
    .unwrap()
}

/// Every file under `dir` with its content: compare before and after an
/// operation that must change nothing.
pub fn dir_snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let e = e.unwrap();
            let p = e.path();
            if p.is_dir() {
                out.insert(p.strip_prefix(root).unwrap().to_owned(), b"<dir>".to_vec());
                walk(root, &p, out);
            } else {
                out.insert(
                    p.strip_prefix(root).unwrap().to_owned(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    walk(dir, dir, &mut out);
    out
}

/// An in-memory storage for tests that run on both kinds: `MemoryStorage`
/// (an exclusive lock, like local files) or, when `object` and the `cloud`
/// feature is on, an in-memory object store (optimistic writers).
pub fn test_storage(object: bool) -> Arc<dyn ordo::storage::Storage> {
    #[cfg(feature = "cloud")]
    if object {
        let store = Arc::new(ordo::object_store::memory::InMemory::new());
        return Arc::new(ordo::storage::ObjectStorage::new(store, "", "memory://test").unwrap());
    }
    let _ = object;
    Arc::new(ordo::storage::MemoryStorage::new())
}
