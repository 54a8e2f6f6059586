"""Loyalty ledger under concurrency: Dangol's services against bare SQL transactions.

    .venv/bin/python -m benchmarks.loyalty [--quick] [--databases sqlite,postgres]

For each database, a fresh schema gets hot accounts (every client works on the
same few dozen) and a first-come event with N places. Then C concurrent
clients (one process each, with its own connection) hammer it with a
mix of earn (45 %), redeem (40 %), claim (10 %) and repeated requests (5 %)
through ``dangol.loyalty.services``. The invariants are counted afterwards:

* ``negative_balances``: accounts, debts or lots below zero;
* ``lost_entries``: successful requests without their entry, plus accounts whose
  balance differs from the sum of their entries or of their lots;
* ``duplicated_entries``: idempotency keys, or event claims by one customer,
  recorded more than once;
* ``event_winners``: claims of the event (must equal N).

Then the same clients run bare SQL transactions doing the same row updates
(lock the account, update the balance, update or insert the lot, insert the
entry; for a claim, the conditional counter update and the claim insert) in
the same run. ``ratio`` = our operations/s ÷ bare operations/s. Prints one JSON
object last.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/dangol_bench_loyalty"
ACCOUNTS = 48
CLAIMANTS = 2000


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangol.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _seed(capacity: int) -> dict:
    from dangol.accounts.actors import SYSTEM
    from dangol.customers.models import Customer
    from dangol.loyalty.models import Source
    from dangol.loyalty.services import events, ledger

    Customer.objects.bulk_create(
        [Customer(external_id=f"B{i:06d}") for i in range(ACCOUNTS + CLAIMANTS)], batch_size=5000
    )
    pks = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    program = ledger.default_program()
    # Enough for every redemption of both phases: the bare reference takes points from
    # one lot, so a redemption there must never need a second one.
    for pk in pks[:ACCOUNTS]:
        ledger.earn_points(
            actor=SYSTEM,
            customer_pk=pk,
            points=1_000_000,
            source=Source.MANUAL,
            idempotency_key=f"seed-{pk}",
            program=program,
        )
    ours = events.create_event(actor=SYSTEM, name="ours", capacity=capacity, points=10)
    bare = events.create_event(actor=SYSTEM, name="bare", capacity=capacity, points=10)
    from dangol.loyalty.models import Account

    accounts = dict(Account.objects.values_list("customer_id", "pk"))
    return {
        "hot": pks[:ACCOUNTS],
        "claimants": pks[ACCOUNTS:],
        "event": ours.pk,
        "bare_event": bare.pk,
        "program": program.pk,
        "accounts": accounts,
    }


def _plan(seed: int, ops: int, world: dict) -> list[tuple[str, int]]:
    rng = random.Random(seed)
    plan = []
    for _ in range(ops):
        roll = rng.random()
        if roll < 0.45:
            plan.append(("earn", rng.choice(world["hot"])))
        elif roll < 0.85:
            plan.append(("redeem", rng.choice(world["hot"])))
        elif roll < 0.95:
            plan.append(("claim", rng.choice(world["claimants"])))
        else:
            plan.append(("repeat", 0))
    return plan


def _ours(client: int, plan: list[tuple[str, int]], world: dict) -> dict:
    from django.db import connection

    from dangol.accounts.actors import SYSTEM
    from dangol.core.errors import DomainError
    from dangol.loyalty.models import Program, Source
    from dangol.loyalty.services import events, ledger

    program = Program.objects.get(pk=world["program"])
    latencies, ok, refused, done = [], [], 0, []
    for step, (kind, pk) in enumerate(plan):
        key = f"c{client}-{step}"
        started = time.perf_counter()
        try:
            if kind == "earn":
                ledger.earn_points(
                    actor=SYSTEM,
                    customer_pk=pk,
                    points=10,
                    source=Source.ORDER,
                    idempotency_key=key,
                    program=program,
                )
                ok.append(key)
                done.append((kind, pk, key))
            elif kind == "redeem":
                ledger.redeem_points(
                    actor=SYSTEM, customer_pk=pk, points=25, idempotency_key=key, program=program
                )
                ok.append(key)
                done.append((kind, pk, key))
            elif kind == "claim":
                events.claim_event(actor=SYSTEM, event_id=world["event"], customer_pk=pk)
            elif done:
                kind_, pk_, key_ = done[step % len(done)]
                service = ledger.earn_points if kind_ == "earn" else ledger.redeem_points
                extra = {"source": Source.ORDER} if kind_ == "earn" else {}
                service(
                    actor=SYSTEM,
                    customer_pk=pk_,
                    points=10 if kind_ == "earn" else 25,
                    idempotency_key=key_,
                    program=program,
                    **extra,
                )
        except DomainError:
            refused += 1
        latencies.append(time.perf_counter() - started)
    connection.close()
    return {"latencies": latencies, "ok": ok, "refused": refused}


def _bare(client: int, plan: list[tuple[str, int]], world: dict) -> dict:
    from django.db import IntegrityError, connection, transaction
    from django.utils import timezone

    vendor = connection.vendor
    lock = " FOR UPDATE" if vendor == "postgresql" else ""
    entry_sql = (
        "INSERT INTO loyalty_entry (program_id, account_id, kind, source, source_ref, amount, "
        "points, debt_delta, balance_after, idempotency_key, reason, actor_label, at, "
        "expires_at, available_at) VALUES (%s, %s, %s, 'order', '', %s, %s, 0, %s, %s, '', "
        "'bench', %s, %s, %s) RETURNING id"
    )
    latencies, refused = [], 0
    for step, (kind, pk) in enumerate(plan):
        key = f"bare-c{client}-{step}"
        started = time.perf_counter()
        now = timezone.now()
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                if kind in {"earn", "redeem", "repeat"}:
                    account = world["accounts"][pk or world["hot"][0]]
                    cursor.execute(
                        f"SELECT balance FROM loyalty_account WHERE id = %s{lock}", [account]
                    )
                    balance = cursor.fetchone()[0]
                    if kind == "repeat":
                        cursor.execute(
                            "SELECT id FROM loyalty_entry WHERE program_id = %s "
                            "AND idempotency_key = %s",
                            [world["program"], key],
                        )
                    elif kind == "earn":
                        cursor.execute(
                            "UPDATE loyalty_account SET balance = balance + 10 WHERE id = %s",
                            [account],
                        )
                        cursor.execute(
                            entry_sql,
                            [
                                world["program"],
                                account,
                                "earn",
                                10,
                                10,
                                balance + 10,
                                key,
                                now,
                                now + timedelta(days=365),
                                now,
                            ],
                        )
                        entry = cursor.fetchone()[0]
                        cursor.execute(
                            "INSERT INTO loyalty_lot (account_id, entry_id, points, remaining, "
                            "expires_at, available_at) VALUES (%s, %s, 10, 10, %s, %s)",
                            [account, entry, now + timedelta(days=365), now],
                        )
                    else:
                        cursor.execute(
                            "UPDATE loyalty_lot SET remaining = remaining - 25 WHERE id = ("
                            "SELECT id FROM loyalty_lot WHERE account_id = %s AND remaining >= 25 "
                            "ORDER BY expires_at LIMIT 1)",
                            [account],
                        )
                        if cursor.rowcount == 0 or balance < 25:
                            raise LookupError
                        cursor.execute(
                            "UPDATE loyalty_account SET balance = balance - 25 WHERE id = %s",
                            [account],
                        )
                        cursor.execute(
                            entry_sql,
                            [
                                world["program"],
                                account,
                                "redeem",
                                25,
                                -25,
                                balance - 25,
                                key,
                                now,
                                None,
                                None,
                            ],
                        )
                else:
                    cursor.execute(
                        "UPDATE loyalty_event SET claimed = claimed + 1 WHERE id = %s "
                        "AND claimed < capacity RETURNING claimed",
                        [world["bare_event"]],
                    )
                    row = cursor.fetchone()
                    if row is None:
                        raise LookupError
                    cursor.execute(
                        "INSERT INTO loyalty_claim (event_id, customer_id, position, "
                        "at) VALUES (%s, %s, %s, %s)",
                        [world["bare_event"], pk, row[0], now],
                    )
        except (LookupError, IntegrityError):
            refused += 1
        latencies.append(time.perf_counter() - started)
    connection.close()
    return {"latencies": latencies, "ok": [], "refused": refused}


def _process(args: tuple) -> list[dict]:
    which, first_client, threads, ops, world = args
    run = _ours if which == "ours" else _bare
    results: list[dict] = [{}] * threads
    barrier = threading.Barrier(threads)

    def target(index: int) -> None:
        client = first_client + index
        plan = _plan(client, ops, world)
        barrier.wait()
        started = time.time()
        results[index] = run(client, plan, world) | {"started": started, "ended": time.time()}

    workers = [threading.Thread(target=target, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results


def _phase(which: str, clients: int, processes: int, ops: int, world: dict) -> dict:
    import multiprocessing

    from django.db import connections

    connections.close_all()
    threads = clients // processes
    jobs = [(which, p * threads, threads, ops, world) for p in range(processes)]
    context = multiprocessing.get_context("fork")
    with context.Pool(processes) as pool:
        results = [r for chunk in pool.map(_process, jobs) for r in chunk]
    # From the first client's start to the last one's end: process start-up is not counted.
    elapsed = max(r["ended"] for r in results) - min(r["started"] for r in results)
    latencies = sorted(x for r in results for x in r["latencies"])
    count = len(latencies)
    return {
        "operations": count,
        "seconds": round(elapsed, 2),
        "ops_per_s": round(count / elapsed),
        "p99_ms": round(1000 * latencies[min(count - 1, int(count * 0.99))], 1),
        "refused": sum(r["refused"] for r in results),
        "ok_keys": [k for r in results for k in r["ok"]],
    }


def _invariants(ok_keys: list[str], world: dict) -> dict:
    from django.db.models import Count, Q, Sum

    from dangol.loyalty.models import Account, Claim, Entry, Lot

    negative = (
        Account.objects.filter(Q(balance__lt=0) | Q(debt__lt=0)).count()
        + Lot.objects.filter(remaining__lt=0).count()
    )
    present = set(
        Entry.objects.filter(idempotency_key__in=ok_keys).values_list("idempotency_key", flat=True)
    )
    lost = len(set(ok_keys) - present)
    for account in Account.objects.all():
        entries = Entry.objects.filter(account=account).aggregate(s=Sum("points"))["s"] or 0
        lots = Lot.objects.filter(account=account).aggregate(s=Sum("remaining"))["s"] or 0
        lost += int(not account.balance == entries == lots)
    duplicated = (
        Entry.objects.exclude(idempotency_key=None)
        .values("idempotency_key")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
        + Claim.objects.values("event", "customer").annotate(n=Count("id")).filter(n__gt=1).count()
        + len(ok_keys)
        - len(set(ok_keys))
    )
    return {
        "negative_balances": negative,
        "lost_entries": lost,
        "duplicated_entries": duplicated,
        "event_winners": Claim.objects.filter(event_id=world["event"]).count(),
    }


def run_one(clients: int, processes: int, ops: int) -> dict:
    _setup_django()
    from django.db import connection

    # About three claims per place, so the event always sells out.
    capacity = max(1, clients * ops // 30)
    world = _seed(capacity)
    ours = _phase("ours", clients, processes, ops, world)
    invariants = _invariants(ours.pop("ok_keys"), world)
    bare = _phase("bare", clients, processes, ops, world)
    bare.pop("ok_keys")
    return {
        "database": connection.vendor,
        "clients": clients,
        "ours": ours,
        "bare": bare,
        "ratio": round(ours["ops_per_s"] / bare["ops_per_s"], 3),
        "invariants": invariants,
        "event_capacity": capacity,
    }


def _fresh_postgres() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS dangol_bench_loyalty")
        conn.execute("CREATE DATABASE dangol_bench_loyalty")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer operations per client")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--ops", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--clients", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--processes", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    # One client per process: threads of one process would queue for the GIL while
    # holding row locks, which measures the interpreter rather than the ledger.
    sizes = {"postgres": (32, 32), "sqlite": (8, 8)}  # clients, processes
    if args.child:
        clients, processes = sizes[args.child]
        clients, processes = args.clients or clients, args.processes or processes
        print(json.dumps(run_one(clients, processes, args.ops)))
        return
    ops = 40 if args.quick else 200
    results = []
    with tempfile.TemporaryDirectory(prefix="dangol-bench-") as tmp:
        for database in args.databases.split(","):
            env = os.environ | {
                "DANGOL_DATA_DIR": str(Path(tmp) / database),
                "DANGOL_LOG_LEVEL": "WARNING",
            }
            if database == "postgres":
                _fresh_postgres()
                env["DANGOL_DATABASE_URL"] = POSTGRES_URL
            else:
                env.pop("DANGOL_DATABASE_URL", None)
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.loyalty",
                    "--child",
                    database,
                    "--ops",
                    str(ops),
                ],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode != 0:
                print(out.stderr, file=sys.stderr)
                raise SystemExit(f"{database} run failed")
            result = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{database}: ours {result['ours']['ops_per_s']:,} ops/s "
                f"(p99 {result['ours']['p99_ms']} ms), bare {result['bare']['ops_per_s']:,} "
                f"ops/s, ratio {result['ratio']}, {result['invariants']}",
                file=sys.stderr,
            )
            results.append(result)

    def exact(r: dict) -> bool:
        inv = r["invariants"]
        return (
            inv["negative_balances"] == inv["lost_entries"] == inv["duplicated_entries"] == 0
            and inv["event_winners"] == r["event_capacity"]
        )

    postgres = [r for r in results if r["database"] == "postgresql"]
    print(
        json.dumps(
            {
                "benchmark": "loyalty",
                "quick": args.quick,
                "ops_per_client": ops,
                "goal": ">= 1,000 ledger operations/s on PostgreSQL with ratio >= 0.5; "
                "invariants exact on every database",
                "results": results,
                "invariants_exact": all(exact(r) for r in results),
                "goal_met": all(exact(r) for r in results)
                and all(r["ours"]["ops_per_s"] >= 1000 and r["ratio"] >= 0.5 for r in postgres),
            }
        )
    )


if __name__ == "__main__":
    main()
