"""REST endpoints of campaigns (thin: parse, authorise, call a service or selector)."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from dangol.accounts.actors import actor_from_request
from dangol.accounts.services import require
from dangol.campaigns import selectors, services
from dangol.campaigns.models import Campaign
from dangol.campaigns.schemas import (
    CampaignDetailOut,
    CampaignIn,
    CampaignOut,
    CampaignPage,
    ScheduleIn,
    VariantOut,
)
from dangol.campaigns.selectors import variant_results_dict
from dangol.customers.selectors import paginate

router = Router(tags=["campaigns"])


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[dict[str, str]] | None = None


class PageParams(Schema):
    status: Campaign.Status | None = None
    cursor: str | None = Field(None, description="next_cursor from the previous page")
    limit: int = Field(100, ge=1, le=1000)


def _detail(campaign_id: int) -> dict[str, Any]:
    campaign = selectors.get_campaign(campaign_id)
    data = CampaignOut.model_validate(campaign).model_dump()
    data["variants"] = [VariantOut.model_validate(v).model_dump()
                        for v in campaign.variants.order_by("label")]
    data["results"] = selectors.campaign_results(campaign).as_dict()
    data["results"]["variants"] = variant_results_dict(campaign)
    return data


@router.get("", response={200: CampaignPage, 403: ErrorOut, 422: ErrorOut})
def list_campaigns(request: HttpRequest, page: Query[PageParams]) -> Any:
    """Campaigns, newest first, a page at a time."""
    require(actor_from_request(request), "campaigns.view")
    campaigns = selectors.list_campaigns()
    if page.status:
        campaigns = campaigns.filter(status=page.status.value)
    return paginate(campaigns, cursor=page.cursor, limit=page.limit, newest_first=True)


@router.post("", response={201: CampaignDetailOut, 403: ErrorOut, 422: ErrorOut})
def create_campaign(request: HttpRequest, payload: CampaignIn) -> Status[Any]:
    """Save a draft. A bad template is named by field: ``body``, ``subject``."""
    campaign = services.save_campaign(actor=actor_from_request(request),
                                      values=payload.model_dump())
    return Status(201, _detail(campaign.pk))


@router.get("/{int:campaign_id}", response={200: CampaignDetailOut, 403: ErrorOut, 404: ErrorOut})
def get_campaign(request: HttpRequest, campaign_id: int) -> Any:
    """One campaign with its results: counts, blocked by reason, conversion and uplift
    against the holdout group with a 95 % interval."""
    require(actor_from_request(request), "campaigns.view")
    return _detail(campaign_id)


@router.post("/{int:campaign_id}/send", response={202: CampaignDetailOut, 403: ErrorOut,
                                              404: ErrorOut, 409: ErrorOut})
def send_campaign(request: HttpRequest, campaign_id: int, payload: ScheduleIn) -> Status[Any]:
    """Send a draft now, or schedule it with ``send_at``. 409 ``not_draft`` otherwise."""
    services.schedule_campaign(actor=actor_from_request(request), campaign_id=campaign_id,
                               send_at=payload.send_at)
    return Status(202, _detail(campaign_id))


@router.post("/{int:campaign_id}/cancel", response={200: CampaignDetailOut, 403: ErrorOut,
                                                404: ErrorOut, 409: ErrorOut})
def cancel_campaign(request: HttpRequest, campaign_id: int) -> Any:
    """Cancel a scheduled campaign. 409 ``not_scheduled`` once it started."""
    services.cancel_campaign(actor=actor_from_request(request), campaign_id=campaign_id)
    return _detail(campaign_id)


# Journeys: /api/campaigns/journeys (their paths never match a campaign's numeric id).
from dangol.campaigns.journey_api import router as journey_router  # noqa: E402

router.add_router("/journeys", journey_router)
