//! Checks new data against a dataset's schema and brings it to the
//! dataset's column order. Never casts, never drops a column.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{Array, RecordBatch};
use arrow::datatypes::{Field, Schema, SchemaRef};

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
/// exactly and types be equal. A column the dataset declares non-nullable
/// accepts data declared nullable only when it holds no null.
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
        let nulls_ok = field.is_nullable() || column.null_count() == 0;
        if given.data_type() != field.data_type() || !nulls_ok {
            let found = if given.data_type() == field.data_type() {
                format!("{} with {} null(s)", describe(given), column.null_count())
            } else {
                describe(given)
            };
            return Err(Error::SchemaMismatch {
                column: field.name().clone(),
                expected: describe(field),
                found,
            });
        }
        columns.push(column.clone());
    }
    RecordBatch::try_new(schema.clone(), columns).map_err(Error::from)
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
}
