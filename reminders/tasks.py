"""Celery tasks: thin wrappers around delivery.py. Beat runs them (settings.CELERY_BEAT_SCHEDULE);
any number may run at once, and running one twice is harmless."""

from datetime import timedelta

from celery import shared_task

from . import delivery


@shared_task
def dispatch_due(lease_seconds: int | None = None, batch_size: int | None = None) -> dict:
    """Every minute: email the reminders that are due. The arguments are for tests and the
    benchmark; the defaults are delivery.LEASE and delivery.BATCH_SIZE."""
    result = delivery.dispatch_due(
        lease=timedelta(seconds=lease_seconds) if lease_seconds else delivery.LEASE,
        batch_size=batch_size or delivery.BATCH_SIZE,
    )
    return result.as_dict()


@shared_task
def send_digests() -> int:
    """Every 15 minutes: the 08:00 digest for users whose morning it now is."""
    return delivery.send_digests()


@shared_task
def noop() -> None:
    """Does nothing: the benchmark's yardstick for the broker and worker's own throughput."""
