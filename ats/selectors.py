"""The reads of the ATS pages, each for one organization."""

from __future__ import annotations

from django.db.models import QuerySet

from candidates.models import Organization

from .models import InboundItem, InboundSource, ItemState, ReasonMapping

REVIEW_PAGE = 100


def sources(organization: Organization) -> list[InboundSource]:
    return list(InboundSource.objects.filter(organization=organization))


def mappings(organization: Organization) -> list[ReasonMapping]:
    return list(ReasonMapping.objects.filter(organization=organization))


def waiting(organization: Organization) -> QuerySet[InboundItem]:
    return InboundItem.objects.filter(organization=organization, state=ItemState.NEEDS_REVIEW)


def review_page(organization: Organization) -> dict:
    """The items waiting for review, oldest first (at most REVIEW_PAGE), their count, and the
    latest ones dealt with."""
    items = list(
        waiting(organization).select_related("source").order_by("created_at", "id")[:REVIEW_PAGE]
    )
    done = list(
        InboundItem.objects.filter(organization=organization)
        .exclude(state=ItemState.NEEDS_REVIEW)
        .select_related("source", "event__candidate", "resolved_by")
        .order_by("-created_at", "-id")[:20]
    )
    return {"items": items, "count": waiting(organization).count(), "done": done}
