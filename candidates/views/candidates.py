"""The candidate list, its CSV export, the candidate page and every action on it.

Each action is POST-only: validate a form, call one service, say what happened, redirect
(post/redirect/get). An invalid form re-renders the candidate page with status 200, the
form's errors and what the user typed, and writes nothing.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from outreach import selectors as outreach_selectors
from outreach import services as outreach_services
from reminders import selectors as reminder_selectors
from reminders.rules import why_no_reminder

from .. import csvsafe, rows, selectors, services
from ..access import (
    ADMINS,
    DECIDERS,
    MERGERS,
    RECORDERS,
    correctable,
    get_for_org,
    member_required,
    scoped,
)
from ..audit import candidate_history
from ..duplicates import duplicates_of
from ..engine import Kind
from ..forms import (
    QUICK_LOG_KINDS,
    CandidateFilterForm,
    CandidateForm,
    ClearFlagForm,
    EventForm,
    FlagForm,
    RiskNoteForm,
    SecondChanceDecideForm,
    SecondChanceRequestForm,
)
from ..models import Candidate, Client, Event, Job, User
from ..pagination import per_page_from
from .common import back_to

PER_PAGE = 25


def _jobs(request: HttpRequest) -> list[Job]:
    return list(scoped(Job, request).select_related("client").order_by("client__name", "title"))


def _candidate(request: HttpRequest, pk: int) -> Candidate:
    # With its opt-out (outreach): the page says when the candidate asked for no email.
    return get_for_org(Candidate.objects.select_related("owner", "opt_out"), request, pk=pk)


# --- The list and its export --------------------------------------------------------------


def _filter_form(request: HttpRequest) -> tuple[CandidateFilterForm, dict]:
    form = CandidateFilterForm(
        request.GET or None,
        # Only what the choices show (User.__str__, a client's name).
        owners=scoped(User, request)
        .only("first_name", "last_name", "email", "username")
        .order_by("first_name", "last_name", "username"),
        clients=scoped(Client, request).only("name").order_by("name"),
        jobs=_jobs(request),
    )
    return form, form.filters() if request.GET else {}


def _filtered(request: HttpRequest) -> tuple[CandidateFilterForm, dict, object]:
    form, filters = _filter_form(request)
    candidates = selectors.candidate_search(
        scoped(Candidate, request), scoped(Event, request), **filters
    )
    return form, filters, candidates


@member_required()
def candidate_list(request: HttpRequest) -> HttpResponse:
    form, filters = _filter_form(request)
    listing = selectors.candidate_list(
        scoped(Candidate, request).only(*rows.LIST_COLUMNS),
        scoped(Event, request),
        organization=request.user.organization,
        filters=filters,
        page=request.GET.get("page"),
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        per_page=per_page_from(request.GET.get("per_page"), PER_PAGE),
    )
    return render(
        request,
        "candidates/candidate_list.html",
        {
            "form": form,
            "page": listing.page,
            "rows": rows.list_rows(listing.page.object_list),
            "close_spellings": listing.close_spellings,
            "searching": any(name != "sort" for name in filters),
            # How many of the folded filters are on (the search box is always in sight).
            "filters_on": sum(name != "q" for name in filters),
        },
    )


_cell = csvsafe.cell  # the one neutraliser of every CSV the app writes (CSV injection)


class _Echo:
    def write(self, value: str) -> str:
        return value


EXPORT_HEADER = [
    "name",
    "email",
    "phone",
    "status",
    "advice",
    "risk_score",
    "missteps",
    "owner",
    "rating",
    "last_event_on",
    "explanation",
]


def _export_rows(candidates) -> Iterator[list]:
    yield EXPORT_HEADER
    for c in candidates.iterator(chunk_size=2000):
        yield [
            _cell(v)
            for v in (
                c.name,
                c.email,
                c.phone,
                c.status,
                c.advice,
                c.risk_score,
                c.live_missteps,
                c.owner.email if c.owner else "",
                c.rating,
                c.last_event_on.isoformat() if c.last_event_on else "",
                "; ".join(c.explanation or []),
            )
        ]


@member_required()
def candidate_export(request: HttpRequest) -> HttpResponse:
    """The list as filtered on screen (every page of it), as CSV."""
    _form, _filters, candidates = _filtered(request)
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in _export_rows(candidates)),
        content_type="text/csv; charset=utf-8",
    )
    filename = f"candidates-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Adding and editing -------------------------------------------------------------------


def _save_candidate(request: HttpRequest, form: CandidateForm, candidate: Candidate | None):
    data = form.candidate_fields()
    try:
        if candidate is None:
            return services.candidate_create(organization=form.organization, **data)
        return services.candidate_update(candidate=candidate, **data)
    except ValidationError as exc:
        form.add_error(None, exc.messages)
        return None
    except IntegrityError:
        # Two people adding the same email at once: the database's unique constraint decides,
        # and the loser gets a message, not a 500.
        form.add_error("email", "A candidate with this email already exists.")
        return None


@member_required(*RECORDERS)
def candidate_create(request: HttpRequest) -> HttpResponse:
    organization = request.user.organization
    form = CandidateForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        candidate = _save_candidate(request, form, None)
        if candidate is not None:
            messages.success(request, f"{candidate.name} added.")
            return redirect(candidate)
    return render(request, "candidates/candidate_form.html", {"form": form, "candidate": None})


@member_required(*RECORDERS)
def candidate_edit(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate(request, pk)
    form = CandidateForm(
        request.POST or None, organization=request.user.organization, instance=candidate
    )
    if request.method == "POST" and form.is_valid():
        saved = _save_candidate(request, form, candidate)
        if saved is not None:
            messages.success(request, f"{saved.name} saved.")
            return redirect(saved)
    return render(request, "candidates/candidate_form.html", {"form": form, "candidate": candidate})


# --- The candidate page -------------------------------------------------------------------


def _detail(
    request: HttpRequest, candidate: Candidate, jobs: list[Job] | None = None, **bound
) -> HttpResponse:
    """The candidate page; `bound` holds an invalid form to show with its errors."""
    page = selectors.candidate_page(candidate)
    actions = selectors.candidate_actions(page)
    if jobs is None:
        jobs = _jobs(request)
    # The member's own today (the forms check dates against it), not the server's.
    today = timezone.localdate()
    # A quick action (`?log=no_show#log-event`) opens the event form with its kind chosen
    # (and the job of the latest event: the interview that went wrong, most often).
    quick = request.GET.get("log", "")
    quick_kind = quick if quick in QUICK_LOG_KINDS else ""
    forms = {
        "event_form": EventForm(
            jobs=jobs,
            initial={
                "occurred_on": today,
                "kind": quick_kind,
                "job": actions.latest_job_id if quick_kind else None,
            },
            can_override=_can_override(request),
        ),
        "note_form": RiskNoteForm(initial={"noted_on": today}),
        "request_form": SecondChanceRequestForm(
            candidate=candidate,
            jobs=jobs,
            can_override=_can_override(request),
            initial={"occurred_on": today, "job": actions.last_misstep_job_id},
        ),
        "decide_form": SecondChanceDecideForm(
            candidate=candidate,
            jobs=jobs,
            initial={"job": actions.pending_request.job_id if actions.pending_request else None},
        ),
        "flag_form": FlagForm(),
        "clear_form": ClearFlagForm(),
    }
    forms.update(bound)
    if bound:
        # On a phone the form is far below: say at the top that nothing was saved.
        messages.error(request, "Nothing was saved: see what to correct in the form below.")
    user = request.user
    return render(
        request,
        "candidates/candidate_detail.html",
        {
            "reminders": reminder_selectors.for_candidate(candidate),
            "loop": outreach_selectors.for_candidate(candidate, page.events),
            "loop_jobs": jobs,
            "new_link": outreach_selectors.new_link(request.session, candidate),
            "missing_follow_up": reminder_selectors.missing_follow_up(candidate, page.events),
            "candidate": candidate,
            "page": page,
            # Beside the status: every action an admin let through the guard, and why.
            "overrides": [e for e in page.events if e.kind == Kind.OVERRIDE],
            "actions": actions,
            "can_record": user.can_record,
            "can_decide": user.is_manager,
            "can_admin": user.role in ADMINS,
            "history": rows.history_items(
                candidate, page.timeline, correctable(user, page.events, page.notes)
            ),
            "can_merge": user.role in MERGERS,
            "duplicates": duplicates_of(candidate),
            "addresses": list(candidate.addresses.all()),
            "open_form": next(iter(bound), None) or ("event_form" if quick_kind else None),
            "quick_kinds": QUICK_LOG_KINDS.items(),
            "today": today,
            **forms,
        },
    )


@member_required()
def candidate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _candidate(request, pk))


@member_required()
def candidate_audit(request: HttpRequest, pk: int) -> HttpResponse:
    """The candidate's audit trail, loaded when the member opens it on the candidate page."""
    candidate = _candidate(request, pk)
    can_merge = request.user.role in MERGERS
    merges = [
        (merge, can_merge and services.merge_undoable(merge))
        for merge in candidate.merges.filter(undone_at__isnull=True)
    ]
    return render(
        request,
        "candidates/candidate_audit.html",
        {
            "candidate": candidate,
            "audit_entries": candidate_history(candidate),
            "merges": merges,
        },
    )


def _can_override(request: HttpRequest) -> bool:
    """Admins may let one guarded action through, with a reason (services.guard_enforce)."""
    return services.may_override(request.user)


def _warn(request: HttpRequest, event) -> None:
    """The guard's warning (a job on hold): said, not refused."""
    if getattr(event, "guard_warning", ""):
        messages.warning(request, event.guard_warning)


def _saved(request: HttpRequest, candidate: Candidate, message: str) -> HttpResponse:
    messages.success(request, message)
    return back_to(request, candidate)


ALREADY_SAVED = "Already saved: this form was sent twice, and is recorded once."


def _sent_twice(request: HttpRequest, candidate: Candidate) -> HttpResponse | None:
    """A form posted again after it was saved (double click, back button, retry): say so
    and store nothing, before its checks (which would now refuse it: "a request is already
    waiting")."""
    try:
        key = uuid.UUID(request.POST.get("submission", ""))
    except ValueError:
        return None
    if not services.already_saved(organization_id=candidate.organization_id, key=key):
        return None
    messages.info(request, ALREADY_SAVED)
    return back_to(request, candidate)


@require_POST
@member_required(*RECORDERS)
def event_create(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate(request, pk)
    if twice := _sent_twice(request, candidate):
        return twice
    jobs = _jobs(request)
    form = EventForm(request.POST, jobs=jobs, can_override=_can_override(request))
    if form.is_valid():
        try:
            event = services.event_log(
                candidate=candidate, recorded_by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        except services.AlreadySaved:
            messages.info(request, ALREADY_SAVED)
            return back_to(request, candidate)
        else:
            _warn(request, event)
            kind = Kind(event.kind)
            late = why_no_reminder(kind, event.occurred_on, event.created_at)
            message = f"“{kind.label}” logged for {candidate.name}. {late}"
            return _saved(request, candidate, message.strip())
    return _detail(request, candidate, jobs, event_form=form)


@require_POST
@member_required(*RECORDERS)
def note_create(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate(request, pk)
    if twice := _sent_twice(request, candidate):
        return twice
    form = RiskNoteForm(request.POST)
    if form.is_valid():
        try:
            services.risk_note_add(candidate=candidate, author=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        except services.AlreadySaved:
            messages.info(request, ALREADY_SAVED)
            return back_to(request, candidate)
        else:
            return _saved(request, candidate, f"Risk note added for {candidate.name}.")
    return _detail(request, candidate, note_form=form)


@require_POST
@member_required(*RECORDERS)
def second_chance_request(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate(request, pk)
    if twice := _sent_twice(request, candidate):
        return twice
    jobs = _jobs(request)
    form = SecondChanceRequestForm(
        request.POST, candidate=candidate, jobs=jobs, can_override=_can_override(request)
    )
    if form.is_valid():
        try:
            event = services.second_chance_request(
                candidate=candidate, recorded_by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        except services.AlreadySaved:
            messages.info(request, ALREADY_SAVED)
            return back_to(request, candidate)
        else:
            _warn(request, event)
            return _saved(
                request, candidate, f"{candidate.name}'s request for a second chance is recorded."
            )
    return _detail(request, candidate, jobs, request_form=form)


@require_POST
@member_required(*DECIDERS)
def second_chance_decide(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate(request, pk)
    if twice := _sent_twice(request, candidate):
        return twice
    jobs = _jobs(request)
    form = SecondChanceDecideForm(request.POST, candidate=candidate, jobs=jobs)
    if form.is_valid():
        try:
            event = services.second_chance_decide(
                candidate=candidate,
                decided_by=request.user,
                answering_request=True,
                **form.service_arguments(),
            )
        except services.AlreadySaved:
            messages.info(request, ALREADY_SAVED)
            return back_to(request, candidate)
        except ValidationError as exc:
            messages.info(request, " ".join(exc.messages))
            return back_to(request, candidate)
        verdict = "granted" if form.grant else "refused"
        said = outreach_services.decision_told(
            event=event,
            by=request.user,
            wanted=form.cleaned_data["email_candidate"],
            place=form.cleaned_data["place"],
        )
        return _saved(request, candidate, f"Second chance {verdict} for {candidate.name}.{said}")
    return _detail(request, candidate, jobs, decide_form=form)


@require_POST
@member_required(*RECORDERS)
def flag_set(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate(request, pk)
    form = FlagForm(request.POST)
    if form.is_valid():
        if selectors.flag_stands(candidate):
            form.add_error(None, "A do-not-resubmit flag already stands.")
        else:
            services.flag_set(
                candidate=candidate, reason=form.cleaned_data["reason"], recorded_by=request.user
            )
            return _saved(request, candidate, f"{candidate.name} is flagged: do not resubmit.")
    return _detail(request, candidate, flag_form=form)


@require_POST
@member_required(*RECORDERS)
def flag_clear(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate(request, pk)
    form = ClearFlagForm(request.POST)
    if form.is_valid():
        if not selectors.flag_stands(candidate):
            form.add_error(None, "There is no do-not-resubmit flag to clear.")
        else:
            services.flag_clear(
                candidate=candidate,
                reason=form.cleaned_data["reason"].strip(),
                recorded_by=request.user,
            )
            return _saved(request, candidate, f"The flag on {candidate.name} is cleared.")
    return _detail(request, candidate, clear_form=form)
