"""REST endpoints for surveys (thin: parse, authorise, call a service or selector)."""

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from dangol.accounts.actors import actor_from_request
from dangol.accounts.services import require
from dangol.customers import selectors as customer_selectors
from dangol.customers.selectors import paginate
from dangol.stats.survey import NPSResult, ScaleSummary
from dangol.surveys import results as survey_results
from dangol.surveys import selectors
from dangol.surveys.api_drivers import router as drivers_router
from dangol.surveys.models import Invitation, Response, Survey
from dangol.surveys.services import imports as import_services
from dangol.surveys.services import invitations as invitation_services
from dangol.surveys.services import responses as response_services
from dangol.surveys.services import surveys as survey_services

router = Router(tags=["surveys"])
router.add_router("", drivers_router)  # GET /{survey_id}/drivers


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[dict[str, str]] | None = None


class SurveyIn(Schema):
    name: str
    kind: Survey.Kind = Survey.Kind.CUSTOM
    purpose: Survey.Purpose = Survey.Purpose.TRANSACTIONAL
    languages: list[str] = Field(default_factory=lambda: ["ko", "en"])
    default_language: str | None = None
    title: dict[str, str] | None = None
    intro: dict[str, str] = Field(default_factory=dict)
    thank_you: dict[str, str] = Field(default_factory=dict)
    definition: dict[str, Any] = Field(description="{'questions': [...]}, see the docs")
    one_per_page: bool = True
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    quota: int | None = Field(None, ge=1)
    anonymous_link: bool = True
    invitation_days: int = Field(30, ge=1, le=365)
    reminder_after_days: int | None = Field(None, ge=1, le=90)
    max_reminders: int = Field(1, ge=0, le=5)
    publish: bool = False


class SurveyPatch(Schema):
    name: str | None = None
    purpose: Survey.Purpose | None = None
    languages: list[str] | None = None
    default_language: str | None = None
    title: dict[str, str] | None = None
    intro: dict[str, str] | None = None
    thank_you: dict[str, str] | None = None
    one_per_page: bool | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    quota: int | None = Field(None, ge=1)
    anonymous_link: bool | None = None
    invitation_days: int | None = Field(None, ge=1, le=365)
    reminder_after_days: int | None = Field(None, ge=1, le=90)
    max_reminders: int | None = Field(None, ge=0, le=5)


class DraftIn(Schema):
    definition: dict[str, Any]


class SurveyOut(Schema):
    id: int
    name: str
    kind: str
    status: str
    purpose: str
    languages: list[str]
    default_language: str
    title: dict[str, str]
    intro: dict[str, str]
    thank_you: dict[str, str]
    version: int | None
    definition: dict[str, Any] | None
    draft: dict[str, Any]
    public_url: str
    one_per_page: bool
    opens_at: datetime | None
    closes_at: datetime | None
    quota: int | None
    completed_count: int
    created_at: datetime


class ResponseIn(Schema):
    answers: dict[str, Any]
    language: str | None = None
    customer_id: str | None = Field(None, description="the customer's external ID")
    external_id: str | None = Field(None, max_length=64,
                                    description="your ID; repeating it changes nothing")


class ResponseOut(Schema):
    id: int
    external_id: str | None
    survey_id: int
    version: int
    status: str
    language: str
    channel: str
    customer_id: str | None
    answers: dict[str, Any]
    completed_at: datetime | None
    created_at: datetime


class ResponsePage(Schema):
    items: list[ResponseOut]
    next_cursor: str | None


class InviteIn(Schema):
    channel: str = "email"
    wave: str | None = Field(None, max_length=60,
                             description="why this send (default: today's date); a customer "
                                         "is invited once per wave")
    customer_ids: list[str] = Field(default_factory=list, max_length=10000)
    region: str = ""
    language: str = ""
    gender: str | None = None
    rfm_segment: str = ""
    segment_id: int | None = Field(None, description="a saved segment's ID")
    ordered_within_days: int | None = Field(None, ge=1, le=3650)


class InviteOut(Schema):
    invited: int
    skipped: dict[str, int]


class InvitationOut(Schema):
    id: int
    customer_id: str
    channel: str
    language: str
    wave: str
    status: str
    sent_at: datetime | None
    opened_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    reminders_sent: int
    expires_at: datetime


class InvitationPage(Schema):
    items: list[InvitationOut]
    next_cursor: str | None


def _survey_out(survey: Survey, request: HttpRequest) -> dict[str, Any]:
    version = survey.current_version
    return {
        "id": survey.pk, "name": survey.name, "kind": survey.kind, "status": survey.status,
        "purpose": survey.purpose, "languages": survey.languages,
        "default_language": survey.default_language, "title": survey.title,
        "intro": survey.intro, "thank_you": survey.thank_you,
        "version": version.number if version else None,
        "definition": version.definition if version else None, "draft": survey.draft,
        "public_url": request.build_absolute_uri(f"/s/{survey.public_slug}/"),
        "one_per_page": survey.one_per_page, "opens_at": survey.opens_at,
        "closes_at": survey.closes_at, "quota": survey.quota,
        "completed_count": survey.completed_count, "created_at": survey.created_at,
    }


def _response_out(response: Response) -> dict[str, Any]:
    return {
        "id": response.pk, "external_id": response.external_id,
        "survey_id": response.survey_id, "version": response.version.number,
        "status": response.status, "language": response.language,
        "channel": response.channel,
        "customer_id": response.customer.external_id if response.customer else None,
        "answers": response.answers, "completed_at": response.completed_at,
        "created_at": response.created_at,
    }


def _view(request: HttpRequest) -> None:
    require(actor_from_request(request), "surveys.view")


@router.get("", response=list[SurveyOut])
def list_surveys(request: HttpRequest) -> list[dict[str, Any]]:
    _view(request)
    return [_survey_out(s, request) for s in selectors.list_surveys()]


@router.post("", response={201: SurveyOut, 422: ErrorOut})
def create_survey(request: HttpRequest, payload: SurveyIn) -> Status[dict[str, Any]]:
    """Create a survey; with ``publish`` it goes live at once (all translations needed)."""
    data = payload.model_dump()
    survey = survey_services.create_survey(
        actor=actor_from_request(request), name=data.pop("name"),
        definition=data.pop("definition"), languages=data.pop("languages"),
        default_language=data.pop("default_language"), title=data.pop("title"),
        publish=data.pop("publish"), **data)
    return Status(201, _survey_out(survey_services.get_survey(pk=survey.pk), request))


class UnmappedOut(Schema):
    source_id: str
    source_type: str
    reason: str
    key: str | None


class ImportOut(Schema):
    survey: SurveyOut
    source: str
    unmapped: list[UnmappedOut]


@router.post("/import", response={201: ImportOut, 400: ErrorOut, 422: ErrorOut})
def import_file(request: HttpRequest, file: File[UploadedFile]) -> Status[dict[str, Any]]:
    """Import a Qualtrics .qsf or LimeSurvey .lss export as a draft survey.

    Whatever cannot be expressed in Dangol is listed in ``unmapped``; a
    malformed file is refused with its reason and creates nothing.
    """
    result = import_services.import_survey(actor=actor_from_request(request),
                                           filename=file.name or "", content=file.read())
    survey = survey_services.get_survey(pk=result.survey.pk)
    return Status(201, {"survey": _survey_out(survey, request), "source": result.source,
                        "unmapped": [u.as_dict() for u in result.unmapped]})


@router.get("/{survey_id}", response={200: SurveyOut, 404: ErrorOut})
def get_survey(request: HttpRequest, survey_id: int) -> dict[str, Any]:
    _view(request)
    return _survey_out(survey_services.get_survey(pk=survey_id), request)


@router.patch("/{survey_id}", response={200: SurveyOut, 404: ErrorOut, 422: ErrorOut})
def update_survey(request: HttpRequest, survey_id: int, payload: SurveyPatch) -> dict[str, Any]:
    survey = survey_services.get_survey(pk=survey_id)
    values = payload.model_dump(exclude_unset=True)
    survey_services.update_survey(actor=actor_from_request(request), survey=survey, **values)
    return _survey_out(survey_services.get_survey(pk=survey_id), request)


@router.put("/{survey_id}/draft", response={200: SurveyOut, 404: ErrorOut, 422: ErrorOut})
def save_draft(request: HttpRequest, survey_id: int, payload: DraftIn) -> dict[str, Any]:
    """Replace the questions being edited; answers given so far are untouched."""
    survey = survey_services.get_survey(pk=survey_id)
    survey_services.save_draft(actor=actor_from_request(request), survey=survey,
                               definition=payload.definition)
    return _survey_out(survey_services.get_survey(pk=survey_id), request)


@router.post("/{survey_id}/publish", response={200: SurveyOut, 404: ErrorOut, 422: ErrorOut})
def publish(request: HttpRequest, survey_id: int) -> dict[str, Any]:
    """Make the draft live as a new version (earlier answers keep their version)."""
    survey = survey_services.get_survey(pk=survey_id)
    survey_services.publish_survey(actor=actor_from_request(request), survey=survey)
    return _survey_out(survey_services.get_survey(pk=survey_id), request)


@router.post("/{survey_id}/close", response={200: SurveyOut, 404: ErrorOut})
def close(request: HttpRequest, survey_id: int) -> dict[str, Any]:
    survey = survey_services.get_survey(pk=survey_id)
    survey_services.close_survey(actor=actor_from_request(request), survey=survey)
    return _survey_out(survey_services.get_survey(pk=survey_id), request)


@router.post("/{survey_id}/responses",
             response={200: ResponseOut, 201: ResponseOut, 404: ErrorOut, 409: ErrorOut,
                       422: ErrorOut})
def submit_response(request: HttpRequest, survey_id: int,
                    payload: ResponseIn) -> Status[dict[str, Any]]:
    """Record a completed response (fires the same webhook as the response page)."""
    require(actor_from_request(request), "surveys.respond")
    survey = survey_services.get_survey(pk=survey_id)
    customer_pk = None
    if payload.customer_id:
        customer_pk = customer_selectors.get_customer(external_id=payload.customer_id).pk
    response, created = response_services.submit_response(
        survey=survey, answers=payload.answers, language=payload.language,
        customer_pk=customer_pk, external_id=payload.external_id)
    response = Response.objects.select_related("version", "customer").get(pk=response.pk)
    return Status(201 if created else 200, _response_out(response))


@router.get("/{survey_id}/responses", response={200: ResponsePage, 404: ErrorOut})
def list_responses(request: HttpRequest, survey_id: int, cursor: str | None = None,
                   limit: int = Query(100, ge=1, le=1000),
                   status: str = "completed") -> dict[str, Any]:
    """Responses, newest first, a page at a time (pass next_cursor back)."""
    _view(request)
    survey = survey_services.get_survey(pk=survey_id)
    responses = selectors.list_responses(survey)
    if status:
        responses = responses.filter(status=status)
    page = paginate(responses, cursor=cursor, limit=limit, newest_first=True)
    return {"items": [_response_out(r) for r in page.items], "next_cursor": page.next_cursor}


class IntervalOut(Schema):
    low: float
    high: float
    confidence: float


class NPSOut(Schema):
    score: float
    n: int
    promoters: int
    passives: int
    detractors: int
    interval: IntervalOut


class ScaleOut(Schema):
    n: int
    mean: float
    interval: IntervalOut
    top_box: float
    top2_box: float


class QuestionResultOut(Schema):
    key: str
    type: str
    text: str
    answered: int
    counts: dict[str, int]
    nps: NPSOut | None = None
    scale: ScaleOut | None = None


class ResultsOut(Schema):
    completed: int
    in_progress: int
    invited: int
    response_rate: float | None
    by_version: dict[str, int]
    by_language: dict[str, int]
    questions: list[QuestionResultOut]


def _nps_out(result: NPSResult | None) -> dict[str, Any] | None:
    if result is None:
        return None
    return {"score": result.score, "n": result.n, "promoters": result.promoters,
            "passives": result.passives, "detractors": result.detractors,
            "interval": result.interval}


def _scale_out(result: ScaleSummary | None) -> dict[str, Any] | None:
    if result is None:
        return None
    return {"n": result.n, "mean": result.mean, "interval": result.interval,
            "top_box": result.top_box.estimate, "top2_box": result.top2_box.estimate}


@router.get("/{survey_id}/results", response={200: ResultsOut, 404: ErrorOut})
def results(request: HttpRequest, survey_id: int, since: date | None = None,
            until: date | None = None, language: str = "", channel: str = "",
            version: int | None = None, text_language: str = "ko") -> dict[str, Any]:
    """NPS, CSAT and CES with 95 % intervals, answer counts and the response rate."""
    _view(request)
    survey = survey_services.get_survey(pk=survey_id)
    found = survey_results.survey_results(
        survey, language=text_language,
        flt=survey_results.ResultFilter(since=since, until=until, language=language,
                                        channel=channel, version=version))
    return {
        "completed": found.completed, "in_progress": found.partial, "invited": found.invited,
        "response_rate": found.response_rate,
        "by_version": {f"v{n}": c for n, c in found.by_version},
        "by_language": dict(found.by_language),
        "questions": [{"key": q.key, "type": q.type, "text": q.text, "answered": q.answered,
                       "counts": {b.label: b.count for b in q.bars},
                       "nps": _nps_out(q.nps), "scale": _scale_out(q.scale)}
                      for q in found.questions],
    }


@router.post("/{survey_id}/invitations", response={200: InviteOut, 404: ErrorOut,
                                                   409: ErrorOut, 422: ErrorOut})
def invite(request: HttpRequest, survey_id: int, payload: InviteIn) -> dict[str, Any]:
    """Invite the customers matching every given filter (consent and frequency rules apply)."""
    survey = survey_services.get_survey(pk=survey_id)
    audience = selectors.Audience(
        customer_ids=tuple(payload.customer_ids), region=payload.region,
        language=payload.language, gender=payload.gender, rfm_segment=payload.rfm_segment,
        segment_id=payload.segment_id, ordered_within_days=payload.ordered_within_days)
    result = invitation_services.invite_customers(
        actor=actor_from_request(request), survey=survey,
        customers=selectors.audience_customers(audience), channel=payload.channel,
        wave=payload.wave or date.today().isoformat())
    return {"invited": result.invited, "skipped": result.skipped}


@router.get("/{survey_id}/invitations", response={200: InvitationPage, 404: ErrorOut})
def list_invitations(request: HttpRequest, survey_id: int, cursor: str | None = None,
                     limit: int = Query(100, ge=1, le=1000)) -> dict[str, Any]:
    _view(request)
    survey = survey_services.get_survey(pk=survey_id)
    page = paginate(selectors.list_invitations(survey), cursor=cursor, limit=limit,
                    newest_first=True)
    states = selectors.message_states([i.message_id for i in page.items if i.message_id])
    return {"items": [_invitation_out(i, *states.get(i.message_id or 0, (None, None)))
                      for i in page.items],
            "next_cursor": page.next_cursor}


def _invitation_out(invitation: Invitation, message_status: str | None,
                    sent_at: datetime | None) -> dict[str, Any]:
    return {
        "id": invitation.pk, "customer_id": invitation.customer.external_id,
        "channel": invitation.channel, "language": invitation.language, "wave": invitation.wave,
        "status": selectors.invitation_status(invitation, message_status),
        "sent_at": sent_at, "opened_at": invitation.opened_at,
        "started_at": invitation.started_at, "completed_at": invitation.completed_at,
        "reminders_sent": invitation.reminders_sent, "expires_at": invitation.expires_at,
    }
