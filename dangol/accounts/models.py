import hashlib
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangol.accounts.permissions import Role, role_has
from dangol.core.models import TimeStampedModel


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        if not email:
            raise ValueError("A staff account needs an e-mail address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra["role"] = Role.OWNER
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser):
    """A member of staff. The role decides what they may do (see permissions.py)."""

    email = models.EmailField(_("e-mail"), unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    language = models.CharField(_("language"), max_length=8, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.name or self.email

    # Django's admin asks these; only owners enter the admin site.
    @property
    def is_staff(self) -> bool:
        return self.is_active and self.role == Role.OWNER

    @property
    def is_superuser(self) -> bool:
        return self.is_active and self.role == Role.OWNER

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return self.is_active and role_has(self.role, perm)

    def has_perms(self, perm_list: object, obj: object = None) -> bool:
        return all(self.has_perm(p) for p in perm_list)  # type: ignore[attr-defined]

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_staff


def hash_api_secret(secret: str) -> str:
    # API secrets are 256-bit random strings, so a fast hash is enough: there is
    # nothing to brute-force, unlike a password.
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKey(TimeStampedModel):
    """A key for the REST API. Only its hash is stored; the key is shown once."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_keys")
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    def is_usable(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        if self.revoked_at is not None or not self.created_by.is_active:
            return False
        return self.expires_at is None or self.expires_at > now

    def allows(self, permission: str) -> bool:
        # A key never outlives its creator's rights: both must allow the action.
        return permission in self.scopes and self.created_by.has_perm(permission)


class AuditEntry(models.Model):
    """Who changed what: the object and the names of the fields, never their secrets."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=120, blank=True)
    action = models.CharField(max_length=32)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    fields = models.JSONField(default=list, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}"
