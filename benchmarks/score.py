"""Customer scoring end to end: in one process, and in chunks on two worker processes.

    .venv/bin/python -m benchmarks.score [--quick] [--databases sqlite,postgres]

For each database (SQLite in a fresh file; PostgreSQL in ``dangol_bench_score``,
created and dropped here) the benchmark builds N customers (1,000,000;
100,000 with ``--quick``) with BG/NBD purchases and Gamma-Gamma order values
(about 2.5 orders each, 3 % cancelled), written with ``executemany`` / ``COPY``.

Timed: (1) ``score_customers(split=False)``: read, fit, predict and write every
score in this process; (2) ``score_customers(split=True)`` with a real Celery
worker of two processes on the file queue (started and ready before the
clock starts): this process reads and fits, the workers score the chunks,
until the run is done. The reference, in the same run, is the write floor: a
bare ``INSERT … SELECT`` of as many score rows into an empty copy of the
table. ``ratio`` = single-process seconds ÷ reference seconds. Prints one JSON
object per database, then one JSON object with all of them last.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

POSTGRES_BASE = "postgres://postgres@127.0.0.1:5432"
POSTGRES_DB = "dangol_bench_score"
GOAL_S = 60
SEED = 20261123
BLOCK = 100_000


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangol.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _population(n: int):
    """Customers' purchases: (customer key, UTC seconds, amount, status) columns."""
    import numpy as np

    from dangol.stats import BGNBDParams, GammaGammaParams
    from dangol.stats.simulate import simulate_bgnbd_transactions

    rng = np.random.default_rng(SEED)
    log = simulate_bgnbd_transactions(
        BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426),
        GammaGammaParams(p=6.25, q=3.74, gamma=15.44),
        n_customers=n, start="2024-01-01", cohort_days=365, end="2025-06-30",
        days_per_unit=7.0, rng=rng)
    seconds = log.dates.astype("datetime64[s]").astype(np.int64) + rng.integers(
        0, 86_400, log.dates.shape[0])
    amounts = np.round(np.maximum(log.values, 1.0) * 1000.0, -1)
    cancelled = rng.random(log.dates.shape[0]) < 0.03
    return log.customer_ids + 1, seconds, amounts, cancelled


def _texts(seconds, sep: str) -> list[str]:
    import numpy as np

    text = np.datetime_as_string(seconds.astype("datetime64[s]"))
    return [t.replace("T", sep) for t in text.tolist()] if sep != "T" else text.tolist()


def _build(n: int) -> int:
    """Write N customers and their orders; returns the number of orders."""
    from django.db import connection

    customers, seconds, amounts, cancelled = _population(n)
    now = "2025-06-30 12:00:00"
    postgres = connection.vendor == "postgresql"
    stamp = now + ("+00" if postgres else "")
    customer_rows = ((i, stamp, stamp, f"B{i:07d}", "", "", "", None, "", "", "ko", stamp, "{}")
                     for i in range(1, n + 1))
    at = _texts(seconds, " ")
    orders = len(at)
    order_rows = zip(range(1, orders + 1), [stamp] * orders, [stamp] * orders,
                     (f"O{i:09d}" for i in range(1, orders + 1)), customers.tolist(),
                     (t + ("+00" if postgres else "") for t in at), amounts.tolist(),
                     ["KRW"] * orders,
                     ["cancelled" if c else "placed" for c in cancelled.tolist()],
                     ["online"] * orders, [""] * orders, strict=True)
    customer_cols = ("id, created_at, updated_at, external_id, name, email, phone, birthday, "
                     "gender, region, language, joined_at, attributes")
    order_cols = ("id, created_at, updated_at, external_id, customer_id, ordered_at, "
                  "total_amount, currency, status, channel, store")
    if postgres:
        _copy("customers_customer", customer_cols, customer_rows)
        _copy("customers_order", order_cols, order_rows)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        _executemany("customers_customer", customer_cols, customer_rows)
        _executemany("customers_order", order_cols, order_rows)
    return orders


def _copy(table: str, columns: str, rows) -> None:
    from django.db import connection, transaction

    def text(value: object) -> str:
        return "\\N" if value is None else str(value)

    with (transaction.atomic(), connection.cursor() as cursor,
          cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy):
        block = []
        for row in rows:
            block.append("\t".join(map(text, row)))
            if len(block) == BLOCK:
                copy.write("\n".join(block) + "\n")
                block = []
        if block:
            copy.write("\n".join(block) + "\n")


def _executemany(table: str, columns: str, rows) -> None:
    from itertools import islice

    from django.db import connection, transaction

    marks = ", ".join(["%s"] * len(columns.split(",")))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
    rows = iter(rows)
    while block := list(islice(rows, BLOCK)):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, block)


def _start_worker(log_path: Path) -> subprocess.Popen:
    """A worker of two processes on the file queue, once it says it is ready."""
    handle = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dangol.config", "worker", "--pool", "prefork",
         "--concurrency", "2", "--loglevel", "INFO", "--without-heartbeat", "--without-gossip",
         "--without-mingle"],
        env=os.environ | {"DANGOL_BROKER_URL": "filesystem://"}, stdout=handle,
        stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while "ready." not in log_path.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"worker did not start:\n{log_path.read_text()}")
        time.sleep(0.2)
    return process


def _reference(rows: int) -> float:
    """Seconds of a bare INSERT … SELECT of the score rows into an empty copy of the table."""
    from django.db import connection, transaction

    from dangol.segments.models import CustomerScore
    from dangol.segments.services.score_writes import COLUMNS

    qn = connection.ops.quote_name
    names = ", ".join(qn(c) for c in COLUMNS)
    table = qn(CustomerScore._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_scores AS SELECT {names} FROM {table} "
                       "WHERE 1 = 0")
        cursor.execute("CREATE UNIQUE INDEX bench_scores_customer ON bench_scores (customer_id)")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO bench_scores ({names}) SELECT {names} FROM {table}")
        assert cursor.rowcount == rows, cursor.rowcount
    return time.perf_counter() - started


def run_one(n: int, log_dir: Path) -> dict:
    _setup_django()
    from django.db import connection

    from dangol.segments.models import CustomerScore, ScoringRun
    from dangol.segments.services import score_customers

    started = time.perf_counter()
    orders = _build(n)
    build_s = time.perf_counter() - started
    print(f"built {n:,} customers, {orders:,} orders in {build_s:.1f} s", file=sys.stderr)

    started = time.perf_counter()
    single = score_customers(split=False)
    single_s = time.perf_counter() - started
    scored = CustomerScore.objects.count()
    assert single.customers_scored == scored, (single.customers_scored, scored)
    print(f"single: {single_s:.1f} s", file=sys.stderr)

    worker = _start_worker(log_dir / f"worker-{connection.vendor}.log")
    try:
        started = time.perf_counter()
        chunked = score_customers(split=True)
        queued_s = time.perf_counter() - started
        run = ScoringRun.objects.get(pk=chunked.run_id)
        while run.status == ScoringRun.Status.RUNNING:
            if worker.poll() is not None:
                raise SystemExit("the worker died")
            time.sleep(0.1)
            run.refresh_from_db()
        chunked_s = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    assert run.status == ScoringRun.Status.DONE, run.error
    assert CustomerScore.objects.filter(scored_at=run.scored_at).count() == scored
    print(f"chunked: {chunked_s:.1f} s ({run.chunks} chunks)", file=sys.stderr)

    reference_s = _reference(scored)
    return {
        "database": connection.vendor,
        "customers": n,
        "customers_scored": scored,
        "orders": orders,
        "build_seconds": round(build_s, 1),
        "seconds_single": round(single_s, 2),
        "seconds_chunked": round(chunked_s, 2),
        "seconds_chunked_read_and_fit": round(queued_s, 2),
        "chunks": run.chunks,
        "goal_s": GOAL_S,
        "met": single_s < GOAL_S and chunked_s < GOAL_S,
        "prediction_skipped_reason": single.prediction_skipped_reason,
        "value_skipped_reason": single.value_skipped_reason,
        "reference": {"what": "bare INSERT ... SELECT of the same number of score rows",
                      "seconds": round(reference_s, 2)},
        "ratio": round(single_s / reference_s, 2),
    }


def _postgres(sql: str) -> None:
    import psycopg

    url = f"{POSTGRES_BASE}/postgres".replace("postgres://", "postgresql://", 1)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="100,000 customers instead of 1,000,000")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--log-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, Path(args.log_dir))))
        return
    n = 100_000 if args.quick else 1_000_000
    results = []
    with tempfile.TemporaryDirectory(prefix="dangol-bench-score-") as tmp:
        for database in args.databases.split(","):
            env = os.environ | {"DANGOL_DATA_DIR": str(Path(tmp) / database),
                                "DANGOL_LOG_LEVEL": "WARNING"}
            env.pop("DANGOL_BROKER_URL", None)
            env.pop("DANGOL_TASKS_EAGER", None)
            if database == "postgres":
                _postgres(f"DROP DATABASE IF EXISTS {POSTGRES_DB}")
                _postgres(f"CREATE DATABASE {POSTGRES_DB}")
                env["DANGOL_DATABASE_URL"] = f"{POSTGRES_BASE}/{POSTGRES_DB}"
            else:
                env.pop("DANGOL_DATABASE_URL", None)
            try:
                out = subprocess.run(
                    [sys.executable, "-m", "benchmarks.score", "--child", str(n),
                     "--log-dir", tmp], env=env, stdout=subprocess.PIPE, text=True,
                    check=False)
            finally:
                if database == "postgres":
                    _postgres(f"DROP DATABASE IF EXISTS {POSTGRES_DB} WITH (FORCE)")
            if out.returncode != 0:
                raise SystemExit(f"{database} run failed")
            result = json.loads(out.stdout.strip().splitlines()[-1])
            print(json.dumps(result))
            results.append(result)
    print(json.dumps({"benchmark": "score", "quick": args.quick, "customers": n,
                      "goal": f"end-to-end scoring under {GOAL_S} s on each database",
                      "results": results, "met": all(r["met"] for r in results)}))


if __name__ == "__main__":
    main()
