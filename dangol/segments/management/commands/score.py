"""``dangol score [--as-of DATE]``: score every customer now and print a summary."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from dangol.segments.services import score_customers


class Command(BaseCommand):
    help = "Score every customer: RFM segments, probability alive, 12-month value, churn risk."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--as-of", help="score as of this date or date-time (default: now)")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _as_of(options["as_of"]) if options["as_of"] else None
        result = score_customers(as_of=as_of)
        write = self.stdout.write
        write(f"Scored {result.customers_scored} customers as of {result.as_of:%Y-%m-%d %H:%M} "
              f"({result.repeat_buyers} repeat buyers) in {result.seconds:.2f} s")
        if result.scores_deleted:
            write(f"Removed {result.scores_deleted} scores of customers without purchases")
        for segment, count in result.segments.items():
            write(f"  {segment:<20} {count}")
        if result.purchase_model:
            params = ", ".join(f"{k}={v:.4g}" for k, v in result.purchase_model["params"].items())
            write(f"BG/NBD: {params}")
        if result.non_finite_predictions:
            write(self.style.WARNING(
                f"{result.non_finite_predictions} customers have predictions the model could "
                "not evaluate; they are stored as unknown"))
        reasons = dict.fromkeys(
            r for r in (result.prediction_skipped_reason, result.value_skipped_reason) if r
        )
        for reason in reasons:
            write(self.style.WARNING(reason))


def _as_of(text: str) -> datetime:
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text)
        if day is None:
            raise CommandError(f"--as-of must be a date or date-time, not {text!r}")
        moment = datetime.combine(day, time.max)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
