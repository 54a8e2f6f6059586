"""Points for actions: a completed survey earns the program's survey points once."""

import pytest

from dangol.loyalty.models import Account, Entry, Source
from dangol.loyalty.services import ledger
from dangol.surveys.signals import Reward, response_completed
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def rewards(**kwargs):
    return [
        r
        for _, r in response_completed.send(sender=None, survey_pk=1, **kwargs)
        if isinstance(r, Reward)
    ]


def test_a_completed_survey_earns_points_once_per_response():
    program = ledger.default_program()
    program.survey_points = 300
    program.save()
    customer = CustomerFactory()
    first = rewards(response_pk=77, customer_pk=customer.pk)
    assert [r.points for r in first] == [300]
    assert "300" in str(first[0].label)
    assert [r.points for r in rewards(response_pk=77, customer_pk=customer.pk)] == [300]
    assert Account.objects.get(customer=customer).balance == 300
    assert Entry.objects.filter(source=Source.SURVEY, source_ref="77").count() == 1


def test_no_reward_without_survey_points_or_for_an_anonymous_response():
    customer = CustomerFactory()
    assert rewards(response_pk=1, customer_pk=customer.pk) == []
    program = ledger.default_program()
    program.survey_points = 300
    program.save()
    assert rewards(response_pk=2, customer_pk=None) == []
    assert not Entry.objects.exists()
