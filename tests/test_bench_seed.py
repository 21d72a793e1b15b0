"""benchmarks/seed.py: the bench data, synthetic candidates in bulk with their stored status,
and the members who drive the pages."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from benchmarks import load, seed
from benchmarks.server import forms_of
from candidates import demo
from candidates.access import RECORDERS
from candidates.models import Candidate, Event, Organization, RiskNote

from .test_seed_demo import assert_stored_status_is_the_engines, counts, log_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def bench_candidates(organization: Organization):
    return Candidate.objects.filter(organization=organization, email__startswith="bench-")


def test_bulk_candidates_come_with_events_notes_and_their_evaluated_status():
    organization = demo.seed_demo().organization
    progress: list[str] = []
    result = seed.seed_bench(
        organization=organization, count=200, batch_size=64, progress=progress.append
    )
    bench = bench_candidates(organization)
    assert bench.count() == result.created == 200
    assert_stored_status_is_the_engines(bench)
    events = Event.objects.filter(candidate__in=bench)
    notes = RiskNote.objects.filter(candidate__in=bench)
    assert 8 * 200 <= events.count() <= 13 * 200
    assert 2 * 200 <= notes.count() <= 4 * 200
    # A realistic mix: most statuses show up, every misstep carries a reason.
    assert len(set(bench.values_list("status", flat=True))) >= 6
    assert len(set(events.values_list("kind", flat=True))) >= 12
    assert len(set(notes.values_list("author_email", flat=True))) >= 3
    # One progress line per batch: 64, 128, 192, 200.
    assert len([line for line in progress if "/200 candidates" in line]) == 4


def test_bulk_rerun_adds_nothing_and_a_larger_count_adds_only_the_missing():
    organization = Organization.objects.create(slug="loadtest", name="Load test")
    seed.seed_bench(organization=organization, count=120)
    after_first = counts()
    again = seed.seed_bench(organization=organization, count=120)
    assert counts() == after_first
    assert (again.created, again.existing) == (0, 120)

    seed.seed_bench(organization=organization, count=150, batch_size=40)
    assert bench_candidates(organization).count() == 150
    assert Candidate.objects.filter(email="bench-000150@bench.recovery.test").exists()
    assert Event.objects.count() > after_first["Event"]


def test_bulk_candidates_and_their_jobs_belong_to_the_organization_given():
    organization = Organization.objects.create(slug="loadtest", name="Load test")
    seed.seed_bench(organization=organization, count=30)
    assert bench_candidates(organization).count() == 30
    assert not Organization.objects.filter(slug="demo").exists()
    events = Event.objects.filter(candidate__organization__slug="loadtest")
    assert set(events.exclude(job=None).values_list("job__organization__slug", flat=True)) == {
        "loadtest"
    }


def test_bulk_path_writes_in_bulk_never_a_query_per_row():
    small = Organization.objects.create(slug="small", name="Small")
    large = Organization.objects.create(slug="large", name="Large")
    demo.ensure_jobs(small), demo.ensure_jobs(large)
    with CaptureQueriesContext(connection) as for_100:
        seed.seed_bench(organization=small, count=100, batch_size=5000)
    with CaptureQueriesContext(connection) as for_300:
        seed.seed_bench(organization=large, count=300, batch_size=5000)
    rows = sum(
        model.objects.filter(**{lookup: "large"}).count()
        for model, lookup in (
            (Candidate, "organization__slug"),
            (Event, "candidate__organization__slug"),
            (RiskNote, "candidate__organization__slug"),
        )
    )
    assert rows > 300 * 10
    # SQLite caps the parameters of one statement, so its inserts come in slices of ~100
    # rows; PostgreSQL takes a batch in one statement, whatever its size.
    assert rows / len(for_300) > 40
    if connection.vendor == "postgresql":
        assert len(for_300) == len(for_100)


def test_the_bench_has_members_who_log_in_and_record_and_long_histories(client):
    seeded = seed.ensure(candidates=40, batch_size=25)
    assert len(seeded.members) == seed.BENCH_MEMBERS >= 8
    assert {m.organization_id for m in seeded.members} == {seeded.organization.pk}
    assert {m.role for m in seeded.members} <= set(RECORDERS)  # every one may write
    for member in seeded.members:
        assert log_in(client, member.username, seed.BENCH_PASSWORD), member.username
        client.logout()
    assert len(seeded.long_history_ids) == seed.LONG_HISTORIES
    for pk in seeded.long_history_ids:
        assert Event.objects.filter(candidate_id=pk).count() == seed.LONG_HISTORY_EVENTS
    long_histories = Candidate.objects.filter(pk__in=seeded.long_history_ids)
    assert_stored_status_is_the_engines(long_histories)
    # The second organization, a twentieth of the size.
    assert bench_candidates(Organization.objects.get(slug=seed.OTHER_SLUG)).count() == 2

    before = counts()
    again = seed.ensure(candidates=40, batch_size=25)
    assert again.created == 0
    assert again.long_history_ids == seeded.long_history_ids
    assert counts() == before


def test_each_write_of_the_bench_load_stores_an_event_or_a_note(client):
    """The load's writes (benchmarks/load.py) are the candidate page's own forms filled in,
    each with a key of its own as a page loaded again gives: every one answered as saved
    stores its row. (Sharing the key the page was read with, they were double submits:
    answered as saved, stored once, so the benchmark's writes wrote nothing.)"""
    seeded = seed.ensure(candidates=40, batch_size=25)
    member = seeded.members[0]
    assert log_in(client, member.username, seed.BENCH_PASSWORD)
    targets = list(
        Candidate.objects.filter(organization=seeded.organization)
        .exclude(pk__in=seeded.long_history_ids)
        .values_list("pk", flat=True)[:6]
    )
    page = client.get(reverse("candidates:detail", args=[targets[0]])).content.decode()
    reader = SimpleNamespace(forms={}, csrf_token="")
    for action, fields in forms_of(page).items():
        for kind, ending in (("event", "/events/"), ("note", "/notes/")):
            if action.endswith(ending):
                reader.forms[kind] = (action, fields)
    before = Event.objects.count() + RiskNote.objects.count()
    for n, pk in enumerate(targets):
        path, data = load.write_request(reader, ("event", "note")[n % 2], pk, n)
        assert client.post(path, data).status_code == 302
    assert Event.objects.count() + RiskNote.objects.count() == before + len(targets)
