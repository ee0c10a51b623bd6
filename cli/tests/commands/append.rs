//! CSV and JSON-lines inputs appended to an existing dataset are read with
//! the dataset's column types; `--schema` names every type ordo stores.

use std::fs;
use std::sync::Arc;

use crate::common::{assert_error, ok, ok_stdin, ordo, snapshot};
use ordo::arrow::array::{Float64Array, Int64Array, LargeStringArray, RecordBatch};
use ordo::arrow::datatypes::{DataType, Field, Schema};
use ordo::parquet::arrow::ArrowWriter;

/// The column types of `ds`, as `ordo info --json` prints them.
fn types(d: &std::path::Path, ds: &str) -> Vec<String> {
    let info: serde_json::Value = serde_json::from_str(&ok(d, &["info", ds, "--json"])).unwrap();
    info["schema"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["type"].as_str().unwrap().to_owned())
        .collect()
}

/// A Parquet file as pandas writes one: `LargeUtf8` strings.
fn pandas_like(path: &std::path::Path) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("ts", DataType::Int64, false),
        Field::new("station", DataType::LargeUtf8, true),
        Field::new("temp", DataType::Float64, true),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from(vec![1, 2])),
            Arc::new(LargeStringArray::from(vec!["a", "b"])),
            Arc::new(Float64Array::from(vec![1.5, 2.5])),
        ],
    )
    .unwrap();
    let mut w = ArrowWriter::try_new(fs::File::create(path).unwrap(), schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

#[test]
fn csv_and_json_lines_take_the_dataset_types() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    pandas_like(&d.join("first.parquet"));
    ok(d, &["write", "ds", "first.parquet", "--ordered-on", "ts"]);
    // A day without temperatures: the column is all empty, which alone
    // would be inferred as type Null; the strings are read as LargeUtf8.
    fs::write(d.join("day.csv"), "ts,station,temp\n3,c,\n4,d,\n").unwrap();
    let out = ok(d, &["write", "ds", "day.csv", "--ordered-on", "ts"]);
    assert!(out.starts_with("version 2: 2 rows"), "{out}");
    // JSON lines, with a null and a missing value.
    let lines = "{\"ts\":5,\"station\":\"e\",\"temp\":null}\n{\"ts\":6,\"station\":\"f\"}\n";
    let args = [
        "write",
        "ds",
        "-",
        "--input-format",
        "jsonl",
        "--ordered-on",
        "ts",
    ];
    ok_stdin(d, &args, lines.as_bytes());
    assert_eq!(
        ok(d, &["cat", "ds"]),
        "ts,station,temp\n1,a,1.5\n2,b,2.5\n3,c,\n4,d,\n5,e,\n6,f,\n"
    );
    assert_eq!(types(d, "ds"), ["Int64", "LargeUtf8", "Float64"]);
    assert!(ok(d, &["verify", "ds"]).starts_with("ok: version 3, 6 rows"));

    // `--schema` still wins over the dataset's types, and a column the
    // dataset lacks is inferred, as for a new dataset: both then fail
    // the dataset's checks.
    let before = snapshot(&d.join("ds"));
    fs::write(d.join("more.csv"), "ts,station,temp\n7,g,3.5\n").unwrap();
    let forced = [
        "write",
        "ds",
        "more.csv",
        "--ordered-on",
        "ts",
        "--schema",
        "temp:utf8",
    ];
    assert_error(&ordo(d, &forced), "column `temp`: the dataset has Float64");
    fs::write(d.join("extra.csv"), "ts,station,temp,wind\n7,g,3.5,12\n").unwrap();
    assert_error(
        &ordo(d, &["write", "ds", "extra.csv", "--ordered-on", "ts"]),
        "wind",
    );
    assert_eq!(snapshot(&d.join("ds")), before);
}

#[test]
fn csv_times_take_the_dataset_unit_and_zone() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("a.csv"), "t,x\n2024-01-01T00:00:00Z,1\n").unwrap();
    let schema = ["--schema", "t:timestamp[ms,UTC]"];
    let mut args = vec!["write", "ds", "a.csv", "--ordered-on", "t"];
    args.extend(schema);
    ok(d, &args);
    // Inferred alone, these would be naive timestamps in seconds.
    fs::write(d.join("b.csv"), "t,x\n2024-01-02T00:00:00,2\n").unwrap();
    ok(d, &["write", "ds", "b.csv", "--ordered-on", "t"]);
    assert_eq!(types(d, "ds")[0], "Timestamp(ms, \"UTC\")");
    assert_eq!(
        ok(d, &["cat", "ds", "--start", "2024-01-02", "--columns", "x"]),
        "x\n2\n"
    );
}

/// Files of one table whose inferred types differ only in precision (a
/// day whose times fall on whole seconds, a column of whole numbers) are
/// read with the wider type; other differences are still refused.
#[test]
fn text_inputs_inferred_apart_are_read_with_the_wider_type() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(
        d.join("mon.csv"),
        "ts,qty\n2024-03-04T09:00:00,1\n2024-03-04T09:00:01,2\n",
    )
    .unwrap();
    fs::write(d.join("tue.csv"), "ts,qty\n2024-03-05T09:00:00.250,1.5\n").unwrap();
    fs::write(
        d.join("wed.jsonl"),
        "{\"ts\":\"2024-03-06T09:00:00.000125\",\"qty\":3.5}\n",
    )
    .unwrap();
    fs::write(d.join("thu.csv"), "ts,qty\n2024-03-07T09:00:00,many\n").unwrap();
    ok(
        d,
        &["write", "ds", "mon.csv", "tue.csv", "--ordered-on", "ts"],
    );
    assert_eq!(types(d, "ds"), ["Timestamp(ms)", "Float64"]);
    assert_eq!(
        ok(d, &["cat", "ds"]),
        "ts,qty\n2024-03-04T09:00:00,1.0\n2024-03-04T09:00:01,2.0\n2024-03-05T09:00:00.250,1.5\n"
    );
    // JSON lines times stay strings (arrow-json): `--schema` types them;
    // the CSV's integers widen to the JSON's decimals.
    let wed = [
        "write",
        "fresh",
        "mon.csv",
        "wed.jsonl",
        "--ordered-on",
        "ts",
    ];
    let mut args = wed.to_vec();
    args.extend(["--schema", "ts:timestamp[us]"]);
    ok(d, &args);
    assert_eq!(types(d, "fresh"), ["Timestamp(µs)", "Float64"]);
    // Numbers and text do not widen: refused as before, nothing written.
    let before = snapshot(&d.join("ds"));
    assert_error(
        &ordo(
            d,
            &["write", "other", "mon.csv", "thu.csv", "--ordered-on", "ts"],
        ),
        "column `qty` is Int64 in mon.csv but Utf8 in thu.csv",
    );
    assert!(!d.join("other").exists());
    assert_eq!(snapshot(&d.join("ds")), before);
}

#[test]
fn schema_names_every_stored_kind_and_round_trips_through_cat() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv = "ts,name,big,view,bytes,fixed,day,ms_day,at,clock,wait,price,flag,tiny\n\
               1,a,b,c,00ff,beef,2024-01-02,2024-01-02T00:00:00,2024-01-02T03:04:05.5,12:30:00.25,PT90S,3.14,true,0.5\n\
               2,,,,,,,,,,,,,\n";
    fs::write(d.join("in.csv"), csv).unwrap();
    let schema = "name:string,big:large_utf8,view:utf8_view,bytes:binary,fixed:fixed_size_binary[2],\
                  day:date32,ms_day:date64,at:timestamp[us,Europe/Berlin],clock:time64[us],\
                  wait:duration[ms],price:decimal128[10,2],flag:bool,tiny:float16";
    let args = [
        "write",
        "ds",
        "in.csv",
        "--ordered-on",
        "ts",
        "--schema",
        schema,
    ];
    ok(d, &args);
    assert_eq!(
        types(d, "ds"),
        [
            "Int64",
            "Utf8",
            "LargeUtf8",
            "Utf8View",
            "Binary",
            "FixedSizeBinary(2)",
            "Date32",
            "Date64",
            "Timestamp(µs, \"Europe/Berlin\")",
            "Time64(µs)",
            "Duration(ms)",
            "Decimal128(10, 2)",
            "Boolean",
            "Float16",
        ]
    );
    // What `cat` prints reads back into the same dataset, as the same
    // values: CSV appends take the dataset's types.
    let printed = ok(d, &["cat", "ds"]);
    let args = [
        "write",
        "ds",
        "-",
        "--input-format",
        "csv",
        "--ordered-on",
        "ts",
        "--duplicates-on-all",
    ];
    ok_stdin(d, &args, printed.as_bytes());
    assert_eq!(ok(d, &["cat", "ds"]), printed);
    assert_eq!(printed.lines().count(), 3, "{printed}");
    // Nested types come from JSON lines; a type as `ordo info` prints it
    // is accepted too.
    let lines = "{\"ts\":1,\"tags\":[\"x\",\"y\"],\"pos\":{\"lat\":1.5}}\n";
    let args = [
        "write",
        "nested",
        "-",
        "--input-format",
        "jsonl",
        "--ordered-on",
        "ts",
        "--schema",
        "tags:large_list[utf8],pos:struct[lat:float32],ts:UInt32",
    ];
    ok_stdin(d, &args, lines.as_bytes());
    let t = types(d, "nested");
    assert_eq!(t[0], "UInt32");
    assert!(
        t[1].starts_with("LargeList(") && t[2].starts_with("Struct("),
        "{t:?}"
    );
    assert_eq!(
        ok(d, &["cat", "nested", "--format", "jsonl"]),
        "{\"ts\":1,\"tags\":[\"x\",\"y\"],\"pos\":{\"lat\":1.5}}\n"
    );
    // CSV holds no nested values.
    fs::write(d.join("n.csv"), "ts,tags\n1,x\n").unwrap();
    let args = [
        "write",
        "x",
        "n.csv",
        "--ordered-on",
        "ts",
        "--schema",
        "tags:list[utf8]",
    ];
    assert_error(&ordo(d, &args), "column `tags`: CSV cannot hold");
}

/// A CSV of `rows` rows whose first 100,000 (the rows types are first
/// inferred from) hold integers and nothing in `note`; the rows after
/// them a decimal and a text.
fn late_types_csv(path: &std::path::Path, rows: usize) {
    let mut csv = String::from("ts,v,note\n");
    for i in 0..rows {
        if i < 100_000 {
            csv += &format!("{i},{i},\n");
        } else {
            csv += &format!("{i},{i}.5,late\n");
        }
    }
    fs::write(path, csv).unwrap();
}

#[test]
fn csv_types_that_change_after_the_first_records_are_inferred_from_all() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    late_types_csv(&d.join("late.csv"), 100_002);
    let out = ordo(d, &["write", "ds", "late.csv", "--ordered-on", "ts"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("version 1: 100002 rows"), "{stdout}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "note: line 100002 of late.csv: column `v`: cannot read \"100000.5\" as Int64 (its type was inferred from the first 100000 records): reading the inputs again, with types inferred from every record\n"
    );
    assert_eq!(types(d, "ds"), ["Int64", "Float64", "Utf8"]);
    assert_eq!(
        ok(d, &["tail", "ds", "-n", "3"]),
        "ts,v,note\n99999,99999.0,\n100000,100000.5,late\n100001,100001.5,late\n"
    );
    // Standard input is read once and kept for the second reading.
    let args = [
        "write",
        "stdin",
        "-",
        "--input-format",
        "csv",
        "--ordered-on",
        "ts",
    ];
    let csv = fs::read(d.join("late.csv")).unwrap();
    ok_stdin(d, &args, &csv);
    assert_eq!(types(d, "stdin"), ["Int64", "Float64", "Utf8"]);
    assert_eq!(ok(d, &["cat", "stdin"]), ok(d, &["cat", "ds"]));
}

#[test]
fn a_forced_type_is_not_inferred_again() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    late_types_csv(&d.join("late.csv"), 100_001);
    let args = [
        "write",
        "ds",
        "late.csv",
        "--ordered-on",
        "ts",
        "--schema",
        "v:int64",
    ];
    // Line 1 is the header: row 100,000 (from 0) is on line 100,002.
    assert_error(
        &ordo(d, &args),
        "line 100002 of late.csv: column `v`: cannot read \"100000.5\" as Int64",
    );
    assert!(!d.join("ds").exists() || snapshot(&d.join("ds")).is_empty());
}
