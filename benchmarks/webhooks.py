"""Webhooks: the cost of publishing into the outbox, and of sending, each beside its floor.

    DANGOL_DATA_DIR=/tmp/bench-webhooks .venv/bin/python -m benchmarks.webhooks [--quick]

Set DANGOL_DATABASE_URL to measure PostgreSQL instead of the SQLite file in the
data folder. Three active endpoints point at a stdlib HTTP server on localhost
that answers 200. In the same run:

* ``publish``: N events, one ``publish`` each inside its own savepoint (as a
  producer's transaction calls it), against ``bare``: the same Event row and
  three Delivery rows written with ``create`` + ``bulk_create`` and no checks.
  Both run in a transaction that is rolled back, so nothing is queued or sent.
* ``send``: M due deliveries sent by the scheduler's sweep (claim, sign, POST,
  record), against ``bare``: the same M bodies POSTed with ``http.client`` to
  the same server, one after another, with nothing read or written.

``ratio`` is seconds ÷ bare seconds. Prints one JSON object last.
"""

import argparse
import http.client
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Rollback(Exception):
    pass


class _Ok(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangol.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _payload(i: int) -> dict[str, Any]:
    return {"response_id": i, "survey": {"id": 1, "name": "NPS"},
            "answers": {"nps": i % 11, "comment": "배송이 빨라요"}}


def _rolled_back(work: Any) -> float:
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
    parser.add_argument("--quick", action="store_true", help="500 events and 200 sends")
    args = parser.parse_args()
    n, m = (500, 200) if args.quick else (5_000, 1_000)
    _setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from dangol.accounts.actors import SYSTEM
    from dangol.webhooks.dispatch import request_body, send_due_deliveries
    from dangol.webhooks.models import Delivery, Endpoint, Event
    from dangol.webhooks.services import create_endpoint, publish

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    Endpoint.objects.all().delete()
    endpoints = [create_endpoint(actor=SYSTEM, url=f"{url}?n={i}", event_types=["*"])
                 for i in range(3)]

    def with_publish() -> None:
        for i in range(n):
            with transaction.atomic():
                publish(event_type="survey.response.completed", payload=_payload(i))

    def bare_rows() -> None:
        now = timezone.now()
        for i in range(n):
            with transaction.atomic():
                event = Event.objects.create(type="survey.response.completed",
                                             payload=_payload(i), occurred_at=now)
                Delivery.objects.bulk_create([Delivery(event=event, endpoint=e,
                                                       next_attempt_at=now) for e in endpoints])

    publish_seconds = min(_rolled_back(with_publish) for _ in range(2))
    bare_publish_seconds = min(_rolled_back(bare_rows) for _ in range(2))

    # Sending: M committed, due deliveries to one endpoint.
    target = endpoints[0]
    Endpoint.objects.exclude(pk=target.pk).update(active=False)
    now = timezone.now()
    events = Event.objects.bulk_create(
        [Event(type="survey.response.completed", payload=_payload(i), occurred_at=now)
         for i in range(m)])
    Delivery.objects.bulk_create([Delivery(event=e, endpoint=target, next_attempt_at=now)
                                  for e in events])
    start = time.perf_counter()
    swept = send_due_deliveries(limit=m)
    send_seconds = time.perf_counter() - start
    assert swept.succeeded == m, swept

    bodies = [request_body(e) for e in Event.objects.filter(pk__in=[e.pk for e in events])]
    start = time.perf_counter()
    for body in bodies:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
        conn.request("POST", "/hooks", body=body, headers={"Content-Type": "application/json"})
        conn.getresponse().read()
        conn.close()
    bare_send_seconds = time.perf_counter() - start

    Endpoint.objects.all().delete()
    Event.objects.filter(pk__in=[e.pk for e in events]).delete()
    server.shutdown()
    server.server_close()
    result = {
        "database": connection.vendor,
        "engine": settings.DATABASES["default"]["ENGINE"],
        "publish": {"events": n, "endpoints": 3, "seconds": round(publish_seconds, 3),
                    "per_event_ms": round(publish_seconds / n * 1000, 3),
                    "bare_seconds": round(bare_publish_seconds, 3),
                    "ratio": round(publish_seconds / bare_publish_seconds, 2)},
        "send": {"deliveries": m, "seconds": round(send_seconds, 3),
                 "per_second": round(m / send_seconds, 1),
                 "bare_seconds": round(bare_send_seconds, 3),
                 "ratio": round(send_seconds / bare_send_seconds, 2)},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
