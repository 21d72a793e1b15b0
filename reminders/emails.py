"""The reminder and digest emails: plain text with an HTML alternative, times in the
recipient's time zone, absolute links (settings.SITE_URL) to the candidate. The preparation
and check-in reminders also carry their interview as a calendar invitation (invite.ics,
see calendars.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from email import encoders
from email.mime.base import MIMEBase
from email.mime.nonmultipart import MIMENonMultipart

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from candidates.models import User

from . import calendars
from .models import Reminder, make_message_id
from .rules import zone


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def _render(
    template: str, context: dict, user: User, subject: str, message_id: str
) -> EmailMultiAlternatives:
    # Django renders datetimes in the active time zone: make it the reader's.
    with timezone.override(zone(user.time_zone)):
        text = render_to_string(f"reminders/email/{template}.txt", context)
        html = render_to_string(f"reminders/email/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={"Message-ID": message_id},
    )
    message.attach_alternative(html, "text/html")
    return message


def invitation_part(ics: bytes) -> MIMEBase:
    """An .ics as the attachment calendar apps take for an invitation: text/calendar with
    its METHOD in the Content-Type, named invite.ics."""
    part = MIMENonMultipart("text", "calendar")
    # Written out, unquoted: text/calendar; method=REQUEST; charset=utf-8.
    part.replace_header("Content-Type", calendars.INVITATION_CONTENT_TYPE)
    part.set_payload(ics)
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=calendars.INVITATION_FILENAME)
    return part


def reminder_email(reminder: Reminder) -> EmailMultiAlternatives:
    """Needs `reminder.user`, `.candidate`, `.event` and `.job.client` loaded
    (select_related). A preparation or check-in reminder carries its interview as
    invite.ics (one more query: the interview's SEQUENCE)."""
    invitation = calendars.reminder_invitation(reminder)
    context = {
        "reminder": reminder,
        "user": reminder.user,
        "candidate": reminder.candidate,
        "candidate_url": absolute(reminder.candidate.get_absolute_url()),
        "reminders_url": absolute(reverse("reminders:list")),
        "invitation": invitation is not None,
    }
    message = _render("reminder", context, reminder.user, reminder.title, reminder.message_id)
    if invitation is not None:
        message.attach(invitation_part(invitation))
    return message


def digest_email(
    user: User, on_date: date, overdue: Sequence[Reminder], today: Sequence[Reminder]
) -> EmailMultiAlternatives:
    """The 08:00 list: what is due today in the user's calendar, and what is overdue."""
    for reminder in [*overdue, *today]:
        reminder.candidate_url = absolute(reminder.candidate.get_absolute_url())
    count = len(overdue) + len(today)
    context = {
        "user": user,
        "on_date": on_date,
        "overdue": overdue,
        "today": today,
        "count": count,
        "reminders_url": absolute(reverse("reminders:list")),
    }
    subject = f"Your reminders for {on_date:%A %-d %B}: {count} due"
    message_id = make_message_id(f"digest.{user.pk}.{on_date:%Y%m%d}")
    return _render("digest", context, user, subject, message_id)
