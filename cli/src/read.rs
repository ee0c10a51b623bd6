//! Reading rows: `ordo cat` streams a dataset's rows, in order, as CSV,
//! JSON lines or Parquet; `ordo head` and `ordo tail` print the first or
//! last rows.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ordo::OrderedValue;
use ordo::arrow::array::RecordBatch;
use ordo::arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use ordo::chrono::{DateTime, NaiveTime, TimeZone};
use ordo::parquet::arrow::ArrowWriter;
use ordo::{OrderedParquetDataset, ReadOptions};

use crate::{Result, open_at};

/// Output formats of `ordo cat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per row (nulls left out).
    Jsonl,
    /// A Parquet file (to `--output` or a pipe, not to a terminal).
    Parquet,
}

/// Arguments of `ordo cat`.
#[derive(Debug, clap::Args)]
pub struct CatArgs {
    /// The dataset directory.
    dataset: PathBuf,
    #[command(flatten)]
    range: RangeArgs,
    #[command(flatten)]
    out: OutputArgs,
}

/// Which rows: a range of the ordered column in a version. Shared by
/// `cat`, `head` and `tail`.
#[derive(Debug, clap::Args)]
struct RangeArgs {
    /// First ordered value to print (inclusive), parsed by the ordered
    /// column's type: an integer, a float, a string, or for timestamp and
    /// date columns an ISO-8601 time or date (or the stored integer).
    #[arg(long, value_name = "V")]
    start: Option<String>,
    /// Ordered value to stop before (exclusive), parsed like `--start`.
    #[arg(long, value_name = "V")]
    end: Option<String>,
    /// Read this retained version instead of the latest.
    #[arg(long, value_name = "N")]
    version: Option<u64>,
}

impl RangeArgs {
    /// Opens the dataset at the version asked for, and read options
    /// selecting the range and `out`'s columns.
    fn open(
        &self,
        path: &std::path::Path,
        out: &OutputArgs,
    ) -> Result<(OrderedParquetDataset, ReadOptions)> {
        let ds = open_at(path, self.version)?;
        let mut opts = out.read_options();
        let start = self
            .start
            .as_deref()
            .map(|v| parse_bound(&ds, v))
            .transpose()?;
        let end = self
            .end
            .as_deref()
            .map(|v| parse_bound(&ds, v))
            .transpose()?;
        if let (Some(s), Some(e), Some(dt)) = (&start, &end, ordered_type(&ds))
            && bound_order(s, e, &dt) == Some(std::cmp::Ordering::Greater)
        {
            return Err(format!(
                "--start {:?} is after --end {:?}: no row can be in the range",
                self.start.as_deref().unwrap_or_default(),
                self.end.as_deref().unwrap_or_default()
            )
            .into());
        }
        if let Some(v) = start {
            opts = opts.start(v);
        }
        if let Some(v) = end {
            opts = opts.end_excl(v);
        }
        Ok((ds, opts))
    }
}

/// What to print and where: shared by `cat`, `head` and `tail`.
#[derive(Debug, clap::Args)]
struct OutputArgs {
    /// Columns to print, in this order (default: all).
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    columns: Option<Vec<String>>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

impl OutputArgs {
    /// Read options selecting the columns.
    fn read_options(&self) -> ReadOptions {
        match &self.columns {
            Some(cols) => ReadOptions::new().columns(cols.clone()),
            None => ReadOptions::new(),
        }
    }

    /// Prints `batches` as asked.
    fn emit(
        &self,
        schema: SchemaRef,
        batches: impl Iterator<Item = ordo::Result<RecordBatch>>,
    ) -> Result<ExitCode> {
        let out = output(self.output.as_deref(), self.format)?;
        emit(schema, batches, out, self.format)
    }
}

/// Arguments of `ordo head` and `ordo tail`.
#[derive(Debug, clap::Args)]
pub struct HeadArgs {
    /// The dataset directory.
    dataset: PathBuf,
    /// How many rows.
    #[arg(short = 'n', long = "lines", value_name = "N", default_value_t = 10)]
    n: usize,
    #[command(flatten)]
    range: RangeArgs,
    #[command(flatten)]
    out: OutputArgs,
}

/// Runs `ordo cat`.
pub fn run(args: CatArgs) -> Result<ExitCode> {
    let (ds, opts) = args.range.open(&args.dataset, &args.out)?;
    let scan = ds.scan_with(&opts)?;
    args.out.emit(scan.schema(), scan)
}

/// Runs `ordo head` (`last` false) or `ordo tail` (`last` true).
pub fn head(args: HeadArgs, last: bool) -> Result<ExitCode> {
    let (ds, opts) = args.range.open(&args.dataset, &args.out)?;
    let batch = if last {
        ds.tail(args.n, &opts)?
    } else {
        ds.head(args.n, &opts)?
    };
    args.out.emit(batch.schema(), std::iter::once(Ok(batch)))
}

/// The file `path`, or standard output unless it is a terminal and
/// `format` is binary.
pub(crate) fn output(
    path: Option<&std::path::Path>,
    format: Format,
) -> Result<Box<dyn Write + Send>> {
    if let Some(path) = path {
        let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok(Box::new(file));
    }
    let out = std::io::stdout();
    if format == Format::Parquet && out.is_terminal() {
        return Err("refusing to write Parquet to a terminal: use --output FILE or a pipe".into());
    }
    Ok(Box::new(out))
}

/// Prints `batches` to `out`. A reader that went away (`ordo cat | head`)
/// gives a `BrokenPipe` I/O error, which ends the command quietly.
pub(crate) fn emit(
    schema: SchemaRef,
    batches: impl Iterator<Item = ordo::Result<RecordBatch>>,
    out: Box<dyn Write + Send>,
    format: Format,
) -> Result<ExitCode> {
    let broken_pipe = Arc::new(AtomicBool::new(false));
    let out = BufWriter::new(PipeWatch {
        inner: out,
        broken: broken_pipe.clone(),
    });
    match print(schema, batches, out, format) {
        Err(_) if broken_pipe.load(Ordering::Relaxed) => {
            Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe).into())
        }
        Err(e) => Err(e),
        Ok(()) => Ok(ExitCode::SUCCESS),
    }
}

/// A writer that remembers whether a write failed on a closed pipe (the
/// CSV writer's errors do not keep the I/O error kind).
struct PipeWatch<W> {
    inner: W,
    broken: Arc<AtomicBool>,
}

impl<W: Write> PipeWatch<W> {
    fn watch<T>(&self, result: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &result
            && e.kind() == std::io::ErrorKind::BrokenPipe
        {
            self.broken.store(true, Ordering::Relaxed);
        }
        result
    }
}

impl<W: Write> Write for PipeWatch<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let result = self.inner.write(buf);
        self.watch(result)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let result = self.inner.flush();
        self.watch(result)
    }
}

/// Writes every batch to `out` in `format`.
fn print(
    schema: SchemaRef,
    batches: impl Iterator<Item = ordo::Result<RecordBatch>>,
    out: impl Write + Send,
    format: Format,
) -> Result<()> {
    match format {
        Format::Csv => {
            let mut w = ordo::arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(out);
            // Writes the header even when no row is in range.
            w.write(&RecordBatch::new_empty(schema))?;
            for batch in batches {
                w.write(&batch?)?;
            }
            w.into_inner().flush()?;
        }
        Format::Jsonl => {
            let mut w = ordo::arrow::json::LineDelimitedWriter::new(out);
            for batch in batches {
                w.write(&batch?)?;
            }
            w.finish()?;
            w.into_inner().flush()?;
        }
        Format::Parquet => {
            // Seconds columns in milliseconds, which Parquet readers
            // read as times (Parquet has no seconds unit).
            let schema = ordo::parquet_compatible(&RecordBatch::new_empty(schema))?.schema();
            let mut w = ArrowWriter::try_new(out, schema, None)?;
            for batch in batches {
                w.write(&ordo::parquet_compatible(&batch?)?)?;
            }
            w.into_inner()?.flush()?;
        }
    }
    Ok(())
}

/// Parses a range bound by the type of the dataset's ordered column.
fn parse_bound(ds: &OrderedParquetDataset, s: &str) -> Result<OrderedValue> {
    let (Some(schema), Some(column)) = (ds.schema(), ds.ordered_on()) else {
        return Err("the dataset is empty".into());
    };
    let dt = schema.field_with_name(&column)?.data_type().clone();
    OrderedValue::parse(s, &dt).map_err(|e| match e {
        ordo::Error::UnparsableValue { reason, .. } => {
            format!("cannot parse {s:?} as a value of ordered column `{column}` ({dt}): {reason}")
                .into()
        }
        other => other.into(),
    })
}

/// The type of the dataset's ordered column.
fn ordered_type(ds: &OrderedParquetDataset) -> Option<DataType> {
    let column = ds.ordered_on()?;
    Some(
        ds.schema()?
            .field_with_name(&column)
            .ok()?
            .data_type()
            .clone(),
    )
}

/// How two bounds of a column of type `dt` compare; `None` when they
/// cannot be compared. Times, dates and stored integers of timestamp and
/// date columns compare as instants.
fn bound_order(a: &OrderedValue, b: &OrderedValue, dt: &DataType) -> Option<std::cmp::Ordering> {
    let instant = |v: &OrderedValue| -> Option<i128> {
        const DAY_NS: i128 = 86_400_000_000_000;
        let stored_ns = match dt {
            DataType::Timestamp(TimeUnit::Second, _) => 1_000_000_000,
            DataType::Timestamp(TimeUnit::Millisecond, _) | DataType::Date64 => 1_000_000,
            DataType::Timestamp(TimeUnit::Microsecond, _) => 1_000,
            DataType::Timestamp(TimeUnit::Nanosecond, _) => 1,
            DataType::Date32 => DAY_NS,
            _ => return None,
        };
        match v {
            OrderedValue::Int(i) => Some(i128::from(*i) * stored_ns),
            OrderedValue::Timestamp(t) => Some(nanos(t)),
            OrderedValue::Date(d) => Some(nanos(&d.and_time(NaiveTime::MIN).and_utc())),
            _ => None,
        }
    };
    match (instant(a), instant(b)) {
        (Some(a), Some(b)) => Some(a.cmp(&b)),
        _ => a.partial_cmp(b),
    }
}

/// Nanoseconds since the epoch.
fn nanos<Tz: TimeZone>(t: &DateTime<Tz>) -> i128 {
    i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos())
}
