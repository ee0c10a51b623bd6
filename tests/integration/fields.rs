//! Zarr v3 field arrays: appends, reads, bounds, truncation, crash
//! leftovers, the lock.

use std::time::Duration;

use crate::common::dir_snapshot;
use ordo::Error;
use ordo::fields::{ElementType, FieldArray, FieldCodec, FieldSpec};
use ordo::ndarray::{self, Array, ArrayD, IxDyn};

fn frames(k: usize, h: usize, w: usize, base: f32) -> ArrayD<f32> {
    Array::from_shape_fn(IxDyn(&[k, h, w]), |i| {
        base + (i[0] * 1000 + i[1] * 10 + i[2]) as f32
    })
}

fn image_spec() -> FieldSpec {
    FieldSpec::new(ElementType::F32, [4, 6])
        .chunk_shape([2, 3])
        .attribute("units", "counts")
        .attribute("long_name", "detector image")
        .group_attribute("title", "test run")
}

#[test]
fn append_and_read_frames_slices_ranges_and_regions() {
    let dir = tempfile::tempdir().unwrap();
    let field = FieldArray::create(dir.path(), "image", &image_spec()).unwrap();
    assert_eq!(field.len().unwrap(), 0);
    field.append(&[100], frames(1, 4, 6, 0.0).view()).unwrap();
    field
        .append(&[200, 300, 400], frames(3, 4, 6, 1.0).view())
        .unwrap();
    let field = FieldArray::open(dir.path(), "image").unwrap();
    assert_eq!(field.frame_shape(), &[4, 6]);
    assert_eq!(field.element_type(), ElementType::F32);
    assert_eq!(field.len().unwrap(), 4);
    assert_eq!(field.times().unwrap(), vec![100, 200, 300, 400]);
    assert_eq!(
        field.frame::<f32>(0).unwrap(),
        frames(1, 4, 6, 0.0).index_axis_move(ndarray::Axis(0), 0)
    );
    let two = field.frames::<f32>(1..3).unwrap();
    assert_eq!(two.shape(), &[2, 4, 6]);
    assert_eq!(two[[1, 2, 5]], 1.0 + 1000.0 + 25.0);
    let (times, between) = field.frames_between::<f32>(150, 400).unwrap();
    assert_eq!(times, vec![200, 300]);
    assert_eq!(between.shape()[0], 2);
    let (times, none) = field.frames_between::<f32>(401, 500).unwrap();
    assert!(times.is_empty() && none.shape()[0] == 0);
    let region = field.region::<f32>(3, &[1..3, 2..5]).unwrap();
    assert_eq!(region.shape(), &[2, 3]);
    assert_eq!(region[[0, 0]], 1.0 + 2000.0 + 12.0);
    assert_eq!(
        FieldArray::list(dir.path()).unwrap(),
        vec!["image".to_string()]
    );
}

#[test]
fn reads_past_the_end_are_errors_not_fill_values() {
    let dir = tempfile::tempdir().unwrap();
    let field = FieldArray::create(dir.path(), "f", &image_spec()).unwrap();
    field.append(&[1, 2], frames(2, 4, 6, 0.0).view()).unwrap();
    assert!(matches!(
        field.frame::<f32>(2),
        Err(Error::OutOfBounds { len: 2, .. })
    ));
    assert!(matches!(
        field.frames::<f32>(1..3),
        Err(Error::OutOfBounds { .. })
    ));
    assert!(matches!(
        field.region::<f32>(0, &[0..5, 0..6]),
        Err(Error::OutOfBounds { .. })
    ));
    assert!(matches!(
        field.region::<f32>(0, std::slice::from_ref(&(0..4))),
        Err(Error::OutOfBounds { .. })
    ));
    assert!(matches!(
        field.frame::<f64>(0),
        Err(Error::FieldTypeMismatch {
            expected: "float32",
            found: "float64",
            ..
        })
    ));
}

#[test]
fn bad_appends_are_rejected_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let field = FieldArray::create(dir.path(), "f", &image_spec()).unwrap();
    field.append(&[10], frames(1, 4, 6, 0.0).view()).unwrap();
    let before = dir_snapshot(dir.path());
    let cases: Vec<(Result<(), Error>, &str)> = vec![
        (
            field.append(&[10], frames(1, 4, 6, 0.0).view()),
            "equal to last",
        ),
        (
            field.append(&[5], frames(1, 4, 6, 0.0).view()),
            "before last",
        ),
        (
            field.append(&[20, 20], frames(2, 4, 6, 0.0).view()),
            "not increasing",
        ),
        (
            field.append(&[20], frames(1, 4, 5, 0.0).view()),
            "wrong frame shape",
        ),
        (
            field.append(&[20, 30], frames(1, 4, 6, 0.0).view()),
            "times and frames differ",
        ),
        (
            field.append(&[20], Array::from_elem(IxDyn(&[1, 4, 6]), 1u8).view()),
            "wrong type",
        ),
    ];
    for (result, what) in cases {
        let err = result.expect_err(what);
        assert!(
            matches!(
                err,
                Error::NonIncreasingTime { .. }
                    | Error::FieldShapeMismatch { .. }
                    | Error::FieldTypeMismatch { .. }
            ),
            "{what}: {err}"
        );
    }
    // The lock file existed before; nothing else changed.
    assert_eq!(dir_snapshot(dir.path()), before);
    assert_eq!(field.len().unwrap(), 1);
}

#[test]
fn create_and_open_errors() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        FieldArray::open(dir.path(), "nope"),
        Err(Error::FieldNotFound { .. })
    ));
    FieldArray::create(dir.path(), "f", &image_spec()).unwrap();
    assert!(matches!(
        FieldArray::create(dir.path(), "f", &image_spec()),
        Err(Error::FieldExists { .. })
    ));
    for bad in ["", "_x", "a/b", "a.b", ".."] {
        assert!(
            matches!(
                FieldArray::create(dir.path(), bad, &image_spec()),
                Err(Error::InvalidOption { .. })
            ),
            "{bad}"
        );
    }
    let zero = FieldSpec::new(ElementType::F32, [0, 3]);
    assert!(matches!(
        FieldArray::create(dir.path(), "z", &zero),
        Err(Error::InvalidOption { .. })
    ));
    let rank = FieldSpec::new(ElementType::F32, [4, 3]).chunk_shape([2]);
    assert!(matches!(
        FieldArray::create(dir.path(), "r", &rank),
        Err(Error::InvalidOption { .. })
    ));
    let gz = FieldSpec::new(ElementType::F32, [4, 3]).codec(FieldCodec::Gzip(12));
    assert!(matches!(
        FieldArray::create(dir.path(), "g", &gz),
        Err(Error::InvalidOption { .. })
    ));
}

fn chunk_files(field: &FieldArray) -> usize {
    walk(&field.path().join("data"))
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|es| {
            es.map(|e| {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p)
                } else {
                    usize::from(p.file_name().unwrap() != "zarr.json")
                }
            })
            .sum()
        })
        .unwrap_or(0)
}

#[test]
fn truncate_erases_chunks_and_old_data_never_comes_back() {
    for time_chunk in [1, 3] {
        let dir = tempfile::tempdir().unwrap();
        let spec = image_spec()
            .time_chunk(time_chunk)
            .codec(FieldCodec::Gzip(1));
        let field = FieldArray::create(dir.path(), "f", &spec).unwrap();
        field
            .append(&[1, 2, 3, 4, 5], frames(5, 4, 6, 0.0).view())
            .unwrap();
        let full_chunks = chunk_files(&field);
        field.truncate(2).unwrap();
        assert_eq!(field.len().unwrap(), 2);
        assert_eq!(field.times().unwrap(), vec![1, 2]);
        assert!(chunk_files(&field) < full_chunks, "time_chunk {time_chunk}");
        // Growing again shows the new frames only.
        field.append(&[10], frames(1, 4, 6, 500.0).view()).unwrap();
        assert_eq!(field.frame::<f32>(2).unwrap()[[0, 0]], 500.0);
        assert!(matches!(
            field.frame::<f32>(3),
            Err(Error::OutOfBounds { .. })
        ));
        field.truncate(10).unwrap(); // past the end: nothing
        assert_eq!(field.len().unwrap(), 3);
    }
}

#[test]
fn replace_from_replaces_the_tail_window() {
    let dir = tempfile::tempdir().unwrap();
    let field = FieldArray::create(dir.path(), "f", &image_spec()).unwrap();
    field
        .append(&[10, 20, 30, 40], frames(4, 4, 6, 0.0).view())
        .unwrap();
    field
        .replace_from(25, &[25, 35], frames(2, 4, 6, 900.0).view())
        .unwrap();
    assert_eq!(field.times().unwrap(), vec![10, 20, 25, 35]);
    assert_eq!(field.frame::<f32>(2).unwrap()[[0, 0]], 900.0);
    assert!(matches!(
        field.replace_from(30, &[29], frames(1, 4, 6, 0.0).view()),
        Err(Error::NonIncreasingTime { .. })
    ));
}

/// The temporary name an interrupted atomic write of `key` (relative to
/// the field's `.zarr`) leaves on local storage: `.{name}.{16 hex}.tmp`
/// beside it.
fn leftover(field: &FieldArray, key: &str) -> std::path::PathBuf {
    let path = field.path().join(key);
    let name = path.file_name().unwrap().to_str().unwrap().to_owned();
    path.with_file_name(format!(".{name}.0123456789abcdef.tmp"))
}

fn write_leftover(path: &std::path::Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, b"partial").unwrap();
}

#[test]
fn leftovers_of_a_crashed_writer_are_cleaned_under_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let field = FieldArray::create(dir.path(), "f", &image_spec()).unwrap();
    field
        .append(&[1, 2, 3], frames(3, 4, 6, 0.0).view())
        .unwrap();
    // A crash after the data shape was published, before the time shape:
    // simulated by rolling the time metadata back to 2 frames, plus a
    // temporary file left by an interrupted atomic write.
    let time_meta = field.path().join("time/zarr.json");
    let mut meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&time_meta).unwrap()).unwrap();
    meta["shape"] = serde_json::json!([2]);
    std::fs::write(&time_meta, serde_json::to_vec(&meta).unwrap()).unwrap();
    let tmp = leftover(&field, "data/zarr.json");
    write_leftover(&tmp);
    // An interrupted write of the chunk the next append writes.
    let chunk_tmp = leftover(&field, "data/c/2/0/0");
    write_leftover(&chunk_tmp);
    // Readers see the published length: 2 frames.
    assert_eq!(field.len().unwrap(), 2);
    assert!(matches!(
        field.frame::<f32>(2),
        Err(Error::OutOfBounds { .. })
    ));
    // The next writer repairs and appends at index 2.
    field.append(&[7], frames(1, 4, 6, 700.0).view()).unwrap();
    assert!(!tmp.exists() && !chunk_tmp.exists());
    assert_eq!(field.times().unwrap(), vec![1, 2, 7]);
    // Stale temporary files elsewhere go at the next truncation; files
    // with other names stay.
    let stale = leftover(&field, "data/c/0/1/1");
    write_leftover(&stale);
    let foreign = field.path().join("data/c/0/1/notes.tmp");
    write_leftover(&foreign);
    field.truncate(3).unwrap();
    assert!(!stale.exists() && foreign.exists());
    assert_eq!(field.frame::<f32>(2).unwrap()[[0, 0]], 700.0);
}

#[test]
fn leftovers_in_every_chunk_an_append_spans_are_cleaned() {
    let dir = tempfile::tempdir().unwrap();
    let spec = FieldSpec::new(ElementType::F32, [4, 6])
        .chunk_shape([2, 3])
        .time_chunk(2);
    let field = FieldArray::create(dir.path(), "f", &spec).unwrap();
    field.append(&[1], frames(1, 4, 6, 0.0).view()).unwrap();
    // A crashed append of frames 1..4 got as far as temporary files in
    // both time chunks it spans (the one it shares with frame 0, and the
    // next).
    let stale = [
        leftover(&field, "data/c/0/1/1"),
        leftover(&field, "data/c/1/1/1"),
        leftover(&field, "time/c/0"),
    ];
    stale.iter().for_each(|p| write_leftover(p));
    // Leftovers under the names of zarrs' atomic writes, which earlier
    // versions used, block nothing either.
    write_leftover(&field.path().join("data/c/1/1/1.tmp"));
    field
        .append(&[2, 3, 4], frames(3, 4, 6, 10.0).view())
        .unwrap();
    assert!(stale.iter().all(|p| !p.exists()));
    assert_eq!(field.times().unwrap(), vec![1, 2, 3, 4]);
    assert_eq!(field.frame::<f32>(3).unwrap()[[0, 0]], 2010.0);
}

#[test]
fn an_interrupted_creation_can_be_retried() {
    let dir = tempfile::tempdir().unwrap();
    let field = FieldArray::create(dir.path(), "f", &image_spec()).unwrap();
    let root = FieldArray::zarr_path(dir.path(), "f");
    // Killed while storing the array metadata: no group document yet, a
    // temporary file and a published array document left behind.
    std::fs::remove_file(root.join("zarr.json")).unwrap();
    let tmp = [
        leftover(&field, "data/zarr.json"),
        leftover(&field, "time/zarr.json"),
    ];
    tmp.iter().for_each(|p| write_leftover(p));
    std::fs::write(root.join("data/zarr.json.tmp"), b"partial").unwrap();
    assert!(matches!(
        FieldArray::open(dir.path(), "f"),
        Err(Error::FieldNotFound { .. })
    ));
    let field = FieldArray::create(dir.path(), "f", &image_spec()).unwrap();
    field.append(&[1], frames(1, 4, 6, 0.0).view()).unwrap();
    assert!(tmp.iter().all(|p| !p.exists()));
    assert_eq!(FieldArray::open(dir.path(), "f").unwrap().len().unwrap(), 1);
}

#[test]
fn a_held_lock_gives_lock_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let impatient = ordo::OpenOptions::new().lock_timeout(Duration::from_millis(50));
    let field = FieldArray::create_with(dir.path(), "f", &image_spec(), &impatient).unwrap();
    let lock = std::fs::File::open(dir.path().join("_fields/f.lock")).unwrap();
    lock.lock().unwrap();
    let start = std::time::Instant::now();
    let err = field.append(&[1], frames(1, 4, 6, 0.0).view()).unwrap_err();
    assert!(start.elapsed() >= Duration::from_millis(50));
    assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
    drop(lock);
    field.append(&[1], frames(1, 4, 6, 0.0).view()).unwrap();
}

#[test]
fn metadata_carries_cf_and_acdd_attributes() {
    let dir = tempfile::tempdir().unwrap();
    let spec = image_spec().time_unit(
        ordo::arrow::datatypes::TimeUnit::Millisecond,
        Some("Europe/Paris"),
    );
    let field = FieldArray::create(dir.path(), "f", &spec).unwrap();
    let read = |p: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(field.path().join(p)).unwrap()).unwrap()
    };
    let group = read("zarr.json");
    assert_eq!(group["attributes"]["title"], "test run");
    let data = read("data/zarr.json");
    assert_eq!(data["attributes"]["units"], "counts");
    assert_eq!(
        data["dimension_names"],
        serde_json::json!(["time", "y", "x"])
    );
    let time = read("time/zarr.json");
    assert_eq!(
        time["attributes"]["units"],
        "milliseconds since 1970-01-01T00:00:00"
    );
    assert_eq!(time["attributes"]["timezone"], "Europe/Paris");
    assert_eq!(time["data_type"], "int64");
}

#[test]
fn every_element_type() {
    fn roundtrip<T: ordo::fields::FieldElement + PartialEq + std::fmt::Debug>(v: T) {
        let dir = tempfile::tempdir().unwrap();
        let field = FieldArray::create(dir.path(), "f", &FieldSpec::new(T::TYPE, [2, 2])).unwrap();
        field
            .append(&[1], Array::from_elem(IxDyn(&[1, 2, 2]), v).view())
            .unwrap();
        assert_eq!(field.frame::<T>(0).unwrap()[[1, 1]], v);
    }
    roundtrip(1.5f32);
    roundtrip(2.5f64);
    roundtrip(-3i8);
    roundtrip(-300i16);
    roundtrip(-70_000i32);
    roundtrip(-5_000_000_000i64);
    roundtrip(200u8);
    roundtrip(60_000u16);
    roundtrip(4_000_000_000u32);
    roundtrip(u64::MAX);
}

fn one_pixel(k: usize, base: f32) -> ArrayD<f32> {
    Array::from_shape_fn(IxDyn(&[k, 1, 1]), |i| base + i[0] as f32)
}

#[test]
fn times_cross_time_chunks_and_survive_truncations() {
    let dir = tempfile::tempdir().unwrap();
    let field =
        FieldArray::create(dir.path(), "f", &FieldSpec::new(ElementType::F32, [1, 1])).unwrap();
    // 4095 frames, then 3 that span the first two time chunks (4096 each).
    let times: Vec<i64> = (0..4095).collect();
    field.append(&times, one_pixel(4095, 0.0).view()).unwrap();
    field
        .append(&[5000, 5001, 5002], one_pixel(3, 10_000.0).view())
        .unwrap();
    let mut expected: Vec<i64> = (0..4095).chain([5000, 5001, 5002]).collect();
    assert_eq!(field.times().unwrap(), expected);
    // Truncate inside the first chunk, grow again across the boundary.
    field.truncate(4094).unwrap();
    field
        .append(&[6000, 6001, 6002], one_pixel(3, 20_000.0).view())
        .unwrap();
    expected.truncate(4094);
    expected.extend([6000, 6001, 6002]);
    assert_eq!(field.times().unwrap(), expected);
    // Truncate exactly at the boundary: the second chunk goes, then comes
    // back from a fresh chunk.
    field.truncate(4096).unwrap();
    field
        .append(&[7000], one_pixel(1, 30_000.0).view())
        .unwrap();
    expected.truncate(4096);
    expected.push(7000);
    assert_eq!(field.times().unwrap(), expected);
    assert_eq!(field.frame::<f32>(4096).unwrap()[[0, 0]], 30_000.0);
    // What Python's zarr sees: the raw little-endian chunk.
    let raw = std::fs::read(field.path().join("time/c/1")).unwrap();
    assert_eq!(raw.len(), 4096 * 8);
    assert_eq!(i64::from_le_bytes(raw[..8].try_into().unwrap()), 7000);
    assert_eq!(i64::from_le_bytes(raw[8..16].try_into().unwrap()), i64::MIN);
}

#[test]
fn a_damaged_time_chunk_fails_the_append_and_publishes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let field =
        FieldArray::create(dir.path(), "f", &FieldSpec::new(ElementType::F32, [1, 1])).unwrap();
    field.append(&[1, 2], one_pixel(2, 0.0).view()).unwrap();
    let chunk = field.path().join("time/c/0");
    let bytes = std::fs::read(&chunk).unwrap();
    std::fs::write(&chunk, &bytes[..100]).unwrap();
    let err = field.append(&[3], one_pixel(1, 0.0).view()).unwrap_err();
    assert!(
        matches!(&err, Error::Zarr { source, .. } if source.to_string().contains("time chunk is 100 bytes")),
        "{err}"
    );
    let meta = std::fs::read_to_string(field.path().join("time/zarr.json")).unwrap();
    assert!(meta.contains("\"shape\": [\n    2\n  ]"), "{meta}");
    std::fs::remove_file(&chunk).unwrap();
    let err = field.append(&[3], one_pixel(1, 0.0).view()).unwrap_err();
    assert!(err.to_string().contains("missing"), "{err}");
}

#[test]
fn fields_with_compressed_times_still_append() {
    // Earlier versions compressed `time` like the data: such fields keep
    // working, rewriting the time chunk atomically.
    let dir = tempfile::tempdir().unwrap();
    let field =
        FieldArray::create(dir.path(), "f", &FieldSpec::new(ElementType::F32, [1, 1])).unwrap();
    let meta_path = field.path().join("time/zarr.json");
    let mut meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&meta_path).unwrap()).unwrap();
    meta["codecs"].as_array_mut().unwrap().push(
        serde_json::json!({"name": "zstd", "configuration": {"level": 0, "checksum": false}}),
    );
    std::fs::write(&meta_path, serde_json::to_vec(&meta).unwrap()).unwrap();
    let field = FieldArray::open(dir.path(), "f").unwrap();
    field.append(&[1, 2], one_pixel(2, 0.0).view()).unwrap();
    field.append(&[3], one_pixel(1, 5.0).view()).unwrap();
    assert_eq!(field.times().unwrap(), vec![1, 2, 3]);
    let raw = std::fs::read(field.path().join("time/c/0")).unwrap();
    assert!(raw.len() < 4096 * 8, "compressed, not raw");
}

#[test]
fn a_reader_handle_follows_appends_and_truncations_by_another() {
    let dir = tempfile::tempdir().unwrap();
    let spec = FieldSpec::new(ElementType::F32, [1, 1]);
    let writer = FieldArray::create(dir.path(), "f", &spec).unwrap();
    let reader = FieldArray::open(dir.path(), "f").unwrap();
    writer.append(&[1], one_pixel(1, 0.0).view()).unwrap();
    assert_eq!(reader.frame::<f32>(0).unwrap()[[0, 0]], 0.0);
    writer.append(&[2, 3], one_pixel(2, 10.0).view()).unwrap();
    assert_eq!(reader.frame::<f32>(2).unwrap()[[0, 0]], 11.0);
    writer.truncate(1).unwrap();
    assert!(matches!(
        reader.frame::<f32>(2),
        Err(Error::OutOfBounds { len: 1, .. })
    ));
    writer.append(&[4], one_pixel(1, 40.0).view()).unwrap();
    assert_eq!(reader.frame::<f32>(1).unwrap()[[0, 0]], 40.0);
    assert_eq!(reader.frames::<f32>(0..2).unwrap().len(), 2);
}

#[test]
fn readers_never_see_frames_a_concurrent_truncation_erases() {
    // A writer keeps replacing the tail; readers keep reading every frame
    // with its time. Each frame's pixels hold its time: a frame read while
    // a truncation erased or rewrote it would hold the fill value (0) or
    // another time's pixels.
    let dir = tempfile::tempdir().unwrap();
    let spec = FieldSpec::new(ElementType::F32, [64, 64])
        .chunk_shape([16, 64])
        .time_chunk(3);
    let field = FieldArray::create(dir.path(), "f", &spec).unwrap();
    let frame_at = |t: i64| Array::from_elem(IxDyn(&[1, 64, 64]), t as f32);
    for t in 1..=6 {
        field.append(&[t], frame_at(t).view()).unwrap();
    }
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut t = 7;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // Replace the last two frames by one newer frame, then grow
                // back: lengths 6 -> 5 -> 6 -> ...
                field.replace_from(t - 2, &[t], frame_at(t).view()).unwrap();
                field.append(&[t + 1], frame_at(t + 1).view()).unwrap();
                t += 2;
            }
        });
        let readers: Vec<_> = (0..3)
            .map(|_| {
                s.spawn(|| {
                    let reader = FieldArray::open(dir.path(), "f").unwrap();
                    let deadline = std::time::Instant::now() + Duration::from_millis(1500);
                    let mut reads = 0;
                    while std::time::Instant::now() < deadline {
                        let (times, frames) = reader.frames_between::<f32>(0, i64::MAX).unwrap();
                        assert_eq!(times.len(), frames.shape()[0]);
                        for (t, frame) in times.iter().zip(frames.outer_iter()) {
                            let wrong = frame.iter().filter(|&&v| v != *t as f32).count();
                            assert_eq!(wrong, 0, "frame of time {t}: {wrong} pixels differ");
                        }
                        reads += 1;
                    }
                    reads
                })
            })
            .collect();
        let results: Vec<_> = readers.into_iter().map(|r| r.join()).collect();
        // Stop the writer before reporting a reader's failure.
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let reads: usize = results
            .into_iter()
            .map(|r| r.unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .sum();
        assert!(reads > 10, "{reads} reads");
    });
}
