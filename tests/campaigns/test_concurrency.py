"""Several workers fanning one campaign out at once message each customer once.

Threads each use their own database connection and commit for real. The
campaign row is locked for each chunk, so on PostgreSQL the workers take turns
chunk by chunk; on SQLite the writers take turns anyway.
"""


import pytest

from dangol.accounts.actors import Actor
from dangol.campaigns import services
from dangol.campaigns.models import Campaign, Recipient
from dangol.engagement.models import Message
from dangol.segments.services import create_segment
from tests.campaigns.conftest import grant, make_campaign
from tests.factories import CustomerFactory
from tests.fixtures_threads import run_threads

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_fan_outs_of_one_campaign_message_each_customer_once(owner, ad_sender):
    segment = create_segment(actor=Actor(user=owner), name="Seoul", definition={
        "rules": [{"field": "region", "op": "eq", "value": "서울"}]})
    customers = CustomerFactory.create_batch(40, region="서울")
    for customer in customers:
        grant(customer)
    campaign = make_campaign(owner, segment, holdout_percent=25)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING)

    results = run_threads(4, lambda _i: services.fan_out(campaign_id=campaign.pk,
                                                         chunk_size=7))
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(results) == 40  # type: ignore[arg-type]
    assert Recipient.objects.filter(campaign=campaign).count() == 40
    messaged = Recipient.objects.filter(campaign=campaign, outcome="messaged").count()
    assert Message.objects.filter(source=f"campaign:{campaign.pk}").count() == messaged
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SENT
