from django.http import HttpRequest
from django.utils import timezone

from . import selectors


def reminders_due(request: HttpRequest) -> dict:
    """`reminders_due`: how many of my reminders are due, for the nav (one indexed count)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.organization_id is None:
        return {"reminders_due": 0}
    return {"reminders_due": selectors.due_count(user, timezone.now())}
