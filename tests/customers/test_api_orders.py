import json
from decimal import Decimal

import pytest

from dangol.customers.models import Order, OrderLine
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def order_body(**overrides):
    body = {"external_id": "O1", "customer_id": "C1", "ordered_at": "2026-03-01 14:00",
            "lines": [{"product_id": "P1", "quantity": 2, "unit_price": "19,900"},
                      {"product_id": "UNKNOWN", "unit_price": 5000}]}
    return body | overrides


def test_order_total_defaults_to_sum_of_lines(api):
    CustomerFactory(external_id="C1")
    product = ProductFactory(external_id="P1")
    response = post(api, "/api/orders", order_body())
    assert response.status_code == 201, response.json()
    order = Order.objects.get()
    assert order.total_amount == Decimal("44800")
    assert order.currency == "KRW"
    assert order.ordered_at.isoformat().startswith("2026-03-01T05:00")  # 14:00 KST in UTC
    lines = list(order.lines.order_by("line_no"))
    assert lines[0].product == product
    assert (lines[1].product, lines[1].product_external_id) == (None, "UNKNOWN")


def test_repeating_an_order_replaces_its_lines(api):
    CustomerFactory(external_id="C1")
    post(api, "/api/orders", order_body())
    response = post(api, "/api/orders", order_body(lines=[{"unit_price": 1000}],
                                                    status="refunded"))
    assert response.status_code == 200
    assert OrderLine.objects.count() == 1
    assert Order.objects.get().status == "refunded"


def test_unknown_customer_names_the_field(api):
    response = post(api, "/api/orders", order_body(customer_id="NOPE"))
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "customer_id" and "NOPE" in error["message"]
    assert not Order.objects.exists()


def test_fractional_won_is_refused(api):
    CustomerFactory(external_id="C1")
    response = post(api, "/api/orders", order_body(lines=[{"unit_price": "100.5"}]))
    assert response.status_code == 422
    assert "KRW allows 0 decimal places" in response.json()["errors"][0]["message"]


def test_negative_quantity_names_the_line(api):
    CustomerFactory(external_id="C1")
    response = post(api, "/api/orders", order_body(lines=[{"unit_price": 1, "quantity": -1}]))
    assert response.json()["errors"][0]["field"] == "lines.0.quantity"


def test_bulk_orders_and_filters(api):
    CustomerFactory(external_id="C1")
    CustomerFactory(external_id="C2")
    items = [order_body(external_id=f"O{i}", customer_id="C1" if i % 2 else "C2")
             for i in range(20)]
    items[3]["ordered_at"] = "yesterday"
    body = post(api, "/api/orders/bulk", {"items": items}).json()
    assert body["created"] == 19
    assert body["rejected"][0]["index"] == 3
    page = api.get("/api/orders", {"customer_id": "C1", "limit": 100}).json()
    assert len(page["items"]) == 9  # O3 (a C1 order) was refused
    assert all(o["customer_id"] == "C1" for o in page["items"])
    assert api.get("/api/orders/O1").json()["lines"][0]["quantity"] == 2


def test_products_upsert_and_list(api):
    response = post(api, "/api/products", {"external_id": "P1", "name": "티셔츠",
                                           "price": "19900", "category": "의류"})
    assert response.status_code == 201
    assert post(api, "/api/products", {"external_id": "P1", "name": "티셔츠"}).json()[
        "changed_fields"] == []
    assert api.get("/api/products", {"category": "의류"}).json()["items"][0]["price"] == "19900.00"
    assert api.delete("/api/products/P1").status_code == 204
