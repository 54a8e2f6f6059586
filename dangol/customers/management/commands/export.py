import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangol.customers.exports import ROWS, iter_csv, write_xlsx


class Command(BaseCommand):
    help = "Export customers, products or orders as CSV or XLSX."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(ROWS))
        parser.add_argument("-o", "--output", type=Path,
                            help="file to write (.csv or .xlsx); CSV to standard output if "
                                 "omitted")

    def handle(self, *args: Any, kind: str, output: Path | None, **options: Any) -> None:
        if output is None:
            for piece in iter_csv(kind):
                sys.stdout.write(piece.lstrip("\ufeff"))
            return
        suffix = output.suffix.lower()
        if suffix == ".xlsx":
            write_xlsx(kind, output)
        elif suffix == ".csv":
            with output.open("w", encoding="utf-8", newline="") as handle:
                for piece in iter_csv(kind):
                    handle.write(piece)
        else:
            raise CommandError(f"{output}: use a .csv or .xlsx file name")
        self.stdout.write(f"Wrote {output}")
