"""Insights: where a person would rather look than read. Four charts, drawn on the server
as SVG (`charts.py`), each with its numbers as a table, and two counts beside them (what became
of reconsiderations, and the guards' overrides): a fixed number of queries."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from .. import charts, selectors, services
from ..access import member_required, org_of, scoped
from ..engine import Status
from ..models import Event

OUTCOME_MONTHS = 12
STATUS_ORDER = [
    Status.CLEAN,
    Status.RECOVERED,
    Status.REJECTED,
    Status.SECOND_CHANCE,
    Status.REQUESTED,
    Status.REFUSED,
    Status.STUMBLED,
    Status.BURNED,
]


@member_required()
@require_http_methods(["GET"])
def insights(request: HttpRequest) -> HttpResponse:
    statuses = selectors.status_counts(org_of(request))
    reasons = selectors.misstep_reason_counts(scoped(Event, request))
    rejections = selectors.rejection_reason_counts(scoped(Event, request))
    reconsiderations = selectors.reconsiderations(scoped(Event, request), today=services.today())
    overrides = selectors.override_count(scoped(Event, request))
    outcomes = selectors.second_chance_outcomes(
        scoped(Event, request), today=services.today(), months=OUTCOME_MONTHS
    )

    # From the best place to be to the worst, rather than the contract's rule order.
    by_status = sorted(statuses["by_status"], key=lambda row: STATUS_ORDER.index(row["status"]))
    # Months before the first grant in the window say nothing: start the picture there.
    first = next((i for i, month in enumerate(outcomes) if month.total), len(outcomes))
    outcomes = outcomes[first:]
    status_chart = charts.bar_chart(
        "Candidates by status",
        [
            charts.Bar(row["label"], row["count"], charts.PALETTE[row["status"]])
            for row in by_status
        ],
    )
    misstep_total = sum(row["count"] for row in reasons)
    reason_chart = charts.bar_chart(
        "Missteps by reason", [charts.Bar(row["label"], row["count"]) for row in reasons]
    )
    rejection_total = sum(row["count"] for row in rejections)
    rejection_chart = charts.bar_chart(
        "Rejections by reason", [charts.Bar(row["label"], row["count"]) for row in rejections]
    )
    series = [charts.Series(key, label, charts.PALETTE[key]) for key, label in selectors.OUTCOMES]
    outcome_chart = charts.stacked_bar_chart(
        f"Second chances granted in the last {OUTCOME_MONTHS} months, and what became of them",
        [
            charts.StackedBar(
                f"{month.month:%b %Y}",
                {"recovered": month.recovered, "burned": month.burned, "pending": month.pending},
            )
            for month in outcomes
        ],
        series,
    )
    granted = {
        "recovered": sum(m.recovered for m in outcomes),
        "burned": sum(m.burned for m in outcomes),
        "pending": sum(m.pending for m in outcomes),
    }
    granted["total"] = sum(granted.values())
    commute = next((row["count"] for row in reasons if row["reason"] == "commute"), 0)
    return render(
        request,
        "candidates/insights.html",
        {
            "statuses": statuses,
            "by_status": by_status,
            "reasons": reasons,
            "outcomes": outcomes,
            "status_chart": status_chart,
            "reason_chart": reason_chart,
            "outcome_chart": outcome_chart,
            "misstep_total": misstep_total,
            "rejections": rejections,
            "rejection_chart": rejection_chart,
            "rejection_total": rejection_total,
            "reconsiderations": reconsiderations,
            "overrides": overrides,
            "commute": commute,
            "granted": granted,
            "months": OUTCOME_MONTHS,
        },
    )
