//! `ordo fields`: list, describe and print the field arrays (Zarr frames
//! over time) kept beside datasets.

use std::fmt::Display;
use std::path::PathBuf;
use std::process::ExitCode;

use ordo::arrow::datatypes::TimeUnit;
use ordo::chrono::DateTime;
use ordo::fields::{ElementType, FieldArray};
use ordo::ndarray::{ArrayD, Axis};
use serde_json::{Value, json};

use crate::{Result, table};

/// Arguments of `ordo fields`.
#[derive(Debug, clap::Args)]
pub struct FieldsArgs {
    #[command(subcommand)]
    action: FieldsAction,
}

/// Sub-commands of `ordo fields`.
#[derive(Debug, clap::Subcommand)]
pub enum FieldsAction {
    /// List the field arrays of a key (dataset) directory.
    Ls {
        /// The key directory (the one holding `_fields/`).
        keydir: PathBuf,
        /// Print one JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Describe one field array.
    Info {
        /// The field: its `.zarr` directory (`KEYDIR/_fields/NAME.zarr`)
        /// or `KEYDIR/NAME`.
        field: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print one frame: its shape, time, and values (or statistics).
    Cat {
        /// The field: its `.zarr` directory or `KEYDIR/NAME`.
        field: PathBuf,
        /// The frame index; negative counts from the end (-1 is the last).
        #[arg(long, value_name = "I", allow_negative_numbers = true)]
        frame: i64,
        /// Print count, NaNs, min, max and mean instead of the values.
        #[arg(long)]
        stats: bool,
    },
}

/// Runs `ordo fields`.
pub fn run(args: FieldsArgs) -> Result<ExitCode> {
    match args.action {
        FieldsAction::Ls { keydir, json } => ls(&keydir, json),
        FieldsAction::Info { field, json } => info(&FieldArray::open_path(&field)?, json),
        FieldsAction::Cat {
            field,
            frame,
            stats,
        } => cat(&FieldArray::open_path(&field)?, frame, stats),
    }
}

/// A time in `unit` as RFC 3339 (UTC), or the raw number when out of range.
fn time_text(t: i64, unit: TimeUnit) -> String {
    let instant = match unit {
        TimeUnit::Second => DateTime::from_timestamp(t, 0),
        TimeUnit::Millisecond => DateTime::from_timestamp_millis(t),
        TimeUnit::Microsecond => DateTime::from_timestamp_micros(t),
        TimeUnit::Nanosecond => Some(DateTime::from_timestamp_nanos(t)),
    };
    instant.map_or_else(|| t.to_string(), |d| d.to_rfc3339())
}

/// A field's description as JSON.
fn describe(field: &FieldArray) -> Result<Value> {
    let times = field.times()?;
    Ok(json!({
        "name": field.name(),
        "path": field.path().display().to_string(),
        "element_type": field.element_type().zarr_name(),
        "frame_shape": field.frame_shape(),
        "time_unit": format!("{:?}", field.time_unit()).to_lowercase(),
        "frames": times.len(),
        "first_time": times.first(),
        "last_time": times.last(),
    }))
}

/// `ordo fields ls`.
fn ls(keydir: &std::path::Path, as_json: bool) -> Result<ExitCode> {
    if !crate::is_remote(keydir) && !keydir.is_dir() {
        return Err(format!("no directory at {}", keydir.display()).into());
    }
    let mut fields = Vec::new();
    for name in FieldArray::list(keydir)? {
        fields.push(FieldArray::open(keydir, &name)?);
    }
    if as_json {
        let list = fields.iter().map(describe).collect::<Result<Vec<_>>>()?;
        outln!("{}", Value::Array(list))?;
        return Ok(ExitCode::SUCCESS);
    }
    if fields.is_empty() {
        outln!("no field array in {}", keydir.display())?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut rows = Vec::new();
    for f in &fields {
        let times = f.times()?;
        let time = |t: Option<&i64>| t.map_or_else(|| "-".into(), |&t| time_text(t, f.time_unit()));
        rows.push(vec![
            f.name().to_owned(),
            f.element_type().zarr_name().to_owned(),
            format!("{:?}", f.frame_shape()),
            times.len().to_string(),
            time(times.first()),
            time(times.last()),
        ]);
    }
    let header = ["field", "type", "frame_shape", "frames", "first", "last"];
    table::print("", &header, &rows, &[0, 1, 2, 4, 5])?;
    Ok(ExitCode::SUCCESS)
}

/// `ordo fields info`.
fn info(field: &FieldArray, as_json: bool) -> Result<ExitCode> {
    if as_json {
        outln!("{}", describe(field)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let times = field.times()?;
    let unit = field.time_unit();
    outln!("field:       {}", field.name())?;
    outln!("path:        {}", field.path().display())?;
    outln!("type:        {}", field.element_type().zarr_name())?;
    outln!("frame shape: {:?}", field.frame_shape())?;
    outln!("time unit:   {unit:?}")?;
    outln!("frames:      {}", times.len())?;
    if let (Some(&first), Some(&last)) = (times.first(), times.last()) {
        outln!("first time:  {first} ({})", time_text(first, unit))?;
        outln!("last time:   {last} ({})", time_text(last, unit))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `ordo fields cat`.
fn cat(field: &FieldArray, frame: i64, stats: bool) -> Result<ExitCode> {
    let times = field.times()?;
    let len = times.len() as i64;
    let i = if frame < 0 { len + frame } else { frame };
    if !(0..len).contains(&i) {
        return Err(format!(
            "frame {frame} is out of bounds: {} has {len} frames",
            field.path().display()
        )
        .into());
    }
    let t = times[i as usize];
    outln!("field: {}", field.name())?;
    outln!("frame: {i} of {len}")?;
    outln!("time:  {t} ({})", time_text(t, field.time_unit()))?;
    outln!("shape: {:?}", field.frame_shape())?;
    let i = i as u64;
    macro_rules! show {
        ($($e:ident => $t:ty),*) => {
            match field.element_type() {
                $(ElementType::$e => render(&field.frame::<$t>(i)?, |v| v as f64, stats),)*
                other => Err(format!("unsupported element type {}", other.zarr_name()).into()),
            }
        };
    }
    show!(F32 => f32, F64 => f64, I8 => i8, I16 => i16, I32 => i32, I64 => i64,
        U8 => u8, U16 => u16, U32 => u32, U64 => u64)?;
    Ok(ExitCode::SUCCESS)
}

/// Prints a frame's values, one line per innermost row, or its statistics.
fn render<T: Copy + Display>(a: &ArrayD<T>, to_f64: fn(T) -> f64, stats: bool) -> Result<()> {
    if stats {
        let (mut n, mut nan, mut sum) = (0u64, 0u64, 0.0);
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        for &v in a {
            let x = to_f64(v);
            if x.is_nan() {
                nan += 1;
                continue;
            }
            n += 1;
            sum += x;
            min = min.min(x);
            max = max.max(x);
        }
        outln!("count: {}", a.len())?;
        outln!("nan:   {nan}")?;
        if n > 0 {
            outln!("min:   {min}")?;
            outln!("max:   {max}")?;
            outln!("mean:  {}", sum / n as f64)?;
        }
        return Ok(());
    }
    outln!("values:")?;
    if a.ndim() == 0 {
        for v in a {
            outln!("{v}")?;
        }
        return Ok(());
    }
    for lane in a.lanes(Axis(a.ndim() - 1)) {
        let cells: Vec<String> = lane.iter().map(ToString::to_string).collect();
        outln!("{}", cells.join(" "))?;
    }
    Ok(())
}
