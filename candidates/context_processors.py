"""What every page's layout needs beyond the user: the section of the navigation the page
belongs to."""

from __future__ import annotations

from django.http import HttpRequest

# URL names of the `candidates` namespace, by navigation section (see templates/base.html).
SECTIONS = {
    "today": {"today"},
    "candidates": {
        *("list", "detail", "create", "edit", "export", "log_event", "add_note"),
        *("request", "decide", "flag", "clear_flag"),
        *("event_edit", "note_edit", "export_json", "erase", "audit"),
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
    return {"nav_section": _section(request)}
