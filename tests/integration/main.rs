//! The integration tests through the public API, as modules of one test
//! binary (one link instead of one per file). The kill, multi-process and
//! compile-fail UI tests stay binaries of their own: the first two run
//! their binary as child processes.

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
mod store;
