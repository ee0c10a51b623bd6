//! `ordo remove`: refused without `--yes`, which removes the dataset.

use std::fs;

use crate::common::{CSV, assert_error, ok, ordo, snapshot};

#[test]
fn remove_needs_yes_then_deletes_the_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("in.csv"), CSV).unwrap();
    ok(d, &["write", "root/ds", "in.csv", "--ordered-on", "ts"]);
    ok(d, &["meta", "root/ds", "set", "k=v"]);
    fs::write(d.join("root/ds/notes.txt"), "mine").unwrap();
    let before = snapshot(&d.join("root"));

    // Without --yes: what would go, and nothing changes.
    let out = ordo(d, &["remove", "root/ds"]);
    assert_error(
        &out,
        "would remove dataset root/ds: version 2 (4 rows in 1 row groups",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("2 retained version(s)") && stderr.contains("--yes"),
        "{stderr}"
    );
    assert_eq!(snapshot(&d.join("root")), before);

    assert_eq!(ok(d, &["remove", "root/ds", "--yes"]), "removed root/ds\n");
    assert_error(&ordo(d, &["cat", "root/ds"]), "no dataset at root/ds");
    assert_eq!(ok(d, &["ls", "root", "--json"]), "[]\n");
    // Files ordo did not write stay.
    let left: Vec<String> = fs::read_dir(d.join("root/ds"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["notes.txt"]);
    assert_error(
        &ordo(d, &["remove", "root/ds", "--yes"]),
        "no dataset at root/ds",
    );
    assert_error(&ordo(d, &["remove", "nowhere"]), "no dataset at nowhere");
    assert!(!d.join("nowhere").exists());

    // Removed whole when nothing else is in its directory.
    ok(d, &["write", "other", "in.csv", "--ordered-on", "ts"]);
    ok(d, &["remove", "other", "--yes"]);
    assert!(!d.join("other").exists());
}
