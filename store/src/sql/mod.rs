//! SQL over datasets and stores with DataFusion (feature `sql`).
//!
//! - [`DatasetTable`]: one dataset as a DataFusion table, pinned to a
//!   version, sorted on its ordered column; its scan knows every row
//!   group's file, size, row count and ordered extremes from ordo's
//!   metadata, so filters on the ordered column read only the row groups
//!   (and pages) they need and `ORDER BY` that column needs no sort.
//! - [`StoreSchema`]: a root of datasets as a schema, each dataset a table
//!   named by its relative path, plus the catalog table `datasets`.
//! - [`Sql`]: a session over one or the other, with blocking helpers; its
//!   [`context`](Sql::context) is a plain DataFusion `SessionContext` for
//!   everything else (async queries, registering more tables, DataFrames).
//!
//! The `datasets` table has one row per dataset: for a typed store
//! ([`StoreSchema::of_store`]) first one column per key field, named and
//! typed as the field (strings `Utf8`, integers their Arrow integer type);
//! then `path` (relative to the root), `version`, `num_rows`,
//! `num_row_groups`, `ordered_on`, `first` and `last` (the smallest and
//! largest ordered values, in the ordered column's type when every dataset
//! shares it, else as text), `metadata` (the key-value metadata, a map:
//! `metadata['source']`) and `size_bytes`.
//!
//! Tables read through ordo's storage, wherever the datasets live (local
//! directories, memory, object stores).

mod bounds;
mod catalog;
mod reader;
mod runs;
mod schema;
mod split;
mod table;

use std::path::Path;
use std::sync::{Arc, OnceLock};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
/// The DataFusion crate of this module, re-exported so versions match.
pub use datafusion;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::StreamExt;

pub use reader::ScanStats;
pub use schema::{CATALOG_TABLE, StoreSchema};
pub use table::DatasetTable;

use crate::dataset::OrderedParquetDataset;
use crate::error::{Error, Result};
use crate::options::open::OpenOptions;

/// The table name of the dataset of a session opened on one dataset.
pub const SINGLE_TABLE: &str = "t";

/// A SQL session over ordo datasets: a DataFusion [`SessionContext`] with
/// the datasets registered, and blocking helpers that run queries on a
/// runtime of ordo's own (call them from ordinary threads; async code
/// uses [`Sql::context`] directly).
///
/// ```
/// # use std::sync::Arc;
/// # use ordo_store::arrow::array::{Float64Array, Int64Array, RecordBatch};
/// # use ordo_store::arrow::datatypes::{DataType, Field, Schema};
/// use ordo_store::sql::Sql;
/// use ordo_store::{OpenOptions, WriteOptions};
///
/// let dir = tempfile::tempdir()?;
/// # let schema = Arc::new(Schema::new(vec![
/// #     Field::new("ts", DataType::Int64, false),
/// #     Field::new("price", DataType::Float64, true),
/// # ]));
/// # let batch = RecordBatch::try_new(schema, vec![
/// #     Arc::new(Int64Array::from(vec![1, 2, 3])),
/// #     Arc::new(Float64Array::from(vec![10.0, 10.5, 9.5])),
/// # ])?;
/// ordo_store::write(dir.path().join("sap"), &batch, &WriteOptions::new("ts"))?;
/// ordo_store::write(dir.path().join("bmw"), &batch, &WriteOptions::new("ts"))?;
///
/// // A root of datasets: one table per dataset, and `datasets`.
/// let sql = Sql::open(dir.path(), &OpenOptions::new())?;
/// let out = sql.query("SELECT path, num_rows FROM datasets ORDER BY path")?;
/// assert_eq!(out[0].num_rows(), 2);
/// let out = sql.query("SELECT count(*) AS n FROM sap JOIN bmw USING (ts)")?;
/// assert_eq!(ordo_store::arrow::util::pretty::pretty_format_batches(&out)?.to_string(),
///     "+---+\n| n |\n+---+\n| 3 |\n+---+");
///
/// // One dataset: its table is `t`.
/// let one = Sql::open(dir.path().join("sap"), &OpenOptions::new())?;
/// assert_eq!(one.query("SELECT * FROM t ORDER BY ts DESC LIMIT 1")?[0].num_rows(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Sql {
    ctx: SessionContext,
}

impl std::fmt::Debug for Sql {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sql")
            .field("session", &self.ctx.session_id())
            .finish()
    }
}

impl Default for Sql {
    fn default() -> Self {
        Self::new()
    }
}

impl Sql {
    /// A session with no tables (register some on [`Sql::context`]).
    pub fn new() -> Self {
        let config = SessionConfig::new().with_information_schema(true);
        // After DataFusion's own rules, which decide where input is sorted.
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_default_features()
            .with_physical_optimizer_rule(Arc::new(runs::RunAggregation))
            .build();
        Self {
            ctx: SessionContext::new_with_state(state),
        }
    }

    /// A session on `root`: a dataset (then its table is `t`) or a root of
    /// datasets (then each is a table named by its relative path, and
    /// `datasets` lists them; see [`StoreSchema`]). `root` is a local
    /// directory or, with the `cloud` feature, a URL.
    pub fn open(root: impl AsRef<Path>, options: &OpenOptions) -> Result<Self> {
        let root = root.as_ref();
        let dataset = OrderedParquetDataset::open_with(root, options)?;
        if dataset.version().is_some() {
            let sql = Self::new();
            sql.ctx
                .register_table(SINGLE_TABLE, Arc::new(DatasetTable::new(&dataset)?))
                .map_err(query_error)?;
            return Ok(sql);
        }
        Ok(Self::with_schema(StoreSchema::open(root, options)?))
    }

    /// A session whose default schema is `schema`: its tables are named
    /// without qualification.
    pub fn with_schema(schema: StoreSchema) -> Self {
        let sql = Self::new();
        let catalog = sql
            .ctx
            .catalog("datafusion")
            .expect("DataFusion's default catalog");
        catalog
            .register_schema("public", Arc::new(schema))
            .expect("the default catalog takes schemas");
        sql
    }

    /// The DataFusion session, for async queries, DataFrames and more
    /// tables.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Runs `query` and collects its result.
    pub fn query(&self, query: &str) -> Result<Vec<RecordBatch>> {
        let ctx = self.ctx.clone();
        let query = query.to_owned();
        block_on(async move { ctx.sql(&query).await?.collect().await }).map_err(query_error)
    }

    /// Runs `query` and returns its result as batches computed as they are
    /// taken, in bounded memory for queries that stream (scans, filters,
    /// projections, ordered reads).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ordo_store::arrow::array::{Int64Array, RecordBatch};
    /// # use ordo_store::arrow::datatypes::{DataType, Field, Schema};
    /// # let dir = tempfile::tempdir()?;
    /// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
    /// # let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from_iter_values(0..1000))])?;
    /// # ordo_store::write(dir.path(), &batch, &ordo_store::WriteOptions::new("ts"))?;
    /// let sql = ordo_store::sql::Sql::open(dir.path(), &Default::default())?;
    /// let rows = sql.query_stream("SELECT ts FROM t WHERE ts % 2 = 0")?;
    /// assert_eq!(rows.schema().field(0).name(), "ts");
    /// let n: usize = rows.map(|b| b.map(|b| b.num_rows())).sum::<Result<_, _>>()?;
    /// assert_eq!(n, 500);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn query_stream(&self, query: &str) -> Result<Rows> {
        let ctx = self.ctx.clone();
        let query = query.to_owned();
        let stream = block_on(async move { ctx.sql(&query).await?.execute_stream().await })
            .map_err(query_error)?;
        Ok(Rows {
            schema: stream.schema(),
            stream: Some(stream),
        })
    }
}

/// The batches of a query, computed as they are taken (see
/// [`Sql::query_stream`]).
pub struct Rows {
    schema: SchemaRef,
    stream: Option<SendableRecordBatchStream>,
}

impl Rows {
    /// The schema of every batch.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

impl std::fmt::Debug for Rows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rows")
            .field("schema", &self.schema)
            .finish()
    }
}

impl Iterator for Rows {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut stream = self.stream.take()?;
        let (next, stream) = block_on(async move {
            let next = stream.next().await;
            (next, stream)
        });
        if next.is_some() {
            self.stream = Some(stream);
        }
        next.map(|r| r.map_err(query_error))
    }
}

/// A DataFusion error as ordo's.
fn query_error(e: datafusion::error::DataFusionError) -> Error {
    Error::Query {
        message: one_line(&e.to_string()),
        source: Box::new(e),
    }
}

/// `text` on one line: DataFusion's messages may span several.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The runtime queries of [`Sql`]'s blocking helpers run on: DataFusion
/// spreads a query's partitions over its worker threads.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .thread_name("ordo-sql")
            .enable_all()
            .build()
            .expect("a tokio runtime for SQL queries")
    })
}

/// Runs `f` to completion on the SQL runtime from a thread outside it.
fn block_on<F>(f: F) -> F::Output
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    match runtime().block_on(runtime().spawn(f)) {
        Ok(out) => out,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("ordo's SQL runtime cancelled a query: {e}"),
    }
}
