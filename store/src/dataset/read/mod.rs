//! Reads: whole dataset, ranges of the ordered column with row-group
//! pruning, streaming scans, column projection. Row groups decode in
//! parallel for whole reads.

mod into_one;
mod scan;

pub use scan::Scan;

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use rayon::prelude::*;

use super::{OrderedParquetDataset, Snapshot, overlapping};
use crate::error::{Error, Result};
use crate::format::rowfile::{self, PagePrune, ReadSpec, RowFileReader};
use crate::storage::Storage;
use crate::value::OrderedValue;
use crate::value::stored::{bound_to_stored, cmp_values, partition_point};

/// What to read: columns, a range `[start, end_excl)` of the ordered
/// column, and the batch size of scans.
///
/// ```
/// use ordo_store::{OrderedValue, ReadOptions};
/// let opts = ReadOptions::new()
///     .columns(["ts", "price"])
///     .start(OrderedValue::from(10))
///     .end_excl(OrderedValue::from(20))
///     .batch_size(8192);
/// ```
#[derive(Debug, Clone)]
pub struct ReadOptions {
    columns: Option<Vec<String>>,
    start: Option<OrderedValue>,
    end_excl: Option<OrderedValue>,
    batch_size: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            columns: None,
            start: None,
            end_excl: None,
            batch_size: 65_536,
        }
    }
}

impl ReadOptions {
    /// Every column, every row, scans in batches of 65,536 rows.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads only these columns, in this order.
    pub fn columns<S: Into<String>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.columns = Some(columns.into_iter().map(Into::into).collect());
        self
    }

    /// Reads rows whose ordered value is `>= start`.
    pub fn start(mut self, start: impl Into<OrderedValue>) -> Self {
        self.start = Some(start.into());
        self
    }

    /// Reads rows whose ordered value is `< end_excl`.
    pub fn end_excl(mut self, end_excl: impl Into<OrderedValue>) -> Self {
        self.end_excl = Some(end_excl.into());
        self
    }

    /// The largest batch a scan yields (at least 1).
    pub fn batch_size(mut self, rows: usize) -> Self {
        self.batch_size = rows.max(1);
        self
    }
}

/// A resolved read: projection and stored bounds against one snapshot.
struct ResolvedRead {
    snapshot: Arc<Snapshot>,
    /// Columns to decode (the ordered column is added for partial row
    /// groups and dropped again).
    projection: Vec<usize>,
    out_schema: SchemaRef,
    lo: Option<OrderedValue>,
    hi: Option<OrderedValue>,
    /// Row groups to read, and whether each needs trimming to the range.
    groups: Vec<(usize, bool)>,
}

impl ResolvedRead {
    fn new(snapshot: Arc<Snapshot>, path: &std::path::Path, opts: &ReadOptions) -> Result<Self> {
        let schema = &snapshot.schema;
        let projection = match &opts.columns {
            None => (0..schema.fields().len()).collect(),
            Some(cols) => {
                let mut idx = Vec::with_capacity(cols.len());
                for c in cols {
                    let i = schema.index_of(c).map_err(|_| Error::NoSuchColumn {
                        path: path.to_owned(),
                        column: c.clone(),
                    })?;
                    if idx.contains(&i) {
                        return Err(Error::DuplicateColumn { column: c.clone() });
                    }
                    idx.push(i);
                }
                idx
            }
        };
        let out_schema = Arc::new(schema.project(&projection)?);
        let column = &snapshot.ordered_on;
        let dt = schema.field(snapshot.ordered_index()).data_type();
        let lo = opts
            .start
            .as_ref()
            .map(|b| bound_to_stored(b, dt, column))
            .transpose()?;
        let hi = opts
            .end_excl
            .as_ref()
            .map(|b| bound_to_stored(b, dt, column))
            .transpose()?;
        // A start above every storable value selects nothing; an end above
        // every storable value is no bound.
        let empty = matches!(lo, Some(None));
        let (lo, hi) = (lo.flatten(), hi.flatten());
        let groups = if empty {
            Vec::new()
        } else {
            overlapping(&snapshot.stats, lo.as_ref(), hi.as_ref())
                .map(|i| {
                    let rg = &snapshot.stats[i];
                    let partial = lo
                        .as_ref()
                        .is_some_and(|lo| cmp_values(&rg.min, lo).is_lt())
                        || hi
                            .as_ref()
                            .is_some_and(|hi| cmp_values(&rg.max, hi).is_ge());
                    (i, partial)
                })
                .collect()
        };
        Ok(Self {
            snapshot,
            projection,
            out_schema,
            lo,
            hi,
            groups,
        })
    }

    /// Opens row group `i`; `partial` ones also decode the ordered column,
    /// and only the pages their `last` rows in range can be on, when
    /// given (see `PagePrune::last`).
    fn open(
        &self,
        storage: &Arc<dyn Storage>,
        prefix: &str,
        i: usize,
        partial: bool,
        batch_size: usize,
        last: Option<usize>,
    ) -> Result<(RowFileReader, Option<usize>)> {
        let rg = &self.snapshot.stats[i];
        let ordered = self.snapshot.ordered_index();
        let mut cols = self.projection.clone();
        // Position of the ordered column among the decoded columns, which
        // the reader returns in file order.
        let trim_at = if partial {
            if !cols.contains(&ordered) {
                cols.push(ordered);
            }
            cols.sort_unstable();
            Some(cols.iter().position(|&c| c == ordered).expect("added"))
        } else {
            cols.sort_unstable();
            None
        };
        let reader = rowfile::open(
            storage,
            &crate::storage::join(prefix, &rg.file),
            rg.size_bytes,
            self.snapshot.version,
            ReadSpec {
                schema: &self.snapshot.schema,
                columns: Some(&cols),
                batch_size,
                prune: partial.then(|| PagePrune {
                    column: &self.snapshot.ordered_on,
                    data_type: self.snapshot.schema.field(ordered).data_type(),
                    lo: self.lo.as_ref(),
                    hi: self.hi.as_ref(),
                    last,
                }),
            },
        )?;
        Ok((reader, trim_at))
    }

    /// Trims a decoded batch to the range and projects it to the output
    /// schema (order of `projection`).
    fn finish(&self, batch: RecordBatch, trim_at: Option<usize>) -> Result<RecordBatch> {
        Ok(self.finish_keeping(batch, trim_at, 0)?.0)
    }

    /// [`finish`](Self::finish), and the `keep` rows of the batch just
    /// before the range's start, when it holds that many (`None` when
    /// `keep` is 0 or it holds fewer).
    fn finish_keeping(
        &self,
        batch: RecordBatch,
        trim_at: Option<usize>,
        keep: usize,
    ) -> Result<(RecordBatch, Option<RecordBatch>)> {
        let (s, e) = match trim_at {
            Some(at) => {
                let col = batch.column(at).as_ref();
                let s = self
                    .lo
                    .as_ref()
                    .map_or(0, |lo| partition_point(col, lo, false));
                let e = self
                    .hi
                    .as_ref()
                    .map_or(col.len(), |hi| partition_point(col, hi, false));
                (s, e.max(s))
            }
            None => (0, batch.num_rows()),
        };
        let before = (keep > 0 && s >= keep)
            .then(|| self.project(batch.slice(s - keep, keep), trim_at.is_some()))
            .transpose()?;
        let rows = self.project(batch.slice(s, e - s), trim_at.is_some())?;
        Ok((rows, before))
    }

    /// A decoded batch (with the ordered column when `with_ordered`) in
    /// the output schema.
    fn project(&self, batch: RecordBatch, with_ordered: bool) -> Result<RecordBatch> {
        let mut decoded: Vec<usize> = self.projection.clone();
        if with_ordered {
            let ordered = self.snapshot.ordered_index();
            if !decoded.contains(&ordered) {
                decoded.push(ordered);
            }
        }
        decoded.sort_unstable();
        let columns = self
            .projection
            .iter()
            .map(|p| {
                batch
                    .column(decoded.binary_search(p).expect("decoded"))
                    .clone()
            })
            .collect();
        // A projection of no columns keeps its row count.
        let options =
            arrow::array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
        Ok(RecordBatch::try_new_with_options(
            self.out_schema.clone(),
            columns,
            &options,
        )?)
    }
}

fn decode_err(
    storage: &Arc<dyn Storage>,
    prefix: &str,
    file: &str,
) -> impl Fn(arrow::error::ArrowError) -> Error {
    let path = storage.display_path(&crate::storage::join(prefix, file));
    move |e| Error::CorruptRowGroup {
        path: path.clone(),
        source: e.into(),
    }
}

impl OrderedParquetDataset {
    /// Reads the whole dataset into one batch (row groups decode in
    /// parallel).
    pub fn read(&self) -> Result<RecordBatch> {
        self.read_with(&ReadOptions::new())
    }

    /// Reads the rows whose ordered value lies in `[start, end_excl)`.
    pub fn read_range(
        &self,
        start: impl Into<OrderedValue>,
        end_excl: impl Into<OrderedValue>,
    ) -> Result<RecordBatch> {
        self.read_with(&ReadOptions::new().start(start).end_excl(end_excl))
    }

    /// Reads what `options` select into one batch. Row groups decode in
    /// parallel; the columns are then concatenated in parallel.
    pub fn read_with(&self, options: &ReadOptions) -> Result<RecordBatch> {
        self.read_one(options).map_err(self.located())
    }

    fn read_one(&self, options: &ReadOptions) -> Result<RecordBatch> {
        let resolved = ResolvedRead::new(self.snapshot_or_not_found()?, &self.path(), options)?;
        self.read_resolved(&resolved)
    }

    fn read_resolved(&self, resolved: &ResolvedRead) -> Result<RecordBatch> {
        // Whole row groups go straight into the output; trimmed ones are
        // decoded first, their row counts unknown until then.
        if resolved.groups.len() > 1 && resolved.groups.iter().all(|&(_, partial)| !partial) {
            return self.read_into_one(resolved);
        }
        let batches = self.decode_groups(resolved)?;
        concat_parallel(&resolved.out_schema, &batches)
    }

    /// Reads what `options` select as one batch per row group (no
    /// concatenation copy), in order.
    pub fn read_batches(&self, options: &ReadOptions) -> Result<Vec<RecordBatch>> {
        Ok(self.read_parts(options)?.1)
    }

    /// The batches of what `options` select, decoded in parallel.
    pub(crate) fn read_parts(
        &self,
        options: &ReadOptions,
    ) -> Result<(SchemaRef, Vec<RecordBatch>)> {
        self.read_parts_unlocated(options).map_err(self.located())
    }

    fn read_parts_unlocated(&self, options: &ReadOptions) -> Result<(SchemaRef, Vec<RecordBatch>)> {
        let resolved = ResolvedRead::new(self.snapshot_or_not_found()?, &self.path(), options)?;
        let batches = self.decode_groups(&resolved)?;
        Ok((resolved.out_schema, batches))
    }

    /// Every selected row group decoded (in parallel), trimmed, in order.
    fn decode_groups(&self, resolved: &ResolvedRead) -> Result<Vec<RecordBatch>> {
        Ok(self.decode_groups_keeping(resolved, 0)?.0)
    }

    /// [`decode_groups`](Self::decode_groups), and the `keep` rows just
    /// before the range's start when the first group's decoded pages hold
    /// them (see [`ResolvedRead::finish_keeping`]).
    fn decode_groups_keeping(
        &self,
        resolved: &ResolvedRead,
        keep: usize,
    ) -> Result<(Vec<RecordBatch>, Option<RecordBatch>)> {
        let parts: Vec<Result<(Vec<RecordBatch>, Option<RecordBatch>)>> = resolved
            .groups
            .par_iter()
            .enumerate()
            .map(|(k, &(i, partial))| {
                let rows = resolved.snapshot.stats[i].num_rows as usize;
                let (reader, trim_at) =
                    resolved.open(&self.storage, &self.prefix, i, partial, rows, None)?;
                let err = decode_err(
                    &self.storage,
                    &self.prefix,
                    &resolved.snapshot.stats[i].file,
                );
                let (mut batches, mut before) = (Vec::new(), None);
                for (j, b) in reader.enumerate() {
                    // Only the first batch of the first group holds the
                    // rows right before the start.
                    let keep = if (k, j) == (0, 0) { keep } else { 0 };
                    let (rows, kept) = resolved.finish_keeping(b.map_err(&err)?, trim_at, keep)?;
                    before = before.or(kept);
                    batches.push(rows);
                }
                Ok((batches, before))
            })
            .collect();
        let mut batches = Vec::new();
        let mut before = None;
        for part in parts {
            let (part, kept) = part?;
            before = before.or(kept);
            batches.extend(part.into_iter().filter(|b| b.num_rows() > 0));
        }
        Ok((batches, before))
    }

    /// What `options` select (as [`read_with`](Self::read_with)), and the
    /// `n_before` rows just before its start when the pages decoded for it
    /// already hold them: the end of the page the start is on. `None`
    /// otherwise, or when there is no start; read them with
    /// [`tail`](Self::tail) then.
    pub(crate) fn read_with_before(
        &self,
        options: &ReadOptions,
        n_before: usize,
    ) -> Result<(RecordBatch, Option<RecordBatch>)> {
        let read = || {
            let snapshot = self.snapshot_or_not_found()?;
            let resolved = ResolvedRead::new(snapshot, &self.path(), options)?;
            // Rows before the start are decoded only with a first group
            // cut by the start.
            if n_before == 0 || !resolved.groups.first().is_some_and(|&(_, cut)| cut) {
                return Ok((self.read_resolved(&resolved)?, None));
            }
            let (batches, before) = self.decode_groups_keeping(&resolved, n_before)?;
            Ok((concat_parallel(&resolved.out_schema, &batches)?, before))
        };
        read().map_err(self.located())
    }

    /// The first `n` rows of what `options` select. Row groups are read
    /// in order only until `n` rows are found, and the last one read stops
    /// decoding there.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ordo_store::arrow::array::{Array, Int64Array, RecordBatch};
    /// # use ordo_store::arrow::datatypes::{DataType, Field, Schema};
    /// # use ordo_store::{OrderedParquetDataset, ReadOptions, RowGroupTarget, WriteOptions};
    /// # let ds = OrderedParquetDataset::open_with("d", &ordo_store::OpenOptions::new().storage(Arc::new(ordo_store::storage::MemoryStorage::new())))?;
    /// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
    /// let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from_iter_values(0..100))])?;
    /// ds.write(&batch, &WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(10)))?;
    /// let head = ds.head(3, &ReadOptions::new().start(50))?;
    /// assert_eq!(head, batch.slice(50, 3));
    /// assert_eq!(ds.head(1000, &ReadOptions::new())?.num_rows(), 100);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn head(&self, n: usize, options: &ReadOptions) -> Result<RecordBatch> {
        self.read_until(n, options, false).map_err(self.located())
    }

    /// The last `n` rows of what `options` select. Row groups are read
    /// from the end only until `n` rows are found: the rest of the dataset
    /// is not decoded.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ordo_store::arrow::array::{Array, Int64Array, RecordBatch};
    /// # use ordo_store::arrow::datatypes::{DataType, Field, Schema};
    /// # use ordo_store::{OrderedParquetDataset, ReadOptions, RowGroupTarget, WriteOptions};
    /// # let ds = OrderedParquetDataset::open_with("d", &ordo_store::OpenOptions::new().storage(Arc::new(ordo_store::storage::MemoryStorage::new())))?;
    /// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
    /// let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from_iter_values(0..100))])?;
    /// ds.write(&batch, &WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(10)))?;
    /// assert_eq!(ds.tail(12, &ReadOptions::new())?, batch.slice(88, 12));
    /// assert_eq!(ds.tail(2, &ReadOptions::new().end_excl(50))?, batch.slice(48, 2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tail(&self, n: usize, options: &ReadOptions) -> Result<RecordBatch> {
        self.read_until(n, options, true).map_err(self.located())
    }

    /// Reads row groups from the start (or the end) until `n` rows are
    /// found; returns the first (or last) `n`.
    fn read_until(&self, n: usize, options: &ReadOptions, from_end: bool) -> Result<RecordBatch> {
        let resolved = ResolvedRead::new(self.snapshot_or_not_found()?, &self.path(), options)?;
        let order: Vec<(usize, bool)> = if from_end {
            resolved.groups.iter().rev().copied().collect()
        } else {
            resolved.groups.clone()
        };
        let mut parts: Vec<Vec<RecordBatch>> = Vec::new();
        let mut rows = 0;
        for (i, partial) in order {
            if rows >= n {
                break;
            }
            let rg_rows = resolved.snapshot.stats[i].num_rows as usize;
            // Going forward, decode no more than what is still missing.
            let batch_size = if from_end { rg_rows } else { n - rows };
            // Going backward, decode only the pages the missing rows are on.
            let last = from_end.then_some(n - rows);
            let (reader, trim_at) = resolved.open(
                &self.storage,
                &self.prefix,
                i,
                partial,
                batch_size.max(1),
                last,
            )?;
            let err = decode_err(
                &self.storage,
                &self.prefix,
                &resolved.snapshot.stats[i].file,
            );
            let mut group = Vec::new();
            for b in reader {
                let b = resolved.finish(b.map_err(&err)?, trim_at)?;
                rows += b.num_rows();
                group.push(b);
                if !from_end && rows >= n {
                    break;
                }
            }
            parts.push(group);
        }
        if from_end {
            parts.reverse();
        }
        let batches: Vec<RecordBatch> = parts.into_iter().flatten().collect();
        let all = concat_parallel(&resolved.out_schema, &batches)?;
        let take = n.min(all.num_rows());
        let offset = if from_end { all.num_rows() - take } else { 0 };
        Ok(all.slice(offset, take))
    }

    /// Streams the whole dataset, one row group at a time.
    pub fn scan(&self) -> Result<Scan> {
        self.scan_with(&ReadOptions::new())
    }
}

/// Concatenates batches column by column, the columns in parallel.
fn concat_parallel(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<RecordBatch> {
    if batches.len() == 1 {
        return Ok(batches[0].clone());
    }
    if batches.is_empty() {
        return Ok(RecordBatch::new_empty(schema.clone()));
    }
    let columns = (0..schema.fields().len())
        .into_par_iter()
        .map(|i| {
            let arrays: Vec<&dyn arrow::array::Array> =
                batches.iter().map(|b| b.column(i).as_ref()).collect();
            arrow::compute::concat(&arrays)
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let rows = batches.iter().map(RecordBatch::num_rows).sum();
    let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(rows));
    Ok(RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &options,
    )?)
}

#[cfg(test)]
mod tests {
    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;
    use crate::{RowGroupTarget, WriteOptions};

    /// 100 rows `0..100` in row groups of 10.
    fn dataset(dir: &std::path::Path) -> (OrderedParquetDataset, RecordBatch) {
        let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
        let batch =
            RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from_iter_values(0..100))])
                .unwrap();
        let ds = OrderedParquetDataset::open(dir).unwrap();
        let opts = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(10));
        ds.write(&batch, &opts).unwrap();
        assert_eq!(ds.num_row_groups(), 10);
        (ds, batch)
    }

    #[test]
    fn tail_decodes_the_last_pages_and_finds_every_row() {
        let dir = tempfile::tempdir().unwrap();
        let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
        let all = Int64Array::from_iter_values(0..100_000);
        let batch = RecordBatch::try_new(schema, vec![Arc::new(all)]).unwrap();
        let ds = OrderedParquetDataset::open(dir.path()).unwrap();
        ds.write(&batch, &WriteOptions::new("ts")).unwrap();
        // One row group of several pages (20,000 rows each by default).
        assert_eq!(ds.num_row_groups(), 1);
        for (n, end) in [
            (3, 50_001),
            (1, 40_000),
            (30_000, 50_001),
            (99_999, 100_000),
            (5, 7),
        ] {
            let opts = ReadOptions::new().start(0).end_excl(end);
            let expected = batch.slice((end as usize).saturating_sub(n), n.min(end as usize));
            assert_eq!(
                ds.tail(n, &opts).unwrap(),
                expected,
                "{n} rows before {end}"
            );
        }
    }

    #[test]
    fn tail_and_head_read_only_the_row_groups_they_need() {
        let dir = tempfile::tempdir().unwrap();
        let (ds, batch) = dataset(dir.path());
        let stats = ds.stored_stats();
        // Groups a tail of 15 rows does not need can be gone.
        for rg in &stats[..8] {
            ds.storage.delete(&ds.file_path(&rg.file)).unwrap();
        }
        assert_eq!(
            ds.tail(15, &ReadOptions::new()).unwrap(),
            batch.slice(85, 15)
        );
        assert!(ds.tail(25, &ReadOptions::new()).is_err());
        assert!(ds.head(1, &ReadOptions::new()).is_err());
        let from_80 = ReadOptions::new().start(80);
        assert_eq!(ds.head(5, &from_80).unwrap(), batch.slice(80, 5));
    }

    #[test]
    fn tail_and_head_respect_ranges_columns_and_zero() {
        let dir = tempfile::tempdir().unwrap();
        let (ds, batch) = dataset(dir.path());
        let range = ReadOptions::new().start(33).end_excl(36).columns(["ts"]);
        assert_eq!(ds.tail(10, &range).unwrap(), batch.slice(33, 3));
        assert_eq!(ds.head(2, &range).unwrap(), batch.slice(33, 2));
        assert_eq!(ds.tail(0, &ReadOptions::new()).unwrap().num_rows(), 0);
        assert_eq!(ds.head(0, &ReadOptions::new()).unwrap().num_rows(), 0);
        let empty = ReadOptions::new().start(1000);
        assert_eq!(ds.tail(3, &empty).unwrap().num_rows(), 0);
        let missing = OrderedParquetDataset::open(dir.path().join("none")).unwrap();
        assert!(matches!(
            missing.tail(1, &ReadOptions::new()),
            Err(Error::DatasetNotFound { .. })
        ));
    }
}
