"""Expiry notices 2 months, 1 month and 3 days ahead, by e-mail and SMS, once each."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dangol.accounts.actors import SYSTEM
from dangol.loyalty.models import Source
from dangol.loyalty.services import ledger
from dangol.loyalty.services.notices import send_expiry_notices
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_each_window_is_told_once_on_two_channels(
    smtp_server, fake_sms_provider, django_capture_on_commit_callbacks
):
    now = timezone.now()
    program = ledger.default_program()
    program.expiry_days = 70
    customer = CustomerFactory(language="ko", email="kim@example.com", phone="+821012345678")
    ledger.earn_points(
        actor=SYSTEM,
        customer_pk=customer.pk,
        points=1234,
        source=Source.ORDER,
        idempotency_key="o1",
        at=now,
        program=program,
    )

    def run(at):
        with django_capture_on_commit_callbacks(execute=True):
            return send_expiry_notices(at=at)

    assert run(now) == 0  # 70 days ahead: nothing yet
    assert run(now + timedelta(days=11)) == 1  # 59 days ahead: the 2-month notice
    assert run(now + timedelta(days=12)) == 1  # the same notice is not sent again
    assert len(smtp_server.messages) == 1
    assert "1,234" in smtp_server.messages[0].text()
    assert "/loyalty/card/" in smtp_server.messages[0].text()
    assert len(fake_sms_provider.requests) == 1
    run(now + timedelta(days=41))  # 29 days ahead: the 1-month notice
    run(now + timedelta(days=68))  # 2 days ahead: the 3-day notice
    assert len(smtp_server.messages) == 3
    assert len(fake_sms_provider.requests) == 3
