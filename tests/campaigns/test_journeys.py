"""Journeys: each trigger, the quiet period, the law's rules, the holdout, running twice."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from dangol.accounts.actors import SYSTEM
from dangol.campaigns import journey_triggers
from dangol.campaigns.journey_models import JourneyEntry
from dangol.campaigns.journey_selectors import journey_results
from dangol.campaigns.journeys import held_out, set_journey_active
from dangol.campaigns.tasks import run_journeys_task
from dangol.core.errors import ValidationFailed
from dangol.engagement.models import Message
from dangol.loyalty.models import Account, Coupon
from dangol.loyalty.services import save_campaign as save_coupon_campaign
from dangol.surveys.services.responses import submit_response
from dangol.surveys.services.surveys import create_survey
from tests.campaigns.test_journey_helpers import customer, journey, order, seoul

pytestmark = pytest.mark.django_db

NPS_SURVEY = {"questions": [
    {"key": "nps", "type": "nps", "text": {"ko": "추천하시겠어요?", "en": "Recommend us?"}},
    {"key": "why", "type": "text", "required": False, "text": {"ko": "이유", "en": "Why"}},
]}


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def scan(j, now=None):
    return journey_triggers.scan_journey(journey_id=j.pk, now=now)


def entries(j):
    return dict(JourneyEntry.objects.filter(journey=j).values_list("customer_id", "outcome"))


def birthday_coupon():
    return save_coupon_campaign(actor=SYSTEM, values={
        "name": "생일 쿠폰", "kind": "fixed", "value": Decimal("5000"), "valid_days": 14,
        "min_spend": Decimal(0)})


# --- birthday ---------------------------------------------------------------------------


def test_birthday_n_days_before_in_the_business_time_zone_with_a_coupon(
        ad_sender, smtp_server, time_machine, run_on_commit):
    time_machine.move_to(seoul(2026, 11, 24, 9, 30), tick=False)
    in_three_days = customer(birthday=date(1990, 11, 27), name="김생일")
    in_four_days = customer(birthday=date(1991, 11, 28))
    no_consent = customer(birthday=date(1985, 11, 27), channels=())
    j = journey(days=3, coupon_campaign_id=birthday_coupon().pk,
                body_ko="{{name}}님 생일 축하해요! 쿠폰 {{coupon}} ({{coupon_expires}}까지)")

    with run_on_commit():
        result = scan(j)

    assert entries(j) == {in_three_days.pk: "messaged", no_consent.pk: "blocked"}
    assert in_four_days.pk not in entries(j)
    entry = JourneyEntry.objects.get(journey=j, customer=in_three_days)
    assert entry.occasion == "birthday:2026" and entry.coupon is not None
    assert entry.coupon.customer_id == in_three_days.pk
    assert JourneyEntry.objects.get(customer=no_consent).reason == "no_consent"
    assert Coupon.objects.filter(customer=no_consent).count() == 0
    [mail] = smtp_server.messages
    assert mail["To"] == in_three_days.email
    assert mail["Subject"].strip() == "(광고) 김생일님, 생일 축하드려요"
    code = "-".join(entry.coupon.code[i:i + 4] for i in range(0, 12, 4))
    assert f"쿠폰 {code} (2026-12-08까지)" in mail.text()
    assert result.outcomes == {"messaged": 1, "blocked": 1}


def test_the_business_date_not_the_utc_date_decides_the_birthday(ad_sender, time_machine):
    # 23 Nov 2026 20:00 UTC is 24 Nov 05:00 in Seoul: a birthday on the 27th is 3 days off.
    time_machine.move_to(seoul(2026, 11, 24, 5, 0), tick=False)
    born_27th = customer(birthday=date(1990, 11, 27))
    # By the UTC date (the 23rd) the 26th would be due and the 27th not yet.
    born_24th = customer(birthday=date(1990, 11, 24))
    j = journey(days=3)
    scan(j)
    assert set(entries(j)) == {born_27th.pk}
    assert born_24th.pk not in entries(j)


def test_a_birthday_sms_ad_at_night_waits_for_the_morning_unless_night_consent(
        ad_sender, fake_sms_provider, time_machine, run_on_commit):
    time_machine.move_to(seoul(2026, 11, 24, 22, 0), tick=False)
    sleeper = customer(birthday=date(1990, 11, 27), channels=("sms",))
    owl = customer(birthday=date(1990, 11, 27), channels=("sms",), night=True)
    j = journey(channel="sms", subject_ko="", body_ko="{{name}}님 생일 축하 10% 할인")

    with run_on_commit():
        night = scan(j)
    # At 22:00 the law forbids the ad to the customer without night-time consent: no
    # message, no entry; the customer is held for the daytime, not lost.
    assert entries(j) == {owl.pk: "messaged"}
    assert night.held == 1
    j.refresh_from_db()
    assert (j.last_scan_entered, j.last_scan_held) == (1, 1)
    assert j.last_scan_at == seoul(2026, 11, 24, 22, 0)
    assert not Message.objects.filter(customer=sleeper).exists()
    assert [r.json["to"] for r in fake_sms_provider.requests] == [owl.phone]
    assert fake_sms_provider.requests[0].json["text"].startswith("(광고)단골상회\n")

    time_machine.move_to(seoul(2026, 11, 25, 9, 15), tick=False)
    with run_on_commit():
        scan(j)
    assert entries(j) == {owl.pk: "messaged", sleeper.pk: "messaged"}
    assert [r.json["to"] for r in fake_sms_provider.requests] == [owl.phone, sleeper.phone]
    assert fake_sms_provider.requests[1].json["text"].endswith("무료거부 080-123-4567")


def test_a_day_the_job_did_not_run_is_caught_up_before_the_birthday(ad_sender, time_machine):
    time_machine.move_to(seoul(2026, 11, 25, 10, 0), tick=False)
    # Due yesterday (3 days before the 27th), not yet entered.
    late = customer(birthday=date(1990, 11, 27))
    past = customer(birthday=date(1990, 11, 24))
    j = journey(days=3)
    scan(j)
    assert set(entries(j)) == {late.pk}
    assert past.pk not in entries(j)


def test_the_scan_walks_chunks_and_run_twice_messages_once(ad_sender, time_machine,
                                                           run_on_commit, smtp_server):
    time_machine.move_to(seoul(2026, 11, 24, 10, 0), tick=False)
    people = [customer(birthday=date(1980 + i, 11, 27)) for i in range(7)]
    j = journey(days=3)
    with run_on_commit():
        run_journeys_task.delay()
        run_journeys_task.delay()
        journey_triggers.scan_journey(journey_id=j.pk, chunk_size=3)
    assert set(entries(j)) == {p.pk for p in people}
    assert Message.objects.filter(source=f"journey:{j.pk}").count() == 7
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(p.email for p in people)


# --- after an order ---------------------------------------------------------------------


def test_post_purchase_n_days_after_the_order_once_per_quiet_period(
        ad_sender, time_machine, run_on_commit, smtp_server):
    time_machine.move_to(seoul(2026, 11, 20, 15, 0), tick=False)
    buyer = customer(name="이구매")
    too_recent = customer()
    order(buyer, seoul(2026, 11, 20, 14, 0))
    time_machine.move_to(seoul(2026, 11, 21, 15, 0), tick=False)
    order(too_recent, seoul(2026, 11, 21, 14, 0))
    j = journey(name="리뷰 요청", trigger="post_purchase", days=2, purpose="information",
                subject_ko="{{name}}님, 상품은 어떠셨나요?", body_ko="리뷰를 남겨 주세요.",
                reentry_days=30)

    time_machine.move_to(seoul(2026, 11, 22, 10, 0), tick=False)
    with run_on_commit():
        scan(j)
        scan(j)
    assert entries(j) == {buyer.pk: "messaged"}
    first = JourneyEntry.objects.get(journey=j)
    assert first.occasion == f"order:{buyer.orders.get().pk}"
    [mail] = smtp_server.messages
    assert mail["Subject"].strip() == "이구매님, 상품은 어떠셨나요?"  # information: no (광고)

    # Another order two days later: within the 30-day quiet period, no second message.
    order(buyer, seoul(2026, 11, 22, 11, 0))
    time_machine.move_to(seoul(2026, 11, 24, 10, 0), tick=False)
    with run_on_commit():
        scan(j)
    assert JourneyEntry.objects.filter(journey=j, customer=buyer).count() == 1
    assert entries(j) == {buyer.pk: "messaged", too_recent.pk: "messaged"}
    assert len(smtp_server.messages) == 2


# --- win-back ---------------------------------------------------------------------------


def test_win_back_after_n_days_without_an_order_once_per_lapse(ad_sender, time_machine):
    time_machine.move_to(seoul(2026, 1, 5, 12, 0), tick=False)
    lapsed = customer()
    regular = customer()
    never = customer()
    order(lapsed, seoul(2026, 1, 5, 11, 0))
    time_machine.move_to(seoul(2026, 3, 1, 12, 0), tick=False)
    order(regular, seoul(2026, 3, 1, 11, 0))
    j = journey(name="돌아오세요", trigger="win_back", days=60, reentry_days=30)

    time_machine.move_to(seoul(2026, 3, 20, 10, 0), tick=False)
    scan(j)
    assert entries(j) == {lapsed.pk: "messaged"}
    assert never.pk not in entries(j)
    assert JourneyEntry.objects.get(journey=j).occasion == "lapse:2026-01-05"

    # Still lapsed long after the quiet period: once per lapse, no second message.
    time_machine.move_to(seoul(2026, 6, 1, 10, 0), tick=False)
    scan(j)
    assert JourneyEntry.objects.filter(journey=j, customer=lapsed).count() == 1
    # Back, then lapsed again: a new lapse enters again.
    order(lapsed, seoul(2026, 6, 1, 9, 0))
    time_machine.move_to(seoul(2026, 8, 15, 10, 0), tick=False)
    scan(j)
    assert sorted(JourneyEntry.objects.filter(journey=j, customer=lapsed)
                  .values_list("occasion", flat=True)) == ["lapse:2026-01-05",
                                                           "lapse:2026-06-01"]
    assert JourneyEntry.objects.filter(journey=j, customer=regular).count() == 1


def test_win_back_when_the_probability_still_active_drops_below_the_threshold(
        ad_sender, time_machine):
    from dangol.segments.models import CustomerScore
    from dangol.segments.services import score_customers
    from tests.segments.test_scoring import AS_OF, population

    time_machine.move_to(AS_OF, tick=False)
    known = population()
    for who in known.values():
        grant_email(who)
    score_customers(as_of=AS_OF)
    j = journey(name="이탈 위험", trigger="win_back", days=0, p_alive_below=0.3)
    scan(j)
    entered = set(entries(j))
    below = set(CustomerScore.objects.filter(p_alive__lt=0.3).values_list("customer_id",
                                                                         flat=True))
    assert entered == below and entered
    assert known["champion"].pk not in entered


def grant_email(who):
    from dangol.customers.models import Consent

    Consent.objects.update_or_create(customer=who, channel="email", purpose="ad", defaults={
        "granted_at": who.joined_at, "source": "test"})


# --- detractor apology ------------------------------------------------------------------


def test_a_detractor_gets_an_apology_after_the_response_commits(
        owner, ad_sender, smtp_server, run_on_commit, time_machine):
    time_machine.move_to(seoul(2026, 11, 24, 14, 0), tick=False)
    survey = create_survey(actor=SYSTEM, name="NPS", title={"ko": "추천", "en": "NPS"},
                           definition=NPS_SURVEY, publish=True)
    j = journey(name="사과", trigger="detractor", survey_id=survey.pk, purpose="information",
                subject_ko="{{name}}님, 죄송합니다", body_ko="불편을 드려 죄송합니다.",
                subject_en="Sorry, {{name}}", body_en="We are sorry.", reentry_days=30)
    unhappy = customer(name="박불만")
    english = customer(name="Kim", language="en")
    happy = customer()

    with run_on_commit() as callbacks:
        submit_response(survey=survey, answers={"nps": 3}, customer_pk=unhappy.pk)
        # Nothing is entered inside the completing transaction.
        assert not JourneyEntry.objects.exists()
    assert callbacks
    with run_on_commit():
        submit_response(survey=survey, answers={"nps": 6}, customer_pk=english.pk)
        submit_response(survey=survey, answers={"nps": 9}, customer_pk=happy.pk)
        submit_response(survey=survey, answers={"nps": 0})  # anonymous
    assert entries(j) == {unhappy.pk: "messaged", english.pk: "messaged"}
    subjects = {m["To"]: m["Subject"] for m in smtp_server.messages}
    assert {k: v.strip() for k, v in subjects.items()} == {
        unhappy.email: "박불만님, 죄송합니다", english.email: "Sorry, Kim"}

    # A second low score within the quiet period is recorded as skipped, not sent.
    with run_on_commit():
        second, _ = submit_response(survey=survey, answers={"nps": 2}, customer_pk=unhappy.pk)
    skipped = JourneyEntry.objects.get(occasion=f"response:{second.pk}")
    assert (skipped.outcome, skipped.reason) == ("skipped", "quiet_period")
    assert len(smtp_server.messages) == 2
    # The catch-up scan finds nothing left to do.
    with run_on_commit():
        scan(j)
    assert JourneyEntry.objects.filter(journey=j).count() == 3


def test_the_scan_catches_up_a_detractor_the_signal_missed(ad_sender, time_machine):
    time_machine.move_to(seoul(2026, 11, 24, 14, 0), tick=False)
    survey = create_survey(actor=SYSTEM, name="NPS", title={"ko": "추천", "en": "NPS"},
                           definition=NPS_SURVEY, publish=True)
    unhappy = customer()
    # Answered before the journey existed (so no task was queued for it).
    response, _ = submit_response(survey=survey, answers={"nps": 4}, customer_pk=unhappy.pk)
    j = journey(name="사과", trigger="detractor", purpose="information",
                subject_ko="죄송합니다", body_ko="불편을 드려 죄송합니다.")
    scan(j)
    assert JourneyEntry.objects.get(journey=j).occasion == f"response:{response.pk}"


# --- the rules every journey keeps ------------------------------------------------------


def test_the_database_allows_one_entering_entry_per_quiet_window(ad_sender, time_machine):
    time_machine.move_to(seoul(2026, 11, 24, 10, 0), tick=False)
    who = customer(birthday=date(1990, 11, 27))
    j = journey(days=3, reentry_days=300)
    scan(j)
    first = JourneyEntry.objects.get(journey=j)
    with pytest.raises(IntegrityError), transaction.atomic():
        JourneyEntry.objects.create(journey=j, customer=who, occasion="birthday:2027",
                                    window=first.window, outcome="held_out", at=first.at)
    with pytest.raises(IntegrityError), transaction.atomic():
        JourneyEntry.objects.create(journey=j, customer=who, occasion="birthday:2026",
                                    window="300:1", outcome="skipped", reason="x", at=first.at)
    # A skipped entry does not take the window.
    JourneyEntry.objects.create(journey=j, customer=who, occasion="other", window=first.window,
                                outcome="skipped", reason="quiet_period", at=first.at)
    with pytest.raises(IntegrityError), transaction.atomic():
        JourneyEntry.objects.create(journey=j, customer=who, occasion="no-reason",
                                    window="300:0", outcome="blocked", at=first.at)


def test_the_holdout_is_drawn_per_customer_and_never_messaged(ad_sender, time_machine):
    time_machine.move_to(seoul(2026, 11, 24, 10, 0), tick=False)
    people = [customer(birthday=date(1990, 11, 27)) for _ in range(150)]
    j = journey(days=3, holdout_percent=30, coupon_campaign_id=birthday_coupon().pk)
    scan(j)
    held = set(JourneyEntry.objects.filter(journey=j, outcome="held_out")
               .values_list("customer_id", flat=True))
    messaged = set(Message.objects.filter(source=f"journey:{j.pk}")
                   .values_list("customer_id", flat=True))
    assert held == {p.pk for p in people if held_out(j, p.pk)}
    assert not held & messaged and len(held) + len(messaged) == 150
    # 30 % of 150: 45 expected; 99.99 % of draws land in 24..68.
    assert 24 <= len(held) <= 68
    # Held-out customers get no coupon either.
    assert not Coupon.objects.filter(customer_id__in=held).exists()


def test_points_are_given_once_and_shown_and_an_ended_coupon_skips(
        ad_sender, time_machine, smtp_server, run_on_commit):
    time_machine.move_to(seoul(2026, 11, 24, 10, 0), tick=False)
    who = customer(birthday=date(1990, 11, 27))
    j = journey(days=3, points=500, body_ko="생일 축하 {{reward_points}}점을 드렸어요")
    with run_on_commit():
        scan(j)
        scan(j)
    assert Account.objects.get(customer=who).balance == 500
    assert "생일 축하 500점을 드렸어요" in smtp_server.messages[0].text()

    coupon = birthday_coupon()
    ended = journey(name="끝난 쿠폰", days=3, coupon_campaign_id=coupon.pk,
                    body_ko="쿠폰 {{coupon}}")
    coupon.active = False
    coupon.save()
    scan(ended)
    entry = JourneyEntry.objects.get(journey=ended)
    assert (entry.outcome, entry.reason, entry.message) == ("skipped", "coupon_unavailable",
                                                            None)


def test_an_inactive_journey_enters_nobody(ad_sender, time_machine):
    time_machine.move_to(seoul(2026, 11, 24, 10, 0), tick=False)
    customer(birthday=date(1990, 11, 27))
    j = journey(days=3, active=False)
    assert scan(j).entered == 0
    set_journey_active(actor=SYSTEM, journey_id=j.pk, active=True)
    assert scan(j).entered == 1


def test_conversion_of_entered_against_holdout(ad_sender, time_machine):
    time_machine.move_to(seoul(2026, 11, 24, 10, 0), tick=False)
    people = [customer(birthday=date(1990, 11, 27)) for _ in range(40)]
    j = journey(days=3, holdout_percent=50, conversion_days=7)
    scan(j)
    messaged = [p for p in people if not held_out(j, p.pk)]
    control = [p for p in people if held_out(j, p.pk)]
    for who in messaged[:len(messaged) // 2]:
        order(who, seoul(2026, 11, 26, 12, 0))
    order(control[0], seoul(2026, 11, 26, 12, 0))
    order(control[1], seoul(2026, 12, 20, 12, 0))  # after the 7-day window
    time_machine.move_to(seoul(2026, 12, 21, 10, 0), tick=False)
    results = journey_results(j)
    assert (results.messaged, results.held_out) == (len(messaged), len(control))
    assert results.messaged_converted == len(messaged) // 2
    assert results.holdout_converted == 1
    assert results.uplift is not None
    assert results.uplift.difference == pytest.approx(
        (len(messaged) // 2) / len(messaged) - 1 / len(control))
    assert results.uplift.interval.low < results.uplift.difference < results.uplift.interval.high


# --- saving -----------------------------------------------------------------------------


@pytest.mark.parametrize(("values", "field"), [
    ({"trigger": "birthday", "purpose": "information"}, "purpose"),
    ({"trigger": "post_purchase", "purpose": "information", "points": 100}, "purpose"),
    ({"body_ko": "쿠폰 {{coupon}}"}, "body_ko"),
    ({"body_ko": "{{nmae}}님"}, "body_ko"),
    ({"days": 61}, "days"),
    ({"trigger": "win_back", "days": 0}, "days"),
    ({"trigger": "win_back", "p_alive_below": 1.5}, "p_alive_below"),
    ({"trigger": "nope"}, "trigger"),
    ({"holdout_percent": 95}, "holdout_percent"),
    ({"reentry_days": 0}, "reentry_days"),
    ({"subject_ko": ""}, "subject_ko"),
    ({"name": " "}, "name"),
])
def test_bad_values_are_named_by_field_and_nothing_is_saved(values, field):
    from dangol.campaigns.journey_models import Journey

    with pytest.raises(ValidationFailed) as refused:
        journey(**values)
    assert field in {p.field for p in refused.value.problems}
    assert not Journey.objects.exists()


def test_saving_writes_audit_rows(owner):
    from dangol.accounts.actors import Actor
    from dangol.accounts.models import AuditEntry
    from dangol.campaigns.journeys import save_journey

    j = journey()
    save_journey(actor=Actor(user=owner), journey_id=j.pk, values={
        **{k: getattr(j, k) for k in ("name", "trigger", "days", "channel", "purpose",
                                      "subject_ko", "body_ko", "holdout_percent",
                                      "reentry_days", "conversion_days", "active")},
        "days": 5})
    set_journey_active(actor=Actor(user=owner), journey_id=j.pk, active=False)
    rows = list(AuditEntry.objects.filter(object_type="campaigns.journey",
                                          object_id=str(j.pk)).order_by("pk")
                .values_list("action", "fields"))
    assert rows[0][0] == "create"
    assert rows[1] == ("update", ["days"])
    assert rows[2] == ("deactivate", ["active"])


def test_a_scan_costs_the_same_queries_for_ten_or_forty_customers(ad_sender, time_machine):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    time_machine.move_to(seoul(2026, 11, 24, 10, 0), tick=False)
    small = journey(name="작은", days=3)
    for _ in range(10):
        customer(birthday=date(1990, 11, 27))
    with CaptureQueriesContext(connection) as ten:
        assert scan(small).entered == 10
    time_machine.move_to(seoul(2026, 12, 7, 10, 0), tick=False)
    large = journey(name="큰", days=3)
    for _ in range(40):
        customer(birthday=date(1990, 12, 10))
    with CaptureQueriesContext(connection) as forty:
        assert scan(large).entered == 40
    assert len(forty.captured_queries) == len(ten.captured_queries)


def test_numbers_no_column_can_hold_are_refused_by_field():
    from dangol.campaigns.journey_models import Journey

    with pytest.raises(ValidationFailed) as refused:
        journey(trigger="detractor", survey_id=10**20, coupon_campaign_id=-1,
                holdout_percent=10**30, points=2**40)
    assert {"survey_id", "coupon_campaign_id", "holdout_percent", "points"} <= {
        p.field for p in refused.value.problems}
    assert not Journey.objects.exists()


def test_the_campaigns_frequency_cap_holds_back_journey_ads_only(ad_sender, time_machine):
    from dangol.campaigns.services import save_settings
    from dangol.engagement.services import queue_message

    time_machine.move_to(seoul(2026, 11, 24, 10, 0), tick=False)
    busy = customer(birthday=date(1990, 11, 27))
    quiet = customer(birthday=date(1990, 11, 27))
    save_settings(actor=SYSTEM, cap_messages=1, cap_days=7)
    queue_message(customer=busy, channel="email", purpose="ad", subject="세일", body="세일!")
    ad = journey(days=3)
    scan(ad)
    assert entries(ad) == {busy.pk: "capped", quiet.pk: "messaged"}
    # A transactional journey is never capped.
    survey = create_survey(actor=SYSTEM, name="NPS", title={"ko": "추천", "en": "NPS"},
                           definition=NPS_SURVEY, publish=True)
    apology = journey(name="사과", trigger="detractor", purpose="information",
                      subject_ko="죄송합니다", body_ko="불편을 드려 죄송합니다.")
    submit_response(survey=survey, answers={"nps": 3}, customer_pk=busy.pk)
    scan(apology)
    assert entries(apology) == {busy.pk: "messaged"}
