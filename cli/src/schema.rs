//! `--schema`: column types forced on CSV and JSON-lines inputs, written
//! `name:type,name:type,...`.

use std::sync::Arc;

use ordo::arrow::datatypes::{
    DataType, Decimal32Type, Decimal64Type, Decimal128Type, Decimal256Type, Field, Fields, Schema,
    TimeUnit, validate_decimal_precision_and_scale,
};

/// Column types given with `--schema`, in the order given.
#[derive(Debug, Clone, PartialEq)]
pub struct ForcedTypes(Vec<(String, DataType)>);

impl ForcedTypes {
    /// The type forced on column `name`, if any.
    pub fn get(&self, name: &str) -> Option<&DataType> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, dt)| dt)
    }

    /// `types` (none when `None`) and `more`, for columns they do not name.
    pub fn extended(types: Option<&ForcedTypes>, more: Vec<(String, DataType)>) -> Self {
        let mut all = types.map_or_else(Vec::new, |t| t.0.clone());
        all.extend(
            more.into_iter()
                .filter(|(n, _)| types.is_none_or(|t| t.get(n).is_none())),
        );
        Self(all)
    }

    /// Checks that every forced column is in `schema`.
    pub fn check_columns(&self, schema: &Schema) -> Result<(), String> {
        for (name, _) in &self.0 {
            if schema.field_with_name(name).is_err() {
                let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                return Err(format!(
                    "--schema names column `{name}`, which the input does not have (columns: {})",
                    names.join(", ")
                ));
            }
        }
        Ok(())
    }
}

/// Parses `--schema`: `name:type` pairs separated by commas (see
/// [`parse_type`] for the types).
pub fn parse_schema(s: &str) -> Result<ForcedTypes, String> {
    let fields = parse_fields(s)?;
    if fields.is_empty() {
        return Err("expected name:type[,name:type..]".into());
    }
    Ok(ForcedTypes(fields))
}

/// `name:type` pairs separated by commas outside brackets.
fn parse_fields(s: &str) -> Result<Vec<(String, DataType)>, String> {
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
    Ok(out)
}

/// Splits on commas outside brackets, parentheses and quotes.
fn split_top_level(s: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut quoted, mut start) = (Vec::new(), 0i32, false, 0);
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '[' | '(' if !quoted => depth += 1,
            ']' | ')' if !quoted => depth -= 1,
            ',' if depth == 0 && !quoted => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

/// The names `--schema` accepts, for messages.
const TYPE_NAMES: &str = "null, bool, int8..int64, uint8..uint64, float16, float32, float64, \
    decimal32/64/128/256[P,S], utf8, large_utf8, utf8_view, binary, large_binary, binary_view, \
    fixed_size_binary[N], date32, date64, time32[s|ms], time64[us|ns], timestamp[UNIT], \
    timestamp[UNIT,ZONE], duration[UNIT], list[T], large_list[T], struct[NAME:T,..], \
    map[K,V], dictionary[K,V], or an Arrow type as `ordo info` prints it";

/// Parses one type name: a name (case-insensitive) with, for some, bracketed
/// arguments (`timestamp[ms,UTC]`, `decimal128[10,2]`, `list[int64]`), or
/// an Arrow type as arrow-rs prints it (`LargeUtf8`, `Timestamp(ms, "UTC")`).
pub fn parse_type(ty: &str) -> Result<DataType, String> {
    let ty = ty.trim();
    let (name, args) = match ty.split_once('[') {
        Some((name, rest)) => {
            let args = rest
                .strip_suffix(']')
                .ok_or_else(|| format!("unbalanced brackets in type {ty:?}"))?;
            (name.trim().to_ascii_lowercase(), Some(args))
        }
        None => (ty.to_ascii_lowercase(), None),
    };
    let no_args = |dt: DataType| match args {
        None => Ok(dt),
        Some(_) => Err(format!("type `{name}` takes no arguments, got {ty:?}")),
    };
    let args_of = |n: usize| -> Result<Vec<&str>, String> {
        let list: Vec<&str> = match args {
            Some(a) => split_top_level(a).into_iter().map(str::trim).collect(),
            None => Vec::new(),
        };
        if list.len() == n {
            Ok(list)
        } else {
            Err(format!(
                "type `{name}` takes {n} argument(s) in brackets, got {ty:?}"
            ))
        }
    };
    let unit_of = |unit: &str| match unit.trim().to_ascii_lowercase().as_str() {
        "s" => Ok(TimeUnit::Second),
        "ms" => Ok(TimeUnit::Millisecond),
        "us" => Ok(TimeUnit::Microsecond),
        "ns" => Ok(TimeUnit::Nanosecond),
        other => Err(format!(
            "unknown time unit {other:?} in {ty:?}: use s, ms, us or ns"
        )),
    };
    let item = |dt: DataType| Arc::new(Field::new("item", dt, true));
    Ok(match name.as_str() {
        "null" => no_args(DataType::Null)?,
        "bool" | "boolean" => no_args(DataType::Boolean)?,
        "int8" => no_args(DataType::Int8)?,
        "int16" => no_args(DataType::Int16)?,
        "int32" => no_args(DataType::Int32)?,
        "int64" => no_args(DataType::Int64)?,
        "uint8" => no_args(DataType::UInt8)?,
        "uint16" => no_args(DataType::UInt16)?,
        "uint32" => no_args(DataType::UInt32)?,
        "uint64" => no_args(DataType::UInt64)?,
        "float16" => no_args(DataType::Float16)?,
        "float32" => no_args(DataType::Float32)?,
        "float64" => no_args(DataType::Float64)?,
        "utf8" | "string" => no_args(DataType::Utf8)?,
        "large_utf8" | "large_string" => no_args(DataType::LargeUtf8)?,
        "utf8_view" | "string_view" => no_args(DataType::Utf8View)?,
        "binary" => no_args(DataType::Binary)?,
        "large_binary" => no_args(DataType::LargeBinary)?,
        "binary_view" => no_args(DataType::BinaryView)?,
        "fixed_size_binary" => {
            let n = args_of(1)?[0];
            let n: i32 = n
                .parse()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| format!("expected a byte width in {ty:?}"))?;
            DataType::FixedSizeBinary(n)
        }
        "date32" | "date" => no_args(DataType::Date32)?,
        "date64" => no_args(DataType::Date64)?,
        "time32" => match unit_of(args_of(1)?[0])? {
            unit @ (TimeUnit::Second | TimeUnit::Millisecond) => DataType::Time32(unit),
            _ => return Err(format!("time32 takes s or ms, got {ty:?}")),
        },
        "time64" => match unit_of(args_of(1)?[0])? {
            unit @ (TimeUnit::Microsecond | TimeUnit::Nanosecond) => DataType::Time64(unit),
            _ => return Err(format!("time64 takes us or ns, got {ty:?}")),
        },
        "timestamp" => match args {
            None => DataType::Timestamp(TimeUnit::Nanosecond, None),
            Some(a) => {
                // The zone keeps its case (`Europe/Berlin`).
                let (unit, zone) = match a.split_once(',') {
                    Some((unit, zone)) => (unit, Some(zone.trim())),
                    None => (a, None),
                };
                let zone: Option<Arc<str>> = match zone {
                    Some("") => return Err(format!("empty time zone in {ty:?}")),
                    Some(z) => Some(z.into()),
                    None => None,
                };
                DataType::Timestamp(unit_of(unit)?, zone)
            }
        },
        "duration" => DataType::Duration(unit_of(args_of(1)?[0])?),
        "decimal32" | "decimal64" | "decimal128" | "decimal" | "decimal256" => {
            let a = args_of(2)?;
            let precision: u8 = a[0]
                .parse()
                .map_err(|_| format!("expected a precision in {ty:?}"))?;
            let scale: i8 = a[1]
                .parse()
                .map_err(|_| format!("expected a scale in {ty:?}"))?;
            let checked = match name.as_str() {
                "decimal32" => {
                    validate_decimal_precision_and_scale::<Decimal32Type>(precision, scale)
                }
                "decimal64" => {
                    validate_decimal_precision_and_scale::<Decimal64Type>(precision, scale)
                }
                "decimal256" => {
                    validate_decimal_precision_and_scale::<Decimal256Type>(precision, scale)
                }
                _ => validate_decimal_precision_and_scale::<Decimal128Type>(precision, scale),
            };
            checked.map_err(|e| format!("{ty:?}: {e}"))?;
            match name.as_str() {
                "decimal32" => DataType::Decimal32(precision, scale),
                "decimal64" => DataType::Decimal64(precision, scale),
                "decimal256" => DataType::Decimal256(precision, scale),
                _ => DataType::Decimal128(precision, scale),
            }
        }
        "list" => DataType::List(item(parse_type(args_of(1)?[0])?)),
        "large_list" => DataType::LargeList(item(parse_type(args_of(1)?[0])?)),
        "struct" => {
            let fields = parse_fields(args.unwrap_or_default())?;
            let fields: Fields = fields
                .into_iter()
                .map(|(n, dt)| Field::new(n, dt, true))
                .collect();
            DataType::Struct(fields)
        }
        "map" => {
            let a = args_of(2)?;
            let entries = Fields::from(vec![
                Field::new("key", parse_type(a[0])?, false),
                Field::new("value", parse_type(a[1])?, true),
            ]);
            DataType::Map(
                Arc::new(Field::new("entries", DataType::Struct(entries), false)),
                false,
            )
        }
        "dictionary" => {
            let a = args_of(2)?;
            let key = parse_type(a[0])?;
            if !key.is_dictionary_key_type() {
                return Err(format!("a dictionary key is an integer type, got {ty:?}"));
            }
            DataType::Dictionary(Box::new(key), Box::new(parse_type(a[1])?))
        }
        _ => ty
            .parse::<DataType>()
            .map_err(|_| format!("unknown type {ty:?}: use {TYPE_NAMES}"))?,
    })
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
    fn parses_every_storable_kind() {
        let item = |dt| Arc::new(Field::new("item", dt, true));
        for (name, dt) in [
            ("null", DataType::Null),
            ("Boolean", DataType::Boolean),
            ("float16", DataType::Float16),
            ("large_utf8", DataType::LargeUtf8),
            ("large_string", DataType::LargeUtf8),
            ("utf8_view", DataType::Utf8View),
            ("binary", DataType::Binary),
            ("large_binary", DataType::LargeBinary),
            ("binary_view", DataType::BinaryView),
            ("fixed_size_binary[16]", DataType::FixedSizeBinary(16)),
            ("date64", DataType::Date64),
            ("time32[ms]", DataType::Time32(TimeUnit::Millisecond)),
            ("time64[ns]", DataType::Time64(TimeUnit::Nanosecond)),
            ("duration[s]", DataType::Duration(TimeUnit::Second)),
            ("decimal32[9,2]", DataType::Decimal32(9, 2)),
            ("decimal64[18,4]", DataType::Decimal64(18, 4)),
            ("decimal128[38,10]", DataType::Decimal128(38, 10)),
            ("decimal[10,2]", DataType::Decimal128(10, 2)),
            ("decimal256[76,0]", DataType::Decimal256(76, 0)),
            (
                "timestamp[s,+01:00]",
                DataType::Timestamp(TimeUnit::Second, Some("+01:00".into())),
            ),
            ("list[int64]", DataType::List(item(DataType::Int64))),
            (
                "large_list[list[utf8]]",
                DataType::LargeList(item(DataType::List(item(DataType::Utf8)))),
            ),
            (
                "struct[a:int32,b:timestamp[ms,UTC]]",
                DataType::Struct(Fields::from(vec![
                    Field::new("a", DataType::Int32, true),
                    Field::new(
                        "b",
                        DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
                        true,
                    ),
                ])),
            ),
            (
                "dictionary[int32,utf8]",
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
            ),
            // As arrow-rs prints types (`ordo info`).
            ("LargeUtf8", DataType::LargeUtf8),
            (
                "Timestamp(ms, \"UTC\")",
                DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            ),
        ] {
            assert_eq!(parse_type(name), Ok(dt.clone()), "{name}");
            // Every type prints in a form that parses back.
            assert_eq!(parse_type(&dt.to_string()), Ok(dt), "{name}");
        }
        assert!(matches!(
            parse_type("map[utf8,int64]"),
            Ok(DataType::Map(..))
        ));
        // Commas inside brackets and quotes do not split columns.
        let t =
            parse_schema("a:decimal128[10,2],b:Timestamp(ms, \"UTC\"),c:map[utf8,int64]").unwrap();
        assert_eq!(t.0.len(), 3);
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
            "x:decimal128[39,2]",
            "x:decimal128[10]",
            "x:time32[us]",
            "x:time64[s]",
            "x:int64[3]",
            "x:list[int64",
            "x:dictionary[utf8,utf8]",
            "x:fixed_size_binary[-1]",
        ] {
            assert!(parse_schema(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn check_columns_rejects_unknown_ones() {
        let schema = Schema::new(vec![
            Field::new("a", DataType::Utf8, true),
            Field::new("b", DataType::Int64, true),
        ]);
        let forced = parse_schema("a:int32").unwrap();
        assert!(forced.check_columns(&schema).is_ok());
        assert_eq!(forced.get("a"), Some(&DataType::Int32));
        assert_eq!(forced.get("b"), None);
        let err = parse_schema("c:int32")
            .unwrap()
            .check_columns(&schema)
            .unwrap_err();
        assert!(err.contains("`c`"), "{err}");
    }
}
