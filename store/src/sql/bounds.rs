//! Which row groups a query can touch: bounds on the ordered column taken
//! from the filters DataFusion pushes into a scan, applied to ordo's
//! row-group statistics; and the conversion of stored extremes to
//! DataFusion scalars. Decisions only, no I/O.
//!
//! A bound is only taken from a comparison of the ordered column with a
//! literal of the column's own type (DataFusion's simplifier casts
//! literals to the column's type where that is exact); anything else
//! prunes nothing. The filters stay in the plan, so a bound only has to
//! keep every row group that may hold a matching row.

use arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::utils::split_conjunction;
use datafusion::logical_expr::{Between, BinaryExpr, Expr, Operator};

use crate::dataset::RowGroupStats;
use crate::value::OrderedValue;
use crate::value::stored::cmp_values;

/// One end of a range of stored values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bound {
    pub value: OrderedValue,
    pub inclusive: bool,
}

/// The range of the ordered column the filters allow (`None`: unbounded).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Bounds {
    pub lo: Option<Bound>,
    pub hi: Option<Bound>,
}

impl Bounds {
    /// The bounds the conjunction of `filters` puts on `column` of type
    /// `dt`.
    pub(crate) fn from_filters(filters: &[Expr], column: &str, dt: &DataType) -> Self {
        let mut bounds = Self::default();
        for expr in filters.iter().flat_map(split_conjunction) {
            bounds.add(expr, column, dt);
        }
        bounds
    }

    fn add(&mut self, expr: &Expr, column: &str, dt: &DataType) {
        match expr {
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
                let (op, value) = match (is_column(left, column), is_column(right, column)) {
                    (true, false) => (*op, literal(right, dt)),
                    (false, true) => match op.swap() {
                        Some(op) => (op, literal(left, dt)),
                        None => return,
                    },
                    _ => return,
                };
                let Some(value) = value else { return };
                match op {
                    Operator::Eq => {
                        self.raise(value.clone(), true);
                        self.lower(value, true);
                    }
                    Operator::Gt => self.raise(value, false),
                    Operator::GtEq => self.raise(value, true),
                    Operator::Lt => self.lower(value, false),
                    Operator::LtEq => self.lower(value, true),
                    _ => {}
                }
            }
            Expr::Between(Between {
                expr,
                negated: false,
                low,
                high,
            }) if is_column(expr, column) => {
                if let Some(low) = literal(low, dt) {
                    self.raise(low, true);
                }
                if let Some(high) = literal(high, dt) {
                    self.lower(high, true);
                }
            }
            _ => {}
        }
    }

    /// Tightens the lower bound to `value`.
    fn raise(&mut self, value: OrderedValue, inclusive: bool) {
        let tighter = match &self.lo {
            None => true,
            Some(b) => match cmp_values(&value, &b.value) {
                std::cmp::Ordering::Greater => true,
                std::cmp::Ordering::Equal => b.inclusive && !inclusive,
                std::cmp::Ordering::Less => false,
            },
        };
        if tighter {
            self.lo = Some(Bound { value, inclusive });
        }
    }

    /// Tightens the upper bound to `value`.
    fn lower(&mut self, value: OrderedValue, inclusive: bool) {
        let tighter = match &self.hi {
            None => true,
            Some(b) => match cmp_values(&value, &b.value) {
                std::cmp::Ordering::Less => true,
                std::cmp::Ordering::Equal => b.inclusive && !inclusive,
                std::cmp::Ordering::Greater => false,
            },
        };
        if tighter {
            self.hi = Some(Bound { value, inclusive });
        }
    }

    /// Whether a row group with these (stored) extremes may hold a row in
    /// range.
    pub(crate) fn keeps(&self, rg: &RowGroupStats) -> bool {
        let above_lo = self.lo.as_ref().is_none_or(|lo| {
            let ord = cmp_values(&rg.max, &lo.value);
            ord.is_gt() || (lo.inclusive && ord.is_eq())
        });
        let below_hi = self.hi.as_ref().is_none_or(|hi| {
            let ord = cmp_values(&rg.min, &hi.value);
            ord.is_lt() || (hi.inclusive && ord.is_eq())
        });
        above_lo && below_hi
    }

    /// The row groups of `stats` (sorted, not overlapping) that may hold a
    /// row in range: a contiguous run.
    pub(crate) fn select(&self, stats: &[RowGroupStats]) -> std::ops::Range<usize> {
        let start = stats.partition_point(|rg| !self.keeps_above_lo(rg));
        let end = stats.partition_point(|rg| self.keeps_below_hi(rg));
        start..end.max(start)
    }

    /// The rows of `rg` probably in range, its values taken as evenly
    /// spread between its extremes (all of them where its values are not
    /// numbers). A guess to balance work between partitions, never to
    /// decide what is read.
    pub(crate) fn share(&self, rg: &RowGroupStats) -> std::ops::Range<u64> {
        let all = 0..rg.num_rows;
        let (Some(min), Some(max)) = (number(&rg.min), number(&rg.max)) else {
            return all;
        };
        let span = max - min;
        if !span.is_finite() || span <= 0.0 {
            return all;
        }
        let at = |bound: &Option<Bound>, none: f64| {
            bound
                .as_ref()
                .and_then(|b| number(&b.value))
                .map_or(none, |v| ((v - min) / span).clamp(0.0, 1.0))
        };
        let row = |fraction: f64| (fraction * rg.num_rows as f64).round() as u64;
        let (lo, hi) = (row(at(&self.lo, 0.0)), row(at(&self.hi, 1.0)));
        lo..hi.max(lo)
    }

    fn keeps_above_lo(&self, rg: &RowGroupStats) -> bool {
        Self {
            lo: self.lo.clone(),
            hi: None,
        }
        .keeps(rg)
    }

    fn keeps_below_hi(&self, rg: &RowGroupStats) -> bool {
        Self {
            lo: None,
            hi: self.hi.clone(),
        }
        .keeps(rg)
    }
}

/// A stored value as a number to interpolate, where it is one.
fn number(value: &OrderedValue) -> Option<f64> {
    match value {
        OrderedValue::Int(v) => Some(*v as f64),
        OrderedValue::UInt(v) => Some(*v as f64),
        OrderedValue::Float(v) => Some(*v),
        _ => None,
    }
}

fn is_column(expr: &Expr, column: &str) -> bool {
    matches!(expr, Expr::Column(c) if c.name == column)
}

fn literal(expr: &Expr, dt: &DataType) -> Option<OrderedValue> {
    match expr {
        Expr::Literal(value, _) => stored(value, dt),
        _ => None,
    }
}

/// The stored form of `value` as a bound on a column of type `dt`, when it
/// is a non-null value of that type (time zones aside: instants compare
/// the same whatever zone shows them).
pub(crate) fn stored(value: &ScalarValue, dt: &DataType) -> Option<OrderedValue> {
    use ScalarValue as S;
    let same_type = match (value.data_type(), dt) {
        (DataType::Timestamp(a, _), DataType::Timestamp(b, _)) => a == *b,
        (DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View, other) => matches!(
            other,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        ),
        (a, b) => a == *b,
    };
    if !same_type {
        return None;
    }
    Some(match value {
        S::Int8(Some(v)) => OrderedValue::Int((*v).into()),
        S::Int16(Some(v)) => OrderedValue::Int((*v).into()),
        S::Int32(Some(v)) | S::Date32(Some(v)) => OrderedValue::Int((*v).into()),
        S::Int64(Some(v))
        | S::Date64(Some(v))
        | S::TimestampSecond(Some(v), _)
        | S::TimestampMillisecond(Some(v), _)
        | S::TimestampMicrosecond(Some(v), _)
        | S::TimestampNanosecond(Some(v), _) => OrderedValue::Int(*v),
        S::UInt8(Some(v)) => OrderedValue::UInt((*v).into()),
        S::UInt16(Some(v)) => OrderedValue::UInt((*v).into()),
        S::UInt32(Some(v)) => OrderedValue::UInt((*v).into()),
        S::UInt64(Some(v)) => OrderedValue::UInt(*v),
        // Zero is left out: stored floats compare by `total_cmp`, where
        // -0.0 < 0.0, while SQL holds them equal.
        S::Float32(Some(v)) if !v.is_nan() && *v != 0.0 => OrderedValue::Float((*v).into()),
        S::Float64(Some(v)) if !v.is_nan() && *v != 0.0 => OrderedValue::Float(*v),
        S::Utf8(Some(v)) | S::LargeUtf8(Some(v)) | S::Utf8View(Some(v)) => {
            OrderedValue::Str(v.clone())
        }
        _ => return None,
    })
}

/// A stored value of a column of type `dt` as a DataFusion scalar of that
/// type.
pub(crate) fn scalar(value: &OrderedValue, dt: &DataType) -> Option<ScalarValue> {
    use ScalarValue as S;
    Some(match (value, dt) {
        (OrderedValue::Int(v), DataType::Timestamp(unit, tz)) => {
            let (v, tz) = (Some(*v), tz.clone());
            match unit {
                TimeUnit::Second => S::TimestampSecond(v, tz),
                TimeUnit::Millisecond => S::TimestampMillisecond(v, tz),
                TimeUnit::Microsecond => S::TimestampMicrosecond(v, tz),
                TimeUnit::Nanosecond => S::TimestampNanosecond(v, tz),
            }
        }
        (OrderedValue::Int(v), DataType::Date32) => S::Date32(Some(i32::try_from(*v).ok()?)),
        (OrderedValue::Int(v), DataType::Date64) => S::Date64(Some(*v)),
        (OrderedValue::Int(v), _) => S::Int64(Some(*v)).cast_to(dt).ok()?,
        (OrderedValue::UInt(v), _) => S::UInt64(Some(*v)).cast_to(dt).ok()?,
        (OrderedValue::Float(v), DataType::Float32) => S::Float32(Some(*v as f32)),
        (OrderedValue::Float(v), _) => S::Float64(Some(*v)),
        (OrderedValue::Str(v), DataType::LargeUtf8) => S::LargeUtf8(Some(v.clone())),
        (OrderedValue::Str(v), DataType::Utf8View) => S::Utf8View(Some(v.clone())),
        (OrderedValue::Str(v), _) => S::Utf8(Some(v.clone())),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use datafusion::logical_expr::{col, lit};

    use super::*;

    fn rg(min: i64, max: i64) -> RowGroupStats {
        RowGroupStats {
            file: String::new(),
            num_rows: 1,
            min: OrderedValue::Int(min),
            max: OrderedValue::Int(max),
            size_bytes: 0,
            crc32c: None,
        }
    }

    fn groups() -> Vec<RowGroupStats> {
        vec![rg(0, 9), rg(10, 19), rg(20, 29), rg(30, 39)]
    }

    fn select(filters: &[Expr]) -> std::ops::Range<usize> {
        Bounds::from_filters(filters, "ts", &DataType::Int64).select(&groups())
    }

    #[test]
    fn comparisons_select_the_groups_that_may_match() {
        assert_eq!(select(&[]), 0..4);
        assert_eq!(select(&[col("ts").gt_eq(lit(10i64))]), 1..4);
        assert_eq!(select(&[col("ts").gt(lit(19i64))]), 2..4);
        assert_eq!(select(&[col("ts").gt_eq(lit(19i64))]), 1..4);
        assert_eq!(select(&[col("ts").lt(lit(20i64))]), 0..2);
        assert_eq!(select(&[col("ts").lt_eq(lit(20i64))]), 0..3);
        assert_eq!(select(&[col("ts").eq(lit(25i64))]), 2..3);
        assert_eq!(select(&[lit(25i64).lt(col("ts"))]), 2..4);
        assert_eq!(
            select(&[col("ts").gt_eq(lit(5i64)).and(col("ts").lt(lit(15i64)))]),
            0..2
        );
        assert_eq!(select(&[col("ts").between(lit(12i64), lit(22i64))]), 1..3);
        assert_eq!(select(&[col("ts").gt(lit(100i64))]), 4..4);
        assert_eq!(
            select(&[col("ts").gt(lit(30i64)), col("ts").lt(lit(10i64))]),
            3..3
        );
    }

    #[test]
    fn other_filters_prune_nothing() {
        assert_eq!(select(&[col("price").gt(lit(10i64))]), 0..4);
        assert_eq!(select(&[col("ts").gt(lit(10i32))]), 0..4); // another type
        assert_eq!(select(&[col("ts").not_eq(lit(10i64))]), 0..4);
        assert_eq!(select(&[col("ts").gt(lit(ScalarValue::Int64(None)))]), 0..4);
        assert_eq!(
            select(&[col("ts").gt(lit(10i64)).or(col("ts").lt(lit(5i64)))]),
            0..4
        );
        assert_eq!(
            select(&[col("ts").not_between(lit(12i64), lit(22i64))]),
            0..4
        );
    }

    #[test]
    fn the_tightest_bound_wins() {
        let b = Bounds::from_filters(
            &[col("ts").gt_eq(lit(10i64)), col("ts").gt(lit(10i64))],
            "ts",
            &DataType::Int64,
        );
        assert_eq!(
            b.lo,
            Some(Bound {
                value: OrderedValue::Int(10),
                inclusive: false
            })
        );
    }

    #[test]
    fn the_share_in_range_is_interpolated_between_the_extremes() {
        let share = |filters: &[Expr], rg: &RowGroupStats| {
            Bounds::from_filters(filters, "ts", &DataType::Int64).share(rg)
        };
        let group = RowGroupStats {
            num_rows: 1000,
            ..rg(100, 200)
        };
        assert_eq!(share(&[], &group), 0..1000);
        assert_eq!(share(&[col("ts").gt_eq(lit(150i64))], &group), 500..1000);
        assert_eq!(share(&[col("ts").lt(lit(110i64))], &group), 0..100);
        assert_eq!(
            share(&[col("ts").between(lit(120i64), lit(130i64))], &group),
            200..300
        );
        // Bounds outside the group clamp; crossed bounds leave nothing.
        assert_eq!(share(&[col("ts").gt(lit(0i64))], &group), 0..1000);
        assert_eq!(
            share(
                &[col("ts").gt(lit(190i64)), col("ts").lt(lit(110i64))],
                &group
            ),
            900..900
        );
        // One value, or values that are not numbers: all rows.
        let one = RowGroupStats {
            num_rows: 10,
            ..rg(5, 5)
        };
        assert_eq!(share(&[col("ts").eq(lit(5i64))], &one), 0..10);
        let text = RowGroupStats {
            min: OrderedValue::Str("a".into()),
            max: OrderedValue::Str("z".into()),
            num_rows: 10,
            ..rg(0, 0)
        };
        assert_eq!(share(&[col("ts").gt(lit("m"))], &text), 0..10);
    }

    #[test]
    fn scalars_round_trip_through_stored_values() {
        let ts = DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()));
        for (v, dt) in [
            (OrderedValue::Int(5), DataType::Int32),
            (OrderedValue::Int(-5), DataType::Int8),
            (OrderedValue::Int(7), ts.clone()),
            (OrderedValue::Int(19_000), DataType::Date32),
            (OrderedValue::UInt(9), DataType::UInt16),
            (OrderedValue::Float(1.5), DataType::Float32),
            (OrderedValue::Str("a".into()), DataType::Utf8View),
        ] {
            let s = scalar(&v, &dt).unwrap();
            assert_eq!(s.data_type(), dt);
            assert_eq!(stored(&s, &dt), Some(v));
        }
        // Another zone is the same instant.
        let other = ScalarValue::TimestampNanosecond(Some(7), None);
        assert_eq!(stored(&other, &ts), Some(OrderedValue::Int(7)));
        assert_eq!(
            stored(&ScalarValue::Float64(Some(f64::NAN)), &DataType::Float64),
            None
        );
        for zero in [0.0, -0.0] {
            assert_eq!(
                stored(&ScalarValue::Float64(Some(zero)), &DataType::Float64),
                None
            );
        }
    }
}
