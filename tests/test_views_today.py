"""Today, the home page: what needs doing first, for each role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from candidates import services

from .factories import JobFactory
from .query_counts import TODAY_FIRST

pytestmark = pytest.mark.django_db

URL = reverse("candidates:today")


def days_ago(n: int):
    return services.today() - timedelta(days=n)


def make(org, email, name):
    return services.candidate_create(organization=org, email=email, name=name)


def stumbled(org, email, name, days):
    c = make(org, email, name)
    services.event_log(candidate=c, kind="late", occurred_on=days_ago(days), reason="commute")
    return c


def requested(org, email, name, pitch="Please, one more go"):
    c = stumbled(org, email, name, 20)
    services.second_chance_request(candidate=c, pitch=pitch, occurred_on=days_ago(2))
    return c


def granted(org, email, name, interview_at, job=None):
    c = requested(org, email, name)
    services.second_chance_decide(candidate=c, grant=True, interview_at=interview_at, job=job)
    return c


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_stumbled_without_follow_up_for_a_week(client, org, other_org, recruiter):
    stumbled(org, "week@example.com", "Wendy Week", 7)
    stumbled(org, "old@example.com", "Oscar Old", 30)
    stumbled(org, "recent@example.com", "Rhea Recent", 6)
    stumbled(other_org, "rival@rival.test", "Rival Person", 30)
    followed = stumbled(org, "followed@example.com", "Fred Followed", 30)
    services.event_log(candidate=followed, kind="scheduled", occurred_on=days_ago(1))
    client.force_login(recruiter)
    response = client.get(URL)
    page = response.content.decode()
    assert "Oscar Old" in page and "Wendy Week" in page
    assert page.index("Oscar Old") < page.index("Wendy Week")  # longest waiting first
    assert f"last event {days_ago(30).day} {days_ago(30):%b %Y} (4\xa0weeks, 2\xa0days ago)" in page
    assert "Rhea Recent" not in page and "Rival Person" not in page
    assert "Fred Followed" not in page


def test_managers_see_requests_waiting_for_a_decision(client, org, other_org, manager):
    requested(org, "ann@example.com", "Ann Archer", pitch="My bus broke down")
    requested(other_org, "rival@rival.test", "Rival Person")
    client.force_login(manager)
    page = client.get(URL).content.decode()
    assert "Second-chance requests to decide" in page
    assert "Ann Archer" in page and "My bus broke down" in page
    assert "Rival Person" not in page
    assert reverse("candidates:review") in page


@pytest.mark.parametrize("role", ["recruiter", "headhunter"])
def test_recorders_do_not_see_the_decision_queue(client, org, role, request):
    requested(org, "ann@example.com", "Ann Archer", pitch="My bus broke down")
    client.force_login(request.getfixturevalue(role))
    response = client.get(URL)
    assert "pending" not in response.context
    assert "Second-chance requests to decide" not in response.content.decode()


def test_upcoming_second_chance_interviews(client, org, other_org, recruiter):
    job = JobFactory(client__organization=org, client__name="Acme", title="Forklift operator")
    soon = timezone.now() + timedelta(days=2)
    granted(org, "soon@example.com", "Sue Soon", soon, job=job)
    granted(org, "past@example.com", "Pat Past", timezone.now() - timedelta(days=1))
    granted(other_org, "rival@rival.test", "Rival Person", soon)
    client.force_login(recruiter)
    response = client.get(URL)
    page = response.content.decode()
    assert "Sue Soon" in page
    local = timezone.localtime(soon)  # the member's zone (UTC here)
    assert f'<time datetime="{local.isoformat()}">{local:%a} {local.day} {local:%b, %H:%M}' in page
    job_part = '<span class="muted small">· Forklift operator, Acme'
    assert f"{local:%H:%M}</time></span> {job_part}" in page  # a space between them
    assert "Pat Past" not in page and "Rival Person" not in page


def test_numbers_at_a_glance_count_each_status(client, org, other_org, recruiter):
    make(org, "a@example.com", "A")
    make(org, "b@example.com", "B")
    stumbled(org, "c@example.com", "C", 3)
    requested(org, "d@example.com", "D")
    make(other_org, "e@rival.test", "E")
    client.force_login(recruiter)
    numbers = client.get(URL).context["numbers"]
    assert numbers["total"] == 4
    counts = {row["status"]: row["count"] for row in numbers["by_status"]}
    assert counts == {
        "burned": 0,
        "clean": 2,
        "recovered": 0,
        "second_chance": 0,
        "refused": 0,
        "requested": 1,
        "stumbled": 1,
        "rejected": 0,  # the contract's eighth status
    }


def test_empty_organization_invites_to_import_or_add(client, org, recruiter):
    client.force_login(recruiter)
    page = client.get(URL).content.decode()
    assert "No candidates yet" in page
    assert reverse("candidates:import") in page and reverse("candidates:create") in page


TODAY_QUERIES = TODAY_FIRST  # the first view; tests/query_counts.py says which


@pytest.mark.parametrize("n", [3, 30])
def test_today_runs_the_same_queries_for_3_or_30_candidates(
    client, org, manager, n, django_assert_num_queries
):
    job = JobFactory(client__organization=org)
    for i in range(n):
        stumbled(org, f"s{i}@example.com", f"Stumbler {i}", 10)
        requested(org, f"r{i}@example.com", f"Requester {i}")
        granted(org, f"g{i}@example.com", f"Granted {i}", timezone.now() + timedelta(days=1), job)
    client.force_login(manager)
    with django_assert_num_queries(TODAY_QUERIES):
        response = client.get(URL)
    assert response.status_code == 200
    assert response.context["stumbled_count"] == n
    assert response.context["pending_count"] == n


def test_the_stumbled_are_counted_up_to_a_hundred(client, org, manager, monkeypatch):
    """The count stops at COUNTED ("3+" here): Today costs the same in any organization."""
    from candidates.views import today as today_view

    monkeypatch.setattr(today_view, "COUNTED", 3)
    for i in range(5):
        c = services.candidate_create(organization=org, email=f"s{i}@x.test", name=f"Sam {i}")
        services.event_log(
            candidate=c,
            kind="no_show",
            occurred_on=services.today() - timedelta(days=10),
            reason="commute",
        )
    client.force_login(manager)
    response = client.get(URL)
    assert response.context["stumbled_count"] == 3 and response.context["stumbled_more"]
    assert '<span class="count">3+</span>' in response.content.decode()
