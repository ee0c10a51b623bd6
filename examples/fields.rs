//! Field arrays: an image stack over time next to a dataset.
//!
//! `cargo run --example fields -- [DIR]` writes a field under DIR (default
//! `./ordo-fields-example`, recreated) and reads it back lazily. The Python
//! interop check of CI reads the same directory with zarr and xarray.

use std::time::Instant;

use ordo::fields::{ElementType, FieldArray, FieldCodec, FieldSpec};
use ordo::ndarray::{Array, IxDyn};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "ordo-fields-example".into());
    let _ = std::fs::remove_dir_all(&dir);
    let spec = FieldSpec::new(ElementType::F32, [64, 48])
        .chunk_shape([32, 48])
        .codec(FieldCodec::Zstd(3))
        .attribute("units", "counts")
        .attribute("long_name", "detector image")
        .group_attribute("title", "ordo field example");
    let field = FieldArray::create(&dir, "image", &spec)?;

    // An acquisition loop: one 64x48 frame per second, appended as it comes.
    let started = Instant::now();
    let second = 1_000_000_000i64;
    for t in 0..20i64 {
        let frame = Array::from_shape_fn(IxDyn(&[1, 64, 48]), |i| {
            (t * 10_000 + (i[1] * 48 + i[2]) as i64) as f32
        });
        field.append(&[t * second], frame.view())?;
    }
    println!(
        "appended {} frames in {:.1?}",
        field.len()?,
        started.elapsed()
    );

    // Analysis: frame 5, and every frame between two times, read lazily.
    let frame5 = field.frame::<f32>(5)?;
    println!(
        "frame 5: shape {:?}, first value {}",
        frame5.shape(),
        frame5[[0, 0]]
    );
    let (times, frames) = field.frames_between::<f32>(10 * second, 13 * second)?;
    println!(
        "{} frames in [10 s, 13 s): times {times:?}, shape {:?}",
        times.len(),
        frames.shape()
    );
    let corner = field.region::<f32>(19, &[0..2, 0..2])?;
    println!(
        "frame 19, rows 0..2, cols 0..2: {:?}",
        corner.iter().collect::<Vec<_>>()
    );
    println!("written to {}", field.path().display());
    Ok(())
}
