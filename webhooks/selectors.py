"""Reads for the webhook pages: a fixed number of queries whatever the log's size."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from candidates.models import Organization

from .models import Delivery, DeliveryAttempt, Endpoint

LOG_SIZE = 50


def endpoints_of(organization: Organization) -> QuerySet[Endpoint]:
    return Endpoint.objects.filter(organization=organization).annotate(
        pending=Count("deliveries", filter=Q(deliveries__state="pending")),
        failed=Count("deliveries", filter=Q(deliveries__state="failed")),
    )


def delivery_log(endpoint: Endpoint) -> list[Delivery]:
    """The endpoint's latest deliveries, each with its attempts: two queries."""
    return list(
        endpoint.deliveries.order_by("-created_at", "-id").prefetch_related(
            Prefetch("log", queryset=DeliveryAttempt.objects.order_by("started_at", "id"))
        )[:LOG_SIZE]
    )
