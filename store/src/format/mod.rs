//! The on-disk format (docs/FORMAT.md): [`manifest`], the numbered
//! document that publishes a version, and [`rowfile`], one Parquet
//! row-group file with ordo's writer settings.

pub(crate) mod manifest;
pub(crate) mod rowfile;
