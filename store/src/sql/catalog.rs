//! The catalog table `datasets`: one row per dataset of a root, with its
//! path, its key fields (for a typed store), version, size, ordered column,
//! first and last ordered values and key-value metadata.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, MapBuilder, RecordBatch, StringArray, StringBuilder, UInt64Array};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::catalog::TableProvider;
use datafusion::common::ScalarValue;
use datafusion::datasource::MemTable;

use super::bounds::scalar;
use crate::dataset::OrderedParquetDataset;
use crate::keys::TopLevel;
use crate::value::OrderedValue;
use crate::value::stored::shown;

/// The columns every catalog has, after the key columns.
const FIXED: [&str; 9] = [
    "path",
    "version",
    "num_rows",
    "num_row_groups",
    "ordered_on",
    "first",
    "last",
    "metadata",
    "size_bytes",
];

/// The key columns of a typed store's catalog: names and types of the
/// key's fields, and how to split a dataset path into their texts.
#[derive(Debug, Clone)]
pub(crate) struct KeyColumns {
    /// Column names (a field's name, `key_` prepended while it is taken).
    names: Vec<String>,
    types: Vec<DataType>,
    /// The key's separator.
    sep: char,
    /// Whether a path is a key of the store (others get nulls).
    is_key: fn(&Path) -> bool,
}

impl KeyColumns {
    pub(crate) fn of<K: TopLevel>() -> Self {
        let mut fields = Vec::new();
        <K as crate::keys::__private::KeyLevel>::key_fields(&mut fields);
        let mut names: Vec<String> = Vec::with_capacity(fields.len());
        for (name, _) in &fields {
            let mut name = (*name).to_owned();
            while FIXED.contains(&name.as_str()) || names.contains(&name) {
                name = format!("key_{name}");
            }
            names.push(name);
        }
        Self {
            names,
            types: fields.into_iter().map(|(_, t)| t).collect(),
            sep: K::SEP,
            is_key: |p| K::from_path(p).is_ok(),
        }
    }

    /// The field texts of `path`, if it is a key of the store.
    fn texts<'a>(&self, path: &'a str) -> Option<Vec<&'a str>> {
        if !(self.is_key)(Path::new(path)) {
            return None;
        }
        let texts: Vec<&str> = path
            .split('/')
            .flat_map(|dir| dir.split(self.sep))
            .collect();
        (texts.len() == self.names.len()).then_some(texts)
    }

    /// One column per key field for `paths`.
    fn columns(&self, paths: &[&str]) -> datafusion::common::Result<Vec<(Field, ArrayRef)>> {
        let texts: Vec<Option<Vec<&str>>> = paths.iter().map(|p| self.texts(p)).collect();
        let mut out = Vec::with_capacity(self.names.len());
        for (i, (name, dt)) in self.names.iter().zip(&self.types).enumerate() {
            let text: StringArray = texts.iter().map(|t| t.as_ref().map(|t| t[i])).collect();
            // The texts are canonical (the key parsed), so the cast is exact.
            let array = cast(&text, dt)?;
            out.push((Field::new(name, dt.clone(), true), array));
        }
        Ok(out)
    }
}

/// The catalog table of `datasets` (relative path, handle at its latest
/// version).
pub(crate) fn table(
    datasets: &[(String, OrderedParquetDataset)],
    keys: Option<&KeyColumns>,
) -> datafusion::common::Result<Arc<dyn TableProvider>> {
    let paths: Vec<&str> = datasets.iter().map(|(p, _)| p.as_str()).collect();
    let mut columns = match keys {
        Some(keys) => keys.columns(&paths)?,
        None => Vec::new(),
    };
    let snapshots: Vec<_> = datasets
        .iter()
        .map(|(_, ds)| ds.snapshot().expect("catalog datasets have a version"))
        .collect();
    let u64s = |f: &dyn Fn(&crate::dataset::Snapshot) -> u64| -> ArrayRef {
        Arc::new(snapshots.iter().map(|s| f(s)).collect::<UInt64Array>())
    };
    columns.push((
        Field::new("path", DataType::Utf8, false),
        Arc::new(StringArray::from(paths.clone())),
    ));
    columns.push((
        Field::new("version", DataType::UInt64, false),
        u64s(&|s| s.version),
    ));
    columns.push((
        Field::new("num_rows", DataType::UInt64, false),
        u64s(&|s| s.stats.iter().map(|g| g.num_rows).sum()),
    ));
    columns.push((
        Field::new("num_row_groups", DataType::UInt64, false),
        u64s(&|s| s.stats.len() as u64),
    ));
    columns.push((
        Field::new("ordered_on", DataType::Utf8, false),
        Arc::new(
            snapshots
                .iter()
                .map(|s| Some(s.ordered_on.as_str()))
                .collect::<StringArray>(),
        ),
    ));
    let (first, last) = extremes(&snapshots)?;
    columns.push((Field::new("first", first.data_type().clone(), true), first));
    columns.push((Field::new("last", last.data_type().clone(), true), last));
    columns.push((metadata_field(), metadata(&snapshots)?));
    columns.push((
        Field::new("size_bytes", DataType::UInt64, false),
        u64s(&|s| s.stats.iter().map(|g| g.size_bytes).sum()),
    ));
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = columns.into_iter().unzip();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays)?;
    Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
}

/// The first and last ordered values of each dataset, in the type of the
/// ordered columns when they all share one, else as text (as ordo shows
/// values of their type: RFC 3339 instants, ISO dates, numbers).
fn extremes(
    snapshots: &[Arc<crate::dataset::Snapshot>],
) -> datafusion::common::Result<(ArrayRef, ArrayRef)> {
    let types: Vec<&DataType> = snapshots.iter().map(|s| s.ordered_type()).collect();
    let shared = types
        .first()
        .filter(|t| types.iter().all(|u| u == *t))
        .copied();
    let column = |pick: &dyn Fn(&crate::dataset::Snapshot) -> Option<OrderedValue>|
     -> datafusion::common::Result<ArrayRef> {
        match shared {
            Some(dt) => {
                let null = || ScalarValue::try_from(dt).expect("ordered types have a null");
                ScalarValue::iter_to_array(
                    snapshots
                        .iter()
                        .map(|s| pick(s).and_then(|v| scalar(&v, dt)).unwrap_or_else(null)),
                )
            }
            None => Ok(Arc::new(
                snapshots
                    .iter()
                    .map(|s| pick(s).map(|v| text(&v, s.ordered_type())))
                    .collect::<StringArray>(),
            )),
        }
    };
    let first = column(&|s| s.stats.first().map(|g| g.min.clone()))?;
    let last = column(&|s| s.stats.last().map(|g| g.max.clone()))?;
    Ok((first, last))
}

/// A stored value of a column of type `dt` as text: strings as they
/// are, others as ordo shows them.
fn text(value: &OrderedValue, dt: &DataType) -> String {
    match value {
        OrderedValue::Str(s) => s.clone(),
        other => shown(other, dt),
    }
}

fn metadata_field() -> Field {
    Field::new_map(
        "metadata",
        "entries",
        Field::new("keys", DataType::Utf8, false),
        Field::new("values", DataType::Utf8, true),
        false,
        false,
    )
}

/// The key-value metadata of each dataset as a map.
fn metadata(snapshots: &[Arc<crate::dataset::Snapshot>]) -> datafusion::common::Result<ArrayRef> {
    let mut builder = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
    for s in snapshots {
        for (k, v) in &s.key_value_metadata {
            builder.keys().append_value(k);
            builder.values().append_value(v);
        }
        builder.append(true)?;
    }
    Ok(Arc::new(builder.finish()))
}
