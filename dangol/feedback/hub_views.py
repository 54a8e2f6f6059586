"""Pages of the feedback stream: the stream with filters and a summary, one item, and a
CSV/XLSX import (thin: parse, call a selector or service, render)."""

from __future__ import annotations

import tempfile
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from dangol.accounts.actors import actor_from_request
from dangol.core.errors import NotFound, ValidationFailed
from dangol.feedback import hub_selectors, items, items_csv
from dangol.feedback.models import FeedbackItem, Sentiment
from dangol.feedback.selectors import theme_choices, theme_labels
from dangol.web.decorators import permission_required

PAGE_SIZE = 25


def _language() -> str:
    return (get_language() or "ko")[:2]


def _day(text: str, *, end: bool = False) -> datetime | None:
    day = parse_date(text or "")
    if day is None:
        return None
    if end:
        day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time.min))


def _spec(request: HttpRequest) -> tuple[hub_selectors.ItemFilter, dict[str, str]]:
    raw = {k: request.GET.get(k, "").strip() for k in
           ("source", "channel", "sentiment", "theme", "q", "since", "until")}
    if raw["source"] not in FeedbackItem.Source.values:
        raw["source"] = ""
    if raw["sentiment"] not in Sentiment.values:
        raw["sentiment"] = ""
    spec = hub_selectors.ItemFilter(
        source=raw["source"], channel=raw["channel"], sentiment=raw["sentiment"],
        theme=raw["theme"], q=raw["q"], since=_day(raw["since"]),
        until=_day(raw["until"], end=True))
    return spec, raw


@login_required
@permission_required(items.VIEW)
def stream(request: HttpRequest) -> HttpResponse:
    spec, raw = _spec(request)
    language = _language()
    found = hub_selectors.filter_items(spec)
    page = Paginator(hub_selectors.with_analysis(found), PAGE_SIZE).get_page(
        request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    labels = theme_labels(language)
    rows = [{"item": item, "text": hub_selectors.shown_text(item),
             "themes": [(labels.get(t.theme, t.theme), t.sentiment)
                        for t in (item.analysis.themes.all()
                                  if getattr(item, "analysis", None) else [])]}
            for item in page.object_list]
    return render(request, "feedback/stream.html", {
        "nav_current": "feedback_stream", "page": page, "rows": rows, "filters": raw,
        "query": query.urlencode(), "sources": FeedbackItem.Source.choices,
        "sentiments": Sentiment.choices, "themes": theme_choices(language),
        "channels": hub_selectors.channels(),
        "summary": hub_selectors.summarise(found, language=language),
        "can_add": request.user.has_perm(items.ADD),
    })


@login_required
@permission_required(items.VIEW)
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        item = hub_selectors.get_item(pk)
    except NotFound:
        raise Http404(_("No such feedback item.")) from None
    labels = theme_labels(_language())
    analysis = getattr(item, "analysis", None)
    return render(request, "feedback/item.html", {
        "nav_current": "feedback_stream", "item": item,
        "text": hub_selectors.shown_text(item), "analysis": analysis,
        "themes": [(labels.get(t.theme, t.theme), t.sentiment)
                   for t in (analysis.themes.all() if analysis else [])]})


@login_required
@permission_required(items.ADD)
def import_items(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"nav_current": "feedback_stream", "columns": items_csv.COLUMNS}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["problems"] = [_("Choose a file to import.")]
            status = 422
        else:
            suffix = Path(upload.name or "").suffix.lower() or ".csv"
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"upload{suffix}"
                with path.open("wb") as handle:
                    for chunk in upload.chunks():
                        handle.write(chunk)
                try:
                    result = items_csv.import_items_file(actor=actor_from_request(request),
                                                         path=path)
                except ValidationFailed as error:
                    context["problems"] = [f"{p.field}: {p.message}" for p in error.problems]
                    status = 422
                else:
                    messages.success(request, _(
                        "%(new)s items added, %(old)s already there. They are analysed in "
                        "the background.") % {"new": result.created_count,
                                              "old": len(result.ids) - result.created_count})
                    return redirect("feedback:stream")
    return render(request, "feedback/import.html", context, status=status)
