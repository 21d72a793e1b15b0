"""Writes to reminders: the rules' hook on every logged event, manual reminders, and what a
person does with a reminder (done, snooze, cancel). Emailing them is `delivery.py`.

State changes are conditional UPDATEs (`WHERE state IN (...)`), so that a person acting on a
reminder and a dispatcher sending it cannot overwrite each other: whoever commits second
sees the first one's state. Clearing `claim_token` takes the reminder from any dispatcher
that holds it, which then skips it (see delivery.py).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from candidates.engine import Kind, Status
from candidates.models import Candidate, Event, Job, Role, User

from . import rules
from .models import OPEN_STATES, Reminder, State
from .rules import Person, Recipient, ReminderKind, Trigger

logger = logging.getLogger(__name__)


def _kick_dispatcher() -> None:
    """After commit, ask a worker to dispatch now rather than at the next beat minute.

    Not `delay_on_commit`: its callback is not `robust`, so a broker hiccup would turn a
    committed write into a 500. The beat dispatches within a minute anyway.
    """
    from .tasks import dispatch_due  # tasks import services: import late to avoid the cycle

    transaction.on_commit(dispatch_due.delay, robust=True)


# --- Rules ----------------------------------------------------------------------------------


def _owner(candidate: Candidate, event: Event) -> User | None:
    # A candidate without an (active) owner: whoever logged the event knows the story.
    owner = candidate.owner
    if owner is not None and owner.is_active:
        return owner
    return event.recorded_by


def _deciders(candidate: Candidate) -> list[User]:
    members = User.objects.filter(organization_id=candidate.organization_id, is_active=True)
    managers = list(members.filter(role=Role.MANAGER).order_by("pk"))
    # An organization without a manager still decides: its admins can (access.DECIDERS).
    return managers or list(members.filter(role=Role.ADMIN).order_by("pk"))


def _job_words(job: Job | None) -> str:
    return f"{job.title} at {job.client.name}" if job else ""


def on_event_logged(
    event: Event, *, now: datetime | None = None, skip_kinds: frozenset | set = frozenset()
) -> list[Reminder]:
    """Called by `candidates.services.event_log` inside its transaction, after the candidate
    was re-evaluated: complete what this event answers, then create what the rules ask."""
    now = now or timezone.now()
    kind = Kind(event.kind)
    _complete_for_event(event, kind, now)

    wanted = rules.needs(kind)
    if not wanted:
        return []
    candidate = Candidate.objects.select_related("owner").get(pk=event.candidate_id)
    recipients: dict[Recipient, list[User]] = {}
    if Recipient.OWNER in wanted:
        owner = _owner(candidate, event)
        recipients[Recipient.OWNER] = [owner] if owner is not None and owner.is_active else []
    if Recipient.DECIDERS in wanted:
        recipients[Recipient.DECIDERS] = _deciders(candidate)
    users = {u.pk: u for people in recipients.values() for u in people}

    trigger = Trigger(
        kind=kind,
        occurred_on=event.occurred_on,
        candidate=candidate.name,
        job=_job_words(event.job),
        interview_at=event.interview_at,
        candidate_burned=candidate.status == Status.BURNED,
    )
    planned = rules.plan(
        trigger,
        {to: [Person(u.pk, u.time_zone) for u in people] for to, people in recipients.items()},
        now=now,
    )
    reminders = [
        Reminder(
            organization_id=candidate.organization_id,
            user=users[p.user_id],
            candidate=candidate,
            job_id=event.job_id,
            event=event,
            kind=p.kind,
            title=p.title,
            body=p.body,
            due_at=p.due_at,
            next_attempt_at=p.due_at,
            created_by=event.recorded_by,
        )
        for p in planned
        if p.kind not in skip_kinds
    ]
    # Idempotent: a second run of the hook for the same event adds nothing (and the unique
    # (event, kind, user) constraint stands behind this check).
    existing = set(Reminder.objects.filter(event=event).values_list("kind", "user_id"))
    reminders = [r for r in reminders if (r.kind, r.user_id) not in existing]
    Reminder.objects.bulk_create(reminders)
    _record(reminders, by=event.recorded_by, why=f"rule: {kind.value} logged", update=False)
    if any(r.due_at <= now for r in reminders):
        _kick_dispatcher()
    return reminders


def _complete_for_event(event: Event, kind: Kind, now: datetime) -> int:
    kinds = rules.completed_kinds(kind)
    if not kinds:
        return 0
    waiting = Reminder.objects.filter(
        candidate_id=event.candidate_id, kind__in=kinds, state__in=OPEN_STATES
    )
    closed = {"claim_token": "", "closed_at": now, "updated_at": now}
    affected = list(waiting.values_list("pk", flat=True))
    if not affected:
        return 0
    waiting = Reminder.objects.filter(pk__in=affected, state__in=OPEN_STATES)
    cancelled = 0
    if kinds & rules.SHARED_KINDS:
        # A decision everyone was asked to make: the one who made it is done; the others
        # did not do it and must not be told they did.
        cancelled = (
            waiting.filter(kind__in=rules.SHARED_KINDS)
            .exclude(user_id=event.recorded_by_id)
            .update(state=State.CANCELLED, closed_by_id=event.recorded_by_id, **closed)
        )
    done = waiting.update(state=State.DONE, closed_by_id=event.recorded_by_id, **closed)
    _record(
        Reminder.objects.filter(pk__in=affected),
        by=event.recorded_by,
        why=f"completed by {kind.value} on {event.occurred_on.isoformat()}",
    )
    return cancelled + done


def on_event_deleted(event: Event, *, by: User | None) -> int:
    """An event deleted as a mistake: the reminders its rules made have nothing to follow."""
    return len(_cancel_from(event, by=by, why="its event was deleted"))


def on_event_corrected(event: Event, *, by: User | None) -> list[Reminder]:
    """An event corrected (kind, date, interview time...): cancel the open reminders its
    rules made from the old version and plan again from the new one. What was already
    settled (a decision reminder done, a follow-up made) is not brought back."""
    settled = set(
        Reminder.objects.filter(event=event)
        .exclude(state__in=OPEN_STATES)
        .values_list("kind", flat=True)
    )
    cancelled = _cancel_from(event, by=by, why="its event was corrected")
    # The cancelled rows hold the unique (event, kind, user) slots: free them for the new plan.
    Reminder.objects.filter(pk__in=cancelled).update(event=None)
    return on_event_logged(event, skip_kinds=settled)


def cancel_for_candidate(candidate: Candidate, *, by: User | None, why: str) -> list[int]:
    """Cancel every open reminder about the candidate (an erased candidate is called by no
    one): a dispatcher holding one skips it, as for any cancellation."""
    return _cancel_open(Reminder.objects.filter(candidate=candidate), by=by, why=why)


def _cancel_from(event: Event, *, by: User | None, why: str) -> list[int]:
    return _cancel_open(Reminder.objects.filter(event=event), by=by, why=why)


def _cancel_open(reminders, *, by: User | None, why: str) -> list[int]:
    now = timezone.now()
    affected = list(reminders.filter(state__in=OPEN_STATES).values_list("pk", flat=True))
    if affected:
        Reminder.objects.filter(pk__in=affected, state__in=OPEN_STATES).update(
            state=State.CANCELLED, claim_token="", closed_by=by, closed_at=now, updated_at=now
        )
        _record(Reminder.objects.filter(pk__in=affected), by=by, why=why)
    return affected


def _record(reminders, *, by: User | None, why: str, update: bool = True) -> None:
    """Audit rows for writes that bypass model signals (bulk inserts, conditional UPDATEs)."""
    rows = list(reminders)
    for row in rows:
        row._history_user = by  # simple-history prefers it to default_user
    if rows:
        Reminder.history.bulk_history_create(
            rows, update=update, default_user=by, default_change_reason=why
        )


# --- Manual reminders -----------------------------------------------------------------------


@transaction.atomic
def reminder_create(
    *,
    candidate: Candidate,
    user: User,
    title: str,
    due_at: datetime,
    created_by: User,
    body: str = "",
    job: Job | None = None,
) -> Reminder:
    """A reminder someone adds from a candidate's page, for themselves or a colleague."""
    if user.organization_id != candidate.organization_id:
        raise PermissionDenied("That person is not in the candidate's organization.")
    if created_by.organization_id != candidate.organization_id:
        raise PermissionDenied("You are not in the candidate's organization.")
    if job is not None and job.organization_id != candidate.organization_id:
        raise PermissionDenied("The job belongs to another organization.")
    reminder = Reminder(
        organization_id=candidate.organization_id,
        user=user,
        candidate=candidate,
        job=job,
        kind=ReminderKind.MANUAL,
        title=title.strip(),
        body=body.strip(),
        due_at=due_at,
        next_attempt_at=due_at,
        created_by=created_by,
    )
    reminder.full_clean()
    reminder._history_user = created_by  # the audit trail's "who", outside a request too
    reminder.save()
    if due_at <= timezone.now():
        _kick_dispatcher()
    return reminder


# --- What people do with a reminder ---------------------------------------------------------


class NotOpen(Exception):
    """The reminder was already done or cancelled (perhaps a moment ago, by someone else)."""


def _act(reminder: Reminder, by: User, **changes) -> Reminder:
    if not reminder.can_act(by):
        raise PermissionDenied("Only the person reminded and their managers can do this.")
    now = timezone.now()
    with transaction.atomic():
        changed = Reminder.objects.filter(pk=reminder.pk, state__in=OPEN_STATES).update(
            claim_token="", claimed_at=None, updated_at=now, **changes
        )
        reminder.refresh_from_db()
        if changed:
            _record([reminder], by=by, why=f"{reminder.get_state_display().lower()} by hand")
    if not changed:
        raise NotOpen(f"This reminder is already {reminder.get_state_display().lower()}.")
    return reminder


def reminder_done(*, reminder: Reminder, by: User) -> Reminder:
    now = timezone.now()
    return _act(reminder, by, state=State.DONE, closed_by=by, closed_at=now)


def reminder_cancel(*, reminder: Reminder, by: User) -> Reminder:
    now = timezone.now()
    return _act(reminder, by, state=State.CANCELLED, closed_by=by, closed_at=now)


def reminder_snooze(*, reminder: Reminder, by: User, delay: timedelta) -> Reminder:
    """Put it off: it falls due again `delay` from now and is emailed again, as a new round
    (its own Message-ID), however many attempts the last round took."""
    due = timezone.now() + delay
    return _act(
        reminder,
        by,
        state=State.SNOOZED,
        due_at=due,
        next_attempt_at=due,
        round=F("round") + 1,
        attempts=0,
        last_error="",
    )
