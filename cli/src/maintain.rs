//! Maintenance: `ordo gc`, `ordo compact`, `ordo meta` and `ordo remove`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use ordo::{CompactOptions, OrderedParquetDataset, Retention, RowGroupTarget, WriteReport};

use crate::{Result, open_existing_with, open_options, parse_key_value, parse_seconds, progress};

/// Arguments of `ordo gc`.
#[derive(Debug, clap::Args)]
pub struct GcArgs {
    /// The dataset directory.
    dataset: PathBuf,
    /// Keep the last N versions (at least 1; default 5).
    #[arg(long, value_name = "N")]
    keep_versions: Option<usize>,
    /// Keep every version replaced less than this many seconds ago
    /// (default 60).
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    older_than: Option<Duration>,
    /// Object stores only: spare unreferenced files modified, and
    /// versions replaced, less than this many seconds ago, since another
    /// writer may be about to commit on them (default 3600). Lower it only
    /// when no writer runs.
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    grace: Option<Duration>,
    /// Seconds to wait for the writer lock (default 30).
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    lock_timeout: Option<Duration>,
}

/// Arguments of `ordo compact`.
#[derive(Debug, clap::Args)]
pub struct CompactArgs {
    /// The dataset directory.
    dataset: PathBuf,
    /// Row-group target: a row count, or a period for a timestamp or date
    /// ordered column (default 100000 rows).
    #[arg(long, value_name = "ROWS|PERIOD")]
    target: Option<String>,
    /// Seconds to wait for the writer lock (default 30).
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    lock_timeout: Option<Duration>,
}

/// Arguments of `ordo remove`.
#[derive(Debug, clap::Args)]
pub struct RemoveArgs {
    /// The dataset directory.
    dataset: PathBuf,
    /// Remove it: without this flag, `remove` only says what it would
    /// delete and fails.
    #[arg(long)]
    yes: bool,
    /// Seconds to wait for the writer lock (default 30).
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    lock_timeout: Option<Duration>,
}

/// Arguments of `ordo upgrade`.
#[derive(Debug, clap::Args)]
pub struct UpgradeArgs {
    /// The dataset directory.
    dataset: PathBuf,
    /// Seconds to wait for the writer lock (default 30).
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    lock_timeout: Option<Duration>,
}

/// Arguments of `ordo meta`.
#[derive(Debug, clap::Args)]
pub struct MetaArgs {
    /// The dataset directory.
    dataset: PathBuf,
    /// What to do (default: print every entry as `KEY=VALUE`).
    #[command(subcommand)]
    action: Option<MetaAction>,
    /// Seconds to wait for the writer lock when changing entries
    /// (default 30).
    #[arg(long, value_name = "SECS", value_parser = parse_seconds, global = true)]
    lock_timeout: Option<Duration>,
}

/// Sub-commands of `ordo meta`.
#[derive(Debug, clap::Subcommand)]
pub enum MetaAction {
    /// Print the value of KEY; exits 1 when it is not set.
    Get {
        /// The key.
        key: String,
    },
    /// Set entries, in one commit.
    Set {
        /// The entries.
        #[arg(required = true, value_name = "KEY=VALUE", value_parser = parse_key_value)]
        entries: Vec<(String, String)>,
    },
    /// Remove entries, in one commit.
    Unset {
        /// The keys.
        #[arg(required = true, value_name = "KEY")]
        keys: Vec<String>,
    },
}

/// Runs `ordo gc`.
pub fn gc(args: GcArgs) -> Result<ExitCode> {
    let ds = open_existing_with(&args.dataset, args.lock_timeout)?;
    let mut retention = Retention::default();
    if let Some(n) = args.keep_versions {
        retention = retention.keep_versions(n);
    }
    if let Some(age) = args.older_than {
        retention = retention.keep_younger_than(age);
    }
    if let Some(grace) = args.grace {
        retention = retention.grace_period(grace);
    }
    let report = ds.gc(&retention)?;
    outln!(
        "deleted {} version(s) and {} file(s)",
        report.versions_deleted.len(),
        report.files_deleted.len()
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Prints what a commit did.
fn print_report(report: &WriteReport) -> std::io::Result<()> {
    let printed =
        if report.committed && report.row_groups_written + report.row_groups_rewritten == 0 {
            outln!("version {}: metadata updated", report.version)
        } else if report.committed {
            outln!(
                "version {}: {} rows in {} new row groups ({} row groups rewritten)",
                report.version,
                report.rows_written,
                report.row_groups_written,
                report.row_groups_rewritten
            )
        } else {
            outln!("version {}: nothing changed", report.version)
        };
    if let Some(e) = &report.gc_error {
        eprintln!("warning: garbage collection after the commit failed: {e}");
    }
    if let Some(e) = &report.checkpoint_error {
        eprintln!("warning: writing the checkpoint after the commit failed: {e}");
    }
    printed
}

/// Runs `ordo upgrade`: `OrderedParquetDataset::upgrade`.
pub fn upgrade(args: UpgradeArgs) -> Result<ExitCode> {
    let ds = open_existing_with(&args.dataset, args.lock_timeout)?;
    let report = ds.upgrade()?;
    if report.committed {
        outln!("version {}: upgraded to format 2", report.version)?;
    } else {
        outln!("version {}: already format 2", report.version)?;
    }
    if let Some(e) = &report.checkpoint_error {
        eprintln!("warning: writing the checkpoint after the commit failed: {e}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `ordo compact`.
pub fn compact(args: CompactArgs) -> Result<ExitCode> {
    let ds = open_existing_with(&args.dataset, args.lock_timeout)?;
    let mut opts = CompactOptions::new();
    if let Some(target) = &args.target {
        opts = opts.row_group_target_size(target.parse::<RowGroupTarget>()?);
    }
    let spinner = progress::spinner(&format!(
        "compacting {} rows of {}",
        ds.num_rows(),
        args.dataset.display()
    ));
    let report = ds.compact(&opts);
    spinner.finish_and_clear();
    print_report(&report?)?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `ordo meta`.
pub fn meta(args: MetaArgs) -> Result<ExitCode> {
    let ds = open_existing_with(&args.dataset, args.lock_timeout)?;
    let metadata = ds.key_value_metadata();
    let changes: Vec<(String, Option<String>)> = match args.action {
        None => {
            for (k, v) in &metadata {
                outln!("{k}={v}")?;
            }
            return Ok(ExitCode::SUCCESS);
        }
        Some(MetaAction::Get { key }) => {
            let value = metadata
                .get(&key)
                .ok_or_else(|| format!("no metadata key {key:?}"))?;
            outln!("{value}")?;
            return Ok(ExitCode::SUCCESS);
        }
        Some(MetaAction::Set { entries }) => {
            entries.into_iter().map(|(k, v)| (k, Some(v))).collect()
        }
        Some(MetaAction::Unset { keys }) => keys.into_iter().map(|k| (k, None)).collect(),
    };
    print_report(&ds.set_metadata(changes)?)?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `ordo remove`: `OrderedParquetDataset::remove`, once confirmed
/// with `--yes`.
pub fn remove(args: RemoveArgs) -> Result<ExitCode> {
    let ds = OrderedParquetDataset::open_with(&args.dataset, &open_options(args.lock_timeout))?;
    let versions = ds.versions()?;
    if versions.is_empty() {
        return Err(format!("no dataset at {}", args.dataset.display()).into());
    }
    if !args.yes {
        let what = match ds.version() {
            Some(v) => {
                let bytes: u64 = ds.row_group_stats().iter().map(|rg| rg.size_bytes).sum();
                format!(
                    "version {v} ({} rows in {} row groups, {bytes} bytes) and {} retained \
                     version(s) in all",
                    ds.num_rows(),
                    ds.num_row_groups(),
                    versions.len()
                )
            }
            None => format!(
                "the files left by a removal ({} version(s))",
                versions.len()
            ),
        };
        return Err(format!(
            "would remove dataset {}: {what}; run again with --yes to remove it",
            args.dataset.display()
        )
        .into());
    }
    ds.remove()?;
    outln!("removed {}", args.dataset.display())?;
    Ok(ExitCode::SUCCESS)
}
