"""An email backend that keeps messages in the database (`StoredEmail`).

It writes with the default connection, so a message sent inside a transaction exists exactly
when that transaction commits: the tests and the crash test count what was really sent,
and a demo can read the mail in the admin. Select it with
EMAIL_BACKEND=reminders.backends.DatabaseEmailBackend.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from email.mime.base import MIMEBase

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from .models import StoredEmail


def _html(message: EmailMessage) -> str:
    for content, mimetype in getattr(message, "alternatives", []):
        if mimetype == "text/html":
            return str(content)
    return ""


def _attachment(attachment) -> dict:
    """One attachment as JSON: text as text, anything else base64 (flagged)."""
    if isinstance(attachment, MIMEBase):
        filename = attachment.get_filename() or ""
        content_type = attachment.get("Content-Type", attachment.get_content_type())
        content = attachment.get_payload(decode=True) or b""
        charset = attachment.get_content_charset()
    else:
        filename, content, content_type = attachment
        content_type = content_type or "application/octet-stream"
        charset = "utf-8"
    if isinstance(content, str):
        return {"filename": filename, "content_type": content_type, "content": content}
    if charset and content_type.startswith("text/"):
        try:
            text = content.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
        else:
            return {"filename": filename, "content_type": content_type, "content": text}
    return {
        "filename": filename,
        "content_type": content_type,
        "content": base64.b64encode(content).decode("ascii"),
        "base64": True,
    }


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
                attachments=[_attachment(a) for a in message.attachments],
            )
            for message in email_messages
        ]
        StoredEmail.objects.bulk_create(rows)
        return len(rows)
