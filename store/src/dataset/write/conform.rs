//! Checks new data against a dataset's schema and brings it to the
//! dataset's column order. Never drops a column; casts only where no
//! information can be lost (see [`lossless_cast`]).

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, new_null_array};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::error::{Error, Result};

/// The schema a new dataset takes from its first write: the data's fields,
/// without schema-level metadata (ordo keeps its own).
pub(crate) fn initial_schema(batch: &RecordBatch) -> Result<SchemaRef> {
    check_unique_names(batch.schema_ref())?;
    Ok(Arc::new(Schema::new(batch.schema().fields().clone())))
}

fn check_unique_names(schema: &Schema) -> Result<()> {
    let mut seen = HashSet::new();
    for f in schema.fields() {
        if !seen.insert(f.name()) {
            return Err(Error::DuplicateColumn {
                column: f.name().clone(),
            });
        }
    }
    Ok(())
}

fn describe(f: &Field) -> String {
    format!(
        "{} ({})",
        f.data_type(),
        if f.is_nullable() {
            "nullable"
        } else {
            "non-nullable"
        }
    )
}

/// `batch` with the columns of `schema`, in its order. Names must match
/// exactly and types be equal or losslessly castable ([`lossless_cast`]).
/// A column the dataset declares non-nullable accepts data declared
/// nullable only when it holds no null.
pub(crate) fn conform(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    check_unique_names(batch.schema_ref())?;
    let data_schema = batch.schema();
    if let Some(extra) = data_schema
        .fields()
        .iter()
        .find(|f| schema.field_with_name(f.name()).is_err())
    {
        return Err(Error::ExtraColumn {
            column: extra.name().clone(),
        });
    }
    let mut columns = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let Ok(idx) = data_schema.index_of(field.name()) else {
            return Err(Error::MissingColumn {
                column: field.name().clone(),
            });
        };
        let given = data_schema.field(idx);
        let column = batch.column(idx);
        let nulls_ok = field.is_nullable() || column.logical_null_count() == 0;
        let mismatch = |found: String| Error::SchemaMismatch {
            column: field.name().clone(),
            expected: describe(field),
            found,
        };
        if !nulls_ok {
            let nulls = column.logical_null_count();
            return Err(mismatch(format!(
                "{} with {nulls} null(s)",
                describe(given)
            )));
        }
        let column = if given.data_type() == field.data_type() {
            column.clone()
        } else {
            lossless_cast(column, field.data_type()).ok_or_else(|| mismatch(describe(given)))?
        };
        columns.push(column);
    }
    RecordBatch::try_new(schema.clone(), columns).map_err(Error::from)
}

/// `column` as `to`, when the two types hold the same values: the string
/// kinds (`Utf8`, `LargeUtf8`, `Utf8View`) among themselves, the binary
/// kinds likewise, and a `Null`-typed column (as CSV readers infer for an
/// all-empty column) as any type. `None` for any other pair, and when the
/// values do not fit (more than 2 GiB of text in one `Utf8` column).
pub(crate) fn lossless_cast(column: &ArrayRef, to: &DataType) -> Option<ArrayRef> {
    use DataType::*;
    let from = column.data_type();
    let strings = |t: &DataType| matches!(t, Utf8 | LargeUtf8 | Utf8View);
    let binaries = |t: &DataType| matches!(t, Binary | LargeBinary | BinaryView);
    if *from == Null {
        return Some(new_null_array(to, column.len()));
    }
    if (strings(from) && strings(to)) || (binaries(from) && binaries(to)) {
        return cast(column, to).ok();
    }
    None
}

#[cfg(test)]
mod tests {
    use arrow::array::{Float64Array, Int32Array, Int64Array};
    use arrow::datatypes::DataType;

    use super::*;

    fn batch(fields: Vec<(&str, Arc<dyn Array>, bool)>) -> RecordBatch {
        let schema = Schema::new(
            fields
                .iter()
                .map(|(n, a, null)| Field::new(*n, a.data_type().clone(), *null))
                .collect::<Vec<_>>(),
        );
        RecordBatch::try_new(Arc::new(schema), fields.into_iter().map(|f| f.1).collect()).unwrap()
    }

    #[test]
    fn reorders_and_rejects() {
        let ts: Arc<dyn Array> = Arc::new(Int64Array::from(vec![1, 2]));
        let v: Arc<dyn Array> = Arc::new(Float64Array::from(vec![1.0, 2.0]));
        let base = batch(vec![("ts", ts.clone(), false), ("v", v.clone(), true)]);
        let schema = initial_schema(&base).unwrap();
        let swapped = batch(vec![("v", v.clone(), true), ("ts", ts.clone(), false)]);
        assert_eq!(conform(&swapped, &schema).unwrap(), base);
        // Declared nullable but without nulls: accepted.
        let loose = batch(vec![("ts", ts.clone(), true), ("v", v.clone(), true)]);
        assert!(conform(&loose, &schema).is_ok());
        let with_null: Arc<dyn Array> = Arc::new(Int64Array::from(vec![Some(1), None]));
        let bad = batch(vec![("ts", with_null, true), ("v", v.clone(), true)]);
        assert!(matches!(
            conform(&bad, &schema),
            Err(Error::SchemaMismatch { .. })
        ));
        let extra = batch(vec![
            ("ts", ts.clone(), false),
            ("v", v.clone(), true),
            ("x", v.clone(), true),
        ]);
        assert!(
            matches!(conform(&extra, &schema), Err(Error::ExtraColumn { column }) if column == "x")
        );
        let missing = batch(vec![("ts", ts.clone(), false)]);
        assert!(
            matches!(conform(&missing, &schema), Err(Error::MissingColumn { column }) if column == "v")
        );
        let ints: Arc<dyn Array> = Arc::new(Int32Array::from(vec![1, 2]));
        let other = batch(vec![("ts", ts, false), ("v", ints, true)]);
        let err = conform(&other, &schema).unwrap_err();
        assert_eq!(
            err.to_string(),
            "column `v`: the dataset has Float64 (nullable), the data has Int32 (nullable)"
        );
        assert_eq!(schema.field(1).data_type(), &DataType::Float64);
    }

    #[test]
    fn string_kinds_and_null_columns_conform_losslessly() {
        use arrow::array::{LargeStringArray, NullArray, StringArray, StringViewArray};
        let ts: Arc<dyn Array> = Arc::new(Int64Array::from(vec![1, 2]));
        let large: Arc<dyn Array> = Arc::new(LargeStringArray::from(vec!["a", "b"]));
        let v: Arc<dyn Array> = Arc::new(Float64Array::from(vec![Some(1.0), None]));
        let base = batch(vec![
            ("ts", ts.clone(), false),
            ("s", large, true),
            ("v", v, true),
        ]);
        let schema = initial_schema(&base).unwrap();
        for s in [
            Arc::new(StringArray::from(vec!["a", "b"])) as Arc<dyn Array>,
            Arc::new(StringViewArray::from(vec!["a", "b"])),
        ] {
            let nulls: Arc<dyn Array> = Arc::new(NullArray::new(2));
            let data = batch(vec![
                ("ts", ts.clone(), false),
                ("s", s, true),
                ("v", nulls, true),
            ]);
            let out = conform(&data, &schema).unwrap();
            assert_eq!(out.schema(), schema);
            assert_eq!(out.column(1).as_ref(), base.column(1).as_ref());
            assert_eq!(out.column(2).null_count(), 2);
        }
        // A Null column where the dataset's column is non-nullable.
        let nulls: Arc<dyn Array> = Arc::new(NullArray::new(2));
        let s: Arc<dyn Array> = Arc::new(StringArray::from(vec!["a", "b"]));
        let data = batch(vec![
            ("ts", nulls, true),
            ("s", s.clone(), true),
            ("v", s, true),
        ]);
        let err = conform(&data, &schema).unwrap_err().to_string();
        assert_eq!(
            err,
            "column `ts`: the dataset has Int64 (non-nullable), the data has Null (nullable) with 2 null(s)"
        );
    }
}
