"""Who is acting: a staff member in the web app, an API key, or the system itself."""

from dataclasses import dataclass

from django.http import HttpRequest

from dangol.accounts.models import ApiKey, User


@dataclass(frozen=True)
class Actor:
    user: User | None = None
    api_key: ApiKey | None = None
    label: str = ""
    ip: str | None = None

    @property
    def display(self) -> str:
        if self.api_key is not None:
            return f"api:{self.api_key.prefix}"
        if self.user is not None:
            return self.user.email
        return self.label or "system"

    def can(self, permission: str) -> bool:
        if self.api_key is not None:
            return self.api_key.allows(permission)
        if self.user is not None:
            return self.user.has_perm(permission)
        # The system (scheduled jobs, the command line) acts with full rights.
        return True


SYSTEM = Actor(label="system")


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def actor_from_request(request: HttpRequest) -> Actor:
    api_key = getattr(request, "api_key", None)
    if api_key is not None:
        return Actor(user=api_key.created_by, api_key=api_key, ip=client_ip(request))
    user = request.user if request.user.is_authenticated else None
    return Actor(user=user, ip=client_ip(request))  # type: ignore[arg-type]
