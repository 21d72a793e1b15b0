"""Deciding: the managers' second-chance review queue, and the headhunters' "Resubmit?"."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from outreach import services as outreach_services

from .. import selectors, services
from ..access import DECIDERS, get_for_org, member_required, org_of, scoped
from ..engine import Status
from ..forms import ResubmitForm, SecondChanceDecideForm
from ..models import Candidate, Event, Job

REVIEW_PAGE_SIZE = 20


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None  # not a key: the form's own check will say so


def _queue_url(request: HttpRequest) -> str:
    page = request.GET.get("page", "")
    url = reverse("candidates:review")
    return f"{url}?page={page}" if page.isdigit() else url


@member_required(*DECIDERS)
@require_http_methods(["GET", "POST"])
def review_queue(request: HttpRequest) -> HttpResponse:
    """The pending requests, oldest first, each with a grant/refuse form that posts here."""
    candidates = scoped(Candidate, request)
    events = scoped(Event, request)
    jobs = list(scoped(Job, request).select_related("client").order_by("client__name", "title"))

    failed: SecondChanceDecideForm | None = None
    if request.method == "POST":
        # Another organization's candidate, or no number at all: 404, nothing written.
        candidate = get_for_org(Candidate, request, pk=request.POST.get("candidate"))
        form = SecondChanceDecideForm(request.POST, candidate=candidate, jobs=jobs)
        key = _uuid(request.POST.get("submission"))
        if services.already_saved(organization_id=candidate.organization_id, key=key):
            messages.info(request, f"{candidate.name}'s request has already been decided.")
            return redirect(_queue_url(request))
        if candidate.status != Status.REQUESTED:
            messages.info(request, f"{candidate.name}'s request has already been decided.")
            return redirect(_queue_url(request))
        if form.is_valid():
            try:
                event = services.second_chance_decide(
                    candidate=candidate,
                    decided_by=request.user,
                    answering_request=True,
                    **form.service_arguments(),
                )
            except (services.AlreadySaved, ValidationError):
                messages.info(request, f"{candidate.name}'s request has already been decided.")
                return redirect(_queue_url(request))
            said = outreach_services.decision_told(
                event=event,
                by=request.user,
                wanted=form.cleaned_data["email_candidate"],
                place=form.cleaned_data["place"],
            )
            if form.grant:
                messages.success(request, f"Second chance granted to {candidate.name}.{said}")
            else:
                messages.success(request, f"Second chance refused for {candidate.name}.{said}")
            return redirect(_queue_url(request))
        failed = form

    page = Paginator(selectors.review_queue(candidates, events), REVIEW_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    cards = selectors.review_cards(page.object_list, events, today=services.today())
    for card in cards:
        if failed is not None and failed.candidate.pk == card.candidate.pk:
            card.form = failed
            failed = None
        else:
            card.form = SecondChanceDecideForm(
                candidate=card.candidate, jobs=jobs, initial={"job": card.job}
            )
    if failed is not None:
        # The card is on another page of the queue (the queue moved on): say it here.
        errors = "; ".join(e for field in failed.errors.values() for e in field)
        messages.error(request, f"{failed.candidate.name}: nothing was recorded. {errors}")
    # An invalid decision re-renders the queue (status 200, like every form here) with the
    # card's errors and what the manager typed.
    return render(request, "candidates/review.html", {"page": page, "cards": cards})


@member_required()
@require_http_methods(["GET"])
def resubmit(request: HttpRequest) -> HttpResponse:
    """Pick a candidate and a job; see the advice and every reason behind it. A GET form, so
    an answer has a URL a headhunter can send to a colleague."""
    candidates = scoped(Candidate, request)
    events = scoped(Event, request)
    jobs = list(scoped(Job, request).select_related("client").order_by("client__name", "title"))

    data = request.GET.copy()
    # A NUL cannot be searched for (PostgreSQL refuses it in a query: a 500): drop it.
    q = data.get("q", "").replace("\x00", "").strip()[:200]
    if "find" in data:
        # A new search: choose again from its matches.
        data["candidate"] = ""
    matches = selectors.candidate_matches(candidates, q)
    if q and len(matches) == 1 and not data.get("candidate"):
        data["candidate"] = str(matches[0].pk)

    form = ResubmitForm(data or None, organization=org_of(request), jobs=jobs)
    answer = None
    if form.is_bound and form.is_valid():
        candidate = form.cleaned_data["candidate"]
        if candidate is not None:
            if candidate not in matches:
                matches.insert(0, candidate)
            answer = selectors.resubmit_answer(
                candidate, form.cleaned_data["job"], events, today=services.today()
            )
    form.set_options(matches)
    return render(
        request,
        "candidates/resubmit.html",
        {"form": form, "answer": answer, "q": q, "matches": matches, "has_jobs": bool(jobs)},
    )
