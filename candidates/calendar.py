"""iCalendar (RFC 5545) pieces: an interview as an invitation, a reminder as a calendar entry,
and the VCALENDAR that carries them, as an email attachment or as a member's calendar feed.

Plain Python over the `icalendar` library; the only thing read from Django is
`settings.SITE_URL` (for the UIDs' host) and the clock. Callers pass what to show:

    event = interview_event(
        uid=interview_uid(grant.pk),
        start=grant.interview_at,
        summary="Second-chance interview: Sam Carter",
        organizer_email="recovery@example.com",
        attendee_email="sam@example.com",
    )
    ics = calendar_bytes([event], method="REQUEST")  # attach as text/calendar; method=REQUEST

Rules every caller gets for free:
- times are written in UTC (`...Z`): an aware datetime in any zone is converted, a naive one
  is refused (ValueError), since a calendar would read it as floating local time;
- every component has a DTSTAMP (when it was written) and the UID it is given. UIDs must be
  stable for one thing (`interview_uid(event id)` is `interview-<id>@<host of SITE_URL>`):
  a calendar that receives the same UID again updates the entry instead of adding another,
  when the SEQUENCE is not lower than the one it holds (raise it when the time changes);
- METHOD is for email (iTIP, RFC 5546: REQUEST invites and updates); a subscribed feed has
  none (`method=None`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vDuration, vText

PRODID = "-//Recovery//Second chances//EN"
INTERVIEW_LENGTH = timedelta(hours=1)
# A reminder is a short entry at its due time: it marks the moment, it does not book it.
REMINDER_LENGTH = timedelta(minutes=15)
# How often a subscribed feed should be fetched again (clients may take it as a hint).
FEED_REFRESH = timedelta(hours=1)


def site_host() -> str:
    """The host of settings.SITE_URL: the right-hand side of every UID."""
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def interview_uid(event_id: int) -> str:
    """The UID of the interview of one logged event (a granted second chance, a scheduled
    interview): the same in every email and every feed, so that they update one entry."""
    return f"interview-{event_id}@{site_host()}"


def reminder_uid(reminder_id: int) -> str:
    return f"reminder-{reminder_id}@{site_host()}"


def as_utc(moment: datetime) -> datetime:
    if timezone.is_naive(moment):
        raise ValueError("Calendar times must be aware datetimes (naive ones float).")
    return moment.astimezone(UTC)


def _mailto(email: str, *, name: str = "", **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = vText(name)
    address.params.update(params)
    return address


def interview_event(
    *,
    uid: str,
    start: datetime,
    summary: str,
    description: str = "",
    location: str = "",
    url: str = "",
    duration: timedelta = INTERVIEW_LENGTH,
    organizer_email: str = "",
    organizer_name: str = "",
    attendee_email: str = "",
    attendee_name: str = "",
    sequence: int = 0,
    stamp: datetime | None = None,
) -> Event:
    """An interview as a VEVENT from `start` for `duration`.

    For an emailed invitation (METHOD:REQUEST) give `organizer_email` (who sends it; RFC 5546
    requires an organizer) and `attendee_email` (who is invited; asked for no reply, RSVP
    FALSE, since nobody reads replies). `sequence` must go up whenever the time or place of
    an already-sent UID changes, or calendars may keep the old one. `stamp` is DTSTAMP
    (default: now)."""
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", as_utc(stamp or timezone.now()))
    event.add("dtstart", as_utc(start))
    event.add("dtend", as_utc(start + duration))
    event.add("summary", summary)
    event.add("sequence", sequence)
    event.add("status", "CONFIRMED")
    if description:
        event.add("description", description)
    if location:
        event.add("location", location)
    if url:
        event.add("url", url)
    if organizer_email:
        event.add("organizer", _mailto(organizer_email, name=organizer_name))
    if attendee_email:
        event.add(
            "attendee",
            _mailto(
                attendee_email,
                name=attendee_name,
                ROLE="REQ-PARTICIPANT",
                PARTSTAT="NEEDS-ACTION",
                RSVP="FALSE",
            ),
        )
    return event


def reminder_event(
    *,
    uid: str,
    due: datetime,
    summary: str,
    description: str = "",
    url: str = "",
    duration: timedelta = REMINDER_LENGTH,
    stamp: datetime | None = None,
) -> Event:
    """A reminder as a short VEVENT at its due time, shown free (TRANSP:TRANSPARENT) so that
    it does not block the member's free/busy time.

    A VEVENT, not a VTODO: Google Calendar and Outlook ignore VTODOs in a subscribed feed, so
    most members would never see them; an event at the due time shows everywhere."""
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", as_utc(stamp or timezone.now()))
    event.add("dtstart", as_utc(due))
    event.add("dtend", as_utc(due + duration))
    event.add("summary", summary)
    event.add("transp", "TRANSPARENT")
    if description:
        event.add("description", description)
    if url:
        event.add("url", url)
    return event


def calendar_bytes(
    events: Iterable[Event],
    *,
    method: str | None = "REQUEST",
    name: str = "",
    refresh: timedelta | None = None,
) -> bytes:
    """A VCALENDAR (VERSION 2.0, PRODID) holding `events`, as the bytes of an .ics file.

    `method`: "REQUEST" for an emailed invitation (the default), None for a feed or a file to
    import. `name` titles a feed in the calendar app (NAME and X-WR-CALNAME); `refresh`
    suggests how often to fetch it again (REFRESH-INTERVAL and X-PUBLISHED-TTL)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("name", name)
        calendar.add("x-wr-calname", name)
    if refresh:
        calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(refresh))
    for event in events:
        calendar.add_component(event)
    return calendar.to_ical()
