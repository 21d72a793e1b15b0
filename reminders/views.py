"""The Reminders page, the actions on a reminder, the manual "add a reminder" form, and the
calendar feed: a member's page to make or revoke their feed URL, and the feed itself.

Every reminder and candidate is loaded through `candidates.access`: another organization's
is a 404. Acting on a colleague's reminder is for managers (403 otherwise). Times are shown
and read in the user's own time zone (recovery.middleware.UserTimeZoneMiddleware).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST, require_safe

from candidates.access import get_for_org, member_required, scoped
from candidates.models import Candidate, User
from candidates.views.common import back_to, secret_page

from . import calendars, selectors, services
from .forms import ReminderForm
from .models import Reminder
from .rules import SNOOZES


def _back(request: HttpRequest) -> HttpResponse:
    return back_to(request, "reminders:list")


def _reminder(request: HttpRequest, pk: int) -> Reminder:
    """The reminder to act on: another organization's is a 404, someone else's a 403 (before
    anything in the form is looked at)."""
    reminder = get_for_org(Reminder.objects.select_related("candidate"), request, pk=pk)
    if not reminder.can_act(request.user):
        raise PermissionDenied("Only the person reminded and their managers can do this.")
    return reminder


@member_required()
def reminder_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    team = user.is_manager and request.GET.get("who") == "team"
    closed = request.GET.get("show") == "closed"
    reminders = selectors.for_page(user, team=team, closed=closed)
    if closed:
        reminders = reminders[:100]
    now = timezone.now()
    reminders = list(reminders)
    context = {
        "team": team,
        "closed": closed,
        "now": now,
        "due": [r for r in reminders if not closed and r.due_at <= now],
        "upcoming": [r for r in reminders if not closed and r.due_at > now],
        "reminders": reminders,
        "show_owner": team,
    }
    return render(request, "reminders/reminder_list.html", context)


@require_POST
@member_required()
def reminder_done(request: HttpRequest, pk: int) -> HttpResponse:
    reminder = _reminder(request, pk)
    try:
        services.reminder_done(reminder=reminder, by=request.user)
    except services.NotOpen as exc:
        messages.warning(request, str(exc))
    else:
        messages.success(request, f"Done: {reminder.title}.")
    return _back(request)


@require_POST
@member_required()
def reminder_snooze(request: HttpRequest, pk: int) -> HttpResponse:
    reminder = _reminder(request, pk)
    delay = SNOOZES.get(request.POST.get("for", ""))
    if delay is None:
        messages.error(request, "Snooze for a day or a week.")
        return _back(request)
    try:
        services.reminder_snooze(reminder=reminder, by=request.user, delay=delay)
    except services.NotOpen as exc:
        messages.warning(request, str(exc))
    else:
        until = "a day" if delay.days == 1 else "a week"
        messages.success(request, f"Snoozed for {until}: {reminder.title}.")
    return _back(request)


@require_POST
@member_required()
def reminder_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    reminder = _reminder(request, pk)
    try:
        services.reminder_cancel(reminder=reminder, by=request.user)
    except services.NotOpen as exc:
        messages.warning(request, str(exc))
    else:
        messages.success(request, f"Cancelled: {reminder.title}.")
    return _back(request)


@member_required()
def reminder_add(request: HttpRequest, candidate_pk: int) -> HttpResponse:
    """Anyone in the organization can remind themselves or a colleague about a candidate."""
    candidate = get_for_org(Candidate, request, pk=candidate_pk)
    members = scoped(User, request).filter(is_active=True).order_by("first_name", "username")
    form = ReminderForm(request.POST or None, members=members, initial={"user": request.user})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        reminder = services.reminder_create(
            candidate=candidate,
            user=data["user"],
            title=data["title"],
            body=data["body"],
            due_at=data["due_at"],
            created_by=request.user,
        )
        who = "you" if reminder.user_id == request.user.pk else str(reminder.user)
        when = timezone.localtime(reminder.due_at).strftime("%a %-d %b at %H:%M")
        messages.success(request, f"Reminder set for {who}, {when}.")
        return redirect(candidate)
    return render(request, "reminders/reminder_form.html", {"form": form, "candidate": candidate})


# --- The calendar feed ----------------------------------------------------------------------


@secret_page  # it may show the feed's secret URL
@member_required()
def calendar_page(request: HttpRequest) -> HttpResponse:
    """The member's feed: a POST makes a new URL (revoking the old one) and shows it, once."""
    new_url = ""
    if request.method == "POST":
        new_url = calendars.feed_url(calendars.feed_create(request.user))
    context = {"feed": calendars.live_feed(request.user), "new_url": new_url}
    return render(request, "reminders/calendar.html", context)


@require_POST
@member_required()
def calendar_revoke(request: HttpRequest) -> HttpResponse:
    if calendars.feed_revoke(request.user):
        messages.success(request, "Calendar feed revoked: its URL no longer works.")
    else:
        messages.info(request, "You had no calendar feed.")
    return redirect("reminders:calendar")


def _private(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed, for calendar apps: no login, the token decides. A wrong, revoked or made-up
    token, or a deactivated or moved member's, are the same plain 404."""
    feed = calendars.feed_for_token(token)
    if feed is None:
        return _private(HttpResponseNotFound("Not found.\n", content_type="text/plain"))
    response = HttpResponse(calendars.feed_ics(feed), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="recovery.ics"'
    return _private(response)
