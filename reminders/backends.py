"""An email backend that keeps messages in the database (`StoredEmail`).

It writes with the default connection, so a message sent inside a transaction exists exactly
when that transaction commits: the tests and the crash test count what was really sent,
and a demo can read the mail in the admin. Select it with
EMAIL_BACKEND=reminders.backends.DatabaseEmailBackend.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from .models import StoredEmail


def _html(message: EmailMessage) -> str:
    for content, mimetype in getattr(message, "alternatives", []):
        if mimetype == "text/html":
            return str(content)
    return ""


class DatabaseEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        rows = [
            StoredEmail(
                message_id=message.extra_headers.get("Message-ID", ""),
                from_email=message.from_email,
                to=", ".join(message.recipients()),
                subject=message.subject,
                body=message.body,
                html=_html(message),
            )
            for message in email_messages
        ]
        StoredEmail.objects.bulk_create(rows)
        return len(rows)
