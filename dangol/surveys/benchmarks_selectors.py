"""Reads for benchmarks: the list, and each figure beside the business's own score.

The own score of a period counts, in SQL, the completed answers to every NPS, CSAT or
CES question of every survey (any version) completed within the period's days in the
business's time zone.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from dangol.stats import survey as survey_stats
from dangol.stats.benchmarks import BenchmarkComparison, compare_to_benchmark
from dangol.stats.errors import StatsError
from dangol.surveys.benchmark_models import Benchmark
from dangol.surveys.definition import Definition, QuestionType
from dangol.surveys.models import Answer, Response, SurveyVersion

QUESTION_TYPE = {
    Benchmark.Metric.NPS: QuestionType.NPS,
    Benchmark.Metric.CSAT_TOP2: QuestionType.CSAT,
    Benchmark.Metric.CSAT_MEAN: QuestionType.CSAT,
    Benchmark.Metric.CES_MEAN: QuestionType.CES,
}
SCALE = {QuestionType.NPS: (0, 10), QuestionType.CSAT: (1, 5), QuestionType.CES: (1, 7)}


@dataclass(frozen=True)
class OwnScore:
    value: float
    n: int
    low: float
    high: float
    standard_error: float


@dataclass(frozen=True)
class ComparisonRow:
    benchmark: Benchmark
    own: OwnScore | None
    comparison: BenchmarkComparison | None

    @property
    def verdict(self) -> str:
        """higher / lower / no_difference (tested), untested (benchmark's n unknown),
        no_data (no own answers in the period)."""
        if self.own is None or self.comparison is None:
            return "no_data"
        if self.comparison.significant is None:
            return "untested"
        if not self.comparison.significant:
            return "no_difference"
        return "higher" if self.comparison.difference > 0 else "lower"


def list_benchmarks(*, metric: str = "", kind: str = "") -> QuerySet[Benchmark]:
    benchmarks = Benchmark.objects.all()
    if metric:
        benchmarks = benchmarks.filter(metric=metric)
    if kind:
        benchmarks = benchmarks.filter(kind=kind)
    return benchmarks


def question_keys(question_type: QuestionType) -> dict[int, set[str]]:
    """Survey id → keys of its questions of ``question_type``, over all versions."""
    keys: dict[int, set[str]] = {}
    for survey_id, definition in SurveyVersion.objects.values_list("survey_id", "definition"):
        for question in Definition.model_validate(definition).questions:
            if question.type == question_type:
                keys.setdefault(survey_id, set()).add(question.key)
    return keys


def own_score(*, metric: str, since: dt.date, until: dt.date,
              keys: dict[int, set[str]] | None = None) -> OwnScore | None:
    """The business's own ``metric`` over completed answers of ``since``..``until``
    (both days included), with its 95 % interval; None without answers."""
    question_type = QUESTION_TYPE[Benchmark.Metric(metric)]
    keys = question_keys(question_type) if keys is None else keys
    if not keys:
        return None
    match = Q()
    for survey_id, names in keys.items():
        match |= Q(survey_id=survey_id, question__in=sorted(names))
    low, high = SCALE[question_type]
    counts = [0] * (high - low + 1)
    rows = (Answer.objects.filter(match, row="", number__gte=low, number__lte=high,
                                  response__status=Response.Status.COMPLETED,
                                  response__completed_at__gte=_start_of(since),
                                  response__completed_at__lt=_start_of(
                                      until + dt.timedelta(days=1)))
            .values_list("number").annotate(n=Count("pk")).order_by())
    for number, n in rows:
        counts[number - low] = n
    total = sum(counts)
    if total == 0:
        return None
    if question_type == QuestionType.NPS:
        result = survey_stats.nps_from_counts(
            promoters=sum(counts[9:]), passives=sum(counts[7:9]), detractors=sum(counts[:7]))
        return OwnScore(result.score, total, result.interval.low, result.interval.high,
                        result.standard_error)
    summary = survey_stats.scale_summary_from_counts(counts, low=low)
    if metric == Benchmark.Metric.CSAT_TOP2:
        share = summary.top2_box.estimate
        return OwnScore(100 * share, total, 100 * summary.top2_box.interval.low,
                        100 * summary.top2_box.interval.high,
                        100 * math.sqrt(share * (1 - share) / total))
    return OwnScore(summary.mean, total, summary.interval.low, summary.interval.high,
                    summary.standard_error)


def compare_benchmarks(benchmarks: list[Benchmark]) -> list[ComparisonRow]:
    """Each benchmark beside the own score of the same metric and period."""
    keys_by_type: dict[QuestionType, dict[int, set[str]]] = {}
    own_cache: dict[tuple[str, dt.date, dt.date], OwnScore | None] = {}
    rows = []
    for benchmark in benchmarks:
        question_type = QUESTION_TYPE[Benchmark.Metric(benchmark.metric)]
        if question_type not in keys_by_type:
            keys_by_type[question_type] = question_keys(question_type)
        cache_key = (benchmark.metric, benchmark.period_start, benchmark.period_end)
        if cache_key not in own_cache:
            own_cache[cache_key] = own_score(
                metric=benchmark.metric, since=benchmark.period_start,
                until=benchmark.period_end, keys=keys_by_type[question_type])
        own = own_cache[cache_key]
        comparison = None
        if own is not None:
            try:
                comparison = compare_to_benchmark(
                    own_value=own.value, own_standard_error=own.standard_error,
                    metric=benchmark.metric, value=float(benchmark.value), n=benchmark.n,
                    ci_low=_float(benchmark.ci_low), ci_high=_float(benchmark.ci_high))
            except StatsError:
                comparison = None
        rows.append(ComparisonRow(benchmark, own, comparison))
    return rows


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in the business's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
