"""A real webhook receiver for tests: an HTTP server on localhost in a thread.

Other apps' tests use it too::

    from tests.webhooks.receiver import WebhookReceiver, webhook_receiver  # noqa: F401

then take the ``webhook_receiver`` fixture, point an endpoint at
``webhook_receiver.url`` and read ``webhook_receiver.verified(secret)``.
"""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from dangol.webhooks.signing import verify


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def signature_ok(self, secret: str) -> bool:
        return verify(secret=secret, msg_id=self.headers["webhook-id"],
                      timestamp=int(self.headers["webhook-timestamp"]), body=self.body,
                      header=self.headers["webhook-signature"])


class WebhookReceiver:
    """Records every POST and answers ``status`` (or the next of ``statuses``)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.status = 200
        self.statuses: list[int] = []  # answered first, one per request
        self.headers: dict[str, str] = {}  # extra response headers
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        """Listen (again) on the same port as before, or on a free one the first time."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.received.append(Received(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    status = receiver.statuses.pop(0) if receiver.statuses else receiver.status
                self.send_response(status)
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        # A short poll interval: ``stop`` (shutdown) waits for the loop to notice.
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def stop(self) -> None:
        """Stop listening: connections are refused until ``start`` is called again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def verified(self, secret: str) -> list[dict[str, Any]]:
        """Bodies of the requests whose signature checks out with ``secret``."""
        return [r.json() for r in self.received if r.signature_ok(secret)]

    def event_ids(self) -> list[str]:
        return [r.headers["webhook-id"] for r in self.received]


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    receiver.start()
    yield receiver
    receiver.stop()
