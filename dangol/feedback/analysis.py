"""Analysing and storing customer text: language, sentiment, themes, keywords, masking.

Analysis is CPU work done outside any transaction; storing the results is one
short transaction. Themes come from the business taxonomy as it is when the
analysis runs (see :func:`dangol.feedback.selectors.business_taxonomy`).
Running twice stores nothing twice: an answer that already has an analysis is
skipped, and the one-to-one link from an analysis to its answer makes a
concurrent second run fail cleanly and leave the first run's rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from dangol import textkit
from dangol.feedback import selectors
from dangol.feedback.models import ReanalysisChunk, ReanalysisJob, TextAnalysis, ThemeMention
from dangol.surveys import results as survey_results
from dangol.surveys.models import Answer

BACKFILL_CHUNK = 500


@dataclass(frozen=True)
class BackfillResult:
    analysed: int
    chunks: int


def analyse_survey_response(*, response_pk: int) -> int:
    """Analyse and store every not yet analysed free-text answer of one response.

    Returns how many answers were analysed now (0 when all already were, or
    the response has no text). Safe to run twice and concurrently.
    """
    answers = list(_pending(survey_results.text_answers(response_pk=response_pk)))
    return _analyse_and_store(answers)


def analyse_pending_answers(*, chunk_size: int = BACKFILL_CHUNK,
                            survey_pk: int | None = None,
                            max_chunks: int | None = None) -> BackfillResult:
    """Analyse free-text survey answers that have no analysis yet, ``chunk_size`` at a time.

    Each chunk is stored in its own short transaction, so an interrupted run
    keeps what it finished and the next run continues from there.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    analysed = chunks = 0
    after = 0
    while max_chunks is None or chunks < max_chunks:
        chunk = list(_pending(survey_results.text_answers(survey_pk=survey_pk))
                     .filter(pk__gt=after)[:chunk_size])
        if not chunk:
            break
        after = chunk[-1].pk
        analysed += _analyse_and_store(chunk)
        chunks += 1
    return BackfillResult(analysed=analysed, chunks=chunks)


def pending_ranges(*, chunk_size: int = BACKFILL_CHUNK,
                   survey_pk: int | None = None) -> Iterator[tuple[int, int]]:
    """(first, last) answer ids of consecutive chunks of not yet analysed answers.

    Each range can be handed to :func:`analyse_answer_range` by any worker.
    """
    after = 0
    while True:
        pks = list(_pending(survey_results.text_answers(survey_pk=survey_pk))
                   .filter(pk__gt=after).values_list("pk", flat=True)[:chunk_size])
        if not pks:
            return
        yield pks[0], pks[-1]
        after = pks[-1]


def analyse_answer_range(*, first_pk: int, last_pk: int) -> int:
    """Analyse the not yet analysed free-text answers with ids in [first_pk, last_pk]."""
    return _analyse_and_store(list(_pending(survey_results.text_answers())
                                   .filter(pk__gte=first_pk, pk__lte=last_pk)))


def _pending(answers: QuerySet[Answer]) -> QuerySet[Answer]:
    return answers.filter(analysis__isnull=True)


def _analyse_and_store(answers: Sequence[Answer]) -> int:
    if not answers:
        return 0
    found = textkit.analyze_many([a.text for a in answers], selectors.business_taxonomy())
    try:
        with transaction.atomic():
            analyses = TextAnalysis.objects.bulk_create([
                TextAnalysis(
                    source=TextAnalysis.Source.SURVEY_ANSWER, answer=answer,
                    survey_id=answer.survey_id, response_id=answer.response_id,
                    language=result.lang, sentiment=result.sentiment.label,
                    sentiment_score=max(-1.0, min(1.0, result.sentiment.score)),
                    keywords=list(result.keywords), masked_text=result.masked,
                )
                for answer, result in zip(answers, found, strict=True)
            ])
            ThemeMention.objects.bulk_create([
                ThemeMention(analysis=analysis, survey_id=analysis.survey_id, theme=theme.name,
                             sentiment=theme.sentiment, score=theme.score)
                for analysis, result in zip(analyses, found, strict=True)
                for theme in result.themes
            ])
    except IntegrityError:
        # Another worker stored these answers first; its rows stand.
        return 0
    return len(analyses)


# --- finding themes again after a taxonomy change ---------------------------------------

# Analyses whose text is still at hand: survey answers and feedback items.
_REANALYSED = Q(answer__isnull=False) | Q(feedback_item__isnull=False)


def plan_reanalysis(*, job_pk: int, chunk_size: int = BACKFILL_CHUNK) -> list[int]:
    """Split the analysed answers into chunks of a queued re-analysis; returns chunk ids.

    Safe to run twice: a job planned already returns its chunks not done yet.
    """
    with transaction.atomic():
        job = ReanalysisJob.objects.select_for_update().filter(pk=job_pk).first()
        if job is None:
            return []
        if job.status != ReanalysisJob.Status.QUEUED:
            return list(job.chunks.filter(done=False).values_list("pk", flat=True))
        analyses = TextAnalysis.objects.filter(_REANALYSED).order_by("pk")
        chunks: list[ReanalysisChunk] = []
        after = 0
        while pks := list(analyses.filter(pk__gt=after).values_list("pk", flat=True)
                          [:chunk_size]):
            chunks.append(ReanalysisChunk(job=job, first_pk=pks[0], last_pk=pks[-1],
                                          size=len(pks)))
            after = pks[-1]
        ReanalysisChunk.objects.bulk_create(chunks)
        job.answers_total = sum(c.size for c in chunks)
        job.chunks_total = len(chunks)
        job.status = ReanalysisJob.Status.RUNNING if chunks else ReanalysisJob.Status.DONE
        job.finished_at = None if chunks else timezone.now()
        job.save()
        return list(job.chunks.order_by("first_pk").values_list("pk", flat=True))


def reanalyse_chunk(*, chunk_pk: int) -> int:
    """Find the themes of one chunk's answers again and replace their theme mentions.

    The replacement of a chunk is one transaction (all its answers or none);
    the overall sentiment, keywords and masked text stay. Returns how many
    answers were re-analysed; 0 when the chunk was done already (safe to run
    twice).
    """
    chunk = ReanalysisChunk.objects.filter(pk=chunk_pk, done=False).first()
    if chunk is None:
        return 0
    rows = list(TextAnalysis.objects.filter(_REANALYSED, pk__gte=chunk.first_pk,
                                            pk__lte=chunk.last_pk)
                .values_list("pk", Coalesce("answer__text", "feedback_item__text")))
    found = textkit.analyze_many([text for _, text in rows], selectors.business_taxonomy())
    themes = {pk: result.themes for (pk, _), result in zip(rows, found, strict=True)}
    with transaction.atomic():
        if not ReanalysisChunk.objects.filter(pk=chunk.pk, done=False).update(done=True):
            return 0  # another worker finished this chunk first
        # Lock the analyses so that none is deleted between reading and writing.
        alive = dict(TextAnalysis.objects.select_for_update()
                     .filter(pk__in=list(themes)).values_list("pk", "survey_id"))
        ThemeMention.objects.filter(analysis_id__in=list(alive)).delete()
        ThemeMention.objects.bulk_create([
            ThemeMention(analysis_id=pk, survey_id=alive[pk], theme=theme.name,
                         sentiment=theme.sentiment, score=theme.score)
            for pk, found_themes in themes.items() if pk in alive
            for theme in found_themes
        ])
        ReanalysisJob.objects.filter(pk=chunk.job_id).update(
            answers_done=F("answers_done") + chunk.size, updated_at=timezone.now())
        _finish_if_complete(chunk.job_id)
    return len(alive)


def run_reanalysis(*, job_pk: int, chunk_size: int = BACKFILL_CHUNK) -> ReanalysisJob:
    """Plan and run a queued re-analysis in this process, chunk after chunk."""
    for chunk_pk in plan_reanalysis(job_pk=job_pk, chunk_size=chunk_size):
        reanalyse_chunk(chunk_pk=chunk_pk)
    return ReanalysisJob.objects.get(pk=job_pk)


def _finish_if_complete(job_pk: int) -> None:
    if not ReanalysisChunk.objects.filter(job_id=job_pk, done=False).exists():
        ReanalysisJob.objects.filter(pk=job_pk, status=ReanalysisJob.Status.RUNNING).update(
            status=ReanalysisJob.Status.DONE, finished_at=timezone.now(),
            updated_at=timezone.now())


def fail_reanalysis(*, chunk_pk: int, error: str) -> None:
    """Mark the job of a chunk that could not be stored as failed; done chunks stay."""
    job_pk = ReanalysisChunk.objects.filter(pk=chunk_pk).values_list("job_id", flat=True).first()
    if job_pk is not None:
        ReanalysisJob.objects.filter(pk=job_pk).update(
            status=ReanalysisJob.Status.FAILED, error=error[:2000],
            finished_at=timezone.now(), updated_at=timezone.now())
