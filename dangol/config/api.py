"""The REST API: one NinjaAPI, a router per app, errors mapped in one place.

OpenAPI at /api/openapi.json, interactive docs at /api/docs.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyHeader, HttpBearer, django_auth

from dangol.accounts.models import ApiKey
from dangol.accounts.services import authenticate_api_token
from dangol.core.errors import DomainError, ValidationFailed


class BearerKey(HttpBearer):
    """``Authorization: Bearer dg_...`` with a Dangol API key."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = authenticate_api_token(token)
        if key is not None:
            request.api_key = key  # type: ignore[attr-defined]
        return key


class HeaderKey(APIKeyHeader):
    """``X-API-Key: dg_...``, for clients that cannot set Authorization."""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKey | None:
        api_key = authenticate_api_token(key or "")
        if api_key is not None:
            request.api_key = api_key  # type: ignore[attr-defined]
        return api_key


api = NinjaAPI(
    title="Dangol API",
    version="1",
    description=(
        "Customers, products and orders of a Dangol workspace. Authenticate with an API "
        "key created under Settings → API keys: `Authorization: Bearer dg_…`. Errors are "
        "JSON: `{code, message, errors: [{field, message}]}`."
    ),
    auth=[BearerKey(), HeaderKey(), django_auth],
    urls_namespace="api",
)


def _error(request: HttpRequest, status: int, code: str, message: str,
           errors: list[dict[str, str]] | None = None) -> HttpResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors is not None:
        body["errors"] = errors
    return api.create_response(request, body, status=status)


@api.exception_handler(ValidationFailed)
def _validation_failed(request: HttpRequest, exc: ValidationFailed) -> HttpResponse:
    return _error(request, exc.status, exc.code, str(exc.message),
                  [p.as_dict() for p in exc.problems])


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _error(request, exc.status, exc.code, str(exc.message))


@api.exception_handler(NinjaValidationError)
def _invalid_request(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for item in exc.errors:
        loc = [str(p) for p in item.get("loc", ())]
        # Drop the "body"/"query" and the parameter name that ninja adds in front.
        if loc and loc[0] in {"body", "query", "path"}:
            loc = loc[2:] if len(loc) > 2 and loc[0] == "body" else loc[1:]
        message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        errors.append({"field": ".".join(loc) or "__all__", "message": message})
    return _error(request, 422, "validation_error", "Invalid input.", errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthenticated",
                  "Send a valid API key: Authorization: Bearer dg_…")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "error", str(exc))


def _register_routers() -> None:
    from dangol.customers.api import customers_router, orders_router, products_router

    api.add_router("/customers", customers_router)
    api.add_router("/products", products_router)
    api.add_router("/orders", orders_router)
    from dangol.engagement.api import router as engagement_router
    from dangol.loyalty.api import router as loyalty_router
    from dangol.surveys.api import router as surveys_router
    from dangol.webhooks.api import router as webhooks_router

    api.add_router("/surveys", surveys_router)
    from dangol.surveys.benchmarks_api import router as benchmarks_router
    api.add_router("/benchmarks", benchmarks_router)
    api.add_router("/loyalty", loyalty_router)
    api.add_router("/engagement", engagement_router)
    api.add_router("/webhooks", webhooks_router)
    from dangol.segments.api import router as segments_router
    api.add_router("/segments", segments_router)
    from dangol.cases.api import router as cases_router
    api.add_router("/cases", cases_router)
    from dangol.feedback.api import router as feedback_router
    api.add_router("/feedback", feedback_router)
    from dangol.campaigns.api import router as campaigns_router
    api.add_router("/campaigns", campaigns_router)
    from dangol.privacy.api import router as privacy_router
    api.add_router("/privacy", privacy_router)
    from dangol.roadmap.api import router as roadmap_router
    api.add_router("/roadmap", roadmap_router)
    from dangol.insights.api import router as insights_router
    api.add_router("/insights", insights_router)
    from dangol.reports.api import router as reports_router
    api.add_router("/reports", reports_router)


_register_routers()
