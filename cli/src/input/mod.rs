//! Reading the inputs of `ordo write`: Parquet, Arrow IPC, CSV and JSON
//! lines, from files or standard input, as one stream of batches with the
//! schema they share. Only what a format needs up front is read before
//! the stream starts (footers, headers, type inference); the rows are
//! read as the write consumes them, so memory does not grow with the
//! input.

mod csv;
mod places;
mod text;
mod widen;

pub use places::RowPlaces;

use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use ordo::arrow::array::RecordBatch;
use ordo::arrow::datatypes::{Field, Schema, SchemaRef};
use ordo::arrow::error::ArrowError;
use ordo::arrow::ipc::reader::{FileReader, StreamReader};
use ordo::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use ordo::parquet::file::reader::ChunkReader;

use crate::schema::ForcedTypes;
use crate::{BoxError, Result};

/// Rows per batch read from an input.
const BATCH_ROWS: usize = 64 * 1024;

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
#[derive(Debug, Default, Clone)]
pub struct InputOptions {
    /// The format of every input (by extension otherwise).
    pub format: Option<InputFormat>,
    /// Column types forced on CSV and JSON-lines inputs.
    pub types: Option<ForcedTypes>,
    /// The schema of the dataset written to, when it has one: CSV and
    /// JSON-lines columns it has are read with its types.
    pub dataset: Option<SchemaRef>,
    /// Infer CSV types from every record instead of the first
    /// [`CSV_SAMPLE`] (see [`SampledType`]).
    pub infer_from_all: bool,
}

/// Records of a CSV input its types are first inferred from.
pub const CSV_SAMPLE: usize = 100_000;

/// A CSV value that does not convert to a type inferred from the first
/// [`CSV_SAMPLE`] records only. `ordo write` then reads the inputs again
/// with types inferred from every record: a pass over a whole file costs
/// more than the rest of an import, and is rarely needed.
#[derive(Debug)]
pub struct SampledType(String);

impl std::fmt::Display for SampledType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SampledType {}

/// The batches of one input, read lazily (on another thread than the
/// write's).
type Batches = Box<dyn Iterator<Item = Result<RecordBatch>> + Send>;

/// One input opened: its schema and its batches.
type Opened = (SchemaRef, Batches);

/// One input opened, with its name.
type Named = (String, SchemaRef, Batches);

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

/// Where an input's bytes come from: a file, or standard input read into
/// memory (it cannot be read twice).
#[derive(Debug, Clone)]
enum Origin {
    File(PathBuf),
    Stdin(Bytes),
}

impl Origin {
    /// How the input is named in messages.
    fn name(&self) -> String {
        match self {
            Self::File(path) => input_name(path),
            Self::Stdin(_) => input_name(Path::new("-")),
        }
    }

    /// All the input's bytes (to locate a record after an error).
    fn bytes(&self) -> std::io::Result<Bytes> {
        match self {
            Self::File(path) => std::fs::read(path).map(Bytes::from),
            Self::Stdin(bytes) => Ok(bytes.clone()),
        }
    }
}

/// The inputs of `ordo write`, opened: the schema they share, and their
/// batches still to read.
pub struct Inputs {
    schema: SchemaRef,
    opened: Vec<Named>,
    /// Each input's bytes when it is a CSV input (to find a row's line).
    csv: Vec<Option<Origin>>,
    places: RowPlaces,
}

/// Opens every input (`-` is standard input) and checks that they have
/// the same columns with the same types, in any order (the first input's
/// order is kept); their rows are read later, in order, by
/// [`Inputs::batches`]. Text inputs whose inferred types differ only in
/// what a wider type holds are all read with it (see [`widen`]).
pub fn open_inputs(files: &[PathBuf], opts: &InputOptions) -> Result<Inputs> {
    let (opened, csv) = open_each(files, opts)?;
    let differ = match common_schema(&opened) {
        Ok(schema) => return Ok(Inputs::new(schema, opened, csv)),
        Err(differ) => differ,
    };
    let mut inferred = Vec::new();
    for ((_, schema, _), path) in opened.iter().zip(files) {
        let text = matches!(
            format_of(path, opts)?,
            InputFormat::Csv | InputFormat::Jsonl
        );
        inferred.push((schema.as_ref(), text));
    }
    let fixed = |name: &str| {
        opts.types.as_ref().is_some_and(|t| t.get(name).is_some())
            || (opts.dataset.as_ref()).is_some_and(|s| s.field_with_name(name).is_ok())
    };
    let Some(wider) = widen::widened(&inferred, fixed) else {
        return Err(differ);
    };
    let opts = InputOptions {
        types: Some(ForcedTypes::extended(opts.types.as_ref(), wider)),
        ..opts.clone()
    };
    let (opened, csv) = open_each(files, &opts)?;
    Ok(Inputs::new(common_schema(&opened)?, opened, csv))
}

/// Opens every input with the types `opts` give; with each, its bytes'
/// origin when it is a CSV input.
fn open_each(files: &[PathBuf], opts: &InputOptions) -> Result<(Vec<Named>, Vec<Option<Origin>>)> {
    let mut opened = Vec::new();
    let mut csv = Vec::new();
    for path in files {
        let name = input_name(path);
        let (schema, batches) = open_one(path, opts).map_err(|e| in_input(e, &name))?;
        opened.push((name, schema, batches));
        csv.push(match format_of(path, opts)? {
            InputFormat::Csv if path == Path::new("-") => Some(Origin::Stdin(stdin_bytes()?)),
            InputFormat::Csv => Some(Origin::File(path.to_owned())),
            _ => None,
        });
    }
    Ok((opened, csv))
}

/// `e`, prefixed with the input's name unless it names it already.
fn in_input(e: BoxError, name: &str) -> BoxError {
    if e.is::<Located>() || e.is::<SampledType>() {
        e
    } else {
        format!("{name}: {e}").into()
    }
}

impl Inputs {
    fn new(schema: SchemaRef, opened: Vec<Named>, csv: Vec<Option<Origin>>) -> Self {
        Self {
            schema,
            opened,
            csv,
            places: RowPlaces::default(),
        }
    }

    /// Where the rows of [`batches`](Self::batches) come from, filled in
    /// as they are read.
    pub fn places(&self) -> RowPlaces {
        self.places.clone()
    }

    /// Every input's rows, in order, with the shared schema; `on_batch`
    /// sees the input's name and the rows read from it so far.
    pub fn batches(
        self,
        mut on_batch: impl FnMut(&str, u64) + Send,
    ) -> impl Iterator<Item = Result<RecordBatch>> + Send {
        let (schema, places) = (self.schema, self.places);
        self.opened
            .into_iter()
            .zip(self.csv)
            .enumerate()
            .flat_map(move |(input, ((name, file_schema, batches), csv))| {
                let (schema, places) = (schema.clone(), places.clone());
                let mut rows = 0u64;
                batches.map(move |batch| {
                    let batch = batch.map_err(|e| in_input(e, &name))?;
                    rows += batch.num_rows() as u64;
                    places.record(input, &name, csv.as_ref(), batch.num_rows() as u64);
                    Ok((
                        name.clone(),
                        rows,
                        with_schema(batch, &file_schema, &schema)?,
                    ))
                })
            })
            .map(move |item: Result<(String, u64, RecordBatch)>| {
                let (name, rows, batch) = item?;
                on_batch(&name, rows);
                Ok(batch)
            })
    }
}

/// `batch` (of an input with `file_schema`) with the shared `schema`:
/// inputs may carry schema metadata, nullability and column orders that
/// differ.
fn with_schema(
    batch: RecordBatch,
    file_schema: &SchemaRef,
    schema: &SchemaRef,
) -> Result<RecordBatch, ArrowError> {
    if file_schema.fields() == schema.fields() {
        return batch.with_schema(schema.clone());
    }
    let columns = schema
        .fields()
        .iter()
        .map(|f| {
            batch
                .column(file_schema.index_of(f.name()).expect("checked"))
                .clone()
        })
        .collect();
    RecordBatch::try_new(schema.clone(), columns)
}

/// The schema every input shares: the first input's, with a column
/// nullable when it is in any input. An error names each column that
/// differs in type or is not in every input.
fn common_schema(inputs: &[Named]) -> Result<SchemaRef> {
    let (first_name, first, _) = inputs.first().expect("clap requires at least one file");
    let mut nullable: Vec<bool> = first.fields().iter().map(|f| f.is_nullable()).collect();
    for (name, schema, _) in &inputs[1..] {
        if schema.fields() == first.fields() {
            continue;
        }
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

/// Opens one input: a file, or standard input for `-`.
fn open_one(path: &Path, opts: &InputOptions) -> Result<Opened> {
    let stdin = path == Path::new("-");
    let format = format_of(path, opts)?;
    if opts.types.is_some() && matches!(format, InputFormat::Parquet | InputFormat::Ipc) {
        return Err("--schema applies to CSV and JSON-lines inputs only".into());
    }
    if stdin {
        let bytes = stdin_bytes()?;
        let origin = Origin::Stdin(bytes.clone());
        return match format {
            InputFormat::Parquet => read_parquet(bytes),
            InputFormat::Csv => csv::read_csv(Cursor::new(bytes), origin, opts),
            InputFormat::Jsonl => read_jsonl(Cursor::new(bytes), &origin.name(), opts),
            InputFormat::Ipc => read_ipc(Cursor::new(bytes)),
        };
    }
    let file = File::open(path)?;
    let origin = Origin::File(path.to_owned());
    match format {
        InputFormat::Parquet => read_parquet(file),
        InputFormat::Csv => csv::read_csv(BufReader::new(file), origin, opts),
        InputFormat::Jsonl => read_jsonl(BufReader::new(file), &origin.name(), opts),
        InputFormat::Ipc => read_ipc(BufReader::new(file)),
    }
}

/// The format of input `path`: the one named for every input, else by
/// its extension.
fn format_of(path: &Path, opts: &InputOptions) -> Result<InputFormat> {
    match opts.format {
        Some(f) => Ok(f),
        None if path == Path::new("-") => Err("reading standard input needs --input-format".into()),
        None => InputFormat::of(path),
    }
}

/// Standard input, read once: inputs may be opened twice (see
/// [`SampledType`]).
fn stdin_bytes() -> Result<Bytes> {
    static STDIN: std::sync::OnceLock<Bytes> = std::sync::OnceLock::new();
    if let Some(bytes) = STDIN.get() {
        return Ok(bytes.clone());
    }
    let mut bytes = Vec::new();
    std::io::stdin().lock().read_to_end(&mut bytes)?;
    Ok(STDIN.get_or_init(|| Bytes::from(bytes)).clone())
}

/// Boxes a reader of batches, its errors made the CLI's.
fn lazy<I>(batches: I) -> Batches
where
    I: Iterator<Item = Result<RecordBatch, ArrowError>> + Send + 'static,
{
    Box::new(batches.map(|b| b.map_err(BoxError::from)))
}

fn read_parquet<R: ChunkReader + Send + 'static>(input: R) -> Result<Opened> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(input)?.with_batch_size(BATCH_ROWS);
    let schema = builder.schema().clone();
    Ok((schema, lazy(builder.build()?)))
}

/// The types to read a CSV or JSON-lines input with: for each column, the
/// type forced with `--schema`, else the dataset's, else the inferred one.
/// Columns stay nullable.
pub(super) fn target_schema(inferred: &Schema, opts: &InputOptions) -> Result<SchemaRef> {
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

/// Reads JSON lines: types inferred, then the dataset's and the forced
/// ones applied (see [`target_schema`]).
fn read_jsonl<R: std::io::BufRead + Seek + Send + 'static>(
    mut input: R,
    name: &str,
    opts: &InputOptions,
) -> Result<Opened> {
    let (inferred, _) =
        ordo::arrow::json::reader::infer_json_schema_from_seekable(&mut input, None)?;
    if inferred.fields().is_empty() {
        return Err(Located(format!(
            "{name} is empty: a JSON-lines input needs at least one object with a column"
        ))
        .into());
    }
    let schema = target_schema(&inferred, opts)?;
    let reader = ordo::arrow::json::ReaderBuilder::new(schema.clone())
        .with_batch_size(BATCH_ROWS)
        .build(input)?;
    Ok((schema, lazy(reader)))
}

/// Reads Arrow IPC, told apart by their first bytes: the file format
/// (`ARROW1`) or the stream format (a continuation marker). Buffers
/// compressed with LZ4 or zstd (pyarrow's and pandas' default for Feather)
/// are read too.
fn read_ipc<R: Read + Seek + Send + 'static>(mut input: R) -> Result<Opened> {
    let mut magic = [0u8; 6];
    let n = input.read(&mut magic)?;
    input.rewind()?;
    if &magic[..n] == b"ARROW1" {
        let reader = FileReader::try_new(input, None)?;
        let schema = reader.schema();
        Ok((schema, lazy(reader)))
    } else if n >= 4 && magic[..4] == [0xff; 4] {
        let reader = StreamReader::try_new(input, None)?;
        let schema = reader.schema();
        Ok((schema, lazy(reader)))
    } else {
        Err("not an Arrow IPC file or stream".into())
    }
}
