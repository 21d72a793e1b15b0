"""`{% site_header %}`: the account menu and the navigation of every page.

The header is the same HTML for everyone with the same few facts (name, organization, role,
section, reminders due), yet rendering it costs a dozen URL reversals and a hundred template
nodes a page. So each process keeps the rendered header per distinct set of facts (a bounded
LRU): the facts are the key, so a renamed member or a new count is a new entry, never a
stale one. The logout form's CSRF token is a placeholder in the kept copy, replaced by the
viewer's own token on every page (as in `{% orgcache %}`).
"""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe

from candidates.org_cache import csrf_placeholder, fill_csrf

register = template.Library()


@lru_cache(maxsize=2048)
def _render(facts: tuple[tuple[str, object], ...], prefix: str, placeholder: str) -> str:
    # `prefix` (the script prefix every URL starts with) is part of the key, not read here.
    return render_to_string(
        "partials/site_header.html", {"h": dict(facts), "csrf_token": placeholder}
    )


def header_facts(user, section: str, due) -> tuple[tuple[str, object], ...]:
    authenticated = bool(user is not None and user.is_authenticated)
    if not authenticated:
        return (("authenticated", False),)
    organization = getattr(user, "organization", None)
    return (
        ("authenticated", True),
        ("name", user.get_full_name() or user.email or user.username),
        ("signed_in_as", user.email or user.username),
        ("org_name", organization.name if organization else ""),
        ("has_organization", organization is not None),
        ("role", user.role),
        ("role_label", user.get_role_display() if user.role else ""),
        ("is_manager", bool(user.is_manager)),
        ("can_record", bool(user.can_record)),
        ("section", section or ""),
        ("due", int(str(due or 0))),  # str(): `due` is a lazy object from the context
    )


@register.simple_tag(takes_context=True)
def site_header(context) -> SafeString:
    facts = header_facts(
        context.get("user"), context.get("nav_section", ""), context.get("reminders_due", 0)
    )
    html = _render(facts, get_script_prefix(), csrf_placeholder())
    return mark_safe(fill_csrf(html, context.get("csrf_token")))  # noqa: S308 (escaped when rendered)
