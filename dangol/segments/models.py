"""Per-customer scores (RFM quintiles, named RFM segment, BG/NBD predictions, churn band)
and saved dynamic segments.

Scores: one row per customer, rewritten by :func:`dangol.segments.services.scoring.score_customers`
in one process or in chunks that Celery workers share; each rewrite is one
:class:`ScoringRun`. Prediction fields are null when the models could not be
fitted (see the run's ``plan`` and the scoring result's ``prediction_skipped_reason``).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dangol.core.models import TimeStampedModel
from dangol.customers.models import Customer


class RFMSegment(models.TextChoices):
    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", _("Loyal")
    POTENTIAL_LOYALIST = "potential_loyalist", _("Potential loyalist")
    NEW = "new", _("New")
    AT_RISK = "at_risk", _("At risk")
    CANT_LOSE = "cant_lose", _("Can't lose them")
    HIBERNATING = "hibernating", _("Hibernating")
    LOST = "lost", _("Lost")


class ChurnRisk(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


_QUINTILE = [MinValueValidator(1), MaxValueValidator(5)]


class CustomerScore(models.Model):
    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, related_name="score", verbose_name=_("customer")
    )
    # Buy-till-you-die summary, in days: frequency = repeat purchase days.
    frequency = models.PositiveIntegerField(_("repeat purchases"))
    recency_days = models.FloatField(_("days from first to last purchase"))
    T_days = models.FloatField(_("days since first purchase"))  # T as in the literature
    monetary = models.DecimalField(_("average order value"), max_digits=14, decimal_places=2)
    # What Gamma-Gamma models: the mean spend of the repeat purchase days
    # (all spend minus the first day's, over the repeat days); null without any.
    repeat_spend = models.DecimalField(_("mean repeat purchase value"), max_digits=14,
                                       decimal_places=2, null=True, blank=True)
    order_count = models.PositiveIntegerField(_("orders"))
    total_spent = models.DecimalField(_("total spent"), max_digits=16, decimal_places=2)
    last_order_at = models.DateTimeField(_("last order"))
    R = models.PositiveSmallIntegerField(_("recency score"), validators=_QUINTILE)
    F = models.PositiveSmallIntegerField(_("frequency score"), validators=_QUINTILE)
    M = models.PositiveSmallIntegerField(_("monetary score"), validators=_QUINTILE)
    rfm_segment = models.CharField(_("RFM segment"), max_length=20, choices=RFMSegment.choices,
                                   db_index=True)
    expected_purchases_90d = models.FloatField(_("expected purchases, next 90 days"), null=True,
                                               blank=True)
    p_alive = models.FloatField(_("probability still active"), null=True, blank=True)
    predicted_value_12m = models.DecimalField(_("predicted 12-month value"), max_digits=16,
                                              decimal_places=2, null=True, blank=True)
    churn_risk = models.CharField(_("churn risk"), max_length=8, choices=ChurnRisk.choices,
                                  blank=True, db_index=True)
    scored_at = models.DateTimeField(_("scored"))

    class Meta:
        verbose_name = _("customer score")
        verbose_name_plural = _("customer scores")
        constraints = [
            models.CheckConstraint(
                condition=Q(R__gte=1, R__lte=5, F__gte=1, F__lte=5, M__gte=1, M__lte=5),
                name="customerscore_rfm_quintiles",
            ),
            models.CheckConstraint(
                condition=Q(p_alive__isnull=True) | Q(p_alive__gte=0, p_alive__lte=1),
                name="customerscore_p_alive_probability",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.rfm_segment}"


class ScoringRun(models.Model):
    """One scoring of every customer: the fitted models, the quintile cut points and progress.

    A run in chunks has one :class:`ScoringChunk` per range of customer keys;
    every score it writes carries the run's ``scored_at``. At most one run is
    running at a time (the database refuses a second). ``heartbeat_at`` is the
    last sign of work on the run; the stalled-run check
    (:mod:`dangol.segments.services.scoring_leases`) queues again the work of a
    run without one for longer than the lease, and fails or stalls it after
    repeated tries, saying why in ``error_code`` (and ``error``).
    """

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        STALLED = "stalled", _("Stalled")

    class Mode(models.TextChoices):
        IN_PROCESS = "in_process", _("In one process")
        CHUNKED = "chunked", _("In chunks on the workers")

    class ErrorCode(models.TextChoices):
        CHUNK_ERROR = "chunk_error", _("Scoring a chunk of customers failed")
        RUN_ERROR = "run_error", _("Scoring failed")
        WORKER_LOST = "worker_lost", _("A worker stopped while scoring")
        NO_WORKER = "no_worker", _("No worker did the work")
        INTERRUPTED = "interrupted", _("Interrupted")

    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.RUNNING)
    # Empty until the run has read the population and chosen how to write.
    mode = models.CharField(_("mode"), max_length=12, choices=Mode.choices, blank=True)
    as_of = models.DateTimeField(_("as of"))
    scored_at = models.DateTimeField(_("scored"), unique=True)
    plan = models.JSONField(_("fitted models and quintile cut points"), default=dict)
    customers = models.PositiveIntegerField(_("customers"), default=0)
    repeat_buyers = models.PositiveIntegerField(_("repeat buyers"), default=0)
    chunks = models.PositiveIntegerField(_("chunks"), default=0)
    segments = models.JSONField(_("customers per RFM segment"), default=dict)
    non_finite_predictions = models.PositiveIntegerField(_("predictions stored as unknown"),
                                                         default=0)
    scores_deleted = models.PositiveIntegerField(_("scores removed"), default=0)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    started_by = models.CharField(_("started by"), max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of work"), null=True, blank=True)
    requeues = models.PositiveSmallIntegerField(_("times queued again"), default=0)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error_code = models.CharField(_("reason"), max_length=20, choices=ErrorCode.choices,
                                  blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=Q(status="running"),
                                    name="scoringrun_one_running"),
        ]

    def __str__(self) -> str:
        return f"{self.pk}: {self.status}"


class ScoringChunk(models.Model):
    """The customers of a run with keys ``first_pk``..``last_pk``, scored by one task.

    A worker *claims* the chunk when it starts (``claimed_at``, ``attempts``)
    and renews the claim while it works; a claim older than the lease means
    the worker died, and the chunk is queued again.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        CLAIMED = "claimed", _("Being scored")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    run = models.ForeignKey(ScoringRun, on_delete=models.CASCADE, related_name="chunk_set")
    first_pk = models.BigIntegerField()
    last_pk = models.BigIntegerField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    customers = models.PositiveIntegerField(default=0)
    non_finite_predictions = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "first_pk"], name="scoringchunk_unique_range"),
            models.CheckConstraint(condition=Q(first_pk__lte=F("last_pk")),
                                   name="scoringchunk_range_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}: {self.first_pk}-{self.last_pk} {self.status}"


class Segment(TimeStampedModel):
    """A saved set of rules over customers (see :mod:`dangol.segments.rules`).

    Dynamic: members are found by running the rules whenever the segment is
    used, so it follows the data. ``member_count`` is only a cached figure for
    lists, refreshed on save and nightly.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    definition = models.JSONField(_("rules"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"))
    member_count = models.PositiveIntegerField(_("customers"), null=True, blank=True)
    counted_at = models.DateTimeField(_("counted"), null=True, blank=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
