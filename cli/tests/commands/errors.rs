//! Every failing command exits 1 with one `error:` line and leaves the
//! dataset's directory exactly as it was.

use std::fs;

use crate::common::{CSV, assert_error, ok, ordo, snapshot};

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
    fs::write(d.join("first.csv"), "ts,price,station\n1,1.0,a\n6,1.0,a\n").unwrap();
    fs::write(d.join("second.csv"), "ts,price,station\n\n3,2.0,b\n").unwrap();
    fs::write(d.join("nulls.csv"), "ts,price,station\n1,1.0,a\n,2.0,b\n").unwrap();
    fs::write(
        d.join("unsorted.jsonl"),
        "{\"ts\":9,\"price\":1.0,\"station\":\"a\"}\n{\"ts\":7,\"price\":2.0,\"station\":\"b\"}\n",
    )
    .unwrap();
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
    // A row the write refuses is named by its input and its line there
    // (CSV) or its row (other formats).
    assert_error(
        &write("unsorted.csv"),
        "error: line 3 of unsorted.csv: data is not sorted on `ts`: 7 comes after a larger value (9)",
    );
    assert_error(
        &ordo(
            d,
            &[
                "write",
                "ds",
                "first.csv",
                "second.csv",
                "--ordered-on",
                "ts",
            ],
        ),
        "error: line 3 of second.csv: data is not sorted on `ts`: 3 comes after a larger value (6)",
    );
    assert_error(
        &write("nulls.csv"),
        "error: line 3 of nulls.csv: ordered column `ts` has a null",
    );
    assert_error(
        &write("unsorted.jsonl"),
        "error: row 1 of unsorted.jsonl (counted from 0): data is not sorted on `ts`: 7 comes after a larger value (9)",
    );
    // CSV columns are read with the dataset's types.
    assert_error(
        &write("other.csv"),
        "line 2 of other.csv: column `price`: cannot read \"cheap\" as Float64",
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
        vec!["meta", "ds", "set", "b=2"],
        vec!["remove", "ds", "--yes"],
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

#[test]
fn messages_name_the_file_the_line_the_column_and_the_values() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let write = |args: &[&str]| {
        let mut all = vec!["write"];
        all.extend(args);
        all.extend(["--ordered-on", "ts"]);
        ordo(d, &all)
    };
    // An empty file.
    fs::write(d.join("empty.csv"), "").unwrap();
    assert_error(&write(&["new", "empty.csv"]), "empty.csv is empty");
    fs::write(d.join("empty.jsonl"), "").unwrap();
    assert_error(&write(&["new", "empty.jsonl"]), "empty.jsonl is empty");
    assert!(!d.join("new").exists());

    // Inputs differing in the type of one column: only that one is named.
    fs::write(d.join("a.csv"), "ts,price,station,note\n1,1.5,a,x\n").unwrap();
    fs::write(d.join("b.csv"), "ts,price,station,note\n2,cheap,b,y\n").unwrap();
    let out = write(&["new", "a.csv", "b.csv"]);
    assert_error(&out, "column `price` is Float64 in a.csv but Utf8 in b.csv");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("station") && !stderr.contains("note"),
        "{stderr}"
    );
    // ... or in their columns; their order may differ.
    fs::write(d.join("c.csv"), "station,ts,price\nc,3,2.5\n").unwrap();
    assert_error(
        &write(&["new", "a.csv", "c.csv"]),
        "column `note` is in a.csv but not in c.csv",
    );
    fs::write(d.join("d.csv"), "note,station,ts,price\nz,d,4,3.5\n").unwrap();
    ok(d, &["write", "new", "a.csv", "d.csv", "--ordered-on", "ts"]);
    assert_eq!(
        ok(d, &["cat", "new"]),
        "ts,price,station,note\n1,1.5,a,x\n4,3.5,d,z\n"
    );

    // A value that does not parse: the column by name, the line as
    // counted in the file (a quoted value may span lines; empty lines
    // count).
    fs::write(
        d.join("bad.csv"),
        "ts,note,price\n1,\"two\nlines\",1.5\n\n2,x,abc\n",
    )
    .unwrap();
    assert_error(
        &write(&["x", "bad.csv", "--schema", "price:float64"]),
        "line 5 of bad.csv: column `price`: cannot read \"abc\" as Float64",
    );
    fs::write(d.join("short.csv"), "ts,price\n1,1.5\n2\n").unwrap();
    assert_error(
        &write(&["x", "short.csv"]),
        "line 3 of short.csv: expected 2 fields, as in the header, found 1",
    );
    assert!(!d.join("x").exists());

    // A range that ends before it starts.
    for cmd in ["cat", "head", "tail"] {
        assert_error(
            &ordo(d, &[cmd, "new", "--start", "4", "--end", "2"]),
            "--start \"4\" is after --end \"2\"",
        );
    }
    // An empty range is no error.
    assert_eq!(
        ok(d, &["cat", "new", "--start", "4", "--end", "4"]),
        "ts,price,station,note\n"
    );
}

#[test]
fn urls_ordo_cannot_open_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("in.csv"), CSV).unwrap();
    for args in [
        &["info", "ftp://host/ds"][..],
        &["ls", "ftp://host/root"],
        &["write", "ftp://host/ds", "in.csv", "--ordered-on", "ts"],
    ] {
        assert_error(&ordo(d, args), "unknown storage scheme `ftp`");
    }
    // An object-store root with nothing in it lists nothing.
    let empty = ok(d, &["ls", "memory://empty"]);
    assert!(empty.contains("no dataset under memory://empty"), "{empty}");
}
