"""ArcticDB's side of benches/s3.rs: `appends` appends of `rows`-row
frames (ts ns index + 3 f64 + i64, one per millisecond, noisy prices) to
a symbol of an ArcticDB library in the S3 bucket behind AWS_ENDPOINT_URL
(the server of `.ci/s3-server`), `rounds` times on fresh symbols.

    python benches/peers/arcticdb_s3.py BUCKET APPENDS ROWS ROUNDS

Prints one JSON line: {"append_ms": [per round], "requests": ...}."""

import json
import os
import sys
from urllib.parse import urlparse

import numpy as np
from arcticdb import Arctic

from ticks import appends_ms, frame




def main():
    bucket, appends, rows, rounds = sys.argv[1], *map(int, sys.argv[2:5])
    end = urlparse(os.environ["AWS_ENDPOINT_URL"])
    uri = (f"s3://{end.hostname}:{bucket}?port={end.port}"
           f"&access={os.environ['AWS_ACCESS_KEY_ID']}&secret={os.environ['AWS_SECRET_ACCESS_KEY']}"
           f"&region={os.environ.get('AWS_REGION', 'us-east-1')}&path_prefix=arcticdb-bench-{os.getpid()}")
    lib = Arctic(uri).get_library("bench", create_if_missing=True)
    rng = np.random.default_rng(7)
    frames = [frame(i * rows, rows, rng) for i in range(appends)]
    per_round = []
    for r in range(rounds):
        symbol = f"ticks{r}"
        per_round.append(appends_ms(lib, symbol, frames) / appends)
        assert len(lib.read(symbol).data) == appends * rows
    print(json.dumps({"append_ms": per_round}))


if __name__ == "__main__":
    main()
