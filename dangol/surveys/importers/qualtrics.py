"""Reading a Qualtrics survey export (.qsf): a JSON document of survey elements.

The parts used: ``SurveyEntry`` (name, base language) and ``SurveyElements``:
``SQ`` elements hold one question each (``Payload``: ``QuestionType``,
``Selector``, ``SubSelector``, ``QuestionText``, ``Choices``/``ChoiceOrder``,
``Answers``/``AnswerOrder`` for matrix columns, ``Validation``,
``DisplayLogic``, ``SkipLogic`` and ``Language``, the translations keyed by
language code); ``BL`` lists the blocks and their questions; ``FL`` is the
survey flow that orders the blocks. Questions in the trash block, or in no
block of the flow, are not part of the survey and are not read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

from dangol.surveys.definition import Op, QuestionType
from dangol.surveys.importers.logic import condition_for
from dangol.surveys.importers.result import (
    ImportedQuestion,
    ImportFileError,
    ParsedSurvey,
    Unmapped,
)
from dangol.surveys.importers.text import KeyMaker, choice_key, language_code, plain_text, truthy

SOURCE = "qualtrics"

SINGLE_SELECTORS = frozenset({"SAVR", "SAHR", "SACOL", "DL", "SB"})
MULTIPLE_SELECTORS = frozenset({"MAVR", "MAHR", "MACOL", "MSB"})
TEXT_SELECTORS = frozenset({"SL", "ML", "ESTB"})
DATA_TYPES = frozenset({"Timing", "Meta", "Captcha"})
BLOCK_FLOW_TYPES = frozenset({"Block", "Standard", "Default"})
COMPARISONS = {
    "EqualTo": Op.EQ, "NotEqualTo": Op.NEQ, "GreaterThan": Op.GT,
    "GreaterThanOrEqual": Op.GTE, "LessThan": Op.LT, "LessThanOrEqual": Op.LTE,
}
LOCATOR = re.compile(r"^q://(?P<qid>QID\d+)/(?P<what>[A-Za-z]+)(?:/(?P<rest>.+))?$")


class _Skip(Exception):
    """This question cannot be mapped; the message says why."""


class _Lost(Exception):
    """This piece of logic cannot be mapped; the message says why."""


def parse(content: bytes) -> ParsedSurvey:
    """Read a .qsf file; raise ImportFileError when it is not a readable Qualtrics export."""
    document = _load(content)
    entry, elements = document["SurveyEntry"], document["SurveyElements"]
    base = language_code(entry.get("SurveyLanguage")) or "en"
    payloads: dict[str, dict[str, Any]] = {}
    blocks: list[dict[str, Any]] | None = None
    flow: dict[str, Any] | None = None
    for element in elements:
        if not isinstance(element, dict):
            continue
        kind, payload = element.get("Element"), element.get("Payload")
        if kind == "SQ" and isinstance(payload, dict):
            qid = str(payload.get("QuestionID") or element.get("PrimaryAttribute") or "")
            if qid:
                payloads[qid] = payload
        elif kind == "BL":
            blocks = _blocks(payload)
        elif kind == "FL" and isinstance(payload, dict):
            flow = payload
    reader = _Reader(base)
    order = list(_question_order(payloads, blocks, flow))
    for qid, placement, skip_logic in order:
        reader.add(qid, payloads[qid], placement=placement, block_skip_logic=skip_logic)
    name = plain_text(entry.get("SurveyName")) or _("Imported survey")
    return ParsedSurvey(
        source=SOURCE, name=name, languages=[base, *sorted(reader.languages - {base})],
        title={base: name}, questions=reader.questions, unmapped=reader.unmapped,
        source_question_count=len(order),
    )


def _load(content: bytes) -> dict[str, Any]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError("import_malformed",
                              _("The .qsf file is not UTF-8 text.")) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportFileError(
            "import_malformed",
            _("The .qsf file is not valid JSON (line %(line)s, column %(column)s: %(problem)s). "
              "Was it cut short?") % {"line": error.lineno, "column": error.colno,
                                      "problem": error.msg}) from None
    if (not isinstance(document, dict) or not isinstance(document.get("SurveyEntry"), dict)
            or not isinstance(document.get("SurveyElements"), list)):
        raise ImportFileError(
            "import_malformed",
            _("The file is JSON but not a Qualtrics survey export: it lacks SurveyEntry and "
              "SurveyElements."))
    return document


def _blocks(payload: Any) -> list[dict[str, Any]]:
    # Qualtrics writes the block list either as a JSON list or as an object
    # keyed "0", "1", ...
    return [b for b in _as_list(payload) if isinstance(b, dict)]


def _number_first(value: object) -> tuple[int, str]:
    text = str(value)
    return (int(text), "") if text.isdigit() else (10**9, text)


def _question_order(payloads: dict[str, dict[str, Any]], blocks: list[dict[str, Any]] | None,
                    flow: dict[str, Any] | None) -> Iterator[tuple[str, str, list[Any]]]:
    """(question id, how its block is placed, its block's skip logic) in survey order."""
    if blocks is None:
        for qid in payloads:
            yield qid, "", []
        return
    by_id = {str(b.get("ID")): b for b in blocks}
    if flow is not None:
        placed = list(_walk_flow(_as_list(flow.get("Flow")), ""))
    else:
        placed = [(str(b.get("ID")), "") for b in blocks if b.get("Type") != "Trash"]
    seen: set[str] = set()
    for block_id, placement in placed:
        block = by_id.get(block_id)
        if block is None or block.get("Type") == "Trash":
            continue
        for item in _as_list(block.get("BlockElements")):
            if not isinstance(item, dict) or item.get("Type") != "Question":
                continue
            qid = str(item.get("QuestionID") or "")
            if qid in payloads and qid not in seen:
                seen.add(qid)
                yield qid, placement, _as_list(item.get("SkipLogic"))


def _walk_flow(items: list[Any], placement: str) -> Iterator[tuple[str, str]]:
    for item in items:
        if not isinstance(item, dict):
            continue
        kind = str(item.get("Type"))
        if kind in BLOCK_FLOW_TYPES:
            yield str(item.get("ID")), placement
        elif kind == "Branch":
            yield from _walk_flow(_as_list(item.get("Flow")), "branch")
        elif kind == "BlockRandomizer" or kind == "Randomizer":
            yield from _walk_flow(_as_list(item.get("Flow")), placement or "randomizer")
        else:
            yield from _walk_flow(_as_list(item.get("Flow")), placement)


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [value[k] for k in sorted(value, key=_number_first)]
    return list(value) if isinstance(value, list) else []


class _Reader:
    """Maps questions one by one, remembering the earlier ones for branching."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.keys = KeyMaker()
        self.languages: set[str] = {base}
        self.questions: list[ImportedQuestion] = []
        self.unmapped: list[Unmapped] = []
        # question id → (document, source choice id → Dangol answer value)
        self.mapped: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}

    # Texts ------------------------------------------------------------------

    def _translations(self, payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
        found = payload.get("Language")
        if not isinstance(found, dict):
            return {}
        result = {}
        for code, translation in found.items():
            if isinstance(translation, dict) and language_code(code):
                result[language_code(code)] = translation
        return result

    def _text(self, payload: dict[str, Any], *path: str) -> dict[str, str]:
        """The text at ``path`` in the payload and in each of its translations."""
        found = {}
        for language, source in [(self.base, payload), *self._translations(payload).items()]:
            value: Any = source
            for step in path:
                value = value.get(step) if isinstance(value, dict) else None
            text = plain_text(value)
            if text:
                found[language] = text
                self.languages.add(language)
        return found

    def _column_label(self, payload: dict[str, Any], index: int) -> dict[str, str]:
        found = {}
        for language, source in [(self.base, payload), *self._translations(payload).items()]:
            labels = source.get("ColumnLabels")
            if isinstance(labels, list) and len(labels) > index and isinstance(
                    labels[index], dict):
                text = plain_text(labels[index].get("Display"))
                if text:
                    found[language] = text
        return found

    # Questions --------------------------------------------------------------

    def add(self, qid: str, payload: dict[str, Any], *, placement: str,
            block_skip_logic: list[Any]) -> None:
        qtype = str(payload.get("QuestionType") or "")
        selector = str(payload.get("Selector") or "")
        sub = str(payload.get("SubSelector") or "")
        source_type = "/".join(p for p in (qtype, selector, sub) if p)
        notes: list[str] = []
        try:
            document, values = self._map(payload, qtype, selector, sub, notes)
        except _Skip as skipped:
            self.unmapped.append(Unmapped(qid, source_type, str(skipped)))
            return
        key = self.keys.make(str(payload.get("DataExportTag") or qid),
                             fallback=f"q{len(self.questions) + 1}")
        document = {"key": key, **document,
                    "required": _forced(payload)}
        if "${" in str(payload.get("QuestionText") or ""):
            notes.append(_("its text pipes in other answers (${…}); the placeholder is kept "
                           "as written"))
        logic = payload.get("DisplayLogic")
        if isinstance(logic, dict) and logic:
            try:
                document["show_if"] = self._display_logic(logic)
            except _Lost as lost:
                notes.append(_("its display logic (%(logic)s) was not imported: %(why)s; the "
                               "question is always shown") % {"logic": _describe(logic),
                                                              "why": lost})
        skips = _as_list(payload.get("SkipLogic")) + block_skip_logic
        if skips:
            try:
                document["end_if"] = self._end_if(qid, document, values, skips)
            except _Lost as lost:
                notes.append(_("its skip logic was not imported: %(why)s") % {"why": lost})
        if placement == "branch":
            notes.append(_("its block is shown only under a survey-flow branch; the branch was "
                           "not imported, so the question is always shown"))
        elif placement == "randomizer":
            notes.append(_("its block sits in a survey-flow randomizer, which was not "
                           "imported"))
        self.questions.append(ImportedQuestion(qid, source_type, document))
        self.unmapped += [Unmapped(qid, source_type, note, key) for note in notes]
        self.mapped[qid] = (document, values)

    def _map(self, payload: dict[str, Any], qtype: str, selector: str, sub: str,
             notes: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
        text = self._text(payload, "QuestionText")
        if qtype == "MC" and selector == "NPS":
            document: dict[str, Any] = {"type": QuestionType.NPS.value, "text": text}
            for name, index in (("low_label", 0), ("high_label", 1)):
                label = self._column_label(payload, index)
                if label:
                    document[name] = label
            values = {}
            for cid, choice in _choices(payload, "Choices", "ChoiceOrder"):
                try:
                    values[cid] = int(str(choice.get("Display")).strip())
                except ValueError:
                    continue
            return document, values
        if qtype == "MC" and selector in SINGLE_SELECTORS | MULTIPLE_SELECTORS:
            kind = QuestionType.SINGLE if selector in SINGLE_SELECTORS else QuestionType.MULTIPLE
            return self._choice_question(payload, kind, text, notes)
        if qtype == "Matrix":
            if selector == "Likert" and sub == "SingleAnswer":
                return self._matrix(payload, text, notes), {}
            raise _Skip(_("Dangol's matrix asks for one point of a scale per row; this matrix "
                          "(%(kind)s) does something else") % {"kind": selector or "?"})
        if qtype == "TE":
            if selector in TEXT_SELECTORS:
                return {"type": QuestionType.TEXT.value, "text": text}, {}
            if selector == "FORM":
                raise _Skip(_("it asks for several text fields in one question"))
        if qtype == "DB":
            raise _Skip(_("it only shows text or graphics and asks nothing"))
        if qtype in DATA_TYPES:
            raise _Skip(_("it records browser or timing data, not an answer"))
        raise _Skip(_("Dangol has no question of this kind"))

    def _choice_question(self, payload: dict[str, Any], kind: QuestionType,
                         text: dict[str, str], notes: list[str],
                         ) -> tuple[dict[str, Any], dict[str, Any]]:
        choices: list[dict[str, Any]] = []
        values: dict[str, Any] = {}
        used: set[str] = set()
        other: str | None = None
        for cid, choice in _choices(payload, "Choices", "ChoiceOrder"):
            label = self._text(payload, "Choices", cid, "Display")
            if truthy(choice.get("TextEntry")):
                if other is None:
                    other = cid
                    values[cid] = "other"
                    continue
                notes.append(_("choice %(choice)s lost its text box (Dangol keeps one "
                               "'other' box per question)") % {"choice": cid})
            if not label:
                notes.append(_("choice %(choice)s has no text and was left out")
                             % {"choice": cid})
                continue
            if kind == QuestionType.MULTIPLE and truthy(choice.get("ExclusiveAnswer")):
                notes.append(_("choice %(choice)s excludes the other choices in Qualtrics; "
                               "Dangol does not enforce that") % {"choice": cid})
            key = choice_key(cid, used)
            values[cid] = key
            choices.append({"key": key, "label": label})
        if len(choices) < 2 and not (other and choices):
            raise _Skip(_("it has fewer than two choices"))
        document: dict[str, Any] = {"type": kind.value, "text": text, "choices": choices,
                                    "allow_other": other is not None}
        randomization = payload.get("Randomization")
        if isinstance(randomization, dict) and randomization.get("Type") not in (None, "", "None"):
            document["randomize"] = True
            if randomization.get("Type") != "All":
                notes.append(_("its choices were shuffled in a special way (%(how)s); Dangol "
                               "shuffles them all") % {"how": randomization.get("Type")})
        return document, values

    def _matrix(self, payload: dict[str, Any], text: dict[str, str],
                notes: list[str]) -> dict[str, Any]:
        rows: list[dict[str, Any]] = []
        used: set[str] = set()
        for cid, choice in _choices(payload, "Choices", "ChoiceOrder"):
            label = self._text(payload, "Choices", cid, "Display")
            if truthy(choice.get("TextEntry")):
                notes.append(_("row %(row)s asks for text, which a Dangol matrix cannot; it "
                               "was left out") % {"row": cid})
                continue
            if not label:
                notes.append(_("row %(row)s has no text and was left out") % {"row": cid})
                continue
            rows.append({"key": choice_key(cid, used), "label": label})
        columns = _choices(payload, "Answers", "AnswerOrder")
        if not 2 <= len(columns) <= 10:
            raise _Skip(_("its scale has %(count)s points; a Dangol matrix has 2 to 10")
                        % {"count": len(columns)})
        if not rows:
            raise _Skip(_("it has no rows"))
        document: dict[str, Any] = {"type": QuestionType.MATRIX.value, "text": text,
                                    "rows": rows, "scale_max": len(columns)}
        low = self._text(payload, "Answers", columns[0][0], "Display")
        high = self._text(payload, "Answers", columns[-1][0], "Display")
        if low:
            document["low_label"] = low
        if high:
            document["high_label"] = high
        if len(columns) > 2:
            notes.append(_("only the labels of the first and last scale points were kept; "
                           "answers count 1 to %(count)s") % {"count": len(columns)})
        return document

    # Logic -------------------------------------------------------------------

    def _display_logic(self, logic: dict[str, Any]) -> list[dict[str, Any]]:
        groups = [logic[k] for k in sorted(logic, key=_number_first) if str(k).isdigit()]
        if len(groups) != 1 or not isinstance(groups[0], dict):
            raise _Lost(_("it combines several sets of conditions"))
        group = groups[0]
        expressions = [group[k] for k in sorted(group, key=_number_first) if str(k).isdigit()]
        if not expressions:
            raise _Lost(_("it has no condition Dangol can read"))
        conditions = []
        for index, expression in enumerate(expressions):
            if not isinstance(expression, dict):
                raise _Lost(_("it has no condition Dangol can read"))
            joined = str(expression.get("Conjuction") or expression.get("Conjunction") or "And")
            if index and joined.lower() != "and":
                raise _Lost(_("it joins conditions with or; Dangol needs all of them to hold"))
            conditions.append(self._expression(expression))
        return conditions

    def _expression(self, expression: dict[str, Any]) -> dict[str, Any]:
        if expression.get("LogicType") != "Question":
            raise _Lost(_("it depends on %(kind)s, not on an earlier answer")
                        % {"kind": expression.get("LogicType") or "?"})
        locator = LOCATOR.match(str(expression.get("ChoiceLocator")
                                    or expression.get("LeftOperand") or ""))
        if locator is None:
            raise _Lost(_("it has no condition Dangol can read"))
        target = self.mapped.get(locator["qid"])
        if target is None:
            raise _Lost(_("it refers to %(question)s, which was not imported or does not come "
                          "earlier") % {"question": locator["qid"]})
        document, values = target
        operator = str(expression.get("Operator") or "")
        what = locator["what"]
        op: Op | None = None
        value: Any = None
        if what == "SelectableChoice" and operator in {"Selected", "NotSelected"}:
            op = Op.EQ if operator == "Selected" else Op.NEQ
            value = values.get(str(locator["rest"]))
        elif what in {"SelectedChoicesRecode", "SelectedChoices", "ChoiceNumericEntryValue"}:
            op = COMPARISONS.get(operator)
            value = str(expression.get("RightOperand") or "").strip()
            if document["type"] in {QuestionType.SINGLE, QuestionType.MULTIPLE}:
                value = values.get(value, value)
        elif what == "ChoiceTextEntryValue" and operator in {"Empty", "NotEmpty"}:
            op = Op.NOT_ANSWERED if operator == "Empty" else Op.ANSWERED
        if op is None:
            raise _Lost(_("Dangol cannot express the test %(test)s")
                        % {"test": f"{what} {operator}".strip()})
        condition, why = condition_for(document, op, value)
        if condition is None:
            raise _Lost(why)
        return condition

    def _end_if(self, qid: str, document: dict[str, Any], values: dict[str, Any],
                skips: list[Any]) -> list[dict[str, Any]]:
        if len(skips) != 1 or not isinstance(skips[0], dict):
            raise _Lost(_("it has several jumps"))
        skip = skips[0]
        if skip.get("SkipToDestination") != "ENDOFSURVEY":
            raise _Lost(_("it jumps to %(where)s; Dangol can only end the survey early")
                        % {"where": skip.get("SkipToDestination") or "?"})
        locator = LOCATOR.match(str(skip.get("ChoiceLocator") or skip.get("Locator") or ""))
        condition = str(skip.get("Condition") or "")
        if (locator is None or locator["qid"] != qid or locator["what"] != "SelectableChoice"
                or condition not in {"Selected", "NotSelected"}):
            raise _Lost(_("Dangol cannot express its condition"))
        op = Op.EQ if condition == "Selected" else Op.NEQ
        result, why = condition_for(document, op, values.get(str(locator["rest"])))
        if result is None:
            raise _Lost(why)
        return [result]


def _choices(payload: dict[str, Any], field: str, order_field: str,
             ) -> list[tuple[str, dict[str, Any]]]:
    raw = payload.get(field)
    if isinstance(raw, list):
        items = {str(index): item for index, item in enumerate(raw)}
    elif isinstance(raw, dict):
        items = {str(k): v for k, v in raw.items()}
    else:
        return []
    order = payload.get(order_field)
    ids = [str(x) for x in order if str(x) in items] if isinstance(order, list) else []
    ids += sorted((k for k in items if k not in ids), key=_number_first)
    seen: set[str] = set()
    result = []
    for cid in ids:
        if cid not in seen and isinstance(items[cid], dict):
            seen.add(cid)
            result.append((cid, items[cid]))
    return result


def _forced(payload: dict[str, Any]) -> bool:
    validation = payload.get("Validation")
    settings = validation.get("Settings") if isinstance(validation, dict) else None
    return isinstance(settings, dict) and str(settings.get("ForceResponse")) == "ON"


def _describe(logic: dict[str, Any]) -> str:
    parts = []
    for group_key in sorted(logic, key=_number_first):
        group = logic[group_key]
        if not isinstance(group, dict):
            continue
        for key in sorted(group, key=_number_first):
            expression = group[key]
            if isinstance(expression, dict) and expression.get("Description"):
                parts.append(plain_text(expression["Description"]))
    return " ".join(parts) or "?"
