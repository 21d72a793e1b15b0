"""Today: the home page, what needs doing first."""

from django.shortcuts import render
from django.utils import timezone

from reminders import selectors as reminder_selectors

from .. import rows, selectors
from ..access import member_required, scoped
from ..engine import Status
from ..models import Candidate, Event

# Each list on the page shows this many, with the total beside it; the stumbled are counted
# up to COUNTED ("100+"), so that the count costs the same in any organization.
SHOWN = 10
COUNTED = 100


@member_required()
def today(request):
    candidates = scoped(Candidate, request)
    today = timezone.localdate()
    now = timezone.now()
    stumbled = selectors.stumbled_without_follow_up(candidates, today=today)
    numbers = selectors.status_counts(request.user.organization)
    context = {
        "today": today,
        "stumbled": rows.stumbled_items(stumbled[:SHOWN]),
        "stumbled_count": min(counted := stumbled[: COUNTED + 1].count(), COUNTED),
        "stumbled_more": counted > COUNTED,
        "upcoming": rows.upcoming_items(
            selectors.upcoming_second_chance_interviews(candidates, now=now)[:SHOWN]
        ),
        "numbers": numbers,
        "no_follow_up_days": selectors.NO_FOLLOW_UP_DAYS,
        "reminders_today": reminder_selectors.due_for_user(request.user, now),
    }
    if request.user.is_manager:
        context["pending"] = rows.pending_items(
            selectors.pending_requests(candidates, scoped(Event, request))[:SHOWN]
        )
        # Every candidate with status "requested" waits for a decision: no second count.
        context["pending_count"] = next(
            row["count"] for row in numbers["by_status"] if row["status"] == Status.REQUESTED
        )
    return render(request, "candidates/today.html", context)
