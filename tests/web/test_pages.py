import pytest
from django.test import Client

from dangol.accounts.permissions import Role
from tests.conftest import make_staff
from tests.factories import CustomerFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


def test_pages_need_login(db):
    response = Client().get("/customers/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_home_shows_real_counts_in_korean_by_default(owner_client):
    CustomerFactory.create_batch(3)
    OrderLineFactory()
    page = owner_client.get("/").content.decode()
    assert "고객" in page
    assert 'data-testid="count-customers">4<' in page


def test_browser_language_english_and_switch(owner_client):
    page = owner_client.get("/", headers={"Accept-Language": "en"}).content.decode()
    assert "Recent orders" in page
    owner_client.post("/i18n/setlang/", {"language": "ko", "next": "/"})
    page = owner_client.get("/", headers={"Accept-Language": "en"}).content.decode()
    assert "최근 주문" in page


def test_customer_search_and_detail(owner_client):
    customer = CustomerFactory(name="김단골", external_id="C777")
    CustomerFactory(name="이손님")
    OrderLineFactory(order__customer=customer)
    page = owner_client.get("/customers/", {"q": "단골"}).content.decode()
    assert "김단골" in page and "이손님" not in page
    detail = owner_client.get(f"/customers/{customer.pk}/").content.decode()
    assert "C777" in detail
    assert 'data-testid="order-count">1<' in detail


def test_htmx_search_returns_only_rows(owner_client):
    CustomerFactory(name="김단골")
    page = owner_client.get("/customers/", {"q": "김"}, headers={"HX-Request": "true"})
    assert "<html" not in page.content.decode()
    assert "김단골" in page.content.decode()


def test_agent_cannot_import_but_can_view(db):
    client = Client()
    client.force_login(make_staff(Role.AGENT))
    assert client.get("/customers/").status_code == 200
    assert client.get("/customers/import/").status_code == 403


def test_import_page_runs_the_job_and_lists_bad_rows(owner_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("c.csv", "고객번호,이름,휴대폰\nC1,김,010-1111-2222\nC2,이,999\n"
                                .encode("cp949"))
    with_callbacks = owner_client.post("/customers/import/", {"kind": "customers",
                                                              "file": upload})
    assert with_callbacks.status_code == 302
    page = owner_client.get(with_callbacks["Location"]).content.decode()
    # Tasks run inline in tests, after the upload's transaction commits.
    assert 'data-status="done"' in page or 'data-status="queued"' in page


def test_export_downloads(owner_client):
    CustomerFactory(name="김단골")
    response = owner_client.get("/customers/export/customers.csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "김단골" in body
    xlsx = owner_client.get("/customers/export/orders.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_healthz(db):
    assert Client().get("/healthz").json() == {"status": "ok"}


def test_customer_page_explains_the_score(owner_client):
    from datetime import timedelta

    from django.utils import timezone

    from dangol.segments.services import score_customers
    from tests.factories import OrderFactory

    customer = CustomerFactory(name="김단골")
    for days in (200, 100, 10):
        OrderFactory(customer=customer, ordered_at=timezone.now() - timedelta(days=days))
    page = owner_client.get(f"/customers/{customer.pk}/").content.decode()
    assert "dangol score" in page  # not scored yet
    score_customers()
    page = owner_client.get(f"/customers/{customer.pk}/",
                            headers={"Accept-Language": "en"}).content.decode()
    assert 'data-testid="score-explanation">bought 3 times, last 10 days ago' in page
    assert 'data-testid="rfm-segment"' in page
    from dangol.segments.models import CustomerScore

    # Too few customers here to fit a model: no numbers are shown rather than made up.
    assert 'data-testid="p-alive"' not in page
    CustomerScore.objects.filter(customer=customer).update(p_alive=0.354,
                                                           expected_purchases_90d=1.234)
    page = owner_client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'data-testid="p-alive">35%<' in page
    assert 'data-testid="expected-90d">1.23<' in page
    korean = owner_client.get(f"/customers/{customer.pk}/").content.decode()
    assert "3회 구매, 마지막 구매 10일 전" in korean
