from contextlib import suppress

from celery import shared_task

from dangol.core.errors import DomainError
from dangol.customers import imports
from dangol.customers.recommendations import build_recommendations


@shared_task(acks_late=True)
def run_import_job(job_id: int) -> None:
    imports.run_import(job_id=job_id)


@shared_task(acks_late=True)
def build_recommendations_task() -> None:
    """Nightly: product similarities for recommendations (refused while one runs)."""
    # Refused while another build runs: that one will finish the job.
    with suppress(DomainError):
        build_recommendations()
