"""Importing feedback items from a CSV or XLSX file: every row checked, all saved or none.

Columns: source, channel, external_id, text, rating, rating_scale, occurred_at,
customer_id, product_id, author, url, tags (only source and text are required).
A bad row is named by its row number (the header is row 1) and column.
"""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext as _

from dangol.accounts.actors import Actor
from dangol.core.errors import FieldProblem, ValidationFailed
from dangol.core.tabular import TableError, open_table
from dangol.feedback.items import IntakeResult, receive_items

COLUMNS = ("source", "channel", "external_id", "text", "rating", "rating_scale", "occurred_at",
           "customer_id", "product_id", "author", "url", "tags")
REQUIRED = ("source", "text")
MAX_ROWS = 5000


def import_items_file(*, actor: Actor, path: Path) -> IntakeResult:
    """Store every row of the file as a feedback item, or none when any row is bad.

    Raises ValidationFailed whose problems name ``row N, column C``; rows already
    stored (same source, channel and external id) are left as they are.
    """
    try:
        table = open_table(path)
    except TableError as error:
        raise ValidationFailed([FieldProblem("file", str(error))]) from None
    header = [h.strip().lower() for h in table.header]
    unknown = [h for h in header if h and h not in COLUMNS]
    missing = [c for c in REQUIRED if c not in header]
    problems = [FieldProblem(_("column %(c)s") % {"c": c}, _("Unknown column; use %(cols)s.")
                             % {"cols": ", ".join(COLUMNS)}) for c in unknown]
    problems += [FieldProblem(_("column %(c)s") % {"c": c}, _("This column is required."))
                 for c in missing]
    if problems:
        raise ValidationFailed(problems, _("Nothing was saved: fix the columns named."))
    numbers: list[int] = []
    rows: list[dict[str, str]] = []
    for number, values in table.rows:
        numbers.append(number)
        rows.append({name.strip().lower(): str(value) for name, value in values.items()
                     if name.strip()})
        if len(rows) > MAX_ROWS:
            break

    def place(index: int, field: str) -> str:
        return (_("row %(row)s, column %(column)s") % {"row": numbers[index], "column": field}
                if field else _("row %(row)s") % {"row": numbers[index]})

    if not rows:
        raise ValidationFailed([FieldProblem("file", _("The file has no rows below the header."))])
    return receive_items(actor=actor, rows=rows, place=place, max_rows=MAX_ROWS)
