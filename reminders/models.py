"""Reminders wait as rows, not as delayed Celery messages: each has a due time and a state,
and the dispatcher (`delivery.py`) claims the due ones every minute.

States: `pending` (waiting to be emailed), `sent` (emailed, waiting for someone to act),
`snoozed` (put off: emailed again when due), `failed` (the email could not be sent; still
open, shown in the app), and the closed states `done` and `cancelled`.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from candidates.models import Candidate, Event, Job, Organization, User

from .rules import KIND_LABELS, ReminderKind


class State(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    DONE = "done", "Done"
    SNOOZED = "snoozed", "Snoozed"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Email failed"


# Someone still has to act on these.
OPEN_STATES = (State.PENDING, State.SENT, State.SNOOZED, State.FAILED)
# The dispatcher emails these when they fall due.
DISPATCHABLE_STATES = (State.PENDING, State.SNOOZED)
CLOSED_STATES = (State.DONE, State.CANCELLED)


class ReminderQuerySet(models.QuerySet):
    def open(self) -> ReminderQuerySet:
        return self.filter(state__in=OPEN_STATES)

    def due(self, now: datetime) -> ReminderQuerySet:
        """Open and due by `now`: what the navigation counts."""
        return self.open().filter(due_at__lte=now)

    def dispatchable(self, now: datetime) -> ReminderQuerySet:
        """What the dispatcher may claim: due, not being sent by someone else (a claim's
        lease pushes `next_attempt_at` forward), not waiting for a retry."""
        return self.filter(state__in=DISPATCHABLE_STATES, next_attempt_at__lte=now)

    def visible_to(self, user: User) -> ReminderQuerySet:
        """Managers and admins see their team's reminders; everyone else their own."""
        qs = self.filter(organization_id=user.organization_id)
        return qs if user.is_manager else qs.filter(user=user)


class OutboxRow(models.Model):
    """The bookkeeping of a row sent exactly once by `delivery.claim_rows` and a conditional
    UPDATE to sent (outreach's emails to candidates, the webhooks' deliveries; a reminder
    keeps its own, with a round per snooze)."""

    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        abstract = True


class Reminder(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="reminders"
    )
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="reminders", help_text="Who must act."
    )
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="reminders")
    job = models.ForeignKey(
        Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="reminders"
    )
    event = models.ForeignKey(
        Event,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reminders",
        help_text="The logged event whose rule created this reminder.",
    )
    kind = models.CharField(
        max_length=20, choices=[(k.value, k.label) for k in ReminderKind], default="manual"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    due_at = models.DateTimeField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)

    # Delivery bookkeeping (see delivery.py). `round` numbers the emails of one reminder: a
    # snooze brings it back for another round, with its own Message-ID.
    round = models.PositiveIntegerField(default=1)
    next_attempt_at = models.DateTimeField(
        help_text="When the dispatcher may take it: the due time, a claim's lease end, or a "
        "retry's backoff."
    )
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Unsuccessful send attempts in this round."
    )
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReminderQuerySet.as_manager()
    # The audit trail of what people and rules did (created, done, snoozed, cancelled, by
    # whom). Delivery bookkeeping is left out: ReminderAttempt records every send.
    history = HistoricalRecords(
        excluded_fields=[
            "round",
            "next_attempt_at",
            "claim_token",
            "claimed_at",
            "attempts",
            "last_error",
            "sent_at",
            "updated_at",
        ]
    )

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=State.values), name="reminder_state_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in ReminderKind]),
                name="reminder_kind_valid",
            ),
            # One reminder per rule, event and person, however often the hook runs.
            models.UniqueConstraint(
                fields=["event", "kind", "user"],
                condition=models.Q(event__isnull=False),
                name="reminder_once_per_event_kind_user",
            ),
        ]
        indexes = [
            # The dispatcher: WHERE state IN (pending, snoozed) AND next_attempt_at <= now.
            models.Index(fields=["state", "next_attempt_at"], name="reminder_dispatch"),
            # My reminders, the nav count, the Today page, the digest.
            models.Index(fields=["user", "state", "due_at"], name="reminder_user_due"),
            # The team page.
            models.Index(fields=["organization", "state", "due_at"], name="reminder_org_due"),
            # The candidate page, and completion when an event is logged.
            models.Index(fields=["candidate", "state"], name="reminder_candidate"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        if self.next_attempt_at is None:
            self.next_attempt_at = self.due_at
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("reminders:list") + f"#reminder-{self.pk}"

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[ReminderKind(self.kind)]

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def is_due(self, now: datetime) -> bool:
        return self.is_open and self.due_at <= now

    @property
    def message_id(self) -> str:
        """The same for every attempt of one round, so that mail servers and clients drop a
        duplicate if a crash between handing the email over and committing ever makes us
        send it again."""
        return make_message_id(f"reminder.{self.pk}.{self.round}")

    def can_act(self, user: User) -> bool:
        """The person reminded, and the managers of the same organization."""
        return self.organization_id == user.organization_id and (
            self.user_id == user.pk or user.is_manager
        )


def make_message_id(local_part: str) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<{local_part}@{host}>"


class Outcome(models.TextChoices):
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    ABANDONED = "abandoned", "Claim expired"


class ReminderAttempt(models.Model):
    """Every attempt to email a reminder. The `sent` one is written in the same transaction
    as the email and the reminder's new state, and is unique per round: the database itself
    refuses to commit a second send of one reminder."""

    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="attempts_log")
    round = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    message_id = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reminder", "round"],
                condition=models.Q(outcome="sent"),
                name="reminder_sent_once_per_round",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} at {self.started_at:%Y-%m-%d %H:%M:%S}"


class DailyDigest(models.Model):
    """A digest emailed to a user for a day of their own calendar: at most one each."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reminder_digests")
    on_date = models.DateField()
    reminder_count = models.PositiveIntegerField()
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-on_date"]
        constraints = [
            models.UniqueConstraint(fields=["user", "on_date"], name="digest_once_per_user_day")
        ]

    def __str__(self) -> str:
        return f"Digest for {self.user} on {self.on_date}"


class StoredEmail(models.Model):
    """Mail kept by `backends.DatabaseEmailBackend` (tests, the crash test, demos): it is
    written in the sender's transaction, so it exists exactly when the send committed."""

    message_id = models.CharField(max_length=200, db_index=True)
    from_email = models.CharField(max_length=254)
    to = models.TextField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    html = models.TextField(blank=True)
    # Each attachment as {"filename", "content_type" (with its parameters), "content" (text,
    # or base64 for binary content with "base64": true)}.
    attachments = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.subject


class CalendarFeedQuerySet(models.QuerySet):
    def live(self) -> CalendarFeedQuerySet:
        return self.filter(revoked_at__isnull=True)


class CalendarFeed(models.Model):
    """A member's private calendar feed (`/calendar/<token>.ics`, see calendar_feeds.py).

    Only the SHA-256 of the token is stored: the URL is shown once, when it is made. A member
    has at most one live feed; making a new one revokes the old. The feed answers only while
    its member is active and still in the organization it was made in."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="calendar_feeds")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)

    objects = CalendarFeedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(revoked_at__isnull=True),
                name="calendar_feed_one_live_per_user",
            ),
        ]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "live"
        return f"Calendar feed of {self.user} ({state})"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None
