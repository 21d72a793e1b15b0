"""Searching candidates by name and email: substrings, prefixes for short text, the best
match first, close spellings when nothing matches (PostgreSQL, pg_trgm), and the indexes that
keep it fast at 100,000 candidates (migration 0003)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from candidates import selectors
from candidates.models import Candidate, Event

from .factories import CandidateFactory

pytestmark = pytest.mark.django_db

URL = reverse("candidates:list")
POSTGRES = connection.vendor == "postgresql"


@pytest.fixture
def people(org):
    return {
        name: CandidateFactory(organization=org, name=name, email=email)
        for name, email in [
            ("Anna Kowalski", "anna.k@example.com"),
            ("Kathleen Hall", "kath@example.com"),
            ("Ann Lee", "lee.ann@example.com"),
            ("Noah Murphy", "nm@example.com"),
            ("Lena Murphy-Jones", "lena@murphy.example"),
            ("Zoe Brown", "zoe@brown.example"),
        ]
    }


def names(client, q, **params) -> list[str]:
    response = client.get(URL, {"q": q, **params})
    assert response.status_code == 200
    return [c.name for c in response.context["page"].object_list]


def test_finds_a_substring_of_the_name_or_the_email_whatever_the_case(client, recruiter, people):
    client.force_login(recruiter)
    assert set(names(client, "MURPH")) == {"Noah Murphy", "Lena Murphy-Jones"}
    assert names(client, "brown.exa") == ["Zoe Brown"]  # in the email only
    assert names(client, "owals") == ["Anna Kowalski"]


@pytest.mark.parametrize("page", ["9223372036854775807", "99999999999999999", "1000001"])
def test_a_page_far_past_the_end_shows_the_last_page_of_matches(client, recruiter, people, page):
    client.force_login(recruiter)
    assert set(names(client, "murph", page=page)) == {"Noah Murphy", "Lena Murphy-Jones"}


def test_one_or_two_letters_match_the_start_of_the_name_or_email_only(client, recruiter, people):
    client.force_login(recruiter)
    # "le" is inside Kathleen and Lena's surname... but begins only Lena and lee.ann@.
    assert set(names(client, "le")) == {"Lena Murphy-Jones", "Ann Lee"}
    assert names(client, "z") == ["Zoe Brown"]


def test_the_best_match_comes_first(client, recruiter, people):
    client.force_login(recruiter)
    found = names(client, "lee")
    assert set(found) == {"Ann Lee", "Kathleen Hall"}
    # A whole word (PostgreSQL's word similarity) or a prefix of the email (elsewhere)
    # ranks above a fragment inside another word.
    assert found[0] == "Ann Lee"


def test_a_chosen_sort_orders_the_matches(client, recruiter, people, org):
    Candidate.objects.filter(pk=people["Lena Murphy-Jones"].pk).update(risk_score=80)
    client.force_login(recruiter)
    assert names(client, "murph", sort="risk") == ["Lena Murphy-Jones", "Noah Murphy"]
    assert names(client, "murph", sort="name") == ["Lena Murphy-Jones", "Noah Murphy"]


def test_search_combines_with_the_filters(client, recruiter, people):
    Candidate.objects.filter(pk=people["Noah Murphy"].pk).update(status="stumbled")
    client.force_login(recruiter)
    assert names(client, "murph", status="stumbled") == ["Noah Murphy"]


def test_search_never_finds_another_organizations_candidates(client, recruiter, other_org, people):
    CandidateFactory(organization=other_org, name="Nora Murphy", email="nora@rival.test")
    client.force_login(recruiter)
    assert "Nora Murphy" not in names(client, "murph")
    assert "Nora Murphy" not in names(client, "nora")


def test_wildcards_in_the_text_are_plain_characters(client, recruiter, people):
    client.force_login(recruiter)
    assert names(client, "%") == []
    assert names(client, "a_n") == []


def test_a_misspelt_name_finds_the_closest_names_on_postgresql(client, recruiter, people):
    client.force_login(recruiter)
    response = client.get(URL, {"q": "kowlaski"})
    found = [c.name for c in response.context["page"].object_list]
    html = response.content.decode()
    if POSTGRES:
        # pg_trgm word similarity through the trigram index, the closest first.
        assert found[0] == "Anna Kowalski"
        assert "No name or email contains" in html and "closest names" in html
    else:
        # SQLite has no trigrams: a plain substring search that finds nothing.
        assert found == []
        assert "No candidate matches these filters" in html


def test_results_and_their_capped_count_are_two_queries(org, people, django_assert_num_queries):
    candidates = Candidate.objects.filter(organization=org)
    events = Event.objects.filter(candidate__organization=org)
    with django_assert_num_queries(2):
        listing = selectors.candidate_list(
            candidates, events, organization=org, filters={"q": "murph"}, per_page=1
        )
    assert listing.page.count == 2 and len(listing.page.object_list) == 1


def _plan(sql: str, params=None, off=("seqscan", "indexscan", "indexonlyscan")) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        # A handful of rows: left to itself, the planner reads the whole table (or a whole
        # index) whatever the indexes. By default only a scan with an index condition remains.
        for scan in off:
            cursor.execute(f"SET LOCAL enable_{scan} = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_search_is_an_index_scan_on_postgresql_and_a_plain_scan_elsewhere(org, people):
    # Unscoped, so that the trigram indexes are the only ones that can help: does the
    # search's SQL compare the very expressions they index?
    qs = selectors.candidate_search(Candidate.objects.all(), Event.objects.all(), q="murph")
    sql, params = qs.query.sql_with_params()
    if POSTGRES:
        plan = _plan(sql, params)
        assert "candidate_name_trgm_idx" in plan and "candidate_email_trgm_idx" in plan
    else:
        assert "LIKE" in sql.upper()


def test_a_vague_searchs_page_is_its_matches_sorted_by_name_not_an_index_walk(
    org, people, monkeypatch
):
    """Past the count's cap the page is the matches by name, whatever the case: sorted, not
    read off the name index in its order, which for matches that sort together (every "Zoe",
    a one-letter prefix) means reading most of the organization to reach them."""
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 3)
    candidates = Candidate.objects.filter(organization=org)
    events = Event.objects.filter(candidate__organization=org)
    with CaptureQueriesContext(connection) as queries:
        listing = selectors.candidate_list(
            candidates, events, organization=org, filters={"q": "example"}, per_page=1, page=2
        )
    # All six emails contain "example": "3+", and page 2 is the second name of all six.
    assert listing.page.capped and listing.page.count == 3
    assert [c.name for c in listing.page.object_list] == ["Anna Kowalski"]
    if POSTGRES:
        page = queries[-1]["sql"]
        plan = _plan(page, off=("seqscan",))
        # Sorted by UPPER(name), which no index holds in order: nothing to walk.
        assert "Sort Key: (upper((candidates_candidate.name)" in plan, plan


def test_the_trigram_indexes_take_writes_at_once_so_searches_stay_fast_after_writes():
    """A search reads every entry waiting in a GIN index's pending list: with PostgreSQL's
    default, each status change of a candidate (a new row version) added to it, and the
    searches slowed until a vacuum (migration 0016)."""
    if not POSTGRES:
        pytest.skip("PostgreSQL's GIN indexes; CI runs on PostgreSQL, where this never skips")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.reloptions FROM pg_class c JOIN pg_am a ON a.oid = c.relam"
            " JOIN pg_index i ON i.indexrelid = c.oid"
            " WHERE a.amname = 'gin' AND i.indrelid = 'candidates_candidate'::regclass"
        )
        options = dict(cursor.fetchall())
    assert set(options) == {
        "candidate_name_trgm_idx",
        "candidate_email_trgm_idx",
        "candidate_name_key_trgm_idx",
    }
    assert all("fastupdate=off" in (o or []) for o in options.values()), options


def test_the_pages_of_a_capped_search_hold_exactly_the_count_whatever_the_page_size(
    org, people, monkeypatch
):
    """ "5+ match" and pages of 3: the second page shows 2, not 3 (6 would be more than the
    count the page states)."""
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 5)
    candidates = Candidate.objects.filter(organization=org)
    events = Event.objects.filter(candidate__organization=org)

    def page(n):
        return selectors.candidate_list(
            candidates, events, organization=org, filters={"q": "example"}, per_page=3, page=n
        ).page

    assert page(1).capped and page(1).count == 5 and page(1).num_pages == 2
    shown = [c.name for n in (1, 2) for c in page(n).object_list]
    assert shown == [
        "Ann Lee",
        "Anna Kowalski",
        "Kathleen Hall",
        "Lena Murphy-Jones",
        "Noah Murphy",
    ]
