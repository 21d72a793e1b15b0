"""The candidate list, its export, the candidate page and every action on it, per role."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from candidates import services
from candidates.engine import human_date
from candidates.models import Candidate, Event, RiskNote

from .factories import EventFactory, JobFactory, UserFactory
from .query_counts import DETAIL_FIRST, LIST_FIRST

pytestmark = pytest.mark.django_db


def today():
    return services.today()


def days_ago(n: int):
    return today() - timedelta(days=n)


def make(org, email, name=None, **kwargs):
    return services.candidate_create(
        organization=org, email=email, name=name or email.split("@")[0].title(), **kwargs
    )


def no_show(candidate, job=None, on=None, reason="commute"):
    services.event_log(
        candidate=candidate, kind="no_show", occurred_on=on or days_ago(10), reason=reason, job=job
    )


def fresh(candidate) -> Candidate:
    return Candidate.objects.get(pk=candidate.pk)


def detail_url(candidate) -> str:
    return reverse("candidates:detail", args=[candidate.pk])


def action_url(name: str, candidate) -> str:
    return reverse(f"candidates:{name}", args=[candidate.pk])


def text_of(response) -> str:
    return response.content.decode()


# --- Anonymous and other organizations ------------------------------------------------------


@pytest.mark.parametrize(
    "name,args,method",
    [
        ("list", [], "get"),
        ("export", [], "get"),
        ("create", [], "get"),
        ("detail", [1], "get"),
        ("edit", [1], "get"),
        ("log_event", [1], "post"),
        ("add_note", [1], "post"),
        ("request", [1], "post"),
        ("decide", [1], "post"),
        ("flag", [1], "post"),
        ("clear_flag", [1], "post"),
    ],
)
def test_anonymous_is_sent_to_login(client, name, args, method):
    url = reverse(f"candidates:{name}", args=args)
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_another_organizations_candidate_is_404_on_every_page_and_action(
    client, org, other_org, org_admin
):
    theirs = make(other_org, "secret@rival.test", "Secret Person")
    client.force_login(org_admin)
    for name in ("detail", "edit"):
        assert client.get(action_url(name, theirs)).status_code == 404
    posts = {
        "log_event": {"kind": "attended", "occurred_on": today().isoformat()},
        "add_note": {"dimension": "trust", "level": "3", "noted_on": today().isoformat()},
        "request": {"pitch": "Please", "occurred_on": today().isoformat()},
        "decide": {"decision": "grant"},
        "flag": {"reason": "No"},
        "clear_flag": {},
        "edit": {"name": "Hacked", "email": "secret@rival.test"},
    }
    for name, data in posts.items():
        response = client.post(action_url(name, theirs), data)
        assert response.status_code == 404, name
        assert "Secret Person" not in text_of(response)
    assert Event.objects.filter(candidate=theirs).count() == 0
    assert RiskNote.objects.count() == 0
    assert fresh(theirs).name == "Secret Person"


def test_a_missing_candidate_is_404(client, recruiter):
    client.force_login(recruiter)
    assert client.get(reverse("candidates:detail", args=[999999])).status_code == 404


# --- The list -------------------------------------------------------------------------------


def test_list_shows_only_my_organizations_candidates_with_badges(client, org, other_org, recruiter):
    mine = make(org, "ann@example.com", "Ann Archer")
    no_show(mine)
    make(other_org, "bob@rival.test", "Bob Rival")
    client.force_login(recruiter)
    response = client.get(reverse("candidates:list"))
    page = text_of(response)
    assert response.status_code == 200
    assert "Ann Archer" in page
    assert "Bob Rival" not in page
    assert "badge-stumbled" in page and ">Stumbled<" in page
    assert "badge-advice-caution" in page


def test_list_searches_name_and_email_case_insensitively(client, org, recruiter):
    make(org, "ann@example.com", "Ann Archer")
    make(org, "zed@other.test", "Zed Zulu")
    client.force_login(recruiter)
    by_name = text_of(client.get(reverse("candidates:list"), {"q": "archer"}))
    assert "Ann Archer" in by_name and "Zed Zulu" not in by_name
    by_email = text_of(client.get(reverse("candidates:list"), {"q": "OTHER.TEST"}))
    assert "Zed Zulu" in by_email and "Ann Archer" not in by_email


def test_list_filters_by_status_advice_and_owner(client, org, recruiter, headhunter):
    stumbled = make(org, "s@example.com", "Sam Stumble", owner=headhunter)
    no_show(stumbled)
    make(org, "c@example.com", "Cleo Clean", owner=recruiter)
    client.force_login(recruiter)
    url = reverse("candidates:list")
    page = text_of(client.get(url, {"status": "stumbled"}))
    assert "Sam Stumble" in page and "Cleo Clean" not in page
    page = text_of(client.get(url, {"advice": "resubmit"}))
    assert "Cleo Clean" in page and "Sam Stumble" not in page
    page = text_of(client.get(url, {"owner": recruiter.pk}))
    assert "Cleo Clean" in page and "Sam Stumble" not in page


def test_list_filters_by_job_and_client_without_repeating_candidates(client, org, recruiter):
    job = JobFactory(client__organization=org, title="Forklift operator")
    other_job = JobFactory(client__organization=org, title="Picker")
    twice = make(org, "twice@example.com", "Tess Twice")
    no_show(twice, job=job, on=days_ago(30))
    services.event_log(candidate=twice, kind="attended", occurred_on=days_ago(5), job=job)
    elsewhere = make(org, "else@example.com", "Eli Elsewhere")
    no_show(elsewhere, job=other_job)
    client.force_login(recruiter)
    url = reverse("candidates:list")

    response = client.get(url, {"job": job.pk})
    assert [c.pk for c in response.context["page"].object_list] == [twice.pk]
    response = client.get(url, {"client": job.client.pk})
    assert [c.pk for c in response.context["page"].object_list] == [twice.pk]
    assert "1 candidate matches" in text_of(response)


def test_list_sorts_by_risk_name_and_latest_event(client, org, recruiter):
    low = make(org, "low@example.com", "Alpha Low")
    services.event_log(candidate=low, kind="late", occurred_on=days_ago(3), reason="commute")
    high = make(org, "high@example.com", "Zeta High")
    services.event_log(candidate=high, kind="reneged", occurred_on=days_ago(40), reason="other")
    none = make(org, "none@example.com", "Mid None")
    client.force_login(recruiter)
    url = reverse("candidates:list")

    def order(sort):
        return [c.pk for c in client.get(url, {"sort": sort}).context["page"].object_list]

    assert order("risk") == [high.pk, low.pk, none.pk]
    assert order("name") == [low.pk, none.pk, high.pk]
    assert order("latest") == [low.pk, high.pk, none.pk]  # never an event: last
    assert order("") == [high.pk, low.pk, none.pk]  # risk is the default


def test_list_is_paginated_and_keeps_filters_in_page_links(client, org, recruiter):
    for i in range(30):
        make(org, f"p{i:02}@example.com", f"Person {i:02}")
    client.force_login(recruiter)
    response = client.get(reverse("candidates:list"), {"sort": "name", "page": "2"})
    page = response.context["page"]
    assert page.number == 2
    assert len(page.object_list) == 5
    assert "Person 29" in text_of(response)
    assert "?sort=name&amp;page=1" in text_of(response)


@pytest.mark.parametrize(
    "params",
    [
        {"page": "abc"},
        {"page": "999"},
        {"page": "-1"},
        {"sort": "xyz"},
        {"status": "nope"},
        {"advice": "maybe"},
        {"owner": "notanint"},
        {"owner": "999999"},
        {"client": "abc"},
        {"job": "1e9"},
        {"q": "x" * 500},
        {"q": "%_'\"\\"},
    ],
)
def test_junk_query_parameters_never_break_the_list_or_export(client, org, recruiter, params):
    make(org, "ann@example.com", "Ann Archer")
    client.force_login(recruiter)
    assert client.get(reverse("candidates:list"), params).status_code == 200
    response = client.get(reverse("candidates:export"), params)
    assert response.status_code == 200
    b"".join(response.streaming_content)


def test_invalid_filter_is_reported_and_ignored_while_the_others_apply(client, org, recruiter):
    stumbled = make(org, "s@example.com", "Sam Stumble")
    no_show(stumbled)
    make(org, "c@example.com", "Cleo Clean")
    client.force_login(recruiter)
    response = client.get(reverse("candidates:list"), {"status": "stumbled", "owner": "zzz"})
    page = text_of(response)
    assert "Sam Stumble" in page and "Cleo Clean" not in page
    assert "Select a valid choice" in page


def test_empty_organization_invites_to_import_or_add(client, org, recruiter):
    client.force_login(recruiter)
    page = text_of(client.get(reverse("candidates:list")))
    assert "No candidates yet" in page
    assert reverse("candidates:import") in page
    assert reverse("candidates:create") in page


def test_no_match_is_not_the_empty_state(client, org, recruiter):
    make(org, "ann@example.com", "Ann Archer")
    client.force_login(recruiter)
    page = text_of(client.get(reverse("candidates:list"), {"q": "nobody-like-this"}))
    assert "No candidate matches these filters" in page
    assert "No candidates yet" not in page


def test_filter_form_keeps_its_values(client, org, recruiter):
    client.force_login(recruiter)
    page = text_of(client.get(reverse("candidates:list"), {"q": "ann", "status": "burned"}))
    assert 'value="ann"' in page
    assert '<option value="burned" selected>' in page


LIST_QUERIES = LIST_FIRST  # the first view; tests/query_counts.py says which


@pytest.mark.parametrize("n", [3, 30])
def test_list_runs_the_same_queries_for_3_or_30_candidates(
    client, org, recruiter, n, django_assert_num_queries
):
    job = JobFactory(client__organization=org)
    for i in range(n):
        c = make(org, f"q{i}@example.com", owner=recruiter)
        no_show(c, job=job)
    client.force_login(recruiter)
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(reverse("candidates:list"), {"client": job.client.pk})
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == min(n, 25)


# --- CSV export ------------------------------------------------------------------------------


def read_csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_export_is_the_filtered_list_as_csv(client, org, other_org, recruiter):
    for i in range(30):
        c = make(org, f"s{i:02}@example.com", f"Stumbler {i:02}")
        no_show(c)
    make(org, "clean@example.com", "Clean Person")
    make(other_org, "rival@rival.test", "Rival Person")
    client.force_login(recruiter)
    response = client.get(reverse("candidates:export"), {"status": "stumbled", "page": "2"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert len(rows) == 30  # every page, not just one
    assert {r["status"] for r in rows} == {"stumbled"}
    assert rows[0]["risk_score"] == "30"
    assert "No-show" in rows[0]["explanation"]


def test_export_defuses_spreadsheet_formulas(client, org, recruiter):
    make(org, "evil@example.com", '=HYPERLINK("http://x","y")')
    make(org, "plus@example.com", "+1 Plus")
    make(org, "at@example.com", "@SUM(A1)")
    make(org, "minus@example.com", "-2 Minus")
    client.force_login(recruiter)
    names = {r["name"] for r in read_csv(client.get(reverse("candidates:export")))}
    assert names == {'\'=HYPERLINK("http://x","y")', "'+1 Plus", "'@SUM(A1)", "'-2 Minus"}


# --- The candidate page --------------------------------------------------------------------


def test_candidate_page_shows_status_explanation_risk_advice_and_history(client, org, recruiter):
    job = JobFactory(client__organization=org, client__name="Acme", title="Forklift operator")
    c = make(org, "ann@example.com", "Ann Archer")
    services.event_log(
        candidate=c, kind="scheduled", occurred_on=days_ago(20), job=job, recorded_by=recruiter
    )
    no_show(c, job=job, on=days_ago(10))
    services.second_chance_request(candidate=c, pitch="My bus broke down", occurred_on=days_ago(2))
    client.force_login(recruiter)
    page = text_of(client.get(detail_url(c)))
    assert ">Requested<" in page and "badge-requested" in page
    assert ">Caution<" in page
    # The stored (report) explanation says ISO dates; the page says them as it says every date.
    assert fresh(c).explanation[0] == (
        f"Second chance requested on {days_ago(2).isoformat()} after a no-show on "
        f"{days_ago(10).isoformat()} (Acme, Forklift operator), reason: commute; "
        "waiting for a decision"
    )
    assert (
        f"Second chance requested on {human_date(days_ago(2))} after a no-show on "
        f"{human_date(days_ago(10))} (Acme, Forklift operator), reason: commute; "
        "waiting for a decision"
    ) in page
    assert "Acme" in page and "Forklift operator" in page
    assert "reason: commute" in page
    assert "My bus broke down" in page
    assert f"Recorded by {recruiter}" in page
    # Newest first.
    assert (
        page.index("Second chance requested")
        < page.index("No-show")
        < page.index("Interview scheduled")
    )


def test_candidate_page_shows_each_authors_latest_level_and_their_history(
    client, org, recruiter, headhunter
):
    c = make(org, "ann@example.com", "Ann Archer")
    services.risk_note_add(
        candidate=c,
        dimension="commute",
        level=2,
        author=recruiter,
        noted_on=days_ago(9),
        note="Lives close",
    )
    services.risk_note_add(
        candidate=c,
        dimension="commute",
        level=5,
        author=recruiter,
        noted_on=days_ago(3),
        note="Moved far away",
    )
    services.risk_note_add(
        candidate=c, dimension="commute", level=3, author=headhunter, noted_on=days_ago(1)
    )
    client.force_login(recruiter)
    response = client.get(detail_url(c))
    commute = next(d for d in response.context["page"].dimensions if d.dimension == "commute")
    latest = {a.author: a.latest.level for a in commute.authors}
    assert latest == {recruiter.email: 5, headhunter.email: 3}
    assert commute.average == 4
    earlier = next(a for a in commute.authors if a.author == recruiter.email).earlier
    assert [n.level for n in earlier] == [2]
    page = text_of(response)
    assert "average 4.0, adds 10.0 to the risk" in page
    assert "Lives close" in page and "Moved far away" in page
    assert fresh(c).risk_score == 10


DETAIL_QUERIES = DETAIL_FIRST  # the first view; tests/query_counts.py says which


@pytest.mark.parametrize("n", [3, 30])
def test_candidate_page_runs_the_same_queries_for_3_or_30_events(
    client, org, recruiter, n, django_assert_num_queries
):
    c = make(org, "ann@example.com", "Ann Archer")
    jobs = [JobFactory(client__organization=org) for _ in range(3)]
    for i in range(n):
        services.event_log(
            candidate=c,
            kind="attended",
            occurred_on=days_ago(i + 1),
            job=jobs[i % 3],
            recorded_by=recruiter,
        )
        services.risk_note_add(candidate=c, dimension="trust", level=2, author=recruiter)
    client.force_login(recruiter)
    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(detail_url(c))
    assert response.status_code == 200
    assert len(response.context["page"].timeline) == 2 * n


def test_manager_sees_no_record_forms_but_decides_a_pending_request(
    client, org, recruiter, manager
):
    c = make(org, "ann@example.com", "Ann Archer")
    no_show(c)
    client.force_login(manager)
    page = text_of(client.get(detail_url(c)))
    assert action_url("log_event", c) not in page
    assert action_url("decide", c) not in page  # nothing to decide yet
    services.second_chance_request(candidate=c, pitch="Please")
    page = text_of(client.get(detail_url(c)))
    assert action_url("decide", c) in page
    assert action_url("flag", c) not in page


def test_recruiter_sees_record_forms_but_not_the_decision(client, org, recruiter):
    c = make(org, "ann@example.com", "Ann Archer")
    no_show(c)
    services.second_chance_request(candidate=c, pitch="Please")
    client.force_login(recruiter)
    page = text_of(client.get(detail_url(c)))
    for name in ("log_event", "add_note", "flag"):
        assert action_url(name, c) in page
    assert action_url("decide", c) not in page


def test_request_form_only_offered_when_a_request_makes_sense(client, org, recruiter):
    c = make(org, "ann@example.com", "Ann Archer")
    client.force_login(recruiter)
    assert action_url("request", c) not in text_of(client.get(detail_url(c)))  # clean
    no_show(c)
    assert action_url("request", c) in text_of(client.get(detail_url(c)))  # stumbled


# --- Logging an event -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["recruiter", "headhunter", "org_admin"])
def test_recorders_log_a_no_show_for_the_commute(client, org, role, request):
    user = request.getfixturevalue(role)
    job = JobFactory(client__organization=org, client__name="Acme", title="Forklift operator")
    c = make(org, "ann@example.com", "Ann Archer")
    client.force_login(user)
    response = client.post(
        action_url("log_event", c),
        {
            "kind": "no_show",
            "occurred_on": days_ago(1).isoformat(),
            "reason": "commute",
            "job": job.pk,
            "notes": "Bus strike",
        },
        follow=True,
    )
    assert response.redirect_chain == [(detail_url(c), 302)]
    assert "“No-show” logged for Ann Archer." in text_of(response)
    event = Event.objects.get(candidate=c)
    assert (event.kind, event.reason, event.job, event.recorded_by) == (
        "no_show",
        "commute",
        job,
        user,
    )
    assert fresh(c).status == "stumbled"
    assert ">Stumbled<" in text_of(response)


def test_manager_cannot_log_events(client, org, manager):
    c = make(org, "ann@example.com")
    client.force_login(manager)
    response = client.post(
        action_url("log_event", c), {"kind": "attended", "occurred_on": today().isoformat()}
    )
    assert response.status_code == 403
    assert not Event.objects.exists()


def test_actions_refuse_get(client, org, recruiter):
    c = make(org, "ann@example.com")
    client.force_login(recruiter)
    assert client.get(action_url("log_event", c)).status_code == 405


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"kind": "no_show"}, "reason", "Choose a reason: “No-show” is a misstep."),
        (
            {"kind": "attended", "reason": "commute"},
            "reason",
            "Leave the reason empty: “Attended interview” is not a misstep.",
        ),
        (
            {"kind": "attended", "interview_at": "2030-01-01T10:00"},
            "interview_at",
            "Only a scheduled interview has an interview time.",
        ),
        ({"kind": "second_chance_granted"}, "kind", "Select a valid choice."),
        ({"kind": "attended", "occurred_on": "2999-01-01"}, "occurred_on", "in the future"),
        ({"kind": "attended", "occurred_on": "not-a-date"}, "occurred_on", "Enter a valid date"),
        ({"kind": "attended", "occurred_on": "1900-01-01"}, "occurred_on", "must be after"),
        ({"kind": ""}, "kind", "This field is required."),
    ],
)
def test_bad_event_input_is_shown_with_what_was_typed_and_nothing_is_written(
    client, org, recruiter, data, field, message
):
    c = make(org, "ann@example.com", "Ann Archer")
    client.force_login(recruiter)
    posted = {"occurred_on": days_ago(1).isoformat(), "notes": "typed this", **data}
    response = client.post(action_url("log_event", c), posted)
    assert response.status_code == 200
    form = response.context["event_form"]
    assert any(message in error for error in form.errors[field])
    page = text_of(response)
    assert "typed this" in page  # what the user typed is kept
    assert 'id="log-event" open' in page  # and the form with the error is open
    assert "Nothing was saved: see what to correct in the form below." in page
    assert not Event.objects.exists()
    assert fresh(c).status == "clean"


# --- One date rule: not after today (clock.latest_date, the import's rule too) --------------


@pytest.mark.parametrize("days_ahead,accepted", [(0, True), (1, False)])
def test_an_event_and_a_note_may_be_dated_today_not_tomorrow(
    client, org, recruiter, days_ahead, accepted
):
    c = make(org, "ann@example.com", "Ann Archer")
    client.force_login(recruiter)
    day = (today() + timedelta(days=days_ahead)).isoformat()
    event = client.post(
        action_url("log_event", c), {"kind": "late", "occurred_on": day, "reason": "commute"}
    )
    note = client.post(
        action_url("add_note", c), {"dimension": "trust", "level": "2", "noted_on": day}
    )
    if accepted:
        assert (event.status_code, note.status_code) == (302, 302)
        assert Event.objects.get().occurred_on.isoformat() == day
        assert RiskNote.objects.get().noted_on.isoformat() == day
    else:
        assert event.context["event_form"].errors["occurred_on"] == [
            "The date cannot be in the future."
        ]
        assert note.context["note_form"].errors["noted_on"] == ["The date cannot be in the future."]
        assert not Event.objects.exists() and not RiskNote.objects.exists()


def test_a_member_whose_day_has_begun_may_date_an_event_their_today(client, org, recruiter):
    """Auckland is a day ahead of the server's zone (UTC) in the evening: the member's today is
    not in the future (the form offers it), their tomorrow is."""
    recruiter.time_zone = "Pacific/Auckland"
    recruiter.save()
    c = make(org, "ann@example.com", "Ann Archer")
    client.force_login(recruiter)
    with time_machine.travel(datetime(2026, 3, 2, 20, 0, tzinfo=UTC), tick=False):
        offered = client.get(detail_url(c)).context["event_form"].initial["occurred_on"]
        assert offered == date(2026, 3, 3)
        late = {"kind": "late", "reason": "commute"}
        refused = client.post(action_url("log_event", c), {**late, "occurred_on": "2026-03-04"})
        assert refused.status_code == 200
        accepted = client.post(action_url("log_event", c), {**late, "occurred_on": "2026-03-03"})
        assert accepted.status_code == 302
    assert Event.objects.get().occurred_on == date(2026, 3, 3)


def test_event_on_another_organizations_job_is_404(client, org, other_org, recruiter):
    their_job = JobFactory(client__organization=other_org)
    c = make(org, "ann@example.com")
    client.force_login(recruiter)
    response = client.post(
        action_url("log_event", c),
        {"kind": "attended", "occurred_on": today().isoformat(), "job": their_job.pk},
    )
    assert response.status_code == 404
    assert not Event.objects.exists()


def test_scheduled_interview_keeps_its_time(client, org, recruiter):
    c = make(org, "ann@example.com")
    client.force_login(recruiter)
    client.post(
        action_url("log_event", c),
        {
            "kind": "scheduled",
            "occurred_on": today().isoformat(),
            "interview_at": f"{today().year + 1}-05-01T09:30",  # within 18 months
        },
    )
    event = Event.objects.get()
    assert event.interview_at.year == today().year + 1 and event.interview_at.hour == 9


# --- Risk notes ----------------------------------------------------------------------------


def test_recruiter_adds_a_risk_note_and_the_risk_moves(client, org, recruiter):
    c = make(org, "ann@example.com", "Ann Archer")
    client.force_login(recruiter)
    response = client.post(
        action_url("add_note", c),
        {"dimension": "flakiness", "level": "4", "noted_on": today().isoformat(), "note": "Late"},
        follow=True,
    )
    assert "Risk note added for Ann Archer." in text_of(response)
    note = RiskNote.objects.get()
    assert (note.level, note.author, note.author_email) == (4, recruiter, recruiter.email)
    assert fresh(c).risk_score == 10


@pytest.mark.parametrize(
    "data,field",
    [
        ({"dimension": "flakiness", "level": "9"}, "level"),
        ({"dimension": "mood", "level": "3"}, "dimension"),
        ({"dimension": "trust", "level": "abc"}, "level"),
    ],
)
def test_bad_risk_note_is_refused(client, org, recruiter, data, field):
    c = make(org, "ann@example.com")
    client.force_login(recruiter)
    response = client.post(
        action_url("add_note", c), {"noted_on": today().isoformat(), "note": "keep me", **data}
    )
    assert response.status_code == 200
    assert field in response.context["note_form"].errors
    assert "keep me" in text_of(response)
    assert not RiskNote.objects.exists()


def test_manager_cannot_add_risk_notes(client, org, manager):
    c = make(org, "ann@example.com")
    client.force_login(manager)
    response = client.post(
        action_url("add_note", c), {"dimension": "trust", "level": "3", "noted_on": "2026-01-01"}
    )
    assert response.status_code == 403


# --- Second chances ------------------------------------------------------------------------


def test_recruiter_records_a_request_for_the_missteps_job(client, org, recruiter):
    job = JobFactory(client__organization=org)
    c = make(org, "ann@example.com", "Ann Archer")
    no_show(c, job=job)
    client.force_login(recruiter)
    page = client.get(detail_url(c))
    assert page.context["request_form"]["job"].value() == job.pk
    response = client.post(
        action_url("request", c),
        {"pitch": "My bus broke down", "occurred_on": today().isoformat(), "job": job.pk},
        follow=True,
    )
    assert "request for a second chance is recorded" in text_of(response)
    event = Event.objects.get(kind="second_chance_requested")
    assert (event.notes, event.job, event.recorded_by) == ("My bus broke down", job, recruiter)
    assert fresh(c).status == "requested"


def test_request_needs_a_pitch(client, org, recruiter):
    c = make(org, "ann@example.com")
    no_show(c)
    client.force_login(recruiter)
    response = client.post(
        action_url("request", c), {"pitch": "   ", "occurred_on": today().isoformat()}
    )
    assert response.status_code == 200
    assert response.context["request_form"].errors["pitch"]
    assert not Event.objects.filter(kind="second_chance_requested").exists()


def test_request_for_a_clean_candidate_is_refused_with_a_reason(client, org, recruiter):
    c = make(org, "ann@example.com")
    client.force_login(recruiter)
    response = client.post(
        action_url("request", c), {"pitch": "Please", "occurred_on": today().isoformat()}
    )
    assert response.status_code == 200
    assert "There is no misstep to ask a second chance for." in text_of(response)
    assert not Event.objects.exists()


def test_a_second_pending_request_is_refused(client, org, recruiter):
    c = make(org, "ann@example.com")
    no_show(c)
    services.second_chance_request(candidate=c, pitch="Please")
    client.force_login(recruiter)
    response = client.post(
        action_url("request", c), {"pitch": "Again", "occurred_on": today().isoformat()}
    )
    assert "A request is already waiting for a decision." in text_of(response)
    assert Event.objects.filter(kind="second_chance_requested").count() == 1


def pending(org, job=None):
    c = make(org, "ann@example.com", "Ann Archer")
    no_show(c, job=job)
    services.second_chance_request(candidate=c, pitch="Please", job=job)
    return c


@pytest.mark.parametrize("role", ["manager", "org_admin"])
def test_deciders_grant_with_an_interview_for_the_requests_job(client, org, role, request):
    user = request.getfixturevalue(role)
    job = JobFactory(client__organization=org)
    c = pending(org, job=job)
    client.force_login(user)
    response = client.post(
        action_url("decide", c),
        {
            "decision": "grant",
            "note": "One more go",
            "interview_at": f"{today().year + 1}-03-04T14:00",  # within 18 months
        },
        follow=True,
    )
    assert "Second chance granted for Ann Archer." in text_of(response)
    event = Event.objects.get(kind="second_chance_granted")
    assert (event.job, event.recorded_by, event.notes) == (job, user, "One more go")
    assert event.interview_at.year == today().year + 1
    assert fresh(c).status == "second_chance"


def test_manager_refuses_with_a_note(client, org, manager):
    c = pending(org)
    client.force_login(manager)
    client.post(action_url("decide", c), {"decision": "refuse", "note": "Twice is enough"})
    assert fresh(c).status == "refused"
    assert Event.objects.get(kind="second_chance_refused").notes == "Twice is enough"


def test_refusing_needs_a_note(client, org, manager):
    c = pending(org)
    client.force_login(manager)
    response = client.post(action_url("decide", c), {"decision": "refuse", "note": ""})
    assert response.status_code == 200
    assert "Say why the second chance is refused." in text_of(response)
    assert fresh(c).status == "requested"


def test_a_decision_made_yesterday_is_recorded_as_of_yesterday_with_its_past_interview(
    client, org, manager
):
    """Issue 15: recording after the fact (this used to refuse a past interview time)."""
    c = pending(org)
    client.force_login(manager)
    interview = (timezone.localtime() - timedelta(hours=3)).replace(second=0, microsecond=0)
    response = client.post(
        action_url("decide", c),
        {
            "decision": "grant",
            "occurred_on": today().isoformat(),
            "interview_at": interview.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    grant = Event.objects.get(candidate=c, kind="second_chance_granted")
    assert grant.interview_at == interview
    assert fresh(c).status == "second_chance"


def test_a_decision_is_not_dated_in_the_future_nor_before_the_request(client, org, manager):
    c = pending(org)  # asked today
    client.force_login(manager)
    for day, error in [
        (today() + timedelta(days=1), "The decision&#x27;s date cannot be in the future."),
        (days_ago(1), "The decision cannot come before the request"),
    ]:
        response = client.post(
            action_url("decide", c),
            {"decision": "refuse", "note": "No", "occurred_on": day.isoformat()},
        )
        assert response.status_code == 200
        assert error in text_of(response)
    assert fresh(c).status == "requested"


def test_a_decision_without_a_date_is_today_and_the_form_offers_today(client, org, manager):
    c = pending(org)
    client.force_login(manager)
    assert f'value="{today().isoformat()}"' in text_of(client.get(detail_url(c)))
    client.post(action_url("decide", c), {"decision": "refuse", "note": "No"})
    assert Event.objects.get(candidate=c, kind="second_chance_refused").occurred_on == today()


def test_deciding_without_a_pending_request_is_refused(client, org, manager):
    c = make(org, "ann@example.com")
    no_show(c)
    client.force_login(manager)
    response = client.post(action_url("decide", c), {"decision": "grant"})
    assert response.status_code == 200
    assert "There is no second-chance request waiting for a decision." in text_of(response)
    assert fresh(c).status == "stumbled"


@pytest.mark.parametrize("role", ["recruiter", "headhunter"])
def test_recorders_cannot_decide(client, org, role, request):
    c = pending(org)
    client.force_login(request.getfixturevalue(role))
    assert client.post(action_url("decide", c), {"decision": "grant"}).status_code == 403
    assert fresh(c).status == "requested"


def test_decision_returns_to_a_safe_next_page_only(client, org, manager):
    c = pending(org)
    client.force_login(manager)
    response = client.post(
        action_url("decide", c), {"decision": "grant", "next": reverse("candidates:review")}
    )
    assert response["Location"] == reverse("candidates:review")
    other = make(org, "bob@example.com")
    no_show(other)
    services.second_chance_request(candidate=other, pitch="Please")
    response = client.post(
        action_url("decide", other), {"decision": "grant", "next": "https://evil.example/"}
    )
    assert response["Location"] == detail_url(other)


# --- Flags ---------------------------------------------------------------------------------


def test_flag_burns_and_clearing_lifts_it(client, org, headhunter):
    c = make(org, "ann@example.com", "Ann Archer")
    client.force_login(headhunter)
    response = client.post(action_url("flag", c), {"reason": "Abusive on the phone"}, follow=True)
    assert "Ann Archer is flagged: do not resubmit." in text_of(response)
    assert (fresh(c).status, fresh(c).advice) == ("burned", "do_not_resubmit")
    assert action_url("clear_flag", c) in text_of(response)
    response = client.post(action_url("clear_flag", c), {"reason": "Apologised"}, follow=True)
    assert "The flag on Ann Archer is cleared." in text_of(response)
    assert fresh(c).status == "clean"


def test_flag_needs_a_reason(client, org, recruiter):
    c = make(org, "ann@example.com")
    client.force_login(recruiter)
    response = client.post(action_url("flag", c), {"reason": "  "})
    assert response.status_code == 200
    assert "This field is required." in text_of(response) or "Say why" in text_of(response)
    assert not Event.objects.exists()


def test_flag_twice_or_clear_without_flag_is_refused(client, org, recruiter):
    c = make(org, "ann@example.com")
    client.force_login(recruiter)
    response = client.post(action_url("clear_flag", c), {})
    assert "There is no do-not-resubmit flag to clear." in text_of(response)
    client.post(action_url("flag", c), {"reason": "No"})
    response = client.post(action_url("flag", c), {"reason": "Still no"})
    assert "A do-not-resubmit flag already stands." in text_of(response)
    assert Event.objects.count() == 1


def test_manager_cannot_flag(client, org, manager):
    c = make(org, "ann@example.com")
    client.force_login(manager)
    assert client.post(action_url("flag", c), {"reason": "No"}).status_code == 403


# --- Adding and editing candidates ---------------------------------------------------------


@pytest.mark.parametrize("role", ["recruiter", "headhunter", "org_admin"])
def test_recorders_add_a_candidate(client, org, role, request):
    user = request.getfixturevalue(role)
    client.force_login(user)
    assert client.get(reverse("candidates:create")).status_code == 200
    response = client.post(
        reverse("candidates:create"),
        {"name": "Ann Archer", "email": "Ann@Example.com", "owner": user.pk, "rating": "4"},
        follow=True,
    )
    c = Candidate.objects.get()
    assert response.redirect_chain == [(detail_url(c), 302)]
    assert "Ann Archer added." in text_of(response)
    assert (c.organization, c.email, c.owner, c.rating, c.status) == (
        org,
        "ann@example.com",
        user,
        4,
        "clean",
    )


def test_manager_cannot_add_candidates(client, org, manager):
    client.force_login(manager)
    assert client.get(reverse("candidates:create")).status_code == 403
    response = client.post(reverse("candidates:create"), {"name": "A", "email": "a@b.com"})
    assert response.status_code == 403
    assert not Candidate.objects.exists()


def test_duplicate_email_is_a_form_error_not_a_crash(client, org, other_org, recruiter):
    make(org, "ann@example.com", "Ann Archer")
    make(other_org, "bob@example.com", "Bob")  # another organization: no clash
    client.force_login(recruiter)
    response = client.post(
        reverse("candidates:create"), {"name": "Ann Again", "email": "ANN@example.com "}
    )
    assert response.status_code == 200
    assert "Another candidate already has this email address." in text_of(response)
    assert 'value="Ann Again"' in text_of(response)
    client.post(reverse("candidates:create"), {"name": "Bob Here", "email": "bob@example.com"})
    assert Candidate.objects.filter(organization=org).count() == 2


def test_owner_from_another_organization_is_refused(client, org, other_org, recruiter):
    stranger = UserFactory(organization=other_org)
    client.force_login(recruiter)
    response = client.post(
        reverse("candidates:create"), {"name": "Ann", "email": "a@b.com", "owner": stranger.pk}
    )
    assert "owner" in response.context["form"].errors
    assert not Candidate.objects.exists()


@pytest.mark.parametrize(
    "data,field",
    [
        ({"name": "", "email": "a@b.com"}, "name"),
        ({"name": "Ann", "email": "not-an-email"}, "email"),
        ({"name": "Ann", "email": "a@b.com", "rating": "7"}, "rating"),
    ],
)
def test_bad_candidate_input_is_shown(client, org, recruiter, data, field):
    client.force_login(recruiter)
    response = client.post(reverse("candidates:create"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Candidate.objects.exists()


def test_edit_a_candidate_keeps_its_email_unique(client, org, recruiter):
    ann = make(org, "ann@example.com", "Ann Archer")
    make(org, "bob@example.com", "Bob Baker")
    client.force_login(recruiter)
    page = client.get(action_url("edit", ann))
    assert 'value="ann@example.com"' in text_of(page)
    response = client.post(action_url("edit", ann), {"name": "Ann B", "email": "BOB@example.com"})
    assert "Another candidate already has this email address." in text_of(response)
    response = client.post(
        action_url("edit", ann), {"name": "Ann Bee", "email": "ann@example.com", "phone": "123"}
    )
    assert response["Location"] == detail_url(ann)
    assert (fresh(ann).name, fresh(ann).phone) == ("Ann Bee", "123")


def test_upcoming_interview_time_is_shown_on_the_candidate(client, org, manager):
    c = pending(org)
    services.second_chance_decide(
        candidate=c, grant=True, interview_at=timezone.now() + timedelta(days=3)
    )
    client.force_login(manager)
    assert "Interview on" in text_of(client.get(detail_url(c)))


def test_a_flag_dated_in_the_future_does_not_stand_yet(client, org, recruiter):
    """A flag dated after today (an admin's, or a member's whose day is ahead of the
    organization's) burns nobody today (the engine's as-of rule), so the page must not offer
    to clear it nor refuse a new one."""
    candidate = services.candidate_create(organization=org, email="f@example.com", name="Fay")
    EventFactory(
        candidate=candidate,
        kind="do_not_resubmit",
        occurred_on=services.today() + timedelta(days=30),
        notes="Planned",
    )
    services.reevaluate([candidate.pk])
    client.force_login(recruiter)
    page = client.get(detail_url(candidate)).content.decode()
    assert "Clear the flag" not in page
    assert action_url("flag", candidate) in page


def test_the_lists_rows_link_each_candidate_and_escape_what_people_typed(client, org, recruiter):
    """The rows are built in Python (list_rows): the same links and escaping as a template."""
    c = services.candidate_create(
        organization=org, email="x@example.com", name="<b>Xavier</b> & Co", owner=recruiter
    )
    client.force_login(recruiter)
    page = client.get(reverse("candidates:list")).content.decode()
    assert (
        f'<a href="{c.get_absolute_url()}"><strong>&lt;b&gt;Xavier&lt;/b&gt; &amp; Co</strong>'
        in page
    )
    assert "<b>Xavier</b>" not in page
    assert f'<td data-label="Owner">{recruiter}</td>' in page


def test_the_history_built_in_python_escapes_links_and_folds_long_notes(client, org, recruiter):
    """candidates/rows.py writes the history: what people typed is escaped, each record its
    member may correct links to its own page, a long note shows its start and "more"."""
    c = services.candidate_create(organization=org, email="h@example.com", name="Hal History")
    event = services.event_log(
        candidate=c,
        kind="no_show",
        occurred_on=services.today(),
        reason="commute",
        notes="<script>alert(1)</script>",
        recorded_by=recruiter,
    )
    note = services.risk_note_add(
        candidate=c, dimension="trust", level=4, author=recruiter, note="word " * 400
    )
    client.force_login(recruiter)
    page = client.get(c.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)" in page
    assert f'href="{reverse("candidates:event_edit", args=[c.pk, event.pk])}"' in page
    assert f'href="{reverse("candidates:note_edit", args=[c.pk, note.pk])}"' in page
    assert '<details class="more">' in page
