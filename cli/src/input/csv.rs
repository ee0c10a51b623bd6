//! CSV inputs of `ordo write`, read lazily: every column read as text,
//! then converted to its type (see `target_schema`), so that a value that
//! does not convert is reported with its column name and its line in the
//! file.

use std::io::{Read, Seek};
use std::sync::Arc;

use ordo::arrow::array::{AsArray, RecordBatch};
use ordo::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use ordo::arrow::error::ArrowError;
use rayon::prelude::*;

use super::text::{Unreadable, convert};
use super::{
    BATCH_ROWS, CSV_SAMPLE, InputOptions, Located, Opened, Origin, SampledType, target_schema,
};
use crate::{BoxError, Result};

/// Opens a CSV input with a header row: its types (inferred from the first
/// [`CSV_SAMPLE`] records, or from all with `infer_from_all`), and its
/// batches, converted as they are read.
pub(super) fn read_csv<R: Read + Seek + Send + 'static>(
    mut input: R,
    origin: Origin,
    opts: &InputOptions,
) -> Result<Opened> {
    let name = origin.name();
    if input.read(&mut [0u8; 1])? == 0 {
        return Err(Located(format!(
            "{name} is empty: a CSV input needs at least a header row"
        ))
        .into());
    }
    input.rewind()?;
    let format = ordo::arrow::csv::reader::Format::default().with_header(true);
    // Types come from --schema or the dataset where they can: a pass over
    // the first records (or all) infers the others, and is skipped when
    // none is left.
    let (header, _) = format
        .infer_schema(&mut input, Some(0))
        .map_err(|e| ragged(e, &name))?;
    input.rewind()?;
    let typed = |f: &Field| {
        opts.types.as_ref().and_then(|t| t.get(f.name())).is_some()
            || opts
                .dataset
                .as_ref()
                .is_some_and(|s| s.field_with_name(f.name()).is_ok())
    };
    let (inferred, sampled) = if header.fields().iter().all(|f| typed(f)) {
        (header, false)
    } else {
        let limit = (!opts.infer_from_all).then_some(CSV_SAMPLE);
        let (inferred, records) = format
            .infer_schema(&mut input, limit)
            .map_err(|e| ragged(e, &name))?;
        (inferred, limit.is_some_and(|n| records >= n))
    };
    // Columns whose type a value past the sample may contradict.
    let guessed = inferred
        .fields()
        .iter()
        .map(|f| sampled && !typed(f))
        .collect();
    let target = target_schema(&inferred, opts)?;
    let text: Vec<Field> = inferred
        .fields()
        .iter()
        .map(|f| Field::new(f.name(), DataType::Utf8, true))
        .collect();
    input.rewind()?;
    let reader = ordo::arrow::csv::ReaderBuilder::new(Arc::new(Schema::new(text)))
        .with_format(format)
        .with_batch_size(BATCH_ROWS)
        .build(input)?;
    let batches = CsvBatches {
        reader,
        target: target.clone(),
        guessed,
        rows: 0,
        origin,
        done: false,
    };
    Ok((target, Box::new(batches)))
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

/// The batches of a CSV input, converted to their types; the first record
/// that cannot be read ends them with an error naming its line.
struct CsvBatches<R: Read> {
    reader: ordo::arrow::csv::Reader<R>,
    target: SchemaRef,
    /// Whether each column's type was inferred from a sample only.
    guessed: Vec<bool>,
    /// Data rows read so far: row `r` is record `r + 1`.
    rows: usize,
    origin: Origin,
    done: bool,
}

impl<R: Read> Iterator for CsvBatches<R> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let result = match self.reader.next()? {
            Ok(batch) => self.convert(&batch),
            Err(e) => Err(self.unreadable(e)),
        };
        self.done = result.is_err();
        Some(result)
    }
}

impl<R: Read> CsvBatches<R> {
    /// A batch of text converted to the target types, the columns in
    /// parallel; the first column that fails (left to right) is reported.
    fn convert(&mut self, batch: &RecordBatch) -> Result<RecordBatch> {
        let converted: Vec<_> = batch
            .columns()
            .par_iter()
            .zip(self.target.fields().par_iter())
            .map(|(column, field)| convert(column, field.data_type()))
            .collect();
        let mut columns = Vec::with_capacity(batch.num_columns());
        for (i, array) in converted.into_iter().enumerate() {
            let field = self.target.field(i);
            match array {
                Ok(array) => columns.push(array),
                Err(Unreadable::Type(reason)) => {
                    return Err(format!("column `{}`: {reason}", field.name()).into());
                }
                Err(Unreadable::Value { row, reason }) => {
                    let value = batch.column(i).as_string::<i32>().value(row);
                    let what = format!(
                        "column `{}`: cannot read {value:?} as {}{reason}",
                        field.name(),
                        field.data_type()
                    );
                    let located = self.located(self.rows + row + 1, &what);
                    return Err(if self.guessed[i] {
                        Box::new(SampledType(located.to_string()))
                    } else {
                        located
                    });
                }
            }
        }
        self.rows += batch.num_rows();
        Ok(RecordBatch::try_new(self.target.clone(), columns)?)
    }

    /// arrow-csv's error for a record it cannot split, located.
    fn unreadable(&self, e: ArrowError) -> BoxError {
        if let ArrowError::CsvError(message) = &e {
            // `incorrect number of fields for line N, ...`, where
            // arrow-csv counts records from 1, the header being 1.
            let located = message
                .strip_prefix("incorrect number of fields for line ")
                .and_then(|rest| rest.split_once(", "))
                .and_then(|(n, rest)| Some((n.parse::<usize>().ok()?.checked_sub(1)?, rest)));
            if let Some((record, rest)) = located {
                let rest = rest.replace(" got ", " fields, as in the header, found ");
                return self.located(record, &rest);
            }
        }
        e.into()
    }

    /// `line N of NAME: what`, for record `record` (0 is the header).
    fn located(&self, record: usize, what: &str) -> BoxError {
        let name = self.origin.name();
        let place = match self.origin.bytes().map(|b| record_line(&b, record)) {
            Ok(Some(line)) => format!("line {line} of {name}"),
            _ => format!("record {record} of {name}"),
        };
        Located(format!("{place}: {what}")).into()
    }
}

/// The line (from 1) where CSV record `record` (from 0) starts, parsed as
/// arrow-csv parses (with csv-core, which skips empty lines).
pub(super) fn record_line(bytes: &[u8], record: usize) -> Option<usize> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_start_at_their_line() {
        let csv = b"a,b\n1,\"two\nlines\"\n\n\n3,x\r\n4,y";
        assert_eq!(record_line(csv, 0), Some(1));
        assert_eq!(record_line(csv, 1), Some(2));
        assert_eq!(record_line(csv, 2), Some(6));
        assert_eq!(record_line(csv, 3), Some(7));
        assert_eq!(record_line(csv, 4), None);
    }
}
