"""A real Celery worker fans a campaign out and sends its e-mails to a real SMTP server."""

import subprocess
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from dangol.accounts.actors import Actor
from dangol.campaigns import services
from dangol.campaigns.models import Campaign, Recipient
from dangol.campaigns.tasks import start_due_campaigns_task
from dangol.engagement.models import Message
from dangol.engagement.models import Status as MessageStatus
from tests.campaigns.conftest import grant, make_campaign
from tests.factories import CustomerFactory
from tests.fixtures_worker import start_worker, stop_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(smtp_server, ad_sender) -> Iterator[subprocess.Popen]:
    env = {"DANGOL_EMAIL_HOST": smtp_server.host, "DANGOL_EMAIL_PORT": str(smtp_server.port),
           "DANGOL_DEFAULT_FROM_EMAIL": "Dangol Shop <shop@dangol.test>"}
    env |= {f"DANGOL_{name.removeprefix('DANGOL_')}": value
            for name, value in ad_sender.items()}
    process = start_worker(env=env)
    yield process
    stop_worker(process)


def test_a_worker_sends_a_campaign_and_the_sweep_resumes_a_stalled_one(
        file_queue, smtp_server, owner, seoul_segment, worker):
    customers = CustomerFactory.create_batch(5, region="서울")
    for customer in customers:
        grant(customer)
    campaign = make_campaign(owner, seoul_segment)
    services.schedule_campaign(actor=Actor(user=owner), campaign_id=campaign.pk)
    wait_for(lambda: Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SENT,
             worker)
    wait_for(lambda: len(smtp_server.messages) == 5, worker)
    assert {m["To"] for m in smtp_server.messages} == {c.email for c in customers}
    assert all(m["Subject"].startswith("(광고) ") for m in smtp_server.messages)

    # A campaign whose worker died after its first chunk: the periodic sweep resumes it.
    stalled = make_campaign(owner, seoul_segment, name="재개")
    Campaign.objects.filter(pk=stalled.pk).update(status=Campaign.Status.SENDING)
    services.fan_out(campaign_id=stalled.pk, chunk_size=2, max_chunks=1)
    Campaign.objects.filter(pk=stalled.pk).update(
        updated_at=timezone.now() - timedelta(minutes=30))
    start_due_campaigns_task.delay()
    wait_for(lambda: Campaign.objects.get(pk=stalled.pk).status == Campaign.Status.SENT,
             worker)
    assert Recipient.objects.filter(campaign=stalled).count() == 5
    wait_for(lambda: not Message.objects.filter(
        source=f"campaign:{stalled.pk}", status=MessageStatus.QUEUED).exists(), worker)
    assert Message.objects.filter(source=f"campaign:{stalled.pk}").count() == 5
