"""Request-wide security: logging refused requests, and the idle timeout of sessions."""

from __future__ import annotations

import time
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from candidates.accounts import LAST_SEEN_KEY, log_refused

REFUSED_STATUSES = {403, 404, 429}
# How often activity pushes the session's expiry forward: once a minute at most, so that a
# page view does not cost a session write (SESSION_SAVE_EVERY_REQUEST would, every time).
ACTIVITY_RESOLUTION_SECONDS = 60


class RefusedRequestLogMiddleware:
    """Logs every 403, 404 and 429 with the user id, the path and the client's address.

    Placed near the top of MIDDLEWARE so that it also sees refusals made by middleware below
    it (CSRF failures, the login throttle's 429)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code in REFUSED_STATUSES:
            log_refused(request, response.status_code)
        return response


class SessionIdleTimeoutMiddleware:
    """Logs a member out after SESSION_COOKIE_AGE seconds without a request.

    The session's expiry (in the cookie and in the session table) is SESSION_COOKIE_AGE after
    its last save; activity re-saves it at most once a minute (by updating the last-seen
    time), so an active member stays logged in and an idle one is logged out. The explicit
    check below also holds if the session engine is ever changed to one that keeps expired
    sessions readable."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN_KEY)
            if last_seen is not None and now - last_seen > settings.SESSION_COOKIE_AGE:
                logout(request)
            elif last_seen is None or now - last_seen >= ACTIVITY_RESOLUTION_SECONDS:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class UserTimeZoneMiddleware:
    """Shows and reads dates and times in the member's own time zone (User.time_zone), so
    an interview typed as 10:00 in London is 10:00 in London on every page and reminder."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = getattr(getattr(request, "user", None), "time_zone", "")
        try:
            timezone.activate(zoneinfo.ZoneInfo(zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # anonymous, or an unknown zone
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
