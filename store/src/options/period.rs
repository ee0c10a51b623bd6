//! Period row-group targets: pandas-style frequency strings ("15min",
//! "4h", "1D", "1W", "1MS", "1YS", ...) and the bucket of a timestamp or
//! date for such a period.
//!
//! Fixed periods (`ns`, `us`, `ms`, `s`, `min`, `h`) are aligned to the
//! Unix epoch. Calendar periods (`D`, `W`, `MS`, `QS`, `YS` and their
//! aliases) follow calendar boundaries in the column's time zone (UTC for
//! naive timestamps and dates): days start at local midnight, weeks on
//! Monday, months, quarters and years on their first day. A count `n`
//! groups `n` consecutive periods counted from the epoch (1970-01-01,
//! week of Monday 1969-12-29).

use std::fmt;
use std::str::FromStr;

use arrow::array::timezone::Tz;
use arrow::datatypes::{DataType, TimeUnit};
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

use crate::error::{Error, Result};

/// The unit of a [`Period`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PeriodUnit {
    /// Nanoseconds (`ns`).
    Nanos,
    /// Microseconds (`us`).
    Micros,
    /// Milliseconds (`ms`, `L`).
    Millis,
    /// Seconds (`s`, `S`).
    Seconds,
    /// Minutes (`min`, `T`).
    Minutes,
    /// Hours (`h`, `H`).
    Hours,
    /// Calendar days (`D`).
    Days,
    /// Calendar weeks starting on Monday (`W`).
    Weeks,
    /// Calendar months (`MS`, `ME`, `M`).
    Months,
    /// Calendar quarters (`QS`, `QE`, `Q`).
    Quarters,
    /// Calendar years (`YS`, `YE`, `Y`, `AS`, `A`).
    Years,
}

/// A period: a count of units, e.g. `4h` or `1MS`.
///
/// ```
/// use ordo_store::{Period, PeriodUnit};
/// let p: Period = "15min".parse()?;
/// assert_eq!((p.count(), p.unit()), (15, PeriodUnit::Minutes));
/// assert_eq!("1MS".parse::<Period>()?.unit(), PeriodUnit::Months);
/// assert_eq!("D".parse::<Period>()?.count(), 1);
/// assert!("3 parsecs".parse::<Period>().is_err());
/// assert!("0h".parse::<Period>().is_err());
/// # Ok::<(), ordo_store::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    count: u32,
    unit: PeriodUnit,
}

impl Period {
    /// A period of `count` (at least 1) units.
    pub fn new(count: u32, unit: PeriodUnit) -> Result<Self> {
        if count == 0 {
            return Err(invalid("a period count must be at least 1".into()));
        }
        Ok(Self { count, unit })
    }

    /// How many units.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The unit.
    pub fn unit(&self) -> PeriodUnit {
        self.unit
    }

    /// Nanoseconds of a fixed unit, `None` for calendar units.
    fn fixed_nanos(&self) -> Option<i128> {
        let unit: i128 = match self.unit {
            PeriodUnit::Nanos => 1,
            PeriodUnit::Micros => 1_000,
            PeriodUnit::Millis => 1_000_000,
            PeriodUnit::Seconds => 1_000_000_000,
            PeriodUnit::Minutes => 60_000_000_000,
            PeriodUnit::Hours => 3_600_000_000_000,
            _ => return None,
        };
        Some(unit * i128::from(self.count))
    }
}

fn invalid(reason: String) -> Error {
    Error::InvalidOption {
        option: "row_group_target_size",
        reason,
    }
}

const UNITS: &[(&str, PeriodUnit)] = &[
    ("ns", PeriodUnit::Nanos),
    ("us", PeriodUnit::Micros),
    ("ms", PeriodUnit::Millis),
    ("L", PeriodUnit::Millis),
    ("s", PeriodUnit::Seconds),
    ("S", PeriodUnit::Seconds),
    ("min", PeriodUnit::Minutes),
    ("T", PeriodUnit::Minutes),
    ("h", PeriodUnit::Hours),
    ("H", PeriodUnit::Hours),
    ("D", PeriodUnit::Days),
    ("W", PeriodUnit::Weeks),
    ("MS", PeriodUnit::Months),
    ("ME", PeriodUnit::Months),
    ("M", PeriodUnit::Months),
    ("QS", PeriodUnit::Quarters),
    ("QE", PeriodUnit::Quarters),
    ("Q", PeriodUnit::Quarters),
    ("YS", PeriodUnit::Years),
    ("YE", PeriodUnit::Years),
    ("Y", PeriodUnit::Years),
    ("AS", PeriodUnit::Years),
    ("A", PeriodUnit::Years),
];

impl FromStr for Period {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let text = s.trim();
        let split = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (digits, unit) = text.split_at(split);
        let count = if digits.is_empty() {
            1
        } else {
            digits
                .parse()
                .map_err(|_| invalid(format!("{s:?}: the count is too large")))?
        };
        let Some(&(_, unit)) = UNITS.iter().find(|(name, _)| *name == unit) else {
            return Err(invalid(format!(
                "{s:?} is not a row count or a period; periods are a count and one of \
                 ns, us, ms, s, min, h, D, W, MS, QS, YS (e.g. \"15min\", \"1D\", \"1MS\")"
            )));
        };
        Self::new(count, unit)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.unit {
            PeriodUnit::Nanos => "ns",
            PeriodUnit::Micros => "us",
            PeriodUnit::Millis => "ms",
            PeriodUnit::Seconds => "s",
            PeriodUnit::Minutes => "min",
            PeriodUnit::Hours => "h",
            PeriodUnit::Days => "D",
            PeriodUnit::Weeks => "W",
            PeriodUnit::Months => "MS",
            PeriodUnit::Quarters => "QS",
            PeriodUnit::Years => "YS",
        };
        write!(f, "{}{unit}", self.count)
    }
}

/// Maps stored values of one column to period indices (non-decreasing in
/// the value, so a sorted column has sorted buckets).
#[derive(Debug, Clone)]
pub(crate) struct Bucketer {
    period: Period,
    /// Nanoseconds per stored unit.
    unit_nanos: i128,
    tz: Option<Tz>,
}

impl Bucketer {
    /// A bucketer for a column of type `dt`: timestamps (any unit, with or
    /// without time zone) and dates.
    pub(crate) fn new(period: Period, dt: &DataType, column: &str) -> Result<Self> {
        let (unit_nanos, tz) = match dt {
            DataType::Timestamp(unit, tz) => {
                let nanos = match unit {
                    TimeUnit::Second => 1_000_000_000,
                    TimeUnit::Millisecond => 1_000_000,
                    TimeUnit::Microsecond => 1_000,
                    TimeUnit::Nanosecond => 1,
                };
                let tz = tz
                    .as_deref()
                    .map(|name| {
                        name.parse::<Tz>().map_err(|e| {
                            invalid(format!("time zone {name:?} of column `{column}`: {e}"))
                        })
                    })
                    .transpose()?;
                (nanos, tz)
            }
            DataType::Date32 => (86_400_000_000_000, None),
            DataType::Date64 => (1_000_000, None),
            other => {
                return Err(invalid(format!(
                    "a period target ({period}) needs a timestamp or date ordered column, \
                     but `{column}` is {other}"
                )));
            }
        };
        if matches!(dt, DataType::Date32 | DataType::Date64)
            && period
                .fixed_nanos()
                .is_some_and(|n| n % 86_400_000_000_000 != 0)
        {
            return Err(invalid(format!(
                "period {period} is shorter than a day, but `{column}` is a {dt} column"
            )));
        }
        Ok(Self {
            period,
            unit_nanos,
            tz,
        })
    }

    /// The period index of stored value `v`.
    pub(crate) fn bucket(&self, v: i64) -> i64 {
        let nanos = i128::from(v) * self.unit_nanos;
        if let Some(p) = self.period.fixed_nanos() {
            return nanos.div_euclid(p) as i64;
        }
        let secs = nanos.div_euclid(1_000_000_000) as i64;
        let sub = nanos.rem_euclid(1_000_000_000) as u32;
        let utc = DateTime::<Utc>::from_timestamp(secs, sub).unwrap_or(if secs < 0 {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        });
        let date = match &self.tz {
            Some(tz) => tz.from_utc_datetime(&utc.naive_utc()).date_naive(),
            None => utc.date_naive(),
        };
        let n = i64::from(self.period.count);
        let days = date.signed_duration_since(NaiveDate::default()).num_days();
        let months = i64::from(date.year() - 1970) * 12 + i64::from(date.month0());
        match self.period.unit {
            PeriodUnit::Days => days.div_euclid(n),
            // 1970-01-01 is a Thursday: Monday-based weeks start 3 days earlier.
            PeriodUnit::Weeks => (days + 3).div_euclid(7 * n),
            PeriodUnit::Months => months.div_euclid(n),
            PeriodUnit::Quarters => months.div_euclid(3 * n),
            PeriodUnit::Years => i64::from(date.year() - 1970).div_euclid(n),
            _ => unreachable!("fixed units handled above"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(p: &str, dt: DataType) -> Bucketer {
        Bucketer::new(p.parse().unwrap(), &dt, "ts").unwrap()
    }

    const NS: DataType = DataType::Timestamp(TimeUnit::Nanosecond, None);

    #[test]
    fn parses_pandas_strings() {
        for (s, n, u) in [
            ("500ms", 500, PeriodUnit::Millis),
            ("30s", 30, PeriodUnit::Seconds),
            ("15min", 15, PeriodUnit::Minutes),
            ("4h", 4, PeriodUnit::Hours),
            ("1D", 1, PeriodUnit::Days),
            ("1W", 1, PeriodUnit::Weeks),
            ("1MS", 1, PeriodUnit::Months),
            ("2QS", 2, PeriodUnit::Quarters),
            ("1YS", 1, PeriodUnit::Years),
            ("H", 1, PeriodUnit::Hours),
        ] {
            let p: Period = s.parse().unwrap();
            assert_eq!((p.count(), p.unit()), (n, u), "{s}");
            assert_eq!(p.to_string().parse::<Period>().unwrap(), p);
        }
        for bad in [
            "",
            "0D",
            "1d2",
            "1 parsec",
            "-1h",
            "1.5h",
            "99999999999h",
            "min5",
        ] {
            assert!(bad.parse::<Period>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn fixed_periods_align_to_the_epoch_in_every_unit() {
        let h = b("1h", NS);
        assert_eq!(h.bucket(0), 0);
        assert_eq!(h.bucket(3_599_999_999_999), 0);
        assert_eq!(h.bucket(3_600_000_000_000), 1);
        assert_eq!(h.bucket(-1), -1);
        let s = b("1h", DataType::Timestamp(TimeUnit::Second, None));
        assert_eq!((s.bucket(3599), s.bucket(3600)), (0, 1));
        let ms = b(
            "15min",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
        );
        assert_eq!((ms.bucket(899_999), ms.bucket(900_000)), (0, 1));
    }

    #[test]
    fn calendar_periods_follow_the_zone() {
        // 2024-03-31 22:30 UTC is 2024-04-01 00:30 in Berlin (CEST, +2).
        let t = Utc
            .with_ymd_and_hms(2024, 3, 31, 22, 30, 0)
            .unwrap()
            .timestamp();
        let berlin = b(
            "1MS",
            DataType::Timestamp(TimeUnit::Second, Some("Europe/Berlin".into())),
        );
        let utc = b("1MS", DataType::Timestamp(TimeUnit::Second, None));
        assert_eq!(utc.bucket(t), (2024 - 1970) * 12 + 2);
        assert_eq!(berlin.bucket(t), (2024 - 1970) * 12 + 3);
        let day = b(
            "1D",
            DataType::Timestamp(TimeUnit::Second, Some("+05:30".into())),
        );
        assert_eq!(day.bucket(0), 0);
        assert_eq!(day.bucket(19 * 3600), 1); // 00:30 local on Jan 2nd
        // Weeks start on Monday: 1970-01-04 is a Sunday, 1970-01-05 a Monday.
        let w = b("1W", DataType::Date32);
        assert_eq!((w.bucket(0), w.bucket(3), w.bucket(4)), (0, 0, 1));
        let y = b("1YS", DataType::Date64);
        assert_eq!(y.bucket(365 * 86_400_000), 1);
        assert_eq!(b("1QS", DataType::Date32).bucket(31 + 28 + 31), 1); // April 1st
    }

    #[test]
    fn bad_columns_are_rejected() {
        let p: Period = "1D".parse().unwrap();
        assert!(Bucketer::new(p, &DataType::Int64, "x").is_err());
        assert!(Bucketer::new("1h".parse().unwrap(), &DataType::Date32, "x").is_err());
        let bad_tz = DataType::Timestamp(TimeUnit::Second, Some("Mars/Olympus".into()));
        assert!(Bucketer::new(p, &bad_tz, "x").is_err());
    }
}
