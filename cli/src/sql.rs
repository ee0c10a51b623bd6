//! `ordo sql`: a SQL query (DataFusion) over one dataset or a root of
//! datasets, printed as a table, CSV, JSON lines or Parquet.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use ordo::OpenOptions;
use ordo::arrow::array::RecordBatch;
use ordo::arrow::datatypes::SchemaRef;
use ordo::arrow::util::display::{ArrayFormatter, FormatOptions};
use ordo::sql::Sql;

use crate::Result;
use crate::read::{Format, emit, output};

/// Output formats of `ordo sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SqlFormat {
    /// Columns aligned under a header; numbers right-aligned, NULL for
    /// nulls.
    Table,
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per row (nulls left out).
    Jsonl,
    /// A Parquet file (to `--output` or a pipe, not to a terminal).
    Parquet,
}

/// Arguments of `ordo sql`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Tables: when ROOT is a dataset, its table is `t`. When ROOT is a \
directory (or URL) of datasets, each dataset is a table named by its path relative to ROOT, \
in double quotes when it holds `/`, `-` or capitals (SELECT * FROM \"temperature-berlin/10min\"), \
and the table `datasets` has one row per dataset: path, version, num_rows, num_row_groups, \
ordered_on, first, last, metadata (a map: metadata['source']), size_bytes. A query sees each \
dataset at the version it had when the query named it.\n\n\
Examples:\n  ordo sql ticks/sap \"SELECT date_trunc('hour', ts) AS h, avg(price) FROM t GROUP BY h ORDER BY h\"\n  \
ordo sql ticks \"SELECT path, num_rows, last FROM datasets WHERE last > TIMESTAMP '2024-03-01T00:00:00Z'\"\n  \
echo 'SELECT count(*) FROM datasets' | ordo sql ticks --format csv"
)]
pub struct SqlArgs {
    /// A dataset, or a directory (or URL) whose datasets become tables.
    root: PathBuf,
    /// The query (DataFusion's SQL); read from standard input when
    /// absent or `-`.
    query: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SqlFormat::Table)]
    format: SqlFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Runs `ordo sql`.
pub fn run(args: SqlArgs) -> Result<ExitCode> {
    let query = match args.query.as_deref() {
        Some(q) if q != "-" => q.to_owned(),
        _ => {
            let mut q = String::new();
            std::io::stdin()
                .read_to_string(&mut q)
                .map_err(|e| format!("reading the query from standard input: {e}"))?;
            q
        }
    };
    if query.trim().is_empty() {
        return Err("the query is empty".into());
    }
    let sql = Sql::open(&args.root, &OpenOptions::new())?;
    let format = match args.format {
        SqlFormat::Table => {
            let rows = sql.query_stream(&query)?;
            let schema = rows.schema();
            let batches = rows.collect::<ordo::Result<Vec<_>>>()?;
            return print_table(&schema, &batches, args.output.as_deref());
        }
        SqlFormat::Csv => Format::Csv,
        SqlFormat::Jsonl => Format::Jsonl,
        SqlFormat::Parquet => Format::Parquet,
    };
    // Opened before the query runs, so that a bad path fails first.
    let out = output(args.output.as_deref(), format)?;
    let rows = sql.query_stream(&query)?;
    emit(rows.schema(), rows, out, format)
}

/// Prints `batches` as an aligned table (the header alone when there
/// is no row).
fn print_table(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    path: Option<&std::path::Path>,
) -> Result<ExitCode> {
    let options = FormatOptions::default().with_null("NULL");
    let mut rows: Vec<Vec<String>> = Vec::new();
    for batch in batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        for r in 0..batch.num_rows() {
            rows.push(formatters.iter().map(|f| f.value(r).to_string()).collect());
        }
    }
    let header: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let left: Vec<usize> = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.data_type().is_numeric())
        .map(|(i, _)| i)
        .collect();
    match path {
        None => crate::table::print("", &header, &rows, &left)?,
        Some(path) => {
            let mut text = crate::table::lines("", &header, &rows, &left).join("\n");
            text.push('\n');
            std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
