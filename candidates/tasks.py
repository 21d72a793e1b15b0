"""Celery tasks: thin wrappers that call a service."""

from celery import shared_task

from . import importer, services


@shared_task
def reevaluate_due_candidates() -> int:
    """Hourly: store the new status of candidates whose missteps crossed a 6- or 24-month edge
    (or whose future-dated events came into view) today; then repair the counts per status
    should anything have bypassed the services, and forget week-old form submission keys."""
    done = services.reevaluate_due()
    services.recount_statuses()
    services.forget_old_submissions()
    return done


@shared_task
def run_import(job_id: int) -> str:
    """Write an uploaded import (candidates/importer.py, "Jobs"); a second delivery of the
    same message finds the job claimed or done and does nothing."""
    return importer.run_job(job_id)


@shared_task
def resume_imports() -> int:
    """Every minute (beat): send again the import jobs that no worker holds."""
    return importer.sweep_jobs()
