"""Accounts security that is not a page: who the login throttle counts, which address a
request comes from, what is logged about logins, and ending a deactivated member's sessions.

The signal receivers are connected in `CandidatesConfig.ready()` (importing this module).
What is logged: user ids, usernames typed at the login form, paths and addresses; never a
password (Django masks it in the credentials it hands to `user_login_failed`).
"""

from __future__ import annotations

import ipaddress
import logging
import time

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import ValidationError
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import User
from .sessions import end_member_sessions

log = logging.getLogger("recovery.security")

# Session key holding the time (epoch seconds) of the member's last activity; see
# recovery.middleware.SessionIdleTimeoutMiddleware.
LAST_SEEN_KEY = "_recovery_last_seen"
# The longest username the login throttle's tables hold (axes' AccessAttempt.username).
USERNAME_MAX = 255


def client_ip(request: HttpRequest | None) -> str:
    """The client's address, for the login throttle (AXES_CLIENT_IP_CALLABLE) and the logs.

    The socket's address, unless TRUSTED_PROXY_COUNT says how many proxies stand in front of
    gunicorn: then the Nth address of X-Forwarded-For from the right, the one the outermost
    proxy saw (each proxy appends the address it was reached from). Whatever a client writes
    there itself is further left and never read. Trusting the header is its own setting, not
    a side effect of SECURE_PROXY_SSL: a client reaching gunicorn directly would otherwise
    rotate the header and never be locked out."""
    if request is None:
        return ""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies > 0:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        # Fewer hops than proxies: the request did not come through all of them. Only an
        # address: anything else (a port, garbage) would fail the throttle's address column.
        if len(hops) >= proxies and _is_address(hops[-proxies]):
            return hops[-proxies]
    return remote


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def login_username(request: HttpRequest | None, credentials: dict | None) -> str:
    """The username the login throttle counts (AXES_USERNAME_CALLABLE): trimmed and lower
    case, as accounts are created, so that "Rita@…" and "rita@…" are one username."""
    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")
    value = None
    if credentials:
        value = credentials.get(field)
    if value is None and request is not None:
        value = request.POST.get(field)
    # The throttle stores it in a 255-character column (AccessAttempt.username): a longer
    # username typed at the login form would fail that insert on PostgreSQL with a 500.
    return str(value or "").strip().lower()[:USERNAME_MAX]


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The page a locked-out login gets (AXES_LOCKOUT_CALLABLE): 429, in words."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "registration/lockout.html",
        {
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "username": login_username(request, credentials),
            "minutes": minutes,
        },
        status=429,
    )


def _user_id(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    return str(user.pk) if user is not None and user.is_authenticated else "anonymous"


def log_refused(request: HttpRequest, status: int) -> None:
    """One line per refused request (403, 404, 429): who, what path, from where. The path
    only, not the query string: searches may hold candidates' names; and a token in the
    path (a revoked calendar feed's) masked as in the access log."""
    from recovery.gunicorn_logging import private_path

    log.warning(
        "refused status=%s method=%s path=%s user=%s ip=%s",
        status,
        request.method,
        private_path(request.path),
        _user_id(request),
        client_ip(request),
    )


@receiver(user_login_failed, dispatch_uid="recovery-log-login-failed")
def log_login_failed(sender, credentials: dict, request: HttpRequest | None = None, **kwargs):
    log.warning(
        "login failed username=%r ip=%s",
        login_username(request, credentials),
        client_ip(request),
    )


@receiver(user_locked_out, dispatch_uid="recovery-log-locked-out")
def log_locked_out(sender, request: HttpRequest, username: str, ip_address: str, **kwargs):
    log.warning("login locked out username=%r ip=%s", username, ip_address)


@receiver(user_logged_in, dispatch_uid="recovery-login-started")
def start_activity_clock(sender, request: HttpRequest | None, user: User, **kwargs):
    log.info("login user=%s ip=%s", user.pk, client_ip(request))
    session = getattr(request, "session", None)
    if session is not None:
        session[LAST_SEEN_KEY] = int(time.time())


@receiver(post_save, sender=User, dispatch_uid="recovery-end-sessions-of-inactive")
def end_sessions_of_inactive_member(sender, instance: User, created: bool, **kwargs):
    """A deactivated member (a recruiter who left the agency) is logged out everywhere at
    once, whichever way they were deactivated (members page, admin, shell).

    Django would already refuse them on their next request (ModelBackend.get_user returns
    nobody for an inactive user); deleting the sessions makes it immediate and leaves nothing
    to reactivate by accident."""
    update_fields = kwargs.get("update_fields")
    if created or instance.is_active:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    # Same database, same transaction: if the deactivation rolls back, so does this.
    ended = end_member_sessions(instance.pk)
    log.info("member deactivated user=%s sessions_ended=%s", instance.pk, ended)


class MemberBackend(ModelBackend):
    """Django's ModelBackend, loading the member's organization with the member: every page
    reads `request.user.organization` (the scoping helper), so this saves a query a page."""

    def get_user(self, user_id):
        try:
            user = User._default_manager.select_related("organization").get(pk=user_id)
        except (User.DoesNotExist, ValidationError, ValueError, OverflowError):
            return None  # nobody, not a pk, or out of range
        return user if self.user_can_authenticate(user) else None
