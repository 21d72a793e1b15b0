"""The recovery report: every candidate of an organization as the engine sees them on a date.

Computed from the events and notes with the engine, never from the stored status columns: the
as-of date may be in the past (what did we know on 1 March?), and the stored columns are only
right as of the day they were last evaluated.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date

from . import csvsafe, services
from .engine import evaluate
from .models import Candidate, Organization

# The columns, in order, of both formats.
FIELDS = (
    "email",
    "name",
    "status",
    "risk_score",
    "advice",
    "missteps",
    "explanation",
    "owner_email",
    "rating",
    "last_event_on",
    "last_misstep_on",
)

# Candidates evaluated per round of queries, so memory stays flat for a large organization.
CHUNK = 2000


@dataclass(frozen=True)
class ReportRow:
    email: str
    name: str
    status: str
    risk_score: int
    advice: str
    missteps: int  # live missteps as of the report's date
    explanation: list[str]
    owner_email: str
    rating: int | None
    last_event_on: date | None  # latest event on or before the report's date
    last_misstep_on: date | None  # latest live misstep


def recovery_report(*, organization: Organization, as_of: date) -> list[ReportRow]:
    """One row per candidate of the organization, sorted by email; three queries per chunk."""
    candidates = list(
        Candidate.objects.for_org(organization)
        .select_related("owner")
        .order_by("email", "pk")
        .only("pk", "email", "name", "rating", "owner__email")
    )
    rows: list[ReportRow] = []
    for start in range(0, len(candidates), CHUNK):
        chunk = candidates[start : start + CHUNK]
        facts = services.facts_for(c.pk for c in chunk)
        for candidate in chunk:
            events, notes = facts[candidate.pk]
            result = evaluate(events, notes, as_of=as_of)
            seen = [e.occurred_on for e in events if e.occurred_on <= as_of]
            rows.append(
                ReportRow(
                    email=candidate.email,
                    name=candidate.name,
                    status=result.status.value,
                    risk_score=result.risk_score,
                    advice=result.advice.value,
                    missteps=result.live_missteps,
                    explanation=list(result.explanation),
                    owner_email=candidate.owner.email if candidate.owner else "",
                    rating=candidate.rating,
                    last_event_on=max(seen, default=None),
                    last_misstep_on=result.last_misstep_on,
                )
            )
    # Emails are stored lowercased, but sort in Python too: databases collate differently.
    rows.sort(key=lambda r: r.email)
    return rows


def _plain(row: ReportRow) -> dict:
    data = asdict(row)
    for key in ("last_event_on", "last_misstep_on"):
        data[key] = data[key].isoformat() if data[key] else None
    return data


def as_json(rows: Sequence[ReportRow], *, as_of: date) -> str:
    """`{"as_of": "YYYY-MM-DD", "candidates": [...]}`."""
    return json.dumps(
        {"as_of": as_of.isoformat(), "candidates": [_plain(r) for r in rows]},
        ensure_ascii=False,
        indent=2,
    )


def as_csv(rows: Sequence[ReportRow]) -> str:
    """The same fields as the JSON, one row per candidate; the explanation joined with " | ".
    A cell a spreadsheet would run as a formula is written as text (candidates/csvsafe.py)."""
    out = io.StringIO()
    writer = csvsafe.Writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for row in rows:
        data = _plain(row)
        data["explanation"] = " | ".join(row.explanation)
        writer.writerow(data[f] for f in FIELDS)
    return out.getvalue()
