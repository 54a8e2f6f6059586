"""Segment counts: the compiled single query against reading the rows into Python.

    .venv/bin/python -m benchmarks.segments [--quick] [--postgres]

A fresh database (SQLite in a temporary data directory, or the PostgreSQL
database ``dangol_bench_segments`` with ``--postgres``) gets N customers
(200,000; 20,000 with ``--quick``) with about three orders each, one order
line per order over ten categories, e-mail ad consent for 40 %, a score for
every customer and a completed NPS response for 30 %.

For each of three definitions the live count (``count_preview``, one SQL
statement) is timed, best of three. The reference, in the same run, is the
straightforward way without the rule compiler: read the columns each rule
needs (orders, lines, consents, scores, answers) into Python and test every
customer there. Both must find the same number of customers. ``ratio`` =
Python seconds ÷ SQL seconds. Prints one JSON object last.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/dangol_bench_segments"
CATEGORIES = ["의류", "신발", "가방", "화장품", "식품", "가전", "도서", "완구", "스포츠", "가구"]
REGIONS = ["서울", "부산", "대구", "인천", "광주", "대전"]
SEED = 20261123

DEFINITIONS: dict[str, dict[str, Any]] = {
    "demographic": {"match": "all", "rules": [
        {"field": "region", "op": "in", "value": ["서울", "부산"]},
        {"field": "age_band", "op": "in", "value": ["20s", "30s"]}]},
    "behaviour": {"match": "all", "rules": [
        {"field": "order_count", "op": "gte", "value": 3},
        {"field": "last_order_days", "op": "lte", "value": 90},
        {"field": "total_spent", "op": "gte", "value": 100000}]},
    "mixed": {"match": "all", "rules": [
        {"field": "consent", "op": "eq", "value": "email:ad"},
        {"field": "product_category", "op": "in", "value": ["신발", "가방"]},
        {"match": "any", "rules": [
            {"field": "nps_category", "op": "eq", "value": "detractor"},
            {"field": "churn_risk", "op": "eq", "value": "high"}]}]},
}


def _setup_django(postgres: bool, data_dir: str) -> None:
    os.environ["DANGOL_DATA_DIR"] = data_dir
    if postgres:
        os.environ["DANGOL_DATABASE_URL"] = POSTGRES_URL
    else:
        os.environ.pop("DANGOL_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangol.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    if postgres:
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)


def _seed(n: int) -> None:
    from django.utils import timezone

    from dangol.accounts.actors import SYSTEM
    from dangol.customers.models import Consent, Customer, Order, OrderLine, Product
    from dangol.segments.models import CustomerScore
    from dangol.surveys.models import Answer, Response
    from dangol.surveys.services.surveys import create_survey

    rng = random.Random(SEED)
    now = timezone.now()
    today = timezone.localdate()
    products = Product.objects.bulk_create(
        [Product(external_id=f"P{i}", name=f"p{i}", category=CATEGORIES[i % 10], price=10000)
         for i in range(100)])
    Customer.objects.bulk_create(
        [Customer(external_id=f"B{i:07d}", region=rng.choice(REGIONS),
                  birthday=today - timedelta(days=rng.randint(15 * 365, 70 * 365)),
                  joined_at=now - timedelta(days=rng.randint(0, 1500)))
         for i in range(n)], batch_size=5000)
    pks = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    orders, number = [], 0
    for pk in pks:
        for _ in range(rng.choice([0, 1, 2, 3, 4, 5])):
            number += 1
            orders.append(Order(
                external_id=f"O{number:08d}", customer_id=pk,
                ordered_at=now - timedelta(days=rng.randint(0, 700), minutes=rng.randint(0, 999)),
                total_amount=Decimal(rng.randint(1, 100) * 1000),
                status="refunded" if rng.random() < 0.05 else "placed"))
    Order.objects.bulk_create(orders, batch_size=5000)
    OrderLine.objects.bulk_create(
        [OrderLine(order_id=o_pk, line_no=1, product=rng.choice(products), unit_price=1000,
                   amount=1000)
         for o_pk in Order.objects.values_list("pk", flat=True).iterator(5000)], batch_size=5000)
    Consent.objects.bulk_create(
        [Consent(customer_id=pk, channel="email", purpose="ad", granted_at=now,
                 withdrawn_at=now - timedelta(days=1) if rng.random() < 0.8 else now)
         for pk in pks if rng.random() < 0.5], batch_size=5000)
    CustomerScore.objects.bulk_create(
        [CustomerScore(customer_id=pk, frequency=1, recency_days=1, T_days=2, monetary=1,
                       order_count=1, total_spent=1, last_order_at=now, R=rng.randint(1, 5),
                       F=rng.randint(1, 5), M=rng.randint(1, 5), rfm_segment="loyal",
                       churn_risk=rng.choice(["low", "medium", "high"]), scored_at=now)
         for pk in pks], batch_size=5000)
    survey = create_survey(actor=SYSTEM, name="NPS", languages=["ko"], title={"ko": "조사"},
                           definition={"questions": [{"key": "nps", "type": "nps",
                                                      "text": {"ko": "추천?"}}]},
                           publish=True)
    responders = [pk for pk in pks if rng.random() < 0.3]
    Response.objects.bulk_create(
        [Response(survey=survey, version=survey.current_version, customer_id=pk, language="ko",
                  channel="api", status="completed", answers={},
                  completed_at=now - timedelta(days=rng.randint(0, 300)))
         for pk in responders], batch_size=5000)
    Answer.objects.bulk_create(
        [Answer(response_id=r_pk, survey=survey, question="nps", number=rng.randint(0, 10))
         for r_pk in Response.objects.values_list("pk", flat=True).iterator(5000)],
        batch_size=5000)


def _python_count(name: str) -> int:
    """The same membership without the compiler: read the rows, test in Python."""
    from django.utils import timezone

    from dangol.customers.models import Consent, Customer, Order, OrderLine
    from dangol.segments.models import CustomerScore
    from dangol.surveys.models import Answer

    today = timezone.localdate()
    if name == "demographic":
        low, high = today.replace(year=today.year - 40), today.replace(year=today.year - 20)
        return sum(1 for region, birthday in Customer.objects.values_list("region", "birthday")
                   .iterator(5000)
                   if region in {"서울", "부산"} and birthday and low < birthday <= high)
    if name == "behaviour":
        count: dict[int, int] = defaultdict(int)
        spent: dict[int, Decimal] = defaultdict(Decimal)
        last: dict[int, date] = {}
        for customer, at, amount in (Order.objects.exclude(status__in=["cancelled", "refunded"])
                                     .values_list("customer_id", "ordered_at", "total_amount")
                                     .iterator(5000)):
            count[customer] += 1
            spent[customer] += amount
            day = timezone.localtime(at).date()
            last[customer] = max(last.get(customer, day), day)
        return sum(1 for c in count if count[c] >= 3 and (today - last[c]).days <= 90
                   and spent[c] >= 100000)
    consent = {c for c, granted, withdrawn in Consent.objects.filter(
        channel="email", purpose="ad").values_list("customer_id", "granted_at", "withdrawn_at")
        if granted and (withdrawn is None or withdrawn < granted)}
    bought = set(OrderLine.objects.filter(product__category__in=["신발", "가방"])
                 .exclude(order__status__in=["cancelled", "refunded"])
                 .values_list("order__customer_id", flat=True).iterator(5000))
    latest: dict[int, tuple[datetime, int, int]] = {}
    for customer, completed, response, number in Answer.objects.filter(
            question="nps", row="", number__isnull=False, response__status="completed"
    ).values_list("response__customer_id", "response__completed_at", "response_id",
                  "number").iterator(5000):
        if customer not in latest or (completed, response) > latest[customer][:2]:
            latest[customer] = (completed, response, number)
    high = set(CustomerScore.objects.filter(churn_risk="high").values_list("customer_id",
                                                                            flat=True))
    return sum(1 for c in consent & bought
               if (c in latest and latest[c][2] <= 6) or c in high)


def _best_of(runs: int, work: Any) -> tuple[float, Any]:
    best, value = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        value = work()
        best = min(best, time.perf_counter() - started)
    return best, value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 customers")
    parser.add_argument("--postgres", action="store_true", help="run on PostgreSQL")
    args = parser.parse_args()
    n = 20_000 if args.quick else 200_000
    with tempfile.TemporaryDirectory(prefix="dangol-bench-segments-") as tmp:
        _setup_django(args.postgres, tmp)
        from django.db import connection

        from dangol.customers.models import Customer, Order
        from dangol.segments.selectors import count_preview

        started = time.perf_counter()
        _seed(n)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        result: dict[str, Any] = {
            "benchmark": "segments", "quick": args.quick, "database": connection.vendor,
            "customers": Customer.objects.count(), "orders": Order.objects.count(),
            "seed_s": round(time.perf_counter() - started, 2),
            "timing": "best of 3 runs; seconds", "definitions": {},
        }
        for name, definition in DEFINITIONS.items():
            sql_s, sql_count = _best_of(3, lambda d=definition: count_preview(d))
            python_s, python_count = _best_of(3, lambda n=name: _python_count(n))
            result["definitions"][name] = {
                "members": sql_count, "python_members": python_count,
                "same": sql_count == python_count, "sql_s": round(sql_s, 4),
                "python_s": round(python_s, 4), "ratio": round(python_s / sql_s, 1),
            }
    print(json.dumps(result, ensure_ascii=False))
    return 0 if all(d["same"] for d in result["definitions"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
