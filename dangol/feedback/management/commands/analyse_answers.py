"""``dangol analyse_answers``: analyse free-text survey answers that have no analysis yet."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dangol.accounts.actors import SYSTEM
from dangol.core.errors import DomainError
from dangol.feedback import item_analysis, services
from dangol.feedback.tasks import analyse_pending_items_task


class Command(BaseCommand):
    help = ("Analyse (language, sentiment, themes, keywords, masking) every free-text survey "
            "answer and feedback item not analysed yet, in chunks; safe to stop and run again.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--chunk-size", type=int, default=500,
                            help="answers analysed and stored together (default 500)")
        parser.add_argument("--survey", type=int, help="only this survey (its id)")
        parser.add_argument("--queue", action="store_true",
                            help="let the background worker do it instead of this process")
        parser.add_argument("--themes", action="store_true",
                            help="instead, find the themes of already analysed answers again "
                                 "with the current theme taxonomy (after changing it)")

    def handle(self, *args: Any, **options: Any) -> None:
        chunk_size = options["chunk_size"]
        if chunk_size < 1:
            raise CommandError("--chunk-size must be at least 1")
        if options["themes"]:
            self._themes(chunk_size, queue=options["queue"])
            return
        if options["queue"]:
            services.queue_pending_analysis(chunk_size=chunk_size)
            if not options["survey"]:
                analyse_pending_items_task.delay(chunk_size)
            self.stdout.write("queued")
            return
        result = services.analyse_pending_answers(chunk_size=chunk_size,
                                                  survey_pk=options["survey"])
        self.stdout.write(f"analysed {result.analysed} answers in {result.chunks} chunks")
        if not options["survey"]:
            items = item_analysis.analyse_pending_items(chunk_size=chunk_size)
            self.stdout.write(f"analysed {items.analysed} feedback items in {items.chunks} chunks")

    def _themes(self, chunk_size: int, *, queue: bool) -> None:
        try:
            job = services.start_reanalysis(actor=SYSTEM, queue=queue)
        except DomainError as error:
            raise CommandError(error.message) from error
        if queue:
            self.stdout.write(f"queued theme re-analysis {job.pk}")
            return
        job = services.run_reanalysis(job_pk=job.pk, chunk_size=chunk_size)
        self.stdout.write(f"re-analysed the themes of {job.answers_done} answers in "
                          f"{job.chunks_total} chunks")
