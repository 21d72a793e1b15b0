from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from candidates.org_cache import cached_count

from . import selectors


def reminders_due(request: HttpRequest) -> dict:
    """`reminders_due`: how many of my reminders are due, for the nav. Lazy: a page that
    does not show it runs no query. Cached with the organization's pages (a reminder's
    write empties it) for the current minute, which is when "due" changes by itself."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.organization_id is None:
        return {"reminders_due": 0}
    now = timezone.now()
    minute = now.replace(second=0, microsecond=0).isoformat()
    return {
        "reminders_due": SimpleLazyObject(
            lambda: cached_count(
                user.organization,
                "reminders-due",
                (user.pk, minute),
                lambda: selectors.due_count(user, now),
            )
        )
    }
