"""Writes to the business's theme taxonomy: add, change, switch off, delete, reorder, reset.

Every change runs in one transaction holding the taxonomy row lock, is checked
by textkit's own :class:`~dangol.textkit.Taxonomy` before anything is saved,
bumps the taxonomy version (so every process rebuilds its compiled copy at its
next analysis) and writes an audit row. The first change copies the shipped
default taxonomy into the database.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol import textkit
from dangol.accounts.actors import Actor
from dangol.accounts.services import record_audit, require
from dangol.core.errors import DomainError, FieldProblem, NotFound, ValidationFailed
from dangol.core.transactions import enqueue_after_commit
from dangol.feedback import selectors
from dangol.feedback.models import ReanalysisJob, TaxonomyTheme, ThemeTaxonomy
from dangol.feedback.selectors import ThemeInfo
from dangol.feedback.tasks import plan_reanalysis_task

VIEW = "feedback.view_taxonomy"
MANAGE = "feedback.manage_taxonomy"

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
LABEL_MAX = 40
CUE_MAX = 40
CUES_PER_LANGUAGE = 200
THEMES_MAX = 100
SAMPLE_MAX = 1000
STALE_AFTER = timedelta(minutes=30)
THEME_OBJECT = "feedback.theme"
TAXONOMY_OBJECT = "feedback.themetaxonomy"


@dataclass(frozen=True)
class ThemeInput:
    """Checked values of a theme form."""

    name: str
    label_ko: str
    label_en: str
    cues_ko: tuple[str, ...]
    cues_en: tuple[str, ...]

    def info(self, *, enabled: bool = True, position: int = 0) -> ThemeInfo:
        return ThemeInfo(self.name, self.label_ko, self.label_en, self.cues_ko, self.cues_en,
                         enabled, position)


def split_cues(value: Any) -> list[str]:
    """Cue words from a list or from text with one per line or comma-separated ones."""
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else re.split(r"[\n,]", str(value))
    seen: dict[str, None] = {}
    for item in items:
        cue = " ".join(str(item).split())
        if cue and cue.casefold() not in {c.casefold() for c in seen}:
            seen[cue] = None
    return list(seen)


def _cue_problems(field: str, cues: list[str]) -> list[FieldProblem]:
    problems = []
    if len(cues) > CUES_PER_LANGUAGE:
        problems.append(FieldProblem(field, _("At most %(n)d cue words.")
                                     % {"n": CUES_PER_LANGUAGE}))
    long = [c for c in cues if len(c) > CUE_MAX]
    if long:
        problems.append(FieldProblem(field, _("“%(cue)s” is longer than %(n)d characters.")
                                     % {"cue": long[0][:CUE_MAX] + "…", "n": CUE_MAX}))
    return problems


def _textkit_field(message: str, index: int) -> str:
    """The form field a textkit TaxonomyError message names (``themes[3].cues.ko``)."""
    prefix = f"themes[{index}]"
    if not message.startswith(prefix):
        return "name" if "names must be unique" in message else "__all__"
    rest = message[len(prefix):]
    for marker, field in ((".name", "name"), (".cues.ko", "cues_ko"), (".cues.en", "cues_en")):
        if rest.startswith(marker):
            return field
    return "label_ko" if "labels" in rest else "__all__"


def _check_with_textkit(themes: Sequence[ThemeInfo], index: int) -> textkit.Taxonomy:
    """Build the whole taxonomy through textkit; its error becomes a field problem."""
    document = {"themes": [{"name": t.name,
                            "labels": {"ko": t.label_ko, "en": t.label_en},
                            "cues": {"ko": list(t.cues_ko), "en": list(t.cues_en)}}
                           for t in themes]}
    try:
        return textkit.Taxonomy.from_dict(document)
    except textkit.TaxonomyError as error:
        raise ValidationFailed([FieldProblem(_textkit_field(str(error), index), str(error))],
                               _("The theme is not valid.")) from None


def check_theme(*, name: Any, label_ko: Any, label_en: Any, cues_ko: Any, cues_en: Any,
                editing: str | None, themes: Sequence[ThemeInfo]) -> ThemeInput:
    """Validate one theme against the rest of ``themes``; raise ValidationFailed naming each
    bad field (``name``, ``label_ko``, ``label_en``, ``cues_ko``, ``cues_en``).

    ``editing`` is the key of the theme being changed (its key cannot change),
    None for a new theme.
    """
    problems: list[FieldProblem] = []
    clean_name = editing if editing is not None else (
        name.strip().lower() if isinstance(name, str) else "")
    if editing is None:
        if not clean_name:
            problems.append(FieldProblem("name", _("Give the theme a key.")))
        elif not NAME_RE.match(clean_name):
            problems.append(FieldProblem("name", _(
                "Use lower-case Latin letters, digits and _ (at most 40, starting with a "
                "letter).")))
        elif any(t.name == clean_name for t in themes):
            problems.append(FieldProblem("name", _("Another theme already has this key.")))
        elif len(themes) >= THEMES_MAX:
            problems.append(FieldProblem("name", _("At most %(n)d themes.") % {"n": THEMES_MAX}))
    labels = {}
    for field in ("label_ko", "label_en"):
        raw = {"label_ko": label_ko, "label_en": label_en}[field]
        labels[field] = " ".join(raw.split()) if isinstance(raw, str) else ""
        if len(labels[field]) > LABEL_MAX:
            problems.append(FieldProblem(field, _("At most %(n)d characters.") % {"n": LABEL_MAX}))
    if not labels["label_ko"] and not labels["label_en"]:
        problems.append(FieldProblem("label_ko", _("Give the theme a label in Korean or "
                                                   "English.")))
    ko, en = split_cues(cues_ko), split_cues(cues_en)
    problems += _cue_problems("cues_ko", ko) + _cue_problems("cues_en", en)
    if not ko and not en:
        problems.append(FieldProblem("cues_ko", _("Add at least one cue word in Korean or "
                                                  "English, or the theme is never found.")))
    if problems:
        raise ValidationFailed(problems, _("The theme is not valid."))
    data = ThemeInput(clean_name, labels["label_ko"], labels["label_en"], tuple(ko), tuple(en))
    merged, index = _merged(themes, data, editing)
    _check_with_textkit(merged, index)
    return data


def _merged(themes: Sequence[ThemeInfo], data: ThemeInput,
            editing: str | None) -> tuple[list[ThemeInfo], int]:
    """``themes`` with ``data`` in place of the edited theme (or added at the end)."""
    merged = list(themes)
    for i, theme in enumerate(merged):
        if theme.name == editing:
            merged[i] = data.info(enabled=theme.enabled, position=theme.position)
            return merged, i
    merged.append(data.info(position=len(merged)))
    return merged, len(merged) - 1


# --- the locked taxonomy row ---------------------------------------------------------


def _seed(taxonomy: ThemeTaxonomy) -> None:
    TaxonomyTheme.objects.bulk_create([
        TaxonomyTheme(taxonomy=taxonomy, name=t.name, label_ko=t.label_ko, label_en=t.label_en,
                      cues_ko=list(t.cues_ko), cues_en=list(t.cues_en), position=i)
        for i, t in enumerate(selectors.default_theme_infos())])


def _locked() -> ThemeTaxonomy:
    """The taxonomy row under a row lock, created from the default the first time.

    Call inside a transaction.
    """
    found = ThemeTaxonomy.objects.select_for_update().filter(
        pk=ThemeTaxonomy.SINGLETON_PK).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            taxonomy = ThemeTaxonomy.objects.create(pk=ThemeTaxonomy.SINGLETON_PK)
            _seed(taxonomy)
            return taxonomy
    except IntegrityError:
        # Another request created it first; wait for its lock.
        return ThemeTaxonomy.objects.select_for_update().get(pk=ThemeTaxonomy.SINGLETON_PK)


def _rows(taxonomy: ThemeTaxonomy) -> list[TaxonomyTheme]:
    return list(taxonomy.themes.order_by("position", "pk"))


def _infos(rows: Sequence[TaxonomyTheme]) -> list[ThemeInfo]:
    return [ThemeInfo(r.name, r.label_ko, r.label_en, tuple(r.cues_ko), tuple(r.cues_en),
                      r.enabled, r.position) for r in rows]


def _row(rows: Sequence[TaxonomyTheme], name: str) -> TaxonomyTheme:
    for row in rows:
        if row.name == name:
            return row
    raise NotFound(_("No theme with the key “%(name)s”.") % {"name": name})


def _bump(taxonomy: ThemeTaxonomy, actor: Actor) -> None:
    taxonomy.version += 1
    taxonomy.revision = uuid.uuid4()
    taxonomy.updated_by = actor.user
    taxonomy.save()


def _audit_theme(actor: Actor, action: str, name: str, fields: Sequence[str] = ()) -> None:
    record_audit(actor=actor, action=action, object_type_label=THEME_OBJECT, object_id=name,
                 fields=fields)


# --- changes -------------------------------------------------------------------------


def create_theme(*, actor: Actor, name: Any, label_ko: Any = "", label_en: Any = "",
                 cues_ko: Any = None, cues_en: Any = None) -> TaxonomyTheme:
    """Add a theme at the end of the taxonomy.

    Locks the taxonomy row; writes an audit row. Raises PermissionDenied
    (feedback.manage_taxonomy) and ValidationFailed naming each bad field.
    """
    require(actor, MANAGE)
    with transaction.atomic():
        taxonomy = _locked()
        rows = _rows(taxonomy)
        data = check_theme(name=name, label_ko=label_ko, label_en=label_en, cues_ko=cues_ko,
                           cues_en=cues_en, editing=None, themes=_infos(rows))
        theme = TaxonomyTheme.objects.create(
            taxonomy=taxonomy, name=data.name, label_ko=data.label_ko, label_en=data.label_en,
            cues_ko=list(data.cues_ko), cues_en=list(data.cues_en),
            position=max((r.position for r in rows), default=-1) + 1)
        taxonomy.retired.pop(data.name, None)
        _bump(taxonomy, actor)
        _audit_theme(actor, "create", data.name,
                     ["name", "label_ko", "label_en", "cues_ko", "cues_en"])
    return theme


def update_theme(*, actor: Actor, name: str, label_ko: Any, label_en: Any, cues_ko: Any,
                 cues_en: Any) -> TaxonomyTheme:
    """Change a theme's labels and cue words (its key stays).

    Locks the taxonomy row; writes an audit row naming the changed fields.
    Raises PermissionDenied, NotFound, ValidationFailed.
    """
    require(actor, MANAGE)
    with transaction.atomic():
        taxonomy = _locked()
        rows = _rows(taxonomy)
        theme = _row(rows, name)
        data = check_theme(name=name, label_ko=label_ko, label_en=label_en, cues_ko=cues_ko,
                           cues_en=cues_en, editing=name, themes=_infos(rows))
        new = {"label_ko": data.label_ko, "label_en": data.label_en,
               "cues_ko": list(data.cues_ko), "cues_en": list(data.cues_en)}
        changed = [key for key, value in new.items() if getattr(theme, key) != value]
        if changed:
            for key in changed:
                setattr(theme, key, new[key])
            theme.save(update_fields=changed)
            _bump(taxonomy, actor)
            _audit_theme(actor, "update", name, changed)
    return theme


def set_theme_enabled(*, actor: Actor, name: str, enabled: bool) -> TaxonomyTheme:
    """Switch a theme on or off: a theme switched off is not looked for in new answers,
    and its stored mentions stay. Raises PermissionDenied and NotFound."""
    require(actor, MANAGE)
    with transaction.atomic():
        taxonomy = _locked()
        theme = _row(_rows(taxonomy), name)
        if theme.enabled != enabled:
            theme.enabled = enabled
            theme.save(update_fields=["enabled"])
            _bump(taxonomy, actor)
            _audit_theme(actor, "enable" if enabled else "disable", name, ["enabled"])
    return theme


def delete_theme(*, actor: Actor, name: str) -> None:
    """Delete a theme. Mentions stored before keep its key and show its last label.

    Raises PermissionDenied, NotFound and ValidationFailed (the last theme).
    """
    require(actor, MANAGE)
    with transaction.atomic():
        taxonomy = _locked()
        rows = _rows(taxonomy)
        theme = _row(rows, name)
        if len(rows) == 1:
            raise ValidationFailed([FieldProblem("name", _(
                "The taxonomy needs at least one theme; switch this one off instead."))])
        taxonomy.retired[name] = {"ko": theme.label_ko, "en": theme.label_en}
        theme.delete()
        _bump(taxonomy, actor)
        _audit_theme(actor, "delete", name, ["name"])


def move_theme(*, actor: Actor, name: str, offset: int) -> None:
    """Move a theme ``offset`` places up (negative) or down in the list.

    Raises PermissionDenied and NotFound.
    """
    require(actor, MANAGE)
    with transaction.atomic():
        taxonomy = _locked()
        rows = _rows(taxonomy)
        theme = _row(rows, name)
        index = rows.index(theme)
        target = max(0, min(len(rows) - 1, index + offset))
        if target == index:
            return
        rows.insert(target, rows.pop(index))
        for position, row in enumerate(rows):
            row.position = position
        TaxonomyTheme.objects.bulk_update(rows, ["position"])
        _bump(taxonomy, actor)
        _audit_theme(actor, "move", name, ["position"])


def reset_taxonomy(*, actor: Actor) -> None:
    """Replace every theme by the shipped default taxonomy.

    Deleted custom themes keep their labels for stored mentions. Writes an
    audit row. Raises PermissionDenied.
    """
    require(actor, MANAGE)
    with transaction.atomic():
        taxonomy = _locked()
        defaults = {t.name for t in selectors.default_theme_infos()}
        for row in _rows(taxonomy):
            if row.name not in defaults:
                taxonomy.retired[row.name] = {"ko": row.label_ko, "en": row.label_en}
        for name in defaults:
            taxonomy.retired.pop(name, None)
        taxonomy.themes.all().delete()
        _seed(taxonomy)
        _bump(taxonomy, actor)
        record_audit(actor=actor, action="reset", object_type_label=TAXONOMY_OBJECT,
                     object_id=str(taxonomy.pk), fields=["themes"])


def export_document() -> dict[str, Any]:
    """The business taxonomy as a JSON-ready document that ``dangol text analyze --taxonomy``
    and :func:`import_taxonomy` read (themes switched off carry ``"enabled": false``)."""
    snapshot = selectors.taxonomy_snapshot()
    document = selectors.compile_taxonomy(
        [replace(t, enabled=True) for t in snapshot.themes]).to_dict()
    for item, theme in zip(document["themes"], snapshot.themes, strict=True):
        if not theme.enabled:
            item["enabled"] = False
    return document


IMPORT_MAX_BYTES = 1_000_000


def import_taxonomy(*, actor: Actor, text: str) -> int:
    """Replace every theme by those of a JSON document (as :func:`export_document` writes).

    Checked whole by textkit and by the theme rules before anything changes;
    themes that disappear keep their labels for stored mentions. Writes an
    audit row; returns the number of themes. Raises PermissionDenied and
    ValidationFailed (field ``file``, the message naming the place in the
    document, e.g. ``themes[2].cues.ko``).
    """
    require(actor, MANAGE)
    if len(text.encode()) > IMPORT_MAX_BYTES:
        raise ValidationFailed([FieldProblem("file", _("The file is larger than 1 MB."))])
    try:
        parsed = textkit.Taxonomy.from_json(text)
    except textkit.TaxonomyError as error:
        raise ValidationFailed([FieldProblem("file", str(error))]) from None
    raw = json.loads(text)["themes"]
    themes: list[ThemeInfo] = []
    for i, theme in enumerate(parsed.themes):
        try:
            data = check_theme(name=theme.name, label_ko=theme.labels.get("ko", ""),
                               label_en=theme.labels.get("en", ""),
                               cues_ko=list(theme.cues.get("ko", ())),
                               cues_en=list(theme.cues.get("en", ())), editing=None,
                               themes=themes)
        except ValidationFailed as error:
            raise ValidationFailed([FieldProblem("file", f"themes[{i}].{_DOC_FIELD[p.field]}: "
                                                 f"{p.message}") for p in error.problems]
                                   ) from None
        themes.append(data.info(enabled=raw[i].get("enabled", True) is not False, position=i))
    with transaction.atomic():
        taxonomy = _locked()
        kept = {t.name for t in themes}
        for row in _rows(taxonomy):
            if row.name not in kept:
                taxonomy.retired[row.name] = {"ko": row.label_ko, "en": row.label_en}
        for name in kept:
            taxonomy.retired.pop(name, None)
        taxonomy.themes.all().delete()
        TaxonomyTheme.objects.bulk_create([
            TaxonomyTheme(taxonomy=taxonomy, name=t.name, label_ko=t.label_ko,
                          label_en=t.label_en, cues_ko=list(t.cues_ko), cues_en=list(t.cues_en),
                          enabled=t.enabled, position=t.position) for t in themes])
        _bump(taxonomy, actor)
        record_audit(actor=actor, action="import", object_type_label=TAXONOMY_OBJECT,
                     object_id=str(taxonomy.pk), fields=["themes"])
    return len(themes)


_DOC_FIELD = {"name": "name", "label_ko": "labels.ko", "label_en": "labels.en",
              "cues_ko": "cues.ko", "cues_en": "cues.en", "__all__": "themes"}


# --- trying a sentence -----------------------------------------------------------------


@dataclass(frozen=True)
class SampleResult:
    analysis: textkit.Analysis
    labels: dict[str, str]
    draft: bool


def analyse_sample(*, text: str, language: str, draft: dict[str, Any] | None = None,
                   editing: str | None = None) -> SampleResult:
    """Analyse ``text`` with the saved taxonomy, or with ``draft`` (theme form values, not
    saved) in place of theme ``editing`` (added when None). Writes nothing.

    Raises ValidationFailed naming the bad field (``text`` or a theme field).
    """
    clean = text.strip() if isinstance(text, str) else ""
    if not clean:
        raise ValidationFailed([FieldProblem("text", _("Write a sentence to try."))])
    if len(clean) > SAMPLE_MAX:
        raise ValidationFailed([FieldProblem("text", _("At most %(n)d characters.")
                                             % {"n": SAMPLE_MAX})])
    snapshot = selectors.taxonomy_snapshot()
    taxonomy = snapshot.taxonomy
    labels = snapshot.labels(language)
    if draft is not None:
        themes = list(snapshot.themes)
        fields = ("name", "label_ko", "label_en", "cues_ko", "cues_en")
        data = check_theme(editing=editing, themes=themes,
                           **{name: draft.get(name, "") for name in fields})
        merged, index = _merged(themes, data, editing)
        merged[index] = replace(merged[index], enabled=True)
        taxonomy = selectors.compile_taxonomy(merged)
        labels[data.name] = merged[index].label(language)
    return SampleResult(textkit.analyze(clean, taxonomy), labels, draft is not None)


# --- re-analysis ----------------------------------------------------------------------


def start_reanalysis(*, actor: Actor, queue: bool = True) -> ReanalysisJob:
    """Find the themes of every analysed answer again with the current taxonomy, in the
    workers (planned after commit); with ``queue=False`` the caller runs the job
    (:func:`dangol.feedback.analysis.run_reanalysis`). Writes an audit row.

    Raises PermissionDenied, and DomainError while another re-analysis is running.
    """
    require(actor, MANAGE)
    with transaction.atomic():
        taxonomy = _locked()  # one start at a time
        # A job that has not moved for a long while (its worker died) does not block.
        if ReanalysisJob.objects.filter(
                status__in=[ReanalysisJob.Status.QUEUED, ReanalysisJob.Status.RUNNING],
                updated_at__gte=timezone.now() - STALE_AFTER).exists():
            raise DomainError(_("A re-analysis is already running."), code="already_running",
                              status=409)
        job = ReanalysisJob.objects.create(taxonomy_version=taxonomy.version,
                                           created_by=actor.user)
        record_audit(actor=actor, action="reanalyse", obj=job, fields=["themes"])
        if queue:
            enqueue_after_commit(plan_reanalysis_task, job.pk)
    return job
