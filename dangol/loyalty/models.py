"""The loyalty program: accounts, the immutable point ledger, lots, rules and events.

The balance of an account is derived from its ledger and stored on the account
in the same transaction as every entry; the database refuses a negative balance
or debt and a repeated idempotency key.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangol.core.models import TimeStampedModel
from dangol.customers.models import Customer, Product


class Program(TimeStampedModel):
    """One loyalty program: how points are earned, what they are worth, when they expire.

    Earning from orders: ``earn_points_per_unit`` points for every full
    ``earn_unit_amount`` spent (KRW has no minor unit); see
    ``dangol.loyalty.services.earning.order_points`` for the rounding rule.
    """

    name = models.CharField(_("name"), max_length=100)
    is_default = models.BooleanField(_("default program"), default=False)
    active = models.BooleanField(_("active"), default=True)
    currency = models.CharField(_("currency"), max_length=3, default="KRW")
    starts_at = models.DateTimeField(
        _("earning starts"),
        default=timezone.now,
        help_text=_("Orders placed before this time earn no points."),
    )
    earn_unit_amount = models.DecimalField(
        _("per amount spent"), max_digits=14, decimal_places=2, default=Decimal(1000)
    )
    earn_points_per_unit = models.PositiveIntegerField(_("points earned"), default=10)
    point_value = models.DecimalField(
        _("value of one point"), max_digits=10, decimal_places=4, default=Decimal(1)
    )
    expiry_days = models.PositiveIntegerField(_("points expire after (days)"), default=365)
    pending_days = models.PositiveIntegerField(
        _("pending period (days)"),
        default=0,
        help_text=_(
            "Points from an order become spendable after this many days "
            "(for example when the return window ends)."
        ),
    )
    daily_earn_cap = models.PositiveIntegerField(
        _("daily earning cap per customer"),
        null=True,
        blank=True,
        help_text=_(
            "Most points one customer can earn from orders and actions in one day. "
            "Points taken back by a refund free their share of that day's cap."
        ),
    )
    survey_points = models.PositiveIntegerField(_("points for completing a survey"), default=0)
    review_points = models.PositiveIntegerField(_("points for a review"), default=0)
    referral_points = models.PositiveIntegerField(
        _("points for a referral"),
        default=0,
        help_text=_(
            "Given to the referrer on the newcomer's first order, spendable after the "
            "pending period. If that order is refunded or cancelled the points are taken "
            "back (already spent points become debt) and the newcomer's next order counts."
        ),
    )
    birthday_points = models.PositiveIntegerField(_("birthday points"), default=0)
    tier_period_days = models.PositiveIntegerField(
        _("tier qualification period (days)"),
        default=365,
        help_text=_(
            "Tiers count spend and orders over this many past days; a tier is kept "
            "at least this long."
        ),
    )

    class Meta:
        verbose_name = _("loyalty program")
        verbose_name_plural = _("loyalty programs")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="loyalty_one_default_program",
            ),
            models.CheckConstraint(
                condition=Q(earn_unit_amount__gt=0), name="loyalty_earn_unit_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Account(TimeStampedModel):
    """The points of one customer in one program."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="accounts")
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="loyalty_accounts"
    )
    balance = models.IntegerField(_("balance"), default=0)
    debt = models.IntegerField(
        _("debt"),
        default=0,
        help_text=_(
            "Points taken back by a reversal beyond the balance; later earnings pay it first."
        ),
    )
    lifetime_earned = models.BigIntegerField(_("points earned in total"), default=0)
    tier = models.ForeignKey(
        "Tier", null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts"
    )
    tier_until = models.DateTimeField(
        _("tier kept until"),
        null=True,
        blank=True,
        help_text=_("A lower tier takes effect only at the end of this period."),
    )

    class Meta:
        verbose_name = _("loyalty account")
        verbose_name_plural = _("loyalty accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "customer"], name="loyalty_one_account_per_customer"
            ),
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="loyalty_balance_not_negative"
            ),
            models.CheckConstraint(condition=Q(debt__gte=0), name="loyalty_debt_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}@{self.program_id}"


class EntryKind(models.TextChoices):
    EARN = "earn", _("Earned")
    REDEEM = "redeem", _("Redeemed")
    EXPIRE = "expire", _("Expired")
    ADJUST = "adjust", _("Adjusted")
    REVERSE = "reverse", _("Reversed")


class Source(models.TextChoices):
    ORDER = "order", _("Order")
    SURVEY = "survey", _("Survey")
    REVIEW = "review", _("Review")
    REFERRAL = "referral", _("Referral")
    BIRTHDAY = "birthday", _("Birthday")
    EVENT = "event", _("Event")
    REWARD = "reward", _("Reward")
    CHECKOUT = "checkout", _("Checkout")
    MANUAL = "manual", _("Manual")
    SYSTEM = "system", _("System")


class ImmutableEntryError(Exception):
    pass


class Entry(models.Model):
    """One change of an account's points; never changed or deleted once written.

    ``points`` is the change of the balance and ``debt_delta`` the change of the
    debt, so the balance is the sum of ``points`` and the debt the sum of
    ``debt_delta`` over an account's entries. ``amount`` is what was asked for
    (points earned before paying debt, points redeemed), used to recognise a
    repeated request.
    """

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("kind"), max_length=8, choices=EntryKind.choices)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    source_ref = models.CharField(_("reference"), max_length=100, blank=True)
    amount = models.IntegerField(_("requested"), default=0)
    points = models.IntegerField(_("points"))
    debt_delta = models.IntegerField(_("debt change"), default=0)
    balance_after = models.IntegerField(_("balance after"))
    # NULL, not "", for entries without a key: the unique constraint ignores NULLs.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    available_at = models.DateTimeField(_("spendable from"), null=True, blank=True)
    # DO_NOTHING: the database's foreign key (checked at commit) keeps an entry
    # that another reverses from being deleted alone, while deleting a whole
    # account (a customer's erasure) takes its reversals with it.
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.DO_NOTHING, related_name="reversals"
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "idempotency_key"], name="loyalty_entry_idempotency_key_once"
            ),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="loyalty_entry_balance_after_not_negative"
            ),
            models.UniqueConstraint(fields=["reverses"], name="loyalty_entry_reversed_once"),
        ]
        indexes = [
            models.Index(fields=["account", "id"]),
            models.Index(fields=["source", "source_ref"]),
            models.Index(fields=["at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.points:+d}"

    def save(self, *args: object, **kwargs: object) -> None:
        # The ledger is append-only: a correction is a new entry.
        if self.pk is not None and not self._state.adding:
            raise ImmutableEntryError("ledger entries cannot be changed")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ImmutableEntryError("ledger entries cannot be deleted")


class Lot(models.Model):
    """Points from one earning and how many of them are still unspent (FIFO state).

    Derived state kept for speed: a reversal recomputes it from the ledger.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="lots")
    entry = models.OneToOneField(Entry, on_delete=models.CASCADE, related_name="lot")
    points = models.IntegerField()
    remaining = models.IntegerField()
    expires_at = models.DateTimeField()
    available_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("points")),
                name="loyalty_lot_remaining_in_range",
            ),
        ]
        indexes = [
            models.Index(
                fields=["account", "expires_at"],
                condition=Q(remaining__gt=0),
                name="loyalty_lot_live",
            ),
            models.Index(
                fields=["expires_at"], condition=Q(remaining__gt=0), name="loyalty_lot_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.remaining}/{self.points} until {self.expires_at:%Y-%m-%d}"


class EarnRule(TimeStampedModel):
    """A multiplier on points earned from orders.

    Category and product rules multiply the points of matching order lines (a
    product rule wins over a category rule); a promotion multiplies the points
    of whole orders placed within its time window (and on its weekdays, if any).
    """

    class Kind(models.TextChoices):
        CATEGORY = "category", _("Category multiplier")
        PRODUCT = "product", _("Product multiplier")
        PROMOTION = "promotion", _("Promotion")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True)
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    multiplier = models.DecimalField(
        _("multiplier"), max_digits=6, decimal_places=2, default=Decimal(2)
    )
    starts_at = models.DateTimeField(_("from"), null=True, blank=True)
    ends_at = models.DateTimeField(_("until"), null=True, blank=True)
    weekdays = models.JSONField(
        _("weekdays"),
        default=list,
        blank=True,
        help_text=_("0 = Monday … 6 = Sunday; empty = every day"),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(multiplier__gte=0), name="loyalty_rule_multiplier_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.kind} ×{self.multiplier}"


class Event(TimeStampedModel):
    """A first-come event (선착순): the first ``capacity`` customers who claim get the prize.

    The prize is ``points``, a coupon of ``coupon_campaign``, or both. Closing
    an event sets ``ends_at`` to the closing time.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="events")
    name = models.CharField(_("name"), max_length=100)
    capacity = models.PositiveIntegerField(_("winners"))
    claimed = models.PositiveIntegerField(_("claimed"), default=0)
    points = models.PositiveIntegerField(_("points per winner"), default=0)
    coupon_campaign = models.ForeignKey(
        "CouponCampaign",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("coupon per winner"),
    )
    starts_at = models.DateTimeField(_("from"), null=True, blank=True)
    ends_at = models.DateTimeField(_("until"), null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(claimed__lte=F("capacity")), name="loyalty_event_not_over_capacity"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Claim(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="claims")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()
    entry = models.ForeignKey(
        Entry, null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+"
    )
    coupon = models.ForeignKey(
        "Coupon", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "customer"], name="loyalty_claim_once"),
            models.UniqueConstraint(
                fields=["event", "position"], name="loyalty_claim_position_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id}#{self.position}"


class CouponCampaign(TimeStampedModel):
    """A kind of coupon: its discount, conditions, budget, and how it is given out.

    ``points_cost`` puts it in the reward catalogue (customers buy it with
    points); ``auto`` issues it by itself (welcome, birthday month).
    """

    class Kind(models.TextChoices):
        FIXED = "fixed", _("Fixed amount")
        PERCENT = "percent", _("Percent")

    class Auto(models.TextChoices):
        NONE = "", _("Issued by hand or by API")
        WELCOME = "welcome", _("Welcome coupon")
        BIRTHDAY = "birthday", _("Birthday month")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    value = models.DecimalField(_("discount"), max_digits=14, decimal_places=2)
    max_discount = models.DecimalField(
        _("largest discount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    min_spend = models.DecimalField(_("minimum spend"), max_digits=14, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="KRW")
    starts_at = models.DateTimeField(_("from"), null=True, blank=True)
    ends_at = models.DateTimeField(_("until"), null=True, blank=True)
    valid_days = models.PositiveIntegerField(
        _("valid for (days after issue)"), null=True, blank=True
    )
    multi_use = models.BooleanField(
        _("one code for many uses"), default=False, help_text=_("Off: each code is used once.")
    )
    member_only = models.BooleanField(_("members only"), default=True)
    per_customer_limit = models.PositiveIntegerField(_("uses per customer"), default=1)
    budget_uses = models.PositiveIntegerField(_("total uses"), null=True, blank=True)
    budget_amount = models.DecimalField(
        _("total discount budget"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    used_count = models.PositiveIntegerField(default=0)
    used_amount = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    points_cost = models.PositiveIntegerField(_("price in points"), null=True, blank=True)
    auto = models.CharField(
        _("issued automatically"), max_length=8, choices=Auto.choices, default=Auto.NONE, blank=True
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="loyalty_coupon_value_positive"),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lte=100),
                name="loyalty_coupon_percent_at_most_100",
            ),
            models.CheckConstraint(
                condition=Q(budget_uses__isnull=True) | Q(used_count__lte=F("budget_uses")),
                name="loyalty_coupon_within_use_budget",
            ),
            models.CheckConstraint(
                condition=Q(budget_amount__isnull=True) | Q(used_amount__lte=F("budget_amount")),
                name="loyalty_coupon_within_amount_budget",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Coupon(TimeStampedModel):
    """One coupon code; ``customer`` is set when it was issued to someone."""

    campaign = models.ForeignKey(CouponCampaign, on_delete=models.CASCADE, related_name="coupons")
    code = models.CharField(_("code"), max_length=32, unique=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="coupons"
    )
    issue_key = models.CharField(max_length=100, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    uses = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer", "issue_key"],
                condition=~Q(issue_key=""),
                name="loyalty_coupon_issued_once",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class CouponUse(TimeStampedModel):
    """A coupon held for one checkout: reserved, then confirmed or released."""

    class Status(models.TextChoices):
        RESERVED = "reserved", _("Reserved")
        CONFIRMED = "confirmed", _("Confirmed")
        RELEASED = "released", _("Released")

    coupon = models.ForeignKey(Coupon, on_delete=models.CASCADE, related_name="usages")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order_ref = models.CharField(max_length=100, blank=True)
    order_amount = models.DecimalField(max_digits=14, decimal_places=2)
    discount = models.DecimalField(max_digits=14, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RESERVED)
    reserved_until = models.DateTimeField()
    idempotency_key = models.CharField(max_length=200, unique=True)

    class Meta:
        indexes = [models.Index(fields=["coupon", "status"])]

    def __str__(self) -> str:
        return f"{self.coupon_id} {self.status}"


class Tier(TimeStampedModel):
    """A membership level reached by spend or by number of orders over the rolling period."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="tiers")
    name = models.CharField(_("name"), max_length=50)
    rank = models.PositiveIntegerField(_("rank"), help_text=_("Higher is better."))
    min_spend = models.DecimalField(
        _("spend to qualify"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    min_orders = models.PositiveIntegerField(_("orders to qualify"), null=True, blank=True)
    earn_multiplier = models.DecimalField(
        _("earning multiplier"), max_digits=5, decimal_places=2, default=Decimal(1)
    )
    birthday_points = models.PositiveIntegerField(_("birthday bonus points"), default=0)
    monthly_coupon = models.ForeignKey(
        CouponCampaign,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("monthly coupon (e.g. free shipping)"),
    )

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["program", "rank"], name="loyalty_tier_rank_once"),
            models.CheckConstraint(
                condition=Q(earn_multiplier__gte=1), name="loyalty_tier_multiplier_at_least_one"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TierChange(models.Model):
    """One change of a customer's tier, with the figures it was decided on."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="tier_changes")
    from_tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    spend = models.DecimalField(max_digits=16, decimal_places=2)
    orders = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.from_tier_id} → {self.to_tier_id}"


class Referral(models.Model):
    """One customer brought another; the referrer earns when the newcomer's first order arrives.

    ``order`` is the newcomer's order that earned the reward (``entry``); when
    that order is refunded or cancelled the reward is reversed and both are
    cleared (see ``dangol.loyalty.services.referrals``).
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="referrals")
    referrer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    referred = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    entry = models.ForeignKey(
        Entry, null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+"
    )
    order = models.ForeignKey(
        "customers.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "referred"], name="loyalty_referred_once"),
            models.CheckConstraint(
                condition=~Q(referrer=F("referred")), name="loyalty_no_self_referral"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.referrer_id} → {self.referred_id}"
