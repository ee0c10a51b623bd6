//! `ordo fields ls`, `info` and `cat` on field arrays made with the
//! library.

use crate::common::{assert_error, ok, ordo};
use ordo::fields::{ElementType, FieldArray, FieldSpec};
use ordo::ndarray::{Array, IxDyn};

/// Field `image` (u16, frames 2x3, times 10 and 20) and field `temp`
/// (f32, 4 values, no frame) of key directory `run`.
fn fields(d: &std::path::Path) {
    let run = d.join("run");
    let image =
        FieldArray::create(&run, "image", &FieldSpec::new(ElementType::U16, [2, 3])).unwrap();
    let frames = Array::from_shape_fn(IxDyn(&[2, 2, 3]), |i| (i[0] * 100 + i[1] * 3 + i[2]) as u16);
    image.append(&[10, 20], frames.view()).unwrap();
    FieldArray::create(&run, "temp", &FieldSpec::new(ElementType::F32, [4])).unwrap();
}

#[test]
fn ls_lists_the_fields_of_a_key_directory() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fields(d);
    let text = ok(d, &["fields", "ls", "run"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[1].starts_with("image") && lines[1].contains("uint16"),
        "{text}"
    );
    assert!(
        lines[1].contains("[2, 3]") && lines[1].contains("1970-01-01T00:00:00.000000010+00:00"),
        "{text}"
    );
    assert!(
        lines[2].starts_with("temp") && lines[2].contains(" 0 "),
        "{text}"
    );
    let list: serde_json::Value =
        serde_json::from_str(&ok(d, &["fields", "ls", "run", "--json"])).unwrap();
    assert_eq!(list[0]["name"], "image");
    assert_eq!(list[0]["frames"], 2);
    assert_eq!(list[1]["frames"], 0);
    std::fs::create_dir(d.join("plain")).unwrap();
    assert_eq!(
        ok(d, &["fields", "ls", "plain"]),
        "no field array in plain\n"
    );
    assert_error(
        &ordo(d, &["fields", "ls", "nowhere"]),
        "no directory at nowhere",
    );
}

#[test]
fn info_describes_a_field_by_path_or_shorthand() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fields(d);
    let info: serde_json::Value = serde_json::from_str(&ok(
        d,
        &["fields", "info", "run/_fields/image.zarr", "--json"],
    ))
    .unwrap();
    assert_eq!(info["element_type"], "uint16");
    assert_eq!(info["frame_shape"], serde_json::json!([2, 3]));
    assert_eq!(info["frames"], 2);
    assert_eq!(info["first_time"], 10);
    assert_eq!(info["last_time"], 20);
    assert_eq!(info["time_unit"], "nanosecond");
    let text = ok(d, &["fields", "info", "run/image"]);
    assert!(
        text.contains("frames:      2") && text.contains("last time:   20 ("),
        "{text}"
    );
    assert_error(
        &ordo(d, &["fields", "info", "run/nope"]),
        "no field array at run/_fields/nope.zarr",
    );
}

#[test]
fn cat_prints_a_frame_or_its_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fields(d);
    let out = ok(d, &["fields", "cat", "run/image", "--frame", "1"]);
    assert_eq!(
        out,
        "field: image\nframe: 1 of 2\ntime:  20 (1970-01-01T00:00:00.000000020+00:00)\n\
         shape: [2, 3]\nvalues:\n100 101 102\n103 104 105\n"
    );
    assert_eq!(
        ok(d, &["fields", "cat", "run/image", "--frame", "-2"])
            .lines()
            .nth(5),
        Some("0 1 2")
    );
    let stats = ok(
        d,
        &[
            "fields",
            "cat",
            "run/_fields/image.zarr",
            "--frame",
            "0",
            "--stats",
        ],
    );
    assert!(
        stats.ends_with("count: 6\nnan:   0\nmin:   0\nmax:   5\nmean:  2.5\n"),
        "{stats}"
    );
    assert_error(
        &ordo(d, &["fields", "cat", "run/image", "--frame", "2"]),
        "frame 2 is out of bounds",
    );
    assert_error(
        &ordo(d, &["fields", "cat", "run/temp", "--frame", "-1"]),
        "has 0 frames",
    );
    assert_eq!(
        ordo(d, &["fields", "cat", "run/image"]).status.code(),
        Some(2)
    );
}
