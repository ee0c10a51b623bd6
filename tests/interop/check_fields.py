"""Reads a field array written by `cargo run --example fields -- DIR` with
Python's zarr 3 and xarray, and checks it holds what ordo wrote."""
import sys

import numpy as np
import zarr

root = sys.argv[1] + "/_fields/image.zarr"
group = zarr.open_group(root, mode="r")
data = group["data"]
time = group["time"]
assert data.shape == (20, 64, 48), data.shape
assert time.shape == (20,), time.shape
assert list(data.metadata.dimension_names) == ["time", "y", "x"]
frame5 = data[5]
expected = 5 * 10_000 + np.arange(64 * 48, dtype=np.float32).reshape(64, 48)
assert np.array_equal(frame5, expected), "frame 5 differs"
assert list(time[:3]) == [0, 1_000_000_000, 2_000_000_000]
assert group.attrs["title"] == "ordo field example"
assert data.attrs["units"] == "counts"

import xarray as xr

ds = xr.open_zarr(root, consolidated=False, zarr_format=3, mask_and_scale=False)
assert ds["data"].dims == ("time", "y", "x"), ds["data"].dims
assert np.issubdtype(ds["time"].dtype, np.datetime64), ds["time"].dtype
assert str(ds["time"].values[1]) == "1970-01-01T00:00:01.000000000", ds["time"].values[1]
assert float(ds["data"].sel(time="1970-01-01T00:00:05").values[0, 0]) == 50_000.0
print("python zarr + xarray read the ordo field: ok")
