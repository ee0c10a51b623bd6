//! Where each row of the stream of inputs came from, recorded as the rows
//! are read: an error of the write about one row of the stream (data not
//! sorted, a null or a NaN in the ordered column) can then name the input
//! and the line (CSV) or the row in it.

use std::sync::{Arc, Mutex, PoisonError};

use super::Origin;
use super::csv::record_line;

/// The stretch of the stream each input yielded, in order; shared by the
/// thread reading the inputs and the one reporting the write's errors.
#[derive(Debug, Clone, Default)]
pub struct RowPlaces(Arc<Mutex<Vec<Span>>>);

#[derive(Debug)]
struct Span {
    /// The input's position among the inputs.
    input: usize,
    name: String,
    /// Where a CSV input's bytes are, to find a row's line.
    csv: Option<Origin>,
    /// The stream's rows `first..first + rows`.
    first: u64,
    rows: u64,
}

impl RowPlaces {
    /// Records that input `input` (named `name`) yielded `rows` more rows.
    pub(super) fn record(&self, input: usize, name: &str, csv: Option<&Origin>, rows: u64) {
        let mut spans = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if spans.last().is_none_or(|s| s.input != input) {
            let first = spans.last().map_or(0, |s| s.first + s.rows);
            spans.push(Span {
                input,
                name: name.to_owned(),
                csv: csv.cloned(),
                first,
                rows: 0,
            });
        }
        spans.last_mut().expect("pushed").rows += rows;
    }

    /// Where row `row` of the stream (counted from 0 over all the inputs,
    /// in order) is: `line L of NAME` in a CSV input (counted from 1, the
    /// header being line 1), `row R of NAME (counted from 0)` in others.
    /// `None` for a row not read.
    pub fn place(&self, row: u64) -> Option<String> {
        let spans = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let span = spans
            .iter()
            .find(|s| (s.first..s.first + s.rows).contains(&row))?;
        let r = row - span.first;
        // Data row `r` is record `r + 1`: record 0 is the header.
        let line = span.csv.as_ref().and_then(|origin| {
            let record = usize::try_from(r).ok()? + 1;
            record_line(&origin.bytes().ok()?, record)
        });
        Some(match line {
            Some(line) => format!("line {line} of {}", span.name),
            None => format!("row {r} of {} (counted from 0)", span.name),
        })
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    #[test]
    fn rows_of_the_stream_are_placed_in_their_input() {
        let places = RowPlaces::default();
        let csv = Origin::Stdin(Bytes::from_static(b"ts\n1\n\n2\n\"3\n\"\n4\n"));
        places.record(0, "a.parquet", None, 3);
        places.record(0, "a.parquet", None, 2);
        places.record(1, "empty.parquet", None, 0);
        places.record(2, "standard input", Some(&csv), 4);
        assert_eq!(
            places.place(0).unwrap(),
            "row 0 of a.parquet (counted from 0)"
        );
        assert_eq!(
            places.place(4).unwrap(),
            "row 4 of a.parquet (counted from 0)"
        );
        // Empty lines and values spanning lines count.
        assert_eq!(places.place(5).unwrap(), "line 2 of standard input");
        assert_eq!(places.place(6).unwrap(), "line 4 of standard input");
        assert_eq!(places.place(8).unwrap(), "line 7 of standard input");
        assert_eq!(places.place(9), None);
    }
}
