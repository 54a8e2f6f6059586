from celery import shared_task

from dangol.customers import imports


@shared_task(acks_late=True)
def run_import_job(job_id: int) -> None:
    imports.run_import(job_id=job_id)
