"""Every column type ordo stores comes back from pyarrow, polars and DuckDB
with the same logical type and the same values as from pyarrow's own
Parquet files.

    check_types.py DIR ORDO

pyarrow builds one table per ordered type (every unit of timestamps with
and without zone, dates, integers, floats, strings) carrying every common
column type as payload (times, durations, decimals, strings and binaries of
each kind, lists, structs, all-null columns); the `ordo` binary writes each
into a dataset from an Arrow IPC file; then pyarrow, polars and DuckDB
read the Parquet files the dataset's latest manifest lists, and each
result is compared with what the same reader makes of pyarrow's own
Parquet file of the table (`pq.write_table`): the Parquet format has no
seconds unit (seconds timestamps and times come back in milliseconds, as
from pyarrow's files) and no duration type (DuckDB reads durations as
integers of their unit, as from pyarrow's files). pyarrow's result must
also hold the original values exactly.
"""
import datetime as dt
import decimal
import glob
import json
import os
import subprocess
import sys

import duckdb
import polars as pl
import pyarrow as pa
from ordo_log import ordo_files
import pyarrow.parquet as pq

N = 6


def latest_files(dataset):
    """The files of the latest version, by the log (docs/FORMAT.md 3, 6)."""
    return ordo_files(dataset)


def payload():
    """Common column types, each with a null."""
    def with_null(values):
        return values[:-1] + [None]

    base = dt.datetime(2024, 3, 1, 12, 30, 15, 123456)
    return {
        "i8": pa.array(with_null(list(range(N))), pa.int8()),
        "u64": pa.array(with_null([2**63 + i for i in range(N)]), pa.uint64()),
        "f32": pa.array(with_null([i / 4 for i in range(N)]), pa.float32()),
        "bool": pa.array(with_null([i % 2 == 0 for i in range(N)]), pa.bool_()),
        "utf8": pa.array(with_null([f"s{i}" for i in range(N)]), pa.string()),
        "large_utf8": pa.array(with_null([f"l{i}" for i in range(N)]), pa.large_string()),
        "utf8_view": pa.array(with_null([f"v{i}" * 5 for i in range(N)]), pa.string_view()),
        "binary": pa.array(with_null([bytes([i]) for i in range(N)]), pa.binary()),
        "large_binary": pa.array(with_null([bytes([i, i]) for i in range(N)]), pa.large_binary()),
        "date32": pa.array(with_null([dt.date(2024, 1, 1 + i) for i in range(N)]), pa.date32()),
        "time32_s": pa.array(with_null([dt.time(1, 2, i) for i in range(N)]), pa.time32("s")),
        "time32_ms": pa.array(with_null([dt.time(1, 2, 3, 1000 * i) for i in range(N)]), pa.time32("ms")),
        "time64_us": pa.array(with_null([dt.time(1, 2, 3, i) for i in range(N)]), pa.time64("us")),
        "time64_ns": pa.array(with_null([i * 1_001 for i in range(N)]), pa.time64("ns")),
        "ts_s": pa.array(with_null([base + dt.timedelta(days=i) for i in range(N)]), pa.timestamp("s")),
        "ts_ms_utc": pa.array(with_null([base + dt.timedelta(hours=i) for i in range(N)]), pa.timestamp("ms", tz="UTC")),
        "ts_us_paris": pa.array(with_null([base + dt.timedelta(minutes=i) for i in range(N)]), pa.timestamp("us", tz="Europe/Paris")),
        "ts_ns": pa.array(with_null([1_700_000_000_000_000_000 + i for i in range(N)]), pa.timestamp("ns")),
        "decimal": pa.array(with_null([decimal.Decimal(f"{i}.25") for i in range(N)]), pa.decimal128(10, 2)),
        "list_i64": pa.array(with_null([list(range(i)) for i in range(N)]), pa.list_(pa.int64())),
        "struct": pa.array(with_null([{"a": i, "b": f"x{i}"} for i in range(N)]),
                           pa.struct([("a", pa.int32()), ("b", pa.string())])),
        "nulls": pa.array([None] * N, pa.float64()),
    }


DURATION_TYPES = {
    "dur_s": pa.duration("s"),
    "dur_ms": pa.duration("ms"),
    "dur_us": pa.duration("us"),
    "dur_ns": pa.duration("ns"),
}


def ordered_columns():
    """Ordered column name -> sorted array of that type."""
    t0 = dt.datetime(2024, 3, 31, 0, 30)  # across the Paris DST change
    times = [t0 + dt.timedelta(hours=i) for i in range(N)]
    out = {}
    for unit in ["s", "ms", "us", "ns"]:
        out[f"ts_{unit}"] = pa.array(times, pa.timestamp(unit))
        out[f"ts_{unit}_utc"] = pa.array(times, pa.timestamp(unit, tz="UTC"))
        out[f"ts_{unit}_berlin"] = pa.array(times, pa.timestamp(unit, tz="Europe/Berlin"))
    out["date32"] = pa.array([dt.date(2024, 1, 1 + i) for i in range(N)], pa.date32())
    out["i32"] = pa.array(range(-3, N - 3), pa.int32())
    out["u16"] = pa.array(range(N), pa.uint16())
    out["f64"] = pa.array([i / 3 for i in range(N)], pa.float64())
    out["utf8"] = pa.array([f"k{i}" for i in range(N)], pa.string())
    out["large_utf8"] = pa.array([f"k{i}" for i in range(N)], pa.large_string())
    return out


def write_ipc(table, path):
    with pa.ipc.new_file(path, table.schema) as writer:
        writer.write_table(table)


def check(directory, ordo):
    """Each reader must read ordo's files as it reads pyarrow's own Parquet
    file of the same table (same types, same values), and pyarrow's result
    must hold the original values exactly."""
    os.makedirs(directory, exist_ok=True)
    failures = []
    cols = payload()
    for name, typ in DURATION_TYPES.items():
        cols[name] = pa.array([i * 7 for i in range(N - 1)] + [None], typ)
    for ordered, array in ordered_columns().items():
        table = pa.table({"key": array, **cols})
        source = os.path.join(directory, f"{ordered}.arrow")
        write_ipc(table, source)
        reference = os.path.join(directory, f"{ordered}.pyarrow.parquet")
        pq.write_table(table, reference)
        dataset = os.path.join(directory, ordered)
        subprocess.run([ordo, "write", dataset, source, "--ordered-on", "key"], check=True,
                       stdout=subprocess.DEVNULL)
        files = latest_files(dataset)
        where = f"ordered on {ordered}"

        # pyarrow: the types of its own file, and the original values.
        got = pa.concat_tables([pq.read_table(f) for f in files])
        want = pq.read_table(reference)
        for field, w in zip(got.schema, want.schema):
            if field.type != w.type:
                failures.append(f"pyarrow, {where}: {field.name} is {field.type}, expected {w.type}")
        if got.schema.equals(want.schema) and not got.cast(table.schema).equals(table):
            failures.append(f"pyarrow, {where}: values differ from the original")

        # polars.
        want = pl.read_parquet(reference)
        frame = pl.read_parquet(files)
        for c in want.columns:
            if want[c].dtype != frame[c].dtype:
                failures.append(f"polars, {where}: {c} is {frame[c].dtype}, expected {want[c].dtype}")
            elif not want[c].equals(frame[c]):
                failures.append(f"polars, {where}: {c} values differ")

        # DuckDB.
        con = duckdb.connect()
        file_list = ", ".join(f"'{f}'" for f in files)
        con.sql(f"CREATE VIEW stored AS SELECT * FROM read_parquet([{file_list}])")
        con.sql(f"CREATE VIEW reference AS SELECT * FROM read_parquet('{reference}')")
        want_types = con.sql("SELECT * FROM reference").types
        got_types = con.sql("SELECT * FROM stored").types
        for c, w, g in zip(table.column_names, want_types, got_types):
            if str(w) != str(g):
                failures.append(f"DuckDB, {where}: {c} is {g}, expected {w}")
                continue
            q = f'SELECT count(*) FROM (SELECT "{c}" FROM reference EXCEPT ALL SELECT "{c}" FROM stored)'
            if con.sql(q).fetchall()[0][0] != 0:
                failures.append(f"DuckDB, {where}: {c} values differ")
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"pyarrow, polars and DuckDB read {len(ordered_columns())} ordo datasets x "
          f"{len(cols) + 1} column types as they read pyarrow's own files: ok")


if __name__ == "__main__":
    check(sys.argv[1], sys.argv[2])
