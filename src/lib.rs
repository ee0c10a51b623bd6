//! ordo: an embedded store for ordered time-series datasets.
//!
//! Name datasets with plain structs, write Arrow record batches into them
//! again and again, and read them back whole, by range, or in lock-step
//! across datasets.
//!
//! # Keys
//!
//! ```
//! use std::path::Path;
//! use ordo::{SubLevel, TopLevel};
//!
//! #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, SubLevel)]
//! struct Sampling { frequency: String }
//!
//! #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, TopLevel)]
//! #[ordo(sep = "-")] // optional: "-" is the default
//! struct Measure { quantity: String, city: String, sampling: Sampling }
//!
//! let key = Measure {
//!     quantity: "temperature".into(),
//!     city: "berlin".into(),
//!     sampling: Sampling { frequency: "1D".into() },
//! };
//! assert_eq!(Measure::DEPTH, 2);
//! assert_eq!(key.to_path()?, Path::new("temperature-berlin/1D"));
//! assert_eq!(key.to_string(), "temperature-berlin-1D");
//! assert_eq!(Measure::from_path(Path::new("temperature-berlin/1D"))?, key);
//! assert_eq!("temperature-berlin-1D".parse::<Measure>()?, key);
//! // Parsing is strict: a leftover leading part is an error.
//! assert!(Measure::from_path(Path::new("zz-temperature-berlin/1D")).is_err());
//! # Ok::<(), ordo::KeyError>(())
//! ```
//!
//! # Features
//!
//! - `polars`: polars DataFrames in and out of datasets and intersection
//!   steps (module `df`, `write_df`, `read_df`...), with the
//!   matching polars crate re-exported as `ordo::polars`.
#![cfg_attr(
    feature = "polars",
    doc = r#"
```
use ordo::polars::prelude::*;
use ordo::{OrderedParquetDataset, WriteOptions};

let dir = tempfile::tempdir().unwrap();
let ds = OrderedParquetDataset::open(dir.path().join("ticks")).unwrap();
let df = df!("ts" => [1i64, 2, 3], "price" => [10.0, 10.5, 9.5]).unwrap();
ds.write_df(&df, &WriteOptions::new("ts")).unwrap();
assert!(ds.read_df().unwrap().equals(&df));
```
"#
)]

pub use ordo_derive::{SubLevel, TopLevel};
pub use ordo_store::*;

/// The chrono crate ordo's API speaks, re-exported so versions always match.
pub use chrono;

/// Support for the derive macros; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use ordo_store::keys::__private::*;
}

/// The README's code blocks, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
