//! Ordered values as a column stores them (timestamps and dates as
//! integers in the column's unit): kinds, comparison, the typed helpers
//! that read, check and search the ordered column of a record batch, and
//! the conversion of user bounds to stored values. Only this conversion
//! and reads of stored data produce stored values; [`typed`] turns them
//! back into values of the column's type for users.

use std::cmp::Ordering;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::*;
use chrono::{DateTime, FixedOffset, NaiveDate, Offset, TimeZone, Utc};

use super::OrderedValue;
use crate::error::{Error, Result};

/// How values of an ordered column are stored and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Int,
    UInt,
    Float,
    Str,
}

/// The kind of an ordered column's type, if it can be ordered on.
pub(crate) fn kind_of(dt: &DataType) -> Option<Kind> {
    use DataType::*;
    Some(match dt {
        Int8 | Int16 | Int32 | Int64 | Timestamp(..) | Date32 | Date64 => Kind::Int,
        UInt8 | UInt16 | UInt32 | UInt64 => Kind::UInt,
        Float32 | Float64 => Kind::Float,
        Utf8 | LargeUtf8 | Utf8View => Kind::Str,
        _ => return None,
    })
}

/// The value in `dt`'s type of `stored`, a value as the column stores it
/// (see [`OrderedValue`]): timestamps become instants with the offset of
/// the column's zone, dates become dates; other values are unchanged.
pub(crate) fn typed(stored: &OrderedValue, dt: &DataType) -> OrderedValue {
    let OrderedValue::Int(v) = *stored else {
        return stored.clone();
    };
    let day_ms = 86_400_000;
    let converted = match dt {
        DataType::Timestamp(_, zone) => {
            let nanos = i128::from(v) * nanos_per_unit(dt);
            let secs = i64::try_from(nanos.div_euclid(1_000_000_000)).ok();
            let sub = nanos.rem_euclid(1_000_000_000) as u32;
            secs.and_then(|s| DateTime::<Utc>::from_timestamp(s, sub))
                .map(|utc| OrderedValue::Timestamp(in_zone(utc, zone.as_deref())))
        }
        DataType::Date32 => date_from_days(v),
        // Date64 holds whole days by Arrow's rules; another value is
        // given as the instant it stores rather than rounded.
        DataType::Date64 if v.rem_euclid(day_ms) == 0 => date_from_days(v.div_euclid(day_ms)),
        DataType::Date64 => DateTime::<Utc>::from_timestamp_millis(v)
            .map(|t| OrderedValue::Timestamp(t.fixed_offset())),
        _ => None,
    };
    converted.unwrap_or_else(|| stored.clone())
}

/// A stored value as text, as users see the values of a column of type
/// `dt` (see [`OrderedValue::shown_in`]).
pub(crate) fn shown(stored: &OrderedValue, dt: &DataType) -> String {
    typed(stored, dt).shown_in(dt)
}

/// `utc` with the offset of `zone` (an IANA name or `+01:00`) at that
/// instant; UTC when there is no zone or it cannot be parsed.
fn in_zone(utc: DateTime<Utc>, zone: Option<&str>) -> DateTime<FixedOffset> {
    let offset = zone
        .and_then(|z| z.parse::<arrow::array::timezone::Tz>().ok())
        .map_or(Utc.fix(), |tz| {
            tz.offset_from_utc_datetime(&utc.naive_utc()).fix()
        });
    utc.with_timezone(&offset)
}

fn date_from_days(days: i64) -> Option<OrderedValue> {
    NaiveDate::default()
        .checked_add_signed(chrono::TimeDelta::try_days(days)?)
        .map(OrderedValue::Date)
}

/// Total order on stored values of one kind (NaN never occurs).
pub(crate) fn cmp_values(a: &OrderedValue, b: &OrderedValue) -> Ordering {
    a.partial_cmp(b)
        .unwrap_or_else(|| panic!("comparing stored values of different kinds: {a:?} and {b:?}"))
}

/// The stored value at row `i` of an ordered column (no null there).
pub(crate) fn value_at(array: &dyn Array, i: usize) -> OrderedValue {
    use DataType::*;
    macro_rules! prim {
        ($t:ty, $v:ident) => {
            OrderedValue::$v(array.as_primitive::<$t>().value(i).into())
        };
    }
    match array.data_type() {
        Int8 => prim!(Int8Type, Int),
        Int16 => prim!(Int16Type, Int),
        Int32 => prim!(Int32Type, Int),
        Int64 => prim!(Int64Type, Int),
        Date32 => prim!(Date32Type, Int),
        Date64 => prim!(Date64Type, Int),
        Timestamp(TimeUnit::Second, _) => prim!(TimestampSecondType, Int),
        Timestamp(TimeUnit::Millisecond, _) => prim!(TimestampMillisecondType, Int),
        Timestamp(TimeUnit::Microsecond, _) => prim!(TimestampMicrosecondType, Int),
        Timestamp(TimeUnit::Nanosecond, _) => prim!(TimestampNanosecondType, Int),
        UInt8 => prim!(UInt8Type, UInt),
        UInt16 => prim!(UInt16Type, UInt),
        UInt32 => prim!(UInt32Type, UInt),
        UInt64 => prim!(UInt64Type, UInt),
        Float32 => prim!(Float32Type, Float),
        Float64 => prim!(Float64Type, Float),
        Utf8 => OrderedValue::Str(array.as_string::<i32>().value(i).to_owned()),
        LargeUtf8 => OrderedValue::Str(array.as_string::<i64>().value(i).to_owned()),
        Utf8View => OrderedValue::Str(array.as_string_view().value(i).to_owned()),
        other => panic!("value_at on unsupported ordered type {other}"),
    }
}

/// The first row `i` with `array[i] >= v` (or `> v` when `after_equal`),
/// by binary search on a sorted ordered column.
pub(crate) fn partition_point(array: &dyn Array, v: &OrderedValue, after_equal: bool) -> usize {
    let (mut lo, mut hi) = (0, array.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let ord = cmp_values(&value_at(array, mid), v);
        if ord == Ordering::Less || (after_equal && ord == Ordering::Equal) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Checks an ordered column of new data: a type ordo orders on, no nulls,
/// no NaN, sorted ascending (ties allowed).
pub(crate) fn check_ordered(array: &ArrayRef, column: &str) -> Result<()> {
    if kind_of(array.data_type()).is_none() {
        return Err(Error::UnsupportedOrderedType {
            column: column.to_owned(),
            data_type: array.data_type().to_string(),
        });
    }
    if let Some(row) = array
        .nulls()
        .and_then(|n| (0..n.len()).find(|&i| n.is_null(i)))
    {
        return Err(Error::NullInOrderedColumn {
            column: column.to_owned(),
            row,
        });
    }
    if let Some(row) = first_nan(array.as_ref()) {
        return Err(Error::NanInOrderedColumn {
            column: column.to_owned(),
            row,
        });
    }
    // Each row against the one before: arrow's comparison kernels order
    // floats by IEEE total order, as the statistics do (-0.0 before 0.0).
    let n = array.len();
    let unsorted_row = if n < 2 {
        None
    } else {
        let descents =
            arrow::compute::kernels::cmp::lt(&array.slice(1, n - 1), &array.slice(0, n - 1))?;
        descents.values().set_indices().next().map(|i| i + 1)
    };
    match unsorted_row {
        None => Ok(()),
        Some(row) => Err(Error::Unsorted {
            column: column.to_owned(),
            row,
            previous: shown(&value_at(array.as_ref(), row - 1), array.data_type()),
            value: shown(&value_at(array.as_ref(), row), array.data_type()),
        }),
    }
}

/// The first row holding a NaN in a float column.
fn first_nan(array: &dyn Array) -> Option<usize> {
    match array.data_type() {
        DataType::Float32 => array
            .as_primitive::<Float32Type>()
            .values()
            .iter()
            .position(|v| v.is_nan()),
        DataType::Float64 => array
            .as_primitive::<Float64Type>()
            .values()
            .iter()
            .position(|v| v.is_nan()),
        _ => None,
    }
}

/// The smallest stored value `>= bound` for a column of type `dt`, or
/// `None` when every storable value is smaller. Integral columns round a
/// fractional bound up, so `v >= bound` iff `v >= ceil(bound)`.
pub(crate) fn bound_to_stored(
    bound: &OrderedValue,
    dt: &DataType,
    column: &str,
) -> Result<Option<OrderedValue>> {
    use OrderedValue as V;
    let incompatible = || Error::IncompatibleValue {
        column: column.to_owned(),
        data_type: dt.to_string(),
        value: bound.to_string(),
    };
    let kind = kind_of(dt).ok_or_else(incompatible)?;
    Ok(match (kind, bound) {
        (Kind::Str, V::Str(s)) => Some(V::Str(s.clone())),
        (Kind::Str, _) | (_, V::Str(_)) => return Err(incompatible()),
        (_, V::Float(f)) if f.is_nan() => return Err(incompatible()),
        (Kind::Float, V::Float(f)) => Some(V::Float(*f)),
        (Kind::Float, V::Int(i)) => Some(V::Float(*i as f64)),
        (Kind::Float, V::UInt(u)) => Some(V::Float(*u as f64)),
        (Kind::Float, _) => return Err(incompatible()),
        (Kind::Int | Kind::UInt, V::Timestamp(_) | V::Date(_))
            if !matches!(
                dt,
                DataType::Timestamp(..) | DataType::Date32 | DataType::Date64
            ) =>
        {
            return Err(incompatible());
        }
        (_, V::Timestamp(t)) => {
            let nanos =
                i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos());
            int_from_i128(kind, div_ceil(nanos, nanos_per_unit(dt)))
        }
        (_, V::Date(d)) => {
            let days = i128::from(d.signed_duration_since(NaiveDate::default()).num_days());
            int_from_i128(
                kind,
                div_ceil(days * 86_400_000_000_000, nanos_per_unit(dt)),
            )
        }
        (_, V::Int(i)) => int_from_i128(kind, i128::from(*i)),
        (_, V::UInt(u)) => int_from_i128(kind, i128::from(*u)),
        // `as` saturates at the i128 range, far beyond every column's.
        (_, V::Float(f)) => int_from_i128(kind, f.ceil() as i128),
    })
}

fn int_from_i128(kind: Kind, v: i128) -> Option<OrderedValue> {
    match kind {
        Kind::UInt => {
            let clamped = v.max(0);
            u64::try_from(clamped).ok().map(OrderedValue::UInt)
        }
        _ => {
            if v > i128::from(i64::MAX) {
                None
            } else {
                Some(OrderedValue::Int(v.max(i128::from(i64::MIN)) as i64))
            }
        }
    }
}

fn div_ceil(a: i128, b: i128) -> i128 {
    let q = a.div_euclid(b);
    if a.rem_euclid(b) == 0 { q } else { q + 1 }
}

/// Nanoseconds per stored unit of a temporal column (1 for plain integers,
/// which take bounds in their own unit).
pub(crate) fn nanos_per_unit(dt: &DataType) -> i128 {
    match dt {
        DataType::Timestamp(TimeUnit::Second, _) => 1_000_000_000,
        DataType::Timestamp(TimeUnit::Millisecond, _) | DataType::Date64 => 1_000_000,
        DataType::Timestamp(TimeUnit::Microsecond, _) => 1_000,
        DataType::Date32 => 86_400_000_000_000,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Float64Array, Int64Array, StringArray, TimestampSecondArray};
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn bounds_round_up_into_the_column_unit() {
        let ts_s = DataType::Timestamp(TimeUnit::Second, None);
        let t = Utc.timestamp_opt(10, 1).unwrap();
        let b = |v: OrderedValue, dt: &DataType| bound_to_stored(&v, dt, "c").unwrap();
        assert_eq!(b(t.into(), &ts_s), Some(OrderedValue::Int(11)));
        let t = Utc.timestamp_opt(-10, 0).unwrap();
        assert_eq!(b(t.into(), &ts_s), Some(OrderedValue::Int(-10)));
        let ns = DataType::Timestamp(TimeUnit::Nanosecond, Some("Europe/Paris".into()));
        assert_eq!(
            b(Utc.timestamp_opt(1, 5).unwrap().into(), &ns),
            Some(OrderedValue::Int(1_000_000_005))
        );
        let d = NaiveDate::from_ymd_opt(1970, 1, 2).unwrap();
        assert_eq!(b(d.into(), &DataType::Date32), Some(OrderedValue::Int(1)));
        assert_eq!(
            b(d.into(), &DataType::Date64),
            Some(OrderedValue::Int(86_400_000))
        );
        let noon = NaiveDate::from_ymd_opt(1970, 1, 2)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap();
        assert_eq!(
            b(noon.into(), &DataType::Date32),
            Some(OrderedValue::Int(2))
        );
        assert_eq!(
            b(OrderedValue::Float(2.5), &DataType::Int32),
            Some(OrderedValue::Int(3))
        );
        assert_eq!(
            b(OrderedValue::Int(-3), &DataType::UInt8),
            Some(OrderedValue::UInt(0))
        );
        assert_eq!(b(OrderedValue::UInt(u64::MAX), &DataType::Int64), None);
        assert_eq!(
            b(OrderedValue::Int(7), &DataType::Float32),
            Some(OrderedValue::Float(7.0))
        );
        assert!(bound_to_stored(&"x".into(), &DataType::Int64, "c").is_err());
        assert!(bound_to_stored(&OrderedValue::Int(1), &DataType::Utf8, "c").is_err());
        assert!(bound_to_stored(&d.into(), &DataType::Int64, "c").is_err());
        assert!(bound_to_stored(&d.into(), &DataType::Float64, "c").is_err());
        assert!(bound_to_stored(&OrderedValue::Float(f64::NAN), &DataType::Int64, "c").is_err());
    }

    #[test]
    fn ordered_column_checks() {
        let ok: ArrayRef = Arc::new(Int64Array::from(vec![1, 1, 2, 5]));
        assert!(check_ordered(&ok, "c").is_ok());
        let bad: ArrayRef = Arc::new(Int64Array::from(vec![1, 3, 2]));
        assert!(matches!(
            check_ordered(&bad, "c"),
            Err(Error::Unsorted { row: 2, .. })
        ));
        let null: ArrayRef = Arc::new(Int64Array::from(vec![Some(1), None]));
        assert!(matches!(
            check_ordered(&null, "c"),
            Err(Error::NullInOrderedColumn { row: 1, .. })
        ));
        let nan: ArrayRef = Arc::new(Float64Array::from(vec![1.0, f64::NAN]));
        assert!(matches!(
            check_ordered(&nan, "c"),
            Err(Error::NanInOrderedColumn { row: 1, .. })
        ));
        let s: ArrayRef = Arc::new(StringArray::from(vec!["a", "b", "a"]));
        assert!(matches!(
            check_ordered(&s, "c"),
            Err(Error::Unsorted { row: 2, .. })
        ));
        // Values in the column's type: a timestamp without a zone has no
        // offset, one with a zone has the zone's.
        let secs = [0, 3600, 1800];
        let naive: ArrayRef = Arc::new(TimestampSecondArray::from(secs.to_vec()));
        let zoned: ArrayRef =
            Arc::new(TimestampSecondArray::from(secs.to_vec()).with_timezone("+02:00"));
        let values = |a: &ArrayRef| match check_ordered(a, "t") {
            Err(Error::Unsorted {
                previous, value, ..
            }) => (previous, value),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            values(&naive),
            ("1970-01-01T01:00:00".into(), "1970-01-01T00:30:00".into())
        );
        assert_eq!(
            values(&zoned),
            (
                "1970-01-01T03:00:00+02:00".into(),
                "1970-01-01T02:30:00+02:00".into()
            )
        );
        let sorted = Int64Array::from(vec![1, 2, 2, 2, 5]);
        assert_eq!(partition_point(&sorted, &OrderedValue::Int(2), false), 1);
        assert_eq!(partition_point(&sorted, &OrderedValue::Int(2), true), 4);
        assert_eq!(partition_point(&sorted, &OrderedValue::Int(9), true), 5);
    }
}
