"""REST endpoints of loyalty (thin: parse, authorise, call a service or selector).

Errors carry stable codes: ``insufficient_points``, ``idempotency_conflict``,
``unknown_customer``, ``unknown_entry``, ``already_reversed``, ``not_reversible``,
``unknown_event``, ``sold_out``, ``event_closed``, ``unknown_coupon``,
``coupon_not_started``, ``coupon_paused``, ``coupon_expired``, ``coupon_used``,
``min_spend_not_met``,
``members_only``, ``not_your_coupon``, ``per_customer_limit``, ``budget_exhausted``,
``currency_mismatch``, ``unknown_reservation``, ``reservation_expired``,
``reservation_released``, ``reservation_confirmed``, ``unknown_reward``,
``self_referral``, ``already_referred``,
``validation_error``, ``permission_denied``.
"""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from dangol.accounts.actors import actor_from_request
from dangol.accounts.services import require
from dangol.core.errors import NotFound
from dangol.customers.selectors import paginate
from dangol.loyalty import selectors, services
from dangol.loyalty.schemas import (
    AdjustIn,
    BalanceOut,
    BuyRewardIn,
    ClaimIn,
    ClaimOut,
    ConfirmIn,
    CouponCheckIn,
    CouponOut,
    CouponQuoteOut,
    EarnIn,
    EntryOut,
    EntryPage,
    ErrorOut,
    EventIn,
    EventOut,
    RedeemIn,
    ReferralIn,
    ReferralOut,
    ReservationOut,
    ReserveIn,
    ReverseIn,
    RewardOut,
)
from dangol.loyalty.services import coupons, events, referrals

router = Router(tags=["loyalty"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _customer_pk(external_id: str) -> int:
    pk = selectors.find_customer_pk(external_id=external_id)
    if pk is None:
        raise NotFound(f"No customer with ID {external_id}.", code="unknown_customer")
    return pk


def _key(request: HttpRequest, body_key: str) -> str:
    return body_key or request.headers.get("Idempotency-Key", "")


@router.get("/accounts/{customer_id}", response={200: BalanceOut, **ERRORS})
def get_balance(request: HttpRequest, customer_id: str) -> dict[str, Any]:
    """Balance, spendable and pending points, debt, and points expiring in the next 90 days."""
    require(actor_from_request(request), "loyalty.view")
    account = selectors.find_account(customer_pk=_customer_pk(customer_id))
    summary = selectors.balance_summary(account=account)
    return {
        "customer_id": customer_id,
        "balance": summary.balance,
        "spendable": summary.spendable,
        "pending": summary.pending,
        "debt": summary.debt,
        "lifetime_earned": summary.lifetime_earned,
        "expiring": [{"expires_at": at, "points": n} for at, n in summary.expiring],
    }


@router.get("/accounts/{customer_id}/entries", response={200: EntryPage, **ERRORS})
def list_entries(
    request: HttpRequest,
    customer_id: str,
    cursor: Query[str | None] = None,
    limit: Query[int] = 100,
) -> Any:
    """The ledger of one customer, newest first, a page at a time."""
    require(actor_from_request(request), "loyalty.view")
    account = selectors.find_account(customer_pk=_customer_pk(customer_id))
    if account is None:
        return {"items": [], "next_cursor": None}
    return paginate(
        selectors.ledger_history(account=account),
        cursor=cursor,
        limit=max(1, min(limit, 1000)),
        newest_first=True,
    )


@router.post("/earn", response={200: EntryOut, **ERRORS})
def earn(request: HttpRequest, payload: EarnIn) -> Any:
    """Give points. Repeating the same idempotency key returns the first entry."""
    return services.earn_points(
        actor=actor_from_request(request),
        customer_pk=_customer_pk(payload.customer_id),
        points=payload.points,
        source=payload.source,
        source_ref=payload.source_ref,
        reason=payload.reason,
        idempotency_key=_key(request, payload.idempotency_key),
    )


@router.post("/redeem", response={200: EntryOut, **ERRORS})
def redeem(request: HttpRequest, payload: RedeemIn) -> Any:
    """Spend points, earliest-expiring first; ``insufficient_points`` changes nothing."""
    return services.redeem_points(
        actor=actor_from_request(request),
        customer_pk=_customer_pk(payload.customer_id),
        points=payload.points,
        source=payload.source,
        source_ref=payload.source_ref,
        idempotency_key=_key(request, payload.idempotency_key),
    )


@router.post("/adjust", response={200: EntryOut, **ERRORS})
def adjust(request: HttpRequest, payload: AdjustIn) -> Any:
    """A manual correction with a reason, recorded with the staff member."""
    return services.adjust_points(
        actor=actor_from_request(request),
        customer_pk=_customer_pk(payload.customer_id),
        points=payload.points,
        reason=payload.reason,
        idempotency_key=_key(request, payload.idempotency_key),
    )


@router.post("/entries/{entry_id}/reverse", response={200: EntryOut, **ERRORS})
def reverse(request: HttpRequest, entry_id: int, payload: ReverseIn) -> Any:
    """Undo an entry as if it never happened; spent points become debt."""
    return services.reverse_entry(
        actor=actor_from_request(request),
        entry_id=entry_id,
        reason=payload.reason,
        idempotency_key=_key(request, payload.idempotency_key),
    )


@router.post("/events", response={201: EventOut, **ERRORS})
def create_event(request: HttpRequest, payload: EventIn) -> Status[Any]:
    """A first-come event: the first ``capacity`` customers who claim get ``points``."""
    event = events.create_event(actor=actor_from_request(request), **payload.dict())
    return Status(201, event)


@router.post("/events/{event_id}/claims", response={200: ClaimOut, 201: ClaimOut, **ERRORS})
def claim(request: HttpRequest, event_id: int, payload: ClaimIn) -> Status[dict[str, Any]]:
    """Claim a place: 201 for a new winner, 200 for a repeat, 409 ``sold_out`` after that."""
    result = events.claim_event(
        actor=actor_from_request(request),
        event_id=event_id,
        customer_pk=_customer_pk(payload.customer_id),
    )
    entry = result.claim.entry
    return Status(
        201 if result.created else 200,
        {
            "event_id": event_id,
            "customer_id": payload.customer_id,
            "position": result.claim.position,
            "created": result.created,
            "points": entry.points - entry.debt_delta if entry is not None else 0,
        },
    )


# --- coupons and rewards -------------------------------------------------------------


def _optional_customer(external_id: str | None) -> int | None:
    return _customer_pk(external_id) if external_id else None


@router.post("/coupons/validate", response={200: CouponQuoteOut, **ERRORS})
def validate_coupon(request: HttpRequest, payload: CouponCheckIn) -> dict[str, Any]:
    """What a coupon takes off an order, or why it cannot be used; changes nothing."""
    require(actor_from_request(request), "loyalty.transact")
    quote = coupons.validate_coupon(
        code=payload.code,
        customer_pk=_optional_customer(payload.customer_id),
        order_amount=payload.order_amount,
        currency=payload.currency,
    )
    return {
        "code": coupons.display_code(quote.coupon.code),
        "campaign": quote.coupon.campaign.name,
        "discount": quote.discount,
    }


@router.post("/coupons/reserve", response={201: ReservationOut, **ERRORS})
def reserve_coupon(request: HttpRequest, payload: ReserveIn) -> Status[Any]:
    """Hold a coupon for a checkout (15 minutes); confirm or release it afterwards."""
    use = coupons.reserve_coupon(
        actor=actor_from_request(request),
        code=payload.code,
        customer_pk=_optional_customer(payload.customer_id),
        order_amount=payload.order_amount,
        currency=payload.currency,
        order_ref=payload.order_ref,
        idempotency_key=_key(request, payload.idempotency_key),
    )
    return Status(201, use)


@router.post("/coupons/reservations/{use_id}/confirm", response={200: ReservationOut, **ERRORS})
def confirm_coupon(request: HttpRequest, use_id: int, payload: ConfirmIn) -> Any:
    return coupons.confirm_coupon(
        actor=actor_from_request(request), use_id=use_id, order_ref=payload.order_ref
    )


@router.post("/coupons/reservations/{use_id}/release", response={200: ReservationOut, **ERRORS})
def release_coupon(request: HttpRequest, use_id: int) -> Any:
    return coupons.release_coupon(actor=actor_from_request(request), use_id=use_id)


@router.get("/rewards", response=list[RewardOut])
def list_rewards(request: HttpRequest) -> Any:
    """The reward catalogue: coupons customers can buy with points."""
    require(actor_from_request(request), "loyalty.view")
    return selectors.reward_catalogue()


@router.post("/rewards/{campaign_id}/buy", response={201: CouponOut, **ERRORS})
def buy_reward(request: HttpRequest, campaign_id: int, payload: BuyRewardIn) -> Status[Any]:
    """Spend points on a reward; the customer gets its coupon code."""
    coupon = coupons.buy_reward(
        actor=actor_from_request(request),
        customer_pk=_customer_pk(payload.customer_id),
        campaign_id=campaign_id,
        idempotency_key=_key(request, payload.idempotency_key),
    )
    return Status(
        201,
        {
            "code": coupons.display_code(coupon.code),
            "campaign": coupon.campaign.name,
            "expires_at": coupon.expires_at,
        },
    )


@router.post("/referrals", response={201: ReferralOut, **ERRORS})
def record_referral(request: HttpRequest, payload: ReferralIn) -> Status[dict[str, Any]]:
    """Record who referred a newcomer; the referrer earns when the first order arrives."""
    referral = referrals.record_referral(
        actor=actor_from_request(request),
        referrer_pk=_customer_pk(payload.referrer_id),
        referred_pk=_customer_pk(payload.referred_id),
    )
    return Status(201, {"id": referral.pk, "rewarded": referral.entry_id is not None})
