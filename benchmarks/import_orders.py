"""Bulk import of order lines: Dangol's import against a bare executemany.

    .venv/bin/python -m benchmarks.import_orders [--quick] [--databases sqlite,postgres]

For each database, a fresh schema gets the same customers and products, then
(1) ``import_table("orders", …)`` reads a CSV of N order lines, validates every
row and writes orders and lines; (2) after the tables are emptied, a bare
``executemany`` inserts the same, already-prepared rows into the same tables.
Prints one JSON object last: rows/s for each and ``ratio`` = ours / bare.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

CUSTOMERS = 50_000
PRODUCTS = 500
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/dangol_bench"


def write_orders_csv(path: Path, lines: int, seed: int = 7) -> int:
    """N order lines, 1-4 per order, for random customers; returns the number of orders."""
    import numpy as np

    rng = np.random.default_rng(seed)
    start = datetime(2025, 1, 1)
    per_order = rng.choice([1, 1, 2, 2, 3, 4], size=lines)
    customers = rng.integers(1, CUSTOMERS + 1, size=lines)
    products = rng.integers(1, PRODUCTS + 1, size=lines)
    quantities = rng.choice([1, 1, 1, 2, 3], size=lines)
    prices = rng.integers(10, 2000, size=lines) * 100
    minutes = rng.integers(0, 600 * 24 * 60, size=lines)
    written = orders = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["order_id", "customer_id", "ordered_at", "product_id", "quantity",
                         "unit_price", "channel"])
        while written < lines:
            orders += 1
            count = min(int(per_order[orders % lines]), lines - written)
            at = (start + timedelta(minutes=int(minutes[orders % lines]))).strftime(
                "%Y-%m-%d %H:%M:%S")
            customer = f"C{int(customers[orders % lines]):07d}"
            for _ in range(count):
                writer.writerow([f"O{orders:09d}", customer, at,
                                 f"P{int(products[written]):05d}", int(quantities[written]),
                                 int(prices[written]), "online"])
                written += 1
    return orders


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangol.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _seed_catalogue() -> None:
    from dangol.customers.models import Customer, Product

    Customer.objects.bulk_create(
        [Customer(external_id=f"C{i:07d}", name=f"고객{i}") for i in range(1, CUSTOMERS + 1)],
        batch_size=5000)
    Product.objects.bulk_create(
        [Product(external_id=f"P{i:05d}", name=f"상품{i}", price=Decimal(1000))
         for i in range(1, PRODUCTS + 1)], batch_size=5000)


def _empty_orders() -> None:
    from dangol.customers.models import Order, OrderLine

    OrderLine.objects.all().delete()
    Order.objects.all().delete()


def _bare_rows(path: Path) -> tuple[list[tuple], list[tuple]]:
    """The rows a bare insert writes, prepared outside the timed part."""
    from django.utils import timezone

    from dangol.customers.models import Customer, Product

    customers = dict(Customer.objects.values_list("external_id", "pk"))
    products = dict(Product.objects.values_list("external_id", "pk"))
    now = timezone.now()
    orders: dict[str, list] = {}
    lines = []
    with path.open(encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for order_id, customer_id, ordered_at, product_id, quantity, price, channel in reader:
            amount = Decimal(price) * int(quantity)
            if order_id not in orders:
                at = timezone.make_aware(datetime.fromisoformat(ordered_at))
                orders[order_id] = [len(orders) + 1, order_id, customers[customer_id], at,
                                    Decimal(0), "KRW", "placed", channel, "", now, now, 0]
            row = orders[order_id]
            row[4] += amount
            row[11] += 1
            lines.append((row[0], row[11], products[product_id], product_id, int(quantity),
                          Decimal(price), amount))
    return [tuple(r[:11]) for r in orders.values()], lines


def _bare_insert(order_rows: list[tuple], line_rows: list[tuple], chunk: int = 5000) -> None:
    from django.db import connection, transaction

    order_sql = ("INSERT INTO customers_order (id, external_id, customer_id, ordered_at, "
                 "total_amount, currency, status, channel, store, created_at, updated_at) "
                 "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
    line_sql = ("INSERT INTO customers_orderline (order_id, line_no, product_id, "
                "product_external_id, quantity, unit_price, amount) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)")
    for start in range(0, len(order_rows), chunk):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(order_sql, order_rows[start:start + chunk])
    for start in range(0, len(line_rows), chunk * 2):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(line_sql, line_rows[start:start + chunk * 2])


def run_one(csv_path: Path, lines: int) -> dict:
    """Measure both imports on the database this process is configured for."""
    _setup_django()
    from django.db import connection

    from dangol.accounts.actors import SYSTEM
    from dangol.core.tabular import open_table
    from dangol.customers.imports import import_table
    from dangol.customers.models import OrderLine

    _seed_catalogue()
    started = time.perf_counter()
    summary = import_table("orders", open_table(csv_path), actor=SYSTEM)
    ours_s = time.perf_counter() - started
    assert summary.rejected_rows == 0, summary.rejects[:5]
    assert OrderLine.objects.count() == lines
    _empty_orders()
    order_rows, line_rows = _bare_rows(csv_path)
    started = time.perf_counter()
    _bare_insert(order_rows, line_rows)
    bare_s = time.perf_counter() - started
    assert OrderLine.objects.count() == lines
    return {
        "database": connection.vendor,
        "rows": lines,
        "orders": len(order_rows),
        "ours_seconds": round(ours_s, 2),
        "ours_rows_per_s": round(lines / ours_s),
        "bare_seconds": round(bare_s, 2),
        "bare_rows_per_s": round(lines / bare_s),
        "ratio": round(bare_s and ours_s and (lines / ours_s) / (lines / bare_s), 3),
    }


def _fresh_postgres() -> None:
    base = "postgres://postgres@127.0.0.1:5432/postgres"
    import psycopg

    with psycopg.connect(base.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS dangol_bench")
        conn.execute("CREATE DATABASE dangol_bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 lines instead of 1,000,000")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--lines", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(Path(args.child), args.lines)))
        return
    lines = 100_000 if args.quick else 1_000_000
    results = []
    with tempfile.TemporaryDirectory(prefix="dangol-bench-") as tmp:
        csv_path = Path(tmp) / "orders.csv"
        write_orders_csv(csv_path, lines)
        for database in args.databases.split(","):
            env = os.environ | {"DANGOL_DATA_DIR": str(Path(tmp) / database),
                                "DANGOL_LOG_LEVEL": "WARNING"}
            if database == "postgres":
                _fresh_postgres()
                env["DANGOL_DATABASE_URL"] = POSTGRES_URL
            else:
                env.pop("DANGOL_DATABASE_URL", None)
            out = subprocess.run(
                [sys.executable, "-m", "benchmarks.import_orders", "--child", str(csv_path),
                 "--lines", str(lines)], env=env, capture_output=True, text=True, check=False)
            if out.returncode != 0:
                print(out.stderr, file=sys.stderr)
                raise SystemExit(f"{database} run failed")
            result = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{database}: ours {result['ours_rows_per_s']:,} rows/s, bare "
                  f"{result['bare_rows_per_s']:,} rows/s, ratio {result['ratio']}",
                  file=sys.stderr)
            results.append(result)
    print(json.dumps({"benchmark": "import_orders", "quick": args.quick, "lines": lines,
                      "goal": "ratio >= 0.5 on each database",
                      "results": results,
                      "goal_met": all(r["ratio"] >= 0.5 for r in results)}))


if __name__ == "__main__":
    main()
