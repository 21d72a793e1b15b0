"""Reads for the pages: the Reminders page, the candidate page, the Today page, the nav."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import QuerySet

from candidates.engine import MISSTEPS, Kind, Status
from candidates.models import Candidate, Event, User

from .models import CLOSED_STATES, Reminder
from .rules import why_no_reminder, zone


def _with_names(qs: QuerySet[Reminder]) -> QuerySet[Reminder]:
    return qs.select_related("user", "candidate", "job__client", "closed_by")


def end_of_local_day(user: User, now: datetime) -> datetime:
    tz = zone(user.time_zone)
    tomorrow = now.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=tz)


def due_count(user: User, now: datetime) -> int:
    """How many of my reminders are due now (the number beside "Reminders" in the nav)."""
    return Reminder.objects.filter(user=user, organization_id=user.organization_id).due(now).count()


def due_for_user(user: User, now: datetime) -> QuerySet[Reminder]:
    """The Today page: my open reminders due by the end of my day, overdue first."""
    return _with_names(
        Reminder.objects.filter(
            user=user, organization_id=user.organization_id, due_at__lt=end_of_local_day(user, now)
        ).open()
    ).order_by("due_at", "pk")


def for_candidate(candidate: Candidate) -> QuerySet[Reminder]:
    """The candidate page: everyone's open reminders about this candidate, soonest first."""
    return _with_names(Reminder.objects.filter(candidate=candidate).open()).order_by("due_at", "pk")


@dataclass(frozen=True)
class MissingFollowUp:
    event: Event
    why: str  # "No follow-up: this was logged 30 days after it happened (...)."


def missing_follow_up(candidate: Candidate, history: list[Event]) -> MissingFollowUp | None:
    """The candidate page, where the follow-up would be: why a stumbled candidate's latest
    misstep has none (it was logged too long after the fact). From the history the page
    already read, in (occurred_on, id) order: no query."""
    if candidate.status != Status.STUMBLED:
        return None  # a second chance in motion, a recovery or a burn: no follow-up is due
    last = next((e for e in reversed(history) if e.kind in MISSTEPS), None)
    if last is None:
        return None
    why = why_no_reminder(Kind(last.kind), last.occurred_on, last.created_at)
    return MissingFollowUp(last, why) if why else None


def for_page(user: User, *, team: bool = False, closed: bool = False) -> QuerySet[Reminder]:
    """The Reminders page: mine, or (managers and admins) the team's; open ones soonest
    first, or the recently closed ones latest first."""
    qs = Reminder.objects.visible_to(user)
    if not (team and user.is_manager):
        qs = qs.filter(user=user)
    if closed:
        return _with_names(qs.filter(state__in=CLOSED_STATES)).order_by("-closed_at", "-pk")
    return _with_names(qs.open()).order_by("due_at", "pk")
