"""Correcting and deleting a candidate's events and risk notes, exporting everything held
about a candidate, and erasing them.

Nothing is silently rewritten: a correction and a deletion each need a reason, and the
services keep the earlier version (django-simple-history) with who did it and why; the
candidate page's "History of changes" shows them. Who may correct a record is who may record
it (`access.may_correct_event`, `access.may_correct_note`): 403 otherwise. Another
organization's candidate, event or note is a 404, as everywhere.

Export and erasure are for the organization's admins: a GDPR-style request is answered by
someone accountable for the agency's data.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import privacy, services
from ..access import ADMINS, get_for_org, may_correct_event, may_correct_note, member_required
from ..engine import Kind
from ..forms import DeleteForm, EraseForm, EventEditForm, RiskNoteEditForm
from ..models import Candidate, Event, RiskNote
from .candidates import _candidate, _jobs
from .common import posted

log = logging.getLogger("recovery.privacy")


# --- Events -------------------------------------------------------------------------------


def _event(request: HttpRequest, candidate: Candidate, event_pk: int) -> Event:
    event = get_for_org(
        Event.objects.select_related("job__client", "recorded_by"),
        request,
        pk=event_pk,
        candidate=candidate,
    )
    if not may_correct_event(request.user, event):
        raise PermissionDenied("Your role cannot correct this event.")
    return event


def _event_page(request, candidate, event, form, delete_form) -> HttpResponse:
    return render(
        request,
        "candidates/record_edit.html",
        {
            "candidate": candidate,
            "what": "event",
            "title": f"{Kind(event.kind).label} on {event.occurred_on:%-d %b %Y}",
            "form": form,
            "delete_form": delete_form,
            "delete_url": "candidates:event_delete",
            "record": event,
        },
    )


@member_required()
@require_http_methods(["GET", "POST"])
def event_edit(request: HttpRequest, pk: int, event_pk: int) -> HttpResponse:
    candidate = _candidate(request, pk)
    event = _event(request, candidate, event_pk)
    form = EventEditForm(posted(request), event=event, jobs=_jobs(request))
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        if not changes:
            messages.info(request, "Nothing changed: the event is as it was.")
            return redirect(candidate)
        try:
            services.event_update(
                event=event,
                updated_by=request.user,
                change_reason=form.cleaned_data["change_reason"],
                **changes,
            )
        except ValidationError as exc:
            event.refresh_from_db()
            form.add_error(None, exc.messages)
        else:
            messages.success(
                request, "Event corrected. The earlier version is kept in the history of changes."
            )
            return redirect(candidate)
    return _event_page(request, candidate, event, form, DeleteForm())


@require_POST
@member_required()
def event_delete(request: HttpRequest, pk: int, event_pk: int) -> HttpResponse:
    candidate = _candidate(request, pk)
    event = _event(request, candidate, event_pk)
    form = DeleteForm(request.POST)
    if form.is_valid():
        label = f"{Kind(event.kind).label} on {event.occurred_on:%-d %b %Y}"
        services.event_delete(
            event=event, reason=form.cleaned_data["reason"], deleted_by=request.user
        )
        messages.success(request, f"“{label}” deleted. The history keeps it and your reason.")
        return redirect(candidate)
    return _event_page(
        request, candidate, event, EventEditForm(event=event, jobs=_jobs(request)), form
    )


# --- Risk notes ---------------------------------------------------------------------------


def _note(request: HttpRequest, candidate: Candidate, note_pk: int) -> RiskNote:
    note = get_for_org(
        RiskNote.objects.select_related("author"), request, pk=note_pk, candidate=candidate
    )
    if not may_correct_note(request.user, note):
        raise PermissionDenied("Only the note's author or an admin can correct it.")
    return note


def _note_page(request, candidate, note, form, delete_form) -> HttpResponse:
    return render(
        request,
        "candidates/record_edit.html",
        {
            "candidate": candidate,
            "what": "risk note",
            "title": f"{note.get_dimension_display()} note of {note.noted_on:%-d %b %Y}",
            "form": form,
            "delete_form": delete_form,
            "delete_url": "candidates:note_delete",
            "record": note,
        },
    )


@member_required()
@require_http_methods(["GET", "POST"])
def note_edit(request: HttpRequest, pk: int, note_pk: int) -> HttpResponse:
    candidate = _candidate(request, pk)
    note = _note(request, candidate, note_pk)
    form = RiskNoteEditForm(posted(request), risk_note=note)
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        if not changes:
            messages.info(request, "Nothing changed: the note is as it was.")
            return redirect(candidate)
        try:
            services.risk_note_update(
                risk_note=note,
                updated_by=request.user,
                change_reason=form.cleaned_data["change_reason"],
                **changes,
            )
        except ValidationError as exc:
            note.refresh_from_db()
            form.add_error(None, exc.messages)
        else:
            messages.success(
                request,
                "Risk note corrected. The earlier version is kept in the history of changes.",
            )
            return redirect(candidate)
    return _note_page(request, candidate, note, form, DeleteForm())


@require_POST
@member_required()
def note_delete(request: HttpRequest, pk: int, note_pk: int) -> HttpResponse:
    candidate = _candidate(request, pk)
    note = _note(request, candidate, note_pk)
    form = DeleteForm(request.POST)
    if form.is_valid():
        services.risk_note_delete(
            risk_note=note, reason=form.cleaned_data["reason"], deleted_by=request.user
        )
        messages.success(request, "Risk note deleted. The history keeps it and your reason.")
        return redirect(candidate)
    return _note_page(request, candidate, note, RiskNoteEditForm(risk_note=note), form)


# --- Export and erasure -------------------------------------------------------------------


@never_cache
@member_required(*ADMINS)
@require_safe
def candidate_export_json(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything held about the candidate, as a JSON download (privacy.export_candidate)."""
    candidate = get_for_org(Candidate, request, pk=pk)
    data = privacy.export_candidate(candidate)
    log.warning(
        "candidate exported id=%s organization=%s by=%s",
        candidate.pk,
        candidate.organization_id,
        request.user.pk,
    )
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="candidate-{candidate.pk}.json"'
    return response


@member_required(*ADMINS)
@require_http_methods(["GET", "POST"])
def candidate_erase(request: HttpRequest, pk: int) -> HttpResponse:
    """A confirmation page with the reason; the POST erases (privacy.erase_candidate)."""
    candidate = get_for_org(Candidate, request, pk=pk)
    if privacy.is_erased(candidate):
        messages.info(request, f"{candidate.name} is already erased.")
        return redirect(candidate)
    form = EraseForm(posted(request))
    if request.method == "POST" and form.is_valid():
        erased = privacy.erase_candidate(
            candidate=candidate, erased_by=request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(
            request,
            f"Erased. This candidate is now “{erased.name}”: their events still count in "
            "your numbers; their name, email, phone and every note about them are gone.",
        )
        return redirect(erased)
    return render(
        request, "candidates/candidate_erase.html", {"candidate": candidate, "form": form}
    )
