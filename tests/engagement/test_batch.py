"""Queueing a batch (a survey wave, a campaign) with the same rules in a few queries."""

import pytest

from dangol.core.errors import ValidationFailed
from dangol.engagement.models import Message, MessageEvent, Status
from dangol.engagement.services import Draft, queue_message, queue_messages
from tests.engagement.conftest import grant
from tests.factories import CustomerFactory


def test_a_batch_applies_the_ad_rules_to_each_customer(db, ad_sender, smtp_server, run_on_commit,
                                                       django_assert_max_num_queries):
    opted_in = CustomerFactory.create_batch(3)
    for customer in opted_in:
        grant(customer, "email")
    never_asked = CustomerFactory()
    no_email = CustomerFactory(email="")
    grant(no_email, "email")
    customers = [*opted_in, never_asked, no_email]
    drafts = [Draft(customer=c, subject="겨울 세일", body=f"{c.name}님, 최대 50% 할인",
                    dedupe_key=f"winter:{c.pk}") for c in customers]

    with run_on_commit(), django_assert_max_num_queries(8):
        messages = queue_messages(channel="email", purpose="ad", drafts=drafts,
                                  source="campaign")

    assert [m.customer_id for m in messages] == [c.pk for c in customers]
    assert [m.block_reason for m in messages] == ["", "", "", "no_consent", "no_address"]
    assert all(m.subject == "(광고) 겨울 세일" for m in messages[:3])
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == sorted(
        c.email for c in opted_in)
    assert MessageEvent.objects.filter(message__in=messages).count() == 5 + 3 * 2
    sent = Message.objects.filter(status=Status.SENT, source="campaign").count()
    assert sent == 3


def test_keys_already_queued_or_repeated_return_the_first_message(customer, run_on_commit):
    first = queue_message(customer=customer, channel="sms", purpose="transactional",
                          body="첫 안내", dedupe_key="wave:1")
    other = CustomerFactory()
    messages = queue_messages(channel="sms", purpose="transactional", drafts=[
        Draft(customer=customer, body="다시", dedupe_key="wave:1"),
        Draft(customer=other, body="새 안내", dedupe_key="wave:2"),
        Draft(customer=other, body="또", dedupe_key="wave:2"),
    ])
    assert messages[0].pk == first.pk
    assert messages[1].pk == messages[2].pk and messages[1].body == "새 안내"
    assert Message.objects.count() == 2


def test_a_bad_draft_names_its_index_and_stores_nothing(customer):
    with pytest.raises(ValidationFailed) as raised:
        queue_messages(channel="email", purpose="transactional", drafts=[
            Draft(customer=customer, subject="좋음", body="b"),
            Draft(customer=customer, subject="", body="b"),
        ])
    assert [p.field for p in raised.value.problems] == ["drafts.1.subject"]
    assert not Message.objects.exists()
