"""Calendars: the interview invitation carried by the preparation and check-in reminder
emails, and each member's private calendar feed (`/calendar/<token>.ics`).

The iCalendar itself is written by `candidates.calendar`; this module decides what goes in.

The feed
========
A member makes a feed URL on their Calendar feed page (`/reminders/calendar/`). The URL holds
a random token (256 bits); only its SHA-256 is stored, so the URL is shown once and a
database dump cannot be turned back into URLs. Making a new URL revokes the old one;
"Revoke" ends it. The feed is fetched without a login (calendar apps cannot log in): the
token alone decides, and a wrong, revoked or made-up token, or one whose member has been
deactivated or moved to another organization, gets the same plain 404.

It lists, for the token's member and only from the organization the feed was made in:
- the coming **second-chance interviews** (standing granted chances whose interview is still
  to come, `Candidate.next_interview_at`): for recruiters and headhunters, of the
  candidates they own or that one of their open reminders is about; for managers and
  admins, the whole organization's (they decide the chances, and their Today page lists
  them all);
- their own **open reminders** due from the start of today (their time zone) on, overdue ones
  left out (they are on the Reminders page; a calendar is for what is coming).

Both lists are soonest first and capped at `FEED_LIMIT` each; the feed costs a fixed number
of queries whatever their size (the token, its last-fetched time, the interviews, the
reminders).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, time
from email.utils import parseaddr

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from icalendar import Event as CalendarEvent

from candidates import calendar
from candidates.models import Candidate, Event, Job, User
from candidates.selectors import upcoming_second_chance_interviews

from .models import CalendarFeed, Reminder
from .rules import ReminderKind, zone

# The reminders whose email carries the interview as an invitation (invite.ics).
INVITATION_KINDS = frozenset({ReminderKind.PREPARATION, ReminderKind.CHECK_IN})
INVITATION_FILENAME = "invite.ics"
INVITATION_CONTENT_TYPE = "text/calendar; method=REQUEST; charset=utf-8"
FEED_LIMIT = 500


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def _job_words(job: Job | None) -> str:
    return f"{job.title} at {job.client.name}" if job else ""


def interview_entry(
    *,
    event_id: int,
    interview_at: datetime,
    candidate: Candidate,
    job: Job | None,
    sequence: int = 0,
    attendee: User | None = None,
) -> CalendarEvent:
    """A candidate's second-chance interview, as the member sees it in their calendar.
    Needs `job.client` loaded. With an `attendee`, it is an invitation to them from
    DEFAULT_FROM_EMAIL (an email's METHOD:REQUEST needs both)."""
    what = _job_words(job)
    candidate_url = absolute(candidate.get_absolute_url())
    description = f"{candidate.name}'s second-chance interview" + (f" ({what})" if what else "")
    organizer = {}
    if attendee is not None:
        name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
        organizer = {
            "organizer_email": address,
            "organizer_name": name,
            "attendee_email": attendee.email,
            "attendee_name": attendee.get_full_name() or attendee.email,
        }
    return calendar.interview_event(
        uid=calendar.interview_uid(event_id),
        start=interview_at,
        summary=f"Second-chance interview: {candidate.name}" + (f", {what}" if what else ""),
        description=f"{description}.\n\nOpen {candidate.name}: {candidate_url}",
        location=job.client.name if job else "",
        url=candidate_url,
        sequence=sequence,
        **organizer,
    )


def reminder_entry(reminder: Reminder) -> CalendarEvent:
    """An open reminder at its due time. Needs `reminder.candidate` loaded."""
    reminders_url = absolute(reverse("reminders:list"))
    body = f"{reminder.body}\n\n" if reminder.body else ""
    return calendar.reminder_event(
        uid=calendar.reminder_uid(reminder.pk),
        due=reminder.due_at,
        summary=f"Reminder: {reminder.title}",
        description=(
            f"{body}Candidate: {reminder.candidate.name}\n"
            f"Done, snooze or cancel it on your Reminders page: {reminders_url}"
        ),
        url=reminders_url,
    )


# --- The invitation in reminder emails ------------------------------------------------------


def interview_sequence(event: Event) -> int:
    """SEQUENCE for the interview of `event`: how many times the event was changed since it
    was logged (its audit trail only grows), so a corrected interview time always goes out
    with a higher one and calendars move the entry instead of keeping the old time."""
    return max(event.history.count() - 1, 0)


def reminder_invitation(reminder: Reminder) -> bytes | None:
    """The interview a preparation or check-in reminder is about, as a METHOD:REQUEST
    calendar to attach; None for other reminders, or when the event or its time is gone.
    Needs `reminder.user`, `.candidate`, `.event` and `.job.client` loaded."""
    if reminder.kind not in INVITATION_KINDS:
        return None
    event = reminder.event
    if event is None or event.interview_at is None:
        return None
    entry = interview_entry(
        event_id=event.pk,
        interview_at=event.interview_at,
        candidate=reminder.candidate,
        job=reminder.job,
        sequence=interview_sequence(event),
        attendee=reminder.user,
    )
    return calendar.calendar_bytes([entry], method="REQUEST")


# --- The feed: making, revoking, finding ----------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_url(token: str) -> str:
    return absolute(reverse("calendar_feed", kwargs={"token": token}))


def live_feed(user: User) -> CalendarFeed | None:
    """The member's live feed of their current organization, if any (for their page)."""
    return (
        CalendarFeed.objects.live()
        .filter(user=user, organization_id=user.organization_id)
        .order_by("-created_at")
        .first()
    )


def feed_create(user: User, *, now: datetime | None = None) -> str:
    """A new feed for `user` (their old one, if any, revoked): returns its token, which is
    stored nowhere and must be shown to them now."""
    now = now or timezone.now()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        # One live feed per member: two clicks at once wait here for each other instead of
        # colliding on the unique constraint.
        User.objects.select_for_update().filter(pk=user.pk).first()
        CalendarFeed.objects.live().filter(user=user).update(revoked_at=now)
        CalendarFeed.objects.create(
            user=user, organization_id=user.organization_id, token_hash=_hash(token), created_at=now
        )
    return token


def feed_revoke(user: User, *, now: datetime | None = None) -> int:
    """End the member's feed: its URL answers 404 from now on. Returns how many were live."""
    return CalendarFeed.objects.live().filter(user=user).update(revoked_at=now or timezone.now())


def feed_for_token(token: str) -> CalendarFeed | None:
    """The live feed of this token, with its member, when that member is still active and in
    the organization the feed was made in; None otherwise (all the same to the caller)."""
    if not token or len(token) > 200:
        return None
    feed = (
        CalendarFeed.objects.live().select_related("user").filter(token_hash=_hash(token)).first()
    )
    if feed is None:
        return None
    user = feed.user
    if not user.is_active or user.organization_id != feed.organization_id:
        return None
    return feed


# --- The feed: what it lists -----------------------------------------------------------------


def coming_interviews(user: User, now: datetime) -> QuerySet[Candidate]:
    """The member's coming second-chance interviews (see the module's docstring)."""
    candidates = Candidate.objects.filter(organization_id=user.organization_id)
    if not user.is_manager:
        reminded = Reminder.objects.open().filter(
            user=user, organization_id=user.organization_id, candidate=OuterRef("pk")
        )
        candidates = candidates.filter(Q(owner=user) | Exists(reminded))
    return upcoming_second_chance_interviews(candidates, now=now)[:FEED_LIMIT]


def coming_reminders(user: User, now: datetime) -> QuerySet[Reminder]:
    """The member's open reminders due from the start of their today on."""
    tz = zone(user.time_zone)
    start_of_today = datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz)
    return (
        Reminder.objects.filter(
            user=user, organization_id=user.organization_id, due_at__gte=start_of_today
        )
        .open()
        .select_related("candidate")
        .order_by("due_at", "pk")[:FEED_LIMIT]
    )


@dataclass(frozen=True)
class FeedContent:
    interviews: list[Candidate]
    reminders: list[Reminder]


def feed_content(user: User, now: datetime) -> FeedContent:
    return FeedContent(list(coming_interviews(user, now)), list(coming_reminders(user, now)))


def feed_ics(feed: CalendarFeed, *, now: datetime | None = None) -> bytes:
    """The feed's calendar, read now; records when it was fetched."""
    now = now or timezone.now()
    CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=now)
    user = feed.user
    content = feed_content(user, now)
    entries = [
        interview_entry(
            event_id=candidate.next_interview_id,
            interview_at=candidate.next_interview_at,
            candidate=candidate,
            job=candidate.next_interview.job if candidate.next_interview else None,
        )
        for candidate in content.interviews
    ]
    entries += [reminder_entry(reminder) for reminder in content.reminders]
    name = f"Recovery: {user.get_full_name() or user.email}"
    return calendar.calendar_bytes(entries, method=None, name=name, refresh=calendar.FEED_REFRESH)
