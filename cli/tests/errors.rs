//! Every failing command exits 1 with one `error:` line and leaves the
//! dataset's directory exactly as it was.

mod common;

use std::fs;

use common::{CSV, assert_error, ok, ordo, snapshot};

#[test]
fn bad_inputs_and_arguments_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("in.csv"), CSV).unwrap();
    fs::write(
        d.join("unsorted.csv"),
        "ts,price,station\n9,1.0,a\n7,2.0,b\n",
    )
    .unwrap();
    fs::write(d.join("other.csv"), "ts,price,station\n8,cheap,a\n").unwrap();
    fs::write(d.join("data.xlsx"), "x").unwrap();
    ok(
        d,
        &[
            "write",
            "ds",
            "in.csv",
            "--ordered-on",
            "ts",
            "--meta",
            "k=v",
        ],
    );
    let before = snapshot(&d.join("ds"));
    let write = |file: &str| ordo(d, &["write", "ds", file, "--ordered-on", "ts"]);
    assert_error(&write("unsorted.csv"), "not sorted");
    assert_error(
        &write("other.csv"),
        "column `price`: the dataset has Float64 (nullable), the data has Utf8",
    );
    assert_error(&write("data.xlsx"), "unknown file type");
    let bad_format = ["cat", "ds", "--start", "abc"];
    assert_error(
        &ordo(d, &bad_format),
        "cannot parse \"abc\" as a value of ordered column `ts` (Int64)",
    );
    assert_error(
        &ordo(d, &["tail", "ds", "--columns", "nope"]),
        "no column `nope`",
    );
    assert_eq!(snapshot(&d.join("ds")), before);

    // A missing dataset, for every command reading one.
    for args in [
        &["cat", "gone"][..],
        &["head", "gone"],
        &["tail", "gone"],
        &["info", "gone"],
        &["verify", "gone"],
        &["versions", "gone"],
        &["gc", "gone"],
        &["compact", "gone"],
        &["meta", "gone"],
    ] {
        let out = ordo(d, args);
        assert_error(&out, "gone");
    }
    assert!(!d.join("gone").exists());
}

#[test]
fn a_locked_dataset_times_out_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("in.csv"), CSV).unwrap();
    fs::write(d.join("more.csv"), "ts,price,station\n9,1.0,a\n").unwrap();
    ok(d, &["write", "ds", "in.csv", "--ordered-on", "ts"]);
    ok(d, &["meta", "ds", "set", "a=1"]); // a second version for gc
    let lock = fs::OpenOptions::new()
        .write(true)
        .open(d.join("ds/_ordo/lock"))
        .unwrap();
    lock.lock().unwrap();
    let before = snapshot(&d.join("ds"));
    let t = ["--lock-timeout", "0.2"];
    for cmd in [
        vec!["write", "ds", "more.csv", "--ordered-on", "ts"],
        vec!["compact", "ds"],
        vec!["gc", "ds", "--keep-versions", "1", "--older-than", "0"],
    ] {
        let mut args = cmd.clone();
        args.extend(t);
        assert_error(&ordo(d, &args), "could not lock");
    }
    // Readers take no lock.
    assert_eq!(
        ok(d, &["tail", "ds", "-n", "1", "--columns", "ts"]),
        "ts\n5\n"
    );
    assert_eq!(snapshot(&d.join("ds")), before);
    lock.unlock().unwrap();
    ok(
        d,
        &[
            "write",
            "ds",
            "more.csv",
            "--ordered-on",
            "ts",
            "--lock-timeout",
            "0.2",
        ],
    );
    let out = ok(
        d,
        &[
            "gc",
            "ds",
            "--keep-versions",
            "1",
            "--older-than",
            "0",
            "--lock-timeout",
            "1",
        ],
    );
    assert!(out.starts_with("deleted 2 version(s)"), "{out}");
}
