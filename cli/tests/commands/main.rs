//! The `ordo` binary run as a user runs it, command by command: modules of
//! one test binary (one link instead of one per file).

#[path = "../common/mod.rs"]
mod common;

mod append;
mod cli;
mod errors;
mod fields;
mod pipe;
mod remove;
mod root;
mod rows;
mod upgrade;
