"""REST endpoints for the business's theme taxonomy (thin: parse, authorise, call).

The same services as the pages: every change is checked by textkit before it
is saved, bumps the taxonomy version that the workers follow, and is audited.
"""

import json
from typing import Any

from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from dangol.accounts.actors import actor_from_request
from dangol.accounts.services import require
from dangol.core.errors import NotFound
from dangol.feedback import hub_api, selectors, taxonomy
from dangol.feedback.models import ReanalysisJob

router = Router(tags=["feedback"])
router.add_router("/items", hub_api.router)


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[dict[str, str]] | None = None


class ThemeOut(Schema):
    name: str
    label_ko: str
    label_en: str
    cues_ko: list[str]
    cues_en: list[str]
    enabled: bool
    position: int
    answers: int = Field(description="analysed answers that mention the theme")


class TaxonomyOut(Schema):
    version: int = Field(description="0 while the shipped default is in use")
    customised: bool
    themes: list[ThemeOut]


class ThemeIn(Schema):
    name: str = Field(description="key: lower-case letters, digits and _, e.g. scent")
    label_ko: str = ""
    label_en: str = ""
    cues_ko: list[str] = Field(default_factory=list)
    cues_en: list[str] = Field(default_factory=list)


class ThemeChange(Schema):
    label_ko: str = ""
    label_en: str = ""
    cues_ko: list[str] = Field(default_factory=list)
    cues_en: list[str] = Field(default_factory=list)
    enabled: bool | None = Field(None, description="switch the theme on or off")


class ThemeMove(Schema):
    offset: int = Field(description="-1 moves the theme up one place, 1 down")


class DocumentIn(Schema):
    themes: list[dict[str, Any]] = Field(
        description='as GET /themes/document returns: [{"name", "labels", "cues": {"ko", "en"}}]')


class SampleIn(Schema):
    text: str
    language: str = Field("ko", pattern="^(ko|en)$", description="language of the labels")


class SampleTheme(Schema):
    name: str
    label: str
    sentiment: str


class SampleOut(Schema):
    lang: str
    sentiment: str
    score: float
    themes: list[SampleTheme]
    keywords: list[str]
    masked: str


class ReanalysisOut(Schema):
    id: int
    status: str
    taxonomy_version: int
    answers_total: int
    answers_done: int
    error: str
    created_at: Any
    finished_at: Any


def _taxonomy_out() -> dict[str, Any]:
    snapshot = selectors.taxonomy_snapshot()
    counts = selectors.answers_per_theme()
    return {"version": snapshot.version, "customised": snapshot.customised,
            "themes": [{"name": t.name, "label_ko": t.label_ko, "label_en": t.label_en,
                        "cues_ko": list(t.cues_ko), "cues_en": list(t.cues_en),
                        "enabled": t.enabled, "position": t.position,
                        "answers": counts.get(t.name, 0)} for t in snapshot.themes]}


def _theme_out(name: str) -> dict[str, Any]:
    return next(t for t in _taxonomy_out()["themes"] if t["name"] == name)


def _job_out(job: ReanalysisJob) -> dict[str, Any]:
    return {"id": job.pk, "status": job.status, "taxonomy_version": job.taxonomy_version,
            "answers_total": job.answers_total, "answers_done": job.answers_done,
            "error": job.error, "created_at": job.created_at, "finished_at": job.finished_at}


@router.get("/themes", response=TaxonomyOut)
def list_themes(request: HttpRequest) -> dict[str, Any]:
    """The business's themes in order, with how many analysed answers mention each."""
    require(actor_from_request(request), taxonomy.VIEW)
    return _taxonomy_out()


@router.get("/themes/document", response=dict[str, Any])
def export_themes(request: HttpRequest) -> dict[str, Any]:
    """The taxonomy as a JSON document that ``dangol text analyze --taxonomy`` reads."""
    require(actor_from_request(request), taxonomy.VIEW)
    return taxonomy.export_document()


@router.put("/themes/document", response={200: TaxonomyOut, 422: ErrorOut})
def import_themes(request: HttpRequest, payload: DocumentIn) -> dict[str, Any]:
    """Replace every theme by those of the document; checked whole before anything changes
    (errors name the place, e.g. ``themes[2].cues.ko``)."""
    taxonomy.import_taxonomy(actor=actor_from_request(request),
                             text=json.dumps(payload.model_dump(), ensure_ascii=False))
    return _taxonomy_out()


@router.post("/themes", response={201: ThemeOut, 422: ErrorOut})
def create_theme(request: HttpRequest, payload: ThemeIn) -> Status[Any]:
    """Add a theme at the end. Bad fields are named: ``name``, ``cues_ko`` …"""
    theme = taxonomy.create_theme(actor=actor_from_request(request), **payload.model_dump())
    return Status(201, _theme_out(theme.name))


# Fixed paths come before /themes/{name}, which would otherwise take them.
@router.post("/themes/reset", response=TaxonomyOut)
def reset_themes(request: HttpRequest) -> dict[str, Any]:
    """Go back to the shipped default themes."""
    taxonomy.reset_taxonomy(actor=actor_from_request(request))
    return _taxonomy_out()


@router.post("/themes/try", response={200: SampleOut, 422: ErrorOut})
def try_sentence(request: HttpRequest, payload: SampleIn) -> dict[str, Any]:
    """Analyse one sentence with the saved themes; nothing is stored."""
    require(actor_from_request(request), taxonomy.VIEW)
    with translation.override(payload.language):
        result = taxonomy.analyse_sample(text=payload.text, language=payload.language)
    analysis = result.analysis
    return {"lang": analysis.lang, "sentiment": analysis.sentiment.label,
            "score": analysis.sentiment.score,
            "themes": [{"name": t.name, "label": result.labels.get(t.name, t.name),
                        "sentiment": t.sentiment} for t in analysis.themes],
            "keywords": list(analysis.keywords), "masked": analysis.masked}


@router.put("/themes/{name}", response={200: ThemeOut, 404: ErrorOut, 422: ErrorOut})
def update_theme(request: HttpRequest, name: str, payload: ThemeChange) -> dict[str, Any]:
    """Change a theme's labels and cue words (the key stays), and switch it on or off."""
    actor = actor_from_request(request)
    data = payload.model_dump()
    enabled = data.pop("enabled")
    taxonomy.update_theme(actor=actor, name=name, **data)
    if enabled is not None:
        taxonomy.set_theme_enabled(actor=actor, name=name, enabled=enabled)
    return _theme_out(name)


@router.post("/themes/{name}/move", response={200: TaxonomyOut, 404: ErrorOut})
def move_theme(request: HttpRequest, name: str, payload: ThemeMove) -> dict[str, Any]:
    """Move a theme up (negative offset) or down in the list."""
    taxonomy.move_theme(actor=actor_from_request(request), name=name, offset=payload.offset)
    return _taxonomy_out()


@router.delete("/themes/{name}", response={204: None, 404: ErrorOut, 422: ErrorOut})
def delete_theme(request: HttpRequest, name: str) -> Status[None]:
    """Delete a theme; answers analysed before keep it under its last label."""
    taxonomy.delete_theme(actor=actor_from_request(request), name=name)
    return Status(204, None)


@router.post("/reanalysis", response={202: ReanalysisOut, 409: ErrorOut})
def start_reanalysis(request: HttpRequest) -> Status[Any]:
    """Find the themes of every analysed answer again with the current themes, in the
    workers; poll ``GET /reanalysis/{id}`` for progress."""
    job = taxonomy.start_reanalysis(actor=actor_from_request(request))
    return Status(202, _job_out(job))


@router.get("/reanalysis/{job_id}", response={200: ReanalysisOut, 404: ErrorOut})
def get_reanalysis(request: HttpRequest, job_id: int) -> dict[str, Any]:
    require(actor_from_request(request), taxonomy.VIEW)
    job = selectors.find_reanalysis(job_id)
    if job is None:
        raise NotFound(_("No re-analysis %(id)s.") % {"id": job_id})
    return _job_out(job)
