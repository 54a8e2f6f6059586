"""Servers that set DANGOL_WEBHOOK_ALLOW_PRIVATE_NETWORKS=false refuse internal receivers."""

import pytest
from django.db import transaction

from dangol.accounts.actors import SYSTEM
from dangol.core.errors import ValidationFailed
from dangol.webhooks import transport
from dangol.webhooks.models import Delivery, DeliveryStatus
from dangol.webhooks.services import create_endpoint, publish


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/h", "http://10.1.2.3/h",
                                 "http://169.254.169.254/latest", "http://[::1]/h",
                                 "http://localhost/h"])
def test_private_addresses_are_refused_when_configured(db, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    with pytest.raises(ValidationFailed) as refused:
        create_endpoint(actor=SYSTEM, url=url, event_types=["*"])
    assert [p.field for p in refused.value.problems] == ["url"]


@pytest.mark.django_db(transaction=True)
def test_a_name_that_resolves_to_a_private_address_is_not_sent_to(settings, webhook_receiver):
    create_endpoint(actor=SYSTEM, url=f"http://localhost:{webhook_receiver.port}/hooks",
                    event_types=["*"])
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False

    with transaction.atomic():
        publish(event_type="survey.response.completed", payload={})

    assert webhook_receiver.received == []
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and "private address" in delivery.last_error


def test_a_pinned_connection_goes_to_the_checked_address_and_names_the_host(webhook_receiver):
    connection = transport._PinnedHTTPConnection("127.0.0.1", "hooks.example",
                                                 webhook_receiver.port, timeout=5)
    connection.request("POST", "/hooks", body=b"{}", headers={"Content-Type": "application/json"})
    assert connection.getresponse().status == 200
    connection.close()
    [request] = webhook_receiver.received
    assert request.headers["host"] == f"hooks.example:{webhook_receiver.port}"
