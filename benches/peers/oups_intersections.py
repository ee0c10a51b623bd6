"""oups' side of the iter_intersections comparison in benches/intersections.rs:
the same datasets written with oups (the Python library ordo replaces),
then `Store.iter_intersections` over all of them, over everything and over
the middle 10% of the span, with n_prev=2.

    python benches/peers/oups_intersections.py ROOT DATASETS ROWS GROUP ROUNDS

Dataset i holds ROWS ticks starting at tick i * (GROUP // DATASETS), so
row-group boundaries interleave across datasets; tick t is at t ms (in
ns), with bid 100 + (t * 7919 % 10000) / 100, ask bid + 0.01 and volume
t * 31 % 1000, as `peer_ticks` in the Rust bench. Prints one JSON object:
milliseconds per round of the full and of the windowed iteration, and the
rows each yielded (to check both sides saw the same data).
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from oups.store import Store, toplevel


@toplevel
class Ticker:
    name: str


def frame(first, rows):
    t = np.arange(first, first + rows, dtype=np.int64)
    bid = 100.0 + (t * 7919 % 10000) / 100.0
    return pd.DataFrame(
        {
            "ts": pd.to_datetime(t * 1_000_000, unit="ns"),
            "bid": bid,
            "ask": bid + 0.01,
            "volume": t * 31 % 1000,
        }
    )


def iterate(store, keys, **window):
    rows = 0
    for step in store.iter_intersections(keys, n_prev=2, **window):
        rows += sum(len(df) for df in step.values())
    return rows


def timed(rounds, run):
    times, rows = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        rows = run()
        times.append((time.perf_counter() - start) * 1e3)
    return times, rows


def main():
    root, datasets, rows, group, rounds = sys.argv[1], *map(int, sys.argv[2:6])
    store = Store(Path(root), Ticker)
    keys = [Ticker(f"t{i}") for i in range(datasets)]
    shift = group // datasets
    for i, key in enumerate(keys):
        store[key].write(
            df=frame(i * shift, rows), ordered_on="ts", row_group_target_size=group
        )
    first, last = 0, (datasets - 1) * shift + rows - 1
    span = last - first
    start = pd.Timestamp(int(first + span * 0.45) * 1_000_000, unit="ns")
    end_excl = pd.Timestamp(int(first + span * 0.55) * 1_000_000, unit="ns")
    full, full_rows = timed(rounds, lambda: iterate(store, keys))
    window, window_rows = timed(
        rounds, lambda: iterate(store, keys, start=start, end_excl=end_excl)
    )
    print(
        json.dumps(
            {
                "full": full,
                "window": window,
                "full_rows": full_rows,
                "window_rows": window_rows,
            }
        )
    )


if __name__ == "__main__":
    main()
