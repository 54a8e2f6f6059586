"""Errors that services raise and that the API and pages turn into clear messages."""

from dataclasses import dataclass


@dataclass
class FieldProblem:
    """One problem with one field of an input: ``field`` names it, ``message`` says what."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": str(self.message)}


class DomainError(Exception):
    """A request that the business rules refuse.

    ``code`` is stable and machine-readable (API clients switch on it); ``message``
    is for people and may be translated; ``status`` is the HTTP status the API uses.
    """

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class NotFound(DomainError):
    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"


class ValidationFailed(DomainError):
    """Input that breaks field rules; ``problems`` names each field."""

    status = 422
    code = "validation_error"

    def __init__(self, problems: list[FieldProblem], message: str = "Invalid input."):
        super().__init__(message)
        self.problems = problems
