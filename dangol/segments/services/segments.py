"""Writes for saved segments: create, change, delete, refresh the cached counts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.accounts.actors import Actor
from dangol.accounts.services import record_audit, require
from dangol.core.errors import FieldProblem, ValidationFailed
from dangol.segments.compiler import Context
from dangol.segments.models import Segment
from dangol.segments.rules import Group, parse_definition
from dangol.segments.selectors import customers_matching, get_segment

NAME_MAX = 100
DESCRIPTION_MAX = 2000


@dataclass(frozen=True)
class SegmentInput:
    """Checked values of a segment form or API body."""

    name: str
    description: str
    definition: Group


def check_segment(*, name: Any, description: Any, definition: Any,
                  exclude_pk: int | None = None) -> SegmentInput:
    """Validate the fields of a segment; raise ValidationFailed naming each bad one
    (``name``, ``description``, ``definition.rules.2.value``…)."""
    problems: list[FieldProblem] = []
    clean_name = name.strip() if isinstance(name, str) else ""
    if not clean_name:
        problems.append(FieldProblem("name", _("Give the segment a name.")))
    elif len(clean_name) > NAME_MAX:
        problems.append(FieldProblem("name", _("At most %(n)d characters.") % {"n": NAME_MAX}))
    elif Segment.objects.filter(name=clean_name).exclude(pk=exclude_pk or 0).exists():
        problems.append(FieldProblem("name", _("Another segment already has this name.")))
    clean_description = description.strip() if isinstance(description, str) else ""
    if len(clean_description) > DESCRIPTION_MAX:
        problems.append(FieldProblem("description", _("At most %(n)d characters.")
                                     % {"n": DESCRIPTION_MAX}))
    group: Group | None = None
    try:
        group = parse_definition(definition)
    except ValidationFailed as error:
        problems.extend(FieldProblem(f"definition.{p.field}" if p.field != "__all__"
                                     else "definition", p.message) for p in error.problems)
    if problems or group is None:
        raise ValidationFailed(problems, _("The segment is not valid."))
    return SegmentInput(clean_name, clean_description, group)


def _count(group: Group) -> int:
    return customers_matching(group, context=Context.now()).count()


def create_segment(*, actor: Actor, name: Any, definition: Any,
                   description: Any = "") -> Segment:
    """Save a new segment with its rules (normalised) and its current member count.

    Writes an audit row. Raises PermissionDenied (segments.manage) and
    ValidationFailed naming each bad field.
    """
    require(actor, "segments.manage")
    data = check_segment(name=name, description=description, definition=definition)
    try:
        with transaction.atomic():
            segment = Segment.objects.create(
                name=data.name, description=data.description,
                definition=data.definition.as_json(), created_by=actor.user,
                member_count=_count(data.definition), counted_at=timezone.now())
            record_audit(actor=actor, action="create", obj=segment,
                         fields=["name", "description", "definition"])
    except IntegrityError:
        # Another request saved the same name between the check and the insert.
        raise ValidationFailed([FieldProblem("name", _("Another segment already has this "
                                                       "name."))]) from None
    return segment


def update_segment(*, actor: Actor, segment_id: int, name: Any = None, definition: Any = None,
                   description: Any = None) -> Segment:
    """Change the given fields (None keeps a field) and recount the members.

    Locks the segment row; writes an audit row naming the changed fields.
    Raises PermissionDenied, NotFound, ValidationFailed.
    """
    require(actor, "segments.manage")
    try:
        with transaction.atomic():
            segment = get_segment(segment_id)
            segment = Segment.objects.select_for_update().get(pk=segment.pk)
            data = check_segment(
                name=segment.name if name is None else name,
                description=segment.description if description is None else description,
                definition=segment.definition if definition is None else definition,
                exclude_pk=segment.pk)
            new = {"name": data.name, "description": data.description,
                   "definition": data.definition.as_json()}
            changed = [key for key, value in new.items() if getattr(segment, key) != value]
            for key in changed:
                setattr(segment, key, new[key])
            segment.member_count = _count(data.definition)
            segment.counted_at = timezone.now()
            segment.save()
            if changed:
                record_audit(actor=actor, action="update", obj=segment, fields=changed)
    except IntegrityError:
        raise ValidationFailed([FieldProblem("name", _("Another segment already has this "
                                                       "name."))]) from None
    return segment


def delete_segment(*, actor: Actor, segment_id: int) -> None:
    """Delete a segment (customers are untouched). Writes an audit row.

    Raises PermissionDenied and NotFound.
    """
    require(actor, "segments.manage")
    with transaction.atomic():
        segment = get_segment(segment_id)
        record_audit(actor=actor, action="delete", object_type_label="segments.segment",
                     object_id=str(segment.pk), fields=["name"])
        segment.delete()


def refresh_member_counts(*, segment_ids: Iterable[int] | None = None) -> int:
    """Recount the members of the segments (all when ``segment_ids`` is None).

    One COUNT query per segment, each written on its own; a segment whose saved
    rules no longer parse gets no count. Safe to run twice. Returns how many
    segments were counted.
    """
    segments = Segment.objects.order_by("pk")
    if segment_ids is not None:
        segments = segments.filter(pk__in=list(segment_ids))
    counted = 0
    context = Context.now()
    for pk, definition in segments.values_list("pk", "definition"):
        try:
            count: int | None = customers_matching(
                Group("all", ()) if definition is None else parse_definition(definition),
                context=context).count()
        except ValidationFailed:
            count = None
        else:
            counted += 1
        Segment.objects.filter(pk=pk).update(member_count=count, counted_at=timezone.now())
    return counted


def record_export(*, actor: Actor, segment: Segment, fmt: str) -> None:
    """Note in the audit log that ``actor`` downloaded the members of ``segment``
    (personal data leaving the system). Raises PermissionDenied without
    customers.export."""
    require(actor, "customers.export")
    record_audit(actor=actor, action="export", obj=segment, fields=[fmt])
