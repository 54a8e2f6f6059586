"""Queueing messages: one at a time, as a batch, and a bare insert as the reference.

    DANGOL_DATA_DIR=/tmp/bench-messages .venv/bin/python -m benchmarks.messages [--quick]

Set DANGOL_DATABASE_URL to measure PostgreSQL instead of the SQLite file in the
data folder. N customers are created, half of them with an e-mail ad opt-in;
then, in the same run, N ad e-mails are queued

* ``loop``: ``queue_message`` once per customer (what a caller writes first);
* ``batch``: ``queue_messages`` in batches of 1,000 (consent read, label, footer,
  unsubscribe link and event for each message, a fixed number of queries);
* ``bare``: ``bulk_create`` of the same number of Message rows with no rules at
  all: the floor any outbox pays.

Each is timed inside a transaction that is rolled back, so no message is sent
and every variant starts from the same tables. ``ratio`` is seconds ÷ bare
seconds. Prints one JSON object last.
"""

import argparse
import json
import os
import time
from typing import Any

BATCH = 1000


class _Rollback(Exception):
    pass


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangol.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _seed(n: int) -> list[Any]:
    from django.utils import timezone

    from dangol.customers.models import Consent, Customer

    Customer.objects.filter(external_id__startswith="BM").delete()
    Customer.objects.bulk_create(
        [Customer(external_id=f"BM{i:07d}", name=f"고객 {i}", email=f"bm{i}@example.com")
         for i in range(n)], batch_size=5000)
    customers = list(Customer.objects.filter(external_id__startswith="BM").order_by("pk"))
    now = timezone.now()
    Consent.objects.bulk_create(
        [Consent(customer=c, channel="email", purpose="ad", granted_at=now)
         for c in customers[::2]], batch_size=5000)
    return customers


def _timed(work: Any) -> float:
    from django.db import transaction

    start = time.perf_counter()
    try:
        with transaction.atomic():
            work()
            raise _Rollback
    except _Rollback:
        pass
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="2,000 messages, not 20,000")
    args = parser.parse_args()
    n = 2_000 if args.quick else 20_000
    _setup()
    from django.conf import settings
    from django.db import connection

    from dangol.engagement.models import Message
    from dangol.engagement.services import Draft, queue_message, queue_messages
    from dangol.engagement.tokens import unsubscribe_url

    settings.DANGOL_SENDER_NAME = "단골상회"
    settings.DANGOL_SENDER_EMAIL = "shop@example.com"
    settings.DANGOL_SENDER_PHONE = "02-1234-5678"
    settings.DANGOL_SENDER_ADDRESS = "서울특별시 중구 세종대로 110"
    customers = _seed(n)
    # Load the URL configuration (every app's views) before the clock starts.
    unsubscribe_url(customer_id=customers[0].pk, channel="email")

    def loop() -> None:
        for c in customers:
            queue_message(customer=c, channel="email", purpose="ad", subject="겨울 세일",
                          body="최대 50% 할인", source="bench", dedupe_key=f"bm:{c.pk}")

    def batch() -> None:
        for start in range(0, n, BATCH):
            queue_messages(channel="email", purpose="ad", source="bench", drafts=[
                Draft(customer=c, subject="겨울 세일", body="최대 50% 할인",
                      dedupe_key=f"bm:{c.pk}") for c in customers[start:start + BATCH]])

    def bare() -> None:
        Message.objects.bulk_create(
            [Message(customer=c, channel="email", purpose="ad", subject="(광고) 겨울 세일",
                     body="최대 50% 할인", to_address=c.email, source="bench",
                     dedupe_key=f"bm:{c.pk}") for c in customers], batch_size=500)

    seconds = {"bare": _timed(bare), "batch": _timed(batch), "loop": _timed(loop)}
    result = {
        "benchmark": "engagement.queue_messages",
        "database": connection.vendor,
        "messages": n,
        "ad_opt_in_share": 0.5,
        **{name: {"seconds": round(s, 3), "per_second": round(n / s),
                  "ratio": round(s / seconds["bare"], 2)} for name, s in seconds.items()},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
