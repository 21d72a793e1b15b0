"""The second-chance interview as an iCalendar invitation (RFC 5545), with `icalendar`."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress

CONTENT_TYPE = "text/calendar; method=REQUEST; charset=utf-8"
LENGTH = timedelta(hours=1)


def for_grant(email) -> bytes:
    """The grant's interview: one VEVENT whose UID is the decision's, so a corrected time
    sent again updates the same calendar entry instead of adding one."""
    event = email.event
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    organization = email.candidate.organization.name
    cal = Calendar()
    cal.add("prodid", "-//Recovery//Second chances//EN")
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    entry = Event()
    entry.add("uid", f"second-chance-{event.pk}@{host}")
    entry.add("dtstamp", timezone.now())
    entry.add("dtstart", event.interview_at)
    entry.add("dtend", event.interview_at + LENGTH)
    job = f": {event.job.title}" if event.job_id else ""
    entry.add("summary", f"Interview with {organization}{job}")
    if email.place:
        entry.add("location", email.place)
    entry.add("description", "Your second-chance interview. Good luck!")
    organizer = vCalAddress(f"mailto:{settings.DEFAULT_FROM_EMAIL}")
    organizer.params["cn"] = organization
    entry.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{email.to}")
    attendee.params["cn"] = email.candidate.name
    attendee.params["role"] = "REQ-PARTICIPANT"
    entry.add("attendee", attendee)
    cal.add_component(entry)
    return cal.to_ical()
