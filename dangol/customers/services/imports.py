"""Import jobs started from the web app and run by the background worker."""

import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from dangol.accounts.actors import Actor
from dangol.accounts.services import record_audit, require
from dangol.core.errors import DomainError
from dangol.core.transactions import enqueue_after_commit
from dangol.customers import tasks
from dangol.customers.imports import KINDS
from dangol.customers.models import ImportJob


def start_import(*, actor: Actor, kind: str, upload: UploadedFile) -> ImportJob:
    """Store the uploaded file and queue its import; returns the queued job.

    Raises DomainError for an unknown kind, a file type other than CSV/XLSX,
    or a file over the size limit; PermissionDenied.
    """
    require(actor, "customers.import")
    if kind not in KINDS:
        raise DomainError(_("Choose what the file holds: customers, products or orders."),
                          code="unknown_kind")
    name = Path(upload.name or "upload").name
    suffix = Path(name).suffix.lower()
    if suffix not in {".csv", ".xlsx", ".txt"}:
        raise DomainError(_("Upload a .csv or .xlsx file."), code="unsupported_file")
    if upload.size and upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
        raise DomainError(_("The file is larger than the import limit."), code="file_too_large")
    folder = Path(settings.IMPORT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    stored = folder / f"{uuid.uuid4().hex}{suffix}"
    with stored.open("wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    with transaction.atomic():
        job = ImportJob.objects.create(kind=kind, file_name=name, file_path=str(stored),
                                       created_by=actor.user)
        record_audit(actor=actor, action="import", obj=job, fields=["kind", "file_name"])
        enqueue_after_commit(tasks.run_import_job, job.pk)
    return job
