"""What each staff role may do.

A permission is a dotted code such as ``customers.change``. Each app registers
its own codes (in its AppConfig.ready) with the roles that hold them; owners
hold every permission. API key scopes are the same codes, so a key can never do
more than a staff member with the same permission could.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    ANALYST = "analyst", _("Analyst")
    MARKETER = "marketer", _("Marketer")
    AGENT = "agent", _("Agent")


ALL_ROLES = frozenset(Role.values)


@dataclass(frozen=True)
class Permission:
    code: str
    label: str | Promise
    roles: frozenset[str]


_registry: dict[str, Permission] = {}


def register(code: str, label: str | Promise, roles: set[str] | frozenset[str]) -> None:
    """Declare permission ``code``, held by ``roles`` (owners always hold it)."""
    unknown = set(roles) - ALL_ROLES
    if unknown:
        raise ValueError(f"unknown roles for {code}: {sorted(unknown)}")
    _registry[code] = Permission(code, label, frozenset(roles) | {Role.OWNER.value})


def all_permissions() -> list[Permission]:
    return sorted(_registry.values(), key=lambda p: p.code)


def is_known(code: str) -> bool:
    return code in _registry


def role_has(role: str, code: str) -> bool:
    if role == Role.OWNER:
        return True
    permission = _registry.get(code)
    return permission is not None and role in permission.roles


def role_permissions(role: str) -> set[str]:
    return {code for code in _registry if role_has(role, code)}


def register_defaults() -> None:
    register("accounts.manage_staff", _("Manage staff accounts"), {Role.ADMIN})
    register("accounts.manage_api_keys", _("Manage API keys"), {Role.ADMIN})
    register("accounts.view_audit_log", _("View the audit log"), {Role.ADMIN})
