//! One dataset as a DataFusion table, pinned to one version.
//!
//! The scan is DataFusion's own Parquet scan (`DataSourceExec` over a
//! `ParquetSource`), fed from ordo's metadata instead of a listing: the
//! row-group files of the pinned version with their sizes, row counts and
//! the extremes of the ordered column, which declare the table sorted on
//! it and prove the files do not overlap (so `ORDER BY` the ordered column
//! needs no sort). Filters on the ordered column select the row groups
//! before any file is opened ([`Bounds`]); every filter is then also
//! pushed into the Parquet scan, which prunes row groups and pages by
//! their statistics, and stays in the plan (`Inexact`), so results never
//! depend on pruning. The selected row groups are shared out among the
//! scan's partitions by the rows they probably hold in range
//! ([`split`](super::split)), cutting a group in two where a few groups
//! would not share out evenly.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use arrow::compute::SortOptions;
use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::stats::Precision;
use datafusion::common::{ColumnStatistics, Statistics};
use datafusion::datasource::TableType;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::parquet::ParquetRowSelection;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::{LexOrdering, PhysicalSortExpr};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use parquet::arrow::arrow_reader::{RowSelection, RowSelector};

use super::bounds::{Bounds, scalar};
use super::reader::{ScanStats, StorageReaders};
use super::split::{Estimate, partitions};
use crate::dataset::{OrderedParquetDataset, RowGroupStats, Snapshot};
use crate::error::{Error, Result};
use crate::storage::{Storage, join};

/// A dataset as a DataFusion [`TableProvider`], pinned to the version the
/// dataset handle was at: every query through it sees that version, even
/// while writers commit newer ones.
///
/// ```
/// # use std::sync::Arc;
/// # use ordo_store::arrow::array::{Float64Array, Int64Array, RecordBatch};
/// # use ordo_store::arrow::datatypes::{DataType, Field, Schema};
/// use ordo_store::sql::{DatasetTable, Sql};
/// use ordo_store::{OrderedParquetDataset, WriteOptions};
///
/// let dir = tempfile::tempdir()?;
/// let ds = OrderedParquetDataset::open(dir.path().join("ticks"))?;
/// # let schema = Arc::new(Schema::new(vec![
/// #     Field::new("ts", DataType::Int64, false),
/// #     Field::new("price", DataType::Float64, true),
/// # ]));
/// # let batch = RecordBatch::try_new(schema, vec![
/// #     Arc::new(Int64Array::from(vec![1, 2, 3])),
/// #     Arc::new(Float64Array::from(vec![10.0, 10.5, 9.5])),
/// # ])?;
/// ds.write(&batch, &WriteOptions::new("ts"))?;
///
/// let table = DatasetTable::new(&ds)?;
/// assert_eq!(table.version(), 1);
/// let sql = Sql::new();
/// sql.context().register_table("ticks", Arc::new(table))?;
/// let out = sql.query("SELECT max(price) AS top FROM ticks WHERE ts >= 2")?;
/// assert_eq!(ordo_store::arrow::util::pretty::pretty_format_batches(&out)?.to_string(),
///     "+------+\n| top  |\n+------+\n| 10.5 |\n+------+");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct DatasetTable {
    snapshot: Arc<Snapshot>,
    prefix: String,
    readers: Arc<StorageReaders>,
}

impl DatasetTable {
    /// The table of `dataset` at the version its handle is at.
    /// [`Error::DatasetNotFound`] when it has none.
    pub fn new(dataset: &OrderedParquetDataset) -> Result<Self> {
        let snapshot = dataset.snapshot().ok_or_else(|| Error::DatasetNotFound {
            path: dataset.path(),
        })?;
        let (storage, prefix) = dataset.storage_and_prefix();
        Ok(Self::pinned(snapshot, storage.clone(), prefix.to_owned()))
    }

    pub(crate) fn pinned(
        snapshot: Arc<Snapshot>,
        storage: Arc<dyn Storage>,
        prefix: String,
    ) -> Self {
        Self {
            snapshot,
            prefix,
            readers: Arc::new(StorageReaders {
                storage,
                counters: Arc::default(),
                footers: Arc::new(Mutex::new(HashMap::new())),
            }),
        }
    }

    /// The version every query of this table sees.
    pub fn version(&self) -> u64 {
        self.snapshot.version
    }

    /// The name of the ordered column, on which the table is sorted.
    pub fn ordered_on(&self) -> &str {
        &self.snapshot.ordered_on
    }

    /// What the scans of this table read so far (row groups after pruning
    /// by the ordered column, requests and bytes).
    pub fn scan_stats(&self) -> ScanStats {
        self.readers.counters.stats()
    }

    /// The statistics DataFusion gets for one row group: exact row count,
    /// extremes of the ordered column, which holds no nulls.
    fn group_statistics(&self, rg: &RowGroupStats) -> Statistics {
        let schema = &self.snapshot.schema;
        let ordered = self.snapshot.ordered_index();
        let dt = self.snapshot.ordered_type();
        let mut stats = Statistics::new_unknown(schema);
        stats.num_rows = Precision::Exact(rg.num_rows as usize);
        stats.total_byte_size = Precision::Inexact(rg.size_bytes as usize);
        if let (Some(min), Some(max)) = (scalar(&rg.min, dt), scalar(&rg.max, dt)) {
            stats.column_statistics[ordered] = ColumnStatistics::new_unknown()
                .with_min_value(Precision::Exact(min))
                .with_max_value(Precision::Exact(max))
                .with_null_count(Precision::Exact(0));
        }
        stats
    }

    /// The statistics of a run of row groups.
    fn run_statistics(&self, groups: &[RowGroupStats]) -> Statistics {
        let schema = &self.snapshot.schema;
        let mut stats = Statistics::new_unknown(schema);
        stats.num_rows = Precision::Exact(groups.iter().map(|g| g.num_rows as usize).sum());
        stats.total_byte_size =
            Precision::Inexact(groups.iter().map(|g| g.size_bytes as usize).sum());
        if let (Some(first), Some(last)) = (groups.first(), groups.last()) {
            let first = self.group_statistics(first).column_statistics;
            let last = self.group_statistics(last).column_statistics;
            let ordered = self.snapshot.ordered_index();
            stats.column_statistics[ordered] = ColumnStatistics::new_unknown()
                .with_min_value(first[ordered].min_value.clone())
                .with_max_value(last[ordered].max_value.clone())
                .with_null_count(Precision::Exact(0));
        }
        stats
    }

    /// The file DataFusion reads for `rows` of `rg` (`None`: all of them).
    fn piece_file(&self, rg: &RowGroupStats, rows: Option<Range<u64>>) -> PartitionedFile {
        let file = PartitionedFile::new(join(&self.prefix, &rg.file), rg.size_bytes);
        let mut stats = self.group_statistics(rg);
        let Some(rows) = rows else {
            return file.with_statistics(Arc::new(stats));
        };
        // Part of a group: its count and extremes are bounds, not exact.
        stats = stats.to_inexact();
        stats.num_rows = Precision::Inexact((rows.end - rows.start) as usize);
        let mut selectors = Vec::with_capacity(3);
        if rows.start > 0 {
            selectors.push(RowSelector::skip(rows.start as usize));
        }
        selectors.push(RowSelector::select((rows.end - rows.start) as usize));
        if rows.end < rg.num_rows {
            selectors.push(RowSelector::skip((rg.num_rows - rows.end) as usize));
        }
        file.with_statistics(Arc::new(stats))
            .with_extension(ParquetRowSelection::new(RowSelection::from(selectors)))
    }

    /// The sort order of every scan: the ordered column ascending (nulls
    /// last, as `ORDER BY` puts them by default; the column has none).
    fn ordering(&self) -> Option<LexOrdering> {
        let i = self.snapshot.ordered_index();
        LexOrdering::new([PhysicalSortExpr::new(
            Arc::new(Column::new(&self.snapshot.ordered_on, i)),
            SortOptions {
                descending: false,
                nulls_first: false,
            },
        )])
    }
}

#[async_trait]
impl TableProvider for DatasetTable {
    fn schema(&self) -> SchemaRef {
        self.snapshot.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> datafusion::common::Result<Vec<TableProviderFilterPushDown>> {
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    fn statistics(&self) -> Option<Statistics> {
        Some(self.run_statistics(&self.snapshot.stats))
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> datafusion::common::Result<Arc<dyn ExecutionPlan>> {
        let snapshot = &self.snapshot;
        let bounds = Bounds::from_filters(filters, &snapshot.ordered_on, snapshot.ordered_type());
        let selected = &snapshot.stats[bounds.select(&snapshot.stats)];
        self.readers.counters.add_row_groups(selected.len());
        if selected.is_empty() {
            let schema = match projection {
                Some(p) => Arc::new(snapshot.schema.project(p)?),
                None => snapshot.schema.clone(),
            };
            return Ok(Arc::new(EmptyExec::new(schema)));
        }
        let estimates: Vec<Estimate> = selected
            .iter()
            .map(|rg| Estimate {
                rows: rg.num_rows,
                in_range: bounds.share(rg),
            })
            .collect();
        let parts = state.config_options().execution.target_partitions;
        let groups = partitions(&estimates, parts)
            .into_iter()
            .map(|pieces| {
                FileGroup::new(
                    pieces
                        .into_iter()
                        .map(|piece| self.piece_file(&selected[piece.group], piece.rows))
                        .collect(),
                )
            })
            .collect();
        let mut options = state.table_options().parquet.clone();
        // ordo writes no bloom filters: looking for them costs every file
        // opened a few microseconds for nothing.
        options.global.bloom_filter_on_read = false;
        let source = ParquetSource::new(snapshot.schema.clone())
            .with_table_parquet_options(options)
            .with_parquet_file_reader_factory(self.readers.clone());
        // The URL only names a store DataFusion always has; every byte
        // comes through the reader factory, from the dataset's storage.
        let config =
            FileScanConfigBuilder::new(ObjectStoreUrl::local_filesystem(), Arc::new(source))
                .with_file_groups(groups)
                .with_statistics(self.run_statistics(selected))
                .with_projection_indices(projection.cloned())?
                .with_limit(limit)
                .with_output_ordering(self.ordering().into_iter().collect())
                .build();
        Ok(DataSourceExec::from_data_source(config))
    }
}
