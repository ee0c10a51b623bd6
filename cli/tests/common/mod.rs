//! What the tests running the built `ordo` binary share: running it,
//! checking errors, snapshots of directories, input files.
#![allow(dead_code)] // each test binary uses some of them

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use ordo::arrow::array::{Int64Array, RecordBatch, StringArray};
use ordo::arrow::datatypes::{DataType, Field, Schema};
use ordo::parquet::arrow::ArrowWriter;

/// Runs `ordo` with `args` in `dir`.
pub fn ordo(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ordo"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Runs `ordo` and returns its standard output, asserting success.
pub fn ok(dir: &Path, args: &[&str]) -> String {
    let out = ordo(dir, args);
    assert!(
        out.status.success(),
        "ordo {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Asserts `out` is a failure with exit code 1 and one `error:` line.
pub fn assert_error(out: &Output, contains: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "stderr: {stderr}");
    assert!(stderr.starts_with("error: "), "stderr: {stderr}");
    assert!(stderr.contains(contains), "stderr: {stderr}");
}

/// Every file below `dir` with its size and contents.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    if !dir.exists() {
        return files;
    }
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            for (name, bytes) in snapshot(&path) {
                files.insert(format!("{}/{name}", path.display()), bytes);
            }
        } else {
            files.insert(path.display().to_string(), fs::read(&path).unwrap());
        }
    }
    files
}

/// Writes a Parquet file of `(ts, station, v)` rows.
pub fn write_parquet(path: &Path, rows: &[(i64, &str, i64)]) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("ts", DataType::Int64, false),
        Field::new("station", DataType::Utf8, false),
        Field::new("v", DataType::Int64, true),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1))),
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.2))),
        ],
    )
    .unwrap();
    let mut w = ArrowWriter::try_new(fs::File::create(path).unwrap(), schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// Runs `ordo` with `args` in `dir`, feeding `input` on standard input.
pub fn ordo_stdin(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ordo"))
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // A command that fails before reading its input closes the pipe.
    match child.stdin.take().unwrap().write_all(input) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("{e}"),
        _ => {}
    }
    child.wait_with_output().unwrap()
}

/// [`ordo_stdin`], asserting success; returns standard output.
pub fn ok_stdin(dir: &Path, args: &[&str], input: &[u8]) -> String {
    let out = ordo_stdin(dir, args, input);
    assert!(
        out.status.success(),
        "ordo {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Four rows ordered on `ts`.
pub const CSV: &str = "ts,price,station\n1,10.5,a\n2,11.0,b\n3,9.25,a\n5,8.0,c\n";

/// Runs `ordo` with `args` in `dir`, its standard output a pipe whose
/// reading end is closed before it starts: every write to it fails with
/// a broken pipe, as when the reader of `ordo ... | head -1` has exited.
pub fn ordo_closed_stdout(dir: &Path, args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_ordo"))
        .current_dir(dir)
        .args(args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("the binary runs")
}
