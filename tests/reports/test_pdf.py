"""The PDF opens anywhere: text extracts with Korean intact, the font is embedded."""

import io
from datetime import date
from pathlib import Path

import pytest
from django.utils import timezone
from pypdf import PdfReader

from dangol.reports import delivery, pdf
from dangol.reports.models import ReportSchedule
from dangol.reports.selectors import ReportData, ScoreFigures, ThemeRow, TrendPoint
from dangol.reports.timing import Period
from dangol.stats import survey as survey_stats

WEEK = Period(date(2026, 11, 16), date(2026, 11, 23))
PREVIOUS = Period(date(2026, 11, 9), date(2026, 11, 16))


def sample(language: str = "ko", sections: list[str] | None = None) -> ReportData:
    return ReportData(
        schedule_name="주간 고객 만족 보고서", language=language, frequency="weekly",
        sections=sections or ["summary", "trend", "themes"], period=WEEK, previous=PREVIOUS,
        scope="구매 후 만족도 조사", generated_at=timezone.now(),
        current=ScoreFigures(responses=120, nps=survey_stats.nps_from_counts(
            promoters=60, passives=40, detractors=20)),
        before=ScoreFigures(responses=100, nps=survey_stats.nps_from_counts(
            promoters=40, passives=40, detractors=20)),
        trend=[TrendPoint(PREVIOUS, 20.0, 100), TrendPoint(WEEK, 100 * 40 / 120, 120)],
        themes=[ThemeRow("delivery", "배송", 30, 12), ThemeRow("price", "가격", 10, 0)])


def fonts(reader: PdfReader) -> list[dict]:
    found = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            found.append({"name": str(font["/BaseFont"]),
                          "descriptor": descendant["/FontDescriptor"].get_object()})
    return found


def render(data: ReportData) -> bytes:
    from django.utils import translation

    with translation.override(data.language):
        return pdf.render_report(data)


def test_korean_text_extracts_intact_and_the_font_is_embedded_as_a_subset():
    content = render(sample())
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "주간 고객 만족 보고서" in text
    assert "구매 후 만족도 조사" in text
    assert "배송" in text and "가격" in text
    assert "2026-11-16 ~ 2026-11-22" in text
    assert "33.3" in text  # NPS (60-20)/120
    embedded = fonts(reader)
    assert embedded and all("/FontFile2" in f["descriptor"] for f in embedded)
    # a subset (six-letter tag) of NanumGothic, not the whole 4.6 MB font
    assert all(f["name"].split("+")[1].startswith("NanumGothic") for f in embedded)
    assert all(len(f["name"].split("+")[0]) == 7 for f in embedded)
    assert len(content) < 150_000


def test_english_report_has_english_headings():
    content = render(sample("en"))
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "Weekly customer report" in text
    assert "Top themes" in text
    assert "+20 vs previous" in text  # the responses tile under the title
    assert PdfReader(io.BytesIO(content)).metadata["/Title"].startswith("Weekly customer report")


def test_empty_sections_say_so():
    data = sample("en", ["summary", "trend", "themes", "cases", "loyalty"])
    data.current, data.before, data.trend, data.themes = ScoreFigures(), ScoreFigures(), [], []
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(render(data))).pages)
    assert "No NPS answers in these periods." in text
    assert "No analysed comments in this period." in text
    assert "No loyalty program is set up." in text


def test_the_report_font_setting_replaces_the_bundled_font(settings):
    regular, _bold = pdf.font_files()
    light = Path(regular).with_name("NanumGothicLight.ttf")
    settings.DANGOL_REPORT_FONT = str(light)
    reader = PdfReader(io.BytesIO(render(sample())))
    assert {f["name"].split("+")[1] for f in fonts(reader)} == {"NanumGothicLight"}
    assert "주간 고객 만족 보고서" in reader.pages[0].extract_text()


def test_a_missing_font_file_is_named(settings, db):
    settings.DANGOL_REPORT_FONT = "/nowhere/font.ttf"
    with pytest.raises(pdf.ReportFontMissing, match=r"/nowhere/font\.ttf"):
        render(sample())
    schedule = ReportSchedule(name="x", sections=["summary"], frequency="daily", hour=9,
                              language="ko", recipients=["a@example.com"])
    with pytest.raises(pdf.ReportFontMissing):
        delivery.render_pdf(schedule, WEEK)


def test_the_bundled_font_is_found_without_importing_matplotlib():
    import subprocess
    import sys

    code = ("import sys, django; django.setup(); from dangol.reports.pdf import font_files; "
            "before = 'matplotlib' in sys.modules; path = font_files()[0]; "
            "print(path, before or 'matplotlib' not in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={"DJANGO_SETTINGS_MODULE": "dangol.config.settings",
                                 "PATH": "/usr/bin:/bin", **_data_env()})
    assert result.returncode == 0, result.stderr
    path, not_imported_here = result.stdout.split()
    assert path.endswith("NanumGothic.ttf") and Path(path).is_file()
    assert not_imported_here == "True"


def _data_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k.startswith("DANGOL_")}


def test_a_long_name_wraps_and_every_word_stays():
    data = sample()
    data.schedule_name = "매장별 고객 만족도와 재구매 의향을 함께 보는 긴 이름의 보고서 " * 3
    text = PdfReader(io.BytesIO(render(data))).pages[0].extract_text()
    assert text.count("재구매") >= 3
