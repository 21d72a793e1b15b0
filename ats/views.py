"""The ATS pages. The inbound endpoint is public (the URL token is the credential, the
signature proves the vendor sent it); the settings and the review list follow the app's
pattern: load through `candidates.access`, call one service, redirect."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from candidates import services as candidate_services
from candidates.access import ADMINS, DECIDERS, RECORDERS, get_for_org, member_required, org_of
from candidates.views.common import add_service_errors, secret_page

from . import selectors, services, tokens
from .forms import MappingForm, ResolveForm, SourceForm
from .models import InboundItem, InboundSource, ReasonMapping

log = logging.getLogger(__name__)

# Greenhouse's and Lever's rejection payloads are a few kilobytes; a quarter of a megabyte is
# far beyond any of them, and bounds what a caller with a valid URL can make us read.
MAX_BODY = 256 * 1024
# Per source (its URL token), not per address: an ATS sends every customer's webhooks from
# the same few addresses.
INBOUND_RATE = "300/m"


def _answer(status: int, message: str) -> JsonResponse:
    return JsonResponse({"ok": status < 300, "message": message}, status=status)


@csrf_exempt
@never_cache
def inbound(request: HttpRequest, token: str) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    key = tokens.hash_of(token)[:32]
    if is_ratelimited(
        request, group="ats.inbound", key=lambda g, r: key, rate=INBOUND_RATE, increment=True
    ):
        return _answer(429, "Too many deliveries: slow down.")
    source = services.source_for_token(token)
    if source is None:
        # A made-up URL and a revoked source answer alike.
        return _answer(404, "No such endpoint.")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        return _answer(413, "The body is too large.")
    body = request.body
    if len(body) > MAX_BODY:
        return _answer(413, "The body is too large.")
    try:
        received = services.receive(
            source=source, headers=services.headers_of(request.META), body=body
        )
    except services.Refused as exc:
        log.info("ats delivery refused source=%s status=%s: %s", source.pk, exc.status, exc)
        return _answer(exc.status, exc.message)
    if received.replay:
        return _answer(200, "Already received.")
    if received.item is None:
        return _answer(200, "Acknowledged: not a rejection, nothing to record.")
    log.info(
        "ats delivery source=%s item=%s state=%s", source.pk, received.item.pk, received.item.state
    )
    return _answer(200, f"Received: {received.item.get_state_display().lower()}.")


# --- Sources (admins) ---------------------------------------------------------------------


@secret_page  # the answer may hold a new source's URL token and secret
@member_required(*ADMINS)
@require_http_methods(["GET", "POST"])
def source_list(request: HttpRequest) -> HttpResponse:
    form = SourceForm(request.POST if request.method == "POST" else None)
    made = None
    if request.method == "POST" and form.is_valid():
        try:
            made = services.source_create(
                organization=org_of(request), by=request.user, **form.cleaned_data
            )
        except candidate_services.AlreadySaved:
            # The answer reloaded (F5 posts the form again): nothing more is made, and the
            # URL and secret, shown once, are not shown again.
            messages.info(
                request,
                "This connection was made already: its URL and secret were shown when it "
                "was made. Revoke it and make another if they are lost.",
            )
            return redirect("ats:sources")
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            # Shown on this answer only: the URL token and the secret are never shown again.
            form = SourceForm()
    # From SITE_URL, as every link the app hands out: never from the request's Host header.
    url = settings.SITE_URL + reverse("ats:inbound", args=[made.url_token]) if made else ""
    response = render(
        request,
        "ats/sources.html",
        {"form": form, "sources": selectors.sources(org_of(request)), "made": made, "url": url},
    )
    return response


@require_POST
@member_required(*ADMINS)
def source_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_for_org(InboundSource, request, pk=pk)
    if services.source_revoke(source=source):
        messages.success(request, f"“{source.name}” is revoked: its URL no longer answers.")
    else:
        messages.info(request, f"“{source.name}” was already revoked.")
    return redirect("ats:sources")


# --- The mapping table (managers and admins) ----------------------------------------------


@member_required(*DECIDERS)
@require_http_methods(["GET", "POST"])
def mapping_list(request: HttpRequest) -> HttpResponse:
    organization = org_of(request)
    form = MappingForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.mapping_save(organization=organization, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            recorded = services.retry_waiting(organization=organization)
            messages.success(
                request,
                f"Added “{form.cleaned_data['external_reason']}”."
                + (f" {recorded} waiting item(s) recorded with it." if recorded else ""),
            )
            return redirect("ats:mappings")
    return render(
        request,
        "ats/mappings.html",
        {"form": form, "mappings": selectors.mappings(organization)},
    )


@member_required(*DECIDERS)
@require_http_methods(["GET", "POST"])
def mapping_edit(request: HttpRequest, pk: int) -> HttpResponse:
    mapping = get_for_org(ReasonMapping, request, pk=pk)
    initial = {
        "vendor": mapping.vendor,
        "external_reason": mapping.external_reason,
        "kind": mapping.kind,
        "reason": mapping.reason,
    }
    form = MappingForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.mapping_save(
                organization=org_of(request), mapping=mapping, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            recorded = services.retry_waiting(organization=org_of(request))
            messages.success(
                request, "Saved." + (f" {recorded} waiting item(s) recorded." if recorded else "")
            )
            return redirect("ats:mappings")
    return render(request, "ats/mapping_edit.html", {"form": form, "mapping": mapping})


@require_POST
@member_required(*DECIDERS)
def mapping_defaults(request: HttpRequest) -> HttpResponse:
    organization = org_of(request)
    added = services.mapping_add_defaults(organization=organization)
    recorded = services.retry_waiting(organization=organization) if added else 0
    messages.success(
        request,
        f"Added {added} of Greenhouse's default reasons."
        + (f" {recorded} waiting item(s) recorded with them." if recorded else ""),
    )
    return redirect("ats:mappings")


@require_POST
@member_required(*DECIDERS)
def mapping_delete(request: HttpRequest, pk: int) -> HttpResponse:
    mapping = get_for_org(ReasonMapping, request, pk=pk)
    services.mapping_delete(mapping=mapping)
    messages.success(request, f"“{mapping.external_reason}” is no longer mapped.")
    return redirect("ats:mappings")


# --- The review list (whoever records events) ---------------------------------------------


@member_required(*RECORDERS)
def review(request: HttpRequest) -> HttpResponse:
    organization = org_of(request)
    page = selectors.review_page(organization)
    table = selectors.mappings(organization)
    rows = []
    for item in page["items"]:
        mapping = services.mapping_among(table, item)
        initial = {"candidate_email": item.candidate_email}
        if mapping is not None:
            initial.update(kind=mapping.kind, reason=mapping.reason)
        rows.append((item, ResolveForm(initial=initial, prefix=f"i{item.pk}")))
    return render(request, "ats/review.html", {**page, "rows": rows})


@require_POST
@member_required(*RECORDERS)
def resolve(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_for_org(InboundItem.objects.select_related("source"), request, pk=pk)
    form = ResolveForm(request.POST, prefix=f"i{item.pk}")
    if not form.is_valid():
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        messages.error(request, f"Not recorded: {errors}")
        return redirect("ats:review")
    try:
        services.resolve(item=item, by=request.user, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, "Not recorded: " + " ".join(exc.messages))
    else:
        # "Remember" may have added a row: what waited for it is tried again, as when a row
        # is added on the table's page.
        recorded = (
            services.retry_waiting(organization=org_of(request))
            if form.cleaned_data["remember"]
            else 0
        )
        messages.success(
            request,
            "Recorded." + (f" {recorded} waiting item(s) recorded with it." if recorded else ""),
        )
    return redirect("ats:review")


@require_POST
@member_required(*RECORDERS)
def dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_for_org(InboundItem, request, pk=pk)
    try:
        services.dismiss(item=item, by=request.user)
    except ValidationError as exc:
        messages.info(request, " ".join(exc.messages))
    else:
        messages.success(request, "Dismissed: nothing recorded.")
    return redirect("ats:review")
