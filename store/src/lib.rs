//! ordo-store: the runtime of ordo.
//!
//! Users depend on the `ordo` facade crate, which re-exports this crate's
//! public items together with the derive macros.

pub mod keys;

pub use keys::{KeyError, SubLevel, TopLevel};
