"""Pages at agency scale: a fixed number of queries whatever the data size (a first view, and
a view served from the organization's cache), indexes that answer each query, and caches
that never show one organization's data to another nor anything stale after a write
(candidates/org_cache.py). The figures at 100,000 candidates come from `make bench`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from candidates import org_cache, selectors, services
from candidates.models import Candidate, Event, Job

from .factories import JobFactory, UserFactory
from .query_counts import (
    CACHED,
    DETAIL_CACHED,
    DETAIL_FIRST,
    LIST_CURSOR_FIRST,
    LIST_FIRST,
    SEARCH_FIRST,
    TODAY_CACHED,
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
def test_list_runs_a_fixed_number_of_queries_first_and_from_the_cache(
    client, org, recruiter, n, django_assert_num_queries
):
    fill(org, n, JobFactory(client__organization=org))
    client.force_login(recruiter)
    params = {"status": "stumbled", "sort": "risk", "per_page": 2}
    with django_assert_num_queries(LIST_FIRST):
        client.get(LIST, params)
    with django_assert_num_queries(CACHED):
        client.get(LIST, params)


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
    # The count and my reminders due (nav) are cached by this first page, as in use.
    client.get(LIST, {"status": "stumbled", "sort": "name"})
    with django_assert_num_queries(LIST_CURSOR_FIRST - 2):
        response = client.get(LIST, params)
    assert [c.pk for c in response.context["page"].object_list] == order[(deep - 1) * 2 : deep * 2]
    with django_assert_num_queries(CACHED):
        client.get(LIST, params)


@pytest.mark.parametrize("n", [3, 24])
def test_search_runs_a_fixed_number_of_queries(
    client, org, recruiter, n, django_assert_num_queries
):
    fill(org, n, JobFactory(client__organization=org))
    client.force_login(recruiter)
    with django_assert_num_queries(SEARCH_FIRST):
        response = client.get(LIST, {"q": "sam", "per_page": 2})
    assert response.context["page"].count == n
    with django_assert_num_queries(CACHED):
        client.get(LIST, {"q": "sam", "per_page": 2})


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
    with django_assert_num_queries(DETAIL_CACHED):
        client.get(url)


@pytest.mark.parametrize("n", [3, 24])
def test_today_runs_a_fixed_number_of_queries(client, org, manager, n, django_assert_num_queries):
    fill(org, n, JobFactory(client__organization=org))
    client.force_login(manager)
    with django_assert_num_queries(TODAY_FIRST):
        response = client.get(TODAY)
    assert response.context["pending_count"] == n and response.context["stumbled_count"] == n
    with django_assert_num_queries(TODAY_CACHED):
        client.get(TODAY)


# --- Caches: never another organization's data, never stale ------------------------------


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


def test_a_logged_event_shows_at_once_on_every_cached_page(client, org, recruiter):
    c = services.candidate_create(organization=org, email="ann@x.test", name="Ann Archer")
    client.force_login(recruiter)
    detail = reverse("candidates:detail", args=[c.pk])
    for url in (LIST, TODAY, detail):
        client.get(url)  # cached now
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
    """The admin and commands save models directly: signals drop the cache too."""
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
    Job.objects.filter(pk=job.pk).get().save()  # a save with no change still drops the cache
    job.title = "Pipe welder"
    job.save()
    recruiter.first_name, recruiter.last_name = "Rita", "Renamed"
    recruiter.save()

    assert "Bo After" in client.get(LIST).content.decode()
    page = client.get(detail).content.decode()
    assert "Pipe welder" in page and "Rita Renamed" in page

    c.delete()
    assert "No candidates yet" in client.get(LIST).content.decode()


def test_the_daily_reevaluation_drops_the_cache(client, org, recruiter, time_machine):
    time_machine.move_to(datetime(2026, 3, 2, 12, tzinfo=UTC), tick=False)
    c = services.candidate_create(organization=org, email="t@x.test", name="Tia Time")
    services.event_log(candidate=c, kind="late", occurred_on=date(2026, 3, 1), reason="commute")
    client.force_login(recruiter)
    assert "badge-stumbled" in client.get(LIST).content.decode()
    # 24 months on the late arrival has expired: only the daily task writes.
    time_machine.move_to(datetime(2028, 3, 1, 12, tzinfo=UTC), tick=False)
    assert services.reevaluate_due() == 1
    client.force_login(recruiter)  # two years idle: logged out
    html = client.get(LIST).content.decode()
    assert "badge-clean" in html and "badge-stumbled" not in html


def test_an_interview_leaves_coming_up_within_the_minute_it_starts(
    client, org, recruiter, time_machine
):
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
    """A form's CSRF token and what a member typed are theirs, whatever the cache holds."""
    from django.test import Client

    c = services.candidate_create(organization=org, email="f@x.test", name="Fay Forms")
    url = reverse("candidates:detail", args=[c.pk])
    first = Client(enforce_csrf_checks=True)
    first.force_login(recruiter)
    first.get(url)  # fills the cache
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


def test_a_page_from_the_cache_carries_this_sessions_own_csrf_token(
    org, recruiter, django_assert_num_queries
):
    """The same member on a laptop and a phone: the phone's page comes from the cache the
    laptop filled, with the phone's token in every form (a placeholder in the cache)."""
    from django.test import Client

    from candidates.org_cache import csrf_placeholder

    c = services.candidate_create(organization=org, email="f@x.test", name="Fay Forms")
    url = reverse("candidates:detail", args=[c.pk])
    laptop, phone = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    laptop.force_login(recruiter)
    phone.force_login(recruiter)
    laptop_page = laptop.get(url).content.decode()
    with django_assert_num_queries(DETAIL_CACHED):
        phone_page = phone.get(url).content.decode()

    assert csrf_placeholder() not in laptop_page + phone_page
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', phone_page)
    assert len(tokens) >= 3  # log out, log an event, add a note, flag...
    response = phone.post(
        reverse("candidates:add_note", args=[c.pk]),
        {
            "csrfmiddlewaretoken": tokens[-1],
            "dimension": "trust",
            "level": "2",
            "noted_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302  # saved: the token was the phone's
    assert c.risk_notes.count() == 1


def test_a_cached_candidate_page_is_still_a_404_for_another_organization(
    client, org, recruiter, outsider
):
    c = services.candidate_create(organization=org, email="f@x.test", name="Fay Forms")
    url = reverse("candidates:detail", args=[c.pk])
    client.force_login(recruiter)
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200  # from the cache now
    client.force_login(outsider)
    response = client.get(url)
    assert response.status_code == 404 and "Fay Forms" not in response.content.decode()


def test_cached_pages_are_each_members_own(org, recruiter):
    """Two recruiters: same organization, same role, same page; each their own copy."""
    from django.test import Client

    colleague = UserFactory(
        organization=org, role=recruiter.role, username="rae@example.com", email="rae@example.com"
    )
    pages = {}
    for member in (recruiter, colleague, recruiter, colleague):
        browser = Client()
        browser.force_login(member)
        pages.setdefault(member.pk, []).append(browser.get(TODAY).content.decode())
    mine, theirs = pages[recruiter.pk][-1], pages[colleague.pk][-1]
    assert f"Signed in as {recruiter.email}" in mine and colleague.email not in mine
    assert f"Signed in as {colleague.email}" in theirs and recruiter.email not in theirs


def test_a_message_shows_once_over_a_cached_page(client, org, recruiter):
    client.force_login(recruiter)
    client.get(LIST)  # cached
    response = client.post(
        reverse("candidates:create"), {"name": "Ann Archer", "email": "ann@example.com"}
    )
    page = client.get(LIST).content.decode()
    assert response.status_code == 302
    assert "Ann Archer added." in page and "Ann Archer" in page
    again = client.get(LIST).content.decode()
    assert "Ann Archer added." not in again and "Ann Archer" in again


def test_nothing_is_cached_without_a_cache_every_process_shares(settings):
    settings.TESTING = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert not org_cache.enabled()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}}
    assert org_cache.enabled()
    settings.CACHES = {"default": {"BACKEND": "recovery.cache.RedisCache"}}
    assert org_cache.enabled()


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
        "event_second_chance_at_idx": selectors.upcoming_second_chance_interviews(
            events, now=timezone.now()
        ),
    }
    for index, qs in cases.items():
        plan = _plan(qs[:10])
        assert index in plan, plan
        assert "Sort" not in plan.split(index)[0], plan  # the index gives the order
    # Today's and the insights' counts per status read only the narrow status index (at
    # 100,000 candidates: 9 ms, against 28 ms for the parallel table scan without it).
    counts = _plan(candidates.order_by().values("status").annotate(n=Count("*")), index_only=True)
    assert "Index Only Scan using candidate_status_count_idx" in counts, counts
