"""Interop of ordo datasets with the Python data stack.

    check_datasets.py read DIR             pyarrow, polars and DuckDB read DIR/ticks
                                           (written by `cargo run --example ingest_loop -- DIR`)
    check_datasets.py make-input FILE      pyarrow writes an unsorted Parquet file
    check_datasets.py check-import FILE DS the dataset DS (imported from FILE by
                                           `cargo run --example import_parquet`) holds FILE's rows
"""
import glob
import json
import os
import sys

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
from ordo_log import ordo_files
import pyarrow.dataset as pads
import pyarrow.parquet as pq


def latest_files(dataset):
    """The files of the latest version, by the log (docs/FORMAT.md 3, 6)."""
    return ordo_files(dataset)


def read(directory):
    expected = json.load(open(os.path.join(directory, "expected.json")))
    dataset = os.path.join(directory, "ticks")

    # pyarrow: the manifest's files, in order, and the whole directory
    # (pyarrow skips `_ordo`); after GC both hold the same rows.
    table = pa.concat_tables([pq.read_table(f) for f in latest_files(dataset)])
    ts = table.column("ts").cast(pa.int64()).to_numpy()
    assert table.num_rows == expected["rows"], (table.num_rows, expected)
    assert np.all(np.diff(ts) > 0), "rows in order, no duplicates"
    assert int(table.column("volume").to_numpy().sum()) == expected["volume_sum"]
    assert (ts[0], ts[-1]) == (expected["first_ts"], expected["last_ts"])
    whole = pads.dataset(dataset, format="parquet").to_table()
    assert whole.num_rows == expected["rows"]

    # polars
    df = pl.read_parquet(os.path.join(dataset, "*.parquet")).sort("ts")
    assert df.height == expected["rows"]
    assert df["volume"].sum() == expected["volume_sum"]
    assert df["ts"].dtype == pl.Datetime("ns")

    # DuckDB
    rows, volume = duckdb.sql(
        f"SELECT count(*), sum(volume) FROM read_parquet('{dataset}/*.parquet')"
    ).fetchall()[0]
    assert (rows, volume) == (expected["rows"], expected["volume_sum"]), (rows, volume)
    print(f"pyarrow, polars and DuckDB read the ordo dataset: {rows} rows: ok")


def make_input(path):
    rng = np.random.default_rng(7)
    n = 5000
    ts = rng.permutation(n).astype("int64") * 1_000  # unsorted, unique
    table = pa.table({
        "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
        "value": pa.array(rng.normal(size=n)),
        "label": pa.array([f"x{i % 7}" for i in range(n)]),
    })
    pq.write_table(table, path, compression="snappy")


def check_import(path, dataset):
    source = pq.read_table(path).sort_by("ts")
    imported = pa.concat_tables([pq.read_table(f) for f in latest_files(dataset)])
    assert imported.schema.field("ts").type == pa.timestamp("us", tz="UTC"), imported.schema
    assert imported.equals(source.select(imported.column_names)), "imported rows differ"
    print(f"ordo imported the pyarrow file: {imported.num_rows} rows: ok")


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"read": read, "make-input": make_input, "check-import": check_import}[command](*args)
