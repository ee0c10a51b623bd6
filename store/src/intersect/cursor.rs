//! One dataset walked by an intersection: its pinned handle, the row
//! groups in range, the decoded one being handed out, and the ones
//! decoding ahead on rayon's pool.

use std::collections::VecDeque;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, TryRecvError};

use arrow::array::RecordBatch;

use crate::dataset::{OrderedParquetDataset, ReadOptions, RowGroupStats, overlapping};
use crate::error::{Error, Result};
use crate::value::OrderedValue;
use crate::value::stored::{cmp_values, partition_point};

/// A read of one row group's range, and how many rows just before its
/// start to keep when they are decoded anyway (see [`read_part`]).
pub(super) type Job<'a> = (
    &'a OrderedParquetDataset,
    OrderedValue,
    Option<OrderedValue>,
    usize,
);

/// A row group's rows in range, and the rows just before them when kept.
pub(super) type Part = (RecordBatch, Option<RecordBatch>);

/// A row group decoded in the background (or the panic it raised).
type Decoded = std::thread::Result<Result<Part>>;

pub(super) struct Cursor<K> {
    pub key: K,
    /// Pinned to the version of the iterator's creation (no one refreshes
    /// it); shared with the background decodes.
    pub ds: Arc<OrderedParquetDataset>,
    stats: Vec<RowGroupStats>,
    ordered: usize,
    lo: Option<OrderedValue>,
    hi: Option<OrderedValue>,
    /// First row group in range, next one to install, next one to start
    /// decoding ahead, and the end of those in range.
    first: usize,
    next: usize,
    spawned: usize,
    end: usize,
    /// The decoded row group (trimmed to the range) and the rows already
    /// handed out.
    current: Option<(RecordBatch, usize)>,
    /// Row groups `next..spawned`, decoding or decoded, in order.
    ahead: VecDeque<Receiver<Decoded>>,
    n_prev: usize,
    /// The rows before `lo` for the first chunk, once read.
    prev: Option<Vec<RecordBatch>>,
    started: bool,
}

impl<K> Cursor<K> {
    /// A cursor over the row groups of `ds` intersecting `[lo, hi)` (none
    /// when `empty`).
    pub fn new(
        key: K,
        ds: OrderedParquetDataset,
        lo: Option<OrderedValue>,
        hi: Option<OrderedValue>,
        n_prev: usize,
        empty: bool,
    ) -> Self {
        let stats = ds.stored_stats();
        let schema = ds.schema().expect("a dataset with a version");
        let column = ds.ordered_on().expect("a dataset with a version");
        let ordered = schema.index_of(&column).expect("the ordered column exists");
        // Row groups intersecting [lo, hi): a contiguous run.
        let (next, end) = if empty {
            (0, 0)
        } else {
            let run = overlapping(&stats, lo.as_ref(), hi.as_ref());
            (run.start, run.end)
        };
        Self {
            key,
            ds: Arc::new(ds),
            stats,
            ordered,
            lo,
            hi,
            first: next,
            next,
            spawned: next,
            end,
            current: None,
            ahead: VecDeque::new(),
            n_prev,
            prev: None,
            started: false,
        }
    }

    /// The row groups still to install.
    pub fn groups(&self) -> Range<usize> {
        self.next..self.end
    }

    /// Where row group `j`'s rows in range start: `max(min, lo)`.
    pub fn clip_start(&self, j: usize) -> &OrderedValue {
        let min = &self.stats[j].min;
        match &self.lo {
            Some(lo) if cmp_values(min, lo).is_lt() => lo,
            _ => min,
        }
    }

    /// Whether the window ending at `end` needs the next row group: the
    /// current one is used up and the next one starts before `end`.
    pub fn needs_load(&self, end: Option<&OrderedValue>) -> bool {
        let used_up = self
            .current
            .as_ref()
            .is_none_or(|(b, offset)| *offset >= b.num_rows());
        used_up
            && self.next < self.end
            && end.is_none_or(|e| cmp_values(self.clip_start(self.next), e).is_lt())
    }

    /// Drops the used-up row group (before the next one is installed).
    pub fn release(&mut self) {
        self.current = None;
    }

    /// The range to read for row group `j`: its rows in `[lo, hi)`,
    /// bounded by the next group's start so that only it is read.
    fn range_of(&self, j: usize) -> (OrderedValue, Option<OrderedValue>) {
        let end = match (self.stats.get(j + 1), &self.hi) {
            (Some(next), Some(hi)) if cmp_values(&next.min, hi).is_lt() => Some(&next.min),
            (Some(next), None) => Some(&next.min),
            (_, hi) => hi.as_ref(),
        };
        (self.clip_start(j).clone(), end.cloned())
    }

    /// The rows just before its start to keep from the read of row group
    /// `j`: the first one in range, whose start may cut it, can hold the
    /// rows before `lo` the first chunk needs.
    fn keep_of(&self, j: usize) -> usize {
        if j == self.first && self.lo.is_some() && self.prev.is_none() {
            self.n_prev
        } else {
            0
        }
    }

    /// The read of the next row group, to run now.
    pub fn next_job(&self) -> Job<'_> {
        let (lo, hi) = self.range_of(self.next);
        (&self.ds, lo, hi, self.keep_of(self.next))
    }

    /// Starts decoding the next row group not yet started, on rayon's pool.
    pub fn spawn_ahead(&mut self) {
        let (lo, hi) = self.range_of(self.spawned);
        let keep = self.keep_of(self.spawned);
        let ds = self.ds.clone();
        let (tx, rx) = mpsc::sync_channel(1);
        rayon::spawn(move || {
            let decoded = catch_unwind(AssertUnwindSafe(|| read_part(&ds, lo, hi, keep)));
            // The iterator may have been dropped: nobody wants the rows.
            let _ = tx.send(decoded);
        });
        self.ahead.push_back(rx);
        self.spawned += 1;
    }

    /// The next row group if it was decoded ahead (waiting for it).
    pub fn take_ahead(&mut self) -> Option<Result<Part>> {
        let rx = self.ahead.pop_front()?;
        Some(wait(&rx))
    }

    /// Makes the next row group, decoded, the current one; rows kept
    /// from before the start become the first chunk's previous rows.
    pub fn install(&mut self, (batch, before): Part) {
        if let Some(before) = before
            && !self.started
            && self.prev.is_none()
        {
            self.prev = Some(vec![before]);
        }
        self.current = Some((batch, 0));
        self.next += 1;
        self.spawned = self.spawned.max(self.next);
    }

    /// Hands out the rows of the current row group below `end`, if any.
    /// Rows before the window's start were handed out by earlier windows.
    pub fn take(&mut self, end: Option<&OrderedValue>) -> Option<RecordBatch> {
        let (batch, offset) = self.current.as_mut()?;
        let stop = end.map_or(batch.num_rows(), |e| {
            partition_point(batch.column(self.ordered).as_ref(), e, false)
        });
        if stop <= *offset {
            return None;
        }
        let out = batch.slice(*offset, stop - *offset);
        *offset = stop;
        Some(out)
    }

    /// The read of the rows to put in front of the key's first chunk, when
    /// it is still to do.
    pub fn prev_job(&self) -> Option<PrevJob<'_>> {
        if self.started || self.prev.is_some() || self.n_prev == 0 {
            return None;
        }
        Some(PrevJob {
            ds: &self.ds,
            stats: &self.stats,
            lo: self.lo.as_ref()?,
            n_prev: self.n_prev,
        })
    }

    /// Keeps the rows read by [`prev_job`](Self::prev_job).
    pub fn set_prev(&mut self, parts: Vec<RecordBatch>) {
        self.prev = Some(parts);
    }

    /// The chunk to yield: on the key's first one, the previous rows go in
    /// front.
    pub fn with_prev(&mut self, chunk: RecordBatch) -> Result<RecordBatch> {
        if self.started {
            return Ok(chunk);
        }
        let mut parts = match self.prev.take() {
            Some(parts) => parts,
            None => self
                .prev_job()
                .map(prev_rows)
                .transpose()?
                .unwrap_or_default(),
        };
        self.started = true;
        if parts.is_empty() {
            return Ok(chunk);
        }
        parts.push(chunk);
        arrow::compute::concat_batches(&parts[0].schema(), &parts)
            .map_err(|e| Error::from(e).in_dataset(|| self.ds.path()))
    }
}

/// What reading a key's previous rows needs (no key: it runs on rayon's
/// pool, for every key at once).
pub(super) struct PrevJob<'a> {
    ds: &'a OrderedParquetDataset,
    stats: &'a [RowGroupStats],
    lo: &'a OrderedValue,
    n_prev: usize,
}

/// Up to `n_prev` rows from just before `lo`, read one row group at a
/// time backwards from `lo`.
pub(super) fn prev_rows(job: PrevJob<'_>) -> Result<Vec<RecordBatch>> {
    let PrevJob {
        ds,
        stats,
        lo,
        n_prev,
    } = job;
    let before = stats.partition_point(|r| cmp_values(&r.min, lo).is_lt());
    let mut parts = Vec::new();
    let mut rows = 0;
    for j in (0..before).rev() {
        let end = if j + 1 < before {
            &stats[j + 1].min
        } else {
            lo
        };
        // The last rows of the group before `end`: only the pages they are
        // on are decoded.
        let range = ReadOptions::new()
            .start(stats[j].min.clone())
            .end_excl(end.clone());
        let batch = ds.tail(n_prev - rows, &range)?;
        rows += batch.num_rows();
        parts.push(batch);
        if rows == n_prev {
            break;
        }
    }
    parts.reverse();
    Ok(parts)
}

/// The rows of `ds` in `[start, end)`, a range within one row group, and
/// the `keep` rows just before `start` when the pages decoded for the
/// range hold them.
pub(super) fn read_part(
    ds: &OrderedParquetDataset,
    start: OrderedValue,
    end: Option<OrderedValue>,
    keep: usize,
) -> Result<Part> {
    let mut opts = ReadOptions::new().start(start);
    if let Some(end) = end {
        opts = opts.end_excl(end);
    }
    ds.read_with_before(&opts, keep)
}

/// Waits for a background decode. A rayon worker must not block on work
/// queued in its own pool, so there it helps run that work instead.
fn wait(rx: &Receiver<Decoded>) -> Result<Part> {
    let decoded = if rayon::current_thread_index().is_none() {
        rx.recv().ok()
    } else {
        loop {
            match rx.try_recv() {
                Ok(d) => break Some(d),
                Err(TryRecvError::Empty) => {
                    if !matches!(rayon::yield_now(), Some(rayon::Yield::Executed)) {
                        std::thread::yield_now();
                    }
                }
                Err(TryRecvError::Disconnected) => break None,
            }
        }
    };
    match decoded {
        Some(Ok(result)) => result,
        Some(Err(panic)) => resume_unwind(panic),
        // The task sends before it ends, even when the read panicked.
        None => unreachable!("a background row-group decode ended without a result"),
    }
}
