from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.test import Client

from dangol.accounts.actors import SYSTEM, Actor
from dangol.accounts.models import User
from dangol.accounts.permissions import Role
from dangol.reports import services
from dangol.reports.models import ReportSchedule
from dangol.surveys.models import Survey
from dangol.surveys.services.responses import submit_response
from dangol.surveys.services.surveys import create_survey
from tests.conftest import make_staff

SEOUL = ZoneInfo("Asia/Seoul")

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


def seoul(year: int, month: int, day: int, hour: int = 12, minute: int = 0,
          second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SEOUL)


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings, tmp_path) -> None:
    cache.clear()
    settings.DATA_DIR = tmp_path


@pytest.fixture
def survey(owner: User) -> Survey:
    return create_survey(actor=Actor(user=owner), name="관계 NPS 조사",
                         title={"ko": "추천 조사", "en": "Recommendation"},
                         definition=CX_SURVEY, publish=True)


def answer(survey: Survey, customer=None, **answers):
    response, created = submit_response(survey=survey, answers=answers, language="ko",
                                        customer_pk=customer.pk if customer else None)
    assert created
    return response


def make_schedule(*, actor: Actor = SYSTEM, **values) -> ReportSchedule:
    data = services.ScheduleInput(name=values.pop("name", "주간 고객 보고서"),
                                  recipients=values.pop("recipients", ["boss@example.com"]),
                                  **values)
    return services.save_schedule(actor=actor, data=data)


@pytest.fixture
def admin_user(db: None) -> User:
    return make_staff(Role.ADMIN)


def client_for(role: str) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(make_staff(role))
    return client
