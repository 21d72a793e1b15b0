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
from django.db import router
from django.db.models import F
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
    only, not the query string: searches may hold candidates' names."""
    log.warning(
        "refused status=%s method=%s path=%s user=%s ip=%s",
        status,
        request.method,
        request.path,
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
    # Same database, same transaction: if the deactivation rolls back, so does this. A new
    # session epoch also refuses any copy of those sessions that outlives the deletion.
    User.objects.filter(pk=instance.pk).update(session_epoch=F("session_epoch") + 1)
    instance.refresh_from_db(fields=["session_epoch"])  # a later save() must not undo it
    ended = end_member_sessions(instance.pk)
    log.info("member deactivated user=%s sessions_ended=%s", instance.pk, ended)


class _MemberQuery:
    """`User.objects.select_related("organization").get(pk=...)`, compiled once per process.

    Every request loads its member: the query is one index lookup, but Django's ORM spends
    0.25 ms of Python building it each time (0.4 ms in all, against 0.15 ms to run the same
    SQL), a fifth of a page served from the cache. So the SQL, the column converters and the
    populators of the related organization are made once by the ORM itself, and each call
    runs them as QuerySet iteration does (django.db.models.query.ModelIterable): the same
    statement, the same objects, and still a fresh read of the member on every request, so
    a deactivation or a password change counts at once. Tested against the ORM's own answer
    (tests/test_accounts_security.py)."""

    def __init__(self, alias: str) -> None:
        from django.db.models.query import get_related_populators

        self.alias = alias
        query = User._default_manager.select_related("organization").filter(pk=0).query
        self.compiler = query.get_compiler(using=alias)
        self.sql, params = self.compiler.as_sql()
        if list(params) != [0]:  # the pk must be the only parameter
            raise RuntimeError(f"Unexpected parameters for the member query: {params!r}")
        select, klass_info = self.compiler.select, self.compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        self.fields = slice(start, end)
        self.init_list = [column[0].target.attname for column in select[start:end]]
        self.converters = self.compiler.get_converters(
            [column[0] for column in select[: self.compiler.col_count]]
        )
        self.populators = get_related_populators(klass_info, select, alias)

    def get(self, pk: int) -> User | None:
        from django.db import connections

        with connections[self.alias].cursor() as cursor:
            cursor.execute(self.sql, [pk])
            row = cursor.fetchone()
        if row is None:
            return None
        if self.converters:
            row = next(iter(self.compiler.apply_converters([row], self.converters)))
        user = User.from_db(self.alias, self.init_list, row[self.fields])
        for populator in self.populators:
            populator.populate(row, user)
        return user


_member_queries: dict[str, _MemberQuery] = {}


def member_by_pk(pk) -> User | None:
    """The member with this pk and their organization, in one query; None if there is none."""
    pk = User._meta.pk.to_python(pk)
    alias = router.db_for_read(User)
    query = _member_queries.get(alias)
    if query is None:
        query = _member_queries[alias] = _MemberQuery(alias)
    return query.get(pk)


class MemberBackend(ModelBackend):
    """Django's ModelBackend, loading the member's organization with the member: every page
    reads `request.user.organization` (the scoping helper), so this saves a query a page."""

    def get_user(self, user_id):
        try:
            user = member_by_pk(user_id)
        except (ValidationError, ValueError, OverflowError):  # not a pk, or out of range
            return None
        if user is None:
            return None
        return user if self.user_can_authenticate(user) else None
