//! The fuzz targets' checks (`fuzz/src/checks.rs`) under proptest, so that
//! every CI run exercises them: random text and bytes, plus mutations of
//! valid inputs (a real manifest, real key paths, real periods and
//! values) that reach past the first syntax checks.

#[allow(dead_code)]
#[path = "../../fuzz/src/checks.rs"]
mod checks;

use crate::common::int_batch;
use ordo::{OrderedParquetDataset, WriteOptions};
use proptest::prelude::*;

/// Applies byte edits: (position, byte, action) with action 0 = replace,
/// 1 = insert, 2 = delete, 3 = truncate.
fn mutate(mut data: Vec<u8>, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    for &(at, byte, action) in edits {
        if data.is_empty() {
            data.push(byte);
            continue;
        }
        let at = at % data.len();
        match action % 4 {
            0 => data[at] = byte,
            1 => data.insert(at, byte),
            2 => {
                data.remove(at);
            }
            _ => data.truncate(at),
        }
    }
    data
}

fn edits() -> impl Strategy<Value = Vec<(usize, u8, u8)>> {
    prop::collection::vec((any::<usize>(), any::<u8>(), 0u8..8), 0..6)
}

/// A valid manifest of a two-row-group dataset.
fn valid_manifest() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let ds = OrderedParquetDataset::open(dir.path()).unwrap();
    let o = WriteOptions::new("ts")
        .row_group_target_size(ordo::RowGroupTarget::Rows(2))
        .key_value_metadata([("k", Some("v"))]);
    ds.write(&int_batch(&[1, 2, 3, 4], &[1, 2, 3, 4]), &o)
        .unwrap();
    std::fs::read(dir.path().join("_ordo/manifests/00000000000000000001.json")).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn key_from_path_random(text in "\\PC{0,40}") {
        checks::key_from_path(text.as_bytes());
    }

    #[test]
    fn key_from_path_mutated(
        edits in edits(),
        base in prop::sample::select(vec!["t-rome-7/3-1/1D", "q-c-0/0--5/x", "a-b-18446744073709551615/4294967295-32767/zz"]),
    ) {
        checks::key_from_path(&mutate(base.as_bytes().to_vec(), &edits));
    }

    #[test]
    fn period_random(text in "\\PC{0,12}") {
        checks::period(text.as_bytes());
    }

    #[test]
    fn period_mutated(edits in edits(), base in prop::sample::select(vec!["15min", "1D", "3MS", "4294967295ns", "2W"])) {
        checks::period(&mutate(base.as_bytes().to_vec(), &edits));
    }

    #[test]
    fn value_random(pick in any::<u8>(), text in "\\PC{0,30}") {
        let mut data = vec![pick];
        data.extend(text.as_bytes());
        checks::value(&data);
    }

    #[test]
    fn value_mutated(
        pick in any::<u8>(),
        edits in edits(),
        base in prop::sample::select(vec!["-42", "18446744073709551615", "1.5e300", "2024-02-29T23:59:59.999999999+14:00", "2024-01-01 00:00:00", "2024-12-31"]),
    ) {
        let mut data = vec![pick];
        data.extend(mutate(base.as_bytes().to_vec(), &edits));
        checks::value(&data);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn manifest_random(data in prop::collection::vec(any::<u8>(), 0..200)) {
        checks::manifest(&data);
    }

    #[test]
    fn manifest_mutated(edits in edits()) {
        checks::manifest(&mutate(valid_manifest_cached(), &edits));
    }

    #[test]
    fn checkpoint_random(data in prop::collection::vec(any::<u8>(), 0..200)) {
        checks::checkpoint(&data);
    }

    #[test]
    fn checkpoint_mutated(edits in edits()) {
        checks::checkpoint(&mutate(valid_checkpoint_cached(), &edits));
    }
}

/// A valid checkpoint of a two-row-group dataset (version 1).
fn valid_checkpoint_cached() -> Vec<u8> {
    static C: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    C.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let ds = OrderedParquetDataset::open(dir.path()).unwrap();
        let o = WriteOptions::new("ts").row_group_target_size(ordo::RowGroupTarget::Rows(2));
        ds.write(&int_batch(&[1, 2, 3, 4], &[1, 2, 3, 4]), &o)
            .unwrap();
        ds.checkpoint().unwrap();
        std::fs::read(
            dir.path()
                .join("_ordo/checkpoints/00000000000000000001.arrow"),
        )
        .unwrap()
    })
    .clone()
}

fn valid_manifest_cached() -> Vec<u8> {
    static M: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    M.get_or_init(valid_manifest).clone()
}

#[test]
fn the_checks_accept_valid_inputs() {
    // The mutation tests start from inputs the parsers accept: if one of
    // them stopped parsing, the mutations would only test rejections.
    use ordo::TopLevel;
    assert!(checks::Key::from_path(std::path::Path::new("t-rome-7/3-1/1D")).is_ok());
    assert!("15min".parse::<ordo::Period>().is_ok());
    let storage = std::sync::Arc::new(ordo::storage::MemoryStorage::new());
    ordo::storage::Storage::put(
        storage.as_ref(),
        "ds/_ordo/manifests/00000000000000000001.json",
        &valid_manifest_cached(),
    )
    .unwrap();
    let ds =
        OrderedParquetDataset::open_with("ds", &ordo::OpenOptions::new().storage(storage)).unwrap();
    assert_eq!(ds.num_row_groups(), 2);
    checks::manifest(&valid_manifest_cached());
    checks::checkpoint(&valid_checkpoint_cached());
}

#[test]
fn inputs_the_fuzzers_found_stay_fixed() {
    // `fuzz/regressions/<target>-<what>.<ext>`: every crash a fuzz run
    // found, replayed through its check.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut replayed = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let data = std::fs::read(&path).unwrap();
        match name.split('-').next().unwrap() {
            "manifest" => checks::manifest(&data),
            "checkpoint" => checks::checkpoint(&data),
            "key_from_path" => checks::key_from_path(&data),
            "period" => checks::period(&data),
            "value" => checks::value(&data),
            other => panic!("{name}: unknown target {other}"),
        }
        replayed += 1;
    }
    assert!(replayed >= 1);
}
