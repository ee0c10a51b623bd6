//! `ordo head`, `ordo tail`, Parquet output, and the inputs of `ordo
//! write`: Arrow IPC, standard input, `--schema`.

use std::fs;
use std::sync::Arc;

use crate::common::{CSV, assert_error, ok, ok_stdin, ordo, ordo_stdin, snapshot};
use ordo::arrow::array::{AsArray, Int64Array, RecordBatch};
use ordo::arrow::datatypes::{DataType, Field, Schema, TimeUnit, TimestampMillisecondType};
use ordo::arrow::ipc::CompressionType;
use ordo::arrow::ipc::writer::{FileWriter, IpcWriteOptions, StreamWriter};
use ordo::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use ordo::parquet::basic::LogicalType;

/// A dataset `ds` of `ts` = 0..100 in row groups of 10.
fn hundred(d: &std::path::Path) {
    let mut csv = String::from("ts,v\n");
    for i in 0..100 {
        csv += &format!("{i},{}\n", i * 2);
    }
    fs::write(d.join("in.csv"), csv).unwrap();
    ok(
        d,
        &[
            "write",
            "ds",
            "in.csv",
            "--ordered-on",
            "ts",
            "--target",
            "10",
        ],
    );
}

#[test]
fn head_and_tail_print_the_first_and_last_rows() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    hundred(d);
    let head = ok(d, &["head", "ds"]);
    assert_eq!(head.lines().count(), 11); // header + 10 by default
    assert_eq!(ok(d, &["head", "ds", "-n", "2"]), "ts,v\n0,0\n1,2\n");
    assert_eq!(
        ok(d, &["tail", "ds", "-n", "3", "--columns", "v"]),
        "v\n194\n196\n198\n"
    );
    assert_eq!(
        ok(d, &["tail", "ds", "-n", "1", "--format", "jsonl"]),
        "{\"ts\":99,\"v\":198}\n"
    );
    assert_eq!(ok(d, &["tail", "ds", "-n", "0"]), "ts,v\n");
    ok(
        d,
        &[
            "head",
            "ds",
            "-n",
            "4",
            "--format",
            "parquet",
            "-o",
            "h.parquet",
        ],
    );
    ok(d, &["write", "h", "h.parquet", "--ordered-on", "ts"]);
    assert_eq!(ok(d, &["cat", "h", "--columns", "ts"]), "ts\n0\n1\n2\n3\n");
    assert_eq!(ok(d, &["head", "ds", "-n", "1000"]).lines().count(), 101);

    // tail reads only the last row groups: the others may be gone.
    let info: serde_json::Value = serde_json::from_str(&ok(d, &["info", "ds", "--json"])).unwrap();
    for rg in &info["row_groups"].as_array().unwrap()[..8] {
        fs::remove_file(d.join("ds").join(rg["file"].as_str().unwrap())).unwrap();
    }
    assert_eq!(ok(d, &["tail", "ds", "-n", "15"]).lines().count(), 16);
    assert_error(&ordo(d, &["head", "ds"]), "");
    assert_error(&ordo(d, &["tail", "missing"]), "no dataset at missing");
}

#[test]
fn head_and_tail_take_a_range_and_a_version() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    hundred(d);
    fs::write(d.join("more.csv"), "ts,v\n100,-1\n").unwrap();
    ok(d, &["write", "ds", "more.csv", "--ordered-on", "ts"]);
    assert_eq!(
        ok(d, &["tail", "ds", "-n", "1", "--columns", "ts"]),
        "ts\n100\n"
    );
    // The version before the last write.
    let v1 = ["--version", "1", "--columns", "ts"];
    let mut args = vec!["tail", "ds", "-n", "2"];
    args.extend(v1);
    assert_eq!(ok(d, &args), "ts\n98\n99\n");
    let mut args = vec!["head", "ds", "-n", "1"];
    args.extend(v1);
    assert_eq!(ok(d, &args), "ts\n0\n");
    assert_error(&ordo(d, &["head", "ds", "--version", "7"]), "version 7");
    // Ranges: the first rows from --start, the last rows before --end.
    let range = ["--start", "40", "--end", "60", "--columns", "ts"];
    let mut args = vec!["head", "ds", "-n", "2"];
    args.extend(range);
    assert_eq!(ok(d, &args), "ts\n40\n41\n");
    let mut args = vec!["tail", "ds", "-n", "2"];
    args.extend(range);
    assert_eq!(ok(d, &args), "ts\n58\n59\n");
}

#[test]
fn cat_writes_parquet_that_write_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    hundred(d);
    ok(
        d,
        &[
            "cat",
            "ds",
            "--start",
            "90",
            "--format",
            "parquet",
            "-o",
            "out.parquet",
        ],
    );
    ok(d, &["write", "copy", "out.parquet", "--ordered-on", "ts"]);
    assert_eq!(
        ok(d, &["cat", "copy"]),
        ok(d, &["cat", "ds", "--start", "90"])
    );
    // Parquet through a pipe (standard output is not a terminal here).
    let bytes = ordo(d, &["cat", "ds", "--end", "3", "--format", "parquet"]).stdout;
    assert_eq!(&bytes[..4], b"PAR1");
    ok_stdin(
        d,
        &[
            "write",
            "piped",
            "-",
            "--input-format",
            "parquet",
            "--ordered-on",
            "ts",
        ],
        &bytes,
    );
    assert_eq!(ok(d, &["cat", "piped"]), "ts,v\n0,0\n1,2\n2,4\n");
}

fn batch(values: &[i64]) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
    RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(values.to_vec()))]).unwrap()
}

#[test]
fn arrow_ipc_files_and_streams_are_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let b = batch(&[1, 2]);
    let mut w =
        FileWriter::try_new(fs::File::create(d.join("a.arrow")).unwrap(), &b.schema()).unwrap();
    w.write(&b).unwrap();
    w.finish().unwrap();
    // The stream format, under an IPC extension.
    let b = batch(&[3]);
    let mut w =
        StreamWriter::try_new(fs::File::create(d.join("b.ipc")).unwrap(), &b.schema()).unwrap();
    w.write(&b).unwrap();
    w.finish().unwrap();
    fs::copy(d.join("a.arrow"), d.join("c.feather")).unwrap();
    let out = ok(
        d,
        &["write", "ds", "a.arrow", "b.ipc", "--ordered-on", "ts"],
    );
    assert!(out.starts_with("version 1: 3 rows"), "{out}");
    assert_eq!(ok(d, &["cat", "ds"]), "ts\n1\n2\n3\n");
    // One more commit, with deduplication on every column.
    ok(
        d,
        &[
            "write",
            "ds",
            "c.feather",
            "--ordered-on",
            "ts",
            "--duplicates-on-all",
        ],
    );
    assert_eq!(ok(d, &["cat", "ds"]), "ts\n1\n2\n3\n");
    // IPC from standard input.
    let bytes = fs::read(d.join("b.ipc")).unwrap();
    ok_stdin(
        d,
        &[
            "write",
            "s",
            "-",
            "--input-format",
            "ipc",
            "--ordered-on",
            "ts",
        ],
        &bytes,
    );
    // A file that is not IPC.
    fs::write(d.join("bad.arrow"), b"not arrow").unwrap();
    let before = snapshot(&d.join("ds"));
    assert_error(
        &ordo(d, &["write", "ds", "bad.arrow", "--ordered-on", "ts"]),
        "bad.arrow: not an Arrow IPC file or stream",
    );
    assert_eq!(snapshot(&d.join("ds")), before);
}

#[test]
fn compressed_arrow_ipc_is_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Long runs compress well: the buffers are written compressed.
    let values: Vec<i64> = (0..10_000).map(|i| i / 100).collect();
    for (codec, name) in [
        (CompressionType::LZ4_FRAME, "lz4"),
        (CompressionType::ZSTD, "zstd"),
    ] {
        let options = IpcWriteOptions::default()
            .try_with_compression(Some(codec))
            .unwrap();
        let b = batch(&values);
        let file = fs::File::create(d.join(format!("{name}.feather"))).unwrap();
        let mut w = FileWriter::try_new_with_options(file, &b.schema(), options.clone()).unwrap();
        w.write(&b).unwrap();
        w.finish().unwrap();
        let file = fs::File::create(d.join(format!("{name}.arrows"))).unwrap();
        let mut w = StreamWriter::try_new_with_options(file, &b.schema(), options).unwrap();
        w.write(&b).unwrap();
        w.finish().unwrap();
        for ext in ["feather", "arrows"] {
            let ds = format!("{name}-{ext}");
            let input = format!("{name}.{ext}");
            let out = ok(d, &["write", &ds, &input, "--ordered-on", "ts"]);
            assert!(out.starts_with("version 1: 10000 rows"), "{out}");
            let tail = ok(d, &["tail", &ds, "-n", "2"]);
            assert_eq!(tail, "ts\n99\n99\n", "{input}");
        }
    }
}

#[test]
fn csv_from_stdin_with_forced_types() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv = "t,x,s\n2024-01-01T00:00:00Z,1,a\n2024-01-02T00:00:00Z,2,b\n";
    let args = [
        "write",
        "ds",
        "-",
        "--input-format",
        "csv",
        "--ordered-on",
        "t",
        "--schema",
        "t:timestamp[ms,UTC],x:float32",
    ];
    let out = ordo_stdin(d, &args, csv.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "progress stays hidden off a terminal"
    );
    let info: serde_json::Value = serde_json::from_str(&ok(d, &["info", "ds", "--json"])).unwrap();
    assert_eq!(info["schema"][0]["type"], "Timestamp(ms, \"UTC\")");
    assert_eq!(info["schema"][1]["type"], "Float32");
    assert_eq!(info["schema"][2]["type"], "Utf8");
    assert_eq!(
        ok(d, &["cat", "ds", "--start", "2024-01-02", "--columns", "s"]),
        "s\nb\n"
    );
    // JSON lines from standard input, with a forced integer type.
    let lines = "{\"ts\":1,\"v\":5}\n{\"ts\":2,\"v\":6}\n";
    let args = [
        "write",
        "j",
        "-",
        "--input-format",
        "jsonl",
        "--ordered-on",
        "ts",
        "--schema",
        "v:int32",
    ];
    ok_stdin(d, &args, lines.as_bytes());
    let info: serde_json::Value = serde_json::from_str(&ok(d, &["info", "j", "--json"])).unwrap();
    assert_eq!(info["schema"][1]["type"], "Int32");

    // Errors: standard input without a format, twice, --schema of a
    // missing column, --schema with Parquet, a bad type (usage error).
    fs::write(d.join("in.csv"), CSV).unwrap();
    let before = snapshot(&d.join("ds"));
    assert_error(
        &ordo_stdin(
            d,
            &["write", "ds", "-", "--ordered-on", "t"],
            csv.as_bytes(),
        ),
        "needs --input-format",
    );
    let twice = [
        "write",
        "ds",
        "-",
        "-",
        "--input-format",
        "csv",
        "--ordered-on",
        "t",
    ];
    assert_error(&ordo_stdin(d, &twice, csv.as_bytes()), "only once");
    let missing = [
        "write",
        "x",
        "in.csv",
        "--ordered-on",
        "ts",
        "--schema",
        "nope:int64",
    ];
    assert_error(&ordo(d, &missing), "`nope`");
    fs::write(d.join("p.parquet"), b"").unwrap();
    let parquet = [
        "write",
        "x",
        "p.parquet",
        "--ordered-on",
        "ts",
        "--schema",
        "ts:int64",
    ];
    assert_error(&ordo(d, &parquet), "--schema applies to CSV and JSON-lines");
    let bad_type = [
        "write",
        "x",
        "in.csv",
        "--ordered-on",
        "ts",
        "--schema",
        "ts:int128",
    ];
    assert_eq!(ordo(d, &bad_type).status.code(), Some(2));
    assert_eq!(snapshot(&d.join("ds")), before);
    assert!(!d.join("x").exists());
}

/// Seconds timestamps in a zone, one per hour from 2024-07-01T00:00:00Z.
fn seconds_csv(d: &std::path::Path) {
    let mut csv = String::from("ts,v\n");
    for h in 0..3 {
        csv += &format!("{},{h}\n", 1_719_792_000 + h * 3600);
    }
    fs::write(d.join("s.csv"), csv).unwrap();
    ok(
        d,
        &[
            "write",
            "ds",
            "s.csv",
            "--ordered-on",
            "ts",
            "--schema",
            "ts:timestamp[s,Europe/Berlin]",
        ],
    );
}

#[test]
fn seconds_timestamps_are_times_in_parquet_and_in_info() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    seconds_csv(d);
    // Exported Parquet: a millisecond timestamp column with the zone, the
    // same instants (Parquet has no seconds unit).
    let bytes = ordo(d, &["cat", "ds", "--format", "parquet"]).stdout;
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes)).unwrap();
    let ms = DataType::Timestamp(TimeUnit::Millisecond, Some("Europe/Berlin".into()));
    assert_eq!(reader.schema().field(0).data_type(), &ms);
    let leaf = reader.parquet_schema().column(0);
    assert!(
        matches!(leaf.logical_type_ref(), Some(LogicalType::Timestamp(_))),
        "{leaf:?}"
    );
    let batch = reader.build().unwrap().next().unwrap().unwrap();
    let values = batch.column(0).as_primitive::<TimestampMillisecondType>();
    assert_eq!(values.value(1), 1_719_795_600_000);
    // What people read: times in the column's zone.
    let info = ok(d, &["info", "ds"]);
    assert!(
        info.contains("2024-07-01T02:00:00+02:00") && info.contains("2024-07-01T04:00:00+02:00"),
        "{info}"
    );
    let ls = ok(d, &["ls", "."]);
    assert!(ls.contains("2024-07-01T02:00:00+02:00"), "{ls}");
    let json: serde_json::Value = serde_json::from_str(&ok(d, &["info", "ds", "--json"])).unwrap();
    let group = &json["row_groups"][0];
    assert_eq!(group["min"], "2024-07-01T02:00:00+02:00", "{json}");
}

#[test]
fn writes_and_compactions_that_change_nothing_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    seconds_csv(d);
    let dedup = ["--duplicates-on", "ts"];
    let mut again = vec!["write", "ds", "s.csv", "--ordered-on", "ts"];
    again.extend(dedup);
    let before = snapshot(&d.join("ds"));
    assert_eq!(ok(d, &again), "version 1: nothing changed\n");
    assert_eq!(ok(d, &["compact", "ds"]), "version 1: nothing changed\n");
    assert_eq!(snapshot(&d.join("ds")), before);
    assert_eq!(
        ok(d, &["versions", "ds"]).lines().count(),
        2,
        "a header and version 1"
    );
}
