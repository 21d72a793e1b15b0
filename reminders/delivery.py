"""Delivery: the dispatcher that emails due reminders, and the 08:00 digest.

How a reminder is emailed once, in effect
=========================================

Reminders are rows. Celery beat runs `tasks.dispatch_due` every minute (and a write that
makes a reminder due at once asks for a run after its commit); `manage.py
dispatch_reminders` runs the same function from cron. Any number of these may run at once.

1. **Claim** (one short transaction). Take up to `batch_size` rows that are dispatchable
   (`pending`/`snoozed` with `next_attempt_at <= now`): on PostgreSQL with `SELECT ... FOR
   UPDATE SKIP LOCKED`, so that concurrent dispatchers take different rows without waiting;
   then a conditional `UPDATE ... WHERE state IN (...) AND next_attempt_at <= now` writes this
   run's random `claim_token` and pushes `next_attempt_at` to now + lease. On SQLite there
   are no row locks; the conditional UPDATE inside an IMMEDIATE transaction (settings.py)
   serializes claims instead. A claim is a lease: if the worker dies, the rows become
   dispatchable again when it ends and the next run takes them (recording the abandoned
   attempt; a reminder whose sending keeps killing workers fails after `MAX_ATTEMPTS`).

2. **Send** (one transaction per reminder). `UPDATE reminder SET state='sent' WHERE id=...
   AND claim_token=<ours> AND state IN ('pending','snoozed')`; if no row matched, somebody
   finished, cancelled, snoozed or re-claimed it since, and we skip it. Otherwise hand the
   email to Django's backend, insert the `sent` ReminderAttempt, and commit. The UPDATE
   holds the row lock until the commit, so whoever comes second sees `sent` and backs off;
   and the attempt is unique per reminder and round, so even if this logic were wrong the
   database could never commit a second send of the same reminder.

   The email and the state change are therefore one transaction wherever the backend
   writes to the database (`backends.DatabaseEmailBackend`, which the tests and the crash
   test use, or an outbox table relayed by something else): the message exists exactly
   when the reminder is `sent`. An SMTP server is outside the transaction: a crash after it
   accepted the message and before our COMMIT rolls the reminder back to its claim, and
   the next dispatcher sends it again, with the same deterministic `Message-ID`
   (`<reminder.ID.ROUND@host>`) so that mail servers and clients drop the duplicate. That
   window is one COMMIT long; it cannot be closed on the sending side without two-phase
   commit with the mail server.

3. **Fail**: an exception from the backend rolls the send back; in a new transaction the
   reminder keeps its state, `attempts` goes up, `next_attempt_at` moves by the next delay
   in `RETRY_DELAYS`, and the attempt and its error are recorded. After `MAX_ATTEMPTS` the
   reminder becomes `failed` (still open, shown with its error on the Reminders page).

A task delivered twice, two dispatchers at once, a worker killed mid-batch, a broker
restart that loses a message: each case ends in either "somebody else holds or finished
it" (skip) or "nobody does" (the next run takes it), never in two commits of `sent`.

Celery is only the clock: no reminder waits in the broker as an ETA message (those are
redelivered after Redis' visibility timeout or lost on restart, celery#2599, kombu#337).
"""

from __future__ import annotations

import contextlib
import logging
import time as monotonic_time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from celery.exceptions import SoftTimeLimitExceeded
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, QuerySet, When
from django.utils import timezone

from candidates.models import User

from . import emails
from .models import (
    DISPATCHABLE_STATES,
    OPEN_STATES,
    DailyDigest,
    Outcome,
    Reminder,
    ReminderAttempt,
    State,
)

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BATCH_SIZE = 100
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A run stops claiming after this long (the next beat carries on), well inside the task's
# time limit (settings.CELERY_TASK_SOFT_TIME_LIMIT).
TIME_BUDGET = timedelta(minutes=2)

DIGEST_FROM = time(8, 0)
# A worker that was down all morning sends no digest in the afternoon: each reminder is
# still emailed when due.
DIGEST_UNTIL = time(12, 0)


@dataclass
class DispatchResult:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class NothingSent(Exception):
    """The email backend returned without sending (e.g. fail_silently swallowed an error)."""


def dispatch_due(
    *,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    lease: timedelta = LEASE,
    budget: timedelta = TIME_BUDGET,
) -> DispatchResult:
    """Claim and email due reminders, batch after batch, until none is left or the time
    budget is spent. `now` fixes the clock (tests); by default each batch reads it."""
    token = uuid.uuid4().hex
    result = DispatchResult()
    deadline = monotonic_time.monotonic() + budget.total_seconds()
    mail = get_connection()
    try:
        while True:
            claimed = claim_batch(token, now=now or timezone.now(), size=batch_size, lease=lease)
            if not claimed:
                break
            # One SMTP connection for the run, opened only when there is something to send.
            mail.open()
            result.claimed += len(claimed)
            for reminder in claimed:
                outcome = send_one(reminder, token, mail, now=now)
                setattr(result, outcome, getattr(result, outcome) + 1)
            if monotonic_time.monotonic() > deadline:
                break
    finally:
        mail.close()
    if result.claimed:
        logger.info("Reminders dispatched: %s", result.as_dict())
    return result


def claim_rows(
    due: Callable[[datetime], QuerySet], token: str, *, now: datetime, size: int, lease: timedelta
) -> list[tuple[int, str]]:
    """Step 1 for any outbox whose rows have `next_attempt_at`, `claim_token`, `claimed_at`
    and `attempts` (reminders, and every `models.OutboxRow`: outreach's emails to candidates,
    the webhooks' deliveries): claim up to `size` of the
    rows `due(now)` selects, with a lease, inside the caller's transaction. Returns each
    claimed row's pk and the claim token it held before ("" unless its sender died)."""
    rows_due = due(now).order_by("next_attempt_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        rows_due = rows_due.select_for_update(skip_locked=True)
    rows = list(rows_due.values_list("pk", "claim_token")[:size])
    if rows:
        # Conditional: with no row locks (SQLite), this WHERE keeps two dispatchers apart.
        due(now).filter(pk__in=[pk for pk, _ in rows]).update(
            claim_token=token,
            claimed_at=now,
            next_attempt_at=now + lease,
            # A claim still standing is one whose sender died before finishing: an attempt,
            # so that a row whose sending keeps killing workers fails after MAX_ATTEMPTS.
            attempts=Case(When(claim_token="", then=F("attempts")), default=F("attempts") + 1),
        )
    return rows


def claim_batch(token: str, *, now: datetime, size: int, lease: timedelta) -> list[Reminder]:
    """Step 1: take up to `size` due reminders for this run, with a lease."""
    with transaction.atomic():
        rows = claim_rows(Reminder.objects.dispatchable, token, now=now, size=size, lease=lease)
        if not rows:
            return []
        pks = [pk for pk, _ in rows]
        claimed = list(
            Reminder.objects.filter(pk__in=pks, claim_token=token)
            .select_related("user", "candidate", "event", "job__client")
            .order_by("next_attempt_at", "pk")
        )
        abandoned = {pk for pk, old_token in rows if old_token}
        if abandoned:
            ReminderAttempt.objects.bulk_create(
                ReminderAttempt(
                    reminder=r,
                    round=r.round,
                    started_at=r.claimed_at or now,
                    finished_at=now,
                    outcome=Outcome.ABANDONED,
                    error="The dispatcher holding it stopped before finishing (worker killed?).",
                )
                for r in claimed
                if r.pk in abandoned
            )
    return claimed


def send_one(
    reminder: Reminder, token: str, mail: BaseEmailBackend, *, now: datetime | None = None
) -> str:
    """Step 2: email one claimed reminder and mark it sent, in one transaction."""
    if reminder.attempts >= MAX_ATTEMPTS:
        return _record_failure(reminder, token, f"Gave up after {reminder.attempts} attempts.")
    if not (reminder.user.is_active and reminder.user.email):
        # Retrying cannot help; failed, it shows on the team's page for a manager to hand on.
        problem = "has no email address" if reminder.user.is_active else "is deactivated"
        return _record_failure(reminder, token, f"{reminder.user} {problem}.", give_up=True)
    started = now or timezone.now()
    try:
        message = emails.reminder_email(reminder)
        with transaction.atomic():
            taken = Reminder.objects.filter(
                pk=reminder.pk, claim_token=token, state__in=DISPATCHABLE_STATES
            ).update(
                state=State.SENT,
                sent_at=started,
                claim_token="",
                claimed_at=None,
                last_error="",
                updated_at=started,
            )
            if not taken:
                return "skipped"
            if mail.send_messages([message]) != 1:
                raise NothingSent("The email backend sent nothing.")
            ReminderAttempt.objects.create(
                reminder=reminder,
                round=reminder.round,
                started_at=started,
                finished_at=timezone.now(),
                outcome=Outcome.SENT,
                message_id=reminder.message_id,
            )
    except SoftTimeLimitExceeded:
        raise
    except Exception as exc:
        logger.warning("Reminder %s: sending failed: %r", reminder.pk, exc)
        _reset(mail)
        return _record_failure(reminder, token, f"{type(exc).__name__}: {exc}", now=now)
    return "sent"


def _reset(mail: BaseEmailBackend) -> None:
    # A broken SMTP connection would fail every later send of the batch: reopen on next use.
    with contextlib.suppress(Exception):  # closing a connection that already failed
        mail.close()


def _record_failure(
    reminder: Reminder,
    token: str,
    error: str,
    *,
    now: datetime | None = None,
    give_up: bool = False,
) -> str:
    """Step 3: back off and retry later, or give up and show it as failed."""
    now = now or timezone.now()
    attempts = reminder.attempts + 1
    give_up = give_up or attempts >= MAX_ATTEMPTS
    changes = {
        "attempts": attempts,
        "last_error": error[:2000],
        "claim_token": "",
        "claimed_at": None,
        "updated_at": now,
    }
    if give_up:
        changes["state"] = State.FAILED
    else:
        changes["next_attempt_at"] = now + RETRY_DELAYS[attempts - 1]
    with transaction.atomic():
        if not Reminder.objects.filter(
            pk=reminder.pk, claim_token=token, state__in=DISPATCHABLE_STATES
        ).update(**changes):
            return "skipped"
        ReminderAttempt.objects.create(
            reminder=reminder,
            round=reminder.round,
            started_at=now,
            finished_at=now,
            outcome=Outcome.FAILED,
            error=error,
        )
    return "failed" if give_up else "retrying"


# --- The daily digest -----------------------------------------------------------------------


def send_digests(*, now: datetime | None = None) -> int:
    """Email each user whose local time is between 08:00 and noon, and who has reminders
    due today (or overdue) and no digest for today yet, the list of them. Run every 15
    minutes; a user's digest is recorded in the transaction that sends it."""
    now = now or timezone.now()
    sent = 0
    people = User.objects.filter(is_active=True, organization__isnull=False).exclude(email="")
    mail = get_connection()
    try:
        for zone in people.values_list("time_zone", flat=True).distinct().order_by():
            try:
                tz = ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                logger.warning("No digests for time zone %r: unknown zone.", zone)
                continue
            local = now.astimezone(tz)
            if not DIGEST_FROM <= local.time() < DIGEST_UNTIL:
                continue
            day = local.date()
            start = datetime.combine(day, time(0), tzinfo=tz)
            end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
            users = (
                people.filter(
                    time_zone=zone, reminders__state__in=OPEN_STATES, reminders__due_at__lt=end
                )
                .exclude(reminder_digests__on_date=day)
                .distinct()
                .order_by("pk")
            )
            for user in users:
                sent += _send_digest(user, day, start, end, now, mail)
    finally:
        mail.close()
    return sent


def _send_digest(
    user: User, day: date, start: datetime, end: datetime, now: datetime, mail: BaseEmailBackend
) -> int:
    due = list(
        # A member moved to another organization is not mailed the old one's candidates.
        Reminder.objects.filter(user=user, organization_id=user.organization_id, due_at__lt=end)
        .open()
        .select_related("candidate", "job__client")
        .order_by("due_at", "pk")
    )
    if not due:
        return 0
    overdue = [r for r in due if r.due_at < start]
    today = [r for r in due if r.due_at >= start]
    message = emails.digest_email(user, day, overdue, today)
    try:
        with transaction.atomic():
            # Unique per user and day: a second run at the same moment waits here for the
            # first one's commit, then fails instead of sending again.
            DailyDigest.objects.create(user=user, on_date=day, reminder_count=len(due), sent_at=now)
            if mail.send_messages([message]) != 1:
                raise NothingSent("The email backend sent nothing.")
    except IntegrityError:
        return 0
    except SoftTimeLimitExceeded:
        raise
    except Exception as exc:
        # Nothing was recorded: the next run (15 minutes on) tries again until noon.
        logger.warning("Digest for user %s: sending failed: %r", user.pk, exc)
        _reset(mail)
        return 0
    return 1
