"""DuckDB's side of benches/sql.rs: the bench's queries over the Parquet
files of the bench dataset (a view `t` over `read_parquet` of the files the
dataset's version lists), each run 10 times after one warm-up run, in one
connection with DuckDB's defaults (all cores).

    python benches/peers/duckdb_sql.py SPEC.json

SPEC holds {"files": [...], "queries": {name: sql}}. Prints one JSON line:
{name: median milliseconds}."""

import json
import statistics
import sys
import time

import duckdb


def main():
    spec = json.load(open(sys.argv[1]))
    con = duckdb.connect()
    con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet({spec['files']!r})")
    out = {}
    for name, query in spec["queries"].items():
        con.execute(query).fetchall()
        times = []
        for _ in range(10):
            start = time.perf_counter()
            con.execute(query).fetchall()
            times.append((time.perf_counter() - start) * 1e3)
        out[name] = statistics.median(times)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
