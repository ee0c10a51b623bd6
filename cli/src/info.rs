//! Read-only inspection of one dataset: `ordo info` and `ordo versions`.

use std::path::PathBuf;
use std::process::ExitCode;

use ordo::arrow::datatypes::DataType;
use ordo::{OrderedParquetDataset, OrderedValue};
use serde_json::{Value, json};

use crate::{Result, open_at, table};

/// Arguments of `ordo info`.
#[derive(Debug, clap::Args)]
pub struct InfoArgs {
    /// The dataset directory.
    dataset: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Describe this retained version instead of the latest.
    #[arg(long, value_name = "N")]
    version: Option<u64>,
}

/// Arguments of `ordo versions`.
#[derive(Debug, clap::Args)]
pub struct VersionsArgs {
    /// The dataset directory.
    dataset: PathBuf,
}

/// A statistic of a column of type `dt` as JSON: numbers stay numbers,
/// the rest are strings (see [`value_text`]).
pub fn value_json(v: &OrderedValue, dt: Option<&DataType>) -> Value {
    match v {
        OrderedValue::Int(i) => json!(i),
        OrderedValue::UInt(u) => json!(u),
        OrderedValue::Float(f) => json!(f),
        OrderedValue::Str(s) => json!(s),
        other => json!(value_text(other, dt)),
    }
}

/// A statistic of a column of type `dt` as text, as the column's values
/// are shown by `cat`: a timestamp without a time zone has no offset
/// (`2024-01-01T00:00:00`, not `...Z`: it is not a UTC instant).
pub fn value_text(v: &OrderedValue, dt: Option<&DataType>) -> String {
    dt.map_or_else(|| v.to_string(), |dt| v.shown_in(dt))
}

/// The type of `ds`'s ordered column, once it has one.
pub fn ordered_type(ds: &OrderedParquetDataset) -> Option<DataType> {
    let (schema, column) = (ds.schema()?, ds.ordered_on()?);
    Some(schema.field_with_name(&column).ok()?.data_type().clone())
}

/// Runs `ordo info`.
pub fn run(args: InfoArgs) -> Result<ExitCode> {
    let ds = open_at(&args.dataset, args.version)?;
    let schema = ds.schema().ok_or("the version is a removal: no data")?;
    let stats = ds.row_group_stats();
    let metadata = ds.key_value_metadata();
    let dt = ordered_type(&ds);
    let dt = dt.as_ref();
    if args.json {
        let info = json!({
            "path": ds.path().display().to_string(),
            "version": ds.version(),
            "ordered_on": ds.ordered_on(),
            "num_rows": ds.num_rows(),
            "num_row_groups": ds.num_row_groups(),
            "schema": schema.fields().iter().map(|f| json!({
                "name": f.name(),
                "type": f.data_type().to_string(),
                "nullable": f.is_nullable(),
            })).collect::<Vec<_>>(),
            "key_value_metadata": metadata,
            "row_groups": stats.iter().map(|rg| json!({
                "file": rg.file,
                "rows": rg.num_rows,
                "min": value_json(&rg.min, dt),
                "max": value_json(&rg.max, dt),
                "bytes": rg.size_bytes,
            })).collect::<Vec<_>>(),
        });
        outln!("{info}")?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!("dataset:    {}", ds.path().display())?;
    outln!("version:    {}", ds.version().unwrap_or(0))?;
    outln!("ordered on: {}", ds.ordered_on().unwrap_or_default())?;
    outln!("rows:       {}", ds.num_rows())?;
    outln!("schema:")?;
    for f in schema.fields() {
        let null = if f.is_nullable() { "" } else { " not null" };
        outln!("  {}: {}{null}", f.name(), f.data_type())?;
    }
    outln!(
        "metadata:{}",
        if metadata.is_empty() { " none" } else { "" }
    )?;
    for (k, v) in &metadata {
        outln!("  {k} = {v}")?;
    }
    outln!("row groups: {}", stats.len())?;
    let rows: Vec<Vec<String>> = stats
        .iter()
        .enumerate()
        .map(|(i, rg)| {
            vec![
                i.to_string(),
                rg.num_rows.to_string(),
                value_text(&rg.min, dt),
                value_text(&rg.max, dt),
                rg.size_bytes.to_string(),
                rg.file.clone(),
            ]
        })
        .collect();
    // Numbers right-aligned, file names left-aligned.
    table::print(
        "  ",
        &["#", "rows", "min", "max", "bytes", "file"],
        &rows,
        &[5],
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `ordo versions`: one line per retained version, oldest first.
pub fn versions(args: VersionsArgs) -> Result<ExitCode> {
    let ds = OrderedParquetDataset::open(&args.dataset)?;
    let versions = ds.versions()?;
    if versions.is_empty() {
        return Err(format!("no dataset at {}", args.dataset.display()).into());
    }
    let current = ds.version();
    outln!("version  rows  row_groups")?;
    for v in versions {
        let at = ds.at_version(v)?;
        let mark = if Some(v) == current {
            "  (current)"
        } else {
            ""
        };
        let removed = if at.version().is_none() {
            "  (removed)"
        } else {
            ""
        };
        outln!(
            "{v}  {}  {}{mark}{removed}",
            at.num_rows(),
            at.num_row_groups()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
