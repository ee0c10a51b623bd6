"""ArcticDB's side of benches/dataset.rs, on its local LMDB backend: the
workload of the dataset bench's peer comparison, on frames of the same
shape (ts ns index + 3 f64 + i64, one row per millisecond, noisy prices).

    python benches/peers/arcticdb_local.py DIR APPENDS ROWS ROUNDS

Each round, on a fresh symbol: one `write` and APPENDS - 1 `append`s of
ROWS-row frames (timed together); then one `update` of ROWS rows in the
middle of the span (the same timestamps, new values: last wins). The full
read is timed in a fresh process (`read` to a pandas frame, after the
library is open), once per round. Prints one JSON line of milliseconds:
{"appends": [per round], "read": [...], "update": [...]}."""

import json
import subprocess
import sys
import time

import numpy as np
from arcticdb import Arctic

from ticks import appends_ms, frame




def library(path):
    return Arctic(f"lmdb://{path}").get_library("bench", create_if_missing=True)


def read_child(path, symbol, rows):
    """In a fresh process: the time of one full read."""
    lib = library(path)
    start = time.perf_counter()
    df = lib.read(symbol).data
    ms = (time.perf_counter() - start) * 1000
    assert len(df) == rows, len(df)
    print(ms)


def main():
    if sys.argv[1] == "--read-child":
        read_child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    path, appends, rows, rounds = sys.argv[1], *map(int, sys.argv[2:5])
    lib = library(path)
    rng = np.random.default_rng(7)
    frames = [frame(i * rows, rows, rng) for i in range(appends)]
    middle = frame((appends // 2) * rows + rows // 2, rows, rng)
    out = {"appends": [], "read": [], "update": []}
    for r in range(rounds):
        symbol = f"ticks{r}"
        out["appends"].append(appends_ms(lib, symbol, frames))
        child = subprocess.run(
            [sys.executable, __file__, "--read-child", path, symbol, str(appends * rows)],
            check=True, capture_output=True, text=True)
        out["read"].append(float(child.stdout.strip()))
        start = time.perf_counter()
        lib.update(symbol, middle)
        out["update"].append((time.perf_counter() - start) * 1000)
        assert len(lib.read(symbol).data) == appends * rows
    print(json.dumps(out))


if __name__ == "__main__":
    main()
