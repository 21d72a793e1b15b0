"""Which reminders the history creates, for whom, when they are due, and what completes them.

Plain Python, like the recovery engine: it takes what was logged, who is concerned (with
their time zones) and the time now, and returns reminders to store. `services.py` feeds it
from the database; the tests feed it by hand with the time fixed.

The whole policy is the table `RULES` plus `COMPLETED_BY` below. Times of day are the
recipient's own: "in 2 working days" means 09:00 on the second working day (Monday to
Friday) after today in the recipient's time zone, so that the 08:00 digest lists it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from candidates.engine import MISSTEPS, Kind


class ReminderKind(enum.StrEnum):
    FOLLOW_UP = "follow_up"
    DECISION = "decision"
    PREPARATION = "preparation"
    CHECK_IN = "check_in"
    MANUAL = "manual"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {
    ReminderKind.FOLLOW_UP: "Follow-up after a misstep",
    ReminderKind.DECISION: "Second-chance decision",
    ReminderKind.PREPARATION: "Interview preparation",
    ReminderKind.CHECK_IN: "Interview check-in",
    ReminderKind.MANUAL: "Reminder",
}


class Recipient(enum.StrEnum):
    # The candidate's owner; when the candidate has none, whoever logged the event.
    OWNER = "owner"
    # Everyone who decides second chances: the organization's managers (its admins when it
    # has no manager), each with a reminder of their own.
    DECIDERS = "deciders"


# The hour a reminder falls due on its day, in the recipient's time zone.
DUE_HOUR = time(9, 0)
# Events logged longer after the fact than this create no reminder: importing years of
# history must not ask anyone to call about a no-show from 2024.
RECENT = timedelta(days=14)

PREPARATION_CHECKLIST = (
    "Look sharper than the first time.",
    "Bring something new about the company.",
    "Re-read the CV and its dates.",
    "Arrive ten minutes early, with the phone off.",
)


@dataclass(frozen=True)
class Trigger:
    """What was just logged, in the words a reminder needs."""

    kind: Kind
    occurred_on: date
    candidate: str
    job: str = ""  # "Forklift operator at Acme", or "" when the event has no job
    interview_at: datetime | None = None
    candidate_burned: bool = False


@dataclass(frozen=True)
class Person:
    id: int
    time_zone: str = "UTC"

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.time_zone)


@dataclass(frozen=True)
class Planned:
    """One reminder to store."""

    kind: ReminderKind
    user_id: int
    title: str
    body: str
    due_at: datetime


# --- Time, in the recipient's zone ----------------------------------------------------------


def zone(name: str) -> ZoneInfo:
    """A user's time zone. Validated on the model; should a bad one slip through, logging
    an event or sending mail must not fail on it: UTC then."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def at_due_hour(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, DUE_HOUR, tzinfo=tz)


def add_working_days(day: date, n: int) -> date:
    """`n` working days (Monday to Friday) after `day`: Friday + 2 is Tuesday."""
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def in_working_days(n: int) -> DueRule:
    def due(trigger: Trigger, now: datetime, tz: ZoneInfo) -> datetime | None:
        return at_due_hour(add_working_days(now.astimezone(tz).date(), n), tz)

    return due


def in_days(n: int) -> DueRule:
    def due(trigger: Trigger, now: datetime, tz: ZoneInfo) -> datetime | None:
        return at_due_hour(now.astimezone(tz).date() + timedelta(days=n), tz)

    return due


def last_working_day_before(day: date) -> date:
    """The working day (Monday to Friday) before `day`: Friday for a Monday or a weekend."""
    day -= timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def day_before_interview(trigger: Trigger, now: datetime, tz: ZoneInfo) -> datetime | None:
    """09:00 on the last working day before the interview, never a weekend (the contract's
    "interview times are sane"); at once when that has passed but the interview has not."""
    if trigger.interview_at is None or trigger.interview_at <= now:
        return None
    day = last_working_day_before(trigger.interview_at.astimezone(tz).date())
    return max(at_due_hour(day, tz), now)


def day_after_interview(trigger: Trigger, now: datetime, tz: ZoneInfo) -> datetime | None:
    """09:00 the day after the interview (none if that is already past)."""
    if trigger.interview_at is None:
        return None
    due = at_due_hour(trigger.interview_at.astimezone(tz).date() + timedelta(days=1), tz)
    return due if due > now else None


DueRule = Callable[[Trigger, datetime, ZoneInfo], "datetime | None"]


def _when(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%a %-d %b %Y at %H:%M") if moment else ""


@dataclass(frozen=True)
class Rule:
    on: frozenset[Kind]
    kind: ReminderKind
    to: Recipient
    due: DueRule
    title: str
    body: str
    # A rule can stand aside: e.g. no salvage call for a candidate who is burned.
    unless: Callable[[Trigger], bool] = lambda trigger: False

    def render(self, trigger: Trigger, tz: ZoneInfo) -> tuple[str, str]:
        words = {
            "candidate": trigger.candidate,
            "job": f" ({trigger.job})" if trigger.job else "",
            "event": trigger.kind.label,
            "interview": _when(trigger.interview_at, tz),
            "checklist": "\n".join(f"- {item}" for item in PREPARATION_CHECKLIST),
        }
        return self.title.format(**words), self.body.format(**words)


# --- The table ------------------------------------------------------------------------------

RULES: tuple[Rule, ...] = (
    Rule(
        on=MISSTEPS,
        kind=ReminderKind.FOLLOW_UP,
        to=Recipient.OWNER,
        due=in_working_days(2),
        title="Follow up with {candidate}",
        body="{event} logged for {candidate}{job}. Call them: do they want to salvage this?",
        # The contract: a burned candidate has no third chance, so there is nothing to salvage.
        unless=lambda trigger: trigger.candidate_burned,
    ),
    Rule(
        on=frozenset({Kind.SECOND_CHANCE_REQUESTED}),
        kind=ReminderKind.DECISION,
        to=Recipient.DECIDERS,
        due=in_days(3),
        title="Decide on {candidate}'s second chance",
        body=(
            "{candidate} asked for a second chance{job}. Read their pitch, then grant or refuse it."
        ),
    ),
    Rule(
        on=frozenset({Kind.SECOND_CHANCE_GRANTED}),
        kind=ReminderKind.PREPARATION,
        to=Recipient.OWNER,
        due=day_before_interview,
        title="Prepare {candidate} for the second interview",
        body=(
            "{candidate}'s second-chance interview{job} is on {interview}. "
            "Go through the checklist with them:\n{checklist}"
        ),
    ),
    Rule(
        on=frozenset({Kind.SECOND_CHANCE_GRANTED}),
        kind=ReminderKind.CHECK_IN,
        to=Recipient.OWNER,
        due=day_after_interview,
        title="How did {candidate}'s second interview go?",
        body=(
            "{candidate} had their second-chance interview{job} on {interview}. "
            "Log attended, or what went wrong."
        ),
    ),
)

# What each reminder waits for: logging one of these events completes it by itself.
COMPLETED_BY: dict[ReminderKind, frozenset[Kind]] = {
    # The call's answer is on record: they asked for a chance, someone decided, they moved on.
    ReminderKind.FOLLOW_UP: frozenset(
        {
            Kind.SECOND_CHANCE_REQUESTED,
            Kind.SECOND_CHANCE_GRANTED,
            Kind.SECOND_CHANCE_REFUSED,
            Kind.ATTENDED,
            Kind.HIRED,
            Kind.DO_NOT_RESUBMIT,
        }
    ),
    ReminderKind.DECISION: frozenset({Kind.SECOND_CHANCE_GRANTED, Kind.SECOND_CHANCE_REFUSED}),
    # The interview has an outcome: it happened, or a misstep says what went wrong.
    ReminderKind.PREPARATION: frozenset({Kind.ATTENDED, Kind.HIRED}) | MISSTEPS,
    ReminderKind.CHECK_IN: frozenset({Kind.ATTENDED, Kind.HIRED}) | MISSTEPS,
    ReminderKind.MANUAL: frozenset(),
}
# Reminders given to several people for one decision: whoever acts completes theirs, and
# everyone else's is cancelled ("cancelled for all of them once anyone decides").
SHARED_KINDS = frozenset({ReminderKind.DECISION})

# Snoozing puts a reminder off from now; it comes back (and is emailed again) when due.
SNOOZES = {"1d": timedelta(days=1), "1w": timedelta(weeks=1)}


def days_too_late(occurred_on: date, now: datetime) -> int | None:
    """How many days after the fact an event logged at `now` was, when that is too late for
    any reminder (more than RECENT); None when it is recent enough."""
    if occurred_on >= now.date() - RECENT:
        return None
    return (now.date() - occurred_on).days


def is_recent(trigger: Trigger, now: datetime) -> bool:
    return days_too_late(trigger.occurred_on, now) is None


def why_no_reminder(kind: Kind, occurred_on: date, logged_at: datetime) -> str:
    """What to tell the person who logged an event the rules would remind about, but for
    its lateness ("" when it is not late, or when its kind reminds nobody anyway)."""
    if not needs(kind):
        return ""
    days = days_too_late(occurred_on, logged_at)
    if days is None:
        return ""
    what = "No follow-up" if kind in MISSTEPS else "No reminder"
    return (
        f"{what}: this was logged {days} days after it happened "
        f"(reminders come only for what is logged within {RECENT.days} days)."
    )


def plan(
    trigger: Trigger,
    recipients: Mapping[Recipient, Sequence[Person]],
    *,
    now: datetime,
) -> list[Planned]:
    """The reminders that logging `trigger` at `now` creates, one per rule and recipient."""
    if not is_recent(trigger, now):
        return []
    planned = []
    for rule in RULES:
        if trigger.kind not in rule.on or rule.unless(trigger):
            continue
        for person in recipients.get(rule.to, ()):
            due = rule.due(trigger, now, person.tz)
            if due is None:
                continue
            title, body = rule.render(trigger, person.tz)
            planned.append(Planned(rule.kind, person.id, title, body, due))
    return planned


def needs(kind: Kind) -> set[Recipient]:
    """Who the rules for an event of this kind would remind (to load only what is needed)."""
    return {rule.to for rule in RULES if kind in rule.on}


def completed_kinds(kind: Kind) -> set[ReminderKind]:
    """The kinds of open reminder that logging an event of this kind completes."""
    return {reminder for reminder, kinds in COMPLETED_BY.items() if kind in kinds}
