"""Paging through the candidate list: every candidate exactly once, in order, whichever way a
member pages (Next, Previous, a typed page number, the last page), and page 2,000 costs what
page 1 costs (keyset pagination, candidates/pagination.py)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from candidates import selectors, services
from candidates.models import Candidate, Event
from candidates.pagination import MAX_PER_PAGE, Page, per_page_from

from .factories import CandidateFactory

pytestmark = pytest.mark.django_db

URL = reverse("candidates:list")


def make_many(org, n: int) -> list[Candidate]:
    """`n` candidates with ties on every sort key: risk in a few levels, names repeated,
    last events on a few days, some with no event at all."""
    made = []
    for i in range(n):
        made.append(
            CandidateFactory(
                organization=org,
                name=f"Person {i % 7}",
                email=f"p{i}@example.com",
                risk_score=(i % 4) * 10,
                last_event_on=None if i % 5 == 0 else date(2026, 3, 1) + timedelta(days=i % 3),
            )
        )
    return made


def expected_order(org, sort: str) -> list[int]:
    """The order the list promises, worked out in Python from the rows."""
    rows = list(Candidate.objects.filter(organization=org))
    if sort == "name":
        rows.sort(key=lambda c: (c.name, c.pk))
    elif sort == "latest":
        rows.sort(key=lambda c: (c.last_event_on or date.min, c.pk), reverse=True)
    else:
        rows.sort(key=lambda c: (-c.risk_score, c.name, c.pk))
    return [c.pk for c in rows]


def page_of(client, **params) -> Page:
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.context["page"]


def links(response) -> dict[str, str]:
    """The Previous and Next links of a list page, by rel."""
    html = response.content.decode().replace("&amp;", "&")
    return {rel: href for href, rel in re.findall(r'href="(\?[^"]*)" rel="(prev|next)"', html)}


@pytest.mark.parametrize("sort", ["risk", "name", "latest"])
def test_following_next_visits_every_candidate_once_in_order(client, org, recruiter, sort):
    make_many(org, 23)
    client.force_login(recruiter)
    seen, numbers = [], []
    response = client.get(URL, {"sort": sort, "per_page": 5})
    while True:
        page = response.context["page"]
        seen += [c.pk for c in page.object_list]
        numbers.append(page.number)
        nxt = links(response).get("next")
        if not nxt:
            break
        assert "after=" in nxt  # Next seeks from the last row shown, it does not count rows
        response = client.get(URL + nxt)
    assert seen == expected_order(org, sort)
    assert numbers == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("sort", ["risk", "name", "latest"])
def test_following_previous_from_the_last_page_walks_back_the_same_pages(
    client, org, recruiter, sort
):
    make_many(org, 23)
    client.force_login(recruiter)
    response = client.get(URL, {"sort": sort, "per_page": 5, "page": 999})
    pages = []
    while True:
        page = response.context["page"]
        pages.append((page.number, [c.pk for c in page.object_list]))
        prev = links(response).get("prev")
        if not prev:
            break
        response = client.get(URL + prev)
    order = expected_order(org, sort)
    assert pages == [(n, order[(n - 1) * 5 : n * 5]) for n in (5, 4, 3, 2, 1)]


@pytest.mark.parametrize("sort", ["risk", "name", "latest"])
def test_a_typed_page_number_shows_the_same_rows_as_paging_to_it(client, org, recruiter, sort):
    """Without a cursor, pages are read from the nearer end of the index: both ends agree."""
    make_many(org, 23)
    client.force_login(recruiter)
    order = expected_order(org, sort)
    for number in range(1, 6):
        typed = page_of(client, sort=sort, per_page=5, page=number)
        assert [c.pk for c in typed.object_list] == order[(number - 1) * 5 : number * 5]
        assert typed.number == number and typed.num_pages == 5


def test_page_says_n_of_m_and_offers_first_and_last(client, org, recruiter):
    make_many(org, 23)
    client.force_login(recruiter)
    html = client.get(URL, {"per_page": 5, "page": 3}).content.decode()
    assert "page 3 of 5" in html
    assert ">First<" in html and ">Last<" in html
    last = page_of(client, per_page=5, page=5)
    assert len(last.object_list) == 3 and not last.has_next()


def test_a_cursor_of_another_organization_is_an_unknown_row(client, org, other_org, recruiter):
    make_many(org, 12)
    theirs = CandidateFactory(organization=other_org, name="Zed Rival", risk_score=0)
    client.force_login(recruiter)
    page = page_of(client, sort="name", per_page=5, page=2, after=theirs.pk)
    # Not "the rows after their candidate": page 2 of my own list, counted from the start.
    assert [c.pk for c in page.object_list] == expected_order(org, "name")[5:10]
    assert all(c.organization_id == org.pk for c in page.object_list)


def test_a_deleted_cursor_row_falls_back_to_the_page_number(client, org, recruiter):
    made = make_many(org, 12)
    client.force_login(recruiter)
    gone = made[3]
    gone_pk = gone.pk
    gone.delete()
    page = page_of(client, sort="name", per_page=5, page=2, after=gone_pk)
    assert [c.pk for c in page.object_list] == expected_order(org, "name")[5:10]


def test_filters_stay_in_page_links(client, org, recruiter):
    for i in range(8):
        c = services.candidate_create(organization=org, email=f"s{i}@x.test", name=f"S {i}")
        services.event_log(
            candidate=c, kind="no_show", occurred_on=services.today(), reason="commute"
        )
    services.candidate_create(organization=org, email="clean@x.test", name="Clean")
    client.force_login(recruiter)
    response = client.get(URL, {"status": "stumbled", "per_page": 3})
    nxt = links(response)["next"]
    assert "status=stumbled" in nxt and "per_page=3" in nxt
    page = client.get(URL + nxt).context["page"]
    assert page.count == 8 and all(c.status == "stumbled" for c in page.object_list)


@pytest.mark.parametrize(
    "value,expected", [(None, 25), ("50", 50), ("0", 1), ("1000", MAX_PER_PAGE), ("x", 25)]
)
def test_rows_per_page_are_bounded(value, expected):
    assert per_page_from(value, 25) == expected


def test_selector_pages_by_seeking_past_the_cursor_row(org):
    """The SQL of a cursor page compares rows: (k1, k2, k3) > (v1, v2, v3), no OFFSET."""
    made = make_many(org, 10)
    candidates = Candidate.objects.filter(organization=org)
    events = Event.objects.filter(candidate__organization=org)
    with CaptureQueriesContext(connection) as captured:
        page = selectors.candidate_list(
            candidates,
            events,
            organization=org,
            filters={"sort": "name"},
            page=2,
            after=made[0].pk,
            per_page=3,
        ).page
    sql = captured.captured_queries[-1]["sql"]
    assert "OFFSET" not in sql.upper()
    assert re.search(r"\) > \(", sql)
    assert page.number == 2
