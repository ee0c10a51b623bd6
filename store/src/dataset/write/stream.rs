//! A stream of sorted batches written in one commit, in bounded memory.
//!
//! The rows are taken in chunks of about `WriteOptions::stream_chunk_bytes`. Each chunk is
//! merged into a *working state*: the base version with the chunks before
//! it applied as if committed, but published nowhere. The row groups a
//! chunk completes are written at once and leave memory; the last one,
//! which the next chunk may still extend (ties, or rows just after it), is
//! carried into the next chunk instead. After the last chunk, coalescing
//! runs over the streamed region and one record publishes it all, exactly
//! as a single write of every row would have (same groups, same dedup).
//!
//! Memory holds one chunk, the carried group and the existing groups a
//! chunk overlaps, however long the stream. A stream that fits in one
//! chunk is a plain [`OrderedParquetDataset::write`], retries included.
//!
//! Crash safety is the single write's: files are written before the one
//! record that references them, so an interrupted stream leaves only
//! unreferenced files, which garbage collection deletes. Files of the
//! working state that a later chunk replaces were never published and are
//! deleted at once; on any error every file of the stream is deleted.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

use super::base::Base;
use super::conform::{conform, initial_schema};
use super::layout::{Layout, Slot};
use super::merge::merge_sorted;
use super::{Change, WriteReport, cutter, dedup, metadata_changes, new_record, ordered_index};
use crate::dataset::{OrderedParquetDataset, Snapshot};
use crate::error::{Cause, Error, Result};
use crate::format::manifest::RowGroupEntry;
use crate::format::record::{Operation, Record};
use crate::format::snapshot::apply;
use crate::options::WriteOptions;
use crate::value::OrderedValue;
use crate::value::stored::{check_ordered, cmp_values, shown, value_at};

impl OrderedParquetDataset {
    /// Merges a stream of batches into the dataset in one commit, holding
    /// about one chunk of rows in memory at a time however long the stream
    /// is ([`WriteOptions::stream_chunk_bytes`], 64 MiB by default).
    ///
    /// The stream as a whole must be sorted on `options.ordered_on()`:
    /// each batch sorted, and each batch starting at or after the end of
    /// the one before. Every check of [`write`](Self::write) applies, with
    /// rows counted from 0 across the whole stream; an `Err` item stops the
    /// write with [`Error::Input`]. On any error nothing is committed and
    /// the files already written are deleted. `Vec<RecordBatch>` works
    /// with `.into_iter().map(Ok::<_, std::convert::Infallible>)`, and any
    /// Arrow `RecordBatchReader` as it is.
    ///
    /// A stream that fits in one chunk is written as by `write` (retried
    /// after a lost race on shared storage). A longer one plans on the
    /// latest version once and holds the writer lock throughout on local
    /// storage; on shared storage (object stores) it fails with
    /// [`Error::CommitConflict`] when another writer commits first, since
    /// the stream cannot be read again.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ordo_store::arrow::array::{Int64Array, RecordBatch};
    /// # use ordo_store::arrow::datatypes::{DataType, Field, Schema};
    /// use ordo_store::{OrderedParquetDataset, WriteOptions};
    /// let dir = tempfile::tempdir()?;
    /// let ds = OrderedParquetDataset::open(dir.path())?;
    /// let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
    /// let batches = (0..10).map(|i| {
    ///     let ts = Int64Array::from_iter_values(i * 100..(i + 1) * 100);
    ///     RecordBatch::try_new(schema.clone(), vec![Arc::new(ts)])
    /// });
    /// let report = ds.write_batches(batches, &WriteOptions::new("ts"))?;
    /// assert_eq!((report.version, ds.num_rows()), (1, 1000));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_batches<I, E>(&self, batches: I, options: &WriteOptions) -> Result<WriteReport>
    where
        I: IntoIterator<Item = std::result::Result<RecordBatch, E>>,
        E: Into<Cause>,
    {
        options.check()?;
        let mut input = Input::new(batches.into_iter(), options);
        let first = input.next_chunk()?;
        if !input.finished {
            return self.write_stream(first, &mut input, options);
        }
        let Some(sample) = input.sample else {
            // No batch at all: no rows and no schema, only metadata.
            if options.key_value_metadata.is_empty() {
                return Ok(WriteReport {
                    version: self.version().unwrap_or(0),
                    ..WriteReport::default()
                });
            }
            return self.commit_without_rows(Change::Metadata, &options.key_value_metadata);
        };
        let batch = match first.len() {
            0 => sample,
            1 => first.into_iter().next().expect("one"),
            _ => {
                let schema = match self.schema() {
                    Some(s) => s,
                    None => initial_schema(&first[0])?,
                };
                concat_conformed(&first, &schema).map_err(self.located())?
            }
        };
        self.write(&batch, options)
    }

    /// A stream longer than one chunk: under the lock, on the latest
    /// version, chunk by chunk into the working state, then one commit.
    fn write_stream<I, E>(
        &self,
        first: Vec<RecordBatch>,
        input: &mut Input<I>,
        options: &WriteOptions,
    ) -> Result<WriteReport>
    where
        I: Iterator<Item = std::result::Result<RecordBatch, E>>,
        E: Into<Cause>,
    {
        let column = &options.ordered_on;
        let _guard = self.lock()?;
        let found_at = std::time::Instant::now();
        let (last_version, current) = self.latest_locked()?;
        let fresh = initial_schema(&first[0])?;
        let schema = self.schema_for_write(current.as_deref(), column, &fresh)?;
        let idx = schema.index_of(column).map_err(|_| Error::MissingColumn {
            column: column.clone(),
        })?;
        let base = Base {
            cutter: cutter(&options.target, &schema, column)?,
            current,
            last_version,
            schema,
            idx,
            speculative: false,
            found_at,
        };
        let mut run = Run::new(self, &base, options);
        let finished = (|| {
            let mut chunk = first;
            loop {
                let data = concat_conformed(&chunk, &base.schema)?;
                if input.finished {
                    return run.finish(data);
                }
                run.step(data)?;
                chunk = input.next_chunk()?;
            }
        })();
        let (record, kept) = match finished {
            Ok(Some(done)) => done,
            Ok(None) => {
                // Every row was already there: nothing to commit.
                self.set_current(base.current.clone());
                return Ok(run.report);
            }
            Err(e) => {
                run.discard();
                return Err(e.in_dataset(|| self.path()));
            }
        };
        let kept: Vec<(&str, &RecordBatch)> = kept.iter().map(|(f, b)| (f.as_str(), b)).collect();
        let mut report = run.report.clone();
        drop(run);
        match self.publish(&record, &kept, found_at) {
            Err(Error::ConcurrentCommit { .. }) => {
                return Err(Error::CommitConflict {
                    path: self.path(),
                    attempts: 1,
                });
            }
            other => other?,
        }
        self.after_publish(base.current, &record, &mut report)?;
        Ok(report)
    }
}

/// `batches` conformed to `schema`, as one batch.
fn concat_conformed(batches: &[RecordBatch], schema: &SchemaRef) -> Result<RecordBatch> {
    let conformed = batches
        .iter()
        .map(|b| conform(b, schema))
        .collect::<Result<Vec<_>>>()?;
    Ok(arrow::compute::concat_batches(schema, &conformed)?)
}

/// The input stream, checked batch by batch: the ordered column present,
/// without nulls or NaN, sorted within and across batches.
struct Input<I> {
    batches: I,
    column: String,
    chunk_bytes: usize,
    /// Rows taken so far.
    rows: usize,
    /// The last ordered value taken.
    last: Option<OrderedValue>,
    /// The first batch, even if empty: the schema of an empty stream.
    sample: Option<RecordBatch>,
    /// Whether the stream has ended.
    finished: bool,
}

impl<I, E> Input<I>
where
    I: Iterator<Item = std::result::Result<RecordBatch, E>>,
    E: Into<Cause>,
{
    fn new(batches: I, options: &WriteOptions) -> Self {
        Self {
            batches,
            column: options.ordered_on.clone(),
            chunk_bytes: options.chunk_bytes,
            rows: 0,
            last: None,
            sample: None,
            finished: false,
        }
    }

    /// The next non-empty batches, at least the chunk size of them unless
    /// the stream ends first.
    fn next_chunk(&mut self) -> Result<Vec<RecordBatch>> {
        let mut chunk = Vec::new();
        let mut bytes = 0;
        while bytes < self.chunk_bytes {
            let Some(item) = self.batches.next() else {
                self.finished = true;
                break;
            };
            let batch = item.map_err(|e| Error::Input {
                rows: self.rows as u64,
                source: e.into(),
            })?;
            self.check(&batch)?;
            if self.sample.is_none() {
                self.sample = Some(batch.clone());
            }
            if batch.num_rows() > 0 {
                bytes += batch.get_array_memory_size();
                chunk.push(batch);
            }
        }
        Ok(chunk)
    }

    fn check(&mut self, batch: &RecordBatch) -> Result<()> {
        let idx = ordered_index(batch, &self.column)?;
        let ordered = batch.column(idx);
        check_ordered(ordered, &self.column).map_err(|e| e.at_row_offset(self.rows))?;
        let n = batch.num_rows();
        if n == 0 {
            return Ok(());
        }
        let first = value_at(ordered.as_ref(), 0);
        if let Some(previous) = &self.last
            && cmp_values(previous, &first).is_gt()
        {
            let dt = ordered.data_type();
            return Err(Error::Unsorted {
                column: self.column.clone(),
                row: self.rows,
                previous: shown(previous, dt),
                value: shown(&first, dt),
            });
        }
        self.last = Some(value_at(ordered.as_ref(), n - 1));
        self.rows += n;
        Ok(())
    }
}

/// The record a streaming write publishes, and its new files' rows (kept
/// decoded for the merges that follow).
type Finished = (Record, Vec<(String, RecordBatch)>);

/// A streaming write under way: the working state and the files written
/// for it.
struct Run<'a> {
    ds: &'a OrderedParquetDataset,
    base: &'a Base,
    options: &'a WriteOptions,
    version: u64,
    dedup_key: Option<Vec<usize>>,
    /// The base with the chunks so far applied.
    working: Option<Arc<Snapshot>>,
    /// Files written by the stream that the working state holds.
    written: HashMap<String, RowGroupEntry>,
    /// Files of the base the working state no longer holds, in order.
    removed: Vec<String>,
    /// The last group of the previous chunk, merged into the next.
    carry: Option<RecordBatch>,
    report: WriteReport,
}

impl<'a> Run<'a> {
    fn new(ds: &'a OrderedParquetDataset, base: &'a Base, options: &'a WriteOptions) -> Self {
        Self {
            ds,
            base,
            options,
            version: base.last_version + 1,
            dedup_key: None,
            working: base.current.clone(),
            written: HashMap::new(),
            removed: Vec::new(),
            carry: None,
            report: WriteReport {
                version: base.last_version,
                ..WriteReport::default()
            },
        }
    }

    /// A chunk's rows deduplicated among themselves, after the carried
    /// group's (which they win against on a duplicate).
    fn with_carry(&mut self, data: RecordBatch) -> Result<RecordBatch> {
        let idx = self.base.idx;
        if self.dedup_key.is_none() {
            self.dedup_key = dedup::key_columns(&self.options.duplicates_on, &data, idx)?;
        }
        let key = self.dedup_key.as_deref();
        let data = match (self.carry.take(), key) {
            (None, None) => data,
            (None, Some(key)) => dedup::keep_last(&data, idx, key)?,
            (Some(carry), key) => merge_sorted(&carry, &data, idx, key)?,
        };
        Ok(data)
    }

    fn layout(&self) -> Layout<'_> {
        Layout::new(
            self.ds,
            self.working.as_deref(),
            self.base.schema.clone(),
            self.base.idx,
            self.base.cutter.clone(),
        )
    }

    /// Merges a chunk that more rows follow into the working state: its
    /// completed groups are written, its last group carried.
    fn step(&mut self, data: RecordBatch) -> Result<()> {
        let data = self.with_carry(data)?;
        let mut layout = self.layout();
        let Some(touched) = layout.merge(&data, self.dedup_key.as_deref())? else {
            return Ok(());
        };
        let carry = layout.take_new(touched.end - 1);
        let (entries, removed) = self.write_new(&layout)?;
        let counts = (layout.groups_rewritten, layout.rows_rewritten);
        drop(layout);
        self.count(counts);
        self.carry = Some(carry);
        self.apply(entries, removed)
    }

    /// Merges the last chunk, coalesces the streamed region, writes the
    /// last groups: the record to publish and the new groups to keep
    /// decoded, or `None` when nothing changes.
    fn finish(&mut self, data: RecordBatch) -> Result<Option<Finished>> {
        let data = self.with_carry(data)?;
        let mut layout = self.layout();
        let touched = if data.num_rows() > 0 {
            layout.merge(&data, self.dedup_key.as_deref())?
        } else {
            None
        };
        if let Some(region) = self.streamed_region(&layout, touched) {
            layout.coalesce(region, &self.options.coalesce)?;
        }
        let new = layout.new_groups();
        let entries =
            self.ds
                .write_files(self.version, self.base, &new, self.options.compression)?;
        let kept = entries
            .iter()
            .zip(&new)
            .map(|(e, b)| (e.file.clone(), (*b).clone()))
            .collect();
        let counts = (layout.groups_rewritten, layout.rows_rewritten);
        // The final groups in order: the stream's files still held, and
        // the new ones.
        let mut fresh = entries.iter();
        let add: Vec<RowGroupEntry> = layout
            .slots
            .iter()
            .filter_map(|slot| match slot {
                Slot::New(_) => fresh.next().cloned(),
                Slot::Keep(i) => {
                    let file = &self.working.as_ref().expect("kept").stats[*i].file;
                    self.written.get(file).cloned()
                }
            })
            .collect();
        let removed = layout.removed_files();
        drop(layout);
        self.count(counts);
        self.forget(removed);
        for e in &entries {
            self.written.insert(e.file.clone(), e.clone());
        }
        let metadata = metadata_changes(
            self.base.current.as_deref(),
            &self.options.key_value_metadata,
        );
        if add.is_empty()
            && self.removed.is_empty()
            && metadata.0.is_empty()
            && metadata.1.is_empty()
        {
            return Ok(None);
        }
        self.report.row_groups_written = add.len();
        self.report.rows_written = add.iter().map(|e| e.num_rows).sum();
        self.report.bytes_written = add.iter().map(|e| e.size).sum();
        let removed = std::mem::take(&mut self.removed);
        let record = new_record(
            self.base,
            self.version,
            Operation::Write,
            add,
            removed,
            metadata,
        );
        // Published or not, the files are no longer this run's to delete.
        self.written.clear();
        Ok(Some((record, kept)))
    }

    /// The slots from the first group the stream wrote to the last one it
    /// touched: where coalescing may find small groups.
    fn streamed_region(
        &self,
        layout: &Layout<'_>,
        touched: Option<std::ops::Range<usize>>,
    ) -> Option<std::ops::Range<usize>> {
        let stats = self.working.as_ref().map_or(&[][..], |s| &s.stats[..]);
        let ours = layout
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, slot)| match slot {
                Slot::Keep(g) if self.written.contains_key(&stats[*g].file) => Some(i..i + 1),
                _ => None,
            });
        touched
            .into_iter()
            .filter(|r| !r.is_empty())
            .chain(ours)
            .reduce(|a, b| a.start.min(b.start)..a.end.max(b.end))
    }

    /// Writes the layout's new groups.
    fn write_new(&self, layout: &Layout<'_>) -> Result<(Vec<RowGroupEntry>, Vec<String>)> {
        let new = layout.new_groups();
        let entries =
            self.ds
                .write_files(self.version, self.base, &new, self.options.compression)?;
        Ok((entries, layout.removed_files()))
    }

    /// Adds a layout's rewritten groups and rows to the report.
    fn count(&mut self, (groups, rows): (usize, u64)) {
        self.report.row_groups_rewritten += groups;
        self.report.rows_rewritten += rows;
    }

    /// Applies a chunk's new files and removals to the working state.
    fn apply(&mut self, entries: Vec<RowGroupEntry>, removed: Vec<String>) -> Result<()> {
        let mut record = new_record(
            self.base,
            self.version,
            Operation::Write,
            entries.clone(),
            removed.clone(),
            Default::default(),
        );
        // Only the dataset's first version carries the schema.
        if self.working.is_some() {
            record.schema = None;
        }
        for e in entries {
            self.written.insert(e.file.clone(), e);
        }
        self.forget(removed);
        apply(&mut self.working, &record).map_err(|reason| Error::CorruptManifest {
            path: self.ds.path(),
            reason: format!("a chunk of a streaming write does not apply: {reason}"),
        })
    }

    /// Files the working state no longer holds: the stream's own are
    /// deleted (never published), the base's will be removed by the
    /// record.
    fn forget(&mut self, removed: Vec<String>) {
        for file in removed {
            if self.written.remove(&file).is_some() {
                self.ds.delete_unpublished([&file]);
            } else {
                self.removed.push(file);
            }
        }
    }

    /// Deletes every file the stream wrote (after an error).
    fn discard(&mut self) {
        self.ds
            .delete_unpublished(self.written.drain().map(|(file, _)| file));
    }
}
