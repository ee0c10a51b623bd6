//! Field arrays reached through a [`Store`]: by key, in the key's dataset
//! directory.

use std::path::Path;

use super::{FieldArray, FieldSpec};
use crate::error::Result;
use crate::keys::TopLevel;
use crate::store::Store;
use crate::store::discover::{Depth, storage_path};

impl<K: TopLevel + Ord + Clone> Store<K> {
    /// The names of the field arrays of `key`, sorted (empty when none).
    ///
    /// ```
    /// use ordo::fields::{ElementType, FieldSpec};
    /// use ordo::{Store, TopLevel};
    /// #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
    /// struct Run { id: u32 }
    ///
    /// let dir = tempfile::tempdir()?;
    /// let store = Store::<Run>::open(dir.path())?;
    /// let run = Run { id: 7 };
    /// store.create_field(&run, "image", &FieldSpec::new(ElementType::U16, [8, 8]))?;
    /// assert_eq!(store.fields(&run)?, vec!["image".to_string()]);
    /// assert_eq!(store.field(&run, "image")?.len()?, 0);
    /// assert_eq!(store.keys_with_fields()?, vec![run]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fields(&self, key: &K) -> Result<Vec<String>> {
        self.dataset_dir(key)?;
        FieldArray::list_in(self.storage(), &storage_path(&key.to_path()?))
    }

    /// Opens field array `name` of `key`.
    pub fn field(&self, key: &K, name: &str) -> Result<FieldArray> {
        FieldArray::open_with(self.dataset_dir(key)?, name, self.options())
    }

    /// Creates field array `name` of `key` (the key's dataset may not
    /// exist yet).
    pub fn create_field(&self, key: &K, name: &str, spec: &FieldSpec) -> Result<FieldArray> {
        FieldArray::create_with(self.dataset_dir(key)?, name, spec, self.options())
    }

    /// The keys, among every key directory of the store, that have at
    /// least one field array; sorted. Walks the store's directories to the
    /// key depth with the walker of store discovery (links and `_`/`.`
    /// names skipped, an unreadable directory an error), so keys with
    /// fields but no dataset are found too.
    pub fn keys_with_fields(&self) -> Result<Vec<K>> {
        let mut out = Vec::new();
        self.walker()
            .walk("", Depth::Exactly(K::DEPTH), &mut |rel| {
                if let Ok(key) = K::from_path(Path::new(rel))
                    && self.dataset_dir(&key).is_ok()
                    && !FieldArray::list_in(self.storage(), rel)?.is_empty()
                {
                    out.push(key);
                }
                Ok(())
            })?;
        out.sort();
        Ok(out)
    }
}
