"""Receiving feedback items (reviews, posts, app-store reviews, conversations, notes).

One service takes a batch of raw rows (from the API or a CSV file), checks every
row first and writes all of them in one transaction, or nothing when any row is
bad. A row whose (source, channel, external id) is stored already is not changed:
its existing id is returned. Each new item is analysed in the worker after commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from dangol import textkit
from dangol.accounts.actors import Actor
from dangol.accounts.services import record_audit_many, require
from dangol.core.errors import FieldProblem, ValidationFailed
from dangol.core.transactions import enqueue_after_commit
from dangol.customers.models import Customer, Product
from dangol.customers.schemas import normalise_phone
from dangol.feedback.models import FeedbackItem
from dangol.feedback.tasks import analyse_items_task

VIEW = "feedback.view_items"
ADD = "feedback.add_items"
MAX_BATCH = 500

SourceName = Literal["review", "social", "app_store", "conversation", "interview", "web_form",
                     "other"]


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _none_to_blank(value: Any) -> Any:
    return "" if value is None else value


def _split_tags(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, str):
        return [t.strip() for t in value.replace(";", ",").split(",") if t.strip()]
    return value


Text = Annotated[str, BeforeValidator(_none_to_blank)]


class FeedbackItemIn(BaseModel):
    """One feedback item as a client or a CSV row sends it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    source: SourceName
    channel: Annotated[Text, Field(max_length=100)] = ""
    external_id: Annotated[Text, Field(max_length=128)] = ""
    text: Annotated[str, Field(min_length=1, max_length=20000)]
    rating: Annotated[Annotated[Decimal, Field(ge=0, max_digits=6, decimal_places=2)] | None,
                      BeforeValidator(_blank_to_none)] = None
    rating_scale: Annotated[Annotated[int, Field(ge=1, le=100)] | None,
                            BeforeValidator(_blank_to_none)] = None
    occurred_at: Annotated[datetime | None, BeforeValidator(_blank_to_none)] = None
    customer_id: Annotated[Text, Field(max_length=64)] = ""
    customer_email: Annotated[Text, Field(max_length=254)] = ""
    customer_phone: Annotated[Text, Field(max_length=32)] = ""
    product_id: Annotated[Text, Field(max_length=64)] = ""
    author: Annotated[Text, Field(max_length=200)] = ""
    url: Annotated[Text, Field(max_length=500)] = ""
    tags: Annotated[list[Annotated[str, Field(max_length=60)]], BeforeValidator(_split_tags),
                    Field(max_length=50)] = Field(default_factory=list)

    @field_validator("url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        if value and not value.lower().startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("customer_phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalise_phone(value) if value else value

    @model_validator(mode="after")
    def _rating_within_scale(self) -> FeedbackItemIn:
        if self.rating is not None:
            if self.rating_scale is None:
                self.rating_scale = 5
            if self.rating > self.rating_scale:
                raise ValueError(f"rating {self.rating} is above the scale {self.rating_scale}")
        return self


@dataclass(frozen=True)
class IntakeResult:
    """Ids in the order of the rows; ``created`` tells which rows were new."""

    ids: list[int]
    created: list[bool]

    @property
    def created_count(self) -> int:
        return sum(self.created)


def check_rows(rows: Sequence[Any], *, place: Any = None,
               max_rows: int = MAX_BATCH) -> list[FeedbackItemIn]:
    """Validate every row; raise ValidationFailed naming each bad row and field.

    ``place(index, field)`` names a problem; by default ``items.<index>.<field>``.
    """
    def default_place(index: int, field: str) -> str:
        return f"items.{index}.{field}" if field else f"items.{index}"

    name = place or default_place
    problems: list[FieldProblem] = []
    checked: list[FeedbackItemIn] = []
    if len(rows) > max_rows:
        raise ValidationFailed([FieldProblem("items", _("At most %(n)s items at a time.")
                                             % {"n": max_rows})])
    if not rows:
        raise ValidationFailed([FieldProblem("items", _("Send at least one item."))])
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            problems.append(FieldProblem(name(index, ""), _("An item must be an object.")))
            continue
        try:
            checked.append(FeedbackItemIn.model_validate(row))
        except ValidationError as error:
            for item in error.errors():
                field = ".".join(str(p) for p in item.get("loc", ()))
                message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
                problems.append(FieldProblem(name(index, field), message))
    if problems:
        raise ValidationFailed(problems, _("Nothing was saved: fix the items named."))
    return checked


def receive_items(*, actor: Actor, rows: Sequence[Any], place: Any = None,
                  max_rows: int = MAX_BATCH) -> IntakeResult:
    """Check and store a batch of feedback items; all rows or none.

    A row already stored (same source, channel and external id) changes nothing
    and returns the stored id. Matches customers by customer id, e-mail or phone,
    and products by product id. New items are analysed in the worker after
    commit. Raises PermissionDenied without ``feedback.add_items`` and
    ValidationFailed (naming row index and field) for any bad row.
    """
    require(actor, ADD)
    checked = check_rows(rows, place=place, max_rows=max_rows)
    try:
        return _store(actor, checked)
    except IntegrityError:
        # Another request stored one of these items between our read and our
        # insert; read again, and that item is now found as already stored.
        return _store(actor, checked)


def _store(actor: Actor, checked: Sequence[FeedbackItemIn]) -> IntakeResult:
    now = timezone.now()
    with transaction.atomic():
        customers = _match_customers(checked)
        products = dict(Product.objects.filter(
            external_id__in={c.product_id for c in checked if c.product_id})
            .values_list("external_id", "pk"))
        keys = {(c.source, c.channel, c.external_id) for c in checked if c.external_id}
        existing = _existing(keys)
        slots: list[int | FeedbackItem] = []
        created: list[bool] = []
        fresh: dict[tuple[str, str, str] | int, FeedbackItem] = {}
        for index, (row, customer_pk) in enumerate(zip(checked, customers, strict=True)):
            key = (row.source, row.channel, row.external_id)
            if row.external_id and key in existing:
                slots.append(existing[key])
                created.append(False)
                continue
            if row.external_id and key in fresh:
                slots.append(fresh[key])  # a repeat inside the batch: the same new item
                created.append(False)
                continue
            item = FeedbackItem(
                source=row.source, channel=row.channel, external_id=row.external_id,
                customer_id=customer_pk, customer_external_id=row.customer_id,
                product_id=products.get(row.product_id), product_external_id=row.product_id,
                rating=row.rating, rating_scale=row.rating_scale,
                author=textkit.mask_pii(row.author)[:200] if row.author else "",
                text=row.text, url=row.url, tags=list(row.tags),
                occurred_at=_aware(row.occurred_at) or now, received_at=now)
            fresh[key if row.external_id else index] = item
            slots.append(item)
            created.append(True)
        stored = FeedbackItem.objects.bulk_create(list(fresh.values()))
        record_audit_many(actor=actor, action="create", objects=stored,
                          fields=["source", "channel", "external_id", "text"])
        queue_item_analysis(item_pks=[i.pk for i in stored])
    ids = [slot if isinstance(slot, int) else slot.pk for slot in slots]
    return IntakeResult(ids=ids, created=created)


def _existing(keys: set[tuple[str, str, str]]) -> dict[tuple[str, str, str], int]:
    if not keys:
        return {}
    found = FeedbackItem.objects.filter(
        external_id__in={k[2] for k in keys}, source__in={k[0] for k in keys}
    ).values_list("source", "channel", "external_id", "pk")
    return {(s, c, e): pk for s, c, e, pk in found if (s, c, e) in keys}


def _match_customers(rows: Sequence[FeedbackItemIn]) -> list[int | None]:
    """The customer of each row: by customer id, else e-mail, else phone (None if none)."""
    by_id = dict(Customer.objects.filter(
        external_id__in={r.customer_id for r in rows if r.customer_id})
        .values_list("external_id", "pk"))
    emails = {r.customer_email.lower() for r in rows if r.customer_email}
    by_email: dict[str, int] = {}
    if emails:
        for email, pk in (Customer.objects.filter(email__in=emails).order_by("pk")
                          .values_list("email", "pk")):
            by_email.setdefault(email.lower(), pk)
    phones = {r.customer_phone for r in rows if r.customer_phone}
    by_phone: dict[str, int] = {}
    if phones:
        for phone, pk in (Customer.objects.filter(phone__in=phones).order_by("pk")
                          .values_list("phone", "pk")):
            by_phone.setdefault(phone, pk)
    return [by_id.get(r.customer_id) or by_email.get(r.customer_email.lower())
            or by_phone.get(r.customer_phone) for r in rows]


def _aware(value: datetime | None) -> datetime | None:
    if value is None or timezone.is_aware(value):
        return value
    return timezone.make_aware(value)


def queue_item_analysis(*, item_pks: list[int]) -> None:
    """Analyse the given items in the worker once the current transaction commits."""
    if item_pks:
        enqueue_after_commit(analyse_items_task, item_pks)
