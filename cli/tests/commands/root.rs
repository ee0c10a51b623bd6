//! `ordo ls` and `ordo verify` over every dataset under a root.

use std::fs;

use crate::common::{CSV, assert_error, ok, ordo};

/// A root with datasets `a/x` (2 row groups) and `b`, plus directories
/// that are not datasets.
fn root(d: &std::path::Path) {
    fs::write(d.join("in.csv"), CSV).unwrap();
    let two_groups = ["--target", "2", "--max-off-target", "none"];
    let mut args = vec!["write", "root/a/x", "in.csv", "--ordered-on", "ts"];
    args.extend(two_groups);
    ok(d, &args);
    ok(d, &["write", "root/b", "in.csv", "--ordered-on", "ts"]);
    fs::create_dir_all(d.join("root/empty")).unwrap();
    fs::create_dir_all(d.join("root/_private")).unwrap();
    // A copy of a dataset under a `.`-name is not listed.
    ok(
        d,
        &["write", "root/.hidden", "in.csv", "--ordered-on", "ts"],
    );
}

#[test]
fn ls_lists_every_dataset_with_rows_groups_range_and_size() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    root(d);
    let list: serde_json::Value = serde_json::from_str(&ok(d, &["ls", "root", "--json"])).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list[0]["path"], "root/a/x");
    assert_eq!(list[0]["num_rows"], 4);
    assert_eq!(list[0]["num_row_groups"], 2);
    assert_eq!(list[0]["min"], 1);
    assert_eq!(list[0]["max"], 5);
    assert_eq!(list[0]["ordered_on"], "ts");
    assert_eq!(list[1]["path"], "root/b");
    let bytes: u64 = fs::read_dir(d.join("root/b"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .map(|p| fs::metadata(p).unwrap().len())
        .sum();
    assert_eq!(list[1]["bytes"], bytes);

    let text = ok(d, &["ls", "root"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("dataset") && lines[0].contains("rows"));
    assert!(
        lines[1].starts_with("root/a/x") && lines[1].contains(" 2 "),
        "{text}"
    );

    // A dataset as the root lists itself; an empty directory lists none.
    assert!(ok(d, &["ls", "root/b"]).contains("root/b"));
    assert_eq!(ok(d, &["ls", "root/empty", "--json"]), "[]\n");
    assert_error(&ordo(d, &["ls", "nowhere"]), "no directory at nowhere");
}

#[cfg(unix)]
#[test]
fn ls_does_not_follow_links() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    root(d);
    std::os::unix::fs::symlink(d.join("root/b"), d.join("root/link")).unwrap();
    let list: serde_json::Value = serde_json::from_str(&ok(d, &["ls", "root", "--json"])).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
}

#[test]
fn verify_a_root_checks_every_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    root(d);
    let out = ok(d, &["verify", "root"]);
    assert_eq!(out, "root/a/x: ok\nroot/b: ok\nok: 2 dataset(s)\n");

    // Damage one row-group file of `b`.
    let file = fs::read_dir(d.join("root/b"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "parquet"))
        .unwrap();
    let mut bytes = fs::read(&file).unwrap();
    bytes.push(0);
    fs::write(&file, bytes).unwrap();
    let out = ordo(d, &["verify", "root"]);
    assert_error(&out, "1 of 2 dataset(s) under root have violations");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("root/a/x: ok"), "{stdout}");
    assert!(
        stdout.contains("root/b: ") && stdout.contains("recorded"),
        "{stdout}"
    );
    // The damaged dataset alone.
    assert_error(&ordo(d, &["verify", "root/b"]), "1 violation(s)");
    assert_error(
        &ordo(d, &["verify", "root/empty"]),
        "no dataset at or under",
    );
}

#[test]
fn ls_reports_a_dataset_it_cannot_read_and_lists_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    root(d);
    let manifests = d.join("root/b/_ordo/manifests");
    let manifest = fs::read_dir(&manifests).unwrap().next().unwrap().unwrap();
    fs::write(manifest.path(), b"{ not json").unwrap();
    let out = ordo(d, &["ls", "root"]);
    assert_error(&out, "1 dataset(s) under root cannot be read");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("root/a/x"), "{stdout}");
    assert!(stdout.contains("root/b: corrupt manifest"), "{stdout}");
    let out = ordo(d, &["ls", "root", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        list[1]["error"]
            .as_str()
            .unwrap()
            .contains("corrupt manifest")
    );
}
