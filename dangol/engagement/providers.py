"""SMS and KakaoTalk providers behind one small interface, chosen by settings.

``DANGOL_SMS_PROVIDER`` names the adapter: ``http`` (a generic JSON API) or
``solapi``. Each adapter turns a Message into its provider's request and the
reply into a Sent, or raises SendFailed (retriable unless ``permanent``).
"""

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from typing import Any, ClassVar

import phonenumbers
from django.conf import settings

from dangol.engagement.channels import SendFailed, Sent
from dangol.engagement.models import Channel, Message, Purpose

TIMEOUT_SECONDS = 15
# An SMS holds 90 bytes of EUC-KR (45 Hangul); longer texts go as LMS.
SMS_MAX_BYTES = 90
# Sent with each message so reports and providers can name it by our id.
REFERENCE_PREFIX = "dangol-"


def sms_type(text: str) -> str:
    try:
        size = len(text.encode("euc-kr"))
    except UnicodeEncodeError:
        size = SMS_MAX_BYTES + 1  # characters EUC-KR lacks (emoji) need LMS
    return "SMS" if size <= SMS_MAX_BYTES else "LMS"


def national_number(phone: str) -> str:
    """``+821012345678`` as Korean providers want it (``01012345678``); others unchanged."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return phone
    if number.country_code != 82:
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL) \
        .replace("-", "").replace(" ", "")


class Provider(ABC):
    """One SMS/KakaoTalk provider. Subclasses set ``name`` and implement ``send``."""

    name: ClassVar[str] = ""

    def __init__(self) -> None:
        self.url = settings.DANGOL_SMS_URL
        self.api_key = settings.DANGOL_SMS_API_KEY
        self.api_secret = settings.DANGOL_SMS_API_SECRET
        self.sender = settings.DANGOL_SMS_SENDER

    @abstractmethod
    def send(self, message: Message) -> Sent:
        """Hand ``message`` to the provider; raises SendFailed."""

    def _post(self, url: str, payload: dict[str, Any], headers: dict[str, str]) -> Any:
        """POST ``payload`` as JSON and return the decoded JSON reply; raises SendFailed."""
        if not url.startswith(("http://", "https://")):
            raise SendFailed(f"{self.name}: DANGOL_SMS_URL must be an http(s) URL",
                             permanent=True)
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            url, data=json.dumps(payload).encode(), method="POST",
            headers={"Content-Type": "application/json; charset=utf-8",
                     "Accept": "application/json", **headers},
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as reply:  # noqa: S310
                raw = reply.read()
        except urllib.error.HTTPError as error:
            detail = error.read()[:500].decode("utf-8", "replace")
            # 408/429 and 5xx may pass; other 4xx replies will not change on retry.
            retriable = error.code >= 500 or error.code in {408, 429}
            raise SendFailed(f"{self.name}: HTTP {error.code} {detail}",
                             permanent=not retriable) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise SendFailed(f"{self.name}: {error}", permanent=False) from None
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            raise SendFailed(f"{self.name}: the reply is not JSON", permanent=False) from None


class HttpProvider(Provider):
    """A generic HTTP SMS API.

    ``POST DANGOL_SMS_URL`` with ``X-API-Key`` and JSON ``{to, from, text, type,
    reference}``; ``type`` is SMS, LMS or KAKAO and ``reference`` is the outbox id
    (providers that honour it drop a repeated send). The reply's ``message_id``
    (or ``id``) names the message in delivery reports.
    """

    name = "http"

    def send(self, message: Message) -> Sent:
        kind = "KAKAO" if message.channel == Channel.KAKAO else sms_type(message.body)
        payload = {"to": message.to_address, "from": self.sender, "text": message.body,
                   "type": kind, "reference": f"{REFERENCE_PREFIX}{message.pk}"}
        reply = self._post(self.url, payload, {"X-API-Key": self.api_key})
        provider_id = reply.get("message_id") or reply.get("id") if isinstance(reply, dict) \
            else None
        if not provider_id:
            raise SendFailed(f"{self.name}: the reply names no message_id", permanent=False)
        return Sent(self.name, str(provider_id))


class SolapiProvider(Provider):
    """Solapi (COMPLIANCE.md R22): ``POST /messages/v4/send-many/detail``.

    Authorization is ``HMAC-SHA256 apiKey=…, date=…, salt=…, signature=…`` where
    the signature is HMAC-SHA256 of date + salt under the API secret. KakaoTalk
    goes as a FriendTalk (CTA) through the channel ``DANGOL_KAKAO_PF_ID``.
    """

    name = "solapi"
    default_url = "https://api.solapi.com"

    def authorization(self, *, date: str | None = None, salt: str | None = None) -> str:
        date = date or datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        salt = salt or secrets.token_hex(16)
        signature = hmac.new(self.api_secret.encode(), (date + salt).encode(),
                             hashlib.sha256).hexdigest()
        return f"HMAC-SHA256 apiKey={self.api_key}, date={date}, salt={salt}, " \
               f"signature={signature}"

    def send(self, message: Message) -> Sent:
        item: dict[str, Any] = {"to": national_number(message.to_address),
                                "from": self.sender, "text": message.body}
        if message.channel == Channel.KAKAO:
            item["type"] = "CTA"
            item["kakaoOptions"] = {"pfId": settings.DANGOL_KAKAO_PF_ID,
                                    "adFlag": message.purpose == Purpose.AD}
        else:
            item["type"] = sms_type(message.body)
        url = (self.url or self.default_url).rstrip("/") + "/messages/v4/send-many/detail"
        reply = self._post(url, {"messages": [item]}, {"Authorization": self.authorization()})
        listed = reply.get("messageList") if isinstance(reply, dict) else None
        if isinstance(listed, dict):
            listed = list(listed.values())
        failed = reply.get("failedMessageList") if isinstance(reply, dict) else None
        if failed:
            reason = failed[0].get("statusMessage", "") if isinstance(failed[0], dict) else ""
            raise SendFailed(f"{self.name}: refused: {reason}", permanent=True)
        if not listed or not isinstance(listed[0], dict) or not listed[0].get("messageId"):
            raise SendFailed(f"{self.name}: the reply names no messageId", permanent=False)
        return Sent(self.name, str(listed[0]["messageId"]))


PROVIDERS: dict[str, type[Provider]] = {p.name: p for p in (HttpProvider, SolapiProvider)}


def get_provider() -> Provider:
    """The adapter ``DANGOL_SMS_PROVIDER`` names; SendFailed (permanent) when none is set."""
    name = settings.DANGOL_SMS_PROVIDER
    cls = PROVIDERS.get(name)
    if cls is None:
        raise SendFailed(f"no SMS provider configured (DANGOL_SMS_PROVIDER={name!r})",
                         permanent=True)
    return cls()


def sign_report(body: bytes, secret: str) -> str:
    """The ``X-Dangol-Signature`` value of a delivery-report body: ``sha256=<hex>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
