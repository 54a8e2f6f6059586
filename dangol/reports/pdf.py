"""The report as a PDF (fpdf2), with a Korean font embedded so it reads the same anywhere.

The font is NanumGothic (SIL Open Font License), taken from the files of the
``koreanize-matplotlib`` wheel: a PyPI package, so nothing is downloaded at run
time and every install has it. Only the path of its files is looked up
(``find_spec``); the package itself is not imported, as importing it imports
matplotlib and changes matplotlib's global settings, which the report does not
need. fpdf2 embeds the font as a subset holding only the glyphs used, so a
report stays small (tens of kilobytes, not the 4.6 MB of the font).
``DANGOL_REPORT_FONT`` (the path of a TrueType file) replaces it.

Call :func:`render_report` inside ``translation.override(report.language)``.
"""

from __future__ import annotations

import importlib.util
import logging
import math
from datetime import date
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from dangol.core.money import format_amount
from dangol.reports import timing
from dangol.reports.models import Section
from dangol.reports.selectors import ReportData, TrendPoint
from dangol.stats import survey as survey_stats

FONT = "Report"
_PACKAGE = "koreanize_matplotlib"
_REGULAR = "NanumGothic.ttf"
_BOLD = "NanumGothicBold.ttf"

INK = (33, 37, 41)
MUTED = (108, 117, 125)
ACCENT = (13, 110, 253)
NEGATIVE = (220, 53, 69)
GRID = (222, 226, 230)

# fontTools names every table it leaves out of a subset (hinting tables of the font);
# that is expected and not worth a log line per report.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)


class ReportFontMissing(RuntimeError):
    pass


def font_files() -> tuple[Path, Path]:
    """(regular, bold) TrueType files for the report text."""
    override = getattr(settings, "DANGOL_REPORT_FONT", "") or ""
    if override:
        path = Path(override)
        if not path.is_file():
            raise ReportFontMissing(f"DANGOL_REPORT_FONT={override} is not a file")
        return path, path
    spec = importlib.util.find_spec(_PACKAGE)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        regular, bold = Path(folder, "fonts", _REGULAR), Path(folder, "fonts", _BOLD)
        if regular.is_file():
            return regular, bold if bold.is_file() else regular
    raise ReportFontMissing(f"the Korean font of the {_PACKAGE} package was not found; "
                            "install Dangol's dependencies or set DANGOL_REPORT_FONT")


class _Document(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 6, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="C")


def _day(value: date) -> str:
    return value.strftime("%Y-%m-%d")


def period_label(period: timing.Period) -> str:
    if period.days == 1:
        return _day(period.start)
    return f"{_day(period.start)} ~ {_day(period.last_day)}"


def _number(value: float | None, places: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{places}f}"


def _interval(interval: survey_stats.Interval | None, places: int = 1) -> str:
    if interval is None or math.isnan(interval.low):
        return "–"
    return f"{interval.low:.{places}f} ~ {interval.high:.{places}f}"


def _change(now: float | None, before: float | None, places: int = 1) -> str:
    if now is None or before is None:
        return "–"
    return f"{now - before:+.{places}f}"


class ReportLayout:
    def __init__(self, data: ReportData) -> None:
        self.data = data
        regular, bold = font_files()
        pdf = _Document(orientation="P", unit="mm", format="A4")
        pdf.set_compression(True)
        pdf.add_font(FONT, "", str(regular))
        pdf.add_font(FONT, "B", str(bold))
        pdf.set_auto_page_break(auto=True, margin=16)
        pdf.set_margins(16, 16, 16)
        name = data.schedule_name
        pdf.footer_text = "Dangol 단골 · " + (name if len(name) <= 60 else name[:59] + "…")
        pdf.set_title(f"{self.title()} – {period_label(data.period)}")
        pdf.set_author("Dangol")
        pdf.set_lang(data.language)
        pdf.set_creation_date(data.generated_at)
        self.pdf = pdf

    @staticmethod
    def title_for(frequency: str) -> str:
        return {timing.DAILY: _("Daily customer report"),
                timing.WEEKLY: _("Weekly customer report"),
                timing.MONTHLY: _("Monthly customer report")}[frequency]

    def title(self) -> str:
        return self.title_for(self.data.frequency)

    # --- building blocks -------------------------------------------------------------

    def heading(self, text: str) -> None:
        pdf = self.pdf
        if pdf.get_y() > pdf.h - 60:
            pdf.add_page()
        pdf.ln(4)
        pdf.set_font(FONT, "B", 13)
        pdf.set_text_color(*INK)
        pdf.cell(0, 8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_draw_color(*ACCENT)
        pdf.set_line_width(0.5)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(2)

    def note(self, text: str) -> None:
        self.pdf.set_font(FONT, "", 8)
        self.pdf.set_text_color(*MUTED)
        self.pdf.multi_cell(0, 4.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.set_text_color(*INK)

    def table(self, header: list[str], rows: list[list[str]], widths: list[float]) -> None:
        pdf = self.pdf
        pdf.set_draw_color(*GRID)
        pdf.set_line_width(0.2)
        pdf.set_font(FONT, "B", 9)
        pdf.set_fill_color(241, 243, 245)
        for index, (text, width) in enumerate(zip(header, widths, strict=True)):
            pdf.cell(width, 7, text, border="B", fill=True, align="L" if index == 0 else "R")
        pdf.ln(7)
        pdf.set_font(FONT, "", 9)
        for row in rows:
            for index, (text, width) in enumerate(zip(row, widths, strict=True)):
                pdf.cell(width, 6.5, text, border="B", align="L" if index == 0 else "R")
            pdf.ln(6.5)
        pdf.ln(1)

    # --- sections ----------------------------------------------------------------------

    def cover(self) -> None:
        pdf, data = self.pdf, self.data
        pdf.add_page()
        pdf.set_text_color(*INK)
        pdf.set_font(FONT, "B", 20)
        pdf.cell(0, 11, self.title(), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 11)
        pdf.multi_cell(0, 6.5, data.schedule_name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(*MUTED)
        pdf.set_font(FONT, "", 9.5)
        lines = [
            _("Period: %(period)s (compared with %(previous)s)") % {
                "period": period_label(data.period), "previous": period_label(data.previous)},
            _("Surveys: %(scope)s") % {"scope": data.scope or _("all surveys")},
            _("Made: %(time)s (%(zone)s)") % {
                "time": timezone.localtime(data.generated_at).strftime("%Y-%m-%d %H:%M"),
                "zone": settings.TIME_ZONE},
        ]
        for line in lines:
            pdf.cell(0, 5.5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(*INK)
        self.tiles()

    def tiles(self) -> None:
        """The headline figures as a row of boxes under the title."""
        data, tiles = self.data, []
        if Section.SUMMARY in data.sections:
            nps, change = data.current.nps, data.nps_change
            tiles.append((_("NPS"), _number(nps.score if nps else None),
                          "" if change is None else
                          _("%(change)s vs previous") % {"change": f"{change.difference:+.1f}"}))
            tiles.append((_("Completed responses"), f"{data.current.responses:,}",
                          _("%(change)s vs previous") % {
                              "change": f"{data.current.responses - data.before.responses:+,}"}))
            csat = data.current.csat
            tiles.append((_("CSAT (1–5, mean)"), _number(csat.mean if csat else None, 2), ""))
        if data.cases is not None:
            tiles.append((_("Open now"), f"{data.cases.open_now:,}",
                          _("%(n)s overdue") % {"n": f"{data.cases.overdue_now:,}"}))
        if not tiles:
            return
        pdf = self.pdf
        gap = 4.0
        width = (pdf.w - pdf.l_margin - pdf.r_margin - gap * (len(tiles) - 1)) / len(tiles)
        top = pdf.get_y() + 5
        for index, (label, value, note) in enumerate(tiles):
            x = pdf.l_margin + index * (width + gap)
            pdf.set_fill_color(241, 243, 245)
            pdf.rect(x, top, width, 22, style="F")
            pdf.set_xy(x + 3, top + 2)
            pdf.set_font(FONT, "", 8)
            pdf.set_text_color(*MUTED)
            pdf.cell(width - 6, 4.5, label)
            pdf.set_xy(x + 3, top + 7)
            pdf.set_font(FONT, "B", 16)
            pdf.set_text_color(*INK)
            pdf.cell(width - 6, 8, value)
            pdf.set_xy(x + 3, top + 16)
            pdf.set_font(FONT, "", 7.5)
            pdf.set_text_color(*MUTED)
            pdf.cell(width - 6, 4, note)
        pdf.set_text_color(*INK)
        pdf.set_xy(pdf.l_margin, top + 24)

    def summary(self) -> None:
        data = self.data
        now, before = data.current, data.before
        self.heading(_("Scores and responses"))
        rows = []
        nps_change = "–"
        if data.nps_change is not None:
            nps_change = f"{data.nps_change.difference:+.1f} (p={data.nps_change.p_value:.3f})"
        rows.append([_("NPS"), _number(now.nps.score if now.nps else None),
                     _interval(now.nps.interval if now.nps else None),
                     _number(before.nps.score if before.nps else None), nps_change])
        for label, current, previous in ((_("CSAT (1–5, mean)"), now.csat, before.csat),
                                         (_("CES (1–7, mean)"), now.ces, before.ces)):
            rows.append([label, _number(current.mean if current else None, 2),
                         _interval(current.interval if current else None, 2),
                         _number(previous.mean if previous else None, 2),
                         _change(current.mean if current else None,
                                 previous.mean if previous else None, 2)])
        rows.append([_("Completed responses"), f"{now.responses:,}", "",
                     f"{before.responses:,}", f"{now.responses - before.responses:+,}"])
        self.table([_("Measure"), _("This period"), _("95% interval"), _("Previous period"),
                    pgettext("report", "Change")], rows, [46, 28, 36, 34, 34])
        if now.nps is not None:
            self.note(_("NPS from %(n)s answers: %(pro)s promoters, %(pas)s passives, "
                        "%(det)s detractors.") % {
                "n": f"{now.nps.n:,}", "pro": f"{now.nps.promoters:,}",
                "pas": f"{now.nps.passives:,}", "det": f"{now.nps.detractors:,}"})
        if not data.scope:
            self.note(_("Feedback items received in the period (reviews, posts, "
                        "conversations): %(n)s.") % {"n": f"{data.feedback_items:,}"})

    def trend(self) -> None:
        self.heading(_("NPS trend"))
        points = self.data.trend
        if not any(p.nps is not None for p in points):
            self.note(_("No NPS answers in these periods."))
            return
        self._chart(points)

    def _chart(self, points: list[TrendPoint]) -> None:
        pdf = self.pdf
        left, top = pdf.l_margin + 12, pdf.get_y() + 3
        width, height = pdf.w - pdf.l_margin - pdf.r_margin - 14, 58
        values = [p.nps for p in points if p.nps is not None]
        low = max(-100, math.floor((min(values) - 5) / 20) * 20)
        high = min(100, math.ceil((max(values) + 5) / 20) * 20)
        if high <= low:
            low, high = max(-100, low - 20), min(100, high + 20)

        def y_of(value: float) -> float:
            return top + height - (value - low) / (high - low) * height

        step = width / max(1, len(points))
        pdf.set_font(FONT, "", 7)
        pdf.set_line_width(0.2)
        for tick in range(int(low), int(high) + 1, 20):
            y = y_of(tick)
            pdf.set_draw_color(*GRID)
            pdf.line(left, y, left + width, y)
            pdf.set_text_color(*MUTED)
            pdf.set_xy(left - 12, y - 2)
            pdf.cell(10, 4, str(tick), align="R")
        if low < 0 < high:
            pdf.set_draw_color(*MUTED)
            pdf.line(left, y_of(0), left + width, y_of(0))
        coordinates = []
        for index, point in enumerate(points):
            x = left + step * (index + 0.5)
            pdf.set_text_color(*MUTED)
            pdf.set_xy(x - step / 2, top + height + 1)
            label = (point.period.start.strftime("%Y-%m") if self.data.frequency == timing.MONTHLY
                     else point.period.start.strftime("%m-%d"))
            pdf.cell(step, 4, label, align="C")
            if point.nps is not None:
                coordinates.append((x, y_of(point.nps), point))
        pdf.set_draw_color(*ACCENT)
        pdf.set_line_width(0.6)
        if len(coordinates) > 1:
            pdf.polyline([(x, y) for x, y, _point in coordinates])
        pdf.set_fill_color(*ACCENT)
        pdf.set_text_color(*INK)
        for x, y, point in coordinates:
            pdf.circle(x=x, y=y, radius=0.9, style="F")
            pdf.set_xy(x - 8, y - 5.5)
            pdf.cell(16, 4, _number(point.nps, 0), align="C")
        pdf.set_text_color(*INK)
        pdf.set_xy(pdf.l_margin, top + height + 7)
        self.note(_("Each point is the NPS of one period; the number of answers: %(counts)s.")
                  % {"counts": ", ".join(f"{p.n:,}" for p in points)})

    def themes(self) -> None:
        self.heading(_("Top themes"))
        if not self.data.themes:
            self.note(_("No analysed comments in this period."))
            return
        pdf = self.pdf
        widths = [56, 26, 26, 30, 40]
        header = [_("Theme"), _("Mentions"), _("Negative"), _("Negative share"), ""]
        pdf.set_font(FONT, "B", 9)
        pdf.set_fill_color(241, 243, 245)
        pdf.set_draw_color(*GRID)
        for index, (text, width) in enumerate(zip(header, widths, strict=True)):
            pdf.cell(width, 7, text, border="B", fill=True, align="L" if index == 0 else "R")
        pdf.ln(7)
        pdf.set_font(FONT, "", 9)
        for row in self.data.themes:
            pdf.cell(widths[0], 6.5, row.label, border="B")
            pdf.cell(widths[1], 6.5, f"{row.mentions:,}", border="B", align="R")
            pdf.cell(widths[2], 6.5, f"{row.negative:,}", border="B", align="R")
            pdf.cell(widths[3], 6.5, f"{row.negative_share:.0%}", border="B", align="R")
            x, y = pdf.get_x() + 4, pdf.get_y() + 1.8
            pdf.set_fill_color(*GRID)
            pdf.rect(x, y, widths[4] - 6, 3, style="F")
            pdf.set_fill_color(*NEGATIVE)
            if row.negative_share > 0:
                pdf.rect(x, y, (widths[4] - 6) * row.negative_share, 3, style="F")
            pdf.cell(widths[4], 6.5, "", border="B")
            pdf.ln(6.5)
        pdf.ln(1)
        self.note(_("A comment counts once for each theme it mentions; negative: the clauses "
                    "about the theme read as negative."))

    def cases(self) -> None:
        figures = self.data.cases
        if figures is None:
            return
        self.heading(_("Cases"))
        met = figures.sla_met_share
        self.table([_("Measure"), pgettext("report", "Count")], [
            [_("Opened in the period"), f"{figures.opened:,}"],
            [_("Resolved in the period"), f"{figures.resolved:,}"],
            [_("Open now"), f"{figures.open_now:,}"],
            [_("Overdue now"), f"{figures.overdue_now:,}"],
            [_("Due in the period"), f"{figures.due_in_period:,}"],
            [_("SLA breaches (not resolved by the due time)"), f"{figures.sla_breaches:,}"],
            [_("Resolved within the SLA"), "–" if met is None else f"{met:.0%}"],
        ], [120, 58])

    def loyalty(self) -> None:
        self.heading(_("Loyalty and retention"))
        figures, retention = self.data.loyalty, self.data.retention
        rows = []
        if figures is not None:
            rows += [
                [_("Members (now)"), f"{figures.members:,}"],
                [_("New members in the period"), f"{figures.new_members:,}"],
                [_("Active members (90 days before the period's end)"),
                 f"{figures.active_members:,}"],
                [_("Points earned in the period"), f"{figures.earned:,}"],
                [_("Points redeemed in the period"), f"{figures.redeemed:,}"],
                [_("Points expired in the period"), f"{figures.expired:,}"],
                [_("Outstanding points (now)"), f"{figures.outstanding_points:,}"],
                [_("Value of the outstanding points (now)"),
                 format_amount(figures.liability, figures.currency, self.data.language)],
            ]
        if retention is not None:
            share = retention.lapsed_share
            rows += [
                [_("Customers who have bought"), f"{retention.customers:,}"],
                [_("Lapsed: no order in %(days)s days") % {"days": retention.days},
                 f"{retention.lapsed:,}" + ("" if share is None else f" ({share:.0%})")],
            ]
        if rows:
            self.table([_("Measure"), _("Value")], rows, [120, 58])
        if figures is None:
            self.note(_("No loyalty program is set up."))
        else:
            self.note(pgettext("report", "Program: %(name)s") % {"name": figures.program})

    def render(self) -> bytes:
        self.cover()
        builders = {Section.SUMMARY: self.summary, Section.TREND: self.trend,
                    Section.THEMES: self.themes, Section.CASES: self.cases,
                    Section.LOYALTY: self.loyalty}
        for section in self.data.sections:
            builders[Section(section)]()
        return bytes(self.pdf.output())


def render_report(data: ReportData) -> bytes:
    """The report as PDF bytes; texts in the active language."""
    return ReportLayout(data).render()
