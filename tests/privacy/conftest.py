import pytest

from dangol.accounts.actors import Actor
from dangol.accounts.models import User
from dangol.accounts.permissions import Role
from dangol.surveys.models import Survey
from dangol.surveys.services.surveys import create_survey
from tests.conftest import make_staff

SURVEY = {"questions": [
    {"key": "nps", "type": "nps",
     "text": {"ko": "추천하시겠어요?", "en": "Would you recommend us?"}},
    {"key": "comment", "type": "text", "required": False,
     "text": {"ko": "하고 싶은 말씀", "en": "Anything else?"}},
]}


@pytest.fixture
def admin_user(db: None) -> User:
    return make_staff(Role.ADMIN)


@pytest.fixture
def admin(admin_user: User) -> Actor:
    return Actor(user=admin_user)


@pytest.fixture
def survey(owner: User) -> Survey:
    return create_survey(actor=Actor(user=owner), name="Relationship NPS",
                         title={"ko": "추천 조사", "en": "Recommendation"},
                         definition=SURVEY, publish=True)
