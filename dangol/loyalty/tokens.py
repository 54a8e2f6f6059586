"""Signed links to a customer's points page: no login, cannot be forged or altered."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "dangol.loyalty.card"


class BadToken(Exception):
    """The token was not signed by this site."""


def card_token(*, customer_pk: int) -> str:
    return signing.Signer(salt=SALT).sign_object({"c": customer_pk})


def read_card_token(token: str) -> int:
    """The customer id a token stands for; raises BadToken."""
    try:
        data = signing.Signer(salt=SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, UnicodeError):
        raise BadToken(token) from None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int):
        raise BadToken(token)
    return int(data["c"])


def card_url(*, customer_pk: int) -> str:
    path = reverse("loyalty:card", args=[card_token(customer_pk=customer_pk)])
    return settings.DANGOL_PUBLIC_URL.rstrip("/") + path
