"""The loop's pages. Public ones (no login) answer every bad token the same plain 404, are
never cached, send no Referer to other sites, are rate-limited per client address, and show
nothing but the organization's name and the job's title (and, on a brief, what the
headhunter chose).
The members' ones follow the app's pattern: load through `access`, call one service, redirect.
"""

from __future__ import annotations

import uuid
from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from candidates import services as candidate_services
from candidates.access import DECIDERS, RECORDERS, get_for_org, member_required, scoped
from candidates.accounts import client_ip
from candidates.models import Candidate, Event, Job, Role
from candidates.views.common import add_service_errors

from . import briefs, selectors, services, tokens, wording
from .forms import (
    BriefForm,
    CandidateRequestForm,
    ClientDecisionForm,
    RequestLinkForm,
    TemplateForm,
)
from .models import EmailKind, LinkPurpose, PrivateLink

BRIEFERS = (Role.HEADHUNTER, Role.MANAGER, Role.ADMIN)
NEW_LINK = selectors.NEW_LINK
PUBLIC_RATE = "30/m"


# --- Public pages ---------------------------------------------------------------------------


def _ip(group: str, request: HttpRequest) -> str:
    return client_ip(request)


def public(purpose: str = "", thanks: str = ""):
    """A public page: no cache, no Referer to other sites (the token is in the URL), not
    indexed, rate-limited, and every unusable token the same plain 404. A form posted again
    after it used its link (a double click, a retry, two posts at once) is answered with the
    `thanks` page of the first, not the 404."""

    def decorator(view):
        @never_cache
        @wraps(view)
        def wrapper(request: HttpRequest, token: str) -> HttpResponse:
            if is_ratelimited(
                request, group="outreach.public", key=_ip, rate=PUBLIC_RATE, increment=True
            ):
                response = render(request, "outreach/public/slow_down.html", status=429)
            else:
                try:
                    response = view(request, token)
                except (services.LinkGone, Http404):
                    posted = request.method == "POST" and services.posted_before(
                        token, purpose, _submission(request)
                    )
                    page, status = (thanks, 200) if posted else ("outreach/public/gone.html", 404)
                    response = render(request, page, status=status)
            # Same-origin, not no-referrer: with no-referrer the browser posts the form with
            # `Origin: null`, which Django's CSRF check rightly refuses.
            response["Referrer-Policy"] = "same-origin"
            response["X-Robots-Tag"] = "noindex, nofollow"
            return response

        return wrapper

    return decorator


def _submission(request: HttpRequest) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.POST.get("submission", ""))
    except ValueError:
        return None


@public(LinkPurpose.REQUEST, "outreach/public/request_thanks.html")
def request_page(request: HttpRequest, token: str) -> HttpResponse:
    link = services.link_open(token, LinkPurpose.REQUEST)
    form = CandidateRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_by_link(
                token=token,
                words=form.cleaned_data["words"],
                availability=form.cleaned_data["availability"],
                submission=form.cleaned_data["submission"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return render(request, "outreach/public/request_thanks.html", {"link": link})
    return render(
        request,
        "outreach/public/request.html",
        {"link": link, "form": form, "guide": wording.REQUEST_GUIDE},
    )


@public(LinkPurpose.BRIEF, "outreach/public/decision_thanks.html")
def brief_page(request: HttpRequest, token: str) -> HttpResponse:
    link = services.link_open(token, LinkPurpose.BRIEF)
    form = ClientDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event = services.decide_by_link(
                token=token,
                grant=data["decision"] == "grant",
                name=data["name"],
                note=data["note"],
                interview_at=data["interview_at"],
                submission=data["submission"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return render(
                request, "outreach/public/decision_thanks.html", {"link": link, "event": event}
            )
    return render(
        request,
        "outreach/public/brief.html",
        {
            "link": link,
            "brief": briefs.brief_for(link.candidate, link.job, link.shows),
            "form": form,
            "decidable": services.brief_decides(link, services.pending_request(link.candidate)),
        },
    )


@public()
def opt_out(request: HttpRequest, token: str) -> HttpResponse:
    candidate_id = tokens.candidate_of_opt_out(token)
    candidate = Candidate.objects.select_related("organization").filter(pk=candidate_id).first()
    if candidate is None:
        raise Http404
    done = request.method == "POST"
    if done:
        services.opt_out(candidate_id=candidate.pk)
    return render(
        request,
        "outreach/public/opt_out.html",
        {"organization": candidate.organization, "done": done},
    )


# --- Members' actions -----------------------------------------------------------------------


def _jobs(request: HttpRequest) -> list[Job]:
    return list(scoped(Job, request).select_related("client").order_by("client__name", "title"))


def _candidate(request: HttpRequest, pk: int) -> Candidate:
    return get_for_org(Candidate.objects.select_related("organization"), request, pk=pk)


@require_POST
@member_required(*RECORDERS)
def request_link_create(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate(request, pk)
    form = RequestLinkForm(request.POST, jobs=_jobs(request))
    if not form.is_valid():
        messages.error(request, "Choose the job the candidate asks about.")
        return redirect(candidate)
    try:
        link, email = services.request_link_send(
            candidate=candidate,
            job=form.cleaned_data["job"],
            by=request.user,
            email=form.cleaned_data["email"],
            submission=form.cleaned_data["submission"],
        )
    except candidate_services.AlreadySaved:
        messages.info(request, "Already saved: this form was sent twice, and made one link.")
        return redirect(candidate)
    except ValidationError as exc:
        messages.error(request, "No link: " + " ".join(exc.messages))
        return redirect(candidate)
    said = "emailed to the candidate" if email else "not emailed: copy it below"
    messages.success(request, f"A private link for {candidate.name} is ready, {said}.")
    request.session[NEW_LINK] = link.pk
    return redirect(candidate)


@require_POST
@member_required(*RECORDERS)
def link_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    link = _link(request, pk)
    if services.link_revoke(link=link, by=request.user):
        messages.success(request, "The link no longer works.")
    else:
        messages.info(request, "That link was already used, expired or revoked.")
    return redirect(link.candidate)


def _link(request: HttpRequest, pk: int) -> PrivateLink:
    link = (
        PrivateLink.objects.select_related("candidate")
        .filter(pk=pk, organization_id=request.user.organization_id)
        .first()
    )
    if link is None:
        raise Http404("No link here.")
    return link


@member_required()
def brief(request: HttpRequest, pk: int) -> HttpResponse:
    """The brief as the client will see it, to print or to share as a link."""
    candidate = _candidate(request, pk)
    jobs = _jobs(request)
    form = BriefForm(request.GET or None, jobs=jobs)
    made = (
        briefs.brief_for(candidate, form.cleaned_data["job"], form.cleaned_data["show"])
        if (request.GET and form.is_valid())
        else None
    )
    return render(
        request,
        "outreach/brief.html",
        {
            "candidate": candidate,
            "form": form,
            "brief": made,
            "can_share": request.user.role in BRIEFERS,
        },
    )


@require_POST
@member_required(*BRIEFERS)
def brief_share(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate(request, pk)
    form = BriefForm(request.POST, jobs=_jobs(request))
    if not form.is_valid():
        messages.error(request, "Choose the job the brief is for.")
        return redirect("outreach:brief_make", pk=pk)
    try:
        link = services.link_create(
            candidate=candidate,
            job=form.cleaned_data["job"],
            purpose=LinkPurpose.BRIEF,
            by=request.user,
            shows=form.cleaned_data["show"],
        )
    except ValidationError as exc:
        messages.error(request, "No link: " + " ".join(exc.messages))
        return redirect(candidate)
    messages.success(
        request,
        "The brief's private link is ready: send it to the client's hiring manager. It works "
        "once (for one decision) and for 14 days.",
    )
    request.session[NEW_LINK] = link.pk
    return redirect(candidate)


@require_POST
@member_required()
def decision_email(request: HttpRequest, pk: int, event_pk: int) -> HttpResponse:
    candidate = _candidate(request, pk)
    event = get_for_org(
        Event.objects.select_related("candidate__organization", "job"),
        request,
        pk=event_pk,
        candidate=candidate,
    )
    try:
        services.decision_email_queue(
            event=event, by=request.user, place=request.POST.get("place", "")[:300]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"The decision is on its way to {candidate.name}.")
    return redirect(candidate)


# --- The organization's email templates -----------------------------------------------------


@member_required(*DECIDERS)
def template_list(request: HttpRequest) -> HttpResponse:
    org = request.user.organization_id
    rows = [(kind, wording.wording_for(org, kind)) for kind in EmailKind]
    return render(request, "outreach/templates.html", {"rows": rows})


@member_required(*DECIDERS)
def template_edit(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in EmailKind.values:
        raise Http404("No such email.")
    org = request.user.organization_id
    current = wording.wording_for(org, kind)
    form = TemplateForm(
        request.POST or None,
        kind=kind,
        initial={"subject": current.subject, "body": current.body},
    )
    preview = None
    if request.method == "POST":
        if "reset" in request.POST:
            services.template_reset(organization_id=org, kind=kind)
            messages.success(request, "Back to the default wording.")
            return redirect("outreach:templates")
        if form.is_valid():
            if "save" in request.POST:
                services.template_save(
                    organization_id=org, kind=kind, by=request.user, **form.cleaned_data
                )
                messages.success(request, f"Saved: “{EmailKind(kind).label}”.")
                return redirect("outreach:templates")
            sample = {**wording.SAMPLE, "organization": request.user.organization.name}
            preview = {
                "subject": wording.render(form.cleaned_data["subject"], sample),
                "body": wording.render(form.cleaned_data["body"], sample),
            }
    return render(
        request,
        "outreach/template_edit.html",
        {
            "kind": EmailKind(kind),
            "form": form,
            "preview": preview,
            "variables": wording.VARIABLES,
            "custom": current.custom,
        },
    )
