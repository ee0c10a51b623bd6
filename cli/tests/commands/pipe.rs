//! Every command whose standard output is closed early (`ordo versions
//! ds | head -1`) stops quietly with code 0.

use std::fs;
use std::path::Path;

use crate::common::{ok, ordo_closed_stdout};
use ordo::fields::{ElementType, FieldArray, FieldSpec};
use ordo::ndarray::{Array, IxDyn};

/// Asserts `ordo args`, with a closed standard output, exits 0 and
/// prints nothing on standard error.
fn quiet(d: &Path, args: &[&str]) {
    let out = ordo_closed_stdout(d, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "ordo {args:?}: {stderr}");
    assert!(stderr.is_empty(), "ordo {args:?}: {stderr}");
}

#[test]
fn every_command_exits_0_quietly_on_a_closed_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut csv = String::from("ts,v\n");
    for i in 0..2000 {
        csv += &format!("{i},{}\n", i * 3);
    }
    fs::write(d.join("in.csv"), &csv).unwrap();
    fs::write(d.join("more.csv"), "ts,v\n5000,1\n").unwrap();
    let two_groups = ["--target", "1000", "--max-off-target", "none"];
    let mut args = vec!["write", "root/a", "in.csv", "--ordered-on", "ts"];
    args.extend(two_groups);
    ok(d, &args);
    ok(d, &["write", "root/b", "in.csv", "--ordered-on", "ts"]);
    ok(d, &["meta", "root/a", "set", "k=v"]);
    let image = FieldArray::create(
        d.join("root/a"),
        "image",
        &FieldSpec::new(ElementType::U16, [2, 3]),
    )
    .unwrap();
    let frames = Array::from_shape_fn(IxDyn(&[2, 2, 3]), |i| (i[0] * 10 + i[2]) as u16);
    image.append(&[10, 20], frames.view()).unwrap();

    // Commands that only read.
    for args in [
        &["cat", "root/a"][..],
        &["cat", "root/a", "--format", "jsonl"],
        &["cat", "root/a", "--format", "parquet"],
        &["head", "root/a", "-n", "1500"],
        &["tail", "root/a", "-n", "1500"],
        &["info", "root/a"],
        &["info", "root/a", "--json"],
        &["ls", "root"],
        &["ls", "root", "--json"],
        &["verify", "root/a"],
        &["verify", "root"],
        &["versions", "root/a"],
        &["meta", "root/a"],
        &["meta", "root/a", "get", "k"],
        &["fields", "ls", "root/a"],
        &["fields", "ls", "root/a", "--json"],
        &["fields", "info", "root/a/image"],
        &["fields", "info", "root/a/image", "--json"],
        &["fields", "cat", "root/a/image", "--frame", "-1"],
        &["fields", "cat", "root/a/image", "--frame", "0", "--stats"],
    ] {
        quiet(d, args);
    }

    // Commands that change the dataset: the change is made, only the
    // report is lost.
    quiet(d, &["write", "root/a", "more.csv", "--ordered-on", "ts"]);
    quiet(d, &["meta", "root/a", "set", "k=w"]);
    quiet(d, &["compact", "root/a", "--target", "500"]);
    quiet(
        d,
        &["gc", "root/a", "--keep-versions", "1", "--older-than", "0"],
    );
    assert_eq!(
        ok(d, &["tail", "root/a", "-n", "1", "--columns", "ts"]),
        "ts\n5000\n"
    );
    assert_eq!(ok(d, &["meta", "root/a", "get", "k"]), "w\n");
    assert_eq!(ok(d, &["versions", "root/a"]).lines().count(), 2);
    quiet(d, &["remove", "root/b", "--yes"]);
    assert!(!d.join("root/b").exists());
}
