"""Customers, their consent, and what they bought."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangol.core.models import TimeStampedModel


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "", _("Unknown")


class Customer(TimeStampedModel):
    external_id = models.CharField(_("customer ID"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text=_("E.164"))
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    region = models.CharField(_("region"), max_length=50, blank=True)
    language = models.CharField(_("language"), max_length=8, default="ko")
    joined_at = models.DateTimeField(_("joined"), default=timezone.now)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["email"]),
            models.Index(fields=["phone"]),
            models.Index(fields=["name"]),
            models.Index(fields=["joined_at"]),
        ]

    def __str__(self) -> str:
        return self.name or self.external_id


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS/LMS")
    KAKAO = "kakao", _("KakaoTalk")
    PUSH = "push", _("App push")


class Purpose(models.TextChoices):
    AD = "ad", _("Advertising")
    SERVICE = "service", _("Service messages")


class Consent(TimeStampedModel):
    """The current consent of one customer for one channel and purpose.

    Every grant and withdrawal is also kept in ConsentEvent, so consent can be
    demonstrated later (who, when, from where).
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=8, choices=Purpose.choices)
    granted_at = models.DateTimeField(_("granted"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    night_granted_at = models.DateTimeField(_("night-time consent"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "channel", "purpose"], name="consent_one_per_channel_purpose"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.channel}/{self.purpose}"

    @property
    def is_granted(self) -> bool:
        return self.granted_at is not None and (
            self.withdrawn_at is None or self.withdrawn_at < self.granted_at
        )

    @property
    def night_allowed(self) -> bool:
        return self.is_granted and self.night_granted_at is not None


class ConsentEvent(models.Model):
    class Action(models.TextChoices):
        GRANT = "grant", _("Granted")
        WITHDRAW = "withdraw", _("Withdrawn")
        GRANT_NIGHT = "grant_night", _("Night-time granted")
        WITHDRAW_NIGHT = "withdraw_night", _("Night-time withdrawn")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="consent_events"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    purpose = models.CharField(max_length=8, choices=Purpose.choices)
    action = models.CharField(max_length=16, choices=Action.choices)
    at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.channel}/{self.purpose} {self.action}"


class Product(TimeStampedModel):
    external_id = models.CharField(_("product ID"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=100, blank=True, db_index=True)
    price = models.DecimalField(_("price"), max_digits=14, decimal_places=2, null=True,
                                blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="KRW")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("Placed")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


class Order(TimeStampedModel):
    external_id = models.CharField(_("order ID"), max_length=64, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="orders")
    ordered_at = models.DateTimeField(_("ordered"), db_index=True)
    total_amount = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="KRW")
    status = models.CharField(_("status"), max_length=12, choices=OrderStatus.choices,
                              default=OrderStatus.PLACED)
    channel = models.CharField(_("channel"), max_length=32, blank=True)
    store = models.CharField(_("store"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [models.Index(fields=["customer", "ordered_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(total_amount__gte=0),
                                   name="order_total_not_negative"),
        ]

    def __str__(self) -> str:
        return self.external_id


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField()
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="order_lines")
    product_external_id = models.CharField(max_length=64, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=14, decimal_places=2)
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.UniqueConstraint(fields=["order", "line_no"], name="orderline_unique_no"),
            models.CheckConstraint(condition=Q(unit_price__gte=0) & Q(amount__gte=0),
                                   name="orderline_amounts_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.line_no}"


class ImportJob(TimeStampedModel):
    """One file import, run in the background; its progress and outcome."""

    class Kind(models.TextChoices):
        CUSTOMERS = "customers", _("Customers")
        PRODUCTS = "products", _("Products")
        ORDERS = "orders", _("Orders")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    file_name = models.CharField(max_length=255)
    file_path = models.CharField(max_length=500)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    rejects = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name}"

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, round(100 * self.rows_done / self.rows_total))


class RecommendationBuild(TimeStampedModel):
    """One computation of the product-to-product similarities that recommendations use.

    Recommendations read the newest finished build; a new build is written beside it
    and replaces it only when complete, so readers never see half a table.
    """

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    orders_since = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    customers = models.PositiveIntegerField(default=0)
    products = models.PositiveIntegerField(default=0)
    pairs = models.PositiveIntegerField(default=0)
    popular = models.JSONField(default=list, blank=True)
    params = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("recommendation build")
        verbose_name_plural = _("recommendation builds")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.pk} {self.status}"


class ProductSimilarity(models.Model):
    """How strongly buying ``product`` points to ``similar`` (top neighbours only)."""

    build = models.ForeignKey(RecommendationBuild, on_delete=models.CASCADE,
                              related_name="similarities")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    similar = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()

    class Meta:
        verbose_name = _("product similarity")
        verbose_name_plural = _("product similarities")
        constraints = [
            models.UniqueConstraint(fields=["build", "product", "similar"],
                                    name="productsimilarity_unique_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}->{self.similar_id} {self.score:.3f}"
