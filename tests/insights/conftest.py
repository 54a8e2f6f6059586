"""Surveys, answers and feedback made through the real services, dated where a test needs."""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from dangol.accounts.actors import Actor
from dangol.accounts.models import User
from dangol.surveys.models import Response, Survey
from dangol.surveys.services.responses import submit_response
from dangol.surveys.services.surveys import create_survey
from tests.conftest import make_staff

CX_SURVEY = {"questions": [
    {"key": "nps", "type": "nps",
     "text": {"ko": "추천하시겠어요?", "en": "Would you recommend us?"}},
    {"key": "csat", "type": "csat", "required": False,
     "text": {"ko": "만족하셨나요?", "en": "How satisfied are you?"}},
    {"key": "ces", "type": "ces", "required": False,
     "text": {"ko": "쉬웠나요?", "en": "How much effort was it?"}},
    {"key": "comment", "type": "text", "required": False,
     "text": {"ko": "하고 싶은 말씀", "en": "Anything else?"}},
]}


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    cache.clear()
    yield


@pytest.fixture
def survey(owner: User) -> Survey:
    return create_survey(actor=Actor(user=owner), name="Relationship NPS",
                         title={"ko": "추천 조사", "en": "Recommendation"},
                         definition=CX_SURVEY, publish=True)


@pytest.fixture
def other_survey(owner: User) -> Survey:
    return create_survey(actor=Actor(user=owner), name="Store survey",
                         title={"ko": "매장 조사", "en": "Store survey"},
                         definition=CX_SURVEY, publish=True)


def answer(survey: Survey, *, at: datetime | None = None, channel: str = "api",
           customer_pk: int | None = None, **answers: Any) -> Response:
    """A completed response through the API's service, dated ``at`` (default now)."""
    response, created = submit_response(survey=survey, answers=answers, language="ko",
                                        channel=channel, customer_pk=customer_pk)
    assert created
    if at is not None:
        Response.objects.filter(pk=response.pk).update(completed_at=at, created_at=at)
        response.refresh_from_db()
    return response


def days_ago(days: float) -> datetime:
    return timezone.now() - timedelta(days=days)


def client_for(user: User) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


@pytest.fixture
def analyst(db: None) -> User:
    return make_staff("analyst")


@pytest.fixture
def marketer(db: None) -> User:
    return make_staff("marketer")


@pytest.fixture
def agent(db: None) -> User:
    return make_staff("agent")


# --- a real local HTTP receiver (Slack and webhook destinations) --------------------------


@dataclass
class Received:
    path: str
    headers: Any
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP server in a thread that records each POST and answers 200 (or a failure)."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, count: int = 1, status: int = 500) -> None:
        with self.lock:
            self.failures.extend([status] * count)

    def reply(self, request: Received) -> int:
        with self.lock:
            self.requests.append(request)
            return self.failures.pop(0) if self.failures else 200


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status = receiver.reply(Received(self.path, self.headers, self.rfile.read(length)))
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(found))
    found.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()
