"""What every page's layout needs beyond the user: which optional sections exist and which
section of the navigation the page belongs to."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

# URL names of the `candidates` namespace, by navigation section (see templates/base.html).
SECTIONS = {
    "today": {"today"},
    "candidates": {
        *("list", "detail", "create", "edit", "export", "log_event", "add_note"),
        *("request", "decide", "flag", "clear_flag"),
    },
    "review": {"review"},
    "resubmit": {"resubmit"},
    "clients": {"clients", "client_create", "client_edit", "job_create", "job_detail", "job_edit"},
    "import": {"import"},
    "insights": {"insights"},
    "members": {"members", "member_edit"},
}


def _section(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    if match.namespace != "candidates":
        return match.namespace  # e.g. "reminders"
    return next((s for s, names in SECTIONS.items() if match.url_name in names), "")


def navigation(request: HttpRequest) -> dict:
    # The reminders app arrives in its own issue: its link shows once its URLs are wired,
    # and base.html renders the same either way.
    try:
        reverse("reminders:list")
    except NoReverseMatch:
        reminders_enabled = False
    else:
        reminders_enabled = True
    return {"reminders_enabled": reminders_enabled, "nav_section": _section(request)}
