"""Writes a field array with Python's zarr 3 in ordo's layout, grows it with
`append` (as an ingestion script would), then reads it with the `ordo`
command-line tool and checks that ordo sees exactly those frames and times.

Usage: check_python_field.py KEYDIR ORDO_BINARY
"""
import json
import subprocess
import sys

import numpy as np
import zarr

keydir, ordo = sys.argv[1], sys.argv[2]
root = keydir + "/_fields/frames.zarr"

group = zarr.open_group(root, mode="w", zarr_format=3)
group.attrs["ordo"] = {
    "format_version": 1,
    "element_type": "float32",
    "time_unit": "nanoseconds",
    "timezone": None,
}
data = group.create_array(
    name="data",
    shape=(0, 3, 4),
    chunks=(1, 3, 4),
    dtype="float32",
    fill_value=0.0,
    dimension_names=("time", "y", "x"),
)
time = group.create_array(
    name="time",
    shape=(0,),
    chunks=(4096,),
    dtype="int64",
    fill_value=np.iinfo(np.int64).min,
    dimension_names=("time",),
)

frames, times = [], []
for batch, n in enumerate([2, 1, 3]):
    start = len(times)
    new = np.stack(
        [(start + i) * 100 + np.arange(12, dtype=np.float32).reshape(3, 4) for i in range(n)]
    )
    new_times = [1_000 * (start + i + 1) for i in range(n)]
    data.append(new, axis=0)
    time.append(np.array(new_times, dtype=np.int64))
    frames.extend(new)
    times.extend(new_times)


def run(*args):
    out = subprocess.run([ordo, *args], capture_output=True, text=True)
    assert out.returncode == 0, (args, out.stderr)
    return out.stdout


info = json.loads(run("fields", "info", root, "--json"))
assert info["frames"] == 6, info
assert info["element_type"] == "float32", info
assert info["frame_shape"] == [3, 4], info
assert info["first_time"] == times[0] and info["last_time"] == times[-1], info

for i, expected in enumerate(frames):
    lines = run("fields", "cat", root, "--frame", str(i)).splitlines()
    assert lines[2].split()[1] == str(times[i]), lines[2]
    values = np.array(
        [[float(v) for v in row.split()] for row in lines[lines.index("values:") + 1 :]],
        dtype=np.float32,
    )
    assert np.array_equal(values, expected), (i, values, expected)

# Past the end is an error, not fill values.
past = subprocess.run([ordo, "fields", "cat", root, "--frame", "6"], capture_output=True, text=True)
assert past.returncode == 1 and past.stderr.startswith("error:"), past

print("ordo reads the field Python's zarr wrote and grew with append: ok")
