"""Competitor and industry benchmarks beside the business's own score: model, API, pages."""

import json
from datetime import date, datetime

import pytest
from django.test import Client
from django.utils import timezone

from dangol.accounts.actors import Actor
from dangol.accounts.models import AuditEntry
from dangol.accounts.permissions import Role
from dangol.accounts.services import create_api_key
from dangol.core.errors import ValidationFailed
from dangol.surveys.benchmark_models import Benchmark
from dangol.surveys.benchmarks_demo import generate_benchmark_demo
from dangol.surveys.benchmarks_selectors import compare_benchmarks, own_score
from dangol.surveys.benchmarks_services import record_benchmark
from dangol.surveys.models import Response
from dangol.surveys.services.responses import submit_response
from dangol.surveys.services.surveys import create_survey
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

JANUARY = {"period_start": "2026-01-01", "period_end": "2026-01-31"}


def at(month, day):
    return timezone.make_aware(datetime(2026, month, day, 12))


def answer(survey, answers, completed):
    response, _ = submit_response(survey=survey, answers=answers, language="ko")
    Response.objects.filter(pk=response.pk).update(completed_at=completed)


@pytest.fixture
def answers(owner):
    """January: 30 promoters, 20 passives, 10 detractors (NPS 33.3, n 60); February:
    5 detractors, outside January."""
    survey = create_survey(actor=Actor(user=owner), name="NPS",
                           title={"ko": "조사", "en": "Survey"},
                           definition={"questions": [
                               {"key": "score", "type": "nps",
                                "text": {"ko": "추천하시겠어요?", "en": "Recommend us?"}}]},
                           publish=True)
    for score, count in ((10, 30), (8, 20), (3, 10)):
        for k in range(count):
            answer(survey, {"score": score}, at(1, 1 + k % 28))
    for _ in range(5):
        answer(survey, {"score": 0}, at(2, 3))
    return survey


def record(owner, **values):
    base = {"kind": "competitor", "competitor": "가나몰", "metric": "nps", "value": "10",
            "n": "500"} | JANUARY
    return record_benchmark(actor=Actor(user=owner), values=base | values)


def test_own_score_counts_the_periods_answers_only(answers):
    score = own_score(metric="nps", since=date(2026, 1, 1), until=date(2026, 1, 31))
    assert score.n == 60
    assert score.value == pytest.approx(100 * (30 - 10) / 60)
    assert score.low < score.value < score.high
    assert own_score(metric="nps", since=date(2026, 3, 1), until=date(2026, 3, 31)) is None


def test_each_benchmark_gets_a_verdict(owner, answers):
    record(owner, competitor="가나몰", value="10", n="500")  # far below 33.3
    record(owner, kind="industry", competitor="", value="30", n="200")  # close
    record(owner, competitor="다라몰", value="10", n="")  # no n: no test
    record(owner, competitor="마바몰", value="80", n="", ci_low="75", ci_high="85")
    record(owner, competitor="가나몰", period_start="2026-03-01", period_end="2026-03-31")
    rows = compare_benchmarks(list(Benchmark.objects.order_by("pk")))
    assert [r.verdict for r in rows] == ["higher", "no_difference", "untested", "lower",
                                         "no_data"]
    assert rows[0].comparison.difference == pytest.approx(100 * 20 / 60 - 10)
    assert rows[0].comparison.basis == "n_bound"
    assert rows[3].comparison.basis == "interval"


def test_bad_benchmarks_name_each_field_and_save_nothing(owner):
    with pytest.raises(ValidationFailed) as error:
        record(owner, competitor="", value="150", ci_low="5", ci_high="",
               period_start="2026-02-01", period_end="2026-01-01", n="1")
    fields = {p.field for p in error.value.problems}
    assert fields == {"competitor", "value", "ci_high", "period_end", "n"}
    assert not Benchmark.objects.exists()


def test_recording_writes_an_audit_row(owner):
    benchmark = record(owner)
    assert AuditEntry.objects.filter(action="create", object_id=str(benchmark.pk)).exists()


# --- API -------------------------------------------------------------------------------


@pytest.fixture
def api(owner):
    issued = create_api_key(actor=Actor(user=owner), name="benchmarks",
                            scopes=["surveys.view", "surveys.manage"])
    return Client(headers={"Authorization": f"Bearer {issued.token}"})


def post(client, body):
    return client.post("/api/benchmarks", json.dumps(body), content_type="application/json")


def test_api_records_lists_compares_and_deletes(api, answers):
    response = post(api, {"kind": "industry", "metric": "nps", "value": 10, "n": 500,
                          "source": "한국 유통 NPS 2026", **JANUARY})
    assert response.status_code == 201, response.json()
    benchmark_id = response.json()["id"]
    listed = api.get("/api/benchmarks").json()
    assert [(b["kind"], b["value"], b["source"]) for b in listed] == [
        ("industry", 10.0, "한국 유통 NPS 2026")]
    compared = api.get("/api/benchmarks/comparison").json()
    assert compared[0]["verdict"] == "higher"
    assert compared[0]["own"]["n"] == 60
    assert compared[0]["difference_low"] > 0
    assert api.delete(f"/api/benchmarks/{benchmark_id}").status_code == 204
    assert api.delete(f"/api/benchmarks/{benchmark_id}").status_code == 404


def test_api_refuses_bad_input_with_field_messages(api):
    response = post(api, {"kind": "competitor", "metric": "nps", "value": 10,
                          "ci_low": 20, "ci_high": 30, **JANUARY})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"competitor", "ci_low"}
    response = post(api, {"kind": "industry", "metric": "nps", "value": 10,
                          "period_start": "January", "period_end": "2026-01-31"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "period_start"
    assert not Benchmark.objects.exists()


def test_api_recording_needs_the_manage_permission(db):
    client = Client()
    client.force_login(make_staff(Role.ANALYST))
    response = post(client, {"kind": "industry", "metric": "nps", "value": 10, **JANUARY})
    assert response.status_code == 403
    assert client.get("/api/benchmarks").status_code == 200


# --- pages -----------------------------------------------------------------------------


def test_list_page_shows_each_benchmark_beside_our_score(owner_client, owner, answers):
    record(owner, competitor="가나몰", value="10", n="500")
    record(owner, competitor="다라몰", value="10", n="")
    html = owner_client.get("/surveys/benchmarks/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "가나몰" in html and "33.33" in html
    assert 'data-verdict="higher"' in html
    assert "Not tested: the benchmark's sample size is unknown" in html


def test_list_page_in_korean(owner_client, owner, answers):
    record(owner)
    page = owner_client.get("/surveys/benchmarks/", HTTP_ACCEPT_LANGUAGE="ko")
    assert page.status_code == 200
    assert 'data-verdict="higher"' in page.content.decode()


def test_the_form_records_a_benchmark_or_names_the_bad_fields(owner_client):
    bad = owner_client.post("/surveys/benchmarks/", {
        "kind": "competitor", "competitor": "", "metric": "csat_top2", "value": "120",
        "period_start": "2026-01-01", "period_end": "2026-01-31"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 422
    html = bad.content.decode()
    assert "Name the competitor." in html and "A number from 0 to 100." in html
    assert not Benchmark.objects.exists()
    good = owner_client.post("/surveys/benchmarks/", {
        "kind": "industry", "metric": "csat_top2", "value": "81.5", "n": "1,200",
        "period_start": "2026-01-01", "period_end": "2026-03-31", "source": "KCSI"})
    assert good.status_code == 302
    saved = Benchmark.objects.get()
    assert (saved.metric, float(saved.value), saved.n) == ("csat_top2", 81.5, 1200)


def test_an_analyst_sees_the_list_but_cannot_record_or_delete(owner, answers):
    benchmark = record(owner)
    client = Client()
    client.force_login(make_staff(Role.ANALYST))
    page = client.get("/surveys/benchmarks/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "Record a benchmark" not in page.content.decode()
    assert client.post("/surveys/benchmarks/", {"kind": "industry"}).status_code == 403
    assert client.post(f"/surveys/benchmarks/{benchmark.pk}/delete/").status_code == 403
    assert Benchmark.objects.count() == 1


def test_compare_page_draws_both_scores_with_intervals(owner_client, owner, answers):
    record(owner, competitor="마바몰", value="20", n="", ci_low="15", ci_high="25")
    html = owner_client.get("/surveys/benchmarks/compare/?metric=nps",
                            HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="benchmark-chart"' in html
    assert html.count("<circle") == 2 and "data-own" in html
    assert "마바몰" in html
    empty = owner_client.get("/surveys/benchmarks/compare/?metric=ces_mean",
                             HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No benchmarks for this metric yet." in empty


def test_delete_from_the_page(owner_client, owner):
    benchmark = record(owner)
    response = owner_client.post(f"/surveys/benchmarks/{benchmark.pk}/delete/")
    assert response.status_code == 302
    assert not Benchmark.objects.exists()


def test_demo_benchmarks_are_recorded_once_and_labelled_made_up(db):
    assert generate_benchmark_demo() == 5
    assert generate_benchmark_demo() == 0
    assert all("made-up" in b.source for b in Benchmark.objects.all())
    assert {r.verdict for r in compare_benchmarks(list(Benchmark.objects.all()))} == {"no_data"}
