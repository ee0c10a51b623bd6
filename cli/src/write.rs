//! `ordo write`: streams the inputs into a dataset with
//! `OrderedParquetDataset::write_batches`: one commit, in memory bounded
//! by the write's chunk size whatever the inputs' size.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use ordo::{Coalesce, DuplicatesOn, OrderedParquetDataset, RowGroupTarget, WriteOptions};

use crate::input::{CSV_SAMPLE, InputFormat, InputOptions, RowPlaces, SampledType, open_inputs};
use crate::schema::{ForcedTypes, parse_schema};
use crate::{BoxError, Result, open_options, parse_key_value, parse_seconds, progress};

/// Arguments of `ordo write`.
#[derive(Debug, clap::Args)]
pub struct WriteArgs {
    /// The dataset directory (created by the first write).
    dataset: PathBuf,
    /// Input files, by extension: `.parquet`, `.arrow`/`.ipc`/`.feather`
    /// (Arrow IPC), `.csv` (header row, types inferred) or
    /// `.jsonl`/`.ndjson` (JSON lines, types inferred); `-` is standard
    /// input (with `--input-format`). All must have the same columns; their
    /// rows are written in order, as one sorted stream, in one commit.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The format of every input, instead of the extensions (required to
    /// read standard input).
    #[arg(long, value_enum, value_name = "FORMAT")]
    input_format: Option<InputFormat>,
    /// Column types of CSV and JSON-lines inputs: `name:type,...`. Types:
    /// null, bool, int8..int64, uint8..uint64, float16/32/64,
    /// decimal128[P,S] (and 32, 64, 256), utf8, large_utf8, utf8_view,
    /// binary, large_binary, binary_view, fixed_size_binary[N], date32,
    /// date64, time32[s|ms], time64[us|ns], `timestamp[UNIT]`,
    /// `timestamp[UNIT,ZONE]`, duration[UNIT] (UNIT: s, ms, us, ns),
    /// list[T], large_list[T], struct[NAME:T,..], map[K,V],
    /// dictionary[K,V], or a type as `ordo info` prints it. Columns not
    /// named take the existing dataset's type, or else the inferred one.
    #[arg(long, value_name = "NAME:TYPE,..", value_parser = parse_schema)]
    schema: Option<ForcedTypes>,
    /// The ordered column; the input must be sorted on it.
    #[arg(long, value_name = "COL")]
    ordered_on: String,
    /// Rows equal in these columns (and the ordered column) are
    /// duplicates: the last one wins. `--duplicates-on ''` names only the
    /// ordered column. Default: no deduplication, so writing the same
    /// file twice stores its rows twice.
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

/// Streams the inputs into `ds` in one commit: the inputs are read and
/// converted on a thread of their own while the write encodes and writes
/// what was read before (a few batches ahead at most).
fn write_inputs(
    ds: &OrderedParquetDataset,
    name: &Path,
    files: &[PathBuf],
    input: &InputOptions,
    opts: &WriteOptions,
) -> Result<ordo::WriteReport> {
    let inputs = open_inputs(files, input)?;
    let places = inputs.places();
    let dataset = name.display().to_string();
    let spinner = progress::spinner(&format!("writing into {dataset}"));
    let on_batch = {
        let spinner = spinner.clone();
        move |name: &str, rows| {
            spinner.set_message(format!("writing into {dataset}: {rows} rows of {name}"));
        }
    };
    let report = std::thread::scope(|scope| {
        let (sender, received) = std::sync::mpsc::sync_channel(READ_AHEAD);
        scope.spawn(move || {
            for batch in inputs.batches(on_batch) {
                // The write stopped (an error): nothing more to read.
                if sender.send(batch).is_err() {
                    break;
                }
            }
        });
        ds.write_batches(received, opts)
    });
    spinner.finish_and_clear();
    // An input's own error names its file and line: shown as it is.
    report.map_err(|e| match e {
        ordo::Error::Input { source, .. } => source,
        other => placed(other, &places),
    })
}

/// An error of the write about one row of the stream of inputs, told with
/// the input and the line (CSV) or the row there; other errors as they are.
fn placed(e: ordo::Error, places: &RowPlaces) -> BoxError {
    let (row, what) = match &e {
        ordo::Error::Unsorted {
            column,
            row,
            previous,
            value,
        } => (
            *row,
            format!(
                "data is not sorted on `{column}`: {value} comes after a larger value ({previous})"
            ),
        ),
        ordo::Error::NullInOrderedColumn { column, row } => {
            (*row, format!("ordered column `{column}` has a null"))
        }
        ordo::Error::NanInOrderedColumn { column, row } => {
            (*row, format!("ordered column `{column}` has a NaN"))
        }
        _ => return e.into(),
    };
    match places.place(row as u64) {
        Some(place) => format!("{place}: {what}").into(),
        None => e.into(),
    }
}

/// Batches read ahead of the write.
const READ_AHEAD: usize = 2;

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

    if args.files.iter().filter(|f| f.as_os_str() == "-").count() > 1 {
        return Err("standard input (`-`) can be read only once".into());
    }
    let ds = OrderedParquetDataset::open_with(&args.dataset, &open_options(args.lock_timeout))?;
    let mut input = InputOptions {
        format: args.input_format,
        types: args.schema.clone(),
        dataset: ds.schema(),
        infer_from_all: false,
    };
    let report = match write_inputs(&ds, &args.dataset, &args.files, &input, &opts) {
        // A type inferred from the first records only was wrong: nothing
        // was committed; the inputs are read again, their types inferred
        // from every record.
        Err(e) if e.is::<SampledType>() => {
            eprintln!(
                "note: {e} (its type was inferred from the first {CSV_SAMPLE} records): reading the inputs again, with types inferred from every record"
            );
            input.infer_from_all = true;
            write_inputs(&ds, &args.dataset, &args.files, &input, &opts)
        }
        report => report,
    };
    let report = report?;
    let printed = if report.committed {
        outln!(
            "version {}: {} rows in {} new row groups ({} row groups, {} rows rewritten)",
            report.version,
            report.rows_written,
            report.row_groups_written,
            report.row_groups_rewritten,
            report.rows_rewritten,
        )
    } else {
        outln!("version {}: nothing changed", report.version)
    };
    if let Some(e) = report.gc_error {
        eprintln!("warning: garbage collection after the commit failed: {e}");
    }
    printed?;
    Ok(ExitCode::SUCCESS)
}
