"""Reads of the surveys app."""

from django.db.models import QuerySet

from dangol.surveys.models import Response, Survey


def list_surveys() -> QuerySet[Survey]:
    return Survey.objects.select_related("current_version").order_by("-created_at")


def find_survey_by_slug(slug: str) -> Survey | None:
    return Survey.objects.select_related("current_version", "brand").filter(
        public_slug=slug).first()


def find_response_by_resume_key(survey: Survey, key: str) -> Response | None:
    return Response.objects.select_related("version").filter(survey=survey,
                                                             resume_key=key).first()
