"""The dashboard: tiles with honest statistics, trends and theme volumes for one period.

Counts come from :mod:`dangol.insights.selectors` (SQL aggregates); the
statistics from :mod:`dangol.stats` (intervals and tests of change). A tile
whose sample is smaller than ``MIN_N`` says so instead of showing a number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _

from dangol.core.errors import FieldProblem, ValidationFailed
from dangol.feedback import selectors as feedback_selectors
from dangol.insights import selectors
from dangol.insights.selectors import Scope, Window
from dangol.stats import survey as survey_stats
from dangol.stats.errors import NotEnoughDataError
from dangol.stats.proportions import uplift
from dangol.surveys.definition import QuestionType

#: Fewer answers than this and a tile shows "not enough data" rather than a number.
MIN_N = 10
CONFIDENCE = 0.95
TOP_THEMES = 10


@dataclass
class Tile:
    key: str
    label: str
    value: float | None = None
    unit: str = "count"  # points, mean, share, count
    n: int = 0
    enough: bool = True
    low: float | None = None
    high: float | None = None
    previous: float | None = None
    change: float | None = None
    p_value: float | None = None
    note: str = ""

    @property
    def significant(self) -> bool | None:
        if self.p_value is None:
            return None
        return self.p_value < 1 - CONFIDENCE

    @property
    def display(self) -> str:
        return _format(self.value, self.unit) if self.enough else _("Not enough data")

    @property
    def change_display(self) -> str:
        if self.change is None:
            return ""
        sign = "+" if self.change > 0 else ""
        if self.unit == "share":
            return f"{sign}{self.change * 100:.1f}%p"
        return f"{sign}{self.change:.1f}" if self.unit == "points" else f"{sign}{self.change:.2f}"

    @property
    def interval_display(self) -> str:
        if not self.enough or self.low is None or self.high is None:
            return ""
        return f"{_format(self.low, self.unit)} – {_format(self.high, self.unit)}"

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "value": _finite(self.value),
                "unit": self.unit, "n": self.n, "enough_data": self.enough,
                "interval": ([_finite(self.low), _finite(self.high)]
                             if self.low is not None and self.enough else None),
                "previous": _finite(self.previous), "change": _finite(self.change),
                "p_value": _finite(self.p_value), "significant": self.significant,
                "note": self.note}


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, 6)


def _format(value: float | None, unit: str) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    if unit == "share":
        return f"{value * 100:.1f}%"
    if unit == "points":
        return f"{value:.1f}"
    if unit == "mean":
        return f"{value:.2f}"
    return f"{int(value):,}"


@dataclass
class ThemeRow:
    theme: str
    label: str
    negative: int
    total: int
    previous_negative: int
    previous_total: int

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.total if self.total else None

    @property
    def enough(self) -> bool:
        return self.total >= MIN_N


@dataclass
class Dashboard:
    window: Window
    previous: Window
    grain: str
    scores: list[Tile]
    engagement: list[Tile]
    cases: list[Tile]
    loyalty: list[Tile]
    themes: list[ThemeRow]
    trend: list[dict[str, Any]] = field(default_factory=list)

    @property
    def headline(self) -> list[Tile]:
        return self.scores[:3] + self.engagement[:1] + self.cases[:1]

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": {"start": self.window.start.isoformat(), "end": self.window.end.isoformat(),
                       "previous_start": self.previous.start.isoformat()},
            "grain": self.grain, "min_n": MIN_N, "confidence": CONFIDENCE,
            "tiles": [t.as_dict() for t in
                      self.scores + self.engagement + self.cases + self.loyalty],
            "themes": [{"theme": r.theme, "label": r.label, "negative": r.negative,
                        "total": r.total, "negative_share": _finite(r.negative_share),
                        "previous_negative": r.previous_negative,
                        "previous_total": r.previous_total, "enough_data": r.enough}
                       for r in self.themes],
            "trend": [{"start": row["start"].isoformat(), "nps": _finite(row.get("nps")),
                       "nps_n": row.get("nps_n", 0), "csat": _finite(row.get("csat")),
                       "csat_n": row.get("csat_n", 0), "ces": _finite(row.get("ces")),
                       "ces_n": row.get("ces_n", 0)} for row in self.trend],
        }


# --- score tiles -------------------------------------------------------------------------


def nps_of(counts: list[int]) -> survey_stats.NPSResult | None:
    """NPS of counts per 0-10 answer, None without answers."""
    if not sum(counts):
        return None
    return survey_stats.nps_from_counts(promoters=sum(counts[9:]), passives=sum(counts[7:9]),
                                        detractors=sum(counts[:7]), confidence=CONFIDENCE)


def mean_of(counts: list[int], low: int) -> survey_stats.ScaleSummary | None:
    try:
        return survey_stats.scale_summary_from_counts(counts, low=low, confidence=CONFIDENCE)
    except NotEnoughDataError:
        return None


def _nps_tile(now: list[int], before: list[int]) -> Tile:
    tile = Tile("nps", _("NPS"), unit="points", n=sum(now))
    current, previous = nps_of(now), nps_of(before)
    tile.enough = tile.n >= MIN_N
    if current is not None:
        tile.value, tile.low, tile.high = current.score, current.interval.low, current.interval.high
    if previous is not None and sum(before) >= MIN_N:
        tile.previous = previous.score
        if current is not None and tile.enough:
            test = survey_stats.compare_nps(previous, current, confidence=CONFIDENCE)
            tile.change, tile.p_value = test.difference, test.p_value
    return tile


def _mean_tile(key: str, label: str, now: list[int], before: list[int], low: int) -> Tile:
    tile = Tile(key, label, unit="mean", n=sum(now))
    current, previous = mean_of(now, low), mean_of(before, low)
    tile.enough = tile.n >= MIN_N
    if current is not None:
        tile.value = current.mean
        if current.n > 1:
            tile.low, tile.high = current.interval.low, current.interval.high
    if previous is not None and previous.n >= MIN_N:
        tile.previous = previous.mean
        if current is not None and tile.enough:
            test = survey_stats.compare_means(previous, current, confidence=CONFIDENCE)
            tile.change, tile.p_value = test.difference, test.p_value
    return tile


def _share_tile(key: str, label: str, hits: int, n: int, before_hits: int, before_n: int,
                note: str = "") -> Tile:
    tile = Tile(key, label, unit="share", n=n, enough=n >= MIN_N, note=note)
    if n:
        tile.value = hits / n
        interval = survey_stats.wilson_interval(hits, n, confidence=CONFIDENCE)
        tile.low, tile.high = interval.low, interval.high
    if before_n >= MIN_N:
        tile.previous = before_hits / before_n
        change = uplift(hits, n, before_hits, before_n, confidence=CONFIDENCE)
        if change is not None and tile.enough:
            tile.change, tile.p_value = change.difference, change.p_value
    return tile


def _count_tile(key: str, label: str, value: int, previous: int | None = None,
                note: str = "") -> Tile:
    return Tile(key, label, value=value, n=value, previous=previous,
                change=None if previous is None else value - previous, note=note)


# --- the whole dashboard -------------------------------------------------------------------


def trend_window(window: Window, grain: str) -> Window:
    """At least 12 weeks (or 12 months) of trend, ending with the period."""
    span = timedelta(days=7 * 12) if grain == "week" else timedelta(days=366)
    return Window(min(window.start, window.end - span), window.end)


def default_grain(window: Window) -> str:
    return "week" if window.days <= 120 else "month"


def build_dashboard(*, scope: Scope, window: Window, grain: str = "", language: str = "en",
                    now: datetime | None = None) -> Dashboard:
    """Every figure of the dashboard for ``window`` (compared with the window before it)."""
    grain = grain if grain in {"week", "month"} else default_grain(window)
    previous = window.previous()
    current_counts, previous_counts = selectors.score_counts(scope, [window, previous])
    scores = [
        _nps_tile(current_counts["nps"], previous_counts["nps"]),
        _mean_tile("csat", _("CSAT (1–5)"), current_counts["csat"], previous_counts["csat"],
                   low=1),
        _mean_tile("ces", _("CES (1–7, higher is easier)"), current_counts["ces"],
                   previous_counts["ces"], low=1),
    ]
    invited, answered = selectors.invitation_counts(scope, window)
    invited_before, answered_before = selectors.invitation_counts(scope, previous)
    buyers, repeaters = selectors.repeat_purchase(scope, window)
    buyers_before, repeaters_before = selectors.repeat_purchase(scope, previous)
    engagement = [
        _share_tile("response_rate", _("Response rate"), answered, invited, answered_before,
                    invited_before, note=_("of invitations sent in the period")),
        _share_tile("repeat_purchase", _("Repeat-purchase rate"), repeaters, buyers,
                    repeaters_before, buyers_before,
                    note=_("customers who ordered in the period and had ordered before")),
    ]
    lapsed = selectors.lapsed_share(now=now)
    if lapsed is not None and not scope.store and scope.segment_pk is None:
        engagement.append(_share_tile(
            "lapsed", _("Lapsed customers"), lapsed.churned, lapsed.customers, 0, 0,
            note=_("no order in the last 180 days, this month")))
    figures = selectors.case_figures(scope, window, now=now)
    figures_before = selectors.case_figures(scope, previous, now=now)
    cases = [
        _count_tile("open_cases", _("Open cases"), figures.open_now),
        _count_tile("overdue_cases", _("Overdue now"), figures.overdue_now),
        _count_tile("cases_opened", _("Cases opened"), figures.opened, figures_before.opened),
        _count_tile("sla_breaches", _("SLA breaches"), figures.breached,
                    figures_before.breached, note=_("of the cases opened in the period")),
    ]
    loyalty: list[Tile] = []
    points = selectors.loyalty_figures(scope, window)
    points_before = selectors.loyalty_figures(scope, previous)
    if points is not None and points_before is not None:
        loyalty = [
            _count_tile("members", _("Members"), points.members),
            _count_tile("new_members", _("New members"), points.new_members,
                        points_before.new_members),
            _count_tile("points_earned", _("Points earned"), points.earned,
                        points_before.earned),
            _count_tile("points_redeemed", _("Points redeemed"), points.redeemed,
                        points_before.redeemed),
        ]
    themes = _theme_rows(scope, window, previous, language)
    trend = _trend(scope, trend_window(window, grain), grain)
    return Dashboard(window=window, previous=previous, grain=grain, scores=scores,
                     engagement=engagement, cases=cases, loyalty=loyalty, themes=themes,
                     trend=trend)


def _theme_rows(scope: Scope, window: Window, previous: Window, language: str) -> list[ThemeRow]:
    now = selectors.theme_counts(scope, window)
    before = selectors.theme_counts(scope, previous)
    labels = feedback_selectors.theme_labels(language)
    rows = [ThemeRow(theme, labels.get(theme, theme), neg, n, *before.get(theme, (0, 0)))
            for theme, (neg, n) in now.items()]
    rows.sort(key=lambda r: (-r.total, r.theme))
    return rows[:TOP_THEMES]


def _trend(scope: Scope, window: Window, grain: str) -> list[dict[str, Any]]:
    out = []
    for bucket in selectors.score_trend(scope, window, grain=grain):
        row: dict[str, Any] = {"start": bucket["start"]}
        nps = bucket.get(QuestionType.NPS.value)
        if nps and nps["n"]:
            detractors = nps["n"] - nps["promoters"] - nps["passives"]
            row["nps"] = 100.0 * (nps["promoters"] - detractors) / nps["n"]
            row["nps_n"] = nps["n"]
        for kind in ("csat", "ces"):
            figures = bucket.get(kind)
            if figures and figures["n"]:
                row[kind] = figures["sum"] / figures["n"]
                row[f"{kind}_n"] = figures["n"]
        out.append(row)
    return out


def bucket_label(start: date, grain: str) -> str:
    return start.strftime("%Y-%m") if grain == "month" else start.strftime("%m-%d")


PERIODS = ("7", "30", "90", "custom")


def window_for(*, period: str = "30", since: date | None = None, until: date | None = None,
               now: datetime | None = None) -> Window:
    """The dashboard's period: the last 7, 30 or 90 days, or ``since``–``until``.

    Raises ValidationFailed naming the field when the period is not one of these."""
    problems = []
    if period == "custom" or (since and until and period not in PERIODS[:3]):
        if since is None:
            problems.append(FieldProblem("since", _("Enter the first day.")))
        if until is None:
            problems.append(FieldProblem("until", _("Enter the last day.")))
        if since and until and since > until:
            problems.append(FieldProblem("until", _("The last day is before the first.")))
        if since and until and (until - since).days > 3 * 366:
            problems.append(FieldProblem("until", _("Choose at most three years.")))
        if problems:
            raise ValidationFailed(problems, _("Invalid period."))
        return selectors.between(since, until)  # type: ignore[arg-type]
    if period not in PERIODS[:3]:
        raise ValidationFailed([FieldProblem("period", _("Choose 7, 30 or 90 days, or dates."))],
                               _("Invalid period."))
    return selectors.last_days(int(period), now=now)


def headline_tiles(*, now: datetime | None = None) -> list[Tile]:
    """The home page's tiles: NPS, CSAT, CES and response rate over the last 30 days (with
    the change against the 30 days before) and open cases: five small aggregates."""
    window = selectors.last_days(30, now=now)
    previous = window.previous()
    scope = Scope()
    current_counts, previous_counts = selectors.score_counts(scope, [window, previous])
    invited, answered = selectors.invitation_counts(scope, window)
    invited_before, answered_before = selectors.invitation_counts(scope, previous)
    figures = selectors.case_figures(scope, window, now=now)
    return [
        _nps_tile(current_counts["nps"], previous_counts["nps"]),
        _mean_tile("csat", _("CSAT (1–5)"), current_counts["csat"], previous_counts["csat"],
                   low=1),
        _mean_tile("ces", _("CES (1–7, higher is easier)"), current_counts["ces"],
                   previous_counts["ces"], low=1),
        _share_tile("response_rate", _("Response rate"), answered, invited, answered_before,
                    invited_before),
        _count_tile("open_cases", _("Open cases"), figures.open_now),
    ]
