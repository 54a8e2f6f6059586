"""Staff pages (figures, settings, member ledger, adjustments) and the customer's own page."""

import pytest

from dangol.accounts.actors import SYSTEM
from dangol.accounts.permissions import Role
from dangol.loyalty.models import Account, Entry, Program, Source
from dangol.loyalty.services import ledger
from dangol.loyalty.tokens import card_token
from tests.conftest import make_staff
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_overview_shows_figures_and_saves_settings(owner_client):
    customer = CustomerFactory()
    ledger.earn_points(
        actor=SYSTEM,
        customer_pk=customer.pk,
        points=1000,
        source=Source.ORDER,
        idempotency_key="o1",
    )
    page = owner_client.get("/loyalty/")
    assert page.status_code == 200
    assert "1,000" in page.content.decode()
    data = {
        f: v
        for f, v in Program.objects.values().get().items()
        if f not in {"id", "created_at", "updated_at", "is_default", "currency"}
    }
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data.update(expiry_days=730, active="on")
    response = owner_client.post("/loyalty/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Program.objects.get().expiry_days == 730


def test_member_page_shows_the_ledger_and_a_double_submitted_adjustment_counts_once(owner_client):
    customer = CustomerFactory()
    form = {"points": "500", "reason": "사과의 뜻으로", "idempotency_key": "page-1"}
    assert owner_client.post(f"/loyalty/members/{customer.pk}/", form).status_code == 302
    assert owner_client.post(f"/loyalty/members/{customer.pk}/", form).status_code == 302
    assert Account.objects.get(customer=customer).balance == 500
    entry = Entry.objects.get()
    assert (entry.reason, entry.staff.role) == ("사과의 뜻으로", Role.OWNER)
    page = owner_client.get(f"/loyalty/members/{customer.pk}/").content.decode()
    assert "사과의 뜻으로" in page
    taken = owner_client.post(
        f"/loyalty/members/{customer.pk}/",
        {"points": "-900", "reason": "x", "idempotency_key": "page-2"},
    )
    assert taken.status_code == 200
    assert Account.objects.get(customer=customer).balance == 500


def test_an_analyst_may_look_but_not_adjust(client):
    client.force_login(make_staff(Role.ANALYST))
    customer = CustomerFactory()
    assert client.get(f"/loyalty/members/{customer.pk}/").status_code == 200
    assert client.get(f"/loyalty/members/?q={customer.external_id}").status_code == 302
    client.post(
        f"/loyalty/members/{customer.pk}/", {"points": "5", "reason": "x", "idempotency_key": "k"}
    )
    assert not Entry.objects.exists()


def test_the_customer_page_needs_no_login_and_speaks_korean_or_english(client):
    customer = CustomerFactory(name="김단골", language="ko")
    ledger.earn_points(
        actor=SYSTEM,
        customer_pk=customer.pk,
        points=2500,
        source=Source.ORDER,
        idempotency_key="o1",
    )
    url = f"/loyalty/card/{card_token(customer_pk=customer.pk)}/"
    korean = client.get(url)
    assert korean.status_code == 200
    assert "2,500" in korean.content.decode()
    assert 'lang="ko"' in korean.content.decode()
    english = client.get(url + "?lang=en").content.decode()
    assert 'lang="en"' in english and "points to use" in english
    forged = url.replace(card_token(customer_pk=customer.pk)[-4:], "AAAA")
    assert client.get(forged).status_code == 404


def test_the_customer_page_lists_usable_coupons(client):
    from decimal import Decimal

    from dangol.loyalty.models import CouponCampaign
    from dangol.loyalty.services import coupons

    customer = CustomerFactory(language="en")
    campaign = CouponCampaign.objects.create(
        program=ledger.default_program(), name="Welcome", kind="fixed", value=Decimal(3000)
    )
    coupon = coupons.issue_coupon(actor=SYSTEM, campaign=campaign, customer_pk=customer.pk)
    page = client.get(f"/loyalty/card/{card_token(customer_pk=customer.pk)}/").content.decode()
    assert coupons.display_code(coupon.code) in page


def test_overview_lists_campaigns_with_their_use(owner_client):
    from decimal import Decimal

    from dangol.loyalty.models import CouponCampaign
    from dangol.loyalty.services import coupons

    campaign = CouponCampaign.objects.create(
        program=ledger.default_program(),
        name="10% 할인",
        kind="percent",
        value=Decimal(10),
        points_cost=900,
    )
    coupons.issue_coupon(actor=SYSTEM, campaign=campaign)
    page = owner_client.get("/loyalty/").content.decode()
    assert "10% 할인" in page and "900" in page
