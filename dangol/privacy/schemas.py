from datetime import datetime
from typing import Any

from ninja import Field, Schema

from dangol.privacy.models import Kind, Status


class DataRequestIn(Schema):
    customer: str = Field(..., min_length=1, max_length=254,
                          description="the customer's external ID, e-mail or phone number")
    kind: Kind
    details: str = Field("", max_length=5000)
    received_at: datetime | None = Field(None, description="default: now")


class DataRequestOut(Schema):
    id: int
    customer_id: str = Field(..., alias="customer_external_id")
    customer_name_masked: str
    customer_exists: bool
    kind: Kind
    status: Status
    received_at: datetime
    due_at: datetime
    days_left: int
    overdue: bool
    details: str
    identity_verification: str
    identity_verified_at: datetime | None
    handled_by: str = Field(..., alias="handled_by_label")
    result_note: str
    refusal_reason: str
    erased: dict[str, Any]
    completed_at: datetime | None

    @staticmethod
    def resolve_customer_exists(obj: Any) -> bool:
        return obj.customer_id is not None

    @staticmethod
    def resolve_days_left(obj: Any) -> int:
        return int(obj.days_left())

    @staticmethod
    def resolve_overdue(obj: Any) -> bool:
        return bool(obj.is_overdue())


class DataRequestPage(Schema):
    items: list[DataRequestOut]
    next_cursor: str | None


class VerifyIn(Schema):
    identity_verification: str = Field(..., min_length=1, max_length=300)


class CompleteIn(Schema):
    result_note: str = Field("", max_length=5000)
    identity_verification: str = Field("", max_length=300,
                                       description="if not verified before")


class RefuseIn(Schema):
    reason: str = Field(..., min_length=1, max_length=5000)
