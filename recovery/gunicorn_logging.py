"""gunicorn's access log without secrets (gunicorn.conf.py names it as `logger_class`).

A request's query string holds searches for candidates' names (`/candidates/?q=...`), and
the path of a password-reset or invitation link holds its one-time token
(`/accounts/reset/<uid>/<token>/`), and a member's calendar feed its secret token
(`/calendar/<token>.ics`), and a candidate's or client's private link its token (`/r/<token>/`,
`/b/<token>/`, `/o/<token>/`), and an ATS's webhook URL its token (`/ats/in/<token>/`).
The access log keeps the route: the path without its
query string, a reset token masked, and the same for the Referer and a redirect's Location,
whatever access_log_format asks for. gunicorn documents `logger_class` as its extension
point; only `atoms()` (the values the format reads) and the error log's arguments change.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from gunicorn.glogging import Logger

MASK = "********"
# Django's password_reset_confirm: reset/<uidb64>/<token>/; after the first visit Django
# redirects to reset/<uidb64>/set-password/, which holds no secret.
_RESET_TOKEN = re.compile(r"(/reset/[^/?#]+/)(?!set-password(?:/|$))[^/?#]+")
# A member's private calendar feed: /calendar/<token>.ics (reminders/calendars.py).
_CALENDAR_TOKEN = re.compile(r"(/calendar/)[^/?#]+(\.ics)$")
# The candidate's and the client's private links, and the opt-out link (outreach/urls.py).
_LINK_TOKEN = re.compile(r"^(/[rbo]/)[^/?#]+(/?)$")
# An ATS's webhook endpoint: /ats/in/<token>/ (ats/urls.py).
_ATS_TOKEN = re.compile(r"^(/ats/in/)[^/?#]+(/?)$")


def private_path(target: str) -> str:
    """A path or request target as it may be logged: no query string, no reset or calendar
    token."""
    path = target.split("?", 1)[0].split("#", 1)[0]
    path = _CALENDAR_TOKEN.sub(rf"\g<1>{MASK}\g<2>", path)
    path = _LINK_TOKEN.sub(rf"\g<1>{MASK}\g<2>", path)
    path = _ATS_TOKEN.sub(rf"\g<1>{MASK}\g<2>", path)
    return _RESET_TOKEN.sub(rf"\g<1>{MASK}", path)


def private_url(url: str) -> str:
    """An absolute URL (a Referer, a Location) as it may be logged."""
    if not url or url == "-":
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, private_path(parts.path), "", ""))


class PrivateAccessLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = private_path(environ.get("PATH_INFO") or "")
        atoms["U"] = path
        atoms["q"] = ""
        atoms["r"] = f"{environ['REQUEST_METHOD']} {path} {environ['SERVER_PROTOCOL']}"
        atoms["f"] = private_url(atoms.get("f", "-"))
        for key in ("{referer}i", "{location}o"):
            if key in atoms:
                atoms[key] = private_url(str(atoms[key]))
        for key in ("{raw_uri}e", "{path_info}e", "{request_uri}e"):
            if key in atoms:
                atoms[key] = private_path(str(atoms[key]))
        atoms.pop("{query_string}e", None)
        return atoms

    # gunicorn names the request target in a few error lines ("Error handling request
    # /path?q=..."): the same rule there.
    def error(self, msg, *args, **kwargs):
        super().error(msg, *_private_args(args), **kwargs)

    def exception(self, msg, *args, **kwargs):
        super().exception(msg, *_private_args(args), **kwargs)


def _private_args(args: tuple) -> tuple:
    return tuple(private_path(a) if isinstance(a, str) and a.startswith("/") else a for a in args)
