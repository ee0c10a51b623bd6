//! `ordo write`: reads input files into one record batch and merges it
//! into a dataset with a single `OrderedParquetDataset::write`.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use ordo::arrow::array::RecordBatch;
use ordo::arrow::compute::concat_batches;
use ordo::arrow::datatypes::SchemaRef;
use ordo::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use ordo::{Coalesce, DuplicatesOn, OrderedParquetDataset, RowGroupTarget, WriteOptions};

use crate::{Result, parse_key_value, parse_seconds};

/// Arguments of `ordo write`.
#[derive(Debug, clap::Args)]
pub struct WriteArgs {
    /// The dataset directory (created by the first write).
    dataset: PathBuf,
    /// Input files, by extension: `.parquet`, `.csv` (header row, types
    /// inferred) or `.jsonl`/`.ndjson` (JSON lines, types inferred). All
    /// must have the same columns; their rows are concatenated in order.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The ordered column; the input must be sorted on it.
    #[arg(long, value_name = "COL")]
    ordered_on: String,
    /// Rows equal in these columns (and the ordered column) are
    /// duplicates: the last one wins. `--duplicates-on ''` names only the
    /// ordered column.
    #[arg(
        long,
        value_name = "COL[,COL..]",
        value_delimiter = ',',
        conflicts_with = "duplicates_on_all"
    )]
    duplicates_on: Option<Vec<String>>,
    /// Rows equal in every column are duplicates: the last one wins.
    #[arg(long)]
    duplicates_on_all: bool,
    /// Row-group target: a row count (`100000`) or, for a timestamp or
    /// date ordered column, a period (`1D`, `1h`, ...).
    #[arg(long, value_name = "ROWS|PERIOD")]
    target: Option<String>,
    /// When small row groups are merged: `auto` (size-tiered, the
    /// default), `none` (never), or N (oups' rule: when more than N are
    /// off target).
    #[arg(long, value_name = "N|auto|none", value_parser = parse_coalesce)]
    max_off_target: Option<Coalesce>,
    /// Sets a key-value metadata entry (repeatable).
    #[arg(long = "meta", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    meta: Vec<(String, String)>,
    /// Removes a key-value metadata entry (repeatable).
    #[arg(long = "unset-meta", value_name = "KEY")]
    unset_meta: Vec<String>,
    /// Seconds to wait for the writer lock (default 30).
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    lock_timeout: Option<Duration>,
}

/// Parses `--max-off-target`.
fn parse_coalesce(s: &str) -> Result<Coalesce, String> {
    match s {
        "auto" => Ok(Coalesce::Auto),
        "none" => Ok(Coalesce::Never),
        n => n
            .parse()
            .map(Coalesce::MaxOffTarget)
            .map_err(|_| format!("expected a number, `auto` or `none`, got {n:?}")),
    }
}

/// Runs `ordo write`.
pub fn run(args: WriteArgs) -> Result<ExitCode> {
    let mut opts = WriteOptions::new(args.ordered_on.clone());
    if let Some(target) = &args.target {
        let target: RowGroupTarget = target.parse()?;
        opts = opts.row_group_target_size(target);
    }
    if let Some(coalesce) = args.max_off_target {
        opts = opts.coalesce(coalesce);
    }
    if args.duplicates_on_all {
        opts = opts.duplicates_on(DuplicatesOn::All);
    } else if let Some(cols) = args.duplicates_on {
        let cols = cols.into_iter().filter(|c| !c.is_empty()).collect();
        opts = opts.duplicates_on(DuplicatesOn::Columns(cols));
    }
    let changes = args.meta.into_iter().map(|(k, v)| (k, Some(v)));
    let removals = args.unset_meta.into_iter().map(|k| (k, None::<String>));
    opts = opts.key_value_metadata(changes.chain(removals));
    if let Some(timeout) = args.lock_timeout {
        opts = opts.lock_timeout(timeout);
    }

    let batch = read_inputs(&args.files)?;
    let ds = OrderedParquetDataset::open(&args.dataset)?;
    let report = ds.write(&batch, &opts)?;
    if report.committed {
        println!(
            "version {}: {} rows in {} new row groups ({} row groups, {} rows rewritten)",
            report.version,
            report.rows_written,
            report.row_groups_written,
            report.row_groups_rewritten,
            report.rows_rewritten,
        );
    } else {
        println!("version {}: nothing changed", report.version);
    }
    if let Some(e) = report.gc_error {
        eprintln!("warning: garbage collection after the commit failed: {e}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads every file and concatenates their rows into one batch.
fn read_inputs(files: &[PathBuf]) -> Result<RecordBatch> {
    let mut schema: Option<(SchemaRef, &Path)> = None;
    let mut batches = Vec::new();
    for path in files {
        let (file_schema, file_batches) =
            read_file(path).map_err(|e| format!("{}: {e}", path.display()))?;
        match &schema {
            None => schema = Some((file_schema, path)),
            Some((first, first_path)) if first.fields() != file_schema.fields() => {
                return Err(format!(
                    "{} has columns {}, but {} has {}",
                    path.display(),
                    describe(&file_schema),
                    first_path.display(),
                    describe(first)
                )
                .into());
            }
            Some(_) => {}
        }
        batches.extend(file_batches);
    }
    let (schema, _) = schema.expect("clap requires at least one file");
    // Parquet files may carry schema metadata that differs between files:
    // give every batch the first file's schema.
    let batches = batches
        .into_iter()
        .map(|b| b.with_schema(schema.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(concat_batches(&schema, &batches)?)
}

/// `name: type` for each column, for messages.
fn describe(schema: &SchemaRef) -> String {
    let cols: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| format!("{}: {}", f.name(), f.data_type()))
        .collect();
    format!("({})", cols.join(", "))
}

/// Reads one input file, choosing the format by its extension.
fn read_file(path: &Path) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let file = File::open(path)?;
    match ext.as_deref() {
        Some("parquet") => {
            let builder = ParquetRecordBatchReaderBuilder::try_new(file)?;
            let schema = builder.schema().clone();
            let batches = builder.build()?.collect::<Result<Vec<_>, _>>()?;
            Ok((schema, batches))
        }
        Some("csv") => {
            let format = ordo::arrow::csv::reader::Format::default().with_header(true);
            let (schema, _) = format.infer_schema(&file, None)?;
            let schema = Arc::new(schema);
            let file = File::open(path)?;
            let reader = ordo::arrow::csv::ReaderBuilder::new(schema.clone())
                .with_format(format)
                .build(file)?;
            Ok((schema, reader.collect::<Result<Vec<_>, _>>()?))
        }
        Some("jsonl" | "ndjson") => {
            let mut file = BufReader::new(file);
            let (schema, _) =
                ordo::arrow::json::reader::infer_json_schema_from_seekable(&mut file, None)?;
            let schema = Arc::new(schema);
            let reader = ordo::arrow::json::ReaderBuilder::new(schema.clone()).build(file)?;
            Ok((schema, reader.collect::<Result<Vec<_>, _>>()?))
        }
        _ => Err("unknown file type: expected .parquet, .csv, .jsonl or .ndjson".into()),
    }
}
