"""Writes for customers, their consent and products."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.accounts.actors import Actor
from dangol.accounts.services import record_audit, record_audit_many, require
from dangol.core.errors import FieldProblem, NotFound
from dangol.core.validation import RowProblem, validate_rows
from dangol.customers.models import Consent, ConsentEvent, Customer, Product
from dangol.customers.schemas import ConsentIn, CustomerIn, ProductIn

CUSTOMER_FIELDS = ("name", "email", "phone", "birthday", "gender", "region", "language",
                   "joined_at", "attributes")
PRODUCT_FIELDS = ("name", "category", "price", "currency", "active")


@dataclass
class BulkResult:
    created: int = 0
    updated: int = 0
    rejected: list[RowProblem] = field(default_factory=list)

    def add(self, other: "BulkResult", *, offset: int = 0) -> None:
        self.created += other.created
        self.updated += other.updated
        self.rejected.extend(RowProblem(r.index + offset, r.problems) for r in other.rejected)


@dataclass(frozen=True)
class UpsertResult:
    obj: Any
    created: bool
    changed_fields: list[str]


def _given_fields(data: CustomerIn | ProductIn, names: Sequence[str]) -> list[str]:
    return [name for name in names if name in data.model_fields_set]


# --- single customer ---------------------------------------------------------------


def upsert_customer(*, actor: Actor, data: CustomerIn) -> UpsertResult:
    """Create the customer ``data.external_id`` or update the fields given in ``data``.

    Idempotent: repeating the same input changes nothing and writes no audit row.
    Takes a row lock on an existing customer. Raises PermissionDenied.
    """
    require(actor, "customers.change")
    try:
        return _upsert_customer(actor, data)
    except IntegrityError:
        # Another request created the same external id between our read and
        # insert; it exists now, so this becomes an update.
        return _upsert_customer(actor, data)


@transaction.atomic
def _upsert_customer(actor: Actor, data: CustomerIn) -> UpsertResult:
    customer = Customer.objects.select_for_update().filter(external_id=data.external_id).first()
    given = _given_fields(data, CUSTOMER_FIELDS)
    if customer is None:
        values = {name: getattr(data, name) for name in given}
        if values.get("joined_at") is None:
            values["joined_at"] = timezone.now()
        with transaction.atomic():
            customer = Customer.objects.create(external_id=data.external_id, **values)
        changed = ["external_id", *given]
        created = True
    else:
        changed = [n for n in given if getattr(customer, n) != getattr(data, n)]
        for name in changed:
            setattr(customer, name, getattr(data, name))
        if changed:
            customer.save(update_fields=[*changed, "updated_at"])
        created = False
    consent_changes = _apply_consents({customer.pk: data.consents}) if data.consents else 0
    if consent_changes:
        changed.append("consents")
    if changed:
        record_audit(actor=actor, action="create" if created else "update", obj=customer,
                     fields=changed)
    return UpsertResult(customer, created, changed)


def delete_customer(*, actor: Actor, external_id: str) -> None:
    """Delete a customer with their orders and consent records."""
    require(actor, "customers.delete")
    with transaction.atomic():
        customer = Customer.objects.filter(external_id=external_id).first()
        if customer is None:
            raise NotFound(_("No customer with ID %(id)s.") % {"id": external_id})
        pk = customer.pk
        customer.delete()
        record_audit(actor=actor, action="delete", object_type_label="customers.customer",
                     object_id=str(pk), fields=[])


# --- consent ---------------------------------------------------------------------------


def _apply_consents(by_customer: dict[int, list[ConsentIn]]) -> int:
    """Bring consent rows in line with the given grants/withdrawals; returns rows changed.

    Every change is also written as a ConsentEvent. Call inside a transaction.
    """
    now = timezone.now()
    existing = {
        (c.customer_id, c.channel, c.purpose): c
        for c in Consent.objects.filter(customer_id__in=list(by_customer))
    }
    to_create: list[Consent] = []
    to_update: list[Consent] = []
    events: list[ConsentEvent] = []
    for customer_id, items in by_customer.items():
        for item in items:
            key = (customer_id, item.channel.value, item.purpose.value)
            consent = existing.get(key)
            is_new = consent is None
            if consent is None:
                consent = Consent(customer_id=customer_id, channel=key[1], purpose=key[2])
                existing[key] = consent
            at = item.at or now
            actions = _consent_actions(consent, item, at)
            if not actions:
                continue
            consent.source = item.source
            events.extend(
                ConsentEvent(customer_id=customer_id, channel=key[1], purpose=key[2],
                             action=action, at=at, source=item.source)
                for action in actions
            )
            if is_new:
                to_create.append(consent)
            elif consent not in to_update:
                to_update.append(consent)
    Consent.objects.bulk_create(to_create)
    Consent.objects.bulk_update(
        to_update, ["granted_at", "withdrawn_at", "night_granted_at", "source", "updated_at"]
    )
    ConsentEvent.objects.bulk_create(events)
    return len(to_create) + len(to_update)


def _consent_actions(consent: Consent, item: ConsentIn, at: Any) -> list[str]:
    actions = []
    consent.updated_at = timezone.now()
    if item.granted and not consent.is_granted:
        consent.granted_at = at
        consent.withdrawn_at = None
        actions.append(ConsentEvent.Action.GRANT)
    elif not item.granted and consent.is_granted:
        consent.withdrawn_at = at
        consent.night_granted_at = None
        actions.append(ConsentEvent.Action.WITHDRAW)
    elif not item.granted and consent.granted_at is None and consent.withdrawn_at is None:
        # An explicit refusal is recorded too, so "asked and declined" differs
        # from "never asked".
        consent.withdrawn_at = at
        actions.append(ConsentEvent.Action.WITHDRAW)
    if item.granted and item.night and consent.night_granted_at is None:
        consent.night_granted_at = at
        actions.append(ConsentEvent.Action.GRANT_NIGHT)
    elif item.granted and not item.night and consent.night_granted_at is not None:
        consent.night_granted_at = None
        actions.append(ConsentEvent.Action.WITHDRAW_NIGHT)
    return actions


# --- bulk --------------------------------------------------------------------------------


def bulk_upsert_customers(
    *, actor: Actor, rows: Sequence[Any], audit_each: bool = True
) -> BulkResult:
    """Validate and upsert many customers; bad rows are refused by index, the rest kept.

    One transaction for the batch. ``audit_each`` writes an audit row per customer
    (the API); file imports audit the import job instead.
    """
    require(actor, "customers.change")
    valid, result = _validate_batch(CustomerIn, rows)
    if not valid:
        return result
    with transaction.atomic():
        pks, touched = _write_batch(result, Customer, [d for _, d in valid], CUSTOMER_FIELDS,
                                    fill=_default_joined_at)
        with_consents = {pks[d.external_id]: d.consents for _, d in valid if d.consents}
        if with_consents:
            _apply_consents(with_consents)
        if audit_each:
            record_audit_many(actor=actor, action="upsert",
                              objects=[Customer(pk=pk) for pk in pks.values()], fields=touched)
    return result


def _default_joined_at(values: dict[str, Any], now: Any) -> None:
    if values.get("joined_at") is None:
        values["joined_at"] = now


def _validate_batch(schema: type[Any], rows: Sequence[Any]) -> tuple[list[tuple[int, Any]],
                                                                      BulkResult]:
    """Validate ``rows``; returns the valid ones and a result holding the refused ones."""
    valid, rejected = validate_rows(schema, rows)
    valid, duplicates = without_repeated_ids(valid)
    return valid, BulkResult(rejected=sorted(rejected + duplicates, key=lambda r: r.index))


def _write_batch(
    result: BulkResult, model: type[Any], items: list[Any], field_names: Sequence[str], *,
    fill: Any = None, always: Sequence[str] = (),
) -> tuple[dict[str, int], list[str]]:
    """Insert or update validated ``items`` by external id; only given fields change.

    Counts created/updated into ``result``; returns {external_id: pk} and the
    field names written. Call inside a transaction.
    """
    ids = [item.external_id for item in items]
    existing = set(model.objects.filter(external_id__in=ids)
                   .values_list("external_id", flat=True))
    now = timezone.now()
    groups: dict[tuple[str, ...], list[Any]] = {}
    for item in items:
        given = tuple(sorted({*_given_fields(item, field_names), *always}))
        values = {name: getattr(item, name) for name in given}
        if fill is not None:
            fill(values, now)
        groups.setdefault(given, []).append(
            model(external_id=item.external_id, created_at=now, updated_at=now, **values))
    # One statement shape per set of given fields: an update must not blank
    # the fields a row did not mention.
    for given, objects in groups.items():
        model.objects.bulk_create(
            objects, batch_size=500, update_conflicts=True, unique_fields=["external_id"],
            update_fields=[*given, "updated_at"],
        )
    result.created += sum(1 for i in ids if i not in existing)
    result.updated += sum(1 for i in ids if i in existing)
    pks = dict(model.objects.filter(external_id__in=ids).values_list("external_id", "pk"))
    return pks, sorted({f for g in groups for f in g})


def without_repeated_ids(valid: list[tuple[int, Any]]) -> tuple[list[tuple[int, Any]],
                                                                  list[RowProblem]]:
    first: dict[str, int] = {}
    kept, repeated = [], []
    for index, data in valid:
        seen = first.setdefault(data.external_id, index)
        if seen == index:
            kept.append((index, data))
        else:
            message = _("repeats the ID of row %(index)s in the same batch") % {"index": seen}
            repeated.append(RowProblem(index, [FieldProblem("external_id", message)]))
    return kept, repeated


# --- products ------------------------------------------------------------------------------


def upsert_product(*, actor: Actor, data: ProductIn) -> UpsertResult:
    """Create or update one product by external id; idempotent."""
    require(actor, "customers.change")
    with transaction.atomic():
        product = Product.objects.select_for_update().filter(external_id=data.external_id).first()
        given = _given_fields(data, PRODUCT_FIELDS)
        if "currency" not in given:
            given.append("currency")
        if product is None:
            product = Product.objects.create(
                external_id=data.external_id, **{n: getattr(data, n) for n in given}
            )
            changed, created = ["external_id", *given], True
        else:
            changed = [n for n in given if getattr(product, n) != getattr(data, n)]
            for name in changed:
                setattr(product, name, getattr(data, name))
            if changed:
                product.save(update_fields=[*changed, "updated_at"])
            created = False
        if changed:
            record_audit(actor=actor, action="create" if created else "update", obj=product,
                         fields=changed)
    return UpsertResult(product, created, changed)


def bulk_upsert_products(
    *, actor: Actor, rows: Sequence[Any], audit_each: bool = True
) -> BulkResult:
    """Validate and upsert many products; bad rows are refused by index."""
    require(actor, "customers.change")
    valid, result = _validate_batch(ProductIn, rows)
    if not valid:
        return result
    with transaction.atomic():
        pks, touched = _write_batch(result, Product, [d for _, d in valid], PRODUCT_FIELDS,
                                    always=("currency",))
        if audit_each:
            record_audit_many(actor=actor, action="upsert",
                              objects=[Product(pk=pk) for pk in pks.values()], fields=touched)
    return result


def delete_product(*, actor: Actor, external_id: str) -> None:
    """Delete a product; order lines keep its ID but lose the link."""
    require(actor, "customers.delete")
    with transaction.atomic():
        product = Product.objects.filter(external_id=external_id).first()
        if product is None:
            raise NotFound(_("No product with ID %(id)s.") % {"id": external_id})
        pk = product.pk
        product.delete()
        record_audit(actor=actor, action="delete", object_type_label="customers.product",
                     object_id=str(pk))
