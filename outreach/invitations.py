"""The candidate's second-chance interview as an iCalendar invitation (candidates/calendar.py:
the same UID as the members' invitations and feeds for that interview)."""

from __future__ import annotations

from email.utils import parseaddr

from django.conf import settings

from candidates import calendar


def for_grant(email) -> bytes:
    """Needs `email.event` (with its job) and `email.candidate.organization` loaded."""
    event = email.event
    organization = email.candidate.organization.name
    job = f": {event.job.title}" if event.job_id else ""
    entry = calendar.interview_event(
        uid=calendar.interview_uid(event.pk),
        start=event.interview_at,
        summary=f"Interview with {organization}{job}",
        description="Your second-chance interview. Good luck!",
        location=email.place,
        organizer_email=parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
        organizer_name=organization,
        attendee_email=email.to,
        attendee_name=email.candidate.name,
    )
    return calendar.calendar_bytes([entry], method="REQUEST")
