"""The organization's day: what "today" means for stored statuses, reads and writes alike."""

from __future__ import annotations

from datetime import date

from django.utils import timezone


def today() -> date:
    """The organization's day, in the server's time zone (settings.TIME_ZONE), never the
    member's: a status stored while a member in New York works at 8 p.m. must be as of the
    same day the hourly task (tasks.reevaluate_due_candidates) uses, or it would miss an edge
    crossed that day until the next run."""
    return timezone.localdate(timezone=timezone.get_default_timezone())
