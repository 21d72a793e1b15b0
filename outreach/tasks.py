"""Celery: the outbox of emails to candidates (delivery.py). Beat runs it every minute, and a
queued email asks for a run after its commit; running it twice at once is harmless."""

from celery import shared_task

from . import delivery


@shared_task
def send_candidate_emails() -> int:
    return delivery.send_due()
