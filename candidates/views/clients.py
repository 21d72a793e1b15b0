"""Clients and their jobs: list, create, edit, and a job's page with its candidates.

Every member manages clients and jobs (recruiters add the job they source for, managers their
own openings, headhunters the client they pitch to): they are the organization's shared
reference data, and no role is read-only here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from .. import selectors, services
from ..access import get_for_org, member_required, org_of, scoped
from ..engine import Kind
from ..forms import ClientForm, JobForm
from ..models import Candidate, Client, Event, Job
from .common import posted

T = TypeVar("T")


def _save(form, write: Callable[[], T]) -> T | None:
    """Run a service for a valid form; a database refusal (a name taken by a concurrent
    request, a rule the model checks) becomes a form error instead of a 500."""
    try:
        return write()
    except IntegrityError:
        form.add_error(None, "Someone saved the same name a moment ago: choose another.")
    except ValidationError as exc:
        form.add_error(None, exc)
    return None


@member_required()
def client_list(request: HttpRequest) -> HttpResponse:
    clients = selectors.clients_with_jobs(scoped(Client, request))
    return render(request, "candidates/clients.html", {"clients": clients})


@member_required()
@require_http_methods(["GET", "POST"])
def client_create(request: HttpRequest) -> HttpResponse:
    organization = org_of(request)
    form = ClientForm(posted(request), organization=organization)
    if request.method == "POST" and form.is_valid():
        client = _save(
            form,
            lambda: services.client_create(
                organization=organization, name=form.cleaned_data["name"]
            ),
        )
        if client is not None:
            messages.success(request, f"Client {client.name} added. Add its first job?")
            return redirect(f"{reverse('candidates:job_create')}?client={client.pk}")
    return render(request, "candidates/clients_form.html", {"form": form, "client": None})


@member_required()
@require_http_methods(["GET", "POST"])
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_for_org(Client, request, pk=pk)
    form = ClientForm(posted(request), organization=org_of(request), instance=client)
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["name"]
        if _save(form, lambda: services.client_update(client=client, name=name)):
            messages.success(request, f"Client {client.name} saved.")
            return redirect(f"{reverse('candidates:clients')}#client-{client.pk}")
    return render(request, "candidates/clients_form.html", {"form": form, "client": client})


@member_required()
@require_http_methods(["GET", "POST"])
def job_create(request: HttpRequest) -> HttpResponse:
    organization = org_of(request)
    initial = {}
    client_id = request.GET.get("client", "")
    # isascii(): "²" is a digit to isdigit() but not a number to int() (a 500).
    if client_id.isascii() and client_id.isdigit():
        # Only a client of the organization is preselected; anything else is ignored.
        initial["client"] = scoped(Client, request).filter(pk=client_id).first()
    form = JobForm(posted(request), organization=organization, initial=initial)
    if request.method == "POST" and form.is_valid():
        job = _save(
            form, lambda: services.job_create(organization=organization, **form.cleaned_data)
        )
        if job is not None:
            messages.success(request, f"Job {job.title} ({job.client.name}) added.")
            return redirect("candidates:job_detail", pk=job.pk)
    has_clients = scoped(Client, request).exists()
    return render(
        request, "candidates/job_form.html", {"form": form, "job": None, "has_clients": has_clients}
    )


@member_required()
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_for_org(Job.objects.select_related("client"), request, pk=pk)
    candidates = list(
        selectors.job_candidates(job, scoped(Candidate, request), scoped(Event, request))
    )
    for candidate in candidates:
        candidate.latest_kind_label = Kind(candidate.latest_kind).label
    return render(
        request,
        "candidates/job.html",
        {
            "job": job,
            "candidates": candidates,
            "active_count": sum(1 for c in candidates if c.is_active),
        },
    )


@member_required()
@require_http_methods(["GET", "POST"])
def job_edit(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_for_org(Job.objects.select_related("client"), request, pk=pk)
    form = JobForm(posted(request), organization=org_of(request), instance=job)
    if (
        request.method == "POST"
        and form.is_valid()
        and _save(form, lambda: services.job_update(job=job, **form.cleaned_data))
    ):
        messages.success(request, f"Job {job.title} ({job.client.name}) saved.")
        return redirect("candidates:job_detail", pk=job.pk)
    return render(
        request, "candidates/job_form.html", {"form": form, "job": job, "has_clients": True}
    )
