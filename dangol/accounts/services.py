"""Writes for staff accounts, API keys and the audit log."""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.accounts import permissions
from dangol.accounts.actors import Actor
from dangol.accounts.models import ApiKey, AuditEntry, User, hash_api_secret
from dangol.core.errors import DomainError, NotFound, PermissionDenied

# Fields whose values are never written anywhere but their own column.
SECRET_FIELDS = frozenset({"password", "secret_hash"})


def object_type(model: type[Model] | Model) -> str:
    return model._meta.label_lower


def record_audit(
    *,
    actor: Actor,
    action: str,
    obj: Model | None = None,
    object_type_label: str = "",
    object_id: str = "",
    fields: Iterable[str] = (),
) -> AuditEntry:
    """Write one audit row naming the object and the changed field names."""
    return AuditEntry.objects.create(**_audit_values(actor, action, obj, object_type_label,
                                                     object_id, fields))


def record_audit_many(*, actor: Actor, action: str, objects: Iterable[Model],
                      fields: Iterable[str] = ()) -> None:
    """Write one audit row per object in a single insert (bulk API writes)."""
    names = list(fields)
    AuditEntry.objects.bulk_create(
        [AuditEntry(**_audit_values(actor, action, obj, "", "", names)) for obj in objects],
        batch_size=1000,
    )


def _audit_values(actor: Actor, action: str, obj: Model | None, type_label: str,
                  object_id: str, fields: Iterable[str]) -> dict[str, object]:
    return {
        "actor_user": actor.user,
        "actor_api_key": actor.api_key,
        "actor_label": actor.display,
        "action": action,
        "object_type": object_type(obj) if obj is not None else type_label,
        "object_id": str(obj.pk) if obj is not None else object_id,
        "fields": sorted(set(fields) - SECRET_FIELDS),
        "ip": actor.ip,
    }


def require(actor: Actor, permission: str) -> None:
    """Raise PermissionDenied unless ``actor`` holds ``permission``."""
    if not actor.can(permission):
        raise PermissionDenied(_("You do not have permission to do this (%(perm)s).")
                               % {"perm": permission})


@dataclass(frozen=True)
class IssuedApiKey:
    api_key: ApiKey
    token: str  # shown to the creator once, never stored


def create_api_key(
    *, actor: Actor, name: str, scopes: list[str], expires_at: datetime | None = None
) -> IssuedApiKey:
    """Issue a new API key with ``scopes``; returns the only copy of its token.

    Raises PermissionDenied if the actor may not manage keys or grants a scope
    they do not hold themselves; DomainError for an unknown scope or empty name.
    """
    require(actor, "accounts.manage_api_keys")
    if actor.user is None:
        raise PermissionDenied(_("API keys are created by a staff member."))
    name = name.strip()
    if not name:
        raise DomainError(_("Give the key a name."), code="name_required")
    unknown = [s for s in scopes if not permissions.is_known(s)]
    if unknown:
        raise DomainError(_("Unknown scope: %(scope)s") % {"scope": ", ".join(unknown)},
                          code="unknown_scope")
    beyond = [s for s in scopes if not actor.user.has_perm(s)]
    if beyond:
        raise PermissionDenied(_("You cannot grant a scope you do not hold: %(scope)s")
                               % {"scope": ", ".join(beyond)})
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        key = ApiKey.objects.create(
            name=name,
            prefix=prefix,
            secret_hash=hash_api_secret(secret),
            scopes=sorted(set(scopes)),
            created_by=actor.user,
            expires_at=expires_at,
        )
        record_audit(actor=actor, action="create", obj=key, fields=["name", "scopes"])
    return IssuedApiKey(api_key=key, token=f"dg_{prefix}_{secret}")


def revoke_api_key(*, actor: Actor, key_id: int) -> ApiKey:
    """Revoke a key at once; requests with it fail from then on."""
    require(actor, "accounts.manage_api_keys")
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().filter(pk=key_id).first()
        if key is None:
            raise NotFound(_("No such API key."))
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at", "updated_at"])
            record_audit(actor=actor, action="revoke", obj=key, fields=["revoked_at"])
    return key


def authenticate_api_token(token: str) -> ApiKey | None:
    """Find the usable key for ``token`` (``dg_<prefix>_<secret>``), else None."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != "dg":
        return None
    key = ApiKey.objects.select_related("created_by").filter(prefix=parts[1]).first()
    if key is None or not secrets.compare_digest(key.secret_hash, hash_api_secret(parts[2])):
        return None
    if not key.is_usable():
        return None
    now = timezone.now()
    # Writing on every request would serialise API traffic on one row; once a
    # minute is enough to tell which keys are in use.
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


def create_staff(
    *, actor: Actor, email: str, name: str, role: str, password: str
) -> User:
    """Create a staff account. Only an owner may create another owner."""
    require(actor, "accounts.manage_staff")
    _check_role_change(actor, role)
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise DomainError(_("A staff member with this e-mail already exists."),
                          code="email_taken")
    with transaction.atomic():
        user = User.objects.create_user(email, password, name=name.strip(), role=role)
        record_audit(actor=actor, action="create", obj=user, fields=["email", "name", "role"])
    return user


def change_role(*, actor: Actor, user_id: int, role: str) -> User:
    """Give a staff member another role; an owner cannot demote the last owner."""
    require(actor, "accounts.manage_staff")
    _check_role_change(actor, role)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise NotFound(_("No such staff member."))
        if user.role == permissions.Role.OWNER and role != permissions.Role.OWNER:
            _check_role_change(actor, user.role)
            others = User.objects.filter(role=permissions.Role.OWNER, is_active=True)
            if not others.exclude(pk=user.pk).exists():
                raise DomainError(_("The last owner cannot be demoted."), code="last_owner")
        user.role = role
        user.save(update_fields=["role"])
        record_audit(actor=actor, action="update", obj=user, fields=["role"])
    return user


def set_active(*, actor: Actor, user_id: int, active: bool) -> User:
    """Deactivate or reactivate a staff member; their sessions and keys stop working."""
    require(actor, "accounts.manage_staff")
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise NotFound(_("No such staff member."))
        if user.role == permissions.Role.OWNER:
            _check_role_change(actor, user.role)
        user.is_active = active
        user.save(update_fields=["is_active"])
        record_audit(actor=actor, action="activate" if active else "deactivate", obj=user,
                     fields=["is_active"])
    return user


def _check_role_change(actor: Actor, role: str) -> None:
    if role not in permissions.ALL_ROLES:
        raise DomainError(_("Unknown role: %(role)s") % {"role": role}, code="unknown_role")
    is_owner = actor.user is not None and actor.user.role == permissions.Role.OWNER
    if role == permissions.Role.OWNER and not is_owner and actor.user is not None:
        raise PermissionDenied(_("Only an owner can grant or change the owner role."))
