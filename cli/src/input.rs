//! Reading the inputs of `ordo write`: Parquet, Arrow IPC, CSV and JSON
//! lines, from files or standard input, concatenated into one batch.

use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ordo::arrow::array::{
    Array, ArrayRef, AsArray, BinaryBuilder, FixedSizeBinaryBuilder, Int64Array, RecordBatch,
    new_null_array,
};
use ordo::arrow::compute::{CastOptions, can_cast_types, cast_with_options, concat_batches};
use ordo::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use ordo::arrow::error::ArrowError;
use ordo::arrow::ipc::reader::{FileReader, StreamReader};
use ordo::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use ordo::parquet::file::reader::ChunkReader;

use crate::schema::ForcedTypes;
use crate::{BoxError, Result, progress};

/// Input formats of `ordo write`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// Parquet.
    Parquet,
    /// CSV with a header row.
    Csv,
    /// JSON lines.
    Jsonl,
    /// Arrow IPC, file or stream format.
    Ipc,
}

impl InputFormat {
    /// The format of `path` by its extension.
    fn of(path: &Path) -> Result<Self> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        Ok(match ext.as_deref() {
            Some("parquet") => Self::Parquet,
            Some("csv") => Self::Csv,
            Some("jsonl" | "ndjson") => Self::Jsonl,
            Some("arrow" | "arrows" | "ipc" | "feather") => Self::Ipc,
            _ => {
                return Err(
                    "unknown file type: expected .parquet, .csv, .jsonl, .ndjson, \
                     .arrow, .ipc or .feather, or name the format with --input-format"
                        .into(),
                );
            }
        })
    }
}

/// How to read the inputs.
#[derive(Debug, Default)]
pub struct InputOptions {
    /// The format of every input (by extension otherwise).
    pub format: Option<InputFormat>,
    /// Column types forced on CSV and JSON-lines inputs.
    pub types: Option<ForcedTypes>,
    /// The schema of the dataset written to, when it has one: CSV and
    /// JSON-lines columns it has are read with its types.
    pub dataset: Option<SchemaRef>,
}

/// The rows of one input.
type Batches = (SchemaRef, Vec<RecordBatch>);

/// An error that names its input itself (`line 3 of day.csv: ...`),
/// printed without the `FILE: ` prefix other input errors get.
#[derive(Debug)]
struct Located(String);

impl std::fmt::Display for Located {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Located {}

/// How an input is named in messages.
fn input_name(path: &Path) -> String {
    if path == Path::new("-") {
        "standard input".into()
    } else {
        path.display().to_string()
    }
}

/// Reads every input (`-` is standard input) and concatenates their rows,
/// in order, into one batch. The inputs must have the same columns with
/// the same types, in any order (the first input's order is kept).
pub fn read_inputs(files: &[PathBuf], opts: &InputOptions) -> Result<RecordBatch> {
    let sizes: Vec<u64> = files
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .collect();
    let bar = progress::bytes(sizes.iter().sum(), "reading");
    let mut inputs = Vec::new();
    for (path, size) in files.iter().zip(sizes) {
        bar.set_message(path.display().to_string());
        let (schema, batches) = read_one(path, opts).map_err(|e| -> BoxError {
            if e.is::<Located>() {
                e
            } else {
                format!("{}: {e}", input_name(path)).into()
            }
        })?;
        bar.inc(size);
        inputs.push((path.as_path(), schema, batches));
    }
    bar.finish_and_clear();
    let schema = common_schema(&inputs)?;
    // Files may carry schema metadata, nullability and column orders that
    // differ: give every batch the common schema.
    let mut batches = Vec::new();
    for (_, file_schema, file_batches) in inputs {
        for batch in file_batches {
            batches.push(if file_schema.fields() == schema.fields() {
                batch.with_schema(schema.clone())?
            } else {
                let columns = schema
                    .fields()
                    .iter()
                    .map(|f| {
                        batch
                            .column(file_schema.index_of(f.name()).expect("checked"))
                            .clone()
                    })
                    .collect();
                RecordBatch::try_new(schema.clone(), columns)?
            });
        }
    }
    Ok(concat_batches(&schema, &batches)?)
}

/// The schema every input shares: the first input's, with a column
/// nullable when it is in any input. An error names each column that
/// differs in type or is not in every input.
fn common_schema(inputs: &[(&Path, SchemaRef, Vec<RecordBatch>)]) -> Result<SchemaRef> {
    let (first_path, first, _) = inputs.first().expect("clap requires at least one file");
    let first_name = input_name(first_path);
    let mut nullable: Vec<bool> = first.fields().iter().map(|f| f.is_nullable()).collect();
    for (path, schema, _) in &inputs[1..] {
        if schema.fields() == first.fields() {
            continue;
        }
        let name = input_name(path);
        for s in [first, schema] {
            let mut seen = std::collections::HashSet::new();
            if let Some(f) = s.fields().iter().find(|f| !seen.insert(f.name())) {
                return Err(format!("column `{}` appears twice in an input", f.name()).into());
            }
        }
        let mut problems = Vec::new();
        for (i, f) in first.fields().iter().enumerate() {
            match schema.field_with_name(f.name()) {
                Err(_) => problems.push(format!(
                    "column `{}` is in {first_name} but not in {name}",
                    f.name()
                )),
                Ok(g) if g.data_type() != f.data_type() => problems.push(format!(
                    "column `{}` is {} in {first_name} but {} in {name}",
                    f.name(),
                    f.data_type(),
                    g.data_type()
                )),
                Ok(g) => nullable[i] |= g.is_nullable(),
            }
        }
        for g in schema.fields() {
            if first.field_with_name(g.name()).is_err() {
                problems.push(format!(
                    "column `{}` is in {name} but not in {first_name}",
                    g.name()
                ));
            }
        }
        if !problems.is_empty() {
            return Err(format!("the inputs differ: {}", problems.join("; ")).into());
        }
    }
    let fields: Vec<Field> = first
        .fields()
        .iter()
        .zip(nullable)
        .map(|(f, nullable)| f.as_ref().clone().with_nullable(nullable))
        .collect();
    Ok(Arc::new(Schema::new_with_metadata(
        fields,
        first.metadata().clone(),
    )))
}

/// Reads one input: a file, or standard input for `-`.
fn read_one(path: &Path, opts: &InputOptions) -> Result<Batches> {
    let stdin = path == Path::new("-");
    let format = match opts.format {
        Some(f) => f,
        None if stdin => return Err("reading standard input needs --input-format".into()),
        None => InputFormat::of(path)?,
    };
    if opts.types.is_some() && matches!(format, InputFormat::Parquet | InputFormat::Ipc) {
        return Err("--schema applies to CSV and JSON-lines inputs only".into());
    }
    let name = input_name(path);
    if stdin {
        let mut bytes = Vec::new();
        std::io::stdin().lock().read_to_end(&mut bytes)?;
        return match format {
            InputFormat::Parquet => read_parquet(bytes::Bytes::from(bytes)),
            InputFormat::Csv => read_csv(Cursor::new(bytes), &name, opts),
            InputFormat::Jsonl => read_jsonl(Cursor::new(bytes), &name, opts),
            InputFormat::Ipc => read_ipc(Cursor::new(bytes)),
        };
    }
    let file = File::open(path)?;
    match format {
        InputFormat::Parquet => read_parquet(file),
        InputFormat::Csv => read_csv(BufReader::new(file), &name, opts),
        InputFormat::Jsonl => read_jsonl(BufReader::new(file), &name, opts),
        InputFormat::Ipc => read_ipc(BufReader::new(file)),
    }
}

fn read_parquet<R: ChunkReader + 'static>(input: R) -> Result<Batches> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(input)?;
    let schema = builder.schema().clone();
    let batches = builder.build()?.collect::<Result<Vec<_>, _>>()?;
    Ok((schema, batches))
}

/// The types to read a CSV or JSON-lines input with: for each column, the
/// type forced with `--schema`, else the dataset's, else the inferred one.
/// Columns stay nullable.
fn target_schema(inferred: &Schema, opts: &InputOptions) -> Result<SchemaRef> {
    if let Some(types) = &opts.types {
        types.check_columns(inferred)?;
    }
    let fields: Vec<Field> = inferred
        .fields()
        .iter()
        .map(|f| {
            let forced = opts.types.as_ref().and_then(|t| t.get(f.name()));
            let stored = opts
                .dataset
                .as_ref()
                .and_then(|s| s.field_with_name(f.name()).ok())
                .map(|f| f.data_type());
            let dt = forced.or(stored).unwrap_or(f.data_type());
            Field::new(f.name(), dt.clone(), true)
        })
        .collect();
    Ok(Arc::new(Schema::new(fields)))
}

/// Reads CSV with a header row: every column read as text, then
/// converted to its type (see [`target_schema`]), so that a value that
/// does not convert is reported with its column name and its line in the
/// file.
fn read_csv<R: Read + Seek>(mut input: R, name: &str, opts: &InputOptions) -> Result<Batches> {
    if input.read(&mut [0u8; 1])? == 0 {
        return Err(Located(format!(
            "{name} is empty: a CSV input needs at least a header row"
        ))
        .into());
    }
    input.rewind()?;
    let format = ordo::arrow::csv::reader::Format::default().with_header(true);
    let (inferred, _) = format
        .infer_schema(&mut input, None)
        .map_err(|e| ragged(e, name))?;
    let target = target_schema(&inferred, opts)?;
    let text: Vec<Field> = inferred
        .fields()
        .iter()
        .map(|f| Field::new(f.name(), DataType::Utf8, true))
        .collect();
    input.rewind()?;
    let mut batches = Vec::new();
    let failure = {
        let reader = ordo::arrow::csv::ReaderBuilder::new(Arc::new(Schema::new(text)))
            .with_format(format)
            .build(&mut input)?;
        read_text(reader, &target, &mut batches)?
    };
    match failure {
        None => Ok((target, batches)),
        Some((record, what)) => {
            let line = line_of(&mut input, record, name)?;
            Err(Located(format!("{line}: {what}")).into())
        }
    }
}

/// arrow-csv's error for a record whose field count differs from the
/// header's, reworded: `line N of FILE: expected 3 fields, found 2`.
fn ragged(e: ArrowError, name: &str) -> BoxError {
    if let ArrowError::CsvError(message) = &e
        && let Some(rest) = message
            .strip_prefix("Encountered unequal lengths between records on CSV file. Expected ")
        && let Some((expected, rest)) = rest.split_once(" records, found ")
        && let Some((found, line)) = rest.split_once(" records at line ")
    {
        return Located(format!(
            "line {line} of {name}: expected {expected} fields, as in the header, found {found}"
        ))
        .into();
    }
    e.into()
}

/// Converts every batch of text from `reader` to `target`'s types into
/// `batches`. Stops at the first record that cannot be read, returning
/// its number (0 is the header) and what is wrong with it.
fn read_text(
    reader: impl Iterator<Item = Result<RecordBatch, ArrowError>>,
    target: &SchemaRef,
    batches: &mut Vec<RecordBatch>,
) -> Result<Option<(usize, String)>> {
    // Data rows read so far: row `r` is record `r + 1`.
    let mut rows = 0;
    for batch in reader {
        let batch = match batch {
            Ok(batch) => batch,
            Err(ArrowError::CsvError(message)) => {
                // `incorrect number of fields for line N, ...`, where
                // arrow-csv counts records from 1, the header being 1.
                let located = message
                    .strip_prefix("incorrect number of fields for line ")
                    .and_then(|rest| rest.split_once(", "))
                    .and_then(|(n, rest)| Some((n.parse::<usize>().ok()?.checked_sub(1)?, rest)));
                if let Some((record, rest)) = located {
                    let rest = rest.replace(" got ", " fields, as in the header, found ");
                    return Ok(Some((record, rest)));
                }
                return Err(ArrowError::CsvError(message).into());
            }
            Err(e) => return Err(e.into()),
        };
        let mut columns = Vec::with_capacity(batch.num_columns());
        for (column, field) in batch.columns().iter().zip(target.fields()) {
            match convert(column, field.data_type()) {
                Ok(array) => columns.push(array),
                Err(Unreadable::Type(reason)) => {
                    return Err(format!("column `{}`: {reason}", field.name()).into());
                }
                Err(Unreadable::Value { row, reason }) => {
                    let value = column.as_string::<i32>().value(row);
                    let what = format!(
                        "column `{}`: cannot read {value:?} as {}{reason}",
                        field.name(),
                        field.data_type()
                    );
                    return Ok(Some((rows + row + 1, what)));
                }
            }
        }
        rows += batch.num_rows();
        batches.push(RecordBatch::try_new(target.clone(), columns)?);
    }
    Ok(None)
}

/// `line N of NAME`: where record `record` (0 is the header) starts in
/// the input.
fn line_of<R: Read + Seek>(input: &mut R, record: usize, name: &str) -> Result<String> {
    input.rewind()?;
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes)?;
    Ok(match record_line(&bytes, record) {
        Some(line) => format!("line {line} of {name}"),
        None => format!("record {record} of {name}"),
    })
}

/// The line (from 1) where CSV record `record` (from 0) starts, parsed as
/// arrow-csv parses (with csv-core, which skips empty lines).
fn record_line(bytes: &[u8], record: usize) -> Option<usize> {
    let mut reader = csv_core::Reader::new();
    let (mut out, mut ends) = (vec![0u8; 64 * 1024], vec![0usize; 1024]);
    let (mut pos, mut n) = (0, 0);
    let mut in_record = false;
    loop {
        if !in_record {
            // Empty lines between records belong to no record.
            while bytes.get(pos).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
                pos += 1;
            }
            if pos == bytes.len() {
                return None;
            }
            if n == record {
                return Some(1 + bytes[..pos].iter().filter(|&&b| b == b'\n').count());
            }
            in_record = true;
        }
        let (result, read, _, _) = reader.read_record(&bytes[pos..], &mut out, &mut ends);
        pos += read;
        match result {
            csv_core::ReadRecordResult::Record => {
                n += 1;
                in_record = false;
            }
            csv_core::ReadRecordResult::OutputFull | csv_core::ReadRecordResult::OutputEndsFull => {
            }
            csv_core::ReadRecordResult::InputEmpty if pos < bytes.len() => {}
            csv_core::ReadRecordResult::InputEmpty | csv_core::ReadRecordResult::End => {
                return None;
            }
        }
    }
}

/// Why a CSV column does not convert to its type.
enum Unreadable {
    /// No value can: the type cannot be read from text.
    Type(String),
    /// The value of this row (from 0) does not; `reason` is appended to
    /// the message.
    Value { row: usize, reason: &'static str },
}

/// Converts a column of text to `to`. Empty values are nulls.
fn convert(text: &ArrayRef, to: &DataType) -> Result<ArrayRef, Unreadable> {
    let strings = text.as_string::<i32>();
    let bad = |row, reason| Unreadable::Value { row, reason };
    match to {
        DataType::Utf8 => Ok(text.clone()),
        DataType::Null => match strings.iter().position(|v| v.is_some()) {
            Some(row) => Err(bad(row, " (a Null column holds only empty values)")),
            None => Ok(new_null_array(to, text.len())),
        },
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
            let mut builder = BinaryBuilder::new();
            for (row, value) in strings.iter().enumerate() {
                match value {
                    None => builder.append_null(),
                    Some(hex) => builder.append_value(
                        from_hex(hex).ok_or_else(|| bad(row, " (expected hexadecimal digits)"))?,
                    ),
                }
            }
            let binary: ArrayRef = Arc::new(builder.finish());
            checked_cast(&binary, to, "")
        }
        DataType::FixedSizeBinary(width) => {
            let mut builder = FixedSizeBinaryBuilder::new(*width);
            for (row, value) in strings.iter().enumerate() {
                let reason = " (expected hexadecimal digits of the type's width)";
                match value {
                    None => builder.append_null(),
                    Some(hex) => {
                        let bytes = from_hex(hex).ok_or_else(|| bad(row, reason))?;
                        builder.append_value(bytes).map_err(|_| bad(row, reason))?;
                    }
                }
            }
            Ok(Arc::new(builder.finish()))
        }
        DataType::Duration(unit) => {
            let reason = " (expected an ISO 8601 duration or an integer count of the unit)";
            let mut counts = Vec::with_capacity(strings.len());
            for (row, value) in strings.iter().enumerate() {
                counts.push(match value {
                    None => None,
                    Some(text) => {
                        Some(duration_count(text, *unit).ok_or_else(|| bad(row, reason))?)
                    }
                });
            }
            let counts: ArrayRef = Arc::new(Int64Array::from(counts));
            checked_cast(&counts, to, reason)
        }
        DataType::List(_)
        | DataType::LargeList(_)
        | DataType::ListView(_)
        | DataType::LargeListView(_)
        | DataType::FixedSizeList(..)
        | DataType::Struct(_)
        | DataType::Map(..)
        | DataType::Union(..)
        | DataType::RunEndEncoded(..) => Err(Unreadable::Type(format!(
            "CSV cannot hold {to} values: use JSON lines, Parquet or Arrow IPC"
        ))),
        // Epoch counts in the column's unit, as `--start` takes them.
        DataType::Timestamp(..) | DataType::Date32 | DataType::Date64
            if strings
                .iter()
                .flatten()
                .all(|v| v.trim().parse::<i64>().is_ok()) =>
        {
            let counts: Int64Array = strings
                .iter()
                .map(|v| v.map(|v| v.trim().parse::<i64>().expect("checked")))
                .collect();
            checked_cast(&(Arc::new(counts) as ArrayRef), to, "")
        }
        _ => checked_cast(text, to, ""),
    }
}

/// `from` cast to `to`; a value that does not convert is an error.
fn checked_cast(
    from: &ArrayRef,
    to: &DataType,
    reason: &'static str,
) -> Result<ArrayRef, Unreadable> {
    if !can_cast_types(from.data_type(), to) {
        return Err(Unreadable::Type(format!(
            "{to} values cannot be read from CSV"
        )));
    }
    let options = CastOptions {
        safe: true,
        ..CastOptions::default()
    };
    let out = cast_with_options(from, to, &options).map_err(|e| Unreadable::Type(e.to_string()))?;
    match (0..from.len()).find(|&i| from.is_valid(i) && out.is_null(i)) {
        Some(row) => Err(Unreadable::Value { row, reason }),
        None => Ok(out),
    }
}

/// A duration as a count of `unit`: an integer (the count itself), or an
/// ISO 8601 duration in days, hours, minutes and seconds (`PT1.5S`,
/// `-P1DT2H`, `P0D`), as `ordo cat` prints durations. `None` when the text
/// is neither or is not a whole number of `unit`.
fn duration_count(text: &str, unit: TimeUnit) -> Option<i64> {
    if let Ok(count) = text.parse::<i64>() {
        return Some(count);
    }
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let mut rest = rest.strip_prefix('P')?;
    let (mut nanos, mut in_time, mut parts) = (0i128, false, 0);
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('T').filter(|_| !in_time) {
            (rest, in_time) = (r, true);
            continue;
        }
        let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let (number, designator) = (&rest[..end], rest[end..].chars().next()?);
        let scale: i128 = match (in_time, designator) {
            (false, 'D') => 86_400_000_000_000,
            (false, 'W') => 7 * 86_400_000_000_000,
            (true, 'H') => 3_600_000_000_000,
            (true, 'M') => 60_000_000_000,
            (true, 'S') => 1_000_000_000,
            _ => return None,
        };
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() || (designator != 'S' && !fraction.is_empty()) || fraction.len() > 9 {
            return None;
        }
        nanos += whole.parse::<i128>().ok()? * scale;
        if !fraction.is_empty() {
            let digits = format!("{fraction:0<9}");
            nanos += digits.parse::<i128>().ok()?;
        }
        rest = &rest[end + 1..];
        parts += 1;
    }
    if parts == 0 {
        return None;
    }
    let per_unit: i128 = match unit {
        TimeUnit::Second => 1_000_000_000,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    };
    if nanos % per_unit != 0 {
        return None;
    }
    let count = i64::try_from(nanos / per_unit).ok()?;
    Some(if negative { -count } else { count })
}

/// The bytes written as hexadecimal digits (as `ordo cat` prints binary
/// values).
fn from_hex(hex: &str) -> Option<Vec<u8>> {
    let digits = hex.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(text, 16).ok()
        })
        .collect()
}

/// Reads JSON lines: types inferred, then the dataset's and the forced
/// ones applied (see [`target_schema`]).
fn read_jsonl<R: BufRead + Seek>(mut input: R, name: &str, opts: &InputOptions) -> Result<Batches> {
    let (inferred, _) =
        ordo::arrow::json::reader::infer_json_schema_from_seekable(&mut input, None)?;
    if inferred.fields().is_empty() {
        return Err(Located(format!(
            "{name} is empty: a JSON-lines input needs at least one object with a column"
        ))
        .into());
    }
    let schema = target_schema(&inferred, opts)?;
    let reader = ordo::arrow::json::ReaderBuilder::new(schema.clone()).build(input)?;
    Ok((schema, reader.collect::<Result<Vec<_>, _>>()?))
}

/// Reads Arrow IPC, told apart by their first bytes: the file format
/// (`ARROW1`) or the stream format (a continuation marker). Buffers
/// compressed with LZ4 or zstd (pyarrow's and pandas' default for Feather)
/// are read too.
fn read_ipc<R: Read + Seek>(mut input: R) -> Result<Batches> {
    let mut magic = [0u8; 6];
    let n = input.read(&mut magic)?;
    input.rewind()?;
    if &magic[..n] == b"ARROW1" {
        let reader = FileReader::try_new(input, None)?;
        let schema = reader.schema();
        Ok((schema, reader.collect::<Result<Vec<_>, _>>()?))
    } else if n >= 4 && magic[..4] == [0xff; 4] {
        let reader = StreamReader::try_new(input, None)?;
        let schema = reader.schema();
        Ok((schema, reader.collect::<Result<Vec<_>, _>>()?))
    } else {
        Err("not an Arrow IPC file or stream".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_counts_or_iso_8601() {
        let s = TimeUnit::Second;
        let ms = TimeUnit::Millisecond;
        assert_eq!(duration_count("42", s), Some(42));
        assert_eq!(duration_count("-3", ms), Some(-3));
        assert_eq!(duration_count("PT5S", s), Some(5));
        assert_eq!(duration_count("PT1.5S", ms), Some(1500));
        assert_eq!(duration_count("-PT0.001S", ms), Some(-1));
        assert_eq!(duration_count("P0D", s), Some(0));
        assert_eq!(
            duration_count("P1DT2H3M4S", s),
            Some(86_400 + 7_200 + 180 + 4)
        );
        assert_eq!(
            duration_count("PT86400S", TimeUnit::Nanosecond),
            Some(86_400_000_000_000)
        );
        for bad in ["", "P", "PT", "PT1.5S5", "PT1.5H", "1S", "P1S", "PT0.5S"] {
            assert_eq!(duration_count(bad, s), None, "{bad:?}");
        }
    }

    #[test]
    fn records_start_at_their_line() {
        let csv = b"a,b\n1,\"two\nlines\"\n\n\n3,x\r\n4,y";
        assert_eq!(record_line(csv, 0), Some(1));
        assert_eq!(record_line(csv, 1), Some(2));
        assert_eq!(record_line(csv, 2), Some(6));
        assert_eq!(record_line(csv, 3), Some(7));
        assert_eq!(record_line(csv, 4), None);
    }

    #[test]
    fn hex_digits_decode() {
        assert_eq!(from_hex("00ffA0"), Some(vec![0, 255, 160]));
        assert_eq!(from_hex(""), Some(vec![]));
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("zz"), None);
    }
}
