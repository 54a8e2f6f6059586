"""Analysing and storing customer text: language, sentiment, themes, keywords, masking.

Analysis is CPU work done outside any transaction; storing the results is one
short transaction. Running twice stores nothing twice: an answer that already
has an analysis is skipped, and the one-to-one link from an analysis to its
answer makes a concurrent second run fail cleanly and leave the first run's rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from dangol import textkit
from dangol.feedback.models import TextAnalysis, ThemeMention
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
    found = textkit.analyze_many([a.text for a in answers])
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
