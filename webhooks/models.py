"""Webhooks out: what an organization's other systems learn from Recovery as it happens.

- `Endpoint`: a URL an admin registered, the event types it wants, and the salt its signing
  secret is derived from (signing.py): the secret is never stored.
- `Delivery`: the outbox. One row per event per endpoint, written in the transaction of the
  write that caused it (so an event exists exactly when its cause was committed), sent by the
  reminders' claim / send / back-off protocol (delivery.py). Its `event_id` is the same on
  every attempt: receivers drop a repeat by it.
- `DeliveryAttempt`: the log of each attempt and what the endpoint answered.
"""

from __future__ import annotations

import uuid

from django.db import models

from candidates.models import Organization, User
from reminders.models import OutboxRow


class EventType(models.TextChoices):
    STATUS_CHANGED = "candidate.status_changed", "A candidate's status changed"
    REQUEST_RECEIVED = "second_chance.requested", "A second-chance request was received"
    DECISION_MADE = "second_chance.decided", "A second chance was granted or refused"
    CANDIDATE_MERGED = "candidate.merged", "Two records of a candidate were merged"


# "Send a test" sends this; no endpoint subscribes to it.
PING = "ping"


class Endpoint(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list)
    salt = models.CharField(max_length=32)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return event_type in self.events


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Delivered"
    FAILED = "failed", "Gave up"


class Delivery(OutboxRow):
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=40)
    # The event's id, in the body and the `Recovery-Delivery` header, the same on every
    # attempt and "send again".
    # One event goes to every endpoint that wants it with the same id.
    event_id = models.UUIDField(default=uuid.uuid4)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default="pending")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="one_delivery_per_event")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(state="pending"),
                name="webhook_delivery_due_idx",
            ),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.endpoint_id}"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    # The endpoint's answer (None: no answer: refused, timed out, the worker died).
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.TextField(blank=True)
    error = models.TextField(blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"Attempt at delivery {self.delivery_id}: {self.status_code or self.error}"
