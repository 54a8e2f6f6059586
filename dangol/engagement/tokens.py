"""Signed unsubscribe links: they work without login and cannot be forged or altered."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from dangol.engagement.models import Channel

SALT = "dangol.engagement.unsubscribe"


class BadToken(Exception):
    """The token was not signed by this site or names no channel."""


def unsubscribe_token(*, customer_id: int, channel: str) -> str:
    return signing.Signer(salt=SALT).sign_object({"c": customer_id, "ch": channel})


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """The (customer id, channel) a token stands for; raises BadToken."""
    try:
        data = signing.Signer(salt=SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, UnicodeError):
        raise BadToken(token) from None
    if (not isinstance(data, dict) or not isinstance(data.get("c"), int)
            or data.get("ch") not in Channel.values):
        raise BadToken(token)
    return data["c"], data["ch"]


def unsubscribe_url(*, customer_id: int, channel: str) -> str:
    path = reverse("engagement:unsubscribe",
                   args=[unsubscribe_token(customer_id=customer_id, channel=channel)])
    return settings.DANGOL_PUBLIC_URL.rstrip("/") + path
