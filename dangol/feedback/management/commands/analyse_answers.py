"""``dangol analyse_answers``: analyse free-text survey answers that have no analysis yet."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dangol.feedback import services


class Command(BaseCommand):
    help = ("Analyse (language, sentiment, themes, keywords, masking) every free-text survey "
            "answer not analysed yet, in chunks; safe to stop and run again.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--chunk-size", type=int, default=500,
                            help="answers analysed and stored together (default 500)")
        parser.add_argument("--survey", type=int, help="only this survey (its id)")
        parser.add_argument("--queue", action="store_true",
                            help="let the background worker do it instead of this process")

    def handle(self, *args: Any, **options: Any) -> None:
        chunk_size = options["chunk_size"]
        if chunk_size < 1:
            raise CommandError("--chunk-size must be at least 1")
        if options["queue"]:
            services.queue_pending_analysis(chunk_size=chunk_size)
            self.stdout.write("queued")
            return
        result = services.analyse_pending_answers(chunk_size=chunk_size,
                                                  survey_pk=options["survey"])
        self.stdout.write(f"analysed {result.analysed} answers in {result.chunks} chunks")
