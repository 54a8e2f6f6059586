import pytest
from django.core.cache import cache

from dangol.accounts.actors import SYSTEM, Actor
from dangol.accounts.models import User
from dangol.accounts.permissions import Role
from dangol.cases import services
from dangol.cases.models import CaseRule
from dangol.surveys.models import Survey
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
def _fresh_rate_limits() -> None:
    cache.clear()


@pytest.fixture
def survey(owner: User) -> Survey:
    return create_survey(actor=Actor(user=owner), name="Relationship NPS",
                         title={"ko": "추천 조사", "en": "Recommendation"},
                         definition=CX_SURVEY, publish=True)


@pytest.fixture
def other_survey(owner: User) -> Survey:
    return create_survey(actor=Actor(user=owner), name="Other",
                         title={"ko": "다른 조사", "en": "Other"},
                         definition=CX_SURVEY, publish=True)


@pytest.fixture
def agent(db: None) -> User:
    return make_staff(Role.AGENT)


@pytest.fixture
def admin_user(db: None) -> User:
    return make_staff(Role.ADMIN)


def make_rule(*, condition: str = "nps_lte", threshold: int | None = 6,
              surveys: list[Survey] | None = None, priority: str = "high",
              assignee: User | None = None, name: str = "Detractors",
              active: bool = True) -> CaseRule:
    return services.save_rule(actor=SYSTEM, data=services.RuleInput(
        name=name, condition=condition, threshold=threshold, priority=priority,
        survey_pks=[s.pk for s in surveys or []],
        default_assignee_pk=assignee.pk if assignee else None, active=active))
