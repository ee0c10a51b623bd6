//! Runs the built `ordo` binary against datasets in temporary directories.

use std::fs;

use crate::common::{CSV, assert_error, ok, ordo, snapshot, write_parquet};

#[test]
fn csv_write_then_cat_returns_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("in.csv"), CSV).unwrap();
    let report = ok(d, &["write", "ds", "in.csv", "--ordered-on", "ts"]);
    assert!(report.starts_with("version 1:"), "{report}");
    assert_eq!(ok(d, &["cat", "ds", "--format", "csv"]), CSV);

    // A range, a projection, JSON lines, and an output file.
    let out = ok(
        d,
        &[
            "cat",
            "ds",
            "--start",
            "2",
            "--end",
            "5",
            "--columns",
            "station,ts",
            "--format",
            "jsonl",
        ],
    );
    assert_eq!(
        out,
        "{\"station\":\"b\",\"ts\":2}\n{\"station\":\"a\",\"ts\":3}\n"
    );
    ok(d, &["cat", "ds", "--start", "4", "-o", "out.csv"]);
    assert_eq!(
        fs::read_to_string(d.join("out.csv")).unwrap(),
        "ts,price,station\n5,8.0,c\n"
    );
    // An empty range still prints the header.
    assert_eq!(
        ok(d, &["cat", "ds", "--start", "100"]),
        "ts,price,station\n"
    );
    assert!(ok(d, &["verify", "ds"]).starts_with("ok: version 1, 4 rows"));
}

#[test]
fn overlapping_write_with_duplicates_on_keeps_the_last_row() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_parquet(
        &d.join("a.parquet"),
        &[(1, "x", 10), (2, "x", 20), (2, "y", 21), (3, "x", 30)],
    );
    write_parquet(&d.join("b.parquet"), &[(2, "y", 99), (3, "x", 98)]);
    write_parquet(&d.join("c.parquet"), &[(4, "x", 40)]);
    ok(
        d,
        &[
            "write",
            "ds",
            "a.parquet",
            "--ordered-on",
            "ts",
            "--meta",
            "source=test",
        ],
    );
    // Two files, one commit.
    ok(
        d,
        &[
            "write",
            "ds",
            "b.parquet",
            "c.parquet",
            "--ordered-on",
            "ts",
            "--duplicates-on",
            "station",
        ],
    );
    let expected = "ts,station,v\n1,x,10\n2,x,20\n2,y,99\n3,x,98\n4,x,40\n";
    assert_eq!(ok(d, &["cat", "ds"]), expected);
    // Time travel to the first version.
    assert_eq!(
        ok(d, &["cat", "ds", "--version", "1", "--columns", "v"]),
        "v\n10\n20\n21\n30\n"
    );
    let versions = ok(d, &["versions", "ds"]);
    assert!(versions.contains("2  5  1  (current)"), "{versions}");
    assert_eq!(ok(d, &["meta", "ds", "get", "source"]), "test\n");
}

#[test]
fn info_json_has_the_fields() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("in.csv"), CSV).unwrap();
    ok(
        d,
        &[
            "write",
            "ds",
            "in.csv",
            "--ordered-on",
            "ts",
            "--target",
            "2",
            "--max-off-target",
            "none",
            "--meta",
            "k=v",
        ],
    );
    let info: serde_json::Value = serde_json::from_str(&ok(d, &["info", "ds", "--json"])).unwrap();
    assert_eq!(info["ordered_on"], "ts");
    assert_eq!(info["version"], 1);
    assert_eq!(info["num_rows"], 4);
    assert_eq!(info["key_value_metadata"]["k"], "v");
    assert_eq!(info["schema"][0]["name"], "ts");
    assert_eq!(info["schema"][0]["type"], "Int64");
    let groups = info["row_groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["rows"], 2);
    assert_eq!(groups[0]["min"], 1);
    assert_eq!(groups[1]["max"], 5);
    assert!(groups[1]["bytes"].as_u64().unwrap() > 0);
    let text = ok(d, &["info", "ds"]);
    assert!(
        text.contains("ordered on: ts") && text.contains("row groups: 2"),
        "{text}"
    );
}

#[test]
fn errors_exit_1_with_one_line_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("in.csv"), CSV).unwrap();
    fs::write(
        d.join("unsorted.csv"),
        "ts,price,station\n9,1.0,a\n7,2.0,b\n",
    )
    .unwrap();
    fs::write(d.join("bad.txt"), "x").unwrap();

    // On a fresh path, nothing is created.
    assert_error(
        &ordo(d, &["write", "new", "unsorted.csv", "--ordered-on", "ts"]),
        "",
    );
    assert!(!d.join("new").exists());

    ok(d, &["write", "ds", "in.csv", "--ordered-on", "ts"]);
    let before = snapshot(&d.join("ds"));
    assert_error(
        &ordo(d, &["write", "ds", "unsorted.csv", "--ordered-on", "ts"]),
        "",
    );
    assert_error(
        &ordo(d, &["write", "ds", "missing.csv", "--ordered-on", "ts"]),
        "missing.csv",
    );
    assert_error(
        &ordo(
            d,
            &[
                "write",
                "ds",
                "in.csv",
                "--ordered-on",
                "ts",
                "--target",
                "0",
            ],
        ),
        "row_group_target_size",
    );
    assert_error(
        &ordo(
            d,
            &[
                "write",
                "ds",
                "in.csv",
                "--ordered-on",
                "ts",
                "--target",
                "1 fortnight",
            ],
        ),
        "",
    );
    assert_error(
        &ordo(d, &["write", "ds", "in.csv", "--ordered-on", "price"]),
        "price",
    );
    assert_error(
        &ordo(d, &["write", "ds", "bad.txt", "--ordered-on", "ts"]),
        "unknown file type",
    );
    assert_error(&ordo(d, &["cat", "ds", "--start", "abc"]), "cannot parse");
    assert_error(&ordo(d, &["cat", "ds", "--version", "9"]), "version 9");
    assert_error(&ordo(d, &["info", "nothing-here"]), "no dataset");
    assert_eq!(snapshot(&d.join("ds")), before);
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for args in [
        &["write", "ds", "in.csv"][..],
        &["write", "ds", "--ordered-on", "ts"],
        &["cat", "ds", "--format", "xml"],
        &[
            "write",
            "ds",
            "in.csv",
            "--ordered-on",
            "ts",
            "--duplicates-on",
            "a",
            "--duplicates-on-all",
        ],
        &["frobnicate"],
    ] {
        assert_eq!(ordo(d, args).status.code(), Some(2), "{args:?}");
    }
    let write_help = ok(d, &["write", "--help"]);
    assert!(write_help.contains("--ordered-on"));
    // The default, stated where a user looks.
    assert!(
        write_help.contains("writing the same file twice stores its rows twice"),
        "{write_help}"
    );
    let help = ok(d, &["--help"]);
    assert!(help.contains("s3://bucket/prefix"), "{help}");
    for cmd in [
        "write", "cat", "head", "tail", "info", "ls", "verify", "versions", "gc", "compact",
        "meta", "remove", "fields",
    ] {
        assert!(help.contains(&format!("  {cmd} ")), "{cmd} in {help}");
        assert!(ok(d, &[cmd, "--help"]).starts_with(|c: char| c.is_uppercase()));
    }
    for sub in ["ls", "info", "cat"] {
        assert!(ok(d, &["fields", sub, "--help"]).contains("Usage: ordo fields"));
    }
}

#[test]
fn timestamp_bounds_and_maintenance() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lines = "{\"t\":\"2024-01-01T00:00:00Z\",\"x\":1}\n{\"t\":\"2024-01-02T00:00:00Z\",\"x\":2}\n{\"t\":\"2024-01-03T12:00:00Z\",\"x\":3}\n";
    fs::write(d.join("in.jsonl"), lines).unwrap();
    fs::write(
        d.join("in.csv"),
        "t,x\n2024-01-01T00:00:00,1\n2024-01-02T00:00:00,2\n2024-01-03T12:00:00,3\n",
    )
    .unwrap();
    ok(
        d,
        &[
            "write",
            "csv",
            "in.csv",
            "--ordered-on",
            "t",
            "--target",
            "1D",
            "--max-off-target",
            "none",
        ],
    );
    let out = ok(
        d,
        &[
            "cat",
            "csv",
            "--start",
            "2024-01-02",
            "--end",
            "2024-01-03T12:00:00Z",
            "--columns",
            "x",
        ],
    );
    assert_eq!(out, "x\n2\n");
    // Strings ordered column from JSON lines.
    ok(d, &["write", "json", "in.jsonl", "--ordered-on", "t"]);
    let out = ok(
        d,
        &[
            "cat",
            "json",
            "--start",
            "2024-01-02",
            "--columns",
            "x",
            "--format",
            "jsonl",
        ],
    );
    assert_eq!(out, "{\"x\":2}\n{\"x\":3}\n");

    let info: serde_json::Value = serde_json::from_str(&ok(d, &["info", "csv", "--json"])).unwrap();
    assert_eq!(info["num_row_groups"], 3);
    // Timestamps without a time zone are shown without an offset, as
    // `cat` shows them.
    assert_eq!(info["row_groups"][0]["min"], "2024-01-01T00:00:00");
    assert_eq!(info["row_groups"][2]["max"], "2024-01-03T12:00:00");
    let text = ok(d, &["info", "csv"]);
    assert!(text.contains(" 2024-01-03T12:00:00 "), "{text}");
    assert!(!text.contains("00Z"), "{text}");
    let listed = ok(d, &["ls", "csv"]);
    let line = listed.lines().find(|l| l.starts_with("csv")).unwrap();
    assert!(line.contains(" 2024-01-01T00:00:00 "), "{listed}");
    assert!(!line.contains("00Z"), "{listed}");
    assert!(ok(d, &["compact", "csv", "--target", "10"]).starts_with("version 2:"));
    assert_eq!(
        ok(d, &["meta", "csv", "set", "a=1", "b=2"]),
        "version 3: metadata updated\n"
    );
    ok(d, &["meta", "csv", "unset", "a"]);
    assert_eq!(
        ok(d, &["meta", "csv", "unset", "a"]),
        "version 4: nothing changed\n"
    );
    assert_eq!(ok(d, &["meta", "csv"]), "b=2\n");
    assert_error(&ordo(d, &["meta", "csv", "get", "a"]), "no metadata key");
    assert!(
        ok(
            d,
            &["gc", "csv", "--keep-versions", "1", "--older-than", "0"]
        )
        .starts_with("deleted 3 version(s)")
    );
    assert_eq!(
        ok(d, &["versions", "csv"]),
        "version  rows  row_groups\n4  3  1  (current)\n"
    );
    assert!(ok(d, &["verify", "csv"]).starts_with("ok: version 4, 3 rows in 1 row groups"));
}
