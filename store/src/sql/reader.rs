//! DataFusion reads row-group files through ordo's [`Storage`], wherever
//! the dataset lives: a [`ParquetFileReaderFactory`] whose readers fetch
//! byte ranges from the storage (nearby ranges coalesced into one
//! request), know each file's size from ordo's metadata (no request to
//! ask for it), and keep each file's footer once read, with its page
//! index, for the table's later queries (files never change once
//! written). What they read is counted in [`ScanStats`].

use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::ParquetFileReaderFactory;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use futures::FutureExt;
use futures::future::BoxFuture;
use parquet::arrow::arrow_reader::ArrowReaderOptions;
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::errors::ParquetError;
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaData, ParquetMetaDataReader};

use crate::storage::Storage;

/// Ranges of one file closer than this are fetched in one request.
const COALESCE_GAP: u64 = 1024 * 1024;

/// The first read of a footer fetches this much of the file's end, which
/// holds the footer and page index of ordo's row-group files in one
/// request.
const FOOTER_PREFETCH: usize = 64 * 1024;

/// What the scans of one table read, summed since the table was created.
///
/// ```
/// let stats = ordo_store::sql::ScanStats::default();
/// assert_eq!(stats.row_groups, 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Row groups handed to scans, after pruning by the ordered column.
    pub row_groups: u64,
    /// Requests to storage (each one ranged read).
    pub requests: u64,
    /// Bytes fetched from storage.
    pub bytes: u64,
}

/// The counters behind [`ScanStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    row_groups: AtomicU64,
    requests: AtomicU64,
    bytes: AtomicU64,
}

impl Counters {
    pub(crate) fn add_row_groups(&self, n: usize) {
        self.row_groups.fetch_add(n as u64, Ordering::Relaxed);
    }

    fn add_read(&self, bytes: usize) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub(crate) fn stats(&self) -> ScanStats {
        ScanStats {
            row_groups: self.row_groups.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
        }
    }
}

/// Readers of one dataset's files.
#[derive(Debug)]
pub(crate) struct StorageReaders {
    pub storage: Arc<dyn Storage>,
    pub counters: Arc<Counters>,
    /// Footers read so far, by file path.
    pub footers: Arc<Mutex<HashMap<String, Arc<ParquetMetaData>>>>,
}

impl ParquetFileReaderFactory for StorageReaders {
    fn create_reader(
        &self,
        _partition_index: usize,
        file: PartitionedFile,
        _metadata_size_hint: Option<usize>,
        _metrics: &ExecutionPlanMetricsSet,
    ) -> datafusion::common::Result<Box<dyn AsyncFileReader + Send>> {
        Ok(Box::new(StorageFileReader {
            storage: self.storage.clone(),
            counters: self.counters.clone(),
            footers: self.footers.clone(),
            path: file.object_meta.location.to_string(),
            size: file.object_meta.size,
        }))
    }
}

/// Reads one file of a storage.
struct StorageFileReader {
    storage: Arc<dyn Storage>,
    counters: Arc<Counters>,
    footers: Arc<Mutex<HashMap<String, Arc<ParquetMetaData>>>>,
    path: String,
    size: u64,
}

impl StorageFileReader {
    /// Reads `ranges` (sorted or not) with one request per run of nearby
    /// ranges, off the async threads: storage calls block.
    fn fetch(
        &self,
        ranges: Vec<Range<u64>>,
    ) -> BoxFuture<'static, parquet::errors::Result<Vec<Bytes>>> {
        let (storage, path, counters) = (
            self.storage.clone(),
            self.path.clone(),
            self.counters.clone(),
        );
        async move {
            let task = tokio::task::spawn_blocking(move || {
                let runs = coalesce(&ranges);
                let mut fetched = Vec::with_capacity(runs.len());
                for run in &runs {
                    let bytes = storage
                        .read_range(&path, run.clone())
                        .map_err(|e| ParquetError::External(Box::new(e)))?;
                    counters.add_read(bytes.len());
                    fetched.push((run.start, bytes));
                }
                Ok(ranges
                    .iter()
                    .map(|r| slice(&fetched, r))
                    .collect::<Vec<_>>())
            });
            task.await
                .map_err(|e| ParquetError::External(Box::new(e)))?
        }
        .boxed()
    }
}

impl AsyncFileReader for StorageFileReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        let fetch = self.fetch(vec![range]);
        async move { Ok(fetch.await?.remove(0)) }.boxed()
    }

    fn get_byte_ranges(
        &mut self,
        ranges: Vec<Range<u64>>,
    ) -> BoxFuture<'_, parquet::errors::Result<Vec<Bytes>>> {
        self.fetch(ranges)
    }

    fn get_metadata<'a>(
        &'a mut self,
        _options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        async move {
            let cached = self
                .footers
                .lock()
                .expect("footer cache")
                .get(&self.path)
                .cloned();
            if let Some(metadata) = cached {
                return Ok(metadata);
            }
            // The page index comes with the footer whatever the scan asked
            // for: it prunes pages of range queries, and ordo's files keep
            // it next to the footer, inside the same prefetch.
            let size = self.size;
            let metadata = ParquetMetaDataReader::new()
                .with_page_index_policy(PageIndexPolicy::Optional)
                .with_prefetch_hint(Some(FOOTER_PREFETCH))
                .load_and_finish(&mut *self, size)
                .await?;
            let metadata = Arc::new(metadata);
            self.footers
                .lock()
                .expect("footer cache")
                .insert(self.path.clone(), metadata.clone());
            Ok(metadata)
        }
        .boxed()
    }
}

/// The runs of `ranges` to fetch: sorted, each covering ranges less than
/// [`COALESCE_GAP`] apart.
fn coalesce(ranges: &[Range<u64>]) -> Vec<Range<u64>> {
    let mut sorted: Vec<Range<u64>> = ranges.to_vec();
    sorted.sort_by_key(|r| r.start);
    let mut runs: Vec<Range<u64>> = Vec::with_capacity(sorted.len());
    for r in sorted {
        match runs.last_mut() {
            Some(last) if r.start <= last.end.saturating_add(COALESCE_GAP) => {
                last.end = last.end.max(r.end);
            }
            _ => runs.push(r),
        }
    }
    runs
}

/// The bytes of `range` out of the fetched runs (one of which covers it).
fn slice(fetched: &[(u64, Bytes)], range: &Range<u64>) -> Bytes {
    let (start, bytes) = fetched
        .iter()
        .rev()
        .find(|(start, _)| *start <= range.start)
        .expect("a run covers every range");
    // Storage reads fail rather than come back short, so the run holds
    // the whole range; the bounds only keep a broken storage from panics.
    let len = bytes.len();
    let from = ((range.start - start) as usize).min(len);
    let to = ((range.end - start) as usize).min(len);
    bytes.slice(from..to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearby_ranges_share_a_request() {
        let mb = COALESCE_GAP;
        assert_eq!(coalesce(&[10..20, 0..5]), vec![0..20]);
        assert_eq!(
            coalesce(&[0..5, 5 + mb + 1..5 + mb + 2]),
            vec![0..5, 5 + mb + 1..5 + mb + 2]
        );
        assert_eq!(coalesce(&[0..100, 10..20]), vec![0..100]);
        assert!(coalesce(&[]).is_empty());
    }

    #[test]
    fn slices_come_from_their_run() {
        let fetched = vec![
            (0, Bytes::from_static(b"abcdef")),
            (100, Bytes::from_static(b"xyz")),
        ];
        assert_eq!(&slice(&fetched, &(2..4))[..], b"cd");
        assert_eq!(&slice(&fetched, &(101..103))[..], b"yz");
        assert_eq!(&slice(&fetched, &(101..110))[..], b"yz");
    }
}
