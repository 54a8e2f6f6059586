"""Validating many input rows at once, naming each bad row and field."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from dangol.core.errors import FieldProblem

M = TypeVar("M", bound=BaseModel)


@dataclass
class RowProblem:
    """Row ``index`` (0-based position in the input) was refused for ``problems``."""

    index: int
    problems: list[FieldProblem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "errors": [p.as_dict() for p in self.problems]}


@cache
def _list_adapter(model: type[BaseModel]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _problem(item: Any, skip: int) -> FieldProblem:
    name = ".".join(str(part) for part in item["loc"][skip:]) or "__all__"
    message = str(item["msg"]).removeprefix("Value error, ")
    return FieldProblem(name, message)


def validate_rows(
    model: type[M], rows: Sequence[Any]
) -> tuple[list[tuple[int, M]], list[RowProblem]]:
    """Validate ``rows`` against ``model`` in one pass.

    Returns the valid rows with their positions, and a RowProblem for each bad
    row naming its fields. Validation runs in pydantic's core over the whole
    list; only when some rows are bad are the good ones validated again.
    """
    adapter = _list_adapter(model)
    try:
        return list(enumerate(adapter.validate_python(rows))), []
    except ValidationError as error:
        by_row: dict[int, list[FieldProblem]] = {}
        for item in error.errors(include_url=False):
            loc = item["loc"]
            index = int(loc[0]) if loc and isinstance(loc[0], int) else -1
            by_row.setdefault(index, []).append(_problem(item, 1))
    bad = sorted(i for i in by_row if i >= 0)
    bad_set = set(bad)
    good_positions = [i for i in range(len(rows)) if i not in bad_set]
    good = adapter.validate_python([rows[i] for i in good_positions]) if good_positions else []
    return list(zip(good_positions, good, strict=True)), [RowProblem(i, by_row[i]) for i in bad]
