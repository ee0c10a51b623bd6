//! Which Arrow types cross to polars, and how a frame's columns take the
//! stored representation of an existing dataset.

use crate::error::Cause;
use arrow::array::ArrayRef;
use arrow::compute::cast;
use arrow::datatypes::DataType;
use polars_core::datatypes::TimeZone;

/// Checks that polars can import a column of type `dt`. polars panics on
/// some types it was not built for (structs, decimals, categoricals), so
/// everything is checked before any conversion starts.
pub(super) fn check_importable(dt: &DataType) -> Result<(), String> {
    use DataType::*;
    match dt {
        Null
        | Boolean
        | Int8
        | Int16
        | Int32
        | Int64
        | UInt8
        | UInt16
        | UInt32
        | UInt64
        | Float32
        | Float64
        | Utf8
        | LargeUtf8
        | Utf8View
        | Binary
        | LargeBinary
        | BinaryView
        | Date32
        | Date64
        | Duration(_)
        | Time32(_)
        | Time64(_)
        | Timestamp(_, None) => Ok(()),
        Timestamp(_, Some(tz)) => canonical_zone(tz).map(|_| ()),
        List(item) | LargeList(item) => {
            check_importable(item.data_type()).map_err(|reason| format!("list items: {reason}"))
        }
        other => Err(format!(
            "Arrow type {other} has no polars equivalent in ordo"
        )),
    }
}

/// polars' spelling of time zone `tz` (`+00:00` becomes `UTC`, `+01:00`
/// becomes `Etc/GMT-1`), or why polars rejects it.
fn canonical_zone(tz: &str) -> Result<Option<String>, String> {
    TimeZone::opt_try_new(Some(tz))
        .map(|z| z.map(|z| z.to_string()))
        .map_err(|e| format!("polars does not accept time zone {tz:?}: {e}"))
}

/// `array` (a frame's column) in the `stored` type of an existing dataset
/// column when both are representations of the same polars type: strings
/// (`Utf8View` stored as `Utf8` or `LargeUtf8`), binaries (`BinaryView`
/// stored as `Binary` or `LargeBinary`), and timestamps whose time zones
/// polars spells the same way (only the type's zone label changes).
/// Any other difference is left for the schema check to report.
pub(super) fn adapt_to_stored(array: &ArrayRef, stored: &DataType) -> Result<ArrayRef, Cause> {
    use DataType::*;
    let same_zone = |a: &str, b: &str| matches!((canonical_zone(a), canonical_zone(b)), (Ok(x), Ok(y)) if x == y);
    let adapt = match (array.data_type(), stored) {
        (Utf8View, Utf8 | LargeUtf8) | (BinaryView, Binary | LargeBinary) => true,
        (Timestamp(u, Some(a)), Timestamp(v, Some(b))) => u == v && a != b && same_zone(a, b),
        _ => false,
    };
    if adapt {
        Ok(cast(array, stored)?)
    } else {
        Ok(array.clone())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Array, StringViewArray, TimestampMillisecondArray};
    use arrow::datatypes::{Field, IntervalUnit, TimeUnit};

    use super::*;

    #[test]
    fn importable_types() {
        assert!(check_importable(&DataType::Int64).is_ok());
        assert!(
            check_importable(&DataType::Timestamp(
                TimeUnit::Second,
                Some("+02:00".into())
            ))
            .is_ok()
        );
        let list = DataType::new_list(DataType::Utf8, true);
        assert!(check_importable(&list).is_ok());
        let bad_list = DataType::new_large_list(DataType::Float16, true);
        let err = check_importable(&bad_list).unwrap_err();
        assert!(err.starts_with("list items: Arrow type Float16"), "{err}");
        let err = check_importable(&DataType::Interval(IntervalUnit::DayTime)).unwrap_err();
        assert!(err.contains("no polars equivalent"), "{err}");
        let zone = DataType::Timestamp(TimeUnit::Millisecond, Some("Mars/Olympus".into()));
        let err = check_importable(&zone).unwrap_err();
        assert!(err.contains("Mars/Olympus"), "{err}");
        let s = DataType::Struct(vec![Field::new("a", DataType::Int8, true)].into());
        assert!(check_importable(&s).is_err());
    }

    #[test]
    fn adapts_representations_only() {
        let s: ArrayRef = Arc::new(StringViewArray::from(vec!["a", "b"]));
        let out = adapt_to_stored(&s, &DataType::LargeUtf8).unwrap();
        assert_eq!(out.data_type(), &DataType::LargeUtf8);
        // Different polars types: left alone.
        let out = adapt_to_stored(&s, &DataType::Int64).unwrap();
        assert_eq!(out.data_type(), &DataType::Utf8View);

        let t: ArrayRef =
            Arc::new(TimestampMillisecondArray::from(vec![1, 2]).with_timezone("UTC"));
        let stored = DataType::Timestamp(TimeUnit::Millisecond, Some("+00:00".into()));
        let out = adapt_to_stored(&t, &stored).unwrap();
        assert_eq!(out.data_type(), &stored);
        assert_eq!(
            out.to_data().buffers()[0].as_ptr(),
            t.to_data().buffers()[0].as_ptr()
        );
        // Another zone or unit is a real difference.
        for other in [
            DataType::Timestamp(TimeUnit::Millisecond, Some("Europe/Paris".into())),
            DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into())),
        ] {
            assert_eq!(
                adapt_to_stored(&t, &other).unwrap().data_type(),
                t.data_type()
            );
        }
    }
}
