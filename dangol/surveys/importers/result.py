"""What an importer hands back: the questions it could map and what it could not."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Unmapped:
    """One thing of the source survey that did not come across (whole or in part).

    ``key`` is the Dangol question key when the question itself was imported
    and only a part of it (its logic, a choice's text box...) was lost; it is
    None when the question was left out.
    """

    source_id: str
    source_type: str
    reason: str
    key: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"source_id": self.source_id, "source_type": self.source_type,
                "reason": str(self.reason), "key": self.key}

    def __str__(self) -> str:
        where = self.source_id or "-"
        if self.source_type:
            where = f"{where} ({self.source_type})"
        if self.key:
            where = f"{where} → {self.key}"
        return f"{where}: {self.reason}"


@dataclass
class ImportedQuestion:
    """A Dangol question document made from one source question, texts per source language."""

    source_id: str
    source_type: str
    document: dict[str, Any]

    @property
    def key(self) -> str:
        return str(self.document["key"])


@dataclass
class ParsedSurvey:
    """An export file read into Dangol's terms, before languages are matched and checked.

    ``languages`` are the source's language codes in lower case, the base
    language first; texts are keyed by them.
    """

    source: str
    name: str
    languages: list[str]
    title: dict[str, str]
    questions: list[ImportedQuestion] = field(default_factory=list)
    intro: dict[str, str] = field(default_factory=dict)  # shown before the first question
    thank_you: dict[str, str] = field(default_factory=dict)  # shown after the last
    unmapped: list[Unmapped] = field(default_factory=list)
    source_question_count: int = 0


class ImportFileError(Exception):
    """The file cannot be imported at all; ``code`` is stable, ``message`` says why."""

    def __init__(self, code: str, message: str, *, details: list[Unmapped] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or []
