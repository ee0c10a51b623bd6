//! Streaming reads: one row group decoded at a time.

use std::collections::VecDeque;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

use super::{ReadOptions, ResolvedRead, decode_err};
use crate::dataset::OrderedParquetDataset;
use crate::error::Result;
use crate::format::rowfile::RowFileReader;
use crate::storage::Storage;

impl OrderedParquetDataset {
    /// Streams what `options` select, one row group at a time: memory stays
    /// near one row group whatever the dataset's size.
    pub fn scan_with(&self, options: &ReadOptions) -> Result<Scan> {
        let resolved = ResolvedRead::new(self.snapshot_or_not_found()?, &self.path(), options)?;
        Ok(Scan {
            storage: self.storage.clone(),
            prefix: self.prefix.clone(),
            pending: resolved.groups.iter().copied().collect(),
            resolved,
            batch_size: options.batch_size,
            current: None,
        })
    }
}

/// A streaming read: an iterator of record batches in ordered-column order.
///
/// ```
/// # use std::sync::Arc;
/// # use ordo_store::arrow::array::{Int64Array, RecordBatch};
/// # use ordo_store::arrow::datatypes::{DataType, Field, Schema};
/// # use ordo_store::{OrderedParquetDataset, ReadOptions, WriteOptions, storage::MemoryStorage};
/// let ds = OrderedParquetDataset::open_with("ds", &ordo_store::OpenOptions::new().storage(Arc::new(MemoryStorage::new())))?;
/// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
/// # let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from_iter_values(0..100))])?;
/// ds.write(&batch, &WriteOptions::new("ts"))?;
/// let mut rows = 0;
/// for b in ds.scan_with(&ReadOptions::new().batch_size(30))? {
///     rows += b?.num_rows();
/// }
/// assert_eq!(rows, 100);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Scan {
    storage: Arc<dyn Storage>,
    prefix: String,
    resolved: ResolvedRead,
    pending: VecDeque<(usize, bool)>,
    batch_size: usize,
    current: Option<(RowFileReader, Option<usize>, usize)>,
}

impl Scan {
    /// The schema of the batches.
    pub fn schema(&self) -> SchemaRef {
        self.resolved.out_schema.clone()
    }

    /// The version being read.
    pub fn version(&self) -> u64 {
        self.resolved.snapshot.version
    }
}

impl Iterator for Scan {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((reader, trim_at, i)) = &mut self.current {
                match reader.next() {
                    Some(Ok(b)) => {
                        let out = self
                            .resolved
                            .finish(b, *trim_at)
                            .map_err(|e| e.in_dataset(|| self.storage.display_path(&self.prefix)));
                        if matches!(&out, Ok(b) if b.num_rows() == 0) {
                            continue;
                        }
                        return Some(out);
                    }
                    Some(Err(e)) => {
                        let file = &self.resolved.snapshot.stats[*i].file;
                        let err = decode_err(&self.storage, &self.prefix, file)(e);
                        self.current = None;
                        self.pending.clear();
                        return Some(Err(err));
                    }
                    None => self.current = None,
                }
            }
            let (i, partial) = self.pending.pop_front()?;
            match self.resolved.open(
                &self.storage,
                &self.prefix,
                i,
                partial,
                self.batch_size,
                None,
            ) {
                Ok((reader, trim_at)) => self.current = Some((reader, trim_at, i)),
                Err(e) => {
                    self.pending.clear();
                    return Some(Err(e));
                }
            }
        }
    }
}

impl std::fmt::Debug for Scan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scan")
            .field("version", &self.version())
            .field("remaining_row_groups", &self.pending.len())
            .finish()
    }
}
