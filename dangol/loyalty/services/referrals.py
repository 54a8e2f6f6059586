"""Referrals: the referrer earns the program's referral points on the newcomer's first order
(``earning.reward_referrals``, run when orders are written)."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from dangol.accounts.actors import Actor
from dangol.accounts.services import require
from dangol.core.errors import DomainError
from dangol.loyalty.models import Referral
from dangol.loyalty.selectors import one_or_none
from dangol.loyalty.services.ledger import default_program


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
