"""``dangol clv``: fit customer-value models and summarise transaction logs.

    dangol clv fit --model bgnbd|pareto|gammagamma --summary FILE.csv
    dangol clv summarize --transactions FILE.csv --calibration-end DATE [--output FILE]

The command parses arguments and calls :mod:`dangol.stats`; it touches no
database. Bad input ends with a :class:`CommandError` whose message names the
file, line and column.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dangol.stats.csvfiles import read_summary_csv, read_transactions_csv, write_summary_csv
from dangol.stats.errors import StatsError
from dangol.stats.registry import MODEL_NAMES, fit_model
from dangol.stats.summary import summarize_transactions


class Command(BaseCommand):
    help = "Customer lifetime value: fit BG/NBD, Pareto/NBD or Gamma-Gamma, or summarise a log."
    # Pure computation on files: no database, so no system or migration checks.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{fit,summarize}")
        fit = actions.add_parser(
            "fit", help="fit a model to a summary CSV and print the result as JSON"
        )
        fit.add_argument("--model", required=True, choices=MODEL_NAMES)
        fit.add_argument(
            "--summary",
            required=True,
            type=Path,
            help="CSV with id,frequency,recency,T[,monetary] (or ID,x,t_x,T,zbar)",
        )
        fit.add_argument(
            "--min-repeat-buyers",
            type=int,
            default=10,
            help="refuse to fit with fewer customers who bought again (default 10)",
        )
        summarize = actions.add_parser(
            "summarize", help="summarise a transaction log into frequency, recency, T, monetary"
        )
        summarize.add_argument("--transactions", required=True, type=Path)
        summarize.add_argument(
            "--calibration-end", required=True, help="last day of the calibration period"
        )
        summarize.add_argument("--customer-id-col", default="customer_id")
        summarize.add_argument("--datetime-col", default="date")
        summarize.add_argument("--monetary-col", default=None)
        summarize.add_argument(
            "--freq", choices=("D", "W"), default="D", help="time unit: days or weeks"
        )
        summarize.add_argument(
            "--freq-multiplier",
            type=float,
            default=1.0,
            help="divide recency and T by this (D with 7 gives weeks at daily resolution)",
        )
        summarize.add_argument("--output", type=Path, default=None, help="default: stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "fit":
                self._fit(options)
            else:
                self._summarize(options)
        except StatsError as exc:
            raise CommandError(str(exc)) from exc

    def _fit(self, options: dict[str, Any]) -> None:
        summary = read_summary_csv(options["summary"])
        fit = fit_model(options["model"], summary, min_repeat_buyers=options["min_repeat_buyers"])
        # Parameters also sit at the top level so that `jq .r` works.
        payload = {**fit.as_dict(), **fit.params.as_dict()}
        self.stdout.write(json.dumps(payload))

    def _summarize(self, options: dict[str, Any]) -> None:
        log = read_transactions_csv(
            options["transactions"],
            customer_id_col=options["customer_id_col"],
            datetime_col=options["datetime_col"],
            monetary_col=options["monetary_col"],
        )
        summary = summarize_transactions(
            customer_ids=log.customer_ids,
            dates=log.dates,
            calibration_end=options["calibration_end"],
            monetary=log.monetary,
            freq=options["freq"],
            freq_multiplier=options["freq_multiplier"],
        )
        output: Path | None = options["output"]
        if output is None:
            write_summary_csv(summary, self.stdout)
            return
        try:
            with open(output, "w", newline="", encoding="utf-8") as handle:
                write_summary_csv(summary, handle)
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc}") from exc
        self.stderr.write(f"wrote {summary.n_customers} customers to {output}")
