"""`ordo sql` against DuckDB on the same files: every query's result must be
equal.

    check_sql.py DIR ORDO

pyarrow makes two datasets of irregular ticks (timestamps in microseconds
with a UTC zone, float prices and integer quantities with nulls, symbols
with nulls) and the `ordo` binary writes them under DIR/root in row groups
of 5,000 rows. DuckDB reads the Parquet files each dataset's latest version
lists (docs/FORMAT.md section 11) through views named like the tables of
`ordo sql DIR/root`. Each query runs in both; `ordo sql --format parquet`
output is read with pyarrow. Values are compared after normalising what
the engines legitimately type differently (DuckDB's 128-bit integer sums
as decimals; floats to 1e-9 relative).

Covered: counts, sums and extremes; time-range filters with time zones and
bounds on and off row-group edges; `date_trunc` buckets; `ORDER BY ts
LIMIT n` both ways; a join of the two datasets on hourly buckets; nulls and
strings. Then the catalog table, CSV output, the query from standard
input, and one-line errors with exit code 1.
"""
import csv
import datetime as dt
import decimal
import io
import math
import os
import random
import subprocess
import sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from ordo_log import ordo_files

ROWS_PER_GROUP = 5_000
START = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)


def ticks(seed, n):
    rng = random.Random(seed)
    t, ts = START, []
    for _ in range(n):
        t += dt.timedelta(microseconds=rng.randrange(1, 20_000_000))
        ts.append(t)
    syms = ["sap", "bmw", "vow", "Ädidas"]
    return pa.table({
        "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
        "price": pa.array([None if i % 11 == 0 else round(rng.uniform(10, 200), 4) for i in range(n)],
                          pa.float64()),
        "qty": pa.array([None if i % 13 == 0 else rng.randrange(-50, 5_000) for i in range(n)], pa.int64()),
        "sym": pa.array([None if i % 17 == 0 else syms[rng.randrange(len(syms))] for i in range(n)]),
    })


def run(ordo, *args, stdin=None, check=True):
    p = subprocess.run([ordo, *args], input=stdin, capture_output=True)
    if check and p.returncode != 0:
        sys.exit(f"ordo {' '.join(args)} failed: {p.stderr.decode()}")
    return p


def ordo_query(ordo, root, query, tmp):
    out = os.path.join(tmp, "out.parquet")
    run(ordo, "sql", root, query, "--format", "parquet", "--output", out)
    return pq.ParquetFile(out).read()


def norm(v):
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, dt.datetime) and v.tzinfo is not None:
        return v.astimezone(dt.timezone.utc)
    return v


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def rows_of(table):
    cols = [table.column(i).to_pylist() for i in range(table.num_columns)]
    return [tuple(norm(c[r]) for c in cols) for r in range(table.num_rows)]


def main(tmp, ordo):
    os.makedirs(tmp, exist_ok=True)
    root = os.path.join(tmp, "root")
    data = {"sap": ticks(1, 60_000), "bmw": ticks(2, 45_000)}
    duck = duckdb.connect()
    duck.execute("SET TimeZone = 'UTC'")
    for name, table in data.items():
        src = os.path.join(tmp, f"{name}.parquet")
        pq.write_table(table, src)
        run(ordo, "write", os.path.join(root, name), src, "--ordered-on", "ts",
            "--target", str(ROWS_PER_GROUP))
        files = ordo_files(os.path.join(root, name))
        assert len(files) == math.ceil(table.num_rows / ROWS_PER_GROUP), files
        duck.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet({files!r})")

    sap_ts = data["sap"]["ts"].to_pylist()
    edge = sap_ts[3 * ROWS_PER_GROUP]             # first row of row group 3
    edge2 = sap_ts[5 * ROWS_PER_GROUP]
    us = dt.timedelta(microseconds=1)
    iso = lambda t: t.isoformat()
    berlin = dt.timezone(dt.timedelta(hours=1))
    queries = [
        "SELECT count(*), count(price), sum(qty), min(price), max(price), avg(price), min(ts), max(ts) FROM sap",
        "SELECT count(*), sum(qty), min(sym), max(sym) FROM bmw",
    ]
    for lo, hi in [(edge, edge2), (edge - us, edge2 - us), (edge + us, edge2 + us), (edge, edge),
                   (START - dt.timedelta(days=1), edge), (edge2, sap_ts[-1] + us)]:
        queries.append(f"SELECT count(*), sum(qty), min(price), max(ts) FROM sap "
                       f"WHERE ts >= '{iso(lo)}' AND ts < '{iso(hi)}'")
        queries.append(f"SELECT count(*), sum(qty) FROM sap WHERE ts BETWEEN '{iso(lo)}' AND '{iso(hi)}'")
    # The same instant written in another zone.
    queries.append(f"SELECT count(*), min(ts) FROM sap WHERE ts > '{iso(edge.astimezone(berlin))}'")
    queries.append(f"SELECT count(*) FROM sap WHERE ts = '{iso(edge.astimezone(berlin))}'")
    queries += [
        "SELECT date_trunc('hour', ts) AS h, count(*), avg(price), min(qty), max(qty) FROM sap GROUP BY h ORDER BY h",
        "SELECT date_trunc('day', ts) AS d, sum(qty), count(sym) FROM bmw GROUP BY d ORDER BY d",
        "SELECT ts, price, qty, sym FROM sap ORDER BY ts LIMIT 7",
        "SELECT ts, price, qty, sym FROM sap ORDER BY ts DESC LIMIT 7",
        f"SELECT ts, price FROM sap WHERE ts >= '{iso(edge)}' ORDER BY ts LIMIT 3",
        "SELECT a.h, a.n AS n_sap, b.n AS n_bmw, a.p - b.p AS spread FROM "
        "(SELECT date_trunc('hour', ts) AS h, count(*) AS n, avg(price) AS p FROM sap GROUP BY 1) a JOIN "
        "(SELECT date_trunc('hour', ts) AS h, count(*) AS n, avg(price) AS p FROM bmw GROUP BY 1) b "
        "ON a.h = b.h ORDER BY a.h",
        "SELECT sym, count(*), count(price), sum(qty) FROM sap GROUP BY sym ORDER BY sym NULLS FIRST",
        "SELECT count(*) FROM sap WHERE sym IS NULL AND price IS NOT NULL",
        "SELECT sym, max(ts) FROM bmw WHERE sym LIKE 'Ä%' OR sym = 'vow' GROUP BY sym ORDER BY sym",
        "SELECT ts, qty FROM sap WHERE qty IS NULL ORDER BY ts LIMIT 5",
    ]
    for q in queries:
        got = rows_of(ordo_query(ordo, root, q, tmp))
        want = rows_of(duck.sql(q).to_arrow_table())
        assert len(got) == len(want), f"{q}\n ordo: {len(got)} rows\n duckdb: {len(want)} rows"
        for g, w in zip(got, want):
            assert len(g) == len(w) and all(same(a, b) for a, b in zip(g, w)), f"{q}\n ordo:   {g}\n duckdb: {w}"
    print(f"{len(queries)} queries equal in ordo sql and DuckDB")

    # The catalog, as CSV, with the query on standard input.
    p = run(ordo, "sql", root, "--format", "csv",
            stdin=b"SELECT path, num_rows, num_row_groups, last FROM datasets ORDER BY path")
    rows = list(csv.DictReader(io.StringIO(p.stdout.decode())))
    assert [r["path"] for r in rows] == ["bmw", "sap"], rows
    assert [int(r["num_rows"]) for r in rows] == [45_000, 60_000], rows
    assert int(rows[1]["num_row_groups"]) == 12, rows
    assert dt.datetime.fromisoformat(rows[1]["last"].replace("Z", "+00:00")) == sap_ts[-1], rows
    p = run(ordo, "sql", root, "SELECT count(*) FROM datasets", "--format", "csv")
    assert list(csv.reader(io.StringIO(p.stdout.decode())))[1] == ["2"], p.stdout
    # One dataset: its table is `t`; the default format is a table.
    p = run(ordo, "sql", os.path.join(root, "sap"), "SELECT count(*) AS n FROM t")
    assert p.stdout.decode().split() == ["n", "60000"], p.stdout

    # Bad queries: exit 1, one line on stderr, nothing on stdout.
    for query, words in [("SELECT * FROM nope", "nope"), ("SELEC 1", "SELEC"),
                         ("SELECT missing FROM sap", "missing")]:
        p = run(ordo, "sql", root, query, check=False)
        err = p.stderr.decode()
        assert p.returncode == 1 and err.count("\n") == 1 and words in err and not p.stdout, (query, p)
    print("catalog, CSV, standard input and errors as documented")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
