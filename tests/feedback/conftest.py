import pytest
from django.core.cache import cache
from django.test import Client

from dangol.accounts.actors import Actor
from dangol.surveys.models import Survey
from dangol.surveys.services.surveys import create_survey
from tests.conftest import make_staff

COMMENT_SURVEY = {"questions": [
    {"key": "nps", "type": "nps",
     "text": {"ko": "추천하시겠어요?", "en": "Would you recommend us?"}},
    {"key": "comment", "type": "text", "required": False,
     "text": {"ko": "하고 싶은 말씀", "en": "Anything else?"}},
    {"key": "best", "type": "single", "allow_other": True, "required": False,
     "text": {"ko": "가장 좋았던 점은?", "en": "What did you like most?"},
     "choices": [{"key": "price", "label": {"ko": "가격", "en": "Price"}},
                 {"key": "quality", "label": {"ko": "품질", "en": "Quality"}}]},
]}


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


@pytest.fixture
def comment_survey(owner) -> Survey:
    return create_survey(actor=Actor(user=owner), name="Comments",
                         title={"ko": "의견 조사", "en": "Comments"},
                         definition=COMMENT_SURVEY, publish=True)


SCENT = {"name": "scent", "label_ko": "향", "label_en": "Scent",
         "cues_ko": "향기, 향, 냄새", "cues_en": "scent\nsmell\nfragrance"}


@pytest.fixture
def client_for(db):
    """A logged-in client for a new staff member of ``role``."""

    def make(role: str) -> Client:
        client = Client()
        client.force_login(make_staff(role))
        return client

    return make
