//! Ordered values from text (command lines, configuration files): parsed
//! by the type of the column they will be compared with.

use arrow::datatypes::DataType;
use chrono::{DateTime, NaiveDate, NaiveDateTime};

use crate::error::{Error, Result};
use crate::value::OrderedValue;

impl OrderedValue {
    /// Parses `text` as a value of a column of type `data_type`: an
    /// integer or a float for numeric columns; for timestamp and date
    /// columns a stored integer, an RFC 3339 time (`2024-01-01T12:00:00Z`,
    /// `...+01:00`), a naive date-time (`2024-01-01T12:00:00[.f]`,
    /// `2024-01-01 12:00:00`, `2024-01-01T12:00`, taken as UTC) or a date
    /// (`2024-01-01`); the text itself for string columns. Surrounding
    /// whitespace is ignored except for strings.
    ///
    /// ```
    /// use ordo_store::OrderedValue;
    /// use ordo_store::arrow::datatypes::{DataType, TimeUnit};
    /// assert_eq!(OrderedValue::parse("42", &DataType::Int32)?, OrderedValue::Int(42));
    /// let ts = DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()));
    /// let t = OrderedValue::parse("2024-01-01T00:00:00Z", &ts)?;
    /// assert!(matches!(t, OrderedValue::Timestamp(_)));
    /// assert!(OrderedValue::parse("soon", &ts).is_err());
    /// # Ok::<(), ordo_store::Error>(())
    /// ```
    pub fn parse(text: &str, data_type: &DataType) -> Result<Self> {
        let bad = |reason: &str| Error::UnparsableValue {
            text: text.to_owned(),
            data_type: data_type.to_string(),
            reason: reason.to_owned(),
        };
        let trimmed = text.trim();
        match data_type {
            DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => trimmed
                .parse()
                .map(OrderedValue::Int)
                .map_err(|e| bad(&e.to_string())),
            DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => trimmed
                .parse()
                .map(OrderedValue::UInt)
                .map_err(|e| bad(&e.to_string())),
            DataType::Float16 | DataType::Float32 | DataType::Float64 => {
                match trimmed.parse::<f64>() {
                    Ok(v) if v.is_nan() => Err(bad("NaN is not ordered")),
                    Ok(v) => Ok(OrderedValue::Float(v)),
                    Err(e) => Err(bad(&e.to_string())),
                }
            }
            DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => parse_time(trimmed)
                .ok_or_else(|| {
                    bad("expected an integer, an RFC 3339 time, an ISO 8601 date-time or a date")
                }),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
                Ok(OrderedValue::Str(text.to_owned()))
            }
            _ => Err(bad("not a type ordo can order on")),
        }
    }

    /// This value as text among the values of a column of type
    /// `data_type`, as they are shown: as [`Display`](std::fmt::Display)
    /// shows it, except that in a timestamp column without a time zone a
    /// timestamp has no offset (its values are not UTC instants).
    ///
    /// ```
    /// use ordo_store::OrderedValue;
    /// use ordo_store::arrow::datatypes::{DataType, TimeUnit};
    /// let naive = DataType::Timestamp(TimeUnit::Millisecond, None);
    /// let t = OrderedValue::parse("2024-01-01T12:00:00.250", &naive)?;
    /// assert_eq!(t.to_string(), "2024-01-01T12:00:00.250Z");
    /// assert_eq!(t.shown_in(&naive), "2024-01-01T12:00:00.250");
    /// let utc = DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
    /// assert_eq!(t.shown_in(&utc), "2024-01-01T12:00:00.250Z");
    /// # Ok::<(), ordo_store::Error>(())
    /// ```
    pub fn shown_in(&self, data_type: &DataType) -> String {
        match (self, data_type) {
            (OrderedValue::Timestamp(t), DataType::Timestamp(_, None)) => {
                t.naive_utc().format("%Y-%m-%dT%H:%M:%S%.f").to_string()
            }
            _ => self.to_string(),
        }
    }
}

/// A stored integer, an RFC 3339 time, a naive date-time (UTC) or a date.
fn parse_time(s: &str) -> Option<OrderedValue> {
    if let Ok(i) = s.parse::<i64>() {
        return Some(OrderedValue::Int(i));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(OrderedValue::Timestamp(t));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Some(OrderedValue::Timestamp(t.and_utc().fixed_offset()));
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .map(OrderedValue::Date)
}

#[cfg(test)]
mod tests {
    use arrow::datatypes::TimeUnit;
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn parses_by_column_type() {
        let ts = DataType::Timestamp(TimeUnit::Millisecond, None);
        let p = |s: &str, dt: &DataType| OrderedValue::parse(s, dt);
        assert_eq!(p(" -7 ", &DataType::Int8).unwrap(), OrderedValue::Int(-7));
        assert_eq!(p("7", &DataType::UInt64).unwrap(), OrderedValue::UInt(7));
        assert_eq!(
            p("1.5", &DataType::Float32).unwrap(),
            OrderedValue::Float(1.5)
        );
        assert_eq!(
            p(" a b ", &DataType::Utf8).unwrap(),
            OrderedValue::Str(" a b ".into())
        );
        assert_eq!(p("12", &ts).unwrap(), OrderedValue::Int(12));
        let noon = Utc.with_ymd_and_hms(2024, 1, 1, 12, 0, 0).unwrap();
        for text in [
            "2024-01-01T12:00:00Z",
            "2024-01-01T13:00:00+01:00",
            "2024-01-01T12:00:00",
            "2024-01-01 12:00:00.000",
            "2024-01-01T12:00",
        ] {
            assert_eq!(
                p(text, &ts).unwrap(),
                OrderedValue::Timestamp(noon.fixed_offset()),
                "{text}"
            );
        }
        assert_eq!(
            p("2024-01-01", &DataType::Date32).unwrap(),
            OrderedValue::Date(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap())
        );
        for (text, dt) in [
            ("x", DataType::Int64),
            ("-1", DataType::UInt8),
            ("NaN", DataType::Float64),
            ("", DataType::Float64),
            ("2024-13-01", ts.clone()),
            ("1", DataType::Boolean),
        ] {
            let err = p(text, &dt).unwrap_err();
            assert!(
                matches!(&err, Error::UnparsableValue { text: t, .. } if t == text),
                "{text} {dt}: {err}"
            );
        }
    }
}
