//! Field arrays: 1,000 frames of 256 x 256 `f32` (zstd 1, one chunk per
//! frame) appended one at a time and read back, by ordo and by zarrs used
//! directly with the same settings.
//!
//! Two zarrs baselines: `zarrs_append` grows the array by one frame per
//! append (chunk, new shape, metadata document: what an appender must do
//! for readers to see each frame, like Python zarr's `append`);
//! `zarrs_preallocated` writes the chunks into an array created with its
//! final shape (the cost of the chunks alone).

mod common;

use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group};
use ordo::fields::{ElementType, FieldArray, FieldCodec, FieldSpec};
use ordo::ndarray::{Array, ArrayD, IxDyn};
use zarrs::array::{ArrayBuilder, ArraySubset, codec::ZstdCodec, data_type};
use zarrs::filesystem::FilesystemStore;

const FRAMES: usize = 1000;
const SIDE: usize = 256;

fn frame(t: usize) -> ArrayD<f32> {
    Array::from_shape_fn(IxDyn(&[1, SIDE, SIDE]), |i| {
        ((t * 7 + i[1] * 3 + i[2]) % 1000) as f32 * 0.5
    })
}

fn zarrs_array(dir: &std::path::Path, frames: u64) -> zarrs::array::Array<FilesystemStore> {
    let store = Arc::new(FilesystemStore::new(dir).unwrap());
    ArrayBuilder::new(
        vec![frames, SIDE as u64, SIDE as u64],
        vec![1, SIDE as u64, SIDE as u64],
        data_type::float32(),
        0.0f32,
    )
    .bytes_to_bytes_codecs(vec![Arc::new(ZstdCodec::new(1, false))])
    .build(store, "/data")
    .unwrap()
}

fn zarrs_append(dir: &std::path::Path, frames: &[ArrayD<f32>]) {
    let mut array = zarrs_array(dir, 0);
    array.store_metadata().unwrap();
    for (t, f) in frames.iter().enumerate() {
        array.store_chunk(&[t as u64, 0, 0], f.clone()).unwrap();
        array
            .set_shape(vec![t as u64 + 1, SIDE as u64, SIDE as u64])
            .unwrap();
        array.store_metadata().unwrap();
    }
}

fn zarrs_preallocated(dir: &std::path::Path, frames: &[ArrayD<f32>]) {
    let array = zarrs_array(dir, frames.len() as u64);
    array.store_metadata().unwrap();
    for (t, f) in frames.iter().enumerate() {
        array.store_chunk(&[t as u64, 0, 0], f.clone()).unwrap();
    }
}

fn spec() -> FieldSpec {
    FieldSpec::new(ElementType::F32, [SIDE as u64, SIDE as u64]).codec(FieldCodec::Zstd(1))
}

fn ordo_append(dir: &std::path::Path, frames: &[ArrayD<f32>]) {
    let field = FieldArray::create(dir, "image", &spec()).unwrap();
    for (t, f) in frames.iter().enumerate() {
        field.append(&[t as i64], f.view()).unwrap();
    }
}

fn appends(c: &mut Criterion) {
    let frames: Vec<ArrayD<f32>> = (0..FRAMES).map(frame).collect();
    let mut g = c.benchmark_group("field_appends");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    type Writer = fn(&std::path::Path, &[ArrayD<f32>]);
    let writers: [(&str, Writer); 3] = [
        ("zarrs_append", zarrs_append),
        ("zarrs_preallocated", zarrs_preallocated),
        ("ordo_append", ordo_append),
    ];
    for (name, write) in writers {
        g.bench_function(name, |b| {
            b.iter_batched(
                || tempfile::tempdir().unwrap(),
                |dir| {
                    write(dir.path(), &frames);
                    dir
                },
                BatchSize::PerIteration,
            )
        });
    }
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
                let field = FieldArray::create(dir.path(), "image", &spec()).unwrap();
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

fn reads(c: &mut Criterion) {
    let frames: Vec<ArrayD<f32>> = (0..FRAMES).map(frame).collect();
    let (zdir, odir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    zarrs_preallocated(zdir.path(), &frames);
    ordo_append(odir.path(), &frames);
    let array = zarrs::array::Array::open(
        Arc::new(FilesystemStore::new(zdir.path()).unwrap()),
        "/data",
    )
    .unwrap();
    let field = FieldArray::open(odir.path(), "image").unwrap();
    let mut g = c.benchmark_group("field_reads");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    let all = ArraySubset::new_with_ranges(&[0..FRAMES as u64, 0..SIDE as u64, 0..SIDE as u64]);
    g.bench_function("zarrs_all", |b| {
        b.iter(|| array.retrieve_array_subset::<ArrayD<f32>>(&all).unwrap())
    });
    g.bench_function("ordo_all", |b| {
        b.iter(|| field.frames::<f32>(0..FRAMES as u64).unwrap())
    });
    g.bench_function("zarrs_each", |b| {
        b.iter(|| {
            for t in 0..FRAMES as u64 {
                array.retrieve_chunk::<ArrayD<f32>>(&[t, 0, 0]).unwrap();
            }
        })
    });
    g.bench_function("ordo_each", |b| {
        b.iter(|| {
            for t in 0..FRAMES as u64 {
                field.frame::<f32>(t).unwrap();
            }
        })
    });
    g.finish();
}

criterion_group!(benches, appends, reads);

fn main() {
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
    let g = "field_appends";
    let report = common::report_time_ratio;
    report(
        "1,000 single-frame appends vs zarrs appending",
        g,
        "ordo_append",
        "zarrs_append",
        1.5,
    );
    report(
        "1,000 single-frame appends vs zarrs preallocated",
        g,
        "ordo_append",
        "zarrs_preallocated",
        1.5,
    );
    report(
        "100 appends of 10 frames vs zarrs appending",
        g,
        "ordo_append_10_at_a_time",
        "zarrs_append",
        1.5,
    );
    let g = "field_reads";
    report("read all 1,000 frames", g, "ordo_all", "zarrs_all", 1.5);
    report(
        "read 1,000 frames one by one",
        g,
        "ordo_each",
        "zarrs_each",
        1.5,
    );
}
