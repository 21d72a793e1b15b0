"""Pages at agency scale, by construction: a fixed number of queries whatever the data size,
indexes that answer each query in its order, counts read from a table the writers keep in
step (models.StatusCount) rather than counted, and nothing cached: every view is a first
view. The figures at 100,000 candidates come from `make bench`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from candidates import selectors, services
from candidates.models import Candidate, Event, StatusCount

from .factories import JobFactory, UserFactory
from .query_counts import (
    DETAIL_FIRST,
    EVENT_WRITE,
    LIST_CURSOR_FIRST,
    LIST_FIRST,
    SEARCH_CAPPED,
    SEARCH_FIRST,
    TODAY_FIRST,
)

pytestmark = pytest.mark.django_db

LIST = reverse("candidates:list")
TODAY = reverse("candidates:today")


def days_ago(n: int) -> date:
    return services.today() - timedelta(days=n)


def stumbled(org, i: int, job=None) -> Candidate:
    c = services.candidate_create(organization=org, email=f"s{i}@x.test", name=f"Sam {i:03}")
    services.event_log(
        candidate=c, kind="no_show", occurred_on=days_ago(10 + i % 5), reason="commute", job=job
    )
    return c


def fill(org, n: int, job) -> list[Candidate]:
    """n stumbled candidates, n requests waiting, n second chances with an interview ahead."""
    made = []
    for i in range(n):
        made.append(stumbled(org, i, job))
        r = services.candidate_create(organization=org, email=f"r{i}@x.test", name=f"Rae {i}")
        services.event_log(candidate=r, kind="late", occurred_on=days_ago(9), reason="commute")
        services.second_chance_request(candidate=r, pitch="Please.", job=job)
        g = services.candidate_create(organization=org, email=f"g{i}@x.test", name=f"Gus {i}")
        services.event_log(candidate=g, kind="late", occurred_on=days_ago(9), reason="commute")
        services.second_chance_decide(
            candidate=g, grant=True, job=job, interview_at=timezone.now() + timedelta(days=2)
        )
    return made


def long_history(org, recruiter, job, events: int) -> Candidate:
    c = services.candidate_create(organization=org, email="long@x.test", name="Lena Long")
    for i in range(events):
        kind = "late" if i % 10 == 0 else "attended"
        services.event_log(
            candidate=c,
            kind=kind,
            occurred_on=days_ago(3 * i + 1),
            reason="commute" if kind == "late" else "",
            job=job,
            recorded_by=recruiter,
        )
    services.risk_note_add(candidate=c, dimension="trust", level=2, author=recruiter)
    return c


def queries_of(client, url, params=None) -> int:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured.captured_queries)


# --- A fixed number of queries ------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 24])
def test_list_runs_a_fixed_number_of_queries(client, org, recruiter, n, django_assert_num_queries):
    fill(org, n, JobFactory(client__organization=org))
    client.force_login(recruiter)
    params = {"status": "stumbled", "sort": "risk", "per_page": 2}
    with django_assert_num_queries(LIST_FIRST):
        response = client.get(LIST, params)
    assert response.context["page"].count == n


@pytest.mark.parametrize("n", [6, 30])
def test_a_deep_page_runs_the_queries_of_the_first(
    client, org, recruiter, n, django_assert_num_queries
):
    """Page n/2 through its Next link: a seek from the cursor row, whatever the depth."""
    fill(org, n, JobFactory(client__organization=org))
    client.force_login(recruiter)
    order = list(
        Candidate.objects.filter(organization=org, status="stumbled")
        .order_by("name", "id")
        .values_list("pk", flat=True)
    )
    deep = n // 2
    params = {"status": "stumbled", "sort": "name", "per_page": 2, "page": deep}
    params["after"] = order[(deep - 1) * 2 - 1]
    with django_assert_num_queries(LIST_CURSOR_FIRST):
        response = client.get(LIST, params)
    assert [c.pk for c in response.context["page"].object_list] == order[(deep - 1) * 2 : deep * 2]


@pytest.mark.parametrize("n", [3, 24])
def test_search_runs_a_fixed_number_of_queries(
    client, org, recruiter, n, django_assert_num_queries
):
    fill(org, n, JobFactory(client__organization=org))
    client.force_login(recruiter)
    with django_assert_num_queries(SEARCH_FIRST):
        response = client.get(LIST, {"q": "sam", "per_page": 2})
    assert response.context["page"].count == n


def test_a_vague_search_is_counted_up_to_the_cap_and_listed_by_name(
    client, org, recruiter, settings, monkeypatch, django_assert_num_queries
):
    """Past SEARCH_COUNT_CAP matches the count stops ("4+") and the matches come by name,
    so a vague search costs what a precise one does."""
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 4)
    for i in range(7):
        services.candidate_create(
            organization=org, email=f"m{i}@x.test", name=f"Zed Murphy {6 - i}"
        )
    client.force_login(recruiter)
    with django_assert_num_queries(SEARCH_CAPPED):
        response = client.get(LIST, {"q": "murphy", "per_page": 2})
    page = response.context["page"]
    assert page.count == 4 and page.capped and page.num_pages == 2
    assert [c.name for c in page.object_list] == ["Zed Murphy 0", "Zed Murphy 1"]
    assert "4+ candidates match" in response.content.decode()


@pytest.mark.parametrize("n", [5, 50])
def test_candidate_page_runs_a_fixed_number_of_queries(
    client, org, recruiter, n, django_assert_num_queries
):
    c = long_history(org, recruiter, JobFactory(client__organization=org), n)
    client.force_login(recruiter)
    url = reverse("candidates:detail", args=[c.pk])
    with django_assert_num_queries(DETAIL_FIRST):
        response = client.get(url)
    assert len(response.context["page"].timeline) == n + 1


@pytest.mark.parametrize("n", [5, 50])
def test_logging_an_event_runs_a_fixed_number_of_queries(
    client, org, recruiter, n, django_assert_num_queries
):
    """A write reads the candidate's whole history to re-evaluate it: in a fixed number of
    queries (events, notes; its last date and coming interview from the same rows),
    whatever its length."""
    c = long_history(org, recruiter, JobFactory(client__organization=org), n)
    client.force_login(recruiter)
    with django_assert_num_queries(EVENT_WRITE):
        response = client.post(
            reverse("candidates:log_event", args=[c.pk]),
            {"kind": "late", "reason": "commute", "occurred_on": days_ago(0).isoformat()},
        )
    assert response.status_code == 302
    assert c.events.count() == n + 1


@pytest.mark.parametrize("n", [3, 24])
def test_today_runs_a_fixed_number_of_queries(client, org, manager, n, django_assert_num_queries):
    fill(org, n, JobFactory(client__organization=org))
    client.force_login(manager)
    with django_assert_num_queries(TODAY_FIRST):
        response = client.get(TODAY)
    assert response.context["pending_count"] == n and response.context["stumbled_count"] == n
    assert len(response.context["upcoming"]) == min(n, 10)


# --- Never another organization's data, never stale -------------------------------------


def test_two_organizations_asking_the_same_never_see_each_others_data(
    client, org, other_org, recruiter
):
    outsider_recruiter = UserFactory(organization=other_org, username="otto@rival.test")
    stumbled(org, 1)
    theirs = services.candidate_create(
        organization=other_org, email="x@rival.test", name="Xena Rival"
    )
    services.event_log(candidate=theirs, kind="no_show", occurred_on=days_ago(12), reason="commute")
    params = {"status": "stumbled", "sort": "risk"}
    for url in (LIST, TODAY):
        client.force_login(recruiter)
        mine = client.get(url, params if url == LIST else {}).content.decode()
        client.force_login(outsider_recruiter)
        other = client.get(url, params if url == LIST else {}).content.decode()
        assert "Sam 001" in mine and "Xena Rival" not in mine
        assert "Xena Rival" in other and "Sam 001" not in other


def test_a_logged_event_shows_at_once_on_every_page(client, org, recruiter):
    c = services.candidate_create(organization=org, email="ann@x.test", name="Ann Archer")
    client.force_login(recruiter)
    detail = reverse("candidates:detail", args=[c.pk])
    for url in (LIST, TODAY, detail):
        client.get(url)
    response = client.post(
        reverse("candidates:log_event", args=[c.pk]),
        {"kind": "no_show", "occurred_on": days_ago(10).isoformat(), "reason": "commute"},
    )
    assert response.status_code == 302
    assert "badge-stumbled" in client.get(LIST).content.decode()
    page = client.get(detail).content.decode()
    assert "No-show" in page and ">Stumbled<" in page
    today = client.get(TODAY)
    assert "Ann Archer" in today.content.decode() and today.context["stumbled_count"] == 1


def test_counts_and_pages_follow_writes_made_outside_the_services(client, org, recruiter):
    """The admin and commands save models directly: with nothing cached, every page shows
    them at once."""
    c = services.candidate_create(organization=org, email="bo@x.test", name="Bo Before")
    job = JobFactory(client__organization=org, title="Welder")
    services.event_log(
        candidate=c, kind="attended", occurred_on=days_ago(2), job=job, recorded_by=recruiter
    )
    client.force_login(recruiter)
    detail = reverse("candidates:detail", args=[c.pk])
    assert "Bo Before" in client.get(LIST).content.decode()
    assert "Welder" in client.get(detail).content.decode()

    c.name = "Bo After"
    c.save()
    job.title = "Pipe welder"
    job.save()
    recruiter.first_name, recruiter.last_name = "Rita", "Renamed"
    recruiter.save()

    assert "Bo After" in client.get(LIST).content.decode()
    page = client.get(detail).content.decode()
    assert "Pipe welder" in page and "Rita Renamed" in page

    services.candidates_delete(candidates=[c])
    assert "No candidates yet" in client.get(LIST).content.decode()


def test_the_hourly_reevaluation_shows_on_the_list(client, org, recruiter, time_machine):
    time_machine.move_to(datetime(2026, 3, 2, 12, tzinfo=UTC), tick=False)
    c = services.candidate_create(organization=org, email="t@x.test", name="Tia Time")
    services.event_log(candidate=c, kind="late", occurred_on=date(2026, 3, 1), reason="commute")
    client.force_login(recruiter)
    assert "badge-stumbled" in client.get(LIST).content.decode()
    # 24 months on the late arrival has expired: only the hourly task writes.
    time_machine.move_to(datetime(2028, 3, 1, 12, tzinfo=UTC), tick=False)
    assert services.reevaluate_due() == 1
    client.force_login(recruiter)  # two years idle: logged out
    html = client.get(LIST).content.decode()
    assert "badge-clean" in html and "badge-stumbled" not in html


def test_an_interview_leaves_coming_up_once_it_starts(client, org, recruiter, time_machine):
    start = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    time_machine.move_to(start, tick=False)
    g = services.candidate_create(organization=org, email="g@x.test", name="Gus Granted")
    services.event_log(candidate=g, kind="late", occurred_on=date(2026, 2, 20), reason="commute")
    services.second_chance_decide(
        candidate=g, grant=True, interview_at=start + timedelta(minutes=5)
    )
    client.force_login(recruiter)
    assert "Gus Granted" in client.get(TODAY).content.decode()
    time_machine.move_to(start + timedelta(minutes=6), tick=False)
    assert "Gus Granted" not in client.get(TODAY).content.decode()


def test_each_member_gets_their_own_csrf_token_and_form_errors(client, org, recruiter, headhunter):
    """A form's CSRF token and what a member typed are theirs."""
    from django.test import Client

    c = services.candidate_create(organization=org, email="f@x.test", name="Fay Forms")
    url = reverse("candidates:detail", args=[c.pk])
    first = Client(enforce_csrf_checks=True)
    first.force_login(recruiter)
    first.get(url)
    second = Client(enforce_csrf_checks=True)
    second.force_login(headhunter)
    html = second.get(url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    response = second.post(
        reverse("candidates:add_note", args=[c.pk]),
        {"csrfmiddlewaretoken": token, "dimension": "trust", "level": "9", "noted_on": "x"},
    )
    assert response.status_code == 200  # the form's errors, not a CSRF refusal
    assert "Nothing was saved" in response.content.decode()
    # The next member sees a clean form, not the first one's mistakes.
    clean = first.get(url).content.decode()
    assert 'value="9"' not in clean and "Nothing was saved" not in clean


# --- The day is the server's ------------------------------------------------------------


def test_a_status_stored_during_a_members_evening_is_as_of_the_servers_day(
    client, org, recruiter, time_machine, settings
):
    """A member in New York at 8 p.m. is already on the next day in UTC: the stored status is
    as of the server's day, the one the daily task uses, or an edge crossed that day would
    be missed until the next run."""
    settings.TIME_ZONE = "UTC"
    recruiter.time_zone = "America/New_York"
    recruiter.save()
    time_machine.move_to(datetime(2026, 3, 3, 1, 0, tzinfo=UTC), tick=False)  # 8 p.m. in NY
    c = services.candidate_create(organization=org, email="e@x.test", name="Eve Evening")
    client.force_login(recruiter)
    client.post(
        reverse("candidates:log_event", args=[c.pk]),
        {"kind": "attended", "occurred_on": "2026-03-02"},
    )
    assert Candidate.objects.get(pk=c.pk).status_as_of == date(2026, 3, 3)


# --- Indexes (PostgreSQL: the bench database's engine) ------------------------------------


def _plan(qs, *, index_only: bool = False) -> str:
    sql, params = qs.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        # A handful of rows: left to itself the planner reads the whole table. With plain
        # scans off, what remains shows whether an index answers the query and its order.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        if index_only:
            # A table never vacuumed has no visibility map, so index-only scans look no
            # cheaper than any index scan here; what remains shows which index covers it.
            cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_every_list_and_today_query_is_an_index_scan_in_order(org):
    if connection.vendor != "postgresql":
        # As for the browser tests: CI runs on PostgreSQL (conftest), where this never skips.
        pytest.skip("reads PostgreSQL plans; the benchmark and CI run on PostgreSQL")
    stumbled(org, 1)
    candidates = Candidate.objects.filter(organization=org)
    events = Event.objects.filter(candidate__organization=org)
    listing = selectors.candidate_search(candidates, events, status="stumbled", sort="risk")
    cases = {
        "candidate_status_idx": listing,
        "candidate_risk_idx": selectors.candidate_search(candidates, events, sort="risk"),
        "candidate_latest_idx": selectors.candidate_search(candidates, events, sort="latest"),
        "candidate_stumbled_idx": selectors.stumbled_without_follow_up(
            candidates, today=services.today()
        ),
        "candidate_requested_idx": selectors.pending_requests(candidates, events),
        "candidate_interview_idx": selectors.upcoming_second_chance_interviews(
            candidates, now=timezone.now()
        ),
    }
    for index, qs in cases.items():
        plan = _plan(qs[:10])
        assert index in plan, plan
        assert "Sort" not in plan.split(index)[0], plan  # the index gives the order


# --- Counts per status: kept by the writers, equal to counting -----------------------------


def _counted(org) -> dict[str, int]:
    return dict(
        Candidate.objects.filter(organization=org)
        .values("status")
        .annotate(n=Count("*"))
        .values_list("status", "n")
    )


def _stored(org) -> dict[str, int]:
    rows = StatusCount.objects.filter(organization=org).values_list("status", "count")
    return {status: n for status, n in rows if n}


def test_counts_per_status_follow_every_kind_of_write(org, other_org, recruiter, time_machine):
    time_machine.move_to(datetime(2026, 3, 2, 12, tzinfo=UTC), tick=False)
    job = JobFactory(client__organization=org)
    made = fill(org, 3, job)
    services.candidate_create(organization=other_org, email="o@x.test", name="Other Org")
    assert _stored(org) == _counted(org) == {"stumbled": 3, "requested": 3, "second_chance": 3}
    # A misstep after the granted chance burns; a request moves stumbled to requested.
    granted = Candidate.objects.get(organization=org, email="g0@x.test")
    services.event_log(
        candidate=granted, kind="no_show", occurred_on=date(2026, 3, 2), reason="unknown"
    )
    services.second_chance_request(candidate=made[0], pitch="Again, please.", job=job)
    # Deleted (the admin's door) and expired (the hourly task's).
    services.candidates_delete(candidates=[made[1]])
    assert _stored(org) == _counted(org)
    time_machine.move_to(datetime(2028, 6, 1, 12, tzinfo=UTC), tick=False)
    services.reevaluate_due()
    assert _stored(org) == _counted(org)
    assert _stored(other_org) == _counted(other_org) == {"clean": 1}


def test_a_standing_chance_stores_its_coming_interview_and_loses_it_when_spent(org):
    job = JobFactory(client__organization=org)
    c = services.candidate_create(organization=org, email="g@x.test", name="Gus Granted")
    services.event_log(candidate=c, kind="late", occurred_on=days_ago(9), reason="commute")
    at = timezone.now() + timedelta(days=2)
    services.second_chance_decide(candidate=c, grant=True, job=job, interview_at=at)
    c.refresh_from_db()
    assert c.next_interview_at == at and c.next_interview.job == job
    services.event_log(candidate=c, kind="no_show", occurred_on=services.today(), reason="unknown")
    c.refresh_from_db()
    assert c.status == "burned" and c.next_interview is None and c.next_interview_at is None
