"""Today: the home page, what needs doing first."""

from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from reminders import selectors as reminder_selectors

from .. import org_cache, selectors
from ..access import member_required, scoped
from ..engine import Status
from ..models import Candidate, Event

# Each list on the page shows this many, with the total beside it.
SHOWN = 10


@member_required()
@org_cache.member_page
def today(request):
    candidates = scoped(Candidate, request)
    events = scoped(Event, request)
    today = timezone.localdate()
    now = timezone.now()
    # Everything here is lazy: the panels are cached for the organization until its next
    # write ({% orgcache %} in the template, org_cache.py), and a panel from the cache runs
    # no query at all. The counts are cached the same way.
    numbers = SimpleLazyObject(
        lambda: selectors.today_numbers(
            candidates, organization=request.user.organization, today=today
        )
    )
    context = {
        "today": today,
        "this_minute": now.replace(second=0, microsecond=0).isoformat(),
        "stumbled": SimpleLazyObject(
            lambda: list(selectors.stumbled_without_follow_up(candidates, today=today)[:SHOWN])
        ),
        "stumbled_count": SimpleLazyObject(lambda: numbers["stumbled"]),
        "upcoming": SimpleLazyObject(
            lambda: list(selectors.upcoming_second_chance_interviews(events, now=now)[:SHOWN])
        ),
        "numbers": SimpleLazyObject(lambda: numbers["statuses"]),
        "no_follow_up_days": selectors.NO_FOLLOW_UP_DAYS,
        # Mine: this view runs only when the member's page is not in the cache.
        "reminders_today": reminder_selectors.due_for_user(request.user, now),
    }
    if request.user.is_manager:
        context["pending"] = SimpleLazyObject(
            lambda: list(selectors.pending_requests(candidates, events)[:SHOWN])
        )
        # Every candidate with status "requested" waits for a decision: no second count.
        context["pending_count"] = SimpleLazyObject(
            lambda: next(
                row["count"]
                for row in numbers["statuses"]["by_status"]
                if row["status"] == Status.REQUESTED
            )
        )
    return render(request, "candidates/today.html", context)
