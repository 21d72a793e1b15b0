"""The import page: the files are checked in the request (all or nothing: every bad line is
listed and nothing is written), then written by a worker, an `ImportJob` whose progress the
page shows (`?job=ID`, reloaded every few seconds while it runs)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from .. import importer
from ..access import RECORDERS, get_for_org, member_required, org_of, scoped
from ..clock import latest_date
from ..engine import LEVEL_MAX, LEVEL_MIN, Dimension, Reason, RejectionReason
from ..forms import IMPORT_MAX_BYTES, ImportForm
from ..models import ImportJob

RECENT_JOBS = 5
WARNINGS_SHOWN = 20
REFRESH_SECONDS = 2


def _jobs(request: HttpRequest):
    # Never the files themselves: up to 10 MB each.
    return scoped(ImportJob, request).select_related("created_by").defer("events_csv", "notes_csv")


@member_required(*RECORDERS)
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload the events CSV and, optionally, the risk-notes CSV."""
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    result = None
    if request.method == "POST" and form.is_valid():
        organization = org_of(request)
        events, notes = form.cleaned_data["events"], form.cleaned_data["risk_notes"]
        plan = importer.check(
            organization=organization, events=events, risk_notes=notes, recorded_by=request.user
        )
        if plan.ok:
            job = importer.start_job(
                organization=organization,
                created_by=request.user,
                plan=plan,
                events=events,
                risk_notes=notes,
                events_name=request.FILES["events"].name,
                notes_name=request.FILES["risk_notes"].name if notes is not None else "",
            )
            # A new candidate who is probably someone already here: named, line by line.
            for warning in plan.warnings[:WARNINGS_SHOWN]:
                messages.warning(request, f"Line {warning.line}: {warning.message}.")
            if len(plan.warnings) > WARNINGS_SHOWN:
                more = len(plan.warnings) - WARNINGS_SHOWN
                messages.warning(request, f"And {more} more probable duplicates.")
            return redirect(f"{reverse('candidates:import')}?job={job.pk}")
        result = plan.failure()
    job = None
    if "job" in request.GET:
        # Another organization's job, or no number: 404.
        job = get_for_org(
            ImportJob.objects.select_related("created_by").defer("events_csv", "notes_csv"),
            request,
            pk=request.GET["job"],
        )
    return render(
        request,
        "candidates/import.html",
        {
            "form": form,
            "result": result,
            "job": job,
            "recent_jobs": [j for j in _jobs(request)[:RECENT_JOBS] if j != job],
            "refresh": REFRESH_SECONDS if job is not None and job.is_open else None,
            "max_mb": IMPORT_MAX_BYTES // 1024 // 1024,
            "user_email": request.user.email,
            **_guide(),
        },
    )


def _guide() -> dict:
    """What the page says about the files, from the importer's and the engine's own lists."""
    return {
        "kind_groups": importer.kind_groups(),
        "reasons": [r.value for r in Reason],
        "employer_reasons": [r.value for r in RejectionReason],
        "dimensions": [d.value for d in Dimension],
        "level_min": LEVEL_MIN,
        "level_max": LEVEL_MAX,
        # The member's own day when theirs has begun (the rule the forms and the import use).
        "latest_date": latest_date(),
        "events_example": "\n".join(importer.events_template().splitlines()),
        "notes_example": "\n".join(importer.notes_example().splitlines()),
    }


TEMPLATE_FILENAME = "recovery-events-template.csv"


@member_required(*RECORDERS)
@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    """The events file's header and a few good rows, to fill in (the page's example)."""
    response = HttpResponse(importer.events_template(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{TEMPLATE_FILENAME}"'
    return response
