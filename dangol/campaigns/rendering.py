"""Personalised text: ``{{name}}``-style placeholders filled in per customer.

Placeholders are a fixed list (never Django template code written by staff); a
value is plain text, and the e-mail's HTML part escapes it.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangol.core.errors import FieldProblem

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
PLACEHOLDERS = {
    "name": gettext_lazy("the customer's name"),
    "tier": gettext_lazy("loyalty tier"),
    "points": gettext_lazy("points balance"),
    "region": gettext_lazy("region"),
    "customer_id": gettext_lazy("customer ID"),
    # Product suggestions make a message an ad (AD_ONLY_PLACEHOLDERS).
    "recommendations": gettext_lazy("top 3 recommended products"),
}
# A journey's message may also show what the journey gave the customer.
JOURNEY_PLACEHOLDERS = {
    **PLACEHOLDERS,
    "coupon": gettext_lazy("the coupon code"),
    "coupon_expires": gettext_lazy("the coupon's last day"),
    "reward_points": gettext_lazy("points given"),
}


# Placeholders that make a message an ad whatever else it says (COMPLIANCE.md R1).
AD_ONLY_PLACEHOLDERS = frozenset({"recommendations"})


def ad_only_placeholders(*texts: str) -> set[str]:
    """The ad-only placeholders that ``texts`` use."""
    return {m.group(1) for text in texts for m in PLACEHOLDER.finditer(text)
            } & AD_ONLY_PLACEHOLDERS


def template_problems(field: str, text: str,
                      known: Mapping[str, object] = PLACEHOLDERS) -> list[FieldProblem]:
    """Unknown or broken placeholders in ``text``, named by ``field``."""
    problems = []
    unknown = sorted({m.group(1) for m in PLACEHOLDER.finditer(text)} - known.keys())
    if unknown:
        problems.append(FieldProblem(field, _(
            "Unknown placeholder %(names)s. Use one of: %(known)s.") % {
                "names": ", ".join(f"{{{{{n}}}}}" for n in unknown),
                "known": ", ".join(f"{{{{{n}}}}}" for n in known)}))
    leftover = PLACEHOLDER.sub("", text)
    if "{{" in leftover or "}}" in leftover or "{%" in leftover:
        problems.append(FieldProblem(field, _(
            "A placeholder is written {{name}}: two braces, a name, two braces.")))
    return problems


def fill(text: str, values: Mapping[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), text)


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    html_body: str | None


def render(*, channel: str, subject: str, body: str, values: Mapping[str, str],
           brand: object | None, language: str) -> Rendered:
    """The message for one customer: text, and for e-mail an HTML part in the brand's look."""
    text = fill(body, values).strip()
    if channel != "email":
        return Rendered(subject="", body=text, html_body=None)
    html = render_to_string("campaigns/email.html", {
        "body": text, "brand": brand, "language": language})
    return Rendered(subject=fill(subject, values).strip(), body=text, html_body=html)
