//! What the fuzz targets check, one function per parser. Each takes
//! arbitrary bytes and panics only when an invariant breaks: parsers must
//! return errors, never panic, and what they accept must round-trip.
//!
//! The same functions run under proptest in the main test suite
//! (`tests/integration/fuzz_smoke.rs` includes this file), so CI exercises them on
//! every run; `cargo fuzz run <target>` explores them for longer.

use std::path::Path;
use std::sync::Arc;

use ordo::arrow::datatypes::{DataType, TimeUnit};
use ordo::storage::{MemoryStorage, Storage};
use ordo::{Error, OrderedParquetDataset, OrderedValue, Period, SubLevel, TopLevel};

#[derive(Debug, PartialEq, SubLevel)]
pub struct Leaf {
    pub freq: String,
}

#[derive(Debug, PartialEq, SubLevel)]
pub struct Middle {
    pub run: u32,
    pub step: i16,
    pub leaf: Leaf,
}

#[derive(Debug, PartialEq, TopLevel)]
pub struct Key {
    pub quantity: String,
    pub city: String,
    pub id: u64,
    pub middle: Middle,
}

/// `from_path` either rejects the text or returns a key that prints back
/// to exactly the same path.
pub fn key_from_path(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(key) = Key::from_path(Path::new(text)) {
        let back = key.to_path().expect("a parsed key is valid");
        assert_eq!(back, Path::new(text), "{key:?}");
        assert_eq!(Key::from_path(&back).unwrap(), key);
    }
}

/// A valid commit record that starts a dataset of one `ts: Int64` column
/// and adds no row group: the fallback of [`checkpoint`].
pub const EMPTY_START_RECORD: &str = r#"{"format": "ordo-dataset", "format_version": 2, "version": 1,
 "commit_id": "0123456789abcdef0123456789abcdef", "created_at_ms": 0, "operation": "write",
 "ordered_on": "ts",
 "schema": "/////3gAAAAQAAAAAAAKAAwABgAFAAgACgAAAAABBAAMAAAACAAIAAAABAAIAAAABAAAAAEAAAAUAAAAEAAUAAgAAAAHAAwAAAAQABAAAAAAAAACEAAAABwAAAAEAAAAAAAAAAIAAAB0cwAACAAMAAgABwAIAAAAAAAAAUAAAAD/////AAAAAA=="}"#;

/// Any bytes as the checkpoint the hint names, beside a valid record of the
/// same version: opening never panics and never fails (a checkpoint that
/// does not decode is ignored, the record rebuilds the state), accessors
/// work, and `verify` reports a damaged checkpoint instead of failing.
pub fn checkpoint(data: &[u8]) {
    let storage = Arc::new(MemoryStorage::new());
    storage
        .put(
            "ds/_ordo/manifests/00000000000000000001.json",
            EMPTY_START_RECORD.as_bytes(),
        )
        .unwrap();
    storage
        .put("ds/_ordo/checkpoints/00000000000000000001.arrow", data)
        .unwrap();
    storage
        .put("ds/_ordo/_last_checkpoint", br#"{"version":1}"#)
        .unwrap();
    let options = ordo::OpenOptions::new().storage(storage);
    let ds = match OrderedParquetDataset::open_with("ds", &options) {
        Ok(ds) => ds,
        Err(other) => panic!("a checkpoint must never stop a dataset from opening: {other}"),
    };
    let stats = ds.row_group_stats();
    let _ = (
        ds.schema(),
        ds.ordered_on(),
        ds.key_value_metadata(),
        ds.num_rows(),
    );
    for w in stats.windows(2) {
        assert!(w[0].max < w[1].min, "decoded row groups overlap");
    }
    let _ = ds.verify().expect("verify reports, it does not fail");
    let _ = ds.at_version(1).expect("version 1 exists");
}

/// Any bytes as the only manifest of a dataset: opening either fails with
/// a manifest error or gives a dataset whose every accessor works; reads
/// and verification then fail cleanly (the listed files do not exist).
pub fn manifest(data: &[u8]) {
    let storage = Arc::new(MemoryStorage::new());
    storage
        .put("ds/_ordo/manifests/00000000000000000001.json", data)
        .unwrap();
    let ds =
        match OrderedParquetDataset::open_with("ds", &ordo::OpenOptions::new().storage(storage)) {
            Ok(ds) => ds,
            Err(Error::CorruptManifest { .. } | Error::UnsupportedFormatVersion { .. }) => return,
            Err(other) => panic!("unexpected error {other}"),
        };
    let stats = ds.row_group_stats();
    let _ = (ds.schema(), ds.ordered_on(), ds.key_value_metadata());
    let _ = (ds.num_rows(), ds.num_row_groups(), ds.versions());
    for w in stats.windows(2) {
        assert!(w[0].max < w[1].min, "decoded row groups overlap");
    }
    if ds.version().is_none() {
        return; // a tombstone
    }
    let problems = ds.verify().expect("verify reports, it does not fail");
    assert_eq!(problems.len(), stats.len(), "every listed file is missing");
    match ds.read() {
        Ok(batch) => assert_eq!(batch.num_rows(), 0, "no files, no rows"),
        Err(Error::MissingRowGroupFile { .. }) => {}
        Err(other) => panic!("unexpected read error {other}"),
    }
}

/// `Period::from_str` either rejects the text or returns a period whose
/// display parses back to itself.
pub fn period(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = text.parse::<Period>() {
        let shown = p.to_string();
        assert_eq!(shown.parse::<Period>().unwrap(), p, "{text:?} -> {shown}");
    }
}

/// The types a command-line bound can be parsed as.
const TYPES: [fn() -> DataType; 8] = [
    || DataType::Int64,
    || DataType::UInt32,
    || DataType::Float64,
    || DataType::Utf8,
    || DataType::Timestamp(TimeUnit::Nanosecond, None),
    || DataType::Timestamp(TimeUnit::Second, Some("Europe/Paris".into())),
    || DataType::Date32,
    || DataType::Boolean,
];

/// `OrderedValue::parse` (the command line's value parser): the first
/// byte picks a column type, the rest is the text. A parsed value has the
/// variant the type calls for, and integers are what `str::parse` makes of the trimmed text.
pub fn value(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let dt = TYPES[pick as usize % TYPES.len()]();
    match OrderedValue::parse(text, &dt) {
        Ok(v) => match (&dt, &v) {
            (DataType::Int64, OrderedValue::Int(i)) => {
                assert_eq!(text.trim().parse::<i64>().ok(), Some(*i), "{text:?}")
            }
            (DataType::UInt32, OrderedValue::UInt(_))
            | (DataType::Float64, OrderedValue::Float(_))
            | (
                DataType::Date32,
                OrderedValue::Date(_) | OrderedValue::Int(_) | OrderedValue::Timestamp(_),
            )
            | (
                DataType::Timestamp(..),
                OrderedValue::Int(_) | OrderedValue::Timestamp(_) | OrderedValue::Date(_),
            ) => {}
            (DataType::Utf8, OrderedValue::Str(s)) => assert_eq!(s, text),
            _ => panic!("{text:?} as {dt} parsed into {v:?}"),
        },
        Err(Error::UnparsableValue { text: t, .. }) => assert_eq!(t, text),
        Err(other) => panic!("unexpected error {other}"),
    }
}
