//! The zarrs store of a field array: zarrs' storage traits over an ordo
//! [`Storage`], so field arrays read and write through the same storage
//! as datasets, on any backend.
//!
//! Keys are `/`-separated paths below the field's `.zarr` prefix. A
//! missing key reads as `None`; deleting one is not an error. Writes go
//! through [`Storage::put_atomic`] (readers see a key's old value or its
//! new one whole), except through a [`ZarrStore::direct`] store, which
//! [`Storage::put`]s keys that no reader looks at yet.

use std::io;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use zarrs::storage::byte_range::{ByteRange, ByteRangeIterator, InvalidByteRangeError};
use zarrs::storage::{
    Bytes, ListableStorageTraits, MaybeBytes, MaybeBytesIterator, OffsetBytesIterator,
    ReadableStorageTraits, StorageError, StoreKey, StoreKeys, StoreKeysPrefixes, StorePrefix,
    WritableStorageTraits, store_set_partial_many,
};

use crate::storage::{Storage, join};

/// A field's `.zarr` directory inside a [`Storage`], as a zarrs store.
#[derive(Debug, Clone)]
pub(crate) struct ZarrStore {
    storage: Arc<dyn Storage>,
    /// The `.zarr` directory.
    prefix: String,
    /// Whether writes replace keys atomically.
    atomic: bool,
}

impl ZarrStore {
    /// The store of the `.zarr` directory `prefix` of `storage`; its
    /// writes are atomic.
    pub(crate) fn new(storage: Arc<dyn Storage>, prefix: String) -> Self {
        Self {
            storage,
            prefix,
            atomic: true,
        }
    }

    /// The same keys, written without the atomic replace: for keys past a
    /// field's published length, which no reader reads and which a
    /// crashed writer's successor simply writes again.
    pub(crate) fn direct(&self) -> Self {
        Self {
            atomic: false,
            ..self.clone()
        }
    }

    /// The storage the keys live in.
    pub(crate) fn storage(&self) -> &dyn Storage {
        self.storage.as_ref()
    }

    /// The `.zarr` directory inside the storage.
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The storage path of `key` (a key or a prefix, with or without its
    /// trailing `/`).
    pub(crate) fn path(&self, key: &str) -> String {
        join(&self.prefix, key.trim_end_matches('/'))
    }

    /// The path of `key` for messages.
    pub(crate) fn display_path(&self, key: &str) -> PathBuf {
        self.storage.display_path(&self.path(key))
    }

    /// Deletes the temporary files that interrupted atomic writes left in
    /// the directories `dirs` (keys relative to the `.zarr`); the storage
    /// knows its own temporary names.
    pub(crate) fn clean_up(&self, dirs: impl IntoIterator<Item = String>) -> io::Result<()> {
        for dir in dirs {
            self.storage.clean_up(&self.path(&dir))?;
        }
        Ok(())
    }

    /// [`ZarrStore::clean_up`] of every directory of the field.
    pub(crate) fn clean_up_all(&self) -> io::Result<()> {
        self.each_dir(&self.prefix, &mut |dir| {
            self.storage.clean_up(dir).map(drop)
        })
    }

    /// Calls `f` with the storage path of `dir` and of every directory
    /// below it, parents first.
    fn each_dir(&self, dir: &str, f: &mut dyn FnMut(&str) -> io::Result<()>) -> io::Result<()> {
        f(dir)?;
        for name in self.storage.list_dirs(dir)? {
            self.each_dir(&join(dir, &name), f)?;
        }
        Ok(())
    }

    /// The keys of every file below the storage path `dir`, relative to
    /// the `.zarr`, sorted.
    fn keys_below(&self, dir: &str) -> Result<StoreKeys, StorageError> {
        let mut keys = Vec::new();
        self.each_dir(dir, &mut |d| {
            for name in self.storage.list(d)? {
                keys.push(self.key_of(&join(d, &name))?);
            }
            Ok(())
        })
        .map_err(|e| self.io_error(dir, e))?;
        keys.sort();
        Ok(keys)
    }

    /// The key of the storage path `path` (below the `.zarr`).
    fn key_of(&self, path: &str) -> io::Result<StoreKey> {
        let key = match path.strip_prefix(&self.prefix) {
            Some(rest) if self.prefix.is_empty() => rest,
            Some(rest) => rest.strip_prefix('/').unwrap_or(rest),
            None => path,
        };
        StoreKey::new(key).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    /// A storage error naming the storage path `path`.
    fn io_error(&self, path: &str, e: io::Error) -> StorageError {
        let display = self.storage.display_path(path);
        io::Error::new(e.kind(), format!("{}: {e}", display.display())).into()
    }

    /// Reads `key`; `None` when it does not exist.
    fn read(&self, key: &StoreKey) -> Result<MaybeBytes, StorageError> {
        let path = self.path(key.as_str());
        match self.storage.read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io_error(&path, e)),
        }
    }
}

impl ReadableStorageTraits for ZarrStore {
    fn get(&self, key: &StoreKey) -> Result<MaybeBytes, StorageError> {
        self.read(key)
    }

    fn get_partial_many<'a>(
        &'a self,
        key: &StoreKey,
        byte_ranges: ByteRangeIterator<'a>,
    ) -> Result<MaybeBytesIterator<'a>, StorageError> {
        let ranges: Vec<ByteRange> = byte_ranges.collect();
        let bounded: Option<Vec<Range<u64>>> = ranges
            .iter()
            .map(|range| match *range {
                ByteRange::FromStart(start, Some(len)) => Some(start..start + len),
                _ => None,
            })
            .collect();
        let parts: Vec<Result<Bytes, StorageError>> = match bounded {
            Some(bounded) => {
                let path = self.path(key.as_str());
                let mut parts = Vec::with_capacity(bounded.len());
                for range in bounded {
                    match self.storage.read_range(&path, range) {
                        Ok(bytes) => parts.push(Ok(bytes)),
                        Err(e) if e.kind() == io::ErrorKind::NotFound && parts.is_empty() => {
                            return Ok(None);
                        }
                        Err(e) => parts.push(Err(self.io_error(&path, e))),
                    }
                }
                parts
            }
            None => {
                // Ranges from the end need the size: the object is read
                // once, so that the size and every range come from the
                // same version of a key that may be replaced meanwhile.
                let Some(bytes) = self.read(key)? else {
                    return Ok(None);
                };
                let size = bytes.len() as u64;
                ranges
                    .into_iter()
                    .map(|range| {
                        let valid = match range {
                            ByteRange::FromStart(start, len) => start + len.unwrap_or(0) <= size,
                            ByteRange::Suffix(len) => len <= size,
                        };
                        if !valid {
                            return Err(InvalidByteRangeError::new(range, size).into());
                        }
                        let Range { start, end } = range.to_range(size);
                        Ok(bytes.slice(start as usize..end as usize))
                    })
                    .collect()
            }
        };
        Ok(Some(Box::new(parts.into_iter())))
    }

    fn size_key(&self, key: &StoreKey) -> Result<Option<u64>, StorageError> {
        let path = self.path(key.as_str());
        match self.storage.size(&path) {
            Ok(size) => Ok(Some(size)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io_error(&path, e)),
        }
    }

    fn supports_get_partial(&self) -> bool {
        true
    }
}

impl WritableStorageTraits for ZarrStore {
    fn set(&self, key: &StoreKey, value: Bytes) -> Result<(), StorageError> {
        let path = self.path(key.as_str());
        let written = if self.atomic {
            self.storage.put_atomic(&path, &value)
        } else {
            self.storage.put(&path, &value)
        };
        written.map_err(|e| self.io_error(&path, e))
    }

    fn set_partial_many(
        &self,
        key: &StoreKey,
        offset_values: OffsetBytesIterator,
    ) -> Result<(), StorageError> {
        // Objects are written whole: read, modify, write back with `set`.
        store_set_partial_many(self, key, offset_values)
    }

    fn erase(&self, key: &StoreKey) -> Result<(), StorageError> {
        let path = self.path(key.as_str());
        self.storage
            .delete(&path)
            .map_err(|e| self.io_error(&path, e))
    }

    fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), StorageError> {
        for key in self.keys_below(&self.path(prefix.as_str()))? {
            self.erase(&key)?;
        }
        Ok(())
    }

    fn supports_set_partial(&self) -> bool {
        false
    }
}

impl ListableStorageTraits for ZarrStore {
    fn list(&self) -> Result<StoreKeys, StorageError> {
        self.keys_below(&self.prefix)
    }

    fn list_prefix(&self, prefix: &StorePrefix) -> Result<StoreKeys, StorageError> {
        self.keys_below(&self.path(prefix.as_str()))
    }

    fn list_dir(&self, prefix: &StorePrefix) -> Result<StoreKeysPrefixes, StorageError> {
        let dir = self.path(prefix.as_str());
        let names = |list: io::Result<Vec<String>>| list.map_err(|e| self.io_error(&dir, e));
        let keys = names(self.storage.list(&dir))?
            .into_iter()
            .map(|name| StoreKey::new(format!("{}{name}", prefix.as_str())))
            .collect::<Result<_, _>>()?;
        let prefixes = names(self.storage.list_dirs(&dir))?
            .into_iter()
            .map(|name| StorePrefix::new(format!("{}{name}/", prefix.as_str())))
            .collect::<Result<_, _>>()?;
        Ok(StoreKeysPrefixes::new(keys, prefixes))
    }

    fn size_prefix(&self, prefix: &StorePrefix) -> Result<u64, StorageError> {
        let mut total = 0;
        for key in self.list_prefix(prefix)? {
            total += self.size_key(&key)?.unwrap_or(0);
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemoryStorage;

    fn key(k: &str) -> StoreKey {
        StoreKey::new(k).unwrap()
    }

    #[test]
    fn keys_live_below_the_prefix_of_the_storage() {
        let memory = MemoryStorage::new();
        let store = ZarrStore::new(Arc::new(memory.clone()), "ds/_fields/f.zarr".into());
        store
            .set(&key("data/c/0/0"), Bytes::from_static(b"abcdef"))
            .unwrap();
        store
            .set(&key("zarr.json"), Bytes::from_static(b"{}"))
            .unwrap();
        store
            .direct()
            .set(&key("time/c/0"), Bytes::from_static(b"t"))
            .unwrap();
        assert_eq!(
            memory.paths(),
            [
                "ds/_fields/f.zarr/data/c/0/0",
                "ds/_fields/f.zarr/time/c/0",
                "ds/_fields/f.zarr/zarr.json"
            ]
        );
        assert_eq!(store.get(&key("missing")).unwrap(), None);
        assert_eq!(store.size_key(&key("data/c/0/0")).unwrap(), Some(6));
        let parts: Vec<Bytes> = store
            .get_partial_many(
                &key("data/c/0/0"),
                Box::new([ByteRange::FromStart(1, Some(2)), ByteRange::Suffix(2)].into_iter()),
            )
            .unwrap()
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(parts, [&b"bc"[..], &b"ef"[..]]);
        for past_the_end in [ByteRange::FromStart(4, Some(3)), ByteRange::Suffix(7)] {
            assert!(store.get_partial(&key("data/c/0/0"), past_the_end).is_err());
        }
        let tail = store
            .get_partial(&key("data/c/0/0"), ByteRange::FromStart(4, None))
            .unwrap();
        assert_eq!(tail.unwrap(), &b"ef"[..]);
        let missing = store.get_partial(&key("nope"), ByteRange::FromStart(0, Some(1)));
        assert!(missing.unwrap().is_none());
        store
            .set_partial(&key("data/c/0/0"), 4, Bytes::from_static(b"XYZ"))
            .unwrap();
        assert_eq!(
            store.get(&key("data/c/0/0")).unwrap().unwrap(),
            &b"abcdXYZ"[..]
        );

        let root = store.list_dir(&StorePrefix::root()).unwrap();
        assert_eq!(root.keys(), &[key("zarr.json")]);
        assert_eq!(
            root.prefixes(),
            &[
                StorePrefix::new("data/").unwrap(),
                StorePrefix::new("time/").unwrap()
            ]
        );
        assert_eq!(
            store.list().unwrap(),
            [key("data/c/0/0"), key("time/c/0"), key("zarr.json")]
        );
        assert_eq!(
            store
                .size_prefix(&StorePrefix::new("data/").unwrap())
                .unwrap(),
            7
        );
        store
            .erase_prefix(&StorePrefix::new("data/").unwrap())
            .unwrap();
        store.erase(&key("missing")).unwrap();
        assert_eq!(store.list().unwrap(), [key("time/c/0"), key("zarr.json")]);
    }
}
