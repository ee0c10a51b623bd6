//! `ordo upgrade` on a dataset written by the previous release (format 1),
//! and every command still reading it before and after.

use crate::common::{assert_error, ok, ordo, snapshot};

#[path = "../../../tests/common/fixtures.rs"]
mod fixtures;
use fixtures::format1_copy;

#[test]
fn upgrade_commits_once_and_every_command_reads_before_and_after() {
    let d = tempfile::tempdir().unwrap();
    format1_copy(d.path());
    let before = ok(d.path(), &["cat", "ticks"]);
    assert_eq!(before.lines().count(), 46, "header and 45 rows");
    assert_eq!(
        ok(d.path(), &["verify", "ticks"]).trim(),
        "ok: version 3, 45 rows in 5 row groups"
    );
    assert_eq!(
        ok(d.path(), &["upgrade", "ticks"]).trim(),
        "version 4: upgraded to format 2"
    );
    assert!(
        d.path()
            .join("ticks/_ordo/checkpoints/00000000000000000004.arrow")
            .exists()
    );
    assert_eq!(
        ok(d.path(), &["upgrade", "ticks"]).trim(),
        "version 4: already format 2"
    );
    assert_eq!(ok(d.path(), &["cat", "ticks"]), before);
    assert_eq!(
        ok(d.path(), &["verify", "ticks"]).trim(),
        "ok: version 4, 45 rows in 5 row groups"
    );
    assert_eq!(
        ok(d.path(), &["meta", "ticks", "get", "source"]).trim(),
        "station-7"
    );
    let versions = ok(d.path(), &["versions", "ticks"]);
    assert_eq!(
        versions.lines().filter(|l| !l.trim().is_empty()).count(),
        5,
        "{versions}"
    );
}

#[test]
fn upgrading_nothing_is_an_error_and_creates_nothing() {
    let d = tempfile::tempdir().unwrap();
    let before = snapshot(d.path());
    let out = ordo(d.path(), &["upgrade", "missing"]);
    assert_error(&out, "missing");
    assert_eq!(snapshot(d.path()), before);
}
