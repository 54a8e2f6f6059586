"""Reads of personal-data requests."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from dangol.customers.models import Customer
from dangol.customers.schemas import normalise_phone
from dangol.privacy.models import OPEN_STATUSES, DataRequest


def find_customer(text: str) -> Customer | None:
    """The customer whose external ID, e-mail or phone number is ``text``."""
    text = text.strip()
    if not text:
        return None
    customer = Customer.objects.filter(external_id=text).first()
    if customer is None and "@" in text:
        customer = Customer.objects.filter(email__iexact=text).order_by("pk").first()
    if customer is None:
        try:
            phone = normalise_phone(text)
        except ValueError:
            phone = ""
        if phone:
            customer = Customer.objects.filter(phone=phone).order_by("pk").first()
    return customer


def find_request(request_pk: int) -> DataRequest | None:
    return DataRequest.objects.select_related("customer", "handled_by").filter(
        pk=request_pk).first()


def list_requests(*, status: str = "", kind: str = "", open_only: bool = False,
                  customer_external_id: str = "") -> QuerySet[DataRequest]:
    """Requests, open ones first and the most urgent first among them."""
    requests = DataRequest.objects.select_related("handled_by")
    if status:
        requests = requests.filter(status=status)
    if open_only:
        requests = requests.filter(status__in=OPEN_STATUSES)
    if kind:
        requests = requests.filter(kind=kind)
    if customer_external_id:
        requests = requests.filter(customer_external_id=customer_external_id)
    return requests.annotate(finished=Case(
        When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1),
        output_field=IntegerField())).order_by("finished", "due_at", "pk")
