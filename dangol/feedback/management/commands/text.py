"""``dangol text analyze|train``: the command-line face of :mod:`dangol.textkit`.

This command only parses arguments; the streaming, batching and training
live in ``dangol.textkit.cli`` so that they can be used and tested without
Django.
"""

from __future__ import annotations

import json
import os
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dangol.textkit import Taxonomy, TaxonomyError
from dangol.textkit.cli import run_analyze, run_train


class Command(BaseCommand):
    help = (
        "Text analytics. `analyze` reads UTF-8 text, one document per line, from standard "
        "input and writes one JSON object per line; `train` trains a sentiment model."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{analyze,train}")
        analyze = sub.add_parser("analyze", help="analyse stdin, one document per line")
        analyze.add_argument(
            "--batch-size", type=int, default=512, help="documents analysed together (default 512)"
        )
        analyze.add_argument(
            "--taxonomy", type=Path, help="JSON file with a theme taxonomy replacing the default"
        )
        analyze.add_argument(
            "--no-progress",
            action="store_true",
            help="do not draw a progress bar on standard error",
        )
        train = sub.add_parser("train", help="train a sentiment model")
        train.add_argument("--lang", choices=["ko", "en"], required=True)
        train.add_argument(
            "--out", type=Path, required=True, help="directory that receives sentiment_<lang>.npz"
        )
        train.add_argument(
            "--data",
            type=Path,
            help="training data (default: ../shared/data/nsmc/ratings_train.txt "
            "or ../shared/data/amazon-multidomain)",
        )
        train.add_argument("--limit", type=int, help="use only the first N reviews")
        train.add_argument(
            "--no-network",
            action="store_true",
            help="Korean: train the linear model alone, without the morpheme network "
            "(which needs PyTorch: pip install 'dangol[train]')",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "analyze":
            self._analyze(options)
        else:
            self._train(options)

    def _analyze(self, options: dict[str, Any]) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size: must be at least 1")
        taxonomy = None
        if options["taxonomy"] is not None:
            try:
                taxonomy = Taxonomy.from_json(options["taxonomy"])
            except (OSError, TaxonomyError) as exc:
                raise CommandError(f"--taxonomy {options['taxonomy']}: {exc}") from exc
        try:
            bad = run_analyze(
                sys.stdin.buffer,
                sys.stdout.buffer,
                sys.stderr,
                batch_size=options["batch_size"],
                progress=not options["no_progress"],
                taxonomy=taxonomy,
            )
        except BrokenPipeError:
            # The reader went away (e.g. `| head`). Point stdout at /dev/null so
            # that the interpreter's final flush does not raise a second time.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return
        if bad:
            self.stderr.write(f"{bad} line(s) were not valid UTF-8")

    def _train(self, options: dict[str, Any]) -> None:
        if options["limit"] is not None and options["limit"] < 100:
            raise CommandError("--limit: use at least 100 reviews")
        try:
            report = run_train(
                options["lang"],
                options["out"],
                options["data"],
                options["limit"],
                sys.stderr,
                network=False if options["no_network"] else None,
            )
        except (FileNotFoundError, ValueError, RuntimeError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(report, ensure_ascii=False))
