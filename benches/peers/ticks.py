"""The peers' tick frames: ts ns index + 3 f64 + i64, one row per
millisecond, noisy prices (the shape of benches/common.rs' `ticks`)."""

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
