"""Small helpers every view module shares."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def posted(request: HttpRequest):
    """The form data to bind: the POST on a POST (an empty POST is still validated and says
    what is missing, unlike `request.POST or None`), nothing on a GET."""
    return request.POST if request.method == "POST" else None


def back_to(request: HttpRequest, fallback) -> HttpResponse:
    """Redirect to the posted `next` if it is on this site, else to `fallback` (a URL, a URL
    name or a model with get_absolute_url)."""
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        # Not redirect(): it would try a `next` without "/" or "." as a view name (a 500).
        return HttpResponseRedirect(next_url)
    return redirect(fallback)
