"""The organization's day: what "today" means for stored statuses, reads and writes alike."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone


def today() -> date:
    """The organization's day, in the server's time zone (settings.TIME_ZONE), never the
    member's: a status stored while a member in New York works at 8 p.m. must be as of the
    same day the hourly task (tasks.reevaluate_due_candidates) uses, or it would miss an edge
    crossed that day until the next run."""
    return timezone.localdate(timezone=timezone.get_default_timezone())


def latest_date(member_zone: str | None = None) -> date:
    """The one date rule for events and risk notes, every way in (the forms, corrections
    and the import alike): a date may not be after today. Today is the organization's day
    (`today()`), or the member's own where theirs has already begun: a recruiter east of the
    server's zone logs this morning's no-show under their own date, which the engine reads
    as coming into view at the organization's midnight. (Interview times have their own
    rule: `models.interview_horizon`.)

    `member_zone`: the member's time zone (`User.time_zone`); None for the zone active now
    (the member's, in a request: `UserTimeZoneMiddleware`); "" for the organization's day
    alone (the command line)."""
    if member_zone is None:
        own = timezone.localdate()
    else:
        try:
            own = timezone.localdate(timezone=ZoneInfo(member_zone))
        except (ZoneInfoNotFoundError, ValueError):  # "" or an unknown zone
            own = today()
    return max(today(), own)
