"""Recording and removing competitor and industry benchmarks (writes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from dangol.accounts.actors import Actor
from dangol.accounts.services import record_audit, require
from dangol.core.errors import FieldProblem, NotFound, ValidationFailed
from dangol.stats.benchmarks import RANGES
from dangol.surveys.benchmark_models import Benchmark

FIELDS = ("kind", "competitor", "metric", "value", "n", "ci_low", "ci_high", "period_start",
          "period_end", "source")
SOURCE_MAX = 2000


def record_benchmark(*, actor: Actor, values: Mapping[str, Any]) -> Benchmark:
    """Store one benchmark figure. Needs ``surveys.manage``; writes an audit row.

    Raises ValidationFailed naming each bad field (nothing is saved), PermissionDenied.
    """
    require(actor, "surveys.manage")
    cleaned = clean_benchmark(values)
    with transaction.atomic():
        benchmark = Benchmark.objects.create(created_by=actor.user, **cleaned)
        record_audit(actor=actor, action="create", obj=benchmark, fields=list(cleaned))
    return benchmark


def delete_benchmark(*, actor: Actor, benchmark_id: int) -> None:
    """Remove a benchmark. Needs ``surveys.manage``; writes an audit row.

    Raises NotFound, PermissionDenied.
    """
    require(actor, "surveys.manage")
    with transaction.atomic():
        benchmark = Benchmark.objects.select_for_update().filter(pk=benchmark_id).first()
        if benchmark is None:
            raise NotFound(_("No such benchmark."))
        record_audit(actor=actor, action="delete", obj=benchmark)
        benchmark.delete()


def clean_benchmark(values: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a benchmark, checked; raises ValidationFailed naming each bad one."""
    problems: list[FieldProblem] = []
    data: dict[str, Any] = {}
    kind = str(values.get("kind") or "").strip()
    if kind not in Benchmark.Kind.values:
        problems.append(FieldProblem("kind", _("Use competitor or industry.")))
    data["kind"] = kind
    competitor = str(values.get("competitor") or "").strip()
    if kind == Benchmark.Kind.COMPETITOR and not competitor:
        problems.append(FieldProblem("competitor", _("Name the competitor.")))
    if len(competitor) > 100:
        problems.append(FieldProblem("competitor", _("At most 100 characters.")))
    data["competitor"] = competitor if kind == Benchmark.Kind.COMPETITOR else ""
    metric = str(values.get("metric") or "").strip()
    if metric not in Benchmark.Metric.values:
        problems.append(FieldProblem("metric", _("Use one of: %(values)s.")
                                     % {"values": ", ".join(Benchmark.Metric.values)}))
    data["metric"] = metric
    low, high = RANGES.get(metric, (-100.0, 100.0))
    for name in ("value", "ci_low", "ci_high"):
        number, problem = _decimal(values.get(name), required=name == "value")
        if problem:
            problems.append(FieldProblem(name, problem))
        elif number is not None and not Decimal(str(low)) <= number <= Decimal(str(high)):
            problems.append(FieldProblem(name, _("A number from %(low)s to %(high)s.")
                                         % {"low": f"{low:g}", "high": f"{high:g}"}))
        data[name] = number
    if (data["ci_low"] is None) != (data["ci_high"] is None):
        name = "ci_high" if data["ci_high"] is None else "ci_low"
        problems.append(FieldProblem(name, _("Give both ends of the interval, or neither.")))
    elif data["ci_low"] is not None and data["value"] is not None \
            and not data["ci_low"] <= data["value"] <= data["ci_high"]:
        problems.append(FieldProblem("ci_low", _("The interval must contain the value.")))
    data["n"], problem = _sample_size(values.get("n"))
    if problem:
        problems.append(FieldProblem("n", problem))
    for name in ("period_start", "period_end"):
        data[name], problem = _date(values.get(name))
        if problem:
            problems.append(FieldProblem(name, problem))
    if data["period_start"] and data["period_end"] and data["period_end"] < data["period_start"]:
        problems.append(FieldProblem("period_end", _("The period cannot end before it starts.")))
    source = str(values.get("source") or "").strip()
    if len(source) > SOURCE_MAX:
        problems.append(FieldProblem("source", _("At most %(n)s characters.") % {"n": SOURCE_MAX}))
    data["source"] = source
    if problems:
        raise ValidationFailed(problems, _("The benchmark cannot be saved."))
    return data


def _decimal(raw: Any, *, required: bool) -> tuple[Decimal | None, str]:
    text = "" if raw is None else str(raw).strip().replace(",", "")
    if not text:
        return None, _("Enter a number.") if required else ""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None, _("Enter a number.")
    if not number.is_finite():
        return None, _("Enter a number.")
    return number.quantize(Decimal("0.01")), ""


def _sample_size(raw: Any) -> tuple[int | None, str]:
    text = "" if raw is None else str(raw).strip().replace(",", "")
    if not text:
        return None, ""
    try:
        n = int(text)
    except ValueError:
        return None, _("A whole number of respondents, 2 or more.")
    if not 2 <= n <= 100_000_000:
        return None, _("A whole number of respondents, 2 or more.")
    return n, ""


def _date(raw: Any) -> tuple[dt.date | None, str]:
    if isinstance(raw, dt.date):
        return raw, ""
    text = "" if raw is None else str(raw).strip()
    if not text:
        return None, _("Enter a date.")
    try:
        return dt.date.fromisoformat(text), ""
    except ValueError:
        return None, _("Enter a date as YYYY-MM-DD.")
