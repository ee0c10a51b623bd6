//! `ordo`: the command-line tool of the ordo store.
//!
//! A thin layer over [`ordo::OrderedParquetDataset`] and
//! [`ordo::fields::FieldArray`]: each command parses
//! its arguments, calls the library and prints the result. Exit codes: 0 on
//! success, 2 on usage errors (clap's), 1 on any other error, reported as a
//! single `error: ...` line on stderr. Everything printed on standard output
//! goes through [`outln!`]: a reader that went away (`ordo ls | head -1`)
//! ends the command quietly with code 0.

/// Prints a line on standard output, returning its `io::Result`: call
/// it with `?` so that a closed pipe ends the command (quietly, see
/// [`main`]) instead of panicking as `println!` does.
macro_rules! outln {
    () => {
        $crate::print_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::print_line(format_args!($($arg)*))
    };
}

mod fields;
mod info;
mod input;
mod ls;
mod maintain;
mod progress;
mod read;
mod schema;
#[cfg(feature = "sql")]
mod sql;
mod table;
mod write;

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use ordo::{OpenOptions, OrderedParquetDataset};

/// Errors of the commands; printed as one `error: ...` line.
type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// The result of a command.
type Result<T, E = BoxError> = std::result::Result<T, E>;

/// Write, read, inspect and maintain ordo datasets (ordered Parquet
/// datasets).
#[derive(Debug, Parser)]
#[command(
    name = "ordo",
    version,
    about,
    after_help = "Every DATASET, ROOT, KEYDIR and FIELD may also be an object-store URL: \
s3://bucket/prefix, gs://bucket/prefix, az://container/prefix. Credentials, region and \
endpoint come from the AWS_*, GOOGLE_* and AZURE_* variables (AWS_ENDPOINT_URL and \
AWS_ALLOW_HTTP=true for an S3-compatible server)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Merge Parquet, Arrow IPC, CSV or JSON-lines inputs into a dataset in
    /// one commit.
    ///
    /// Rows are not deduplicated unless asked: without --duplicates-on or
    /// --duplicates-on-all, writing the same file twice stores its rows
    /// twice.
    Write(write::WriteArgs),
    /// Print rows, in order, as CSV, JSON lines or Parquet.
    Cat(read::CatArgs),
    /// Print the first rows of a dataset.
    Head(read::HeadArgs),
    /// Print the last rows of a dataset (reads only the last row groups).
    Tail(read::HeadArgs),
    /// Describe a dataset: ordered column, schema, rows, version, metadata
    /// and row groups.
    Info(info::InfoArgs),
    /// List every dataset under a directory, with rows, row groups, range
    /// and size.
    Ls(ls::LsArgs),
    /// Check every invariant of a dataset, or of every dataset under a
    /// directory; exits 1 when one is broken.
    Verify(ls::VerifyArgs),
    /// List the retained versions of a dataset.
    Versions(info::VersionsArgs),
    /// Delete old versions and the files only they use.
    Gc(maintain::GcArgs),
    /// Rewrite a dataset into row groups of a target size.
    Compact(maintain::CompactArgs),
    /// Show or change a dataset's key-value metadata.
    Meta(maintain::MetaArgs),
    /// Upgrade a dataset written by an earlier release (format 1) to the
    /// current format; any write does it too.
    Upgrade(maintain::UpgradeArgs),
    /// Delete a dataset: every version and every file ordo wrote for it
    /// (refused without --yes).
    Remove(maintain::RemoveArgs),
    /// List, describe and print field arrays (Zarr frames over time).
    Fields(fields::FieldsArgs),
    #[cfg(feature = "sql")]
    /// Run a SQL query over a dataset (table `t`) or over every dataset
    /// under a directory (one table each, and `datasets`).
    Sql(sql::SqlArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Write(args) => write::run(args),
        Command::Cat(args) => read::run(args),
        Command::Head(args) => read::head(args, false),
        Command::Tail(args) => read::head(args, true),
        Command::Info(args) => info::run(args),
        Command::Ls(args) => ls::ls(args),
        Command::Verify(args) => ls::verify(args),
        Command::Versions(args) => info::versions(args),
        Command::Gc(args) => maintain::gc(args),
        Command::Compact(args) => maintain::compact(args),
        Command::Meta(args) => maintain::meta(args),
        Command::Upgrade(args) => maintain::upgrade(args),
        Command::Remove(args) => maintain::remove(args),
        Command::Fields(args) => fields::run(args),
        #[cfg(feature = "sql")]
        Command::Sql(args) => sql::run(args),
    };
    let result = result.and_then(|code| {
        std::io::stdout().flush()?;
        Ok(code)
    });
    match result {
        Ok(code) => code,
        // The reader of standard output went away: nobody is left to
        // read more, which is not a failure (`ordo versions ds | head -1`).
        Err(e) if is_broken_pipe(&*e) => ExitCode::SUCCESS,
        Err(e) => {
            let message = e.to_string();
            let line: Vec<&str> = message.split_whitespace().collect();
            eprintln!("error: {}", line.join(" "));
            ExitCode::FAILURE
        }
    }
}

/// Writes `args` and a newline on standard output.
fn print_line(args: std::fmt::Arguments<'_>) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_fmt(args)?;
    out.write_all(b"\n")
}

/// Whether `e` is a write into a closed pipe.
fn is_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

/// Opens the dataset at `path` for reading: an error when the path holds
/// no committed version.
fn open_existing(path: &Path) -> Result<OrderedParquetDataset> {
    open_existing_with(path, None)
}

/// [`open_existing`] for a writer: its lock timeout is `lock_timeout`
/// (the library's default when `None`).
fn open_existing_with(
    path: &Path,
    lock_timeout: Option<Duration>,
) -> Result<OrderedParquetDataset> {
    let ds = OrderedParquetDataset::open_with(path, &open_options(lock_timeout))?;
    if ds.version().is_none() {
        return Err(format!("no dataset at {}", path.display()).into());
    }
    Ok(ds)
}

/// The options of a handle that waits `lock_timeout` for the writer lock
/// (the library's default when `None`).
fn open_options(lock_timeout: Option<Duration>) -> OpenOptions {
    let options = OpenOptions::new();
    match lock_timeout {
        Some(t) => options.lock_timeout(t),
        None => options,
    }
}

/// Opens the dataset at `path`, pinned to `version` when given.
fn open_at(path: &Path, version: Option<u64>) -> Result<OrderedParquetDataset> {
    let ds = OrderedParquetDataset::open(path)?;
    match version {
        Some(v) => Ok(ds.at_version(v)?),
        None if ds.version().is_none() => Err(format!("no dataset at {}", path.display()).into()),
        None => Ok(ds),
    }
}

/// Whether `path` is an object-store URL (`s3://…`, `gs://…`, `az://…`,
/// `memory://…`) rather than a local path: every command takes either.
fn is_remote(path: &Path) -> bool {
    path.to_str().is_some_and(ordo::storage::is_url)
}

/// Parses a `KEY=VALUE` argument.
fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got {s:?}")),
    }
}

/// Parses a non-negative number of seconds into a duration.
fn parse_seconds(s: &str) -> Result<std::time::Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("expected seconds, got {s:?}"))?;
    std::time::Duration::try_from_secs_f64(secs).map_err(|e| format!("{s:?}: {e}"))
}
