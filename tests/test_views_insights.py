"""Insights: candidates by status, missteps by reason, what became of second chances."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from candidates import selectors, services
from candidates.models import Candidate, Event

from .factories import CandidateFactory, EventFactory

pytestmark = pytest.mark.django_db

INSIGHTS = reverse("candidates:insights")
ET_NS = "http://www.w3.org/2000/svg"


def days_ago(n: int):
    return services.today() - timedelta(days=n)


def make(org, email) -> Candidate:
    return services.candidate_create(organization=org, email=email, name=email.split("@")[0])


def log(candidate, kind, days, reason=""):
    if kind in {"no_show", "late", "declined_interview"} and not reason:
        reason = "commute"
    services.event_log(candidate=candidate, kind=kind, occurred_on=days_ago(days), reason=reason)


def text_of(response) -> str:
    return response.content.decode()


def svgs_of(page: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg.*?</svg>", page, re.S)]  # noqa: S314


def granted(org, email, *after: str) -> Candidate:
    """A candidate granted a second chance 10 days ago, then `after` happened in order."""
    candidate = make(org, email)
    log(candidate, "no_show", 20)
    log(candidate, "second_chance_requested", 15)
    log(candidate, "second_chance_granted", 10)
    for i, kind in enumerate(after):
        log(candidate, kind, 8 - i)
    return candidate


@pytest.mark.parametrize("role", ["recruiter", "headhunter", "manager", "org_admin"])
def test_every_role_sees_insights(client, request, role):
    client.force_login(request.getfixturevalue(role))
    response = client.get(INSIGHTS)
    assert response.status_code == 200
    assert "No candidates yet" in text_of(response)


def test_anonymous_is_sent_to_login(client):
    response = client.get(INSIGHTS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_insights_count_statuses_reasons_and_second_chances(client, org, recruiter):
    make(org, "clean@example.com")
    for i in range(3):
        log(make(org, f"commute{i}@example.com"), "late", 30)
    log(make(org, "ill@example.com"), "no_show", 30, reason="illness")
    granted(org, "recovered@example.com", "attended")
    granted(org, "burned@example.com", "no_show")
    granted(org, "pending@example.com")
    granted(org, "later@example.com", "hired", "late")  # hired, then late: spent (rule 1)

    client.force_login(recruiter)
    page = text_of(client.get(INSIGHTS))
    assert "9 candidates in all." in page
    # Three lates and the granted candidates' four first no-shows (all the commute), one
    # no-show for illness, and the two missteps after grants (the commute again).
    assert "10 missteps recorded in all; 9 were the commute." in page
    assert "4 granted: 1 recovered, 2 burned, 1 still pending." in page
    assert (
        '<tr><th scope="row">Commute</th><td class="num">9</td><td class="num">90%</td></tr>'
        in (page)
    )
    stumbled = Candidate.objects.filter(status="stumbled").count()
    assert f'?status=stumbled">Stumbled</a></th><td class="num">{stumbled}</td>' in page


def test_the_charts_are_inline_svg_that_parses_and_says_its_numbers(client, org, recruiter):
    log(make(org, "a@example.com"), "late", 30)
    granted(org, "b@example.com", "attended")
    client.force_login(recruiter)
    charts = svgs_of(text_of(client.get(INSIGHTS)))
    assert [c.get("aria-label") for c in charts] == [
        "Candidates by status",
        "Missteps by reason",
        "Second chances granted in the last 12 months, and what became of them",
    ]
    for chart in charts:
        assert chart.get("role") == "img"
    words = ["".join(t.itertext()) for t in charts[1].iter(f"{{{ET_NS}}}text")]
    assert "Commute" in words and "2 (100%)" in words


def test_another_organizations_data_is_not_counted(client, org, other_org, outsider):
    log(make(org, "ours@example.com"), "late", 30)
    granted(org, "g@example.com", "attended")
    client.force_login(outsider)
    page = text_of(client.get(INSIGHTS))
    assert "No candidates yet" in page
    assert "No missteps recorded yet." in page
    assert "No second chance granted in the last 12 months." in page


@pytest.mark.parametrize("params", [{"months": "abc"}, {"status": "<script>"}, {"x": ["1", "2"]}])
def test_junk_parameters_are_ignored(client, org, recruiter, params):
    client.force_login(recruiter)
    assert client.get(INSIGHTS, params).status_code == 200


def test_insights_run_a_fixed_number_of_queries(client, org, recruiter):
    def grow(n, start):
        for i in range(start, start + n):
            granted(org, f"g{i}@example.com", "attended" if i % 2 else "late")
            log(make(org, f"s{i}@example.com"), "declined_interview", 40, reason="personal")

    client.force_login(recruiter)
    grow(1, 0)
    with CaptureQueriesContext(connection) as few:
        client.get(INSIGHTS)
    grow(6, 1)
    with CaptureQueriesContext(connection) as many:
        client.get(INSIGHTS)
    assert len(many) == len(few)


# --- The second-chance classification, month by month ------------------------------------


def test_outcomes_follow_the_engine_a_misstep_after_the_grant_spends_it(org):
    today = date(2026, 6, 15)

    def history(*events):
        candidate = CandidateFactory(organization=org)
        for kind, on in events:
            EventFactory(candidate=candidate, kind=kind, occurred_on=on)
        return candidate

    granted_on = ("second_chance_granted", date(2026, 3, 10))
    history(granted_on, ("attended", date(2026, 3, 20)))  # March: recovered
    history(granted_on, ("no_show", date(2026, 3, 12)), ("attended", date(2026, 4, 1)))  # burned
    # Hired, then a no-show: the engine calls the chance spent (rule 1), and so does the chart.
    history(granted_on, ("hired", date(2026, 4, 1)), ("no_show", date(2026, 5, 1)))  # burned
    history(("second_chance_granted", date(2026, 5, 31)))  # May: pending
    history(("second_chance_granted", date(2026, 5, 2)), ("attended", date(2026, 7, 1)))  # later
    history(("second_chance_granted", date(2025, 6, 30)), ("attended", date(2025, 7, 1)))  # old
    history(("second_chance_granted", date(2026, 6, 20)))  # after today: not yet
    same_day = CandidateFactory(organization=org)  # recorded before the grant: not after it
    EventFactory(candidate=same_day, kind="attended", occurred_on=date(2026, 2, 3))
    EventFactory(candidate=same_day, kind="second_chance_granted", occurred_on=date(2026, 2, 3))

    months = selectors.second_chance_outcomes(
        Event.objects.filter(candidate__organization=org), today=today, months=12
    )
    assert (months[0].month, months[-1].month) == (date(2025, 7, 1), date(2026, 6, 1))
    by_month = {m.month: (m.recovered, m.burned, m.pending) for m in months}
    assert by_month[date(2026, 3, 1)] == (1, 2, 0)
    assert by_month[date(2026, 5, 1)] == (0, 0, 2)
    assert by_month[date(2026, 2, 1)] == (0, 0, 1)
    assert by_month[date(2026, 6, 1)] == (0, 0, 0)
    assert sum(m.total for m in months) == 6
