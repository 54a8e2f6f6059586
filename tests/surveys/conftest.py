import pytest

from dangol.accounts.actors import Actor
from dangol.surveys.models import Survey
from dangol.surveys.services.surveys import create_survey

NPS_WITH_BRANCH = {"questions": [
    {"key": "nps", "type": "nps",
     "text": {"ko": "저희 가게를 친구에게 추천하시겠어요?",
              "en": "How likely are you to recommend us to a friend?"}},
    {"key": "why_low", "type": "text", "required": False,
     "text": {"ko": "무엇이 아쉬우셨나요?", "en": "What went wrong?"},
     "show_if": [{"question": "nps", "op": "lte", "value": 6}]},
    {"key": "best", "type": "single", "allow_other": True,
     "text": {"ko": "가장 좋았던 점은?", "en": "What did you like most?"},
     "choices": [{"key": "price", "label": {"ko": "가격", "en": "Price"}},
                 {"key": "quality", "label": {"ko": "품질", "en": "Quality"}}]},
]}


@pytest.fixture
def nps_survey(owner) -> Survey:
    return create_survey(actor=Actor(user=owner), name="Relationship NPS",
                         title={"ko": "고객 만족 조사", "en": "Customer survey"},
                         definition=NPS_WITH_BRANCH, publish=True)
