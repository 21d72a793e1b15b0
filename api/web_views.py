"""The member's own API tokens (Settings → API tokens): list, create (shown once), revoke.
Every member manages their own tokens and nobody else's: another member's token is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from candidates.access import member_required

from . import tokens
from .forms import TokenForm


def _own(request: HttpRequest):
    return tokens.tokens_of(request.user)


@member_required()
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST if request.method == "POST" else None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            made = tokens.token_create(member=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            # Shown on this answer only (no redirect: it is never stored to show again).
            new_token = made
            form = TokenForm()
    return render(
        request,
        "api/token_list.html",
        {"form": form, "tokens": list(_own(request)), "new_token": new_token},
    )


@require_POST
@member_required()
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = _own(request).filter(pk=pk).first()
    if token is None:
        raise Http404("No token here.")
    if token.revoked_at is not None:
        messages.info(request, f"“{token.name}” was already revoked.")
    else:
        tokens.token_revoke(token=token)
        messages.success(request, f"“{token.name}” is revoked: it no longer works.")
    return redirect("api_tokens:list")
