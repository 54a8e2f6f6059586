"""Referrals: the referrer earns the program's referral points on the newcomer's first order.

The rule (as in mature programs, and the ledger's own promise that a refunded
order leaves the ledger as if it never happened):

* The reward is earned by the newcomer's earliest placed order (the
  qualifying order) and, like that order's own points, becomes spendable only
  after the program's pending period (``available_at`` = order time + pending
  days). It counts towards the referrer's daily earning cap.
* When the qualifying order is refunded or cancelled — whenever that
  happens — the reward is reversed. If the referrer already spent the points,
  the balance goes to zero and the rest becomes debt that later earnings pay
  first (the ledger's debt rule).
* The referral is then open again: the newcomer's next placed order (one that
  is already there, or the next to arrive) earns the reward once more.

``reward_referrals`` and ``reverse_referrals`` run from ``earning.apply_orders``
when orders are written.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.accounts.actors import SYSTEM, Actor
from dangol.accounts.services import require
from dangol.core.errors import DomainError
from dangol.customers.models import Order, OrderStatus
from dangol.loyalty.models import Account, Entry, EntryKind, Program, Referral, Source
from dangol.loyalty.selectors import one_or_none
from dangol.loyalty.services.ledger import (
    Request,
    capped_amount,
    default_program,
    earn_into,
    reverse_locked,
    run_once,
)


def record_referral(*, actor: Actor, referrer_pk: int, referred_pk: int) -> Referral:
    """Note that ``referrer_pk`` brought ``referred_pk``; a newcomer has one referrer.

    Raises DomainError (``self_referral``, ``already_referred``: someone else
    referred them first); recording the same pair again returns the first.
    """
    require(actor, "loyalty.transact")
    if referrer_pk == referred_pk:
        raise DomainError(_("A customer cannot refer themselves."), code="self_referral")
    program = default_program()
    try:
        with transaction.atomic():
            return Referral.objects.create(
                program=program, referrer_id=referrer_pk, referred_id=referred_pk
            )
    except IntegrityError:
        earlier = one_or_none(Referral.objects.filter(program=program, referred_id=referred_pk))
        if earlier is None or earlier.referrer_id != referrer_pk:
            raise DomainError(
                _("This customer was already referred by someone else."), code="already_referred"
            ) from None
        return earlier


def _qualifying_order(customer_pk: int) -> Order | None:
    """The newcomer's earliest order that is still placed."""
    return (
        Order.objects.filter(customer_id=customer_pk, status=OrderStatus.PLACED)
        .order_by("ordered_at", "pk")
        .first()
    )


def reward_referrals(
    *, referred_pks: Iterable[int], actor: Actor = SYSTEM, at: datetime | None = None
) -> int:
    """Pay referrers whose newcomers now have a placed order; once per qualifying order.

    Idempotent: the reward's key names the referral and the qualifying order.
    Returns the number of referrals rewarded now.
    """
    program = default_program()
    if not program.active or not program.referral_points:
        return 0
    at = at or timezone.now()
    rewarded = 0
    for referral in Referral.objects.filter(
        program=program, referred_id__in=list(referred_pks), entry__isnull=True
    ):
        order = _qualifying_order(referral.referred_id)
        if order is None:
            continue
        _reward(program, referral, order, actor, at)
        rewarded += 1
    return rewarded


def _reward(
    program: Program, referral: Referral, order: Order, actor: Actor, at: datetime
) -> Entry:
    points = program.referral_points
    key = f"referral:{referral.pk}:order:{order.pk}"
    ref = str(referral.pk)
    available_at = max(at, order.ordered_at + timedelta(days=program.pending_days))
    request = Request(EntryKind.EARN, Source.REFERRAL, ref, points)
    with transaction.atomic():
        entry = run_once(
            program,
            key,
            referral.referrer_id,
            request,
            lambda account: earn_into(
                account,
                program=program,
                amount=points,
                source=Source.REFERRAL,
                at=at,
                actor=actor,
                key=key,
                source_ref=ref,
                reason=_("Referral: first order of a newcomer"),
                available_at=available_at,
                capped=capped_amount(
                    account, program=program, amount=points, source=Source.REFERRAL, at=at
                ),
            ),
        )
        # An order that was refunded and placed again finds its reversed reward:
        # that one is not linked again.
        if not Entry.objects.filter(reverses=entry).exists():
            Referral.objects.filter(pk=referral.pk, entry__isnull=True).update(
                entry=entry, order=order
            )
    return entry


def reverse_referrals(
    *,
    program: Program,
    order_pks: Iterable[int],
    actor: Actor = SYSTEM,
    at: datetime | None = None,
) -> int:
    """Take back referral rewards whose qualifying order was refunded or cancelled.

    Each reversal follows the ledger's debt rule; the referral is then open
    again and the newcomer's next placed order (if any) earns it anew. Safe to
    run twice. Returns the number of rewards reversed.
    """
    at = at or timezone.now()
    reversed_count = 0
    reopened: set[int] = set()
    for referral in Referral.objects.filter(
        program=program, order_id__in=list(order_pks), entry__isnull=False
    ).select_related("entry"):
        target = referral.entry
        assert target is not None
        key = f"reverse:{target.idempotency_key or f'entry:{target.pk}'}"
        request = Request(
            EntryKind.REVERSE, target.source, target.source_ref, target.amount, reverses=target.pk
        )

        def write(account: Account, target: Entry = target, key: str = key) -> Entry:
            return reverse_locked(
                account,
                target=target,
                at=at,
                actor=actor,
                key=key,
                reason=_("The newcomer's qualifying order was refunded or cancelled"),
            )

        with transaction.atomic():
            # Reversed already (by staff, say): only the referral is reopened.
            if not Entry.objects.filter(reverses=target).exists():
                run_once(program, key, referral.referrer_id, request, write)
                reversed_count += 1
            Referral.objects.filter(pk=referral.pk, entry=target).update(entry=None, order=None)
        reopened.add(referral.referred_id)
    if reopened:
        reward_referrals(referred_pks=reopened, actor=actor, at=at)
    return reversed_count
