//! Values of the ordered column: the public [`OrderedValue`] (range
//! bounds, statistics, window bounds); `stored`, what works on values as a
//! column stores them (with their conversions from bounds and to the
//! column's type); `text`, values parsed from text by their column's type.

pub(crate) mod stored;
mod text;

use std::cmp::Ordering;
use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone};

/// A value of an ordered column: a range bound, a statistic or a window
/// bound of [`iter_intersections`](crate::Store::iter_intersections).
///
/// Values that ordo hands out are in the column's type: `Int` for signed
/// integers, `UInt` for unsigned ones, `Float`, `Str`, `Timestamp` for
/// timestamp columns (the instant, with the offset of the column's time
/// zone at that instant, `+00:00` for a column without zone) and `Date`
/// for date columns (a `Date64` value that is not a whole day, outside
/// Arrow's rules, as the `Timestamp` it stores). A timestamp outside chrono's range (about 262,000
/// years around 1970, reachable only by a seconds column) is given as the
/// stored `Int`.
///
/// Bounds may be given as any variant the column compares with: `chrono`
/// times and dates are converted to the column's unit (a naive date-time
/// is taken as UTC, the instant a time-zone-aware column stores), and
/// integers are taken in the column's unit.
///
/// ```
/// use ordo_store::OrderedValue;
/// use chrono::{NaiveDate, TimeZone, Utc};
/// assert_eq!(OrderedValue::from(5i32), OrderedValue::Int(5));
/// assert_eq!(OrderedValue::from("abc"), OrderedValue::Str("abc".into()));
/// let t = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
/// assert_eq!(OrderedValue::from(t), OrderedValue::Timestamp(t.fixed_offset()));
/// assert_eq!(OrderedValue::from(t).to_string(), "2024-01-01T00:00:00Z");
/// let d = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
/// assert_eq!(OrderedValue::from(d), OrderedValue::Date(d));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum OrderedValue {
    /// A signed integer (as a bound: also a timestamp or date in the
    /// column's unit).
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A float (never NaN in stored data).
    Float(f64),
    /// A string.
    Str(String),
    /// An instant, shown with its offset. Compared and equal by instant.
    Timestamp(DateTime<FixedOffset>),
    /// A calendar date (midnight UTC against a timestamp column).
    Date(NaiveDate),
}

/// Values of the same variant compare (floats by `total_cmp`); values of
/// different variants do not.
///
/// ```
/// use ordo_store::OrderedValue;
/// assert!(OrderedValue::Int(1) < OrderedValue::Int(2));
/// assert_eq!(OrderedValue::Int(1).partial_cmp(&OrderedValue::UInt(1)), None);
/// ```
impl PartialOrd for OrderedValue {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        use OrderedValue::*;
        match (self, other) {
            (Int(a), Int(b)) => Some(a.cmp(b)),
            (UInt(a), UInt(b)) => Some(a.cmp(b)),
            (Float(a), Float(b)) => Some(a.total_cmp(b)),
            (Str(a), Str(b)) => Some(a.cmp(b)),
            (Timestamp(a), Timestamp(b)) => Some(a.cmp(b)),
            (Date(a), Date(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

impl fmt::Display for OrderedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Int(v) => write!(f, "{v}"),
            Self::UInt(v) => write!(f, "{v}"),
            Self::Float(v) => write!(f, "{v}"),
            Self::Str(v) => write!(f, "{v:?}"),
            Self::Timestamp(v) => write!(f, "{}", v.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            Self::Date(v) => write!(f, "{v}"),
        }
    }
}

macro_rules! from_int {
    ($variant:ident: $($t:ty),*) => {$(
        impl From<$t> for OrderedValue {
            fn from(v: $t) -> Self {
                Self::$variant(v.into())
            }
        }
    )*};
}
from_int!(Int: i8, i16, i32, i64);
from_int!(UInt: u8, u16, u32, u64);
from_int!(Float: f32, f64);

impl From<&str> for OrderedValue {
    fn from(v: &str) -> Self {
        Self::Str(v.to_owned())
    }
}
impl From<String> for OrderedValue {
    fn from(v: String) -> Self {
        Self::Str(v)
    }
}
impl<Tz: TimeZone> From<DateTime<Tz>> for OrderedValue {
    fn from(v: DateTime<Tz>) -> Self {
        Self::Timestamp(v.fixed_offset())
    }
}
impl From<NaiveDateTime> for OrderedValue {
    fn from(v: NaiveDateTime) -> Self {
        Self::Timestamp(v.and_utc().fixed_offset())
    }
}
impl From<NaiveDate> for OrderedValue {
    fn from(v: NaiveDate) -> Self {
        Self::Date(v)
    }
}
