//! `--schema`: column types forced on CSV and JSON-lines inputs, written
//! `name:type,name:type,...`.

use std::sync::Arc;

use ordo::arrow::datatypes::{DataType, Field, Schema, TimeUnit};

/// Column types given with `--schema`, in the order given.
#[derive(Debug, Clone, PartialEq)]
pub struct ForcedTypes(Vec<(String, DataType)>);

impl ForcedTypes {
    /// `schema` with the forced columns' types replaced (every forced
    /// column must be in it).
    pub fn apply(&self, schema: &Schema) -> Result<Schema, String> {
        for (name, _) in &self.0 {
            if schema.field_with_name(name).is_err() {
                let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                return Err(format!(
                    "--schema names column `{name}`, which the input does not have (columns: {})",
                    names.join(", ")
                ));
            }
        }
        let fields: Vec<Field> = schema
            .fields()
            .iter()
            .map(|f| match self.0.iter().find(|(n, _)| n == f.name()) {
                Some((_, dt)) => f.as_ref().clone().with_data_type(dt.clone()),
                None => f.as_ref().clone(),
            })
            .collect();
        Ok(Schema::new(fields))
    }
}

/// Parses `--schema`: `name:type` pairs separated by commas. Types:
/// `int8`..`int64`, `uint8`..`uint64`, `float32`, `float64`, `utf8` (or
/// `string`), `bool` (or `boolean`), `date32` (or `date`), and
/// `timestamp[UNIT]` or `timestamp[UNIT,ZONE]` with UNIT one of `s`, `ms`,
/// `us`, `ns` (`timestamp` alone is `timestamp[ns]`).
pub fn parse_schema(s: &str) -> Result<ForcedTypes, String> {
    let mut out: Vec<(String, DataType)> = Vec::new();
    for part in split_top_level(s) {
        let (name, ty) = part
            .split_once(':')
            .ok_or_else(|| format!("expected name:type, got {part:?}"))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(format!("empty column name in {part:?}"));
        }
        if out.iter().any(|(n, _)| n == name) {
            return Err(format!("column `{name}` appears twice"));
        }
        out.push((name.to_owned(), parse_type(ty.trim())?));
    }
    if out.is_empty() {
        return Err("expected name:type[,name:type..]".into());
    }
    Ok(ForcedTypes(out))
}

/// Splits on commas outside brackets.
fn split_top_level(s: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

/// Parses one type name.
fn parse_type(ty: &str) -> Result<DataType, String> {
    Ok(match ty.to_ascii_lowercase().as_str() {
        "int8" => DataType::Int8,
        "int16" => DataType::Int16,
        "int32" => DataType::Int32,
        "int64" => DataType::Int64,
        "uint8" => DataType::UInt8,
        "uint16" => DataType::UInt16,
        "uint32" => DataType::UInt32,
        "uint64" => DataType::UInt64,
        "float32" => DataType::Float32,
        "float64" => DataType::Float64,
        "utf8" | "string" => DataType::Utf8,
        "bool" | "boolean" => DataType::Boolean,
        "date32" | "date" => DataType::Date32,
        "timestamp" => DataType::Timestamp(TimeUnit::Nanosecond, None),
        lower => {
            let inner = lower
                .strip_prefix("timestamp[")
                .and_then(|r| r.strip_suffix(']'))
                .ok_or_else(|| unknown_type(ty))?;
            // The zone keeps its case (`Europe/Berlin`).
            let original = &ty["timestamp[".len()..ty.len() - 1];
            let (unit, zone) = match inner.split_once(',') {
                Some((unit, _)) => {
                    let zone = original.split_once(',').map(|(_, z)| z.trim());
                    (unit.trim(), zone)
                }
                None => (inner.trim(), None),
            };
            let unit = match unit {
                "s" => TimeUnit::Second,
                "ms" => TimeUnit::Millisecond,
                "us" => TimeUnit::Microsecond,
                "ns" => TimeUnit::Nanosecond,
                other => {
                    return Err(format!(
                        "unknown timestamp unit {other:?}: use s, ms, us or ns"
                    ));
                }
            };
            let zone: Option<Arc<str>> = match zone {
                Some("") => return Err(format!("empty time zone in {ty:?}")),
                Some(z) => Some(z.into()),
                None => None,
            };
            DataType::Timestamp(unit, zone)
        }
    })
}

fn unknown_type(ty: &str) -> String {
    format!(
        "unknown type {ty:?}: use int8..int64, uint8..uint64, float32, float64, utf8, bool, \
         date32, or timestamp[UNIT] / timestamp[UNIT,ZONE]"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_types_and_zones() {
        let t = parse_schema("ts:timestamp[ms, Europe/Berlin],x:float64, s:utf8,d:date32").unwrap();
        assert_eq!(
            t.0,
            vec![
                (
                    "ts".into(),
                    DataType::Timestamp(TimeUnit::Millisecond, Some("Europe/Berlin".into()))
                ),
                ("x".into(), DataType::Float64),
                ("s".into(), DataType::Utf8),
                ("d".into(), DataType::Date32),
            ]
        );
        assert_eq!(
            parse_schema("t:timestamp[us]").unwrap().0[0].1,
            DataType::Timestamp(TimeUnit::Microsecond, None)
        );
    }

    #[test]
    fn rejects_bad_specs() {
        for bad in [
            "",
            "x",
            "x:int128",
            "x:timestamp[h]",
            "x:int64,x:utf8",
            ":int64",
            "t:timestamp[s,]",
        ] {
            assert!(parse_schema(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn apply_replaces_named_columns_and_rejects_unknown_ones() {
        let schema = Schema::new(vec![
            Field::new("a", DataType::Utf8, true),
            Field::new("b", DataType::Int64, true),
        ]);
        let forced = parse_schema("a:int32").unwrap().apply(&schema).unwrap();
        assert_eq!(forced.field(0).data_type(), &DataType::Int32);
        assert_eq!(forced.field(1).data_type(), &DataType::Int64);
        let err = parse_schema("c:int32").unwrap().apply(&schema).unwrap_err();
        assert!(err.contains("`c`"), "{err}");
    }
}
