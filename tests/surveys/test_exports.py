"""CSV and XLSX exports of survey responses: columns across versions, values, encodings."""

import csv
import io

import pytest
from openpyxl import load_workbook

from dangol.surveys.exports import header
from dangol.surveys.models import Response
from dangol.surveys.services.responses import submit_response
from tests.surveys.test_results_pages import two_version_survey  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

EXPECTED_HEADER = [
    "response_id", "completed_at", "language", "channel", "version", "customer_id",
    # v2 (live) in its order, then what only v1 asked
    "nps", "service.speed", "service.kindness", "channels", "channels.other", "reason",
    "best", "best.other", "legacy",
]


def _csv(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Korean Excel opens it as UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def _by_id(rows):
    head, *body = rows
    return {int(r[0]): dict(zip(head, r, strict=True)) for r in body}


def test_columns_follow_the_live_version_then_older_questions(two_version_survey):  # noqa: F811
    assert header(two_version_survey) == EXPECTED_HEADER


def test_csv_has_one_row_per_response_with_keys_not_wording(owner_client,
                                                            two_version_survey):  # noqa: F811
    rows = _csv(owner_client, f"/surveys/{two_version_survey.pk}/export.csv")
    assert rows[0] == EXPECTED_HEADER
    assert len(rows) == 8
    by_id = _by_id(rows)
    responses = {r.answers.get("reason", r.answers["nps"]): r
                 for r in Response.objects.filter(survey=two_version_survey)}
    happy = by_id[responses["직원이 친절해요"].pk]
    assert (happy["nps"], happy["service.speed"], happy["service.kindness"]) == ("9", "4", "5")
    assert happy["channels"] == "friend;search" and happy["channels.other"] == ""
    assert happy["version"] == "2" and happy["customer_id"] != ""
    assert happy["completed_at"] == "2026-02-10T12:00:00+09:00"  # business time zone
    tv = next(r for r in by_id.values() if r["channels.other"] == "TV")
    assert tv["channels"] == "ad;other" and tv["language"] == "en"
    old = by_id[responses["배송이 너무 늦어요 그래도 품질은 좋아요"].pk]
    assert (old["version"], old["best"], old["best.other"]) == ("1", "other", "주차")
    assert old["service.speed"] == "" and old["reason"].startswith("배송이")
    assert any(r["legacy"] == "4" and r["language"] == "en" for r in by_id.values())


def test_free_text_is_exported_masked(owner_client, two_version_survey):  # noqa: F811
    rows = _csv(owner_client, f"/surveys/{two_version_survey.pk}/export.csv")
    flat = "\n".join(",".join(r) for r in rows)
    assert "010-1234-5678" not in flat
    assert "Delivery was slow, call me [PHONE]" in flat


def test_export_applies_the_page_filters(owner_client, two_version_survey):  # noqa: F811
    rows = _csv(owner_client, f"/surveys/{two_version_survey.pk}/export.csv?version=1")
    assert {r[4] for r in rows[1:]} == {"1"} and len(rows) == 4
    rows = _csv(owner_client,
                f"/surveys/{two_version_survey.pk}/export.csv?nps=detractor&language=ko")
    assert sorted(int(r[6]) for r in rows[1:]) == [0, 3]
    rows = _csv(owner_client, f"/surveys/{two_version_survey.pk}/export.csv?theme=delivery")
    assert len(rows) == 3


def test_xlsx_reads_back_with_the_same_rows(owner_client, two_version_survey):  # noqa: F811
    response = owner_client.get(f"/surveys/{two_version_survey.pk}/export.xlsx")
    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]
    sheet = load_workbook(io.BytesIO(response.content), read_only=True)["responses"]
    width = len(EXPECTED_HEADER)
    # Read-only mode drops empty cells at the end of a row.
    rows = [list(r) + [None] * (width - len(r)) for r in sheet.iter_rows(values_only=True)]
    assert list(rows[0]) == EXPECTED_HEADER
    assert len(rows) == 8
    head = rows[0]
    happy = next(dict(zip(head, r, strict=True)) for r in rows[1:] if r[head.index("reason")]
                 == "직원이 친절해요")
    assert happy["service.kindness"] == 5 and happy["channels"] == "friend;search"
    assert happy["completed_at"].isoformat() == "2026-02-10T12:00:00"
    assert not any("010-1234-5678" in str(v) for r in rows for v in r)


def test_export_of_an_unknown_format_or_survey_is_404(owner_client,
                                                      two_version_survey):  # noqa: F811
    assert owner_client.get(f"/surveys/{two_version_survey.pk}/export.pdf").status_code == 404
    assert owner_client.get("/surveys/999999/export.csv").status_code == 404


def test_written_answers_never_become_spreadsheet_formulas(owner_client,
                                                          two_version_survey):  # noqa: F811
    formula = '=HYPERLINK("http://evil.example","배송 조회")'
    submit_response(survey=two_version_survey, answers={"nps": 5, "reason": formula},
                    language="ko")
    rows = _csv(owner_client, f"/surveys/{two_version_survey.pk}/export.csv")
    reasons = [dict(zip(rows[0], r, strict=True))["reason"] for r in rows[1:]]
    assert "'" + formula in reasons
    response = owner_client.get(f"/surveys/{two_version_survey.pk}/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content))["responses"]
    column = EXPECTED_HEADER.index("reason") + 1
    cells = [sheet.cell(row=r, column=column) for r in range(2, sheet.max_row + 1)]
    cell = next(c for c in cells if c.value == formula)
    assert cell.data_type == "s"  # text, not a formula
