"""Celery tasks: thin wrappers that call a service."""

from celery import shared_task

from . import services


@shared_task
def reevaluate_due_candidates() -> int:
    """Hourly: store the new status of candidates whose missteps crossed a 6- or 24-month edge
    (or whose future-dated events came into view) today."""
    return services.reevaluate_due()
