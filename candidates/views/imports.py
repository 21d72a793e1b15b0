"""The import page: the same importer as `manage.py import_history`, through an upload."""

from __future__ import annotations

import io

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ..access import RECORDERS, member_required, org_of
from ..forms import IMPORT_MAX_BYTES, ImportForm
from ..importer import import_history

WARNINGS_SHOWN = 20


def _summary(result) -> str:
    parts = [
        (result.candidates_created, "candidate", "candidates"),
        (result.clients_created, "client", "clients"),
        (result.jobs_created, "job", "jobs"),
        (result.events_created, "event", "events"),
        (result.notes_created, "risk note", "risk notes"),
    ]
    added = ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in parts)
    text = f"Imported: {added}."
    skipped = result.duplicates_skipped
    if skipped:
        text += f" {skipped} {'row was' if skipped == 1 else 'rows were'} already there: skipped."
    return text


@member_required(*RECORDERS)
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload the events CSV and, optionally, the risk-notes CSV. All or nothing: a bad file
    lists every bad line and writes nothing."""
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    result = None
    if request.method == "POST" and form.is_valid():
        notes = form.cleaned_data["risk_notes"]
        result = import_history(
            organization=org_of(request),
            # newline="": the csv module splits rows itself (a quoted note may hold a newline).
            events=io.StringIO(form.cleaned_data["events"], newline=""),
            risk_notes=io.StringIO(notes, newline="") if notes is not None else None,
            recorded_by=request.user,
        )
        if result.ok:
            messages.success(request, _summary(result))
            # A new candidate who is probably someone already here: named, line by line.
            for warning in result.warnings[:WARNINGS_SHOWN]:
                messages.warning(request, f"Line {warning.line}: {warning.message}.")
            if len(result.warnings) > WARNINGS_SHOWN:
                more = len(result.warnings) - WARNINGS_SHOWN
                messages.warning(request, f"And {more} more probable duplicates.")
            return redirect("candidates:import")
    return render(
        request,
        "candidates/import.html",
        {"form": form, "result": result, "max_mb": IMPORT_MAX_BYTES // 1024 // 1024},
    )
