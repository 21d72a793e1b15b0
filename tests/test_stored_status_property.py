"""What the pages filter and sort on is what the engine says.

Lists filter and sort on the result stored with each candidate (status, risk, advice, live
missteps), so that 100,000 candidates need no engine run per row. These properties hold that
stored result to the engine: on random histories written through every write path (the
services, the importer, edits and deletions), and after the passing of time, when only the
daily `services.reevaluate_due()` runs and must pick every candidate whose result changed.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks import seed as bench_seed
from candidates import importer, services
from candidates.engine import (
    GUARDED_KINDS,
    MISSTEPS,
    Dimension,
    Kind,
    Reason,
    RejectionReason,
    Status,
    evaluate,
)
from candidates.models import Candidate, Event, Organization

from .factories import OrganizationFactory

pytestmark = pytest.mark.django_db

# Start days with calendar traps: month ends, a leap day, the 31st.
START_DAYS = [date(2026, 2, 28), date(2024, 2, 29), date(2026, 8, 31), date(2026, 3, 31)]
FLAG_KINDS = {Kind.DO_NOT_RESUBMIT, Kind.FLAG_CLEARED}
AUTHORS = ["rita@northwind.test", "hugo@northwind.test", "former@northwind.test"]

# Missteps and second-chance kinds come up more often than the rest: they decide statuses.
KINDS = st.one_of(
    st.sampled_from(sorted(MISSTEPS)),
    st.sampled_from(
        [Kind.SECOND_CHANCE_REQUESTED, Kind.SECOND_CHANCE_GRANTED, Kind.SECOND_CHANCE_REFUSED]
    ),
    st.sampled_from(list(Kind)),
)
# Day offsets from the start day: up to three years back, and a little into the future
# (a future-dated event must come into view on its day).
OFFSETS = st.integers(min_value=-1100, max_value=40)

EVENT = st.tuples(KINDS, OFFSETS, st.sampled_from(list(Reason)), st.integers(0, 1))
NOTE = st.tuples(
    st.sampled_from(list(Dimension)), st.integers(1, 5), st.sampled_from(AUTHORS), OFFSETS
)


def reason_of(kind: Kind, reason: Reason) -> str:
    """The drawn reason where the kind takes one: a misstep's, or (for `rejected`) the
    employer's reason at the same place in its list."""
    if kind in MISSTEPS:
        return reason
    if kind == Kind.REJECTED:
        employer = list(RejectionReason)
        return employer[list(Reason).index(reason) % len(employer)]
    return ""


CANDIDATE = st.fixed_dictionaries(
    {
        "events": st.lists(EVENT, max_size=7),
        "notes": st.lists(NOTE, max_size=3),
        # How the history arrives; "edited" also corrects and deletes through the services.
        "path": st.sampled_from(["services", "importer", "edited"]),
    }
)


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), UTC)


def stored(candidate: Candidate) -> tuple:
    return (
        candidate.status,
        candidate.risk_score,
        candidate.advice,
        candidate.live_missteps,
        candidate.explanation,
        candidate.last_event_on,
        candidate.requested_on,
    )


def engine_says(candidate: Candidate, as_of: date) -> tuple:
    events = list(candidate.events.select_related("job__client"))
    notes = list(candidate.risk_notes.all())
    result = evaluate([e.as_fact() for e in events], [n.as_fact() for n in notes], as_of=as_of)
    seen = [e for e in events if e.occurred_on <= as_of]
    asked = [e.occurred_on for e in seen if e.kind == Kind.SECOND_CHANCE_REQUESTED]
    return (
        result.status,
        result.risk_score,
        result.advice,
        result.live_missteps,
        result.explanation,
        max((e.occurred_on for e in seen), default=None),
        # Today's queue of requests, oldest first, sorts on the pending request's date.
        max(asked) if result.status == Status.REQUESTED else None,
    )


def assert_pages_agree_with_engine(organization: Organization, as_of: date) -> None:
    for candidate in Candidate.objects.filter(organization=organization).order_by("pk"):
        assert stored(candidate) == engine_says(candidate, as_of), (
            f"{candidate.email} as of {as_of}"
        )


def edges(candidate: Candidate) -> set[date]:
    """Days on which time alone may change a result, worked out here from the contract (not
    from the engine): a misstep leaving the 6- and 24-month windows, a grant leaving the
    24-month window, a future-dated event or note coming into view; and the days around."""
    days: set[date] = set()
    for event in candidate.events.all():
        days.add(event.occurred_on)
        months = (6, 24) if event.kind in MISSTEPS else (24,)
        if event.kind in MISSTEPS or event.kind in (Kind.SECOND_CHANCE_GRANTED, Kind.REJECTED):
            for m in months:
                edge = event.occurred_on + relativedelta(months=m)
                days.update({edge - timedelta(days=1), edge, edge + timedelta(days=1)})
    days.update(note.noted_on for note in candidate.risk_notes.all())
    return days


def write_with_services(organization, number, history, jobs, start) -> Candidate:
    candidate = services.candidate_create(
        organization=organization, email=f"c{number}@example.com", name=f"Candidate {number}"
    )
    for kind, offset, reason, job_index in history["events"]:
        try:
            services.event_log(
                candidate=candidate,
                kind=kind,
                occurred_on=start + timedelta(days=offset),
                reason=reason_of(kind, reason),
                job=None if kind in FLAG_KINDS else jobs[job_index],
            )
        except services.GuardRefused:
            continue  # the guard refused it: nothing was written, the stored status stands
    for dimension, level, author, offset in history["notes"]:
        services.risk_note_add(
            candidate=candidate,
            dimension=dimension,
            level=level,
            author_email=author,
            noted_on=start + timedelta(days=offset),
        )
    if history["path"] == "edited":
        events = list(candidate.events.order_by("pk"))
        if events:
            # Move the first event a year back and delete the last: both re-evaluate.
            try:
                services.event_update(
                    event=events[0],
                    occurred_on=events[0].occurred_on - timedelta(days=365),
                    change_reason="wrong year",
                )
            except services.GuardRefused:
                events[0].refresh_from_db()  # refused: the event is as it was
            services.event_delete(event=events[-1], reason="logged on the wrong candidate")
        notes = list(candidate.risk_notes.order_by("pk"))
        if notes:
            services.risk_note_update(risk_note=notes[0], level=6 - notes[0].level)
            if len(notes) > 1:
                services.risk_note_delete(risk_note=notes[-1], reason="duplicate")
    return candidate


def write_with_importer(organization, numbered_histories, start) -> None:
    if not numbered_histories:
        return
    events = io.StringIO()
    events.write("candidate_email,candidate_name,client,job_title,kind,occurred_on,reason,notes\n")
    notes = io.StringIO()
    notes.write("candidate_email,dimension,level,author_email,noted_on,note\n")
    for number, history in numbered_histories:
        email = f"c{number}@example.com"
        # A candidate with no event still needs a row to exist: an attended interview.
        rows = history["events"] or [(Kind.ATTENDED, -1, Reason.OTHER, 0)]
        # An import takes no date after today (clock.latest_date, as the forms): future-dated
        # histories come in through the services.
        rows = [(kind, min(offset, 0), reason, job) for kind, offset, reason, job in rows]
        for i, (kind, offset, reason, job_index) in enumerate(rows):
            client, job = ("", "") if kind in FLAG_KINDS else ("Acme", f"Job {job_index}")
            if kind in GUARDED_KINDS:
                # The command line may let a guarded row through: an override just before.
                events.write(
                    f"{email},Candidate {number},{client},{job},override,"
                    f"{start + timedelta(days=offset)},,override {i}\n"
                )
            events.write(
                f"{email},Candidate {number},{client},{job},{kind},"
                f"{start + timedelta(days=offset)},{reason_of(kind, reason)},"
                f"row {i}\n"
            )
        for i, (dimension, level, author, offset) in enumerate(history["notes"]):
            offset = min(offset, 0)
            notes.write(
                f"{email},{dimension},{level},{author},{start + timedelta(days=offset)},n{i}\n"
            )
    events.seek(0)
    notes.seek(0)
    result = importer.import_history(organization=organization, events=events, risk_notes=notes)
    assert result.ok, result.errors


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    start=st.sampled_from(START_DAYS),
    histories=st.lists(CANDIDATE, min_size=1, max_size=3),
    data=st.data(),
)
def test_stored_status_equals_the_engine_after_every_write_and_every_day(start, histories, data):
    # Each example in its own transaction, rolled back: examples do not see each other.
    with transaction.atomic():
        with time_machine.travel(noon(start), tick=False):
            organization = OrganizationFactory()
            acme = services.client_create(organization=organization, name="Acme")
            jobs = [
                services.job_create(organization=organization, client=acme, title=f"Job {i}")
                for i in range(2)
            ]
            numbered = list(enumerate(histories))
            for number, history in numbered:
                if history["path"] != "importer":
                    write_with_services(organization, number, history, jobs, start)
            write_with_importer(
                organization, [(n, h) for n, h in numbered if h["path"] == "importer"], start
            )
            assert_pages_agree_with_engine(organization, start)
            candidates = list(Candidate.objects.filter(organization=organization))
            days = sorted({d for c in candidates for d in edges(c) if d > start})

        # The passing of time: only the daily task runs, and every candidate must agree.
        later = data.draw(
            st.lists(
                st.sampled_from(days) | st.integers(1, 900).map(lambda n: start + timedelta(n)),
                min_size=1,
                max_size=3,
                unique=True,
            ).map(sorted)
            if days
            else st.lists(
                st.integers(1, 900).map(lambda n: start + timedelta(n)), min_size=1, max_size=2
            ).map(sorted)
        )
        for day in later:
            with time_machine.travel(noon(day), tick=False):
                services.reevaluate_due()
                assert_pages_agree_with_engine(organization, day)

        # A write on the later day stores the result as of that day.
        with time_machine.travel(noon(later[-1]), tick=False):
            first = candidates[0]
            services.event_log(
                candidate=first, kind=Kind.LATE, occurred_on=later[-1], reason="commute"
            )
            assert_pages_agree_with_engine(organization, later[-1])
        transaction.set_rollback(True)


def test_bulk_seeded_candidates_agree_with_the_engine_today_and_after_two_years(time_machine):
    """The bench seeder writes in bulk, then re-evaluates: the same property at scale's path."""
    today = date(2026, 11, 27)
    time_machine.move_to(noon(today), tick=False)
    organization = Organization.objects.create(slug="bulk", name="Bulk")
    bench_seed.seed_bench(organization=organization, count=40, batch_size=15, today=today)
    assert Event.objects.filter(candidate__organization=organization).count() > 40 * 8
    assert_pages_agree_with_engine(organization, today)

    for day in (today + timedelta(days=200), today + relativedelta(months=25)):
        time_machine.move_to(noon(day), tick=False)
        services.reevaluate_due()
        assert_pages_agree_with_engine(organization, day)


def test_a_candidate_not_due_is_left_alone_by_the_daily_task(time_machine):
    """The daily task re-evaluates only candidates whose result may change that day."""
    start = date(2026, 3, 2)
    time_machine.move_to(noon(start), tick=False)
    organization = OrganizationFactory()
    quiet = services.candidate_create(organization=organization, email="q@x.test", name="Quiet")
    services.event_log(candidate=quiet, kind=Kind.ATTENDED, occurred_on=start)
    slipped = services.candidate_create(organization=organization, email="s@x.test", name="Slip")
    services.event_log(
        candidate=slipped, kind=Kind.NO_SHOW, occurred_on=start, reason=Reason.COMMUTE
    )
    assert Candidate.objects.get(pk=quiet.pk).status_changes_on is None
    edge = start + relativedelta(months=6)
    assert Candidate.objects.get(pk=slipped.pk).status_changes_on == edge

    time_machine.move_to(noon(edge - timedelta(days=1)), tick=False)
    assert services.reevaluate_due() == 0
    time_machine.move_to(noon(edge), tick=False)
    assert services.reevaluate_due() == 1
    slipped = Candidate.objects.get(pk=slipped.pk)
    assert slipped.risk_score == 15  # a no-show, 6 to 24 months old, counts half
    assert slipped.status_changes_on == start + relativedelta(months=24)
