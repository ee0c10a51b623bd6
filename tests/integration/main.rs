//! The integration tests through the public API, as modules of one test
//! binary (one link instead of one per file). The kill and multi-process
//! tests stay binaries of their own: they run their binary as child
//! processes. The derive's compile-fail UI tests live in `store-derive`.

#[path = "../common/mod.rs"]
mod common;

mod commit_safety;
mod dataset;
mod faults;
mod fields;
mod format;
mod fuzz_smoke;
mod intersections;
mod keys;
mod keys_proptest;
mod log_proptest;
mod merge;
mod object_storage;
mod options;
mod polars;
mod sql;
mod sql_runs;
mod sql_split;
mod store;
mod stream;
