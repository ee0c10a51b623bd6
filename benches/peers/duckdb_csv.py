"""DuckDB's side of the CSV import in benches/big_write.rs: the CSV turned
into one Parquet file sorted on `ts`, zstd, with DuckDB's defaults (all
cores, parallel CSV parsing, types sniffed from a sample).

    python benches/peers/duckdb_csv.py INPUT.csv OUTPUT.parquet

Prints the best of two runs, in seconds."""

import sys
import time

import duckdb


def main():
    src, out = sys.argv[1], sys.argv[2]
    best = float("inf")
    for _ in range(2):
        con = duckdb.connect()
        start = time.perf_counter()
        con.execute(
            f"COPY (SELECT * FROM read_csv('{src}') ORDER BY ts) "
            f"TO '{out}' (FORMAT parquet, COMPRESSION zstd)"
        )
        best = min(best, time.perf_counter() - start)
        con.close()
    print(best)


if __name__ == "__main__":
    main()
