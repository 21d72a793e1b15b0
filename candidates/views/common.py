"""Small helpers every view module shares."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers
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


def add_service_errors(form: Form, exc: ValidationError) -> None:
    """A service's refusal on the form that asked: each message on its field when the form
    has one, else above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def secret_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For a page that shows a secret (a signing secret, a feed's or a webhook's URL): no
    cache keeps the answer, and no Referer carries its URL to another site. Same-origin, not
    no-referrer: with no-referrer the browser posts the page's own forms with `Origin: null`,
    which Django's CSRF check refuses (every button of the calendar page answered 403)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        response["Referrer-Policy"] = "same-origin"
        return response

    return wrapper
