"""What SMS providers post back: delivery reports and inbound STOP replies.

Both arrive at ``/engagement/providers/<provider>/…`` signed with the shared
secret ``DANGOL_SMS_WEBHOOK_SECRET``: header ``X-Dangol-Signature:
sha256=<hex HMAC-SHA256 of the raw body>``. A bad request changes nothing.
"""

import hmac
import json
import re
from typing import Annotated, Literal, TypeVar

import phonenumbers
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from dangol.core.errors import DomainError, FieldProblem, NotFound, ValidationFailed
from dangol.customers.selectors import search_customers
from dangol.engagement.delivery import record_delivery_report
from dangol.engagement.models import Channel
from dangol.engagement.providers import PROVIDERS, sign_report
from dangol.engagement.services import withdraw_ad_consent

SIGNATURE_HEADER = "X-Dangol-Signature"
MAX_REPORTS = 1000
# TCPA (FCC 24-18) names these; 수신거부/거부/중지 are what Korean recipients reply.
STOP_WORDS = {"stop", "quit", "end", "revoke", "opt out", "optout", "cancel", "unsubscribe",
              "stopall", "수신거부", "거부", "중지", "수신중지", "광고거부"}


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message_id: Annotated[str, Field(min_length=1, max_length=128)]
    status: Literal["delivered", "failed"]
    reference: Annotated[str, Field(max_length=64)] = ""
    error: Annotated[str, Field(max_length=2000)] = ""
    at: AwareDatetime | None = None


class ReportsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reports: Annotated[list[ReportIn], Field(min_length=1, max_length=MAX_REPORTS)]


class InboundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sender: Annotated[str, Field(alias="from", min_length=3, max_length=32)]
    text: Annotated[str, Field(max_length=2000)]
    at: AwareDatetime | None = None


def check_request(*, provider: str, body: bytes, signature: str) -> None:
    """Refuse an unknown provider (404) or a body without a valid signature (401/403)."""
    if provider not in PROVIDERS:
        raise NotFound(_("Unknown provider: %(name)s") % {"name": provider},
                       code="unknown_provider")
    secret = settings.DANGOL_SMS_WEBHOOK_SECRET
    if not secret:
        raise DomainError(_("Provider reports are off: DANGOL_SMS_WEBHOOK_SECRET is not set."),
                          code="reports_disabled", status=403)
    if not hmac.compare_digest(sign_report(body, secret), signature.strip()):
        raise DomainError(_("The %(header)s header does not match the body.")
                          % {"header": SIGNATURE_HEADER}, code="bad_signature", status=401)


M = TypeVar("M", bound=BaseModel)


def _parse(model: type[M], body: bytes) -> M:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed([FieldProblem("__all__", _("The body is not JSON."))],
                               _("The report cannot be read.")) from None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = [FieldProblem(".".join(str(p) for p in item["loc"]) or "__all__",
                                 str(item["msg"]))
                    for item in error.errors(include_url=False)]
        raise ValidationFailed(problems, _("The report cannot be read.")) from None


def parse_reports(body: bytes) -> list[ReportIn]:
    """One report object, or ``{"reports": [...]}``; ValidationFailed names bad fields."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        data = None
    if isinstance(data, dict) and "reports" in data:
        return list(_parse(ReportsIn, body).reports)
    return [_parse(ReportIn, body)]


@transaction.atomic
def apply_reports(*, provider: str, reports: list[ReportIn]) -> dict[str, int]:
    """Record every report or none: an unknown message id refuses the whole batch (404).

    Returns counts of changed and repeated (harmless) reports.
    """
    changed = repeated = 0
    for index, report in enumerate(reports):
        outcome = record_delivery_report(
            provider=provider, provider_message_id=report.message_id,
            delivered=report.status == "delivered", reference=report.reference,
            detail=report.error, at=report.at)
        if outcome is None:
            field = "message_id" if len(reports) == 1 else f"reports.{index}.message_id"
            raise _unknown(field, report.message_id)
        if outcome.changed:
            changed += 1
        else:
            repeated += 1
    return {"changed": changed, "repeated": repeated}


def _unknown(field: str, message_id: str) -> DomainError:
    error = ValidationFailed(
        [FieldProblem(field, _("No message has this id: %(id)s") % {"id": message_id})],
        _("The report names an unknown message."))
    error.code = "unknown_message"
    error.status = 404
    return error


def parse_inbound(body: bytes) -> InboundIn:
    return _parse(InboundIn, body)


def is_stop(text: str) -> bool:
    words = re.sub(r"[^\w\s]", " ", text.casefold()).split()
    normalised = " ".join(words)
    return normalised in STOP_WORDS or (bool(words) and words[0] in STOP_WORDS)


def apply_inbound(*, inbound: InboundIn) -> int:
    """A reply that says STOP withdraws SMS ad consent of every customer with that number.

    Returns how many customers opted out (0 for any other reply).
    """
    if not is_stop(inbound.text):
        return 0
    try:
        number = phonenumbers.parse(inbound.sender, settings.DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return 0
    phone = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    ids = list(search_customers(q=phone).filter(phone=phone).values_list("pk", flat=True))
    for pk in ids:
        withdraw_ad_consent(customer_id=pk, channel=Channel.SMS, source="sms:stop")
    return len(ids)
