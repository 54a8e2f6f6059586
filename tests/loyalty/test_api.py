"""The loyalty API: results, stable error codes, and nothing changed on an error."""

import pytest

from dangol.loyalty.models import Account, Entry
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def post(client, path, body, **headers):
    return client.post(
        f"/api/loyalty{path}", body, content_type="application/json", headers=headers
    )


def balance(client, customer):
    return client.get(f"/api/loyalty/accounts/{customer.external_id}").json()


def test_earn_redeem_and_history(loyalty_api):
    customer = CustomerFactory()
    earned = post(
        loyalty_api,
        "/earn",
        {
            "customer_id": customer.external_id,
            "points": 500,
            "source": "review",
            "idempotency_key": "e1",
        },
    )
    assert earned.status_code == 200, earned.content
    assert earned.json()["balance_after"] == 500
    spent = post(
        loyalty_api,
        "/redeem",
        {"customer_id": customer.external_id, "points": 200},
        **{"Idempotency-Key": "r1"},
    )
    assert spent.status_code == 200, spent.content
    body = balance(loyalty_api, customer)
    assert (body["balance"], body["spendable"], body["debt"]) == (300, 300, 0)
    history = loyalty_api.get(f"/api/loyalty/accounts/{customer.external_id}/entries").json()
    assert [e["kind"] for e in history["items"]] == ["redeem", "earn"]


def test_repeating_a_key_returns_the_first_result_and_changed_content_is_refused(loyalty_api):
    customer = CustomerFactory()
    body = {"customer_id": customer.external_id, "points": 100, "idempotency_key": "same"}
    first = post(loyalty_api, "/earn", body).json()
    assert post(loyalty_api, "/earn", body).json()["id"] == first["id"]
    conflict = post(loyalty_api, "/earn", {**body, "points": 101})
    assert (conflict.status_code, conflict.json()["code"]) == (409, "idempotency_conflict")
    assert balance(loyalty_api, customer)["balance"] == 100


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"points": 10_000}, 409, "insufficient_points", None),
        ({"points": -5}, 422, "validation_error", "points"),
        ({"points": 5, "idempotency_key": ""}, 422, "validation_error", "idempotency_key"),
        ({"points": 5, "customer_id": "nobody"}, 404, "unknown_customer", None),
    ],
)
def test_bad_redemptions_get_a_stable_code_and_change_nothing(
    loyalty_api, body, status, code, field
):
    customer = CustomerFactory()
    post(
        loyalty_api,
        "/earn",
        {"customer_id": customer.external_id, "points": 50, "idempotency_key": "seed"},
    )
    entries = Entry.objects.count()
    response = post(
        loyalty_api,
        "/redeem",
        {"customer_id": customer.external_id, "idempotency_key": "r", **body},
    )
    assert (response.status_code, response.json()["code"]) == (status, code)
    if field:
        assert field in [e["field"] for e in response.json()["errors"]]
    assert Entry.objects.count() == entries
    assert Account.objects.get(customer=customer).balance == 50


def test_a_reversal_through_the_api_records_debt(loyalty_api):
    customer = CustomerFactory()
    earned = post(
        loyalty_api,
        "/earn",
        {
            "customer_id": customer.external_id,
            "points": 100,
            "source": "order",
            "idempotency_key": "o1",
        },
    ).json()
    post(
        loyalty_api,
        "/redeem",
        {"customer_id": customer.external_id, "points": 60, "idempotency_key": "r1"},
    )
    reversed_ = post(loyalty_api, f"/entries/{earned['id']}/reverse", {"idempotency_key": "x"})
    assert reversed_.json()["debt_delta"] == 60
    again = post(loyalty_api, f"/entries/{earned['id']}/reverse", {"idempotency_key": "y"})
    assert (again.status_code, again.json()["code"]) == (400, "already_reversed")
    body = balance(loyalty_api, customer)
    assert (body["balance"], body["debt"]) == (0, 60)


def test_first_come_event_has_exactly_capacity_winners(loyalty_api):
    event = post(loyalty_api, "/events", {"name": "선착순 2명", "capacity": 2, "points": 1000})
    assert event.status_code == 201, event.content
    url = f"/events/{event.json()['id']}/claims"
    a, b, c = CustomerFactory.create_batch(3)
    assert post(loyalty_api, url, {"customer_id": a.external_id}).status_code == 201
    repeat = post(loyalty_api, url, {"customer_id": a.external_id})
    assert (repeat.status_code, repeat.json()["position"]) == (200, 1)
    assert post(loyalty_api, url, {"customer_id": b.external_id}).json()["position"] == 2
    late = post(loyalty_api, url, {"customer_id": c.external_id})
    assert (late.status_code, late.json()["code"]) == (409, "sold_out")
    assert balance(loyalty_api, a)["balance"] == 1000
    assert balance(loyalty_api, c)["balance"] == 0


def test_a_view_only_key_cannot_move_points(viewer_api):
    customer = CustomerFactory()
    response = post(
        viewer_api,
        "/earn",
        {"customer_id": customer.external_id, "points": 5, "idempotency_key": "k"},
    )
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert viewer_api.get(f"/api/loyalty/accounts/{customer.external_id}").status_code == 200


def test_an_event_can_give_a_coupon_and_a_bad_prize_names_the_field(loyalty_api):
    from decimal import Decimal

    from dangol.loyalty.models import Claim, CouponCampaign, Event
    from dangol.loyalty.services import ledger

    campaign = CouponCampaign.objects.create(
        program=ledger.default_program(), name="당첨", kind="fixed", value=Decimal(2000)
    )
    bad = post(loyalty_api, "/events", {"name": "x", "capacity": 1, "coupon_campaign_id": 99999})
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")
    assert "coupon_campaign" in str(bad.json())
    nothing = post(loyalty_api, "/events", {"name": "x", "capacity": 1})
    assert nothing.status_code == 422 and "points" in str(nothing.json())
    assert not Event.objects.exists()
    event = post(
        loyalty_api,
        "/events",
        {"name": "쿠폰 선착순", "capacity": 1, "coupon_campaign_id": campaign.pk},
    )
    assert event.status_code == 201 and event.json()["coupon_campaign_id"] == campaign.pk
    winner = CustomerFactory()
    claimed = post(
        loyalty_api, f"/events/{event.json()['id']}/claims", {"customer_id": winner.external_id}
    )
    assert (claimed.status_code, claimed.json()["points"]) == (201, 0)
    assert Claim.objects.get().coupon.customer_id == winner.pk
    assert not Account.objects.filter(customer=winner, balance__gt=0).exists()
