//! Reading the inputs of `ordo write`: Parquet, Arrow IPC, CSV and JSON
//! lines, from files or standard input, concatenated into one batch.

use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ordo::arrow::array::RecordBatch;
use ordo::arrow::compute::concat_batches;
use ordo::arrow::datatypes::{Schema, SchemaRef};
use ordo::arrow::ipc::reader::{FileReader, StreamReader};
use ordo::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use ordo::parquet::file::reader::ChunkReader;

use crate::Result;
use crate::progress;
use crate::schema::ForcedTypes;

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
}

/// The rows of one input.
type Batches = (SchemaRef, Vec<RecordBatch>);

/// Reads every input (`-` is standard input) and concatenates their rows,
/// in order, into one batch.
pub fn read_inputs(files: &[PathBuf], opts: &InputOptions) -> Result<RecordBatch> {
    let sizes: Vec<u64> = files
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .collect();
    let bar = progress::bytes(sizes.iter().sum(), "reading");
    let mut schema: Option<(SchemaRef, &Path)> = None;
    let mut batches = Vec::new();
    for (path, size) in files.iter().zip(sizes) {
        bar.set_message(path.display().to_string());
        let (file_schema, file_batches) =
            read_one(path, opts).map_err(|e| format!("{}: {e}", path.display()))?;
        bar.inc(size);
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
    bar.finish_and_clear();
    let (schema, _) = schema.expect("clap requires at least one file");
    // Files may carry schema metadata that differs between them: give
    // every batch the first file's schema.
    let batches = batches
        .into_iter()
        .map(|b| b.with_schema(schema.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(concat_batches(&schema, &batches)?)
}

/// `(name: type, ...)`, for messages.
fn describe(schema: &SchemaRef) -> String {
    let cols: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| format!("{}: {}", f.name(), f.data_type()))
        .collect();
    format!("({})", cols.join(", "))
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
    let types = opts.types.as_ref();
    if stdin {
        let mut bytes = Vec::new();
        std::io::stdin().lock().read_to_end(&mut bytes)?;
        return match format {
            InputFormat::Parquet => read_parquet(bytes::Bytes::from(bytes)),
            InputFormat::Csv => read_csv(Cursor::new(bytes), types),
            InputFormat::Jsonl => read_jsonl(Cursor::new(bytes), types),
            InputFormat::Ipc => read_ipc(Cursor::new(bytes)),
        };
    }
    let file = File::open(path)?;
    match format {
        InputFormat::Parquet => read_parquet(file),
        InputFormat::Csv => read_csv(BufReader::new(file), types),
        InputFormat::Jsonl => read_jsonl(BufReader::new(file), types),
        InputFormat::Ipc => read_ipc(BufReader::new(file)),
    }
}

fn read_parquet<R: ChunkReader + 'static>(input: R) -> Result<Batches> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(input)?;
    let schema = builder.schema().clone();
    let batches = builder.build()?.collect::<Result<Vec<_>, _>>()?;
    Ok((schema, batches))
}

/// Reads CSV with a header row: types inferred, then `types` forced.
fn read_csv<R: Read + Seek>(mut input: R, types: Option<&ForcedTypes>) -> Result<Batches> {
    let format = ordo::arrow::csv::reader::Format::default().with_header(true);
    let (schema, _) = format.infer_schema(&mut input, None)?;
    let schema = force(schema, types)?;
    input.rewind()?;
    let reader = ordo::arrow::csv::ReaderBuilder::new(schema.clone())
        .with_format(format)
        .build(input)?;
    Ok((schema, reader.collect::<Result<Vec<_>, _>>()?))
}

/// Reads JSON lines: types inferred, then `types` forced.
fn read_jsonl<R: BufRead + Seek>(mut input: R, types: Option<&ForcedTypes>) -> Result<Batches> {
    let (schema, _) = ordo::arrow::json::reader::infer_json_schema_from_seekable(&mut input, None)?;
    let schema = force(schema, types)?;
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

/// The inferred schema with the forced types applied.
fn force(schema: Schema, types: Option<&ForcedTypes>) -> Result<SchemaRef> {
    Ok(Arc::new(match types {
        Some(t) => t.apply(&schema)?,
        None => schema,
    }))
}
