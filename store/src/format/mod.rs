//! The on-disk format (docs/FORMAT.md): [`manifest`] (file names, the
//! row-group entry, format 1's whole-version manifest), [`record`] (format
//! 2's commit record), [`checkpoint`] (format 2's whole state as Arrow
//! IPC), [`snapshot`] (a version's decoded state and how a record changes
//! it), and [`rowfile`], one Parquet row-group file with ordo's writer
//! settings, whose columns [`columns`] encodes in parallel.

pub(crate) mod checkpoint;
pub(crate) mod columns;
pub(crate) mod manifest;
pub(crate) mod record;
pub(crate) mod rowfile;
pub(crate) mod snapshot;
