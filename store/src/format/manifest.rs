//! Names of the files in `_ordo/`, the row-group entry shared by both
//! formats, statistics and schema encodings, and the format-1 manifest (a
//! whole version in one document), which format 2 still reads. See
//! `docs/FORMAT.md` for the on-disk format this module implements.

use std::collections::BTreeMap;
use std::io::Cursor;

use arrow::datatypes::{DataType, Schema, SchemaRef};
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::value::OrderedValue;
use crate::value::stored::{Kind, cmp_values, kind_of};

/// The format this build writes and the newest it reads.
pub(crate) const FORMAT_VERSION: u32 = 2;
/// The format of whole-version manifests, read but no longer written.
pub(crate) const MANIFEST_FORMAT_VERSION: u32 = 1;
/// The `format` tag of every manifest.
pub(crate) const FORMAT_NAME: &str = "ordo-dataset";
/// Directory of ordo's own files inside a dataset.
pub(crate) const ORDO_DIR: &str = "_ordo";
/// Directory of the numbered manifests.
pub(crate) const MANIFEST_DIR: &str = "_ordo/manifests";
/// The writer lock.
pub(crate) const LOCK_FILE: &str = "_ordo/lock";
/// Directory of the checkpoints (format 2).
pub(crate) const CHECKPOINT_DIR: &str = "_ordo/checkpoints";
/// The hint naming the newest checkpoint (format 2).
pub(crate) const LAST_CHECKPOINT_FILE: &str = "_ordo/_last_checkpoint";

/// The path of checkpoint `version` relative to the dataset.
pub(crate) fn checkpoint_path(version: u64) -> String {
    format!("{CHECKPOINT_DIR}/{version:020}.arrow")
}

/// The version a checkpoint file name stands for, if it is one.
pub(crate) fn parse_checkpoint_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".arrow")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The file name of manifest `version`.
pub(crate) fn manifest_name(version: u64) -> String {
    format!("{version:020}.json")
}

/// The path of manifest `version` relative to the dataset.
pub(crate) fn manifest_path(version: u64) -> String {
    format!("{MANIFEST_DIR}/{}", manifest_name(version))
}

/// The version a manifest file name stands for, if it is one.
pub(crate) fn parse_manifest_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".json")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// One live row group: one Parquet file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RowGroupEntry {
    pub file: String,
    pub num_rows: u64,
    pub min: Value,
    pub max: Value,
    pub size: u64,
    /// CRC-32C of the whole file; absent in manifests of ordo versions
    /// that did not record it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crc32c: Option<u32>,
}

/// A decoded manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub version: u64,
    pub created_at_ms: i64,
    pub ordered_on: String,
    /// Base64 of an Arrow IPC stream holding only the schema message.
    pub schema: String,
    pub key_value_metadata: BTreeMap<String, String>,
    pub row_groups: Vec<RowGroupEntry>,
    /// A tombstone: the dataset was removed at this version.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
}

/// Why a manifest does not decode.
pub(crate) enum DecodeError {
    Corrupt(String),
    NewerFormat(u32),
}

/// The probe read first, so that a newer format is reported as such even
/// when its other fields changed.
#[derive(Deserialize)]
struct Header {
    format: String,
    format_version: u32,
}

/// The format version of a file of `_ordo/manifests/`, checked to be an
/// ordo file of a version that exists (newer ones are `NewerFormat` for the
/// caller to decide).
pub(crate) fn probe_format(bytes: &[u8]) -> Result<u32, DecodeError> {
    let header: Header =
        serde_json::from_slice(bytes).map_err(|e| DecodeError::Corrupt(e.to_string()))?;
    if header.format != FORMAT_NAME {
        return Err(DecodeError::Corrupt(format!(
            "format is {:?}, not {FORMAT_NAME:?}",
            header.format
        )));
    }
    if header.format_version == 0 {
        return Err(DecodeError::Corrupt(
            "format_version 0 does not exist".into(),
        ));
    }
    Ok(header.format_version)
}

/// Checks that `schema` decodes and holds `ordered_on` with a supported
/// type.
pub(crate) fn check_schema(schema: &str, ordered_on: &str) -> Result<SchemaRef, String> {
    let schema = decode_schema(schema)?;
    let field = schema
        .field_with_name(ordered_on)
        .map_err(|_| format!("ordered column {ordered_on:?} is not in the schema"))?;
    let dt = field.data_type();
    if kind_of(dt).is_none() {
        return Err(format!("ordered column type {dt} is not supported"));
    }
    Ok(schema)
}

impl Manifest {
    #[cfg(test)]
    pub(crate) fn encode(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("a manifest always serializes")
    }

    /// Decodes a format-1 manifest.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let version = probe_format(bytes)?;
        if version != MANIFEST_FORMAT_VERSION {
            return Err(DecodeError::NewerFormat(version));
        }
        let manifest: Manifest =
            serde_json::from_slice(bytes).map_err(|e| DecodeError::Corrupt(e.to_string()))?;
        manifest.check().map_err(DecodeError::Corrupt)?;
        Ok(manifest)
    }

    /// Structural checks that make every later access safe.
    fn check(&self) -> Result<(), String> {
        let schema = check_schema(&self.schema, &self.ordered_on)?;
        let dt = schema
            .field_with_name(&self.ordered_on)
            .expect("checked")
            .data_type();
        let mut previous_max: Option<OrderedValue> = None;
        for (i, rg) in self.row_groups.iter().enumerate() {
            if !is_data_file_name(&rg.file) {
                return Err(format!(
                    "row group {i} has an invalid file name {:?}",
                    rg.file
                ));
            }
            if rg.num_rows == 0 {
                return Err(format!("row group {i} has no rows"));
            }
            let stat = |v: &Value| {
                stat_from_json(v, dt).ok_or_else(|| {
                    format!("row group {i} has a statistic {v} that is not a {dt} value")
                })
            };
            let (min, max) = (stat(&rg.min)?, stat(&rg.max)?);
            if cmp_values(&min, &max).is_gt() {
                return Err(format!("row group {i} has min {min} > max {max}"));
            }
            if let Some(prev) = &previous_max
                && cmp_values(prev, &min).is_ge()
            {
                return Err(format!(
                    "row group {i} starts at {min}, not after the previous max {prev}"
                ));
            }
            previous_max = Some(max);
        }
        Ok(())
    }

    pub(crate) fn schema(&self) -> SchemaRef {
        decode_schema(&self.schema).expect("checked when decoded or built")
    }
}

/// The name of the `seq`-th file written for `version`; `salt` makes it
/// unique even if a crashed writer left a file for the same version.
pub(crate) fn data_file_name(version: u64, seq: usize, salt: u64) -> String {
    format!("{version:020}-{seq:05}-{salt:016x}.parquet")
}

/// The version a data file was written for, if its name follows ordo's
/// pattern exactly (`20 digits - 5+ digits - 16 hex .parquet`).
pub(crate) fn data_file_version(name: &str) -> Option<u64> {
    let stem = name.strip_suffix(".parquet")?;
    let mut parts = stem.split('-');
    let (version, seq, salt) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let ok = parts.next().is_none()
        && version.len() == 20
        && digits(version)
        && seq.len() >= 5
        && digits(seq)
        && salt.len() == 16
        && salt.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if ok { version.parse().ok() } else { None }
}

/// Data file names: plain names ending in `.parquet`, never in `_ordo`.
pub(crate) fn is_data_file_name(name: &str) -> bool {
    name.ends_with(".parquet")
        && !name.starts_with(['.', '_'])
        && !name.contains(['/', '\\'])
        && name.len() > ".parquet".len()
}

pub(crate) fn encode_schema(schema: &Schema) -> String {
    let mut buf = Vec::new();
    {
        let mut writer =
            StreamWriter::try_new(&mut buf, schema).expect("writing to a Vec never fails");
        writer.finish().expect("writing to a Vec never fails");
    }
    BASE64.encode(buf)
}

pub(crate) fn decode_schema(text: &str) -> Result<SchemaRef, String> {
    let bytes = BASE64
        .decode(text)
        .map_err(|e| format!("schema is not base64: {e}"))?;
    // A damaged length prefix would make the IPC reader allocate up to
    // 2 GiB before finding that the bytes are not there.
    let (prefix, declared) = match bytes.get(..4) {
        Some([0xff, 0xff, 0xff, 0xff]) => (8, bytes.get(4..8)),
        _ => (4, bytes.get(..4)),
    };
    let declared = declared
        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize)
        .ok_or("schema is too short to be an Arrow IPC stream")?;
    if declared > bytes.len() - prefix.min(bytes.len()) {
        return Err(format!(
            "schema declares a {declared}-byte message in {} bytes",
            bytes.len()
        ));
    }
    // arrow-ipc panics on some malformed type descriptions (e.g. an
    // integer of width 0) instead of returning an error: a damaged
    // manifest must still be a `CorruptManifest`, so the panic is caught.
    let decoded = std::panic::catch_unwind(move || {
        StreamReader::try_new(Cursor::new(bytes), None).map(|reader| reader.schema())
    });
    match decoded {
        Ok(Ok(schema)) => Ok(schema),
        Ok(Err(e)) => Err(format!("schema is not an Arrow IPC stream: {e}")),
        Err(panic) => {
            let why = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("unknown reason");
            Err(format!("schema is not a valid Arrow IPC schema: {why}"))
        }
    }
}

/// A stored value as JSON: numbers for numeric kinds (infinite floats as
/// the strings `"inf"`/`"-inf"`), strings for strings.
pub(crate) fn stat_to_json(v: &OrderedValue) -> Value {
    match v {
        OrderedValue::Int(i) => Value::from(*i),
        OrderedValue::UInt(u) => Value::from(*u),
        OrderedValue::Float(f) if f.is_infinite() => {
            Value::from(if *f > 0.0 { "inf" } else { "-inf" })
        }
        OrderedValue::Float(f) => Value::from(*f),
        OrderedValue::Str(s) => Value::from(s.clone()),
        other => panic!("not a stored value: {other:?}"),
    }
}

/// The stored value a JSON statistic stands for, for a column of type `dt`.
pub(crate) fn stat_from_json(v: &Value, dt: &DataType) -> Option<OrderedValue> {
    Some(match kind_of(dt)? {
        Kind::Int => OrderedValue::Int(v.as_i64()?),
        Kind::UInt => OrderedValue::UInt(v.as_u64()?),
        Kind::Float => OrderedValue::Float(match v {
            Value::String(s) if s == "inf" => f64::INFINITY,
            Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
            _ => v.as_f64()?,
        }),
        Kind::Str => OrderedValue::Str(v.as_str()?.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use arrow::datatypes::{Field, TimeUnit};

    use super::*;

    fn sample() -> Manifest {
        let schema = Schema::new(vec![
            Field::new(
                "ts",
                DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
                false,
            ),
            Field::new("v", DataType::Float64, true),
        ]);
        Manifest {
            format: FORMAT_NAME.into(),
            format_version: MANIFEST_FORMAT_VERSION,
            version: 3,
            created_at_ms: 1,
            ordered_on: "ts".into(),
            schema: encode_schema(&schema),
            key_value_metadata: [("a".to_string(), "b".to_string())].into(),
            row_groups: vec![RowGroupEntry {
                file: "x.parquet".into(),
                num_rows: 2,
                min: Value::from(1),
                max: Value::from(2),
                size: 10,
                crc32c: Some(7),
            }],
            removed: false,
        }
    }

    #[test]
    fn roundtrip_and_names() {
        let m = sample();
        let back = Manifest::decode(&m.encode()).ok().unwrap();
        assert_eq!(back, m);
        assert_eq!(back.schema().field(0).name(), "ts");
        assert_eq!(manifest_name(7), "00000000000000000007.json");
        let f = data_file_name(7, 2, 0xab);
        assert_eq!(f, "00000000000000000007-00002-00000000000000ab.parquet");
        assert_eq!(data_file_version(&f), Some(7));
        assert_eq!(data_file_version("foreign.parquet"), None);
        for bad in [
            "00000000000000000007.parquet",
            "00000000000000000007-00002-00000000000000AB.parquet",
            "00000000000000000007-00002-00000000000000ab-x.parquet",
            "0000000000000000007-00002-00000000000000ab.parquet",
            "00000000000000000007-0002-00000000000000ab.parquet",
        ] {
            assert_eq!(data_file_version(bad), None, "{bad}");
        }
        assert_eq!(parse_manifest_name("00000000000000000007.json"), Some(7));
        for bad in [
            "7.json",
            "0000000000000000000x.json",
            ".00000000000000000007.json.tmp",
        ] {
            assert_eq!(parse_manifest_name(bad), None);
        }
    }

    #[test]
    fn schema_length_prefixes_are_checked_before_reading() {
        // A continuation marker and a length of 0x700000b8 (1.8 GiB) over
        // a few bytes: rejected without allocating the declared length.
        let mut bytes = vec![0xff, 0xff, 0xff, 0xff, 0xb8, 0x00, 0x00, 0x70];
        bytes.extend([0u8; 16]);
        let err = decode_schema(&BASE64.encode(&bytes)).unwrap_err();
        assert!(err.contains("declares a 1879048376-byte message"), "{err}");
        // The same without the marker (the legacy prefix), and too short.
        let err = decode_schema(&BASE64.encode(&bytes[4..])).unwrap_err();
        assert!(err.contains("declares"), "{err}");
        let err = decode_schema(&BASE64.encode([1u8, 2])).unwrap_err();
        assert!(err.contains("too short"), "{err}");
        // A real schema still decodes.
        let schema = sample().schema();
        assert_eq!(decode_schema(&encode_schema(&schema)).unwrap(), schema);
    }

    #[test]
    fn decode_rejects_bad_manifests() {
        let corrupt =
            |bytes: &[u8]| matches!(Manifest::decode(bytes), Err(DecodeError::Corrupt(_)));
        assert!(corrupt(b"{not json"));
        assert!(corrupt(b""));
        let mut m = sample();
        m.row_groups[0].min = Value::from("x");
        assert!(corrupt(&m.encode()));
        let mut m = sample();
        m.row_groups[0].file = "../etc/passwd".into();
        assert!(corrupt(&m.encode()));
        let mut m = sample();
        m.row_groups[0].min = Value::from(5);
        assert!(corrupt(&m.encode()), "min > max");
        let mut m = sample();
        m.row_groups.push(m.row_groups[0].clone());
        assert!(corrupt(&m.encode()), "overlapping row groups");
        let mut m = sample();
        m.row_groups[0].num_rows = 0;
        assert!(corrupt(&m.encode()), "empty row group");
        let mut m = sample();
        m.format_version = 0;
        assert!(corrupt(&m.encode()));
        let mut m = sample();
        m.ordered_on = "nope".into();
        assert!(corrupt(&m.encode()));
        let mut m = sample();
        m.schema = "AAAA".into();
        assert!(corrupt(&m.encode()));
        let mut m = sample();
        m.format_version = FORMAT_VERSION + 1;
        m.row_groups = Vec::new();
        let mut v: Value = serde_json::from_slice(&m.encode()).unwrap();
        v.as_object_mut().unwrap().remove("row_groups");
        let bytes = serde_json::to_vec(&v).unwrap();
        assert!(matches!(
            Manifest::decode(&bytes),
            Err(DecodeError::NewerFormat(3))
        ));
    }

    #[test]
    fn stats_json() {
        let f = DataType::Float64;
        for v in [f64::INFINITY, f64::NEG_INFINITY, -0.5] {
            let j = stat_to_json(&OrderedValue::Float(v));
            assert_eq!(stat_from_json(&j, &f), Some(OrderedValue::Float(v)));
        }
        let j = stat_to_json(&OrderedValue::UInt(u64::MAX));
        assert_eq!(
            stat_from_json(&j, &DataType::UInt64),
            Some(OrderedValue::UInt(u64::MAX))
        );
        assert_eq!(stat_from_json(&Value::from(-1), &DataType::UInt64), None);
    }
}
