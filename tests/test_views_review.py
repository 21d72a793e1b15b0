"""The managers' second-chance review queue and the "Resubmit?" page, per role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from candidates import selectors, services
from candidates.engine import explain
from candidates.models import Candidate, Event

from .factories import ClientFactory, JobFactory

pytestmark = pytest.mark.django_db

REVIEW = reverse("candidates:review")
RESUBMIT = reverse("candidates:resubmit")


def today():
    return services.today()


def days_ago(n: int):
    return today() - timedelta(days=n)


def make(org, email, name=None, **kwargs) -> Candidate:
    return services.candidate_create(
        organization=org, email=email, name=name or email.split("@")[0].title(), **kwargs
    )


def log(candidate, kind, days, job=None, reason="", notes=""):
    if kind in {"no_show", "late", "withdrew", "declined_offer", "reneged", "blew_interview"}:
        reason = reason or "commute"
    return services.event_log(
        candidate=candidate,
        kind=kind,
        occurred_on=days_ago(days),
        job=job,
        reason=reason,
        notes=notes,
    )


def said_on_pages(candidate) -> list[str]:
    """The candidate's stored explanation with its dates as pages write them ("2 Mar 2026")."""
    candidate = Candidate.objects.get(pk=candidate.pk)
    events = candidate.events.select_related("job__client")
    return explain([e.as_fact() for e in events], as_of=candidate.status_as_of)


def requested(org, email, job=None, *, asked_days_ago=5, pitch="The bus broke down.", **kw):
    """A candidate who missed an interview for `job` and asked for a second chance."""
    candidate = make(org, email, **kw)
    log(candidate, "no_show", asked_days_ago + 5, job=job)
    services.second_chance_request(
        candidate=candidate, pitch=pitch, job=job, occurred_on=days_ago(asked_days_ago)
    )
    return Candidate.objects.get(pk=candidate.pk)


def fresh(candidate) -> Candidate:
    return Candidate.objects.get(pk=candidate.pk)


def text_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def job(org):
    return JobFactory(
        client=ClientFactory(organization=org, name="Acme Logistics"),
        title="Forklift operator",
        hiring_manager="Hana Park",
    )


# --- Who may see the queue --------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    for url in (REVIEW, RESUBMIT):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["recruiter", "headhunter"])
def test_recorders_cannot_see_or_decide_the_queue(client, request, org, job, role):
    ann = requested(org, "ann@example.com", job)
    client.force_login(request.getfixturevalue(role))
    assert client.get(REVIEW).status_code == 403
    response = client.post(REVIEW, {"candidate": ann.pk, "decision": "grant"})
    assert response.status_code == 403
    assert fresh(ann).status == "requested"


@pytest.mark.parametrize("role", ["manager", "org_admin"])
def test_managers_and_admins_see_the_queue(client, request, org, job, role):
    requested(org, "ann@example.com", job, name="Ann Lee")
    client.force_login(request.getfixturevalue(role))
    response = client.get(REVIEW)
    assert response.status_code == 200
    assert "Ann Lee" in text_of(response)


def test_the_queue_shows_only_the_users_organization(client, org, other_org, job, outsider):
    requested(org, "ann@example.com", job, name="Ann Lee")
    requested(other_org, "zed@rival.test", name="Zed Rival")
    client.force_login(outsider)
    page = text_of(client.get(REVIEW))
    assert "Zed Rival" in page
    assert "Ann Lee" not in page


def test_an_empty_queue_says_so(client, manager):
    client.force_login(manager)
    assert "No request is waiting for a decision" in text_of(client.get(REVIEW))


# --- What a card shows --------------------------------------------------------------------


def test_queue_is_oldest_request_first_and_leaves_out_decided_ones(client, org, job, manager):
    requested(org, "new@example.com", job, name="Newest Request", asked_days_ago=1)
    requested(org, "old@example.com", job, name="Oldest Request", asked_days_ago=9)
    decided = requested(org, "done@example.com", job, name="Already Decided")
    services.second_chance_decide(candidate=decided, grant=True, decided_by=manager)
    stumbled = make(org, "stum@example.com", "Only Stumbled")
    log(stumbled, "late", 3)
    client.force_login(manager)
    page = text_of(client.get(REVIEW))
    assert page.index("Oldest Request") < page.index("Newest Request")
    assert "Already Decided" not in page
    assert "Only Stumbled" not in page
    assert "2 requests waiting" in page


def test_card_shows_pitch_history_risk_explanation_and_the_three_questions(
    client, org, job, manager
):
    rival = make(org, "rival@example.com")
    log(rival, "scheduled", 2, job=job)
    ann = requested(org, "ann@example.com", job, name="Ann Lee", rating=4, pitch="My bus <broke>")
    services.risk_note_add(
        candidate=ann, dimension="commute", level=4, author_email="rita@example.com", note="Far"
    )
    client.force_login(manager)
    page = text_of(client.get(REVIEW))
    assert "My bus &lt;broke&gt;" in page  # the pitch, escaped
    assert "Second chance requested" in page and "No-show" in page  # history
    assert "reason: commute" in page
    assert f'<span class="risk">{fresh(ann).risk_score}</span>' in page
    assert said_on_pages(ann)[0] in page
    assert "Yes — Strong (4 of 5)" in page  # a solid candidate
    assert "Forklift operator, Acme Logistics" in page  # the job...
    assert "Is the job still open?</dt>\n    <dd>Yes" in page  # ...is open
    assert "1 other in the running" in page  # the rival, not Ann herself
    assert "Far" in page and "rita@example.com" in page  # the risk note


def test_the_job_is_the_requests_else_the_last_missteps(org, job):
    other_job = JobFactory(client=job.client, title="Picker")
    requested(org, "a@example.com", other_job)
    without = make(org, "b@example.com")
    log(without, "no_show", 10, job=job)
    services.second_chance_request(candidate=without, pitch="Sorry", occurred_on=days_ago(5))
    events = Event.objects.filter(candidate__organization=org)
    queue = selectors.review_queue(Candidate.objects.filter(organization=org), events)
    cards = {c.candidate.email: c for c in selectors.review_cards(queue, events, today=today())}
    assert cards["a@example.com"].job == other_job
    assert cards["b@example.com"].job == job


def test_a_closed_job_and_an_unrated_candidate_are_said_plainly(client, org, job, manager):
    job.state = "filled"
    job.save()
    requested(org, "ann@example.com", job, rating=None)
    client.force_login(manager)
    page = text_of(client.get(REVIEW))
    assert "No — filled" in page
    assert "Not rated yet" in page


def test_active_candidates_of_a_job_follow_the_definition(org, other_org, job):
    """Active: an event on the job, the latest of which does not end the process, and not
    advised do_not_resubmit. Counted once however many events, never another org's."""
    subject = make(org, "subject@example.com")
    log(subject, "scheduled", 20, job=job)
    active = make(org, "active@example.com")
    log(active, "scheduled", 30, job=job)
    log(active, "attended", 20, job=job)  # two events: one candidate
    hired = make(org, "hired@example.com")
    log(hired, "scheduled", 30, job=job)
    log(hired, "hired", 20, job=job)
    withdrew_then_back = make(org, "back@example.com")
    log(withdrew_then_back, "withdrew", 30, job=job)
    log(withdrew_then_back, "scheduled", 10, job=job)  # latest event counts: active again
    burned = make(org, "burned@example.com")
    log(burned, "scheduled", 10, job=job)
    services.flag_set(candidate=burned, reason="Rude", occurred_on=days_ago(5))
    refused = make(org, "refused@example.com")
    log(refused, "no_show", 30, job=job)
    services.second_chance_decide(candidate=refused, grant=False, job=job, note="No")
    elsewhere = make(org, "elsewhere@example.com")
    log(elsewhere, "scheduled", 10, job=JobFactory(client=job.client))
    rival_org = make(other_org, "spy@rival.test")
    Event.objects.create(candidate=rival_org, kind="scheduled", occurred_on=days_ago(3), job=job)

    events = Event.objects.filter(candidate__organization=org)
    counts = selectors.other_active_counts(events, [(subject.pk, job.pk), (hired.pk, job.pk)])
    # Active: subject, active, withdrew_then_back. Besides the subject: 2; besides hired: 3.
    assert counts == {(subject.pk, job.pk): 2, (hired.pk, job.pk): 3}


def test_review_queue_runs_the_same_queries_for_2_or_20_requests(
    client, org, manager, job, django_assert_num_queries
):
    def build(n, start):
        for i in range(start, start + n):
            other_job = JobFactory(client=job.client, title=f"Role {i}")
            rival = make(org, f"rival{i}@example.com")
            log(rival, "scheduled", 3, job=other_job)
            candidate = requested(org, f"c{i}@example.com", other_job, asked_days_ago=3 + i % 5)
            services.risk_note_add(
                candidate=candidate, dimension="trust", level=2, author_email="x@example.com"
            )

    client.force_login(manager)
    build(2, 0)
    with CaptureQueriesContext(connection) as two:
        assert client.get(REVIEW).status_code == 200
    # The page's own: jobs, count, candidates, their events, their notes, the active counts
    # of every job on the page (grouped) and which candidates are active themselves.
    assert len(two) <= 12
    build(18, 2)
    with django_assert_num_queries(len(two)):
        response = client.get(REVIEW)
    assert text_of(response).count('class="card review-card"') == 20


# --- Deciding -----------------------------------------------------------------------------


def test_manager_grants_with_an_interview_time_and_returns_to_the_queue(client, org, job, manager):
    ann = requested(org, "ann@example.com", job, name="Ann Lee")
    client.force_login(manager)
    when = (timezone.localtime() + timedelta(days=3)).replace(second=0, microsecond=0)
    response = client.post(
        REVIEW,
        {
            "candidate": ann.pk,
            "decision": "grant",
            "note": "One more go",
            "interview_at": when.strftime("%Y-%m-%dT%H:%M"),
            "job": job.pk,
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == REVIEW
    assert "Second chance granted to Ann Lee." in text_of(response)
    ann = fresh(ann)
    assert ann.status == "second_chance"
    grant = ann.events.get(kind="second_chance_granted")
    assert grant.interview_at == when
    assert grant.job == job
    assert grant.notes == "One more go"
    assert grant.recorded_by == manager
    assert f'id="request-{ann.pk}"' not in text_of(response)  # decided: off the queue


def test_manager_grants_without_an_interview_time(client, org, job, manager):
    ann = requested(org, "ann@example.com", job)
    client.force_login(manager)
    response = client.post(REVIEW, {"candidate": ann.pk, "decision": "grant", "job": job.pk})
    assert response.status_code == 302
    assert fresh(ann).status == "second_chance"


def test_a_decision_without_a_job_answers_for_the_requests_job(client, org, job, manager):
    ann = requested(org, "ann@example.com", job)
    client.force_login(manager)
    response = client.post(REVIEW, {"candidate": ann.pk, "decision": "grant", "job": ""})
    assert response.status_code == 302
    assert ann.events.get(kind="second_chance_granted").job == job


def test_admin_refuses_with_a_note(client, org, job, org_admin):
    ann = requested(org, "ann@example.com", job, name="Ann Lee")
    client.force_login(org_admin)
    response = client.post(
        REVIEW, {"candidate": ann.pk, "decision": "refuse", "note": "Third no-show", "job": ""}
    )
    assert response.status_code == 302
    assert fresh(ann).status == "refused"
    assert fresh(ann).events.get(kind="second_chance_refused").notes == "Third no-show"


def test_refusing_without_a_note_shows_the_error_and_keeps_what_was_typed(
    client, org, job, manager
):
    ann = requested(org, "ann@example.com", job)
    client.force_login(manager)
    response = client.post(
        REVIEW,
        {"candidate": ann.pk, "decision": "refuse", "note": "   ", "job": job.pk},
    )
    assert response.status_code == 200
    page = text_of(response)
    assert "Say why the second chance is refused." in page
    assert f'<option value="{job.pk}" selected>' in page  # the job they chose is kept
    assert fresh(ann).status == "requested"
    assert not Event.objects.filter(kind="second_chance_refused").exists()


def test_a_decision_dated_in_the_future_is_refused_and_what_was_typed_kept(
    client, org, job, manager
):
    """Issue 15: a past interview time is accepted now (decisions recorded after the fact);
    a future decision date is not."""
    ann = requested(org, "ann@example.com", job)
    client.force_login(manager)
    tomorrow = (today() + timedelta(days=1)).isoformat()
    response = client.post(
        REVIEW,
        {
            "candidate": ann.pk,
            "decision": "grant",
            "occurred_on": tomorrow,
            "interview_at": "2020-01-02T09:30",
        },
    )
    assert response.status_code == 200
    page = text_of(response)
    assert "The decision&#x27;s date cannot be in the future." in page
    assert 'value="2020-01-02T09:30"' in page and f'value="{tomorrow}"' in page
    assert fresh(ann).status == "requested"


def test_a_decision_made_on_the_phone_yesterday_is_recorded_as_of_yesterday(
    client, org, job, manager
):
    ann = requested(org, "ann@example.com", job, asked_days_ago=3)
    client.force_login(manager)
    response = client.post(
        REVIEW,
        {
            "candidate": ann.pk,
            "decision": "grant",
            "occurred_on": days_ago(1).isoformat(),
            "interview_at": f"{days_ago(1).isoformat()}T15:00",
        },
    )
    assert response.status_code == 302
    grant = Event.objects.get(candidate=ann, kind="second_chance_granted")
    assert grant.occurred_on == days_ago(1)
    assert fresh(ann).status == "second_chance"


@pytest.mark.parametrize(
    "decision,interview_at",
    [("maybe", ""), ("", ""), ("grant", "tomorrow"), ("grant", "2026-13-45T99:99")],
)
def test_junk_decisions_and_interview_times_are_form_errors(
    client, org, job, manager, decision, interview_at
):
    ann = requested(org, "ann@example.com", job)
    client.force_login(manager)
    response = client.post(
        REVIEW, {"candidate": ann.pk, "decision": decision, "interview_at": interview_at}
    )
    assert response.status_code == 200
    assert 'class="errorlist' in text_of(response)
    assert fresh(ann).status == "requested"


def test_another_organizations_candidate_is_404_and_nothing_is_written(
    client, org, other_org, manager
):
    theirs = requested(other_org, "zed@rival.test")
    client.force_login(manager)
    response = client.post(REVIEW, {"candidate": theirs.pk, "decision": "grant"})
    assert response.status_code == 404
    assert fresh(theirs).status == "requested"


def test_another_organizations_job_in_the_form_is_404_and_nothing_is_written(
    client, org, other_org, job, manager
):
    ann = requested(org, "ann@example.com", job)
    their_job = JobFactory(client=ClientFactory(organization=other_org))
    client.force_login(manager)
    response = client.post(REVIEW, {"candidate": ann.pk, "decision": "grant", "job": their_job.pk})
    assert response.status_code == 404
    assert fresh(ann).status == "requested"


@pytest.mark.parametrize("junk", ["", "abc", "-1", "99999999", "1e3", "99999999999999999999"])
def test_junk_candidate_ids_are_404(client, manager, junk):
    client.force_login(manager)
    assert client.post(REVIEW, {"candidate": junk, "decision": "grant"}).status_code == 404


def test_deciding_twice_says_it_was_already_decided(client, org, job, manager):
    ann = requested(org, "ann@example.com", job, name="Ann Lee")
    client.force_login(manager)
    client.post(REVIEW, {"candidate": ann.pk, "decision": "grant"})
    response = client.post(REVIEW, {"candidate": ann.pk, "decision": "refuse"}, follow=True)
    assert "Ann Lee&#x27;s request has already been decided." in text_of(response)
    assert fresh(ann).events.filter(kind__startswith="second_chance_").count() == 2


@pytest.mark.parametrize("page", ["abc", "0", "-3", "999", "1.5"])
def test_junk_page_numbers_still_show_the_queue(client, org, job, manager, page):
    requested(org, "ann@example.com", job, name="Ann Lee")
    client.force_login(manager)
    response = client.get(REVIEW, {"page": page})
    assert response.status_code == 200
    assert "Ann Lee" in text_of(response)


def test_the_queue_pages_and_a_decision_returns_to_its_page(client, org, job, manager):
    for i in range(22):
        requested(org, f"c{i:02}@example.com", job, name=f"Person {i:02}", asked_days_ago=30 - i)
    client.force_login(manager)
    second = client.get(REVIEW, {"page": 2})
    assert "Person 21" in text_of(second) and "Person 00" not in text_of(second)
    last = Candidate.objects.get(email="c21@example.com")
    response = client.post(f"{REVIEW}?page=2", {"candidate": last.pk, "decision": "grant"})
    assert response["Location"] == f"{REVIEW}?page=2"


# --- Resubmit? ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["recruiter", "headhunter", "manager", "org_admin"])
def test_everyone_can_ask_resubmit(client, request, role):
    client.force_login(request.getfixturevalue(role))
    response = client.get(RESUBMIT)
    assert response.status_code == 200
    assert "Find a candidate" in text_of(response)


def test_resubmit_shows_advice_status_risk_and_every_reason_for_a_job(client, org, job, headhunter):
    rival = make(org, "rival@example.com")
    log(rival, "scheduled", 3, job=job)
    ann = make(org, "ann@example.com", "Ann Lee", rating=2)
    log(ann, "no_show", 40, job=job, reason="illness", notes="Flu, called the next day")
    log(ann, "late", 20, job=job, reason="commute")
    services.risk_note_add(
        candidate=ann, dimension="flakiness", level=5, author_email="rita@example.com"
    )
    ann = fresh(ann)
    client.force_login(headhunter)
    response = client.get(RESUBMIT, {"candidate": ann.pk, "job": job.pk})
    page = text_of(response)
    assert response.status_code == 200
    assert "badge-advice-caution" in page and "Caution" in page
    assert "badge-stumbled" in page
    assert f'<span class="risk">{ann.risk_score}</span>' in page
    assert "The status is “stumbled”." in page  # why the advice
    assert said_on_pages(ann)[0] in page  # why the status, dates as the page says them
    assert ann.explanation[0] not in page  # not the ISO form the report keeps
    assert "Illness" in page and "Flu, called the next day" in page  # missteps, reasons
    assert "Commute" in page
    assert "Flakiness" in page and "adds 13.3 to the risk" in page  # risk notes
    assert "Not really — Doubtful (2 of 5)" in page
    assert "1 other in the running" in page


def test_resubmit_without_a_job_still_gives_the_advice(client, org, headhunter):
    ann = make(org, "ann@example.com", "Ann Lee")
    client.force_login(headhunter)
    page = text_of(client.get(RESUBMIT, {"candidate": ann.pk}))
    assert "badge-advice-resubmit" in page
    assert "Choose a job above" in page


def test_searching_finds_candidates_and_a_single_match_is_chosen(client, org, headhunter):
    make(org, "ann@example.com", "Ann Lee")
    make(org, "anna@example.com", "Anna Berg")
    make(org, "bob@example.com", "Bob Stone")
    client.force_login(headhunter)
    page = text_of(client.get(RESUBMIT, {"q": "ann", "find": "1"}))
    assert "Ann Lee &lt;ann@example.com&gt;" in page and "Anna Berg" in page
    assert "Bob Stone" not in page
    page = text_of(client.get(RESUBMIT, {"q": "stone", "find": "1"}))
    assert 'id="answer-heading"' in page and "Bob Stone" in page


def test_another_organizations_candidate_is_a_form_error_and_shows_nothing(
    client, other_org, headhunter
):
    theirs = make(other_org, "zed@rival.test", "Zed Rival")
    client.force_login(headhunter)
    response = client.get(RESUBMIT, {"candidate": theirs.pk})
    assert response.status_code == 200
    page = text_of(response)
    assert "Choose a candidate from the list." in page
    assert "Zed Rival" not in page


def test_another_organizations_job_is_404(client, org, other_org, headhunter):
    ann = make(org, "ann@example.com")
    their_job = JobFactory(client=ClientFactory(organization=other_org))
    client.force_login(headhunter)
    assert client.get(RESUBMIT, {"candidate": ann.pk, "job": their_job.pk}).status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"candidate": "abc"},
        {"candidate": "-1", "job": ""},
        {"candidate": "99999999999999999999"},
        {"q": "x" * 500},
        {"q": "%00<script>", "find": "1"},
        {"candidate": ["1", "2"]},
        {"unknown": "1"},
    ],
)
def test_junk_parameters_never_break_resubmit(client, org, headhunter, params):
    make(org, "ann@example.com")
    client.force_login(headhunter)
    response = client.get(RESUBMIT, params)
    assert response.status_code == 200
    assert "<script>" not in text_of(response).split("</header>")[1]


@pytest.mark.parametrize("junk", ["abc", "99999999999999999999"])
def test_junk_job_ids_are_404(client, org, headhunter, junk):
    client.force_login(headhunter)
    assert client.get(RESUBMIT, {"job": junk}).status_code == 404


def test_resubmit_runs_a_fixed_number_of_queries(client, org, job, headhunter):
    ann = make(org, "ann@example.com")

    def grow(n):
        for i in range(n):
            log(ann, "scheduled", 30 + i, job=job)
            services.risk_note_add(
                candidate=ann, dimension="trust", level=2, author_email=f"a{i}@example.com"
            )
            make(org, f"other{len(Candidate.objects.all())}@example.com")

    client.force_login(headhunter)
    grow(1)
    with CaptureQueriesContext(connection) as few:
        client.get(RESUBMIT, {"candidate": ann.pk, "job": job.pk})
    grow(10)
    with CaptureQueriesContext(connection) as many:
        client.get(RESUBMIT, {"candidate": ann.pk, "job": job.pk})
    assert len(many) == len(few)


def test_an_error_for_a_request_on_another_page_is_still_said(client, org, job, manager):
    for i in range(21):
        requested(org, f"c{i:02}@example.com", job, name=f"Person {i:02}", asked_days_ago=30 - i)
    last = Candidate.objects.get(email="c20@example.com")  # on page 2
    client.force_login(manager)
    response = client.post(REVIEW, {"candidate": last.pk, "decision": "refuse", "note": ""})
    assert response.status_code == 200
    assert "Person 20: nothing was recorded. Say why the second chance is refused." in text_of(
        response
    )
    assert fresh(last).status == "requested"
