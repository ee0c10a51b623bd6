//! Format 2's checkpoint: the whole state of one version as an Arrow IPC
//! file, one row per row group, so that opening a dataset reads one file
//! and a few records instead of every record. See docs/FORMAT.md.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch, StringArray, UInt32Array,
    UInt64Array,
};
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema, UInt32Type, UInt64Type};
use arrow::ipc::reader::FileReader;
use arrow::ipc::writer::FileWriter;

use super::manifest::{FORMAT_NAME, check_schema};
use super::record::RECORD_FORMAT_VERSION;
use super::snapshot::{RowGroupStats, Snapshot, StateBase};
use crate::value::OrderedValue;
use crate::value::stored::{Kind, kind_of};

const KEY_FORMAT: &str = "ordo.format";
const KEY_FORMAT_VERSION: &str = "ordo.format_version";
const KEY_VERSION: &str = "ordo.version";
const KEY_COMMIT_ID: &str = "ordo.commit_id";
const KEY_CREATED: &str = "ordo.created_at_ms";
const KEY_ORDERED_ON: &str = "ordo.ordered_on";
const KEY_SCHEMA: &str = "ordo.schema";
const KEY_METADATA: &str = "ordo.key_value_metadata";

/// The Arrow type of the `min`/`max` columns for a stored kind.
fn stat_type(kind: Kind) -> DataType {
    match kind {
        Kind::Int => DataType::Int64,
        Kind::UInt => DataType::UInt64,
        Kind::Float => DataType::Float64,
        Kind::Str => DataType::Utf8,
    }
}

fn table_schema(kind: Kind, metadata: BTreeMap<String, String>) -> Schema {
    let stat = stat_type(kind);
    Schema::new(vec![
        Field::new("file", DataType::Utf8, false),
        Field::new("num_rows", DataType::UInt64, false),
        Field::new("min", stat.clone(), false),
        Field::new("max", stat, false),
        Field::new("size", DataType::UInt64, false),
        Field::new("crc32c", DataType::UInt32, true),
    ])
    .with_metadata(metadata.into_iter().collect())
}

/// The stored extremes as a column; every value is of `kind` (stored
/// statistics are never of another variant).
fn stat_array(kind: Kind, values: impl Iterator<Item = OrderedValue>) -> ArrayRef {
    use OrderedValue as V;
    match kind {
        Kind::Int => Arc::new(
            values
                .map(|v| if let V::Int(i) = v { Some(i) } else { None })
                .collect::<Int64Array>(),
        ),
        Kind::UInt => Arc::new(
            values
                .map(|v| if let V::UInt(u) = v { Some(u) } else { None })
                .collect::<UInt64Array>(),
        ),
        Kind::Float => Arc::new(
            values
                .map(|v| if let V::Float(f) = v { Some(f) } else { None })
                .collect::<Float64Array>(),
        ),
        Kind::Str => Arc::new(
            values
                .map(|v| if let V::Str(s) = v { Some(s) } else { None })
                .collect::<StringArray>(),
        ),
    }
}

/// Encodes `s` as a checkpoint.
pub(crate) fn encode(s: &Snapshot) -> Vec<u8> {
    let kind = kind_of(s.ordered_type()).expect("checked on decode");
    let mut metadata = BTreeMap::from([
        (KEY_FORMAT.to_owned(), FORMAT_NAME.to_owned()),
        (
            KEY_FORMAT_VERSION.to_owned(),
            RECORD_FORMAT_VERSION.to_string(),
        ),
        (KEY_VERSION.to_owned(), s.version.to_string()),
        (KEY_CREATED.to_owned(), s.created_at_ms.to_string()),
        (KEY_ORDERED_ON.to_owned(), s.ordered_on.clone()),
        (KEY_SCHEMA.to_owned(), s.schema_text.to_string()),
        (
            KEY_METADATA.to_owned(),
            serde_json::to_string(&s.key_value_metadata).expect("strings serialize"),
        ),
    ]);
    if let Some(id) = &s.commit_id {
        metadata.insert(KEY_COMMIT_ID.to_owned(), id.clone());
    }
    let schema = Arc::new(table_schema(kind, metadata));
    let g = &s.stats;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(g.iter().map(|r| &r.file))),
        Arc::new(UInt64Array::from_iter_values(g.iter().map(|r| r.num_rows))),
        stat_array(kind, g.iter().map(|r| r.min.clone())),
        stat_array(kind, g.iter().map(|r| r.max.clone())),
        Arc::new(UInt64Array::from_iter_values(
            g.iter().map(|r| r.size_bytes),
        )),
        Arc::new(g.iter().map(|r| r.crc32c).collect::<UInt32Array>()),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).expect("columns match the schema");
    let mut buf = Vec::new();
    {
        let mut w = FileWriter::try_new(&mut buf, &schema).expect("writing to a Vec never fails");
        w.write(&batch).expect("writing to a Vec never fails");
        w.finish().expect("writing to a Vec never fails");
    }
    buf
}

/// Decodes a checkpoint; an error says what is wrong with it. Never
/// panics, whatever the bytes.
pub(crate) fn decode(bytes: &[u8]) -> Result<Snapshot, String> {
    let bytes = bytes.to_vec();
    // arrow-ipc panics on some malformed inputs instead of returning an
    // error: a damaged checkpoint must still be reported as such.
    std::panic::catch_unwind(move || decode_unchecked(&bytes)).unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("unknown reason");
        Err(format!("not a valid Arrow IPC file: {why}"))
    })
}

/// Checks that the blocks the file's footer declares lie inside the file:
/// arrow-ipc allocates a block's declared length before reading it, so a
/// damaged length would otherwise ask for up to terabytes (an abort, not
/// an error).
fn check_blocks(bytes: &[u8]) -> Result<(), String> {
    let n = bytes.len();
    let magic = b"ARROW1";
    if n < 2 * magic.len() + 4 || &bytes[n - magic.len()..] != magic {
        return Err("not an Arrow IPC file (no ARROW1 magic at its end)".into());
    }
    let end = n - magic.len() - 4;
    let footer_len = i32::from_le_bytes(bytes[end..end + 4].try_into().expect("4 bytes"));
    let footer_len = usize::try_from(footer_len)
        .ok()
        .filter(|&l| l <= end)
        .ok_or_else(|| format!("its footer length {footer_len} does not fit its {n} bytes"))?;
    let footer = arrow::ipc::root_as_footer(&bytes[end - footer_len..end])
        .map_err(|e| format!("its footer does not decode: {e}"))?;
    let blocks = footer.recordBatches().into_iter().flatten();
    for block in blocks.chain(footer.dictionaries().into_iter().flatten()) {
        let (offset, meta, body) = (block.offset(), block.metaDataLength(), block.bodyLength());
        let fits = offset >= 0
            && meta >= 0
            && body >= 0
            && i128::from(offset) + i128::from(meta) + i128::from(body) <= n as i128;
        if !fits {
            return Err(format!(
                "a block at offset {offset} of {meta} + {body} bytes runs past its {n} bytes"
            ));
        }
    }
    Ok(())
}

fn decode_unchecked(bytes: &[u8]) -> Result<Snapshot, String> {
    check_blocks(bytes)?;
    let reader = FileReader::try_new(Cursor::new(bytes), None)
        .map_err(|e| format!("not an Arrow IPC file: {e}"))?;
    let table = reader.schema();
    let meta = table.metadata();
    let get = |k: &str| {
        meta.get(k)
            .ok_or_else(|| format!("metadata {k:?} is missing"))
    };
    if get(KEY_FORMAT)? != FORMAT_NAME {
        return Err(format!("{KEY_FORMAT} is not {FORMAT_NAME:?}"));
    }
    if get(KEY_FORMAT_VERSION)? != &RECORD_FORMAT_VERSION.to_string() {
        return Err(format!(
            "{KEY_FORMAT_VERSION} is {:?}, not {RECORD_FORMAT_VERSION}",
            get(KEY_FORMAT_VERSION)?
        ));
    }
    let number = |k: &str| -> Result<i128, String> {
        get(k)?.parse().map_err(|_| format!("{k} is not a number"))
    };
    let version = u64::try_from(number(KEY_VERSION)?).map_err(|_| "version out of range")?;
    let created_at_ms =
        i64::try_from(number(KEY_CREATED)?).map_err(|_| "created_at_ms out of range")?;
    let commit_id = meta.get(KEY_COMMIT_ID).cloned();
    let ordered_on = get(KEY_ORDERED_ON)?.clone();
    let schema_text = get(KEY_SCHEMA)?.clone();
    let schema = check_schema(&schema_text, &ordered_on)?;
    let key_value_metadata: BTreeMap<String, String> = serde_json::from_str(get(KEY_METADATA)?)
        .map_err(|e| format!("{KEY_METADATA} is not a JSON object of strings: {e}"))?;
    let dt = schema
        .field_with_name(&ordered_on)
        .expect("checked")
        .data_type();
    let kind = kind_of(dt).expect("checked");
    let expected = table_schema(kind, BTreeMap::new());
    if table.fields() != expected.fields() {
        return Err(format!(
            "its columns are {:?}, not {:?}",
            table.fields(),
            expected.fields()
        ));
    }
    let mut stats = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| format!("a batch does not read: {e}"))?;
        read_rows(&batch, kind, &mut stats)?;
    }
    let snapshot = Snapshot {
        version,
        commit_id,
        created_at_ms,
        ordered_on,
        schema,
        schema_text: schema_text.into(),
        key_value_metadata,
        stats,
        base: StateBase::Checkpoint(version),
    };
    snapshot.check()?;
    Ok(snapshot)
}

fn read_rows(batch: &RecordBatch, kind: Kind, out: &mut Vec<RowGroupStats>) -> Result<(), String> {
    let c = batch.columns();
    if c.iter().take(5).any(|a| a.null_count() > 0) {
        return Err("a non-nullable column holds nulls".into());
    }
    let files = c[0].as_string::<i32>();
    let rows = c[1].as_primitive::<UInt64Type>();
    let sizes = c[4].as_primitive::<UInt64Type>();
    let crcs = c[5].as_primitive::<UInt32Type>();
    let stat = |a: &ArrayRef, i: usize| match kind {
        Kind::Int => OrderedValue::Int(a.as_primitive::<Int64Type>().value(i)),
        Kind::UInt => OrderedValue::UInt(a.as_primitive::<UInt64Type>().value(i)),
        Kind::Float => OrderedValue::Float(a.as_primitive::<Float64Type>().value(i)),
        Kind::Str => OrderedValue::Str(a.as_string::<i32>().value(i).to_owned()),
    };
    out.reserve(batch.num_rows());
    for i in 0..batch.num_rows() {
        out.push(RowGroupStats {
            file: files.value(i).to_owned(),
            num_rows: rows.value(i),
            min: stat(&c[2], i),
            max: stat(&c[3], i),
            size_bytes: sizes.value(i),
            crc32c: crcs.is_valid(i).then(|| crcs.value(i)),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::manifest::encode_schema;

    fn sample(kind: DataType, min: OrderedValue, max: OrderedValue) -> Snapshot {
        let schema = Arc::new(Schema::new(vec![Field::new("k", kind, false)]));
        Snapshot {
            version: 7,
            commit_id: Some("ab".repeat(16)),
            created_at_ms: 42,
            ordered_on: "k".into(),
            schema_text: encode_schema(&schema).into(),
            schema,
            key_value_metadata: [("a".to_string(), "b".to_string())].into(),
            stats: vec![RowGroupStats {
                file: "f.parquet".into(),
                num_rows: 3,
                min,
                max,
                size_bytes: 9,
                crc32c: Some(5),
            }],
            base: StateBase::Checkpoint(7),
        }
    }

    #[test]
    fn roundtrip_every_kind() {
        for s in [
            sample(DataType::Int64, OrderedValue::Int(-3), OrderedValue::Int(4)),
            sample(
                DataType::UInt64,
                OrderedValue::UInt(3),
                OrderedValue::UInt(u64::MAX),
            ),
            sample(
                DataType::Float64,
                OrderedValue::Float(f64::NEG_INFINITY),
                OrderedValue::Float(f64::INFINITY),
            ),
            sample(
                DataType::Utf8,
                OrderedValue::Str("a".into()),
                OrderedValue::Str("b".into()),
            ),
        ] {
            let back = decode(&encode(&s)).unwrap();
            assert_eq!(back.stats, s.stats);
            assert_eq!(
                (back.version, &back.commit_id, back.created_at_ms),
                (s.version, &s.commit_id, s.created_at_ms)
            );
            assert_eq!(
                (&back.key_value_metadata, &back.schema),
                (&s.key_value_metadata, &s.schema)
            );
        }
    }

    #[test]
    fn damage_is_an_error() {
        let bytes = encode(&sample(
            DataType::Int64,
            OrderedValue::Int(1),
            OrderedValue::Int(2),
        ));
        for cut in [0, 8, bytes.len() / 2, bytes.len() - 1] {
            assert!(decode(&bytes[..cut]).is_err(), "truncated at {cut}");
        }
        // A block length far past the end, as a fuzzer found: an error,
        // not an allocation of a terabyte (which aborts the process).
        let found = include_bytes!("../../../fuzz/regressions/checkpoint-huge-block-length.arrow");
        let err = decode(found).unwrap_err();
        assert!(err.contains("runs past"), "{err}");
        let mut overlapping = sample(DataType::Int64, OrderedValue::Int(1), OrderedValue::Int(2));
        overlapping.stats.push(overlapping.stats[0].clone());
        let err = decode(&encode(&overlapping)).unwrap_err();
        assert!(err.contains("not after the previous max"), "{err}");
    }
}
