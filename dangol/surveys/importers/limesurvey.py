"""Reading a LimeSurvey survey export (.lss): an XML document of database tables.

Each table is ``<name><rows><row><column>…``. The tables used: ``surveys``
(base language), ``languages`` and ``surveys_languagesettings`` (title per
language), ``groups`` (order and group relevance), ``questions`` and
``subquestions`` (type code, ``title`` = question code, ``mandatory``,
``other``, ``relevance``), ``answers``, ``question_attributes`` and, from
LimeSurvey 4 on, the ``question_l10ns``/``answer_l10ns``/``group_l10ns``
tables with the texts per language (older exports keep a ``language``
column in the tables themselves). The XML is parsed with defusedxml, so
entity tricks in an untrusted file are refused.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from django.utils.translation import gettext as _

from dangol.surveys.definition import MAX_TEXT_ANSWER, Op, QuestionType
from dangol.surveys.importers.logic import condition_for
from dangol.surveys.importers.result import (
    ImportedQuestion,
    ImportFileError,
    ParsedSurvey,
    Unmapped,
)
from dangol.surveys.importers.text import KeyMaker, choice_key, language_code, plain_text

SOURCE = "limesurvey"

TYPE_NAMES = {
    "L": "list", "!": "dropdown list", "O": "list with comment", "M": "multiple choice",
    "P": "multiple choice with comments", "S": "short text", "T": "long text",
    "U": "huge text", "Q": "multiple short texts", "5": "5-point choice", "Y": "yes/no",
    "G": "gender", "N": "numerical input", "K": "multiple numerical inputs", "D": "date",
    "R": "ranking", "X": "text display", "*": "equation", "|": "file upload",
    "F": "array", "H": "array by column", "A": "array 5-point", "B": "array 10-point",
    "C": "array yes/uncertain/no", "E": "array increase/same/decrease",
    ":": "array of numbers", ";": "array of texts", "1": "array dual scale",
    "I": "language switch",
}
SINGLE_TYPES = frozenset({"L", "!", "O"})
MULTIPLE_TYPES = frozenset({"M", "P"})
TEXT_TYPES = frozenset({"S", "T", "U"})
FIXED_ARRAYS = {"A": 5, "B": 10, "C": 3, "E": 3}
YES_NO = {"en": ("Yes", "No"), "ko": ("예", "아니요")}
EMPTY_RELEVANCE = frozenset({"", "1", "true"})
OPERATORS = {"==": Op.EQ, "eq": Op.EQ, "!=": Op.NEQ, "ne": Op.NEQ, "<": Op.LT, "lt": Op.LT,
             "<=": Op.LTE, "le": Op.LTE, ">": Op.GT, "gt": Op.GT, ">=": Op.GTE, "ge": Op.GTE}
_VARIABLE = r"(?P<var>[A-Za-z][A-Za-z0-9_]*)(?:\.(?:NAOK|value|code))?"
COMPARISON = re.compile(
    rf"^{_VARIABLE}\s*(?P<op>==|!=|<=|>=|<|>|\beq\b|\bne\b|\ble\b|\bge\b|\blt\b|\bgt\b)\s*"
    r"(?P<value>\"[^\"]*\"|'[^']*'|-?\d+(?:\.\d+)?)$", re.IGNORECASE)
PIPED = re.compile(r"\{[A-Za-z][A-Za-z0-9_.:]*\}")
EMPTINESS = re.compile(rf"^(?P<neg>!\s*)?is_empty\(\s*{_VARIABLE}\s*\)$", re.IGNORECASE)


class _Skip(Exception):
    """This question cannot be mapped; the message says why."""


class _Lost(Exception):
    """This piece of logic cannot be mapped; the message says why."""


def parse(content: bytes) -> ParsedSurvey:
    """Read a .lss file; raise ImportFileError when it is not a readable LimeSurvey export."""
    root = _load(content)
    return _Reader(root).read()


def _load(content: bytes) -> Element:
    try:
        root: Element = fromstring(content)
    except DefusedXmlException as error:
        raise ImportFileError(
            "import_malformed",
            _("The .lss file uses XML features that are refused for safety (%(problem)s).")
            % {"problem": type(error).__name__}) from None
    except ParseError as error:
        raise ImportFileError(
            "import_malformed",
            _("The .lss file is not well-formed XML (%(problem)s). Was it cut short?")
            % {"problem": error}) from None
    if root.tag != "document":
        raise ImportFileError(
            "import_malformed",
            _("The file is XML but not a LimeSurvey export: its root element is <%(tag)s>.")
            % {"tag": root.tag})
    kind = (root.findtext("LimeSurveyDocType") or "").strip()
    if kind != "Survey":
        if kind:
            raise ImportFileError(
                "import_malformed",
                _("The file is a LimeSurvey %(kind)s export; export the whole survey (.lss).")
                % {"kind": kind})
        raise ImportFileError(
            "import_malformed",
            _("The file is XML but not a LimeSurvey survey export: it has no "
              "LimeSurveyDocType."))
    return root


def _table(root: Element, name: str) -> list[dict[str, str]]:
    rows = root.find(f"{name}/rows")
    if rows is None:
        return []
    return [{child.tag: (child.text or "") for child in row} for row in rows.findall("row")]


def _int(value: object, default: int = 0) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        return default


class _Reader:
    def __init__(self, root: Element) -> None:
        self.root = root
        self.keys = KeyMaker()
        self.questions: list[ImportedQuestion] = []
        self.unmapped: list[Unmapped] = []
        # question code → (document, source answer code → Dangol answer value)
        self.mapped: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}

    # Tables -------------------------------------------------------------------

    def read(self) -> ParsedSurvey:
        root = self.root
        survey = next(iter(_table(root, "surveys")), {})
        listed = [language_code(e.text) for e in root.findall("languages/language") if e.text]
        listed += [language_code(code) for code in survey.get("additional_languages", "").split()]
        self.base = language_code(survey.get("language")) or next(iter(listed), "")
        if not self.base:
            raise ImportFileError("import_malformed",
                                  _("The .lss file names no language."))
        self.languages = list(dict.fromkeys([self.base, *listed]))
        self._read_texts()
        self._read_answers()
        self._read_attributes()
        groups = self._read_groups()
        top = [q for q in self.structure.values() if q.get("parent_qid", "0") in {"0", ""}]
        top.sort(key=lambda q: (groups.get(q.get("gid", ""), {}).get("order", 0),
                                _int(q.get("question_order")), _int(q.get("qid"))))
        for question in top:
            group = groups.get(question.get("gid", ""), {})
            self._add(question, group_relevance=group.get("relevance", ""))
        texts: dict[str, dict[str, str]] = {"title": {}, "welcometext": {}, "endtext": {}}
        for row in _table(root, "surveys_languagesettings"):
            language = language_code(row.get("surveyls_language")) or self.base
            for name, found in texts.items():
                text = plain_text(row.get(f"surveyls_{name}"))
                if text:
                    found[language] = text
        titles = texts["title"]
        name = titles.get(self.base) or next(iter(titles.values()), "") or _("Imported survey")
        return ParsedSurvey(source=SOURCE, name=name, languages=self.languages, title=titles,
                            questions=self.questions, unmapped=self.unmapped,
                            intro=texts["welcometext"], thank_you=texts["endtext"],
                            source_question_count=len(top))

    def _read_texts(self) -> None:
        self.structure: dict[str, dict[str, str]] = {}
        self.texts: dict[str, dict[str, str]] = defaultdict(dict)
        self.helps: dict[str, dict[str, str]] = defaultdict(dict)
        # Before LimeSurvey 4 each question row holds one language's texts;
        # since then the texts are in question_l10ns.
        rows = _table(self.root, "questions") + _table(self.root, "subquestions")
        for row in rows + _table(self.root, "question_l10ns"):
            qid = row.get("qid", "")
            if not qid:
                continue
            if "type" in row and (qid not in self.structure
                                  or language_code(row.get("language")) == self.base):
                self.structure[qid] = row
            language = language_code(row.get("language")) or self.base
            if "question" in row and plain_text(row["question"]):
                self.texts[qid][language] = plain_text(row["question"])
            if plain_text(row.get("help")):
                self.helps[qid][language] = plain_text(row.get("help"))
        self.children: dict[str, list[dict[str, str]]] = defaultdict(list)
        for row in self.structure.values():
            if row.get("parent_qid", "0") not in {"0", ""}:
                self.children[row["parent_qid"]].append(row)
        for rows_of_parent in self.children.values():
            rows_of_parent.sort(key=lambda r: (_int(r.get("question_order")), _int(r.get("qid"))))

    def _read_answers(self) -> None:
        labels: dict[str, dict[str, str]] = defaultdict(dict)
        for row in _table(self.root, "answer_l10ns"):
            text = plain_text(row.get("answer"))
            if text:
                labels[row.get("aid", "")][language_code(row.get("language")) or self.base] = text
        found: dict[tuple[str, str, str], dict[str, Any]] = {}
        for row in _table(self.root, "answers"):
            ident = (row.get("qid", ""), row.get("code", ""), row.get("scale_id", "0") or "0")
            answer = found.setdefault(ident, {"code": ident[1], "scale": ident[2],
                                              "order": _int(row.get("sortorder")), "label": {}})
            if "aid" in row:
                answer["label"].update(labels.get(row["aid"], {}))
            text = plain_text(row.get("answer"))
            if text:
                answer["label"][language_code(row.get("language")) or self.base] = text
        self.answers: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for (qid, _code, scale), answer in found.items():
            if scale == "0":
                self.answers[qid].append(answer)
        for answers in self.answers.values():
            answers.sort(key=lambda a: a["order"])

    def _read_attributes(self) -> None:
        self.attributes: dict[str, dict[str, str]] = defaultdict(dict)
        for row in _table(self.root, "question_attributes"):
            if not row.get("language") or language_code(row.get("language")) == self.base:
                self.attributes[row.get("qid", "")][row.get("attribute", "")] = row.get("value", "")

    def _read_groups(self) -> dict[str, dict[str, Any]]:
        groups: dict[str, dict[str, Any]] = {}
        for row in _table(self.root, "groups"):
            gid = row.get("gid", "")
            groups.setdefault(gid, {"order": _int(row.get("group_order")),
                                    "relevance": (row.get("grelevance") or "").strip()})
        return groups

    # Questions ------------------------------------------------------------------

    def _add(self, row: dict[str, str], *, group_relevance: str) -> None:
        qid, kind, code = row.get("qid", ""), row.get("type", ""), row.get("title", "")
        source_id = code or qid
        source_type = f"{kind} ({TYPE_NAMES[kind]})" if kind in TYPE_NAMES else kind
        notes: list[str] = []
        try:
            document, values = self._map(qid, kind, row, notes)
        except _Skip as skipped:
            self.unmapped.append(Unmapped(source_id, source_type, str(skipped)))
            return
        key = self.keys.make(code or qid, fallback=f"q{len(self.questions) + 1}")
        document = {"key": key, **document, "required": row.get("mandatory") == "Y"}
        if self.helps.get(qid):
            document["help"] = dict(self.helps[qid])
        # A question shows when its group's equation and its own both hold;
        # each that Dangol can express becomes part of show_if.
        conditions: list[dict[str, Any]] = []
        if group_relevance.lower() not in EMPTY_RELEVANCE:
            try:
                conditions += self._relevance(group_relevance)
            except _Lost as lost:
                notes.append(_("its question group's relevance equation (%(equation)s) was not "
                               "imported: %(why)s") % {"equation": group_relevance, "why": lost})
        relevance = (row.get("relevance") or "").strip()
        if relevance.lower() not in EMPTY_RELEVANCE:
            try:
                conditions += self._relevance(relevance)
            except _Lost as lost:
                notes.append(_("its relevance equation (%(equation)s) was not imported: "
                               "%(why)s") % {"equation": relevance, "why": lost})
        if conditions:
            document["show_if"] = conditions
        if any(PIPED.search(t) for t in document["text"].values()):
            notes.append(_("its text pipes in other answers ({…}); the placeholder is kept as "
                           "written"))
        self.questions.append(ImportedQuestion(source_id, source_type, document))
        self.unmapped += [Unmapped(source_id, source_type, note, key) for note in notes]
        if code:
            self.mapped[code] = (document, values)

    def _map(self, qid: str, kind: str, row: dict[str, str],
             notes: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
        text = dict(self.texts.get(qid, {}))
        other = row.get("other") == "Y"
        randomize = self.attributes[qid].get("random_order") == "1"
        if kind in SINGLE_TYPES:
            if kind == "O":
                notes.append(_("its comment box was not kept"))
            options = [(a["code"], a["label"]) for a in self.answers.get(qid, [])]
            return self._choices(QuestionType.SINGLE, text, options, other, randomize, notes)
        if kind in MULTIPLE_TYPES:
            if kind == "P":
                notes.append(_("the comment boxes of its choices were not kept"))
            options = [(c.get("title", ""), dict(self.texts.get(c.get("qid", ""), {})))
                       for c in self.children.get(qid, []) if c.get("scale_id", "0") in {"0", ""}]
            return self._choices(QuestionType.MULTIPLE, text, options, other, randomize, notes)
        if kind == "Y":
            options = [(code, {lang: YES_NO.get(lang.split("-")[0], YES_NO["en"])[index]
                               for lang in self.languages})
                       for index, code in enumerate(("Y", "N"))]
            return self._choices(QuestionType.SINGLE, text, options, False, False, notes)
        if kind in TEXT_TYPES:
            document: dict[str, Any] = {"type": QuestionType.TEXT.value, "text": text}
            limit = _int(self.attributes[qid].get("maximum_chars"))
            if limit > 0:
                document["max_length"] = min(limit, MAX_TEXT_ANSWER)
            return document, {}
        if kind == "5":
            return {"type": QuestionType.RATING.value, "text": text, "scale_max": 5}, {}
        if kind == "F" or kind == "H" or kind in FIXED_ARRAYS:
            return self._array(qid, kind, text, notes), {}
        reasons = {
            "N": _("Dangol has no number question"),
            "K": _("Dangol has no number question"),
            "Q": _("it asks for several text fields in one question"),
            "X": _("it only shows text and asks nothing"),
            "*": _("it is a calculation, not a question"),
            "I": _("it switches the survey's language and asks nothing"),
        }
        raise _Skip(reasons.get(kind, _("Dangol has no question of this kind")))

    def _choices(self, kind: QuestionType, text: dict[str, str],
                 options: list[tuple[str, dict[str, str]]], other: bool, randomize: bool,
                 notes: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
        choices: list[dict[str, Any]] = []
        values: dict[str, Any] = {}
        used: set[str] = set()
        for code, label in options:
            if not label:
                notes.append(_("choice %(choice)s has no text and was left out")
                             % {"choice": code})
                continue
            key = choice_key(code, used)
            values[code] = key
            choices.append({"key": key, "label": label})
        if other:
            values["-oth-"] = "other"
        if len(choices) < 2 and not (other and choices):
            raise _Skip(_("it has fewer than two choices"))
        document = {"type": kind.value, "text": text, "choices": choices, "allow_other": other,
                    "randomize": randomize}
        return document, values

    def _array(self, qid: str, kind: str, text: dict[str, str],
               notes: list[str]) -> dict[str, Any]:
        rows: list[dict[str, Any]] = []
        used: set[str] = set()
        for child in self.children.get(qid, []):
            if child.get("scale_id", "0") not in {"0", ""}:
                continue
            label = dict(self.texts.get(child.get("qid", ""), {}))
            if not label:
                notes.append(_("row %(row)s has no text and was left out")
                             % {"row": child.get("title")})
                continue
            rows.append({"key": choice_key(child.get("title") or child.get("qid", ""), used),
                         "label": label})
        if not rows:
            raise _Skip(_("it has no rows"))
        document: dict[str, Any] = {"type": QuestionType.MATRIX.value, "text": text,
                                    "rows": rows}
        if kind in FIXED_ARRAYS:
            document["scale_max"] = FIXED_ARRAYS[kind]
            if kind in {"C", "E"}:
                notes.append(_("its columns (%(kind)s) became a scale from 1 to 3")
                             % {"kind": TYPE_NAMES[kind]})
            return document
        columns = self.answers.get(qid, [])
        if not 2 <= len(columns) <= 10:
            raise _Skip(_("its scale has %(count)s points; a Dangol matrix has 2 to 10")
                        % {"count": len(columns)})
        document["scale_max"] = len(columns)
        if columns[0]["label"]:
            document["low_label"] = dict(columns[0]["label"])
        if columns[-1]["label"]:
            document["high_label"] = dict(columns[-1]["label"])
        if len(columns) > 2:
            notes.append(_("only the labels of the first and last scale points were kept; "
                           "answers count 1 to %(count)s") % {"count": len(columns)})
        if kind == "H":
            notes.append(_("LimeSurvey showed it by column; Dangol shows it by row"))
        return document

    # Relevance -----------------------------------------------------------------

    def _relevance(self, equation: str) -> list[dict[str, Any]]:
        body = _unwrap(equation.strip().removeprefix("{").removesuffix("}"))
        if re.search(r"\|\||\bor\b", body, re.IGNORECASE):
            raise _Lost(_("it joins conditions with or; Dangol needs all of them to hold"))
        return [self._test(_unwrap(part))
                for part in re.split(r"&&|\band\b", body, flags=re.IGNORECASE)]

    def _test(self, part: str) -> dict[str, Any]:
        empty = EMPTINESS.match(part)
        if empty:
            op = Op.ANSWERED if empty["neg"] else Op.NOT_ANSWERED
            return self._condition(empty["var"], op, None)
        comparison = COMPARISON.match(part)
        if comparison is None:
            raise _Lost(_("Dangol cannot read %(part)s") % {"part": part or "?"})
        value: str = comparison["value"]
        op = OPERATORS[comparison["op"].lower()]
        if value[:1] in {'"', "'"}:
            value = value[1:-1]
            if value == "" and op in {Op.EQ, Op.NEQ}:
                return self._condition(comparison["var"],
                                       Op.NOT_ANSWERED if op == Op.EQ else Op.ANSWERED, None)
        return self._condition(comparison["var"], op, value)

    def _condition(self, variable: str, op: Op, value: str | None) -> dict[str, Any]:
        target = self.mapped.get(variable)
        if target is not None:
            document, values = target
            if document["type"] in {QuestionType.SINGLE, QuestionType.MULTIPLE} and value:
                value = values.get(value, value)
            condition, why = condition_for(document, op, value)
        else:
            condition, why = self._subquestion_condition(variable, op, value)
        if condition is None:
            raise _Lost(why)
        return condition

    def _subquestion_condition(self, variable: str, op: Op,
                               value: str | None) -> tuple[dict[str, Any] | None, str]:
        """``Q2_SQ001 == "Y"``: whether the choice SQ001 of multiple-choice Q2 was ticked."""
        for index in [i for i, c in enumerate(variable) if c == "_"]:
            target = self.mapped.get(variable[:index])
            if target is None or target[0]["type"] != QuestionType.MULTIPLE:
                continue
            document, values = target
            choice = values.get(variable[index + 1:])
            if choice is None:
                continue
            ticked = {(Op.EQ, "Y"), (Op.ANSWERED, None)}
            unticked = {(Op.NEQ, "Y"), (Op.NOT_ANSWERED, None)}
            if (op, value) in ticked:
                return condition_for(document, Op.EQ, choice)
            if (op, value) in unticked:
                return condition_for(document, Op.NEQ, choice)
            return None, _("Dangol cannot express this test of a choice")
        return None, _("it refers to %(question)s, which was not imported or does not come "
                       "earlier") % {"question": variable}


def _unwrap(text: str) -> str:
    """``((a))`` → ``a``: drop parentheses that enclose the whole expression."""
    text = text.strip()
    while text.startswith("(") and text.endswith(")") and _encloses(text):
        text = text[1:-1].strip()
    return text


def _encloses(text: str) -> bool:
    depth = 0
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and index < len(text) - 1:
            return False
    return depth == 0
