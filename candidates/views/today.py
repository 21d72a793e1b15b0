"""Today: the home page, what needs doing first."""

from django.shortcuts import render
from django.utils import timezone

from .. import selectors
from ..access import member_required, scoped
from ..models import Candidate, Event

# Each list on the page shows this many, with the total beside it.
SHOWN = 10


@member_required()
def today(request):
    candidates = scoped(Candidate, request)
    events = scoped(Event, request)
    stumbled = selectors.stumbled_without_follow_up(candidates, today=timezone.localdate())
    context = {
        "stumbled": stumbled[:SHOWN],
        "stumbled_count": stumbled.count(),
        "upcoming": selectors.upcoming_second_chance_interviews(events, now=timezone.now())[:SHOWN],
        "numbers": selectors.status_counts(candidates),
        "no_follow_up_days": selectors.NO_FOLLOW_UP_DAYS,
    }
    if request.user.is_manager:
        pending = selectors.pending_requests(candidates, events)
        context["pending"] = pending[:SHOWN]
        context["pending_count"] = pending.count()
    return render(request, "candidates/today.html", context)
