//! The row-group layout a write builds: the current row groups as slots,
//! some replaced by new in-memory groups (merged, cut, coalesced), before
//! the new groups are written and the manifest published.

use std::ops::Range;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

use crate::dataset::write::merge::{Cutter, merge_sorted, same_rows};
use crate::dataset::write::plan::{self, Shape, Sizing};
use crate::dataset::{OrderedParquetDataset, Snapshot};
use crate::error::Result;
use crate::format::rowfile;
use crate::options::Coalesce;
use crate::value::stored::value_at;

/// One row group of the layout being built.
pub(crate) enum Slot {
    /// Existing row group `i` of the snapshot, untouched.
    Keep(usize),
    /// A new row group, not yet written.
    New(RecordBatch),
}

/// Coalescing merges at most this many times per write (each merge makes
/// groups larger, so real workloads stop long before).
const MAX_COALESCE_ROUNDS: usize = 64;

pub(crate) struct Layout<'a> {
    ds: &'a OrderedParquetDataset,
    snapshot: Option<&'a Snapshot>,
    schema: SchemaRef,
    idx: usize,
    cutter: Cutter,
    pub slots: Vec<Slot>,
    pub groups_rewritten: usize,
    pub rows_rewritten: u64,
}

impl<'a> Layout<'a> {
    pub(crate) fn new(
        ds: &'a OrderedParquetDataset,
        snapshot: Option<&'a Snapshot>,
        schema: SchemaRef,
        idx: usize,
        cutter: Cutter,
    ) -> Self {
        let n = snapshot.map_or(0, |s| s.stats.len());
        Self {
            ds,
            snapshot,
            schema,
            idx,
            cutter,
            slots: (0..n).map(Slot::Keep).collect(),
            groups_rewritten: 0,
            rows_rewritten: 0,
        }
    }

    /// Whether the layout still is the snapshot's `n` groups, untouched.
    pub(crate) fn unchanged(&self, n: usize) -> bool {
        self.slots.len() == n && self.slots.iter().all(|s| matches!(s, Slot::Keep(_)))
    }

    /// The new groups, in order.
    pub(crate) fn new_groups(&self) -> Vec<&RecordBatch> {
        self.slots
            .iter()
            .filter_map(|s| match s {
                Slot::New(b) => Some(b),
                Slot::Keep(_) => None,
            })
            .collect()
    }

    /// The files of the snapshot the layout no longer keeps, in order.
    pub(crate) fn removed_files(&self) -> Vec<String> {
        let Some(snapshot) = self.snapshot else {
            return Vec::new();
        };
        let mut kept = vec![false; snapshot.stats.len()];
        for slot in &self.slots {
            if let Slot::Keep(i) = slot {
                kept[*i] = true;
            }
        }
        let removed = kept.iter().enumerate().filter(|(_, k)| !**k);
        removed
            .map(|(i, _)| snapshot.stats[i].file.clone())
            .collect()
    }

    /// Takes new group `i` out of the layout (its rows then belong to
    /// no group of it).
    pub(crate) fn take_new(&mut self, i: usize) -> RecordBatch {
        match self.slots.remove(i) {
            Slot::New(b) => b,
            Slot::Keep(_) => unreachable!("slot {i} is an existing group"),
        }
    }

    fn sizing(&self) -> Sizing {
        match &self.cutter {
            Cutter::Rows(t) => Sizing::Rows(*t as u64),
            Cutter::Period(_) => Sizing::Period,
        }
    }

    /// The rows of slots `range`, in order (existing groups are read).
    fn materialize(&mut self, range: Range<usize>) -> Result<RecordBatch> {
        let mut parts = Vec::with_capacity(range.len());
        for slot in &self.slots[range] {
            match slot {
                Slot::New(b) => parts.push(b.clone()),
                Slot::Keep(i) => {
                    let snapshot = self.snapshot.expect("kept groups come from a snapshot");
                    let rg = &snapshot.stats[*i];
                    let batch = match self.ds.fresh.get(&rg.file) {
                        Some(batch) => batch,
                        None => {
                            let expected = rowfile::Expected {
                                size: rg.size_bytes,
                                crc32c: rg.crc32c,
                                version: snapshot.version,
                            };
                            rowfile::read_all(
                                &self.ds.storage,
                                &self.ds.file_path(&rg.file),
                                &expected,
                                &self.schema,
                            )?
                        }
                    };
                    self.groups_rewritten += 1;
                    self.rows_rewritten += batch.num_rows() as u64;
                    parts.push(batch);
                }
            }
        }
        if parts.len() == 1 {
            let only = parts.pop().expect("one part");
            return Ok(only.with_schema(self.schema.clone())?);
        }
        Ok(arrow::compute::concat_batches(&self.schema, &parts)?)
    }

    /// Replaces slots `range` by `rows` cut into new groups; returns the
    /// range of the new groups.
    fn replace(&mut self, range: Range<usize>, rows: &RecordBatch) -> Range<usize> {
        let chunks: Vec<Slot> = self
            .cutter
            .cut(rows.column(self.idx).as_ref())
            .into_iter()
            .map(|r| Slot::New(rows.slice(r.start, r.len())))
            .collect();
        let n = chunks.len();
        self.slots.splice(range.clone(), chunks);
        range.start..range.start + n
    }

    /// Merges new rows (sorted, deduplicated among themselves) into the
    /// layout: the existing groups they overlap are read, merged with them
    /// (existing rows first on ties), deduplicated on `dedup_key` and cut
    /// again. Returns the range of the new groups, or `None` when the
    /// merged rows equal the existing ones (every new row a duplicate
    /// equal to the row it replaces): the layout is then left as it was.
    pub(crate) fn merge(
        &mut self,
        data: &RecordBatch,
        dedup_key: Option<&[usize]>,
    ) -> Result<Option<Range<usize>>> {
        let col = data.column(self.idx).as_ref();
        let (new_min, new_max) = (value_at(col, 0), value_at(col, col.len() - 1));
        // The layout's slots are still the snapshot's groups, in order.
        let stats = self.snapshot.map_or(&[][..], |s| &s.stats[..]);
        let overlap = plan::overlap(stats, |g| (&g.min, &g.max), &new_min, &new_max);
        let merged = if overlap.is_empty() {
            data.clone()
        } else {
            let (groups, rows) = (self.groups_rewritten, self.rows_rewritten);
            let existing = self.materialize(overlap.clone())?;
            let merged = merge_sorted(&existing, data, self.idx, dedup_key)?;
            if dedup_key.is_some() && same_rows(&existing, &merged, data, self.idx)? {
                (self.groups_rewritten, self.rows_rewritten) = (groups, rows);
                return Ok(None);
            }
            merged
        };
        Ok(Some(self.replace(overlap, &merged)))
    }

    /// Applies the coalescing policy around `touched` until it picks
    /// nothing more. Only the groups near `touched` are looked at
    /// ([`plan::coalesce_window`]): the cost does not grow with the
    /// dataset.
    pub(crate) fn coalesce(&mut self, mut touched: Range<usize>, policy: &Coalesce) -> Result<()> {
        if *policy == Coalesce::Never {
            return Ok(());
        }
        let sizing = self.sizing();
        for _ in 0..MAX_COALESCE_ROUNDS {
            let n = self.slots.len();
            let window = plan::coalesce_window(n, &touched, |i| self.joinable_at(i, sizing));
            let shapes: Vec<Shape> = window.clone().map(|i| self.shape(i)).collect();
            let local = if touched.is_empty() {
                touched.clone()
            } else {
                touched.start - window.start..touched.end - window.start
            };
            let Some(run) = plan::coalesce(&shapes, local, window.end < n, sizing, policy) else {
                break;
            };
            let run = run.start + window.start..run.end + window.start;
            let rows = self.materialize(run.clone())?;
            let new = self.replace(run, &rows);
            touched = if touched.is_empty() { touched } else { new };
        }
        Ok(())
    }

    /// Whether slots `i` and `i + 1` may be merged (their neighbours
    /// decide for period targets).
    fn joinable_at(&self, i: usize, sizing: Sizing) -> bool {
        let from = i.saturating_sub(1);
        let to = (i + 3).min(self.slots.len());
        let shapes: Vec<Shape> = (from..to).map(|j| self.shape(j)).collect();
        plan::joinable(&shapes, i - from, sizing)
    }

    fn shape(&self, i: usize) -> Shape {
        match &self.slots[i] {
            Slot::Keep(g) => {
                let rg = &self
                    .snapshot
                    .expect("kept groups come from a snapshot")
                    .stats[*g];
                Shape {
                    rows: rg.num_rows,
                    first_bucket: self.cutter.bucket(&rg.min),
                    last_bucket: self.cutter.bucket(&rg.max),
                }
            }
            Slot::New(b) => {
                let col = b.column(self.idx).as_ref();
                Shape {
                    rows: b.num_rows() as u64,
                    first_bucket: self.cutter.bucket(&value_at(col, 0)),
                    last_bucket: self.cutter.bucket(&value_at(col, col.len() - 1)),
                }
            }
        }
    }

    /// Re-cuts slots `range` into target-sized groups, one existing group
    /// at a time (only the carried remainder and one group are decoded at
    /// once; the new groups stay in memory until written).
    pub(crate) fn recut(&mut self, range: Range<usize>) -> Result<()> {
        let mut out: Vec<Slot> = Vec::new();
        let mut carry: Option<RecordBatch> = None;
        for i in range.clone() {
            let batch = self.materialize(i..i + 1)?;
            let joined = match carry.take() {
                Some(c) => arrow::compute::concat_batches(&self.schema, &[c, batch])?,
                None => batch,
            };
            let mut chunks = self.cutter.cut(joined.column(self.idx).as_ref());
            let last = chunks.pop().expect("groups are never empty");
            out.extend(
                chunks
                    .into_iter()
                    .map(|r| Slot::New(joined.slice(r.start, r.len()))),
            );
            carry = Some(joined.slice(last.start, last.len()));
        }
        out.extend(carry.map(Slot::New));
        // The same cut as before (rows keep their order): nothing changes.
        let same_cut = out.len() == range.len()
            && out
                .iter()
                .zip(&self.slots[range.clone()])
                .all(|(new, old)| {
                    matches!((new, old), (Slot::New(b), Slot::Keep(i))
                    if Some(b.num_rows() as u64) == self.snapshot.map(|s| s.stats[*i].num_rows))
                });
        if same_cut {
            self.groups_rewritten -= range.len();
            self.rows_rewritten -= out
                .iter()
                .map(|s| match s {
                    Slot::New(b) => b.num_rows() as u64,
                    Slot::Keep(_) => 0,
                })
                .sum::<u64>();
            return Ok(());
        }
        self.slots.splice(range, out);
        Ok(())
    }
}
