"""REST endpoints for competitor and industry benchmarks (thin: parse, authorise, call)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from dangol.accounts.actors import actor_from_request
from dangol.accounts.services import require
from dangol.surveys import benchmarks_selectors as selectors
from dangol.surveys import benchmarks_services as services
from dangol.surveys.benchmark_models import Benchmark

router = Router(tags=["benchmarks"])


class BenchmarkErrorOut(Schema):
    code: str
    message: str
    errors: list[dict[str, str]] | None = None


class BenchmarkIn(Schema):
    kind: str = Field(description="competitor or industry")
    competitor: str = Field("", description="the competitor's name (kind competitor)")
    metric: str = Field(description="nps, csat_top2 (% satisfied), csat_mean or ces_mean")
    value: float
    n: int | None = Field(None, description="respondents behind the figure, if published")
    ci_low: float | None = Field(None, description="published interval, low end")
    ci_high: float | None = Field(None, description="published interval, high end")
    period_start: date
    period_end: date
    source: str = Field("", description="where the figure comes from")


class BenchmarkOut(Schema):
    id: int
    kind: str
    competitor: str
    metric: str
    value: float
    n: int | None
    ci_low: float | None
    ci_high: float | None
    period_start: date
    period_end: date
    source: str


class OwnScoreOut(Schema):
    value: float
    n: int
    low: float
    high: float


class ComparisonOut(Schema):
    benchmark: BenchmarkOut
    own: OwnScoreOut | None
    difference: float | None = Field(description="own − benchmark")
    difference_low: float | None
    difference_high: float | None
    p_value: float | None
    significant: bool | None = Field(description="null when no test is possible")
    basis: str | None = Field(description="interval, n, n_bound (conservative) or none")
    verdict: str = Field(description="higher, lower, no_difference, untested or no_data")


def _out(benchmark: Benchmark) -> dict[str, Any]:
    def number(value: Any) -> float | None:
        return None if value is None else float(value)

    return {"id": benchmark.pk, "kind": benchmark.kind, "competitor": benchmark.competitor,
            "metric": benchmark.metric, "value": float(benchmark.value), "n": benchmark.n,
            "ci_low": number(benchmark.ci_low), "ci_high": number(benchmark.ci_high),
            "period_start": benchmark.period_start, "period_end": benchmark.period_end,
            "source": benchmark.source}


@router.get("", response=list[BenchmarkOut])
def list_benchmarks(request: HttpRequest, metric: str = "", kind: str = "") -> list[Any]:
    """Recorded benchmarks, by metric and newest period first."""
    require(actor_from_request(request), "surveys.view")
    return [_out(b) for b in selectors.list_benchmarks(metric=metric, kind=kind)]


@router.post("", response={201: BenchmarkOut, 403: BenchmarkErrorOut, 422: BenchmarkErrorOut})
def create_benchmark(request: HttpRequest, payload: BenchmarkIn) -> Status[dict[str, Any]]:
    """Record a competitor's or the industry's published figure."""
    benchmark = services.record_benchmark(actor=actor_from_request(request),
                                          values=payload.model_dump())
    return Status(201, _out(benchmark))


@router.get("/comparison", response=list[ComparisonOut])
def compare(request: HttpRequest, metric: str = "", kind: str = "") -> list[Any]:
    """Each benchmark beside the business's own score for the same metric and period,
    with the difference, its 95 % interval and whether it is significant."""
    require(actor_from_request(request), "surveys.view")
    rows = selectors.compare_benchmarks(list(selectors.list_benchmarks(metric=metric,
                                                                       kind=kind)))
    out = []
    for row in rows:
        c = row.comparison
        out.append({
            "benchmark": _out(row.benchmark),
            "own": None if row.own is None else {"value": row.own.value, "n": row.own.n,
                                                 "low": row.own.low, "high": row.own.high},
            "difference": c.difference if c else None,
            "difference_low": c.interval.low if c and c.interval else None,
            "difference_high": c.interval.high if c and c.interval else None,
            "p_value": c.p_value if c else None,
            "significant": c.significant if c else None,
            "basis": c.basis if c else None,
            "verdict": row.verdict,
        })
    return out


@router.delete("/{benchmark_id}", response={204: None, 403: BenchmarkErrorOut,
                                            404: BenchmarkErrorOut})
def delete_benchmark(request: HttpRequest, benchmark_id: int) -> Status[None]:
    services.delete_benchmark(actor=actor_from_request(request), benchmark_id=benchmark_id)
    return Status(204, None)
