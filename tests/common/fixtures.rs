//! Checked-in datasets, copied before a test changes them. Shared by the
//! integration tests and the CLI tests (which include this file by path).

use std::path::{Path, PathBuf};

/// A copy of `tests/fixtures/format1/ticks` (written by the previous
/// release, format 1) as `into/ticks`.
pub fn format1_copy(into: &Path) -> PathBuf {
    // The workspace root, above the crate being tested.
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("tests/fixtures/format1/ticks"))
        .find(|fixture| fixture.is_dir())
        .expect("the format-1 fixture");
    let to = into.join("ticks");
    copy_dir(&from, &to);
    to
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
