"""Many people logging events and notes for the same candidate at the same moment: nothing is
lost, and the stored status is the engine's answer for everything that was written.

Each thread has its own database connection (Django's connections are per thread), so this
needs real transactions: `django_db(transaction=True)`. It runs on PostgreSQL in CI (row locks)
and on SQLite too (one writer at a time, IMMEDIATE transactions, a 20 s busy timeout).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from candidates import services
from candidates.engine import Kind, Reason, evaluate
from candidates.models import Candidate, Event, RiskNote, Role

from .factories import CandidateFactory, ClientFactory, JobFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8
WRITES_PER_THREAD = 12  # an even number: half events, half notes
# Only missteps, all live: every event changes the stored count of live missteps, so a
# status computed without one of them cannot pass for the engine's.
KINDS = [Kind.LATE, Kind.DECLINED_INTERVIEW, Kind.NO_SHOW, Kind.WITHDREW, Kind.BLEW_INTERVIEW]


def run_together(
    work: Callable[[int, Callable[[], None]], None], threads: int = THREADS
) -> list[BaseException]:
    """Run work(n, together) for n in 0..threads-1, each in its own thread; `together()`
    waits until every thread calls it, so that the writes after it start at the same
    instant (the last round especially: the stored status is whatever its last commit left).
    Returns the errors."""
    barrier = threading.Barrier(threads, timeout=60)
    errors: list[BaseException] = []

    def body(n: int) -> None:
        try:
            work(n, barrier.wait)
        except BaseException as exc:  # reported by the test, whatever it is
            errors.append(exc)
            barrier.abort()
        finally:
            connection.close()

    pool = [threading.Thread(target=body, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in pool), "a writer is stuck"
    return errors


def assert_stored_status_is_the_engines(candidate: Candidate) -> None:
    candidate.refresh_from_db()
    events, notes = services.facts_for([candidate.pk])[candidate.pk]
    expected = evaluate(events, notes, as_of=services.today())
    assert (
        candidate.status,
        candidate.risk_score,
        candidate.advice,
        candidate.live_missteps,
        candidate.explanation,
    ) == (
        expected.status,
        expected.risk_score,
        expected.advice,
        expected.live_missteps,
        expected.explanation,
    )


def test_concurrent_events_and_notes_for_one_candidate_lose_nothing():
    org_job = JobFactory(client=ClientFactory(name="Acme"), title="Welder")
    org = org_job.organization
    candidate = services.candidate_create(organization=org, email="c@example.com", name="C")
    writers = [
        UserFactory(organization=org, role=Role.RECRUITER, username=f"w{n}@example.com")
        for n in range(THREADS)
    ]
    today = services.today()

    def work(n: int, together: Callable[[], None]) -> None:
        target = Candidate.objects.get(pk=candidate.pk)
        for i in range(WRITES_PER_THREAD):
            together()
            # Notes, then events, in turn: the last round is events, each of which changes
            # the stored count of live missteps.
            if i % 2 == 1:
                kind = KINDS[(n + i) % len(KINDS)]
                services.event_log(
                    candidate=target,
                    kind=kind,
                    occurred_on=today - timedelta(days=30 * ((n + i) % 20)),
                    reason=Reason.COMMUTE,
                    notes=f"writer {n} event {i}",
                    job=org_job,
                    recorded_by=writers[n],
                )
            else:
                services.risk_note_add(
                    candidate=target,
                    dimension=["flakiness", "commute", "trust"][(n + i) % 3],
                    level=1 + (n + i) % 5,
                    author=writers[n],
                    noted_on=today - timedelta(days=i),
                    note=f"writer {n} note {i}",
                )

    errors = run_together(work)

    assert errors == []
    events_each = notes_each = WRITES_PER_THREAD // 2
    rounds = range(WRITES_PER_THREAD)
    expected_events = {f"writer {n} event {i}" for n in range(THREADS) for i in rounds[1::2]}
    expected_notes = {f"writer {n} note {i}" for n in range(THREADS) for i in rounds[::2]}
    assert set(Event.objects.filter(candidate=candidate).values_list("notes", flat=True)) == (
        expected_events
    )
    assert set(RiskNote.objects.filter(candidate=candidate).values_list("note", flat=True)) == (
        expected_notes
    )
    assert Event.objects.filter(candidate=candidate).count() == THREADS * events_each
    assert RiskNote.objects.filter(candidate=candidate).count() == THREADS * notes_each
    # The audit trail lost nothing either: one "created" row per write.
    assert Event.history.filter(candidate_id=candidate.pk).count() == THREADS * events_each
    assert RiskNote.history.filter(candidate_id=candidate.pk).count() == THREADS * notes_each
    assert_stored_status_is_the_engines(candidate)
    assert candidate.live_missteps == THREADS * events_each


def test_concurrent_corrections_deletions_and_new_events_lose_nothing():
    """Editors and deleters race with people logging new events on the same candidate."""
    candidate = CandidateFactory(email="d@example.com")
    org = candidate.organization
    recorder = UserFactory(organization=org, role=Role.RECRUITER)
    first = date(2026, 1, 5)
    existing = [
        services.event_log(
            candidate=candidate,
            kind=Kind.NO_SHOW,
            occurred_on=first + timedelta(days=i),
            reason=Reason.UNKNOWN,
            recorded_by=recorder,
        )
        for i in range(THREADS)
    ]
    deleted_ids = {e.pk for e in existing[::2]}

    def work(n: int, together: Callable[[], None]) -> None:
        event = Event.objects.get(pk=existing[n].pk)
        together()
        if n % 2 == 0:
            services.event_delete(event=event, reason=f"duplicate {n}", deleted_by=recorder)
        else:
            services.event_update(event=event, updated_by=recorder, kind=Kind.LATE)
        for i in range(WRITES_PER_THREAD // 2):
            together()
            services.event_log(
                candidate=Candidate.objects.get(pk=candidate.pk),
                kind=Kind.ATTENDED,
                occurred_on=first + timedelta(days=40 + i),
                notes=f"{n}-{i}",
                recorded_by=recorder,
            )

    errors = run_together(work)

    assert errors == []
    remaining = Event.objects.filter(candidate=candidate)
    assert not remaining.filter(pk__in=deleted_ids).exists()
    assert set(remaining.filter(kind=Kind.LATE).values_list("pk", flat=True)) == {
        e.pk for e in existing[1::2]
    }
    assert remaining.filter(kind=Kind.ATTENDED).count() == THREADS * (WRITES_PER_THREAD // 2)
    reasons = set(
        Event.history.filter(history_type="-", candidate_id=candidate.pk).values_list(
            "history_change_reason", flat=True
        )
    )
    assert reasons == {f"duplicate {n}" for n in range(0, THREADS, 2)}
    assert_stored_status_is_the_engines(candidate)


def test_an_event_for_a_candidate_deleted_meanwhile_is_refused_with_a_reason():
    """A member's form outlives the candidate (an admin deleted it a moment before): the write
    is refused with words, as a form error, and nothing is stored; never a broken write."""
    candidate = CandidateFactory()
    Candidate.objects.filter(pk=candidate.pk).delete()
    with pytest.raises(ValidationError, match="no longer exists"):
        services.event_log(
            candidate=candidate, kind=Kind.LATE, occurred_on=date.today(), reason=Reason.COMMUTE
        )
    assert not Event.objects.exists()
