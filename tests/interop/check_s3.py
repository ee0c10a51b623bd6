"""The `ordo` CLI against an S3 API server, as a user would drive it, with
pyarrow reading the result from the bucket by following FORMAT.md.

    python tests/interop/check_s3.py ORDO_BINARY

Needs the server's variables (AWS_ENDPOINT_URL, ...; `.ci/s3-server`
sets them) and the bucket `ordo`. Checks: daily CSV chunks appended to a
store's key path, an overlapping correction with --duplicates-on ts (last
wins), `cat` equal to the model, `ls --json` and `verify` on the root, 4
concurrent `ordo write` processes on one dataset (every row exactly once),
unsorted input (exit 1, one error line, the bucket's keys and ETags
unchanged), `gc` then `cat` still complete, and pyarrow reading the
current files."""

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
import tempfile
import uuid
from urllib.parse import urlparse

import boto3
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ordo_log import ordo_files

BUCKET = "ordo"


def run(ordo, *args, ok=True):
    p = subprocess.run([ordo, *args], capture_output=True, text=True)
    if ok and p.returncode != 0:
        sys.exit(f"ordo {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    return p


def bucket_state(s3, prefix):
    keys = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        for o in page.get("Contents", []):
            keys[o["Key"]] = o["ETag"]
    return keys


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["ts", "temp", "count"])
        for ts, temp, count in rows:
            w.writerow([ts.isoformat() + "Z", f"{temp:.3f}", count])


def cat_rows(ordo, url):
    out = run(ordo, "cat", url).stdout
    return [(r["ts"], float(r["temp"]), int(r["count"])) for r in csv.DictReader(io.StringIO(out))]


def main():
    ordo = os.path.abspath(sys.argv[1])
    endpoint = urlparse(os.environ["AWS_ENDPOINT_URL"])
    s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    fs = pafs.S3FileSystem(
        endpoint_override=endpoint.netloc, scheme=endpoint.scheme,
        access_key=os.environ["AWS_ACCESS_KEY_ID"],
        secret_key=os.environ["AWS_SECRET_ACCESS_KEY"], region=os.environ["AWS_REGION"])
    root_key = f"cli-{uuid.uuid4().hex[:8]}/store"
    root = f"s3://{BUCKET}/{root_key}"
    berlin = f"{root}/berlin/10min"
    tmp = tempfile.mkdtemp()

    # Daily chunks of 10-minute readings, then a correction of day 2's
    # first hour: last wins on ts.
    model = {}
    start = dt.datetime(2024, 3, 1)
    for day in range(3):
        rows = [(start + dt.timedelta(days=day, minutes=m), 20 + (m % 7) / 10, m)
                for m in range(0, 24 * 60, 10)]
        path = os.path.join(tmp, f"day{day}.csv")
        write_csv(path, rows)
        run(ordo, "write", berlin, path, "--ordered-on", "ts")
        model.update({ts: (temp, c) for ts, temp, c in rows})
    fix = [(start + dt.timedelta(days=1, minutes=m), -99.0, m) for m in range(0, 60, 10)]
    write_csv(os.path.join(tmp, "fix.csv"), fix)
    run(ordo, "write", berlin, os.path.join(tmp, "fix.csv"), "--ordered-on", "ts",
        "--duplicates-on", "ts")
    model.update({ts: (temp, c) for ts, temp, c in fix})
    want = [(ts.isoformat(), round(t, 3), c) for ts, (t, c) in sorted(model.items())]
    got = cat_rows(ordo, berlin)
    assert got == want, f"cat differs from the model: {len(got)} rows vs {len(want)}"

    # pyarrow reads the current files from the bucket, following FORMAT.md.
    files = ordo_files(f"{BUCKET}/{root_key}/berlin/10min", fs)
    rows = sum(pq.read_table(f, filesystem=fs).num_rows for f in files)
    assert rows == len(want), f"pyarrow read {rows} rows, want {len(want)}"

    # 4 writers at once on one dataset: every row exactly once.
    paris = f"{root}/paris/1s"
    procs = []
    for w in range(4):
        path = os.path.join(tmp, f"w{w}.csv")
        write_csv(path, [(dt.datetime(2024, 4, 1) + dt.timedelta(seconds=4 * i + w), float(w), i)
                         for i in range(50)])
        procs.append(subprocess.Popen([ordo, "write", paris, path, "--ordered-on", "ts"],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for p in procs:
        out, err = p.communicate()
        assert p.returncode == 0, f"a concurrent writer failed: {err}"
    paris_rows = cat_rows(ordo, paris)
    assert len(paris_rows) == 200 and len(set(paris_rows)) == 200, len(paris_rows)

    listing = json.loads(run(ordo, "ls", root, "--json").stdout)
    assert sorted(d["path"] for d in listing) == [berlin, paris], listing
    assert {d["path"]: d["num_rows"] for d in listing} == {berlin: len(want), paris: 200}
    run(ordo, "verify", root)

    # Unsorted input: exit 1, one error line, the bucket unchanged.
    before = bucket_state(s3, root_key)
    bad = os.path.join(tmp, "unsorted.csv")
    write_csv(bad, [(dt.datetime(2024, 3, 5, 0, 10), 1.0, 1), (dt.datetime(2024, 3, 5), 1.0, 2)])
    p = run(ordo, "write", berlin, bad, "--ordered-on", "ts", ok=False)
    assert p.returncode == 1 and len(p.stderr.splitlines()) == 1, p.stderr
    assert "line 3 of" in p.stderr and "not sorted on `ts`" in p.stderr, p.stderr
    assert bucket_state(s3, root_key) == before, "the bucket changed"

    # gc spares versions replaced within the grace period (1 hour) on an
    # object store; with no writer running, a zero grace collects them.
    run(ordo, "gc", berlin, "--keep-versions", "1", "--older-than", "0")
    assert len(run(ordo, "versions", berlin).stdout.splitlines()) == 1 + 4
    run(ordo, "gc", berlin, "--keep-versions", "1", "--older-than", "0", "--grace", "0")
    assert cat_rows(ordo, berlin) == want
    assert [l.split()[0] for l in run(ordo, "versions", berlin).stdout.splitlines()[1:]] == ["4"]
    print(f"ordo CLI on S3: {len(want)} + 200 rows, 4 concurrent writers, gc, pyarrow: ok")


if __name__ == "__main__":
    main()
