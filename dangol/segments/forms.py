"""The segment builder form: rule rows in, a definition out (and back again).

Rows are plain fields ``rule-0-field``, ``rule-0-op``, ``rule-0-value`` … so the
page works without JavaScript: adding or removing a row is a submit that comes
back with one row more or less. A definition with groups (made through the
API) is edited as JSON instead, in ``definition_json``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict

from dangol.segments.rules import FIELDS, OP_LABELS, empty_definition

MAX_ROWS = 50


@dataclass
class RuleRow:
    field: str = "region"
    op: str = "eq"
    value: str = ""
    errors: list[str] = dataclasses.field(default_factory=list)
    suggestions: list[str] = dataclasses.field(default_factory=list)

    @property
    def spec(self) -> Any:
        return FIELDS.get(self.field)

    @property
    def ops(self) -> list[tuple[str, Any]]:
        spec = self.spec
        return [(op, OP_LABELS[op]) for op in (spec.ops if spec else ())]


@dataclass
class BuilderState:
    name: str = ""
    description: str = ""
    match: str = "all"
    rows: list[RuleRow] = dataclasses.field(default_factory=list)
    definition_json: str | None = None  # set when the definition has groups

    def definition(self) -> Any:
        """The definition as JSON data, for rules.parse_definition to check."""
        if self.definition_json is not None:
            try:
                return json.loads(self.definition_json)
            except ValueError:
                return self.definition_json  # refused by the parser, naming the whole
        return {"match": self.match,
                "rules": [{"field": r.field, "op": r.op, "value": r.value} for r in self.rows]}


def _value_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def state_from_definition(definition: Any, *, name: str = "", description: str = ""
                          ) -> BuilderState:
    definition = definition or empty_definition()
    rules = definition.get("rules", []) if isinstance(definition, dict) else []
    if any(isinstance(r, dict) and "rules" in r for r in rules):
        return BuilderState(name, description, definition.get("match", "all"), [],
                            json.dumps(definition, ensure_ascii=False, indent=2))
    rows = [RuleRow(r.get("field", ""), r.get("op", ""), _value_text(r.get("value")))
            for r in rules if isinstance(r, dict)]
    return BuilderState(name, description, definition.get("match", "all"), rows)


def state_from_data(data: QueryDict) -> BuilderState:
    """Read the builder's fields (from a POST or from the live count's GET)."""
    try:
        count = min(int(data.get("rows", "0")), MAX_ROWS)
    except ValueError:
        count = 0
    rows = [RuleRow(data.get(f"rule-{i}-field", ""), data.get(f"rule-{i}-op", ""),
                    data.get(f"rule-{i}-value", "")) for i in range(max(count, 0))]
    for row in rows:
        spec = row.spec
        if spec is not None and row.op not in spec.ops:
            # The field was changed: start from its first operator.
            row.op = spec.ops[0]
    match = data.get("match", "all")
    definition_json = data.get("definition_json")
    return BuilderState(data.get("name", ""), data.get("description", ""),
                        match if match in {"all", "any"} else "all", rows, definition_json)


def apply_action(state: BuilderState, action: str) -> None:
    """Add a row (``add``), remove one (``remove:2``) or switch to editing the rules as
    JSON (``json``, for groups); other actions change nothing."""
    if action == "json" and state.definition_json is None:
        state.definition_json = json.dumps(state.definition(), ensure_ascii=False, indent=2)
    elif action == "add" and len(state.rows) < MAX_ROWS:
        state.rows.append(RuleRow())
    elif action.startswith("remove:"):
        with contextlib.suppress(ValueError, IndexError):
            del state.rows[int(action.removeprefix("remove:"))]


def row_errors(problems: list[Any]) -> tuple[dict[int, list[str]], list[str]]:
    """Problems split into those of each row (by position) and the rest."""
    by_row: dict[int, list[str]] = {}
    other: list[str] = []
    for problem in problems:
        parts = problem.field.removeprefix("definition.").split(".")
        if len(parts) >= 2 and parts[0] == "rules" and parts[1].isdigit():
            by_row.setdefault(int(parts[1]), []).append(problem.message)
        else:
            other.append(f"{problem.field}: {problem.message}")
    return by_row, other
