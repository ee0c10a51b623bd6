//! Commands over every dataset under a root: `ordo ls` and `ordo verify`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ordo::{OrderedParquetDataset, dataset_dirs};
use serde_json::{Value, json};

use crate::{
    Result,
    info::{ordered_type, value_json, value_text},
    is_remote, open_existing, progress, table,
};

/// Arguments of `ordo ls`.
#[derive(Debug, clap::Args)]
pub struct LsArgs {
    /// The store root (any directory): every dataset below it is listed.
    root: PathBuf,
    /// Print one JSON array instead of a table.
    #[arg(long)]
    json: bool,
}

/// Arguments of `ordo verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// A dataset directory, or a root whose every dataset is checked.
    path: PathBuf,
}

/// The summary of one dataset, as `ls` prints it.
struct Summary {
    path: String,
    ds: OrderedParquetDataset,
}

impl Summary {
    fn bytes(&self) -> u64 {
        self.ds
            .row_group_stats()
            .iter()
            .map(|rg| rg.size_bytes)
            .sum()
    }

    /// The first and last ordered values, when there is a row.
    fn range(&self) -> Option<(ordo::OrderedValue, ordo::OrderedValue)> {
        let stats = self.ds.row_group_stats();
        Some((stats.first()?.min.clone(), stats.last()?.max.clone()))
    }

    fn json(&self) -> Value {
        let range = self.range();
        let dt = ordered_type(&self.ds);
        json!({
            "path": self.path,
            "version": self.ds.version(),
            "ordered_on": self.ds.ordered_on(),
            "num_rows": self.ds.num_rows(),
            "num_row_groups": self.ds.num_row_groups(),
            "min": range.as_ref().map(|r| value_json(&r.0, dt.as_ref())),
            "max": range.as_ref().map(|r| value_json(&r.1, dt.as_ref())),
            "bytes": self.bytes(),
        })
    }

    fn row(&self) -> Vec<String> {
        let dt = ordered_type(&self.ds);
        let (min, max) = self.range().map_or_else(
            || ("-".into(), "-".into()),
            |(a, b)| (value_text(&a, dt.as_ref()), value_text(&b, dt.as_ref())),
        );
        vec![
            self.path.clone(),
            self.ds
                .version()
                .map_or_else(|| "removed".into(), |v| v.to_string()),
            self.ds.ordered_on().unwrap_or_else(|| "-".into()),
            self.ds.num_rows().to_string(),
            self.ds.num_row_groups().to_string(),
            min,
            max,
            self.bytes().to_string(),
        ]
    }
}

/// `dir` joined to the root, as printed: `.` for the root itself.
fn display(root: &Path, rel: &Path) -> PathBuf {
    if rel.as_os_str().is_empty() {
        root.to_path_buf()
    } else {
        root.join(rel)
    }
}

/// Runs `ordo ls`.
pub fn ls(args: LsArgs) -> Result<ExitCode> {
    if !is_remote(&args.root) && !args.root.exists() {
        return Err(format!("no directory at {}", args.root.display()).into());
    }
    let mut found = Vec::new();
    // Datasets that cannot be opened (a corrupt manifest...): listed last.
    let mut broken = Vec::new();
    for rel in dataset_dirs(&args.root)? {
        let path = display(&args.root, &rel).display().to_string();
        match OrderedParquetDataset::open(&path) {
            Ok(ds) => found.push(Summary { path, ds }),
            Err(e) => broken.push((path, e.to_string())),
        }
    }
    let result = match broken.len() {
        0 => Ok(ExitCode::SUCCESS),
        n => Err(format!(
            "{n} dataset(s) under {} cannot be read",
            args.root.display()
        )
        .into()),
    };
    if args.json {
        let mut list: Vec<Value> = found.iter().map(Summary::json).collect();
        list.extend(broken.iter().map(|(p, e)| json!({"path": p, "error": e})));
        outln!("{}", Value::Array(list))?;
        return result;
    }
    if found.is_empty() && broken.is_empty() {
        outln!("no dataset under {}", args.root.display())?;
        return result;
    }
    let header = [
        "dataset",
        "version",
        "ordered_on",
        "rows",
        "row_groups",
        "min",
        "max",
        "bytes",
    ];
    let rows: Vec<Vec<String>> = found.iter().map(Summary::row).collect();
    if !rows.is_empty() {
        table::print("", &header, &rows, &[0, 2, 5, 6])?;
    }
    for (path, e) in &broken {
        outln!("{path}: {e}")?;
    }
    result
}

/// Runs `ordo verify`: a dataset, or every dataset under a root. Prints
/// each violation; exits 1 when there is one.
pub fn verify(args: VerifyArgs) -> Result<ExitCode> {
    let is_dataset = !OrderedParquetDataset::open(&args.path)?
        .versions()?
        .is_empty();
    if is_dataset {
        return verify_one(&args.path);
    }
    let dirs = dataset_dirs(&args.path)?;
    if dirs.is_empty() {
        return Err(format!("no dataset at or under {}", args.path.display()).into());
    }
    let bar = progress::bar(dirs.len() as u64, "verifying");
    let mut failed = 0;
    for rel in &dirs {
        let path = args.path.join(rel);
        bar.set_message(path.display().to_string());
        let problems = match open_existing(&path).and_then(|ds| Ok((ds.verify()?, ds))) {
            Ok((violations, _)) if violations.is_empty() => Vec::new(),
            Ok((violations, _)) => violations.iter().map(ToString::to_string).collect(),
            Err(e) => vec![e.to_string()],
        };
        bar.suspend(|| -> std::io::Result<()> {
            if problems.is_empty() {
                outln!("{}: ok", path.display())?;
            }
            for p in &problems {
                outln!("{}: {p}", path.display())?;
            }
            Ok(())
        })?;
        failed += usize::from(!problems.is_empty());
        bar.inc(1);
    }
    bar.finish_and_clear();
    if failed == 0 {
        outln!("ok: {} dataset(s)", dirs.len())?;
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "error: {failed} of {} dataset(s) under {} have violations",
            dirs.len(),
            args.path.display()
        );
        Ok(ExitCode::FAILURE)
    }
}

/// Verifies one dataset.
fn verify_one(path: &Path) -> Result<ExitCode> {
    let ds = open_existing(path)?;
    let violations = ds.verify()?;
    for v in &violations {
        outln!("{v}")?;
    }
    if violations.is_empty() {
        outln!(
            "ok: version {}, {} rows in {} row groups",
            ds.version().unwrap_or(0),
            ds.num_rows(),
            ds.num_row_groups()
        )?;
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "error: {} violation(s) in version {} of {}",
            violations.len(),
            ds.version().unwrap_or(0),
            ds.path().display()
        );
        Ok(ExitCode::FAILURE)
    }
}
