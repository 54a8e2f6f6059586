"""Real message servers for tests: an SMTP server (aiosmtpd) and a fake SMS provider.

Both listen on a free localhost port in a thread for the whole session; the
function-scoped fixtures clear what they recorded and point Django's settings
at them. Use them from any test folder (they are imported by tests/conftest.py):

    def test_x(smtp_server, django_capture_on_commit_callbacks): ...
        smtp_server.messages[0]["Subject"]

    def test_y(fake_sms_provider): ...
        fake_sms_provider.fail_next(2)          # the next two sends get HTTP 500
        fake_sms_provider.requests[0].json["text"]
"""

import email
import email.policy
import itertools
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

# Fixture names to import with ``from tests.fixtures_messaging import *``.
__all__ = ["_sms_server", "_smtp_controller", "ad_sender", "fake_sms_provider", "smtp_server"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- SMTP -------------------------------------------------------------------------------


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage

    def __getitem__(self, header: str) -> Any:
        return self.message[header]

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""


class _SmtpHandler:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[ReceivedMail] = []
        self.data_replies: list[str] = []
        self.rcpt_reply: str | None = None

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.data_replies:
                return self.data_replies.pop(0)
            raw = envelope.original_content or envelope.content
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            self.received.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos),
                                              raw, parsed))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: _SmtpHandler

    @property
    def messages(self) -> list[ReceivedMail]:
        with self.handler.lock:
            return list(self.handler.received)

    def fail_next(self, count: int = 1, reply: str = "451 4.3.0 Try again later") -> None:
        """Answer the next ``count`` messages' DATA with ``reply`` (4xx: retry, 5xx: refuse)."""
        with self.handler.lock:
            self.handler.data_replies.extend([reply] * count)

    def refuse_recipients(self, reply: str | None = "550 5.1.1 No such user") -> None:
        self.handler.rcpt_reply = reply

    def reset(self) -> None:
        with self.handler.lock:
            self.handler.received.clear()
            self.handler.data_replies.clear()
            self.handler.rcpt_reply = None


@pytest.fixture(scope="session")
def _smtp_controller() -> Iterator[SmtpServer]:
    handler = _SmtpHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer(controller.hostname, controller.port, handler)
    finally:
        controller.stop()


@pytest.fixture
def smtp_server(_smtp_controller: SmtpServer, settings: Any) -> SmtpServer:
    """A real SMTP server on localhost that Django's SMTP backend sends to."""
    _smtp_controller.reset()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = _smtp_controller.host
    settings.EMAIL_PORT = _smtp_controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    settings.DEFAULT_FROM_EMAIL = "Dangol Shop <shop@dangol.test>"
    return _smtp_controller


# --- SMS provider -----------------------------------------------------------------------


@dataclass
class ProviderRequest:
    method: str
    path: str
    headers: Any  # an email.message.Message: case-insensitive, None when missing
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeSmsProvider:
    """Records every request; answers like the generic HTTP API (or Solapi on its path)."""

    url: str
    requests: list[ProviderRequest] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def fail_next(self, count: int = 1, status: int = 500) -> None:
        """Answer the next ``count`` sends with HTTP ``status`` instead of accepting them."""
        with self.lock:
            self.failures.extend([status] * count)

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.failures.clear()

    def reply(self, request: ProviderRequest) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.requests.append(request)
            if self.failures:
                return self.failures.pop(0), {"error": "provider trouble"}
            number = next(self.ids)
        if request.path.endswith("/messages/v4/send-many/detail"):
            return 200, {"groupInfo": {"groupId": f"G{number}"}, "failedMessageList": [],
                         "messageList": [{"messageId": f"M4V{number:08d}",
                                          "statusCode": "2000"}]}
        return 200, {"message_id": f"fake-{number}", "status": "accepted"}


def _handler_for(provider: FakeSmsProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = ProviderRequest("POST", self.path, self.headers,
                                      self.rfile.read(length))
            status, body = provider.reply(request)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture(scope="session")
def _sms_server() -> Iterator[FakeSmsProvider]:
    provider = FakeSmsProvider(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(provider))
    provider.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def fake_sms_provider(_sms_server: FakeSmsProvider, settings: Any) -> FakeSmsProvider:
    """A local HTTP SMS provider that the generic ``http`` adapter sends to."""
    _sms_server.reset()
    settings.DANGOL_SMS_PROVIDER = "http"
    settings.DANGOL_SMS_URL = f"{_sms_server.url}/v1/messages"
    settings.DANGOL_SMS_API_KEY = "test-api-key"
    settings.DANGOL_SMS_API_SECRET = "test-api-secret"
    settings.DANGOL_SMS_SENDER = "0212345678"
    settings.DANGOL_SMS_WEBHOOK_SECRET = "test-webhook-secret"
    return _sms_server


@pytest.fixture
def ad_sender(settings: Any) -> dict[str, str]:
    """The advertiser details the law asks ads to carry, as settings."""
    values = {"DANGOL_SENDER_NAME": "단골상회", "DANGOL_SENDER_EMAIL": "shop@dangol.test",
              "DANGOL_SENDER_PHONE": "02-1234-5678",
              "DANGOL_SENDER_ADDRESS": "서울특별시 중구 세종대로 110",
              "DANGOL_OPTOUT_NUMBER": "080-123-4567",
              "DANGOL_PUBLIC_URL": "https://shop.dangol.test"}
    for name, value in values.items():
        setattr(settings, name, value)
    return values
