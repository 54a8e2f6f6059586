"""Reads of the surveys app."""

from django.db.models import QuerySet

from dangol.surveys.models import Survey


def list_surveys() -> QuerySet[Survey]:
    return Survey.objects.select_related("current_version").order_by("-created_at")
