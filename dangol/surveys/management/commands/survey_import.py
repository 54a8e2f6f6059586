from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from dangol.accounts.actors import Actor
from dangol.core.errors import DomainError, ValidationFailed
from dangol.surveys.services.imports import import_survey


class Command(BaseCommand):
    help = ("Import a Qualtrics (.qsf) or LimeSurvey (.lss) survey as a draft survey. Prints the "
            "new survey's ID and everything that could not be imported; exits with 1 when the "
            "file cannot be imported.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        if not file.is_file():
            raise CommandError(_("%(file)s: no such file") % {"file": file})
        try:
            result = import_survey(actor=Actor(label="cli"), filename=file.name,
                                   content=file.read_bytes())
        except ValidationFailed as error:
            lines = [f"{file}: {error.message} [{error.code}]"]
            lines += [f"  {problem.message}" for problem in error.problems]
            raise CommandError("\n".join(lines)) from None
        except DomainError as error:
            raise CommandError(f"{file}: {error.message} [{error.code}]") from None
        survey = result.survey
        self.stdout.write(
            _("Created draft survey %(id)s \"%(name)s\" from %(source)s: %(count)s questions in "
              "%(languages)s.") % {"id": survey.pk, "name": survey.name, "source": result.source,
                                   "count": result.question_count,
                                   "languages": ", ".join(survey.languages)})
        if result.unmapped:
            self.stdout.write(_("Not imported, or imported only in part (%(count)s):")
                              % {"count": len(result.unmapped)})
            for item in result.unmapped:
                self.stdout.write(f"  {item}")
        else:
            self.stdout.write(_("Everything was imported."))
