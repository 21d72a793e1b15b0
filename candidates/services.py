"""Writes. Every change to candidates, events and risk notes goes through a function here,
whether it comes from a view, the admin, the importer or a command, so that the stored
recovery status is re-evaluated in the same transaction as the write that changes it.

Services take keyword-only arguments, validate with `full_clean()`, and run atomically.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .engine import Evaluation, EventFact, Kind, NoteFact, evaluate
from .models import Candidate, Event, Job, Organization, RiskNote, User


def today() -> date:
    return timezone.localdate()


# --- Keeping the stored status in step ----------------------------------------------------


def facts_for(candidate_ids: Iterable[int]) -> dict[int, tuple[list[EventFact], list[NoteFact]]]:
    """Every candidate's events and notes as engine facts, in two queries in all."""
    ids = list(candidate_ids)
    facts: dict[int, tuple[list[EventFact], list[NoteFact]]] = {i: ([], []) for i in ids}
    events = (
        Event.objects.filter(candidate_id__in=ids)
        .select_related("job__client")
        .order_by("candidate_id", "occurred_on", "id")
    )
    for event in events.iterator(chunk_size=5000):
        facts[event.candidate_id][0].append(event.as_fact())
    notes = RiskNote.objects.filter(candidate_id__in=ids).order_by("candidate_id", "noted_on", "id")
    for note in notes.iterator(chunk_size=5000):
        facts[note.candidate_id][1].append(note.as_fact())
    return facts


def _apply(candidate: Candidate, result: Evaluation, last_event_on: date | None) -> None:
    candidate.status = result.status
    candidate.risk_score = result.risk_score
    candidate.advice = result.advice
    candidate.live_missteps = result.live_missteps
    candidate.explanation = result.explanation
    candidate.last_event_on = last_event_on
    candidate.status_as_of = result.as_of
    candidate.status_changes_on = result.changes_on


STORED_FIELDS = [
    "status",
    "risk_score",
    "advice",
    "live_missteps",
    "explanation",
    "last_event_on",
    "status_as_of",
    "status_changes_on",
]


def reevaluate(candidate_ids: Iterable[int], *, as_of: date | None = None) -> int:
    """Run the engine for these candidates and store its result; returns how many."""
    as_of = as_of or today()
    ids = sorted(set(candidate_ids))
    if not ids:
        return 0
    with transaction.atomic():
        # Lock first, read second: a concurrent writer's event is committed before we read,
        # so two writers for one candidate cannot store a status that misses either event.
        candidates = list(Candidate.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        facts = facts_for(ids)
        last_dates = dict(
            Event.objects.filter(candidate_id__in=ids, occurred_on__lte=as_of)
            .values("candidate_id")
            .annotate(last=Max("occurred_on"))
            .values_list("candidate_id", "last")
        )
        for candidate in candidates:
            events, notes = facts[candidate.pk]
            result = evaluate(events, notes, as_of=as_of)
            _apply(candidate, result, last_dates.get(candidate.pk))
        Candidate.objects.bulk_update(candidates, STORED_FIELDS, batch_size=1000)
    return len(candidates)


def reevaluate_due(*, as_of: date | None = None, batch_size: int = 2000) -> int:
    """Re-evaluate the candidates whose result the passing of time may have changed."""
    as_of = as_of or today()
    done = 0
    while True:
        ids = list(
            Candidate.objects.due_for_reevaluation(as_of)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return done
        done += reevaluate(ids, as_of=as_of)


# --- Candidates ---------------------------------------------------------------------------


@transaction.atomic
def candidate_create(
    *,
    organization: Organization,
    email: str,
    name: str,
    owner: User | None = None,
    rating: int | None = None,
    phone: str = "",
) -> Candidate:
    candidate = Candidate(
        organization=organization,
        email=email.strip().lower(),
        name=name.strip(),
        owner=owner,
        rating=rating,
        phone=phone.strip(),
    )
    candidate.full_clean()
    candidate.save()
    reevaluate([candidate.pk])
    candidate.refresh_from_db()
    return candidate


@transaction.atomic
def candidate_update(*, candidate: Candidate, **fields) -> Candidate:
    for name, value in fields.items():
        setattr(candidate, name, value)
    candidate.full_clean()
    candidate.save()
    return candidate


# --- Events and notes ---------------------------------------------------------------------


@transaction.atomic
def event_log(
    *,
    candidate: Candidate,
    kind: str,
    occurred_on: date,
    reason: str = "",
    notes: str = "",
    job: Job | None = None,
    recorded_by: User | None = None,
    interview_at: datetime | None = None,
) -> Event:
    """Record one event of a candidate's history and re-evaluate the candidate."""
    if job is not None and job.organization_id != candidate.organization_id:
        raise ValueError("The job belongs to another organization.")
    event = Event(
        candidate=candidate,
        kind=kind,
        occurred_on=occurred_on,
        reason=reason,
        notes=notes,
        job=job,
        recorded_by=recorded_by,
        interview_at=interview_at,
    )
    event.full_clean()
    event.save()
    reevaluate([candidate.pk])
    return event


@transaction.atomic
def risk_note_add(
    *,
    candidate: Candidate,
    dimension: str,
    level: int,
    author: User | None = None,
    author_email: str = "",
    noted_on: date | None = None,
    note: str = "",
) -> RiskNote:
    risk_note = RiskNote(
        candidate=candidate,
        dimension=dimension,
        level=level,
        author=author,
        author_email=(author_email or (author.email if author else "")).strip().lower(),
        noted_on=noted_on or today(),
        note=note,
    )
    risk_note.full_clean()
    risk_note.save()
    reevaluate([candidate.pk])
    return risk_note


def second_chance_request(
    *,
    candidate: Candidate,
    pitch: str,
    recorded_by: User | None = None,
    job: Job | None = None,
    occurred_on: date | None = None,
) -> Event:
    return event_log(
        candidate=candidate,
        kind=Kind.SECOND_CHANCE_REQUESTED,
        occurred_on=occurred_on or today(),
        notes=pitch,
        job=job,
        recorded_by=recorded_by,
    )


def second_chance_decide(
    *,
    candidate: Candidate,
    grant: bool,
    decided_by: User | None = None,
    note: str = "",
    job: Job | None = None,
    occurred_on: date | None = None,
    interview_at: datetime | None = None,
) -> Event:
    return event_log(
        candidate=candidate,
        kind=Kind.SECOND_CHANCE_GRANTED if grant else Kind.SECOND_CHANCE_REFUSED,
        occurred_on=occurred_on or today(),
        notes=note,
        job=job,
        recorded_by=decided_by,
        interview_at=interview_at if grant else None,
    )


def flag_set(
    *, candidate: Candidate, reason: str, recorded_by: User | None = None, occurred_on=None
) -> Event:
    return event_log(
        candidate=candidate,
        kind=Kind.DO_NOT_RESUBMIT,
        occurred_on=occurred_on or today(),
        notes=reason,
        recorded_by=recorded_by,
    )


def flag_clear(
    *, candidate: Candidate, reason: str = "", recorded_by: User | None = None, occurred_on=None
) -> Event:
    return event_log(
        candidate=candidate,
        kind=Kind.FLAG_CLEARED,
        occurred_on=occurred_on or today(),
        notes=reason,
        recorded_by=recorded_by,
    )
