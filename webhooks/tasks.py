"""Celery: the webhook outbox (delivery.py). Beat runs it every minute, and an emitted event
asks for a run after its commit; running it twice at once is harmless."""

from datetime import timedelta

from celery import shared_task

from . import delivery, services


@shared_task
def send_webhooks(lease_seconds: int | None = None, batch_size: int | None = None) -> int:
    """The arguments are for the crash test; the defaults are delivery.LEASE and BATCH_SIZE."""
    return delivery.send_due(
        lease=timedelta(seconds=lease_seconds) if lease_seconds else delivery.LEASE,
        batch_size=batch_size or delivery.BATCH_SIZE,
    )


@shared_task
def prune_webhook_log() -> int:
    return services.deliveries_prune()
