//! One type for a column whose inferred types differ between text inputs
//! (CSV, JSON lines) only in what a wider type holds: times with and
//! without fractions of a second, integers and decimals. A day's CSV whose
//! times all fall on whole seconds is then read with the other days.
//! Pure: no I/O.

use ordo::arrow::datatypes::{DataType, Schema, TimeUnit};

/// For each column whose inferred types differ between `inputs` (each
/// input's schema, and whether its types were inferred from text) and
/// can all be read as one wider type, that type. `None` when a column's
/// types differ in another way, or an input whose types are its own
/// (Parquet, Arrow IPC) has it, or no column differs: the inputs are
/// refused as they are. `fixed` says which columns have a type given by
/// `--schema` or the dataset, never changed.
pub(super) fn widened(
    inputs: &[(&Schema, bool)],
    fixed: impl Fn(&str) -> bool,
) -> Option<Vec<(String, DataType)>> {
    let (first, _) = inputs.first()?;
    let mut out = Vec::new();
    for field in first.fields() {
        let name = field.name();
        let types: Vec<(&DataType, bool)> = inputs
            .iter()
            .map(|(s, text)| Some((s.field_with_name(name).ok()?.data_type(), *text)))
            .collect::<Option<_>>()?;
        if types.iter().all(|(dt, _)| *dt == field.data_type()) {
            continue;
        }
        if fixed(name) || types.iter().any(|(_, text)| !text) {
            return None;
        }
        let wide = types
            .iter()
            .try_fold(field.data_type().clone(), |acc, (dt, _)| wider(&acc, dt))?;
        out.push((name.clone(), wide));
    }
    (!out.is_empty()).then_some(out)
}

/// The type that holds the values of both `a` and `b` as text inference
/// meant them, if there is one.
fn wider(a: &DataType, b: &DataType) -> Option<DataType> {
    use DataType::*;
    Some(match (a, b) {
        _ if a == b => a.clone(),
        (Null, other) | (other, Null) => other.clone(),
        (Int64, Float64) | (Float64, Int64) => Float64,
        (Timestamp(u, zone), Timestamp(v, other)) if zone == other => {
            Timestamp(finer(*u, *v), zone.clone())
        }
        _ => return None,
    })
}

/// The finer of two time units.
fn finer(u: TimeUnit, v: TimeUnit) -> TimeUnit {
    let rank = |t: TimeUnit| match t {
        TimeUnit::Second => 0,
        TimeUnit::Millisecond => 1,
        TimeUnit::Microsecond => 2,
        TimeUnit::Nanosecond => 3,
    };
    if rank(u) >= rank(v) { u } else { v }
}

#[cfg(test)]
mod tests {
    use ordo::arrow::datatypes::Field;

    use super::*;

    fn schema(fields: &[(&str, DataType)]) -> Schema {
        Schema::new(
            fields
                .iter()
                .map(|(n, dt)| Field::new(*n, dt.clone(), true))
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn times_numbers_and_empty_columns_widen() {
        let ts = |u| DataType::Timestamp(u, None);
        let a = schema(&[
            ("ts", ts(TimeUnit::Second)),
            ("n", DataType::Int64),
            ("x", DataType::Utf8),
        ]);
        let b = schema(&[
            ("x", DataType::Utf8),
            ("n", DataType::Float64),
            ("ts", ts(TimeUnit::Millisecond)),
        ]);
        let c = schema(&[
            ("ts", ts(TimeUnit::Microsecond)),
            ("n", DataType::Null),
            ("x", DataType::Utf8),
        ]);
        let inputs = [(&a, true), (&b, true), (&c, true)];
        assert_eq!(
            widened(&inputs, |_| false),
            Some(vec![
                ("ts".into(), ts(TimeUnit::Microsecond)),
                ("n".into(), DataType::Float64),
            ])
        );
        // Nothing differs: nothing to widen.
        assert_eq!(widened(&[(&a, true), (&a, true)], |_| false), None);
    }

    #[test]
    fn other_differences_are_left_to_refuse() {
        let a = schema(&[("ts", DataType::Int64), ("x", DataType::Utf8)]);
        let b = schema(&[("ts", DataType::Float64), ("x", DataType::Int64)]);
        assert_eq!(widened(&[(&a, true), (&b, true)], |_| false), None);
        let c = schema(&[("ts", DataType::Float64), ("x", DataType::Utf8)]);
        // A Parquet input's types are its own; a forced type stays.
        assert_eq!(widened(&[(&a, true), (&c, false)], |_| false), None);
        assert_eq!(widened(&[(&a, true), (&c, true)], |n| n == "ts"), None);
        assert_eq!(
            widened(&[(&a, true), (&c, true)], |_| false),
            Some(vec![("ts".into(), DataType::Float64)])
        );
        // Zones must agree.
        let utc = DataType::Timestamp(TimeUnit::Second, Some("UTC".into()));
        let naive = DataType::Timestamp(TimeUnit::Millisecond, None);
        let (d, e) = (schema(&[("ts", utc)]), schema(&[("ts", naive)]));
        assert_eq!(widened(&[(&d, true), (&e, true)], |_| false), None);
        // A column missing from an input is refused as it is.
        let f = schema(&[("x", DataType::Utf8)]);
        assert_eq!(widened(&[(&a, true), (&f, true)], |_| false), None);
    }
}
