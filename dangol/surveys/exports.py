"""Exporting a survey's completed responses as CSV or XLSX: one row per response.

Columns are question keys, not wording, so every language lands in the same
column. The order is the live version's questions, then questions that only
older versions asked. A matrix gets one column per row (``key.row``); a
multiple-choice question one column of chosen keys joined by ``;``; choice
questions that offer "other" a ``key.other`` column. Free text is exported
with personal data masked.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from dangol import textkit
from dangol.surveys.definition import Question, QuestionType
from dangol.surveys.models import Response, Survey
from dangol.surveys.results import survey_definitions


class FreeText(str):
    """Text a respondent wrote (masked): spreadsheets must never run it as a formula."""


# A cell starting with one of these is a formula to Excel and LibreOffice.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

FIXED_HEADER = ["response_id", "completed_at", "language", "channel", "version", "customer_id"]
CHUNK = 2000
MULTIPLE_SEPARATOR = ";"


@dataclass(frozen=True)
class Column:
    name: str
    question: str
    part: str  # "" (the answer), "other", or a matrix row key
    kind: QuestionType


def columns(survey: Survey) -> list[Column]:
    """The answer columns of ``survey`` across all its versions, in export order."""
    definitions = survey_definitions(survey)  # newest first
    live = survey.current_version.number if survey.current_version else None
    definitions.sort(key=lambda item: (item[0] != live, -item[0]))
    merged: dict[str, list[Question]] = {}
    for _number, definition in definitions:
        for question in definition.questions:
            merged.setdefault(question.key, []).append(question)
    result: list[Column] = []
    for key, versions in merged.items():
        kind = versions[0].type
        if kind == QuestionType.MATRIX:
            rows = list(dict.fromkeys(r.key for q in versions for r in q.rows))
            result += [Column(f"{key}.{row}", key, row, kind) for row in rows]
            continue
        result.append(Column(key, key, "", kind))
        if kind in {QuestionType.SINGLE, QuestionType.MULTIPLE} and any(
                q.allow_other for q in versions):
            result.append(Column(f"{key}.other", key, "other", kind))
    return result


def header(survey: Survey) -> list[str]:
    return FIXED_HEADER + [c.name for c in columns(survey)]


def _cell(column: Column, answers: dict[str, Any]) -> Any:
    value = answers.get(column.question)
    if value is None:
        return None
    if column.kind == QuestionType.MATRIX:
        return value.get(column.part) if isinstance(value, dict) else None
    if column.part == "other":
        other = value.get("other") if isinstance(value, dict) else None
        return FreeText(textkit.mask_pii(other)) if other else None
    if isinstance(value, dict):
        if "choices" in value:
            return MULTIPLE_SEPARATOR.join(value["choices"])
        return value.get("choice")
    if isinstance(value, str):
        return FreeText(textkit.mask_pii(value))
    return value


def iter_rows(survey: Survey, responses: QuerySet[Response]) -> Iterator[list[Any]]:
    """The header, then one row per response in id order (read in chunks)."""
    cols = columns(survey)
    zone = ZoneInfo(settings.TIME_ZONE)
    yield FIXED_HEADER + [c.name for c in cols]
    rows = responses.order_by("pk").values_list(
        "pk", "completed_at", "language", "channel", "version__number",
        "customer__external_id", "answers")
    for pk, completed_at, language, channel, version, customer, answers in rows.iterator(CHUNK):
        local = completed_at.astimezone(zone) if completed_at else None
        yield [pk, local, language, channel, version, customer or ""] + [
            _cell(c, answers or {}) for c in cols]


def _text(value: Any) -> Any:
    if isinstance(value, FreeText) and value.startswith(FORMULA_STARTS):
        return "'" + value  # shown as text by spreadsheets (the OWASP advice for CSV)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return "" if value is None else value


def iter_csv(survey: Survey, responses: QuerySet[Response]) -> Iterator[str]:
    """CSV text in pieces (UTF-8 with BOM so that Korean Excel opens it correctly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"
    for number, row in enumerate(iter_rows(survey, responses), start=1):
        writer.writerow([_text(v) for v in row])
        if number % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_xlsx(survey: Survey, responses: QuerySet[Response], target: BinaryIO) -> None:
    """An XLSX workbook (write-only, so memory stays flat) with one sheet of responses."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("responses")
    for row in iter_rows(survey, responses):
        sheet.append([_xlsx_cell(sheet, v) for v in row])
    workbook.save(target)


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    if isinstance(value, datetime):
        # Excel has no time zones: the business's local time, as the CSV shows it.
        return value.replace(tzinfo=None)
    if isinstance(value, FreeText):
        cell = WriteOnlyCell(sheet, value=str(value))
        cell.data_type = "s"  # text even when it starts with "=": never a formula
        return cell
    return value
