//! A root of datasets as a DataFusion schema: each dataset is a table
//! named by its path relative to the root, opened when a query names it;
//! `datasets` is the catalog table (see [`super::catalog`]). Tables a
//! session registers (`CREATE VIEW`, `CREATE TABLE ... AS`) live in
//! memory in front of the datasets.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::common::{DataFusionError, exec_err};

use super::catalog::{self, KeyColumns};
use super::table::DatasetTable;
use crate::dataset::OrderedParquetDataset;
use crate::error::Result;
use crate::options::open::OpenOptions;
use crate::storage::{Prefixed, Storage};
use crate::store::discover::dataset_dirs_in;
use crate::{Store, TopLevel};

/// The name of the catalog table, one row per dataset.
pub const CATALOG_TABLE: &str = "datasets";

/// A root of datasets as a DataFusion [`SchemaProvider`]: every dataset is
/// a table named by its path relative to the root (quote it in SQL:
/// `"temperature-berlin/10min"`), pinned to its latest version when a
/// query first names it; the table `datasets` lists the datasets (see
/// [`Sql`](super::Sql) for its columns). A dataset whose path is
/// `datasets` is hidden by that table.
///
/// ```
/// # use std::sync::Arc;
/// # use ordo_store::arrow::array::{Int64Array, RecordBatch};
/// # use ordo_store::arrow::datatypes::{DataType, Field, Schema};
/// use ordo_store::sql::datafusion::catalog::SchemaProvider;
/// use ordo_store::sql::StoreSchema;
/// use ordo_store::{OpenOptions, WriteOptions};
///
/// let dir = tempfile::tempdir()?;
/// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
/// # let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(vec![1, 2]))])?;
/// ordo_store::write(dir.path().join("berlin/10min"), &batch, &WriteOptions::new("ts"))?;
/// let schema = StoreSchema::open(dir.path(), &OpenOptions::new())?;
/// assert_eq!(schema.table_names(), ["berlin/10min", "datasets"]);
/// assert!(schema.table_exist("berlin/10min"));
/// assert!(!schema.table_exist("berlin"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct StoreSchema {
    /// The root's files.
    storage: Arc<dyn Storage>,
    /// What datasets open with (their storage is the root's).
    options: OpenOptions,
    /// The key columns of the catalog table, for a typed store.
    keys: Option<KeyColumns>,
    /// Tables registered by the session.
    registered: RwLock<HashMap<String, Arc<dyn TableProvider>>>,
}

impl StoreSchema {
    /// The datasets below `root` (a local directory or, with the `cloud`
    /// feature, a URL), opened with `options`. A missing root has no
    /// datasets.
    pub fn open(root: impl AsRef<Path>, options: &OpenOptions) -> Result<Self> {
        let (storage, prefix) = options.locate(root.as_ref())?;
        Ok(Self::over(Prefixed::over(storage, prefix), options, None))
    }

    /// The datasets of `store`, whose catalog table also has one typed
    /// column per field of its key (named as the key's fields).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ordo::arrow::array::{Int64Array, RecordBatch};
    /// # use ordo::arrow::datatypes::{DataType, Field, Schema};
    /// use ordo::sql::{Sql, StoreSchema};
    /// use ordo::{Store, TopLevel, WriteOptions};
    ///
    /// #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
    /// struct Station { city: String, year: u16 }
    ///
    /// let dir = tempfile::tempdir()?;
    /// let store = Store::<Station>::open(dir.path())?;
    /// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
    /// # let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(vec![1, 2]))])?;
    /// store.get(&Station { city: "berlin".into(), year: 2024 })?.write(&batch, &WriteOptions::new("ts"))?;
    /// let sql = Sql::with_schema(StoreSchema::of_store(&store));
    /// let out = sql.query("SELECT city, year + 1 AS next, num_rows FROM datasets")?;
    /// assert_eq!(ordo::arrow::util::pretty::pretty_format_batches(&out)?.to_string(),
    ///     "+--------+------+----------+\n\
    ///      | city   | next | num_rows |\n\
    ///      +--------+------+----------+\n\
    ///      | berlin | 2025 | 2        |\n\
    ///      +--------+------+----------+");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn of_store<K: TopLevel + Ord + Clone>(store: &Store<K>) -> Self {
        let storage: Arc<dyn Storage> = store.storage_arc();
        Self::over(storage, store.options(), Some(KeyColumns::of::<K>()))
    }

    fn over(storage: Arc<dyn Storage>, options: &OpenOptions, keys: Option<KeyColumns>) -> Self {
        Self {
            options: options.clone().storage(storage.clone()),
            storage,
            keys,
            registered: RwLock::default(),
        }
    }

    /// The dataset at `name` if there is one with a version.
    fn dataset(&self, name: &str) -> Result<Option<OrderedParquetDataset>> {
        if !is_relative_path(name) {
            return Ok(None);
        }
        let ds =
            OrderedParquetDataset::open_in(self.storage.clone(), name.to_owned(), &self.options)?;
        Ok(ds.version().is_some().then_some(ds))
    }

    /// The relative paths of the datasets, sorted.
    fn dataset_names(&self) -> Result<Vec<String>> {
        Ok(dataset_dirs_in(self.storage.as_ref())?
            .into_iter()
            .filter_map(|p| p.to_str().map(|s| s.replace('\\', "/")))
            .filter(|p| !p.is_empty())
            .collect())
    }
}

/// Whether `name` is a plain relative path (no empty, `.` or `..` parts).
fn is_relative_path(name: &str) -> bool {
    !name.is_empty()
        && name
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != ".." && !part.contains('\\'))
}

fn external(e: crate::Error) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

#[async_trait]
impl SchemaProvider for StoreSchema {
    /// The registered tables, the datasets and `datasets`, sorted. A root
    /// that cannot be listed shows none (queries naming a table still
    /// report why).
    fn table_names(&self) -> Vec<String> {
        let mut names = self.dataset_names().unwrap_or_default();
        names.push(CATALOG_TABLE.to_owned());
        names.extend(self.registered.read().expect("tables").keys().cloned());
        names.sort();
        names.dedup();
        names
    }

    async fn table(
        &self,
        name: &str,
    ) -> datafusion::common::Result<Option<Arc<dyn TableProvider>>> {
        if let Some(table) = self.registered.read().expect("tables").get(name) {
            return Ok(Some(table.clone()));
        }
        if name == CATALOG_TABLE {
            let names = self.dataset_names().map_err(external)?;
            let mut datasets = Vec::with_capacity(names.len());
            for name in names {
                if let Some(ds) = self.dataset(&name).map_err(external)? {
                    datasets.push((name, ds));
                }
            }
            return Ok(Some(catalog::table(&datasets, self.keys.as_ref())?));
        }
        Ok(match self.dataset(name).map_err(external)? {
            Some(ds) => Some(Arc::new(DatasetTable::new(&ds).map_err(external)?)),
            None => None,
        })
    }

    fn register_table(
        &self,
        name: String,
        table: Arc<dyn TableProvider>,
    ) -> datafusion::common::Result<Option<Arc<dyn TableProvider>>> {
        if name == CATALOG_TABLE || self.dataset(&name).map_err(external)?.is_some() {
            return exec_err!("table {name:?} is a dataset of the store: choose another name");
        }
        Ok(self.registered.write().expect("tables").insert(name, table))
    }

    fn deregister_table(
        &self,
        name: &str,
    ) -> datafusion::common::Result<Option<Arc<dyn TableProvider>>> {
        Ok(self.registered.write().expect("tables").remove(name))
    }

    fn table_exist(&self, name: &str) -> bool {
        name == CATALOG_TABLE
            || self.registered.read().expect("tables").contains_key(name)
            || matches!(self.dataset(name), Ok(Some(_)))
    }
}
