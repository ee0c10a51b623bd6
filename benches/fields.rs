//! Field-array appends: ordo appending 512x512 f32 frames one at a time
//! (lock, atomic chunk and metadata writes, time coordinate) beside zarrs
//! writing the same chunks directly to a filesystem store.

mod common;

use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group};
use ordo::fields::{ElementType, FieldArray, FieldCodec, FieldSpec};
use ordo::ndarray::{Array, ArrayD, IxDyn};
use zarrs::array::{ArrayBuilder, codec::ZstdCodec, data_type};
use zarrs::filesystem::FilesystemStore;
use zarrs::storage::ReadableWritableListableStorage;
use zarrs::storage::storage_adapter::atomic_write::AtomicWriteStorageAdapter;

const FRAMES: usize = 50;
const SIDE: usize = 512;

fn frame(t: usize) -> ArrayD<f32> {
    Array::from_shape_fn(IxDyn(&[1, SIDE, SIDE]), |i| {
        ((t * 7 + i[1] * 3 + i[2]) % 1000) as f32 * 0.5
    })
}

/// zarrs alone: the array created with its final shape, one chunk stored
/// per frame.
fn zarrs_write(store: ReadableWritableListableStorage, frames: &[ArrayD<f32>]) {
    let array = ArrayBuilder::new(
        vec![FRAMES as u64, SIDE as u64, SIDE as u64],
        vec![1, SIDE as u64, SIDE as u64],
        data_type::float32(),
        0.0f32,
    )
    .bytes_to_bytes_codecs(vec![Arc::new(ZstdCodec::new(1, false))])
    .build(store, "/data")
    .unwrap();
    array.store_metadata().unwrap();
    for (t, f) in frames.iter().enumerate() {
        array.store_chunk(&[t as u64, 0, 0], f.clone()).unwrap();
    }
}

fn appends(c: &mut Criterion) {
    let frames: Vec<ArrayD<f32>> = (0..FRAMES).map(frame).collect();
    let mut g = c.benchmark_group("field_appends");
    g.sample_size(10).measurement_time(Duration::from_secs(15));
    g.bench_function("zarrs_direct", |b| {
        b.iter_batched(
            || tempfile::tempdir().unwrap(),
            |dir| {
                zarrs_write(Arc::new(FilesystemStore::new(dir.path()).unwrap()), &frames);
                dir
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("zarrs_atomic_adapter", |b| {
        b.iter_batched(
            || tempfile::tempdir().unwrap(),
            |dir| {
                let fs = Arc::new(FilesystemStore::new(dir.path()).unwrap());
                zarrs_write(Arc::new(AtomicWriteStorageAdapter::new(fs)), &frames);
                dir
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("ordo_append", |b| {
        b.iter_batched(
            || tempfile::tempdir().unwrap(),
            |dir| {
                let spec = FieldSpec::new(ElementType::F32, [SIDE as u64, SIDE as u64])
                    .codec(FieldCodec::Zstd(1));
                let field = FieldArray::create(dir.path(), "image", &spec).unwrap();
                for (t, f) in frames.iter().enumerate() {
                    field.append(&[t as i64], f.view()).unwrap();
                }
                dir
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("ordo_append_10_at_a_time", |b| {
        let batches: Vec<ArrayD<f32>> = frames
            .chunks(10)
            .map(|c| {
                let views: Vec<_> = c.iter().map(|f| f.view()).collect();
                ordo::ndarray::concatenate(ordo::ndarray::Axis(0), &views).unwrap()
            })
            .collect();
        b.iter_batched(
            || tempfile::tempdir().unwrap(),
            |dir| {
                let spec = FieldSpec::new(ElementType::F32, [SIDE as u64, SIDE as u64])
                    .codec(FieldCodec::Zstd(1));
                let field = FieldArray::create(dir.path(), "image", &spec).unwrap();
                for (i, batch) in batches.iter().enumerate() {
                    let times: Vec<i64> = (i as i64 * 10..i as i64 * 10 + 10).collect();
                    field.append(&times, batch.view()).unwrap();
                }
                dir
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, appends);

fn main() {
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
    let g = "field_appends";
    common::report_time_ratio("field frame appends", g, "ordo_append", "zarrs_direct", 1.5);
    common::report_time_ratio(
        "field appends of 10 frames",
        g,
        "ordo_append_10_at_a_time",
        "zarrs_direct",
        1.5,
    );
    common::report_time_ratio(
        "zarrs with the atomic adapter",
        g,
        "zarrs_atomic_adapter",
        "zarrs_direct",
        1.5,
    );
}
