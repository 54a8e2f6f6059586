from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from dangol.accounts.actors import Actor
from dangol.core.tabular import TableError, count_data_rows, open_table
from dangol.customers.imports import KINDS, ImportSummary, import_table, write_rejects


class Command(BaseCommand):
    help = ("Import customers, products or orders from a CSV (UTF-8 or CP949) or XLSX file. "
            "Bad rows are listed with their row and column in a rejects file; the rest are "
            "imported.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file", type=Path)
        parser.add_argument("--rejects", type=Path,
                            help="where to write refused rows (default: FILE.rejects.csv)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, kind: str, file: Path, rejects: Path | None,
               no_progress: bool, **options: Any) -> None:
        if not file.exists():
            raise CommandError(f"{file}: no such file")
        try:
            table = open_table(file)
            total = count_data_rows(file)
        except TableError as error:
            raise CommandError(f"{file}: {error}") from None
        bar = tqdm(total=total, unit="rows", disable=no_progress, file=self.stderr._out)

        def progress(summary: ImportSummary) -> None:
            bar.update(summary.rows_read - bar.n)

        try:
            summary = import_table(kind, table, actor=Actor(label="cli"), on_progress=progress)
        except TableError as error:
            raise CommandError(f"{file}: {error}") from None
        finally:
            bar.close()
        self.stdout.write(
            f"{file.name} ({summary.encoding}): {summary.rows_read} rows read, "
            f"{summary.created} created, {summary.updated} updated, "
            f"{summary.rejected_rows} rows refused."
        )
        if summary.ignored_columns:
            self.stdout.write(f"Ignored columns: {', '.join(summary.ignored_columns)}")
        if summary.rejects:
            target = rejects or file.with_name(file.name + ".rejects.csv")
            write_rejects(summary, target)
            for reject in summary.rejects[:20]:
                self.stdout.write(f"  row {reject.row}, column {reject.column}: {reject.message}")
            if len(summary.rejects) > 20:
                self.stdout.write(f"  … and {len(summary.rejects) - 20} more")
            self.stdout.write(f"All refused rows: {target}")
