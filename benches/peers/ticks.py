"""The peers' tick frames: ts ns index + 3 f64 + i64, one row per
millisecond, noisy prices (the shape of benches/common.rs' `ticks`); and
the ArcticDB appends of them both ArcticDB peers time."""

import time

import numpy as np
import pandas as pd


def frame(start, n, rng):
    ts = pd.to_datetime((start + np.arange(n)) * 1_000_000, unit="ns")
    bid = 100.0 + rng.integers(0, 10_000, n) / 100.0
    return pd.DataFrame({
        "bid": bid,
        "ask": bid + 0.01,
        "last": 100.0 + rng.integers(0, 10_000, n) / 100.0,
        "volume": rng.integers(0, 100, n).astype("int64"),
    }, index=pd.DatetimeIndex(ts, name="ts"))


def appends_ms(lib, symbol, frames):
    """Milliseconds to write `frames[0]` to `symbol` of the ArcticDB
    library `lib`, then append the others one by one."""
    start = time.perf_counter()
    lib.write(symbol, frames[0])
    for f in frames[1:]:
        lib.append(symbol, f)
    return (time.perf_counter() - start) * 1000
