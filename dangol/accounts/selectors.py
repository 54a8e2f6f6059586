"""Reads for staff accounts, API keys and the audit log."""

from django.db.models import QuerySet

from dangol.accounts.models import ApiKey, AuditEntry, User


def list_staff() -> QuerySet[User]:
    return User.objects.order_by("email")


def list_api_keys() -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("created_by").order_by("-created_at")


def list_audit_entries(*, object_type: str = "", object_id: str = "") -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.select_related("actor_user", "actor_api_key")
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id:
        entries = entries.filter(object_id=object_id)
    return entries.order_by("-at", "-id")
