//! Values of CSV text converted to their column's type: every Arrow type
//! ordo stores, with durations as counts or ISO 8601 and binary as hex, as
//! `ordo cat` prints them.

use std::sync::Arc;

use ordo::arrow::array::{
    Array, ArrayRef, AsArray, BinaryBuilder, FixedSizeBinaryBuilder, Int64Array, new_null_array,
};
use ordo::arrow::compute::{CastOptions, can_cast_types, cast_with_options};
use ordo::arrow::datatypes::{DataType, TimeUnit};

/// Why a CSV column does not convert to its type.
pub(super) enum Unreadable {
    /// No value can: the type cannot be read from text.
    Type(String),
    /// The value of this row (from 0) does not; `reason` is appended to
    /// the message.
    Value { row: usize, reason: &'static str },
}

/// Converts a column of text to `to`. Empty values are nulls.
pub(super) fn convert(text: &ArrayRef, to: &DataType) -> Result<ArrayRef, Unreadable> {
    let strings = text.as_string::<i32>();
    let bad = |row, reason| Unreadable::Value { row, reason };
    match to {
        DataType::Utf8 => Ok(text.clone()),
        DataType::Null => match strings.iter().position(|v| v.is_some()) {
            Some(row) => Err(bad(row, " (a Null column holds only empty values)")),
            None => Ok(new_null_array(to, text.len())),
        },
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
            let mut builder = BinaryBuilder::new();
            for (row, value) in strings.iter().enumerate() {
                match value {
                    None => builder.append_null(),
                    Some(hex) => builder.append_value(
                        from_hex(hex).ok_or_else(|| bad(row, " (expected hexadecimal digits)"))?,
                    ),
                }
            }
            let binary: ArrayRef = Arc::new(builder.finish());
            checked_cast(&binary, to, "")
        }
        DataType::FixedSizeBinary(width) => {
            let mut builder = FixedSizeBinaryBuilder::new(*width);
            for (row, value) in strings.iter().enumerate() {
                let reason = " (expected hexadecimal digits of the type's width)";
                match value {
                    None => builder.append_null(),
                    Some(hex) => {
                        let bytes = from_hex(hex).ok_or_else(|| bad(row, reason))?;
                        builder.append_value(bytes).map_err(|_| bad(row, reason))?;
                    }
                }
            }
            Ok(Arc::new(builder.finish()))
        }
        DataType::Duration(unit) => {
            let reason = " (expected an ISO 8601 duration or an integer count of the unit)";
            let mut counts = Vec::with_capacity(strings.len());
            for (row, value) in strings.iter().enumerate() {
                counts.push(match value {
                    None => None,
                    Some(text) => {
                        Some(duration_count(text, *unit).ok_or_else(|| bad(row, reason))?)
                    }
                });
            }
            let counts: ArrayRef = Arc::new(Int64Array::from(counts));
            checked_cast(&counts, to, reason)
        }
        DataType::List(_)
        | DataType::LargeList(_)
        | DataType::ListView(_)
        | DataType::LargeListView(_)
        | DataType::FixedSizeList(..)
        | DataType::Struct(_)
        | DataType::Map(..)
        | DataType::Union(..)
        | DataType::RunEndEncoded(..) => Err(Unreadable::Type(format!(
            "CSV cannot hold {to} values: use JSON lines, Parquet or Arrow IPC"
        ))),
        // Epoch counts in the column's unit, as `--start` takes them.
        DataType::Timestamp(..) | DataType::Date32 | DataType::Date64
            if strings
                .iter()
                .flatten()
                .all(|v| v.trim().parse::<i64>().is_ok()) =>
        {
            let counts: Int64Array = strings
                .iter()
                .map(|v| v.map(|v| v.trim().parse::<i64>().expect("checked")))
                .collect();
            checked_cast(&(Arc::new(counts) as ArrayRef), to, "")
        }
        _ => checked_cast(text, to, ""),
    }
}

/// `from` cast to `to`; a value that does not convert is an error.
fn checked_cast(
    from: &ArrayRef,
    to: &DataType,
    reason: &'static str,
) -> Result<ArrayRef, Unreadable> {
    if !can_cast_types(from.data_type(), to) {
        return Err(Unreadable::Type(format!(
            "{to} values cannot be read from CSV"
        )));
    }
    let options = CastOptions {
        safe: true,
        ..CastOptions::default()
    };
    let out = cast_with_options(from, to, &options).map_err(|e| Unreadable::Type(e.to_string()))?;
    match (0..from.len()).find(|&i| from.is_valid(i) && out.is_null(i)) {
        Some(row) => Err(Unreadable::Value { row, reason }),
        None => Ok(out),
    }
}

/// A duration as a count of `unit`: an integer (the count itself), or an
/// ISO 8601 duration in days, hours, minutes and seconds (`PT1.5S`,
/// `-P1DT2H`, `P0D`), as `ordo cat` prints durations. `None` when the text
/// is neither or is not a whole number of `unit`.
fn duration_count(text: &str, unit: TimeUnit) -> Option<i64> {
    if let Ok(count) = text.parse::<i64>() {
        return Some(count);
    }
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let mut rest = rest.strip_prefix('P')?;
    let (mut nanos, mut in_time, mut parts) = (0i128, false, 0);
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('T').filter(|_| !in_time) {
            (rest, in_time) = (r, true);
            continue;
        }
        let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let (number, designator) = (&rest[..end], rest[end..].chars().next()?);
        let scale: i128 = match (in_time, designator) {
            (false, 'D') => 86_400_000_000_000,
            (false, 'W') => 7 * 86_400_000_000_000,
            (true, 'H') => 3_600_000_000_000,
            (true, 'M') => 60_000_000_000,
            (true, 'S') => 1_000_000_000,
            _ => return None,
        };
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() || (designator != 'S' && !fraction.is_empty()) || fraction.len() > 9 {
            return None;
        }
        nanos += whole.parse::<i128>().ok()? * scale;
        if !fraction.is_empty() {
            let digits = format!("{fraction:0<9}");
            nanos += digits.parse::<i128>().ok()?;
        }
        rest = &rest[end + 1..];
        parts += 1;
    }
    if parts == 0 {
        return None;
    }
    let per_unit: i128 = match unit {
        TimeUnit::Second => 1_000_000_000,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    };
    if nanos % per_unit != 0 {
        return None;
    }
    let count = i64::try_from(nanos / per_unit).ok()?;
    Some(if negative { -count } else { count })
}

/// The bytes written as hexadecimal digits (as `ordo cat` prints binary
/// values).
fn from_hex(hex: &str) -> Option<Vec<u8>> {
    let digits = hex.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(text, 16).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_counts_or_iso_8601() {
        let s = TimeUnit::Second;
        let ms = TimeUnit::Millisecond;
        assert_eq!(duration_count("42", s), Some(42));
        assert_eq!(duration_count("-3", ms), Some(-3));
        assert_eq!(duration_count("PT5S", s), Some(5));
        assert_eq!(duration_count("PT1.5S", ms), Some(1500));
        assert_eq!(duration_count("-PT0.001S", ms), Some(-1));
        assert_eq!(duration_count("P0D", s), Some(0));
        assert_eq!(
            duration_count("P1DT2H3M4S", s),
            Some(86_400 + 7_200 + 180 + 4)
        );
        assert_eq!(
            duration_count("PT86400S", TimeUnit::Nanosecond),
            Some(86_400_000_000_000)
        );
        for bad in ["", "P", "PT", "PT1.5S5", "PT1.5H", "1S", "P1S", "PT0.5S"] {
            assert_eq!(duration_count(bad, s), None, "{bad:?}");
        }
    }

    #[test]
    fn hex_digits_decode() {
        assert_eq!(from_hex("00ffA0"), Some(vec![0, 255, 160]));
        assert_eq!(from_hex(""), Some(vec![]));
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("zz"), None);
    }
}
