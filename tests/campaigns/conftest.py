from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from dangol.accounts.actors import Actor
from dangol.campaigns.services import save_campaign
from dangol.customers.models import Consent
from dangol.segments.services import create_segment

SEOUL = ZoneInfo("Asia/Seoul")
# 14:00 in Seoul: daytime, so the night-time rule does not get in the way.
NOON = datetime(2026, 11, 23, 14, 0, tzinfo=SEOUL)


def grant(customer: Any, channel: str = "email", *, night: bool = False) -> Consent:
    consent, _ = Consent.objects.update_or_create(
        customer=customer, channel=channel, purpose="ad",
        defaults={"granted_at": timezone.now(), "withdrawn_at": None,
                  "night_granted_at": timezone.now() if night else None, "source": "test"})
    return consent


@pytest.fixture
def seoul_segment(owner: Any) -> Any:
    return create_segment(actor=Actor(user=owner), name="Seoul", definition={
        "rules": [{"field": "region", "op": "eq", "value": "서울"}]})


def make_campaign(owner: Any, segment: Any, **values: Any) -> Any:
    base = {"name": "겨울 세일", "channel": "email", "purpose": "ad", "segment_id": segment.pk,
            "subject": "{{name}}님, 겨울 세일", "body": "{{name}}님 ({{tier}}) 20% 할인!",
            "holdout_percent": 0, "conversion_days": 7}
    return save_campaign(actor=Actor(user=owner), values=base | values)
