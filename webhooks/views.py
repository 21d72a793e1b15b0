"""Settings → Webhooks (admins): endpoints, their secret, "send a test", the delivery log."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from candidates import services as candidate_services
from candidates.access import ADMINS, get_for_org, member_required, org_of
from candidates.views.common import secret_page

from . import selectors, services
from .forms import EndpointForm, TestForm
from .models import Delivery, Endpoint


def _save(form: EndpointForm, save) -> Endpoint | None:
    """Run the service on a valid form; its refusals land on the form's fields."""
    if not form.is_valid():
        return None
    try:
        return save(**form.cleaned_data)
    except ValidationError as exc:
        form.add_error(None, exc)
        return None


@member_required(*ADMINS)
@require_http_methods(["GET", "POST"])
def endpoint_list(request: HttpRequest) -> HttpResponse:
    organization = org_of(request)
    form = EndpointForm(request.POST if request.method == "POST" else None)
    try:
        endpoint = request.method == "POST" and _save(
            form,
            lambda **data: services.endpoint_create(
                organization=organization, by=request.user, **data
            ),
        )
    except candidate_services.AlreadySaved:
        messages.info(request, "Already added: this form was sent twice, and added one endpoint.")
        return redirect("webhooks:list")
    if endpoint:
        messages.success(request, "Endpoint added. Copy its signing secret below.")
        return redirect("webhooks:detail", endpoint.pk)
    return render(
        request,
        "webhooks/list.html",
        {"form": form, "endpoints": list(selectors.endpoints_of(organization))},
    )


@secret_page  # it shows the signing secret
@member_required(*ADMINS)
@require_http_methods(["GET", "POST"])
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_for_org(Endpoint, request, pk=pk)
    if request.method == "POST":
        form = EndpointForm(request.POST)
        if _save(form, lambda **data: services.endpoint_update(endpoint=endpoint, **data)):
            messages.success(request, "Endpoint saved.")
            return redirect("webhooks:detail", endpoint.pk)
    else:
        form = EndpointForm(
            initial={
                "url": endpoint.url,
                "events": endpoint.events,
                "description": endpoint.description,
            }
        )
    response = render(
        request,
        "webhooks/detail.html",
        {
            "endpoint": endpoint,
            "form": form,
            "test_form": TestForm(),
            "secret": services.secret_of(endpoint),
            "deliveries": selectors.delivery_log(endpoint),
            "log_size": selectors.LOG_SIZE,
        },
    )
    return response


@require_POST
@member_required(*ADMINS)
def endpoint_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_for_org(Endpoint, request, pk=pk)
    services.endpoint_delete(endpoint=endpoint)
    messages.success(request, f"{endpoint.url} removed: it receives nothing more.")
    return redirect("webhooks:list")


@require_POST
@member_required(*ADMINS)
def secret_roll(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_for_org(Endpoint, request, pk=pk)
    services.secret_roll(endpoint=endpoint)
    messages.success(request, "A new signing secret: deliveries from now on are signed with it.")
    return redirect("webhooks:detail", endpoint.pk)


@require_POST
@member_required(*ADMINS)
def test_send(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_for_org(Endpoint, request, pk=pk)
    form = TestForm(request.POST)
    submission = form.cleaned_data["submission"] if form.is_valid() else None
    try:
        services.test_send(endpoint=endpoint, by=request.user, submission=submission)
    except candidate_services.AlreadySaved:
        messages.info(request, "Already sent: this form was sent twice, and sent one test.")
    else:
        messages.success(request, "A test is on its way: its answer appears in the log below.")
    return redirect("webhooks:detail", endpoint.pk)


@require_POST
@member_required(*ADMINS)
def redeliver(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_for_org(Delivery.objects.select_related("endpoint"), request, pk=pk)
    try:
        services.redeliver(delivery=delivery)
    except ValidationError as exc:
        messages.info(request, " ".join(exc.messages))
    else:
        messages.success(request, "Sending it again, with the same event id.")
    return redirect("webhooks:detail", delivery.endpoint_id)
