"""The Django admin: every model's pages load, search and filters work, changelists cost
the same queries whatever their length, and every admin write keeps the candidate's stored
status in step with its history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from candidates import services
from candidates.models import Candidate, Client, Event, Job, Organization, RiskNote, User
from reminders.models import Reminder

from .factories import ClientFactory, JobFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

MODELS = {
    "organization": Organization,
    "user": User,
    "client": Client,
    "job": Job,
    "candidate": Candidate,
    "event": Event,
    "risknote": RiskNote,
}


def url(model: str, view: str, *args) -> str:
    return reverse(f"admin:candidates_{model}_{view}", args=args)


def days_ago(n: int):
    return services.today() - timedelta(days=n)


@pytest.fixture
def job(org):
    return JobFactory(client=ClientFactory(organization=org, name="Northgate Logistics"))


@pytest.fixture
def kwame(org, recruiter, job):
    """Attended an interview: clean."""
    candidate = services.candidate_create(
        organization=org, email="kwame@example.com", name="Kwame Mensah", owner=recruiter
    )
    services.event_log(
        candidate=candidate,
        kind="attended",
        occurred_on=days_ago(10),
        job=job,
        recorded_by=recruiter,
    )
    services.risk_note_add(
        candidate=candidate, dimension="commute", level=4, author=recruiter, noted_on=days_ago(9)
    )
    candidate.refresh_from_db()
    return candidate


def make_rows(n: int, prefix: str) -> None:
    """n rows of every model, each in its own organization, with everything a changelist
    row shows (owner, job and client, recorder, author)."""
    for i in range(n):
        organization = OrganizationFactory(name=f"{prefix} agency {i}", slug=f"{prefix}-{i}")
        member = UserFactory(organization=organization, username=f"{prefix}{i}@example.com")
        job = JobFactory(client=ClientFactory(organization=organization))
        candidate = services.candidate_create(
            organization=organization, email=f"{prefix}{i}@example.org", name=f"C {i}", owner=member
        )
        services.event_log(
            candidate=candidate,
            kind="no_show",
            reason="commute",
            occurred_on=days_ago(5),
            job=job,
            recorded_by=member,
        )
        services.risk_note_add(candidate=candidate, dimension="trust", level=2, author=member)


# --- Pages load ---------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_every_changelist_loads_for_a_superuser(admin_client, kwame, model):
    response = admin_client.get(url(model, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


@pytest.mark.parametrize("model", MODELS)
def test_every_add_and_change_page_loads_for_a_superuser(admin_client, kwame, model):
    obj = MODELS[model].objects.order_by("pk").first()
    assert admin_client.get(url(model, "add")).status_code == 200
    assert admin_client.get(url(model, "change", obj.pk)).status_code == 200


def test_candidate_changelist_shows_the_columns_a_recruiter_reads(admin_client, kwame, org):
    services.event_log(candidate=kwame, kind="no_show", reason="commute", occurred_on=days_ago(2))
    content = admin_client.get(url("candidate", "changelist")).content.decode()
    for text in ("Kwame Mensah", "kwame@example.com", org.name, "Stumbled", "Caution"):
        assert text in content
    assert str(days_ago(2).year) in content


def test_candidate_page_shows_its_events_and_notes_inline(admin_client, kwame):
    content = admin_client.get(url("candidate", "change", kwame.pk)).content.decode()
    assert 'name="events-TOTAL_FORMS" value="1"' in content
    assert 'name="risk_notes-TOTAL_FORMS" value="1"' in content


# --- Search and filters -------------------------------------------------------------------


def test_candidate_search_finds_by_name_and_by_email(admin_client, kwame, org):
    services.candidate_create(organization=org, email="ana@example.pt", name="Ana Ferreira")
    for query in ("Mensah", "kwame@exa"):
        results = admin_client.get(url("candidate", "changelist"), {"q": query}).context["cl"]
        assert [c.name for c in results.result_list] == ["Kwame Mensah"]


def test_candidate_filters_by_status_advice_and_organization(admin_client, kwame, org, other_org):
    services.event_log(candidate=kwame, kind="no_show", reason="commute", occurred_on=days_ago(1))
    services.candidate_create(organization=org, email="ana@example.pt", name="Ana Ferreira")
    services.candidate_create(organization=other_org, email="zed@example.com", name="Zed Rival")

    def names(**params) -> list[str]:
        cl = admin_client.get(url("candidate", "changelist"), params).context["cl"]
        return sorted(c.name for c in cl.result_list)

    assert names(status__exact="stumbled") == ["Kwame Mensah"]
    assert names(advice__exact="resubmit") == ["Ana Ferreira", "Zed Rival"]
    assert names(organization__id__exact=other_org.pk) == ["Zed Rival"]


def test_events_filter_by_kind_and_reason_and_search_by_candidate(admin_client, kwame):
    services.event_log(candidate=kwame, kind="no_show", reason="commute", occurred_on=days_ago(1))
    services.event_log(candidate=kwame, kind="late", reason="illness", occurred_on=days_ago(1))

    def kinds(**params) -> list[str]:
        cl = admin_client.get(url("event", "changelist"), params).context["cl"]
        return sorted(e.kind for e in cl.result_list)

    assert kinds(kind__exact="no_show") == ["no_show"]
    assert kinds(reason__exact="illness") == ["late"]
    assert kinds(q="kwame@example.com") == ["attended", "late", "no_show"]
    assert kinds(q="nobody-like-this") == []


# --- Query counts ---------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_changelist_queries_do_not_grow_with_rows(admin_client, model):
    make_rows(2, "a")
    admin_client.get(url(model, "changelist"))  # warm the content types and sessions caches
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(url(model, "changelist")).status_code == 200
    make_rows(6, "b")
    with CaptureQueriesContext(connection) as more:
        response = admin_client.get(url(model, "changelist"))
    assert response.context["cl"].result_count >= 8
    assert len(more) == len(few), [q["sql"] for q in more.captured_queries]


# --- Writes keep the stored status right ---------------------------------------------------


def event_form(event: Event, **changes) -> dict:
    data = {
        "candidate": event.candidate_id,
        "kind": event.kind,
        "occurred_on": event.occurred_on.isoformat(),
        "reason": event.reason,
        "job": event.job_id or "",
        "notes": event.notes,
        "interview_at_0": "",
        "interview_at_1": "",
        "recorded_by": event.recorded_by_id or "",
    }
    data.update(changes)
    return data


def candidate_form(candidate: Candidate, events=(), notes=(), new_events=()) -> dict:
    """The candidate change form as the browser posts it, with its two inline formsets."""
    data = {
        "name": candidate.name,
        "email": candidate.email,
        "phone": candidate.phone,
        "owner": candidate.owner_id or "",
        "rating": candidate.rating or "",
        "events-TOTAL_FORMS": len(events) + len(new_events),
        "events-INITIAL_FORMS": len(events),
        "events-MIN_NUM_FORMS": 0,
        "events-MAX_NUM_FORMS": 1000,
        "risk_notes-TOTAL_FORMS": len(notes),
        "risk_notes-INITIAL_FORMS": len(notes),
        "risk_notes-MIN_NUM_FORMS": 0,
        "risk_notes-MAX_NUM_FORMS": 1000,
    }
    rows = [(e, {}) for e in events] + [(None, e) for e in new_events]
    for i, (event, fields) in enumerate(rows):
        values = event_form(event) if event else {"reason": "", "notes": "", **fields}
        values.pop("candidate", None)
        for name, value in values.items():
            data[f"events-{i}-{name}"] = value
        data[f"events-{i}-candidate"] = candidate.pk
        data[f"events-{i}-id"] = event.pk if event else ""
    for i, note in enumerate(notes):
        for name in ("dimension", "level", "author_email", "note"):
            data[f"risk_notes-{i}-{name}"] = getattr(note, name)
        data[f"risk_notes-{i}-noted_on"] = note.noted_on.isoformat()
        data[f"risk_notes-{i}-author"] = note.author_id or ""
        data[f"risk_notes-{i}-candidate"] = candidate.pk
        data[f"risk_notes-{i}-id"] = note.pk
    return data


def test_editing_an_event_in_the_admin_updates_the_candidates_status(admin_client, kwame):
    assert kwame.status == "clean"
    event = kwame.events.get()
    response = admin_client.post(
        url("event", "change", event.pk), event_form(event, kind="no_show", reason="commute")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    kwame.refresh_from_db()
    assert (kwame.status, kwame.advice) == ("stumbled", "caution")
    assert kwame.risk_score == 30 + 10  # a recent no-show, and a commute note at 4


def test_moving_an_event_to_another_candidate_reevaluates_both(admin_client, kwame, org):
    ana = services.candidate_create(organization=org, email="ana@example.pt", name="Ana")
    event = services.event_log(
        candidate=kwame, kind="no_show", reason="commute", occurred_on=days_ago(1)
    )
    kwame.refresh_from_db()
    assert kwame.status == "stumbled"
    admin_client.post(url("event", "change", event.pk), event_form(event, candidate=ana.pk))
    kwame.refresh_from_db(), ana.refresh_from_db()
    assert (kwame.status, ana.status) == ("clean", "stumbled")


def test_adding_an_event_in_the_admin_updates_status(admin_client, kwame):
    data = event_form(kwame.events.get(), kind="reneged", reason="competing_offer", job="")
    assert admin_client.post(url("event", "add"), data).status_code == 302
    kwame.refresh_from_db()
    assert kwame.status == "stumbled"
    assert kwame.events.count() == 2


def test_a_misstep_added_in_the_admin_gets_its_follow_up_reminder(admin_client, kwame):
    data = event_form(kwame.events.get(), kind="no_show", reason="commute", job="")
    data["occurred_on"] = days_ago(1).isoformat()
    assert admin_client.post(url("event", "add"), data).status_code == 302
    misstep = kwame.events.get(kind="no_show", occurred_on=days_ago(1))
    assert Reminder.objects.filter(event=misstep, kind="follow_up").exists()


def test_a_misstep_added_inline_gets_its_follow_up_reminder(admin_client, kwame):
    data = candidate_form(
        kwame,
        events=[kwame.events.get()],
        notes=[kwame.risk_notes.get()],
        new_events=[
            {"kind": "no_show", "reason": "commute", "occurred_on": days_ago(1).isoformat()}
        ],
    )
    assert admin_client.post(url("candidate", "change", kwame.pk), data).status_code == 302
    misstep = kwame.events.get(kind="no_show", occurred_on=days_ago(1))
    assert Reminder.objects.filter(event=misstep, kind="follow_up").exists()


def test_an_event_cannot_be_deleted_in_the_admin_only_on_the_candidate_page(admin_client, kwame):
    # A deletion needs a reason kept in the history: the candidate page asks for it.
    event = services.event_log(
        candidate=kwame, kind="no_show", reason="unknown", occurred_on=days_ago(1)
    )
    assert admin_client.post(url("event", "delete", event.pk), {"post": "yes"}).status_code == 403
    page = admin_client.get(url("event", "change", event.pk)).content.decode()
    assert reverse("candidates:event_edit", args=[kwame.pk, event.pk]) in page
    assert Event.objects.filter(pk=event.pk).exists()
    kwame.refresh_from_db()
    assert kwame.status == "stumbled"


def test_the_bulk_delete_action_is_not_offered_for_events_or_risk_notes(admin_client, kwame):
    slip = services.event_log(
        candidate=kwame, kind="no_show", reason="unknown", occurred_on=days_ago(1)
    )
    for model in ("event", "risknote"):
        page = admin_client.get(url(model, "changelist")).content.decode()
        assert "delete_selected" not in page
    admin_client.post(
        url("event", "changelist"),
        {"action": "delete_selected", "_selected_action": [slip.pk], "post": "yes"},
    )
    assert Event.objects.filter(pk=slip.pk).exists()
    note = kwame.risk_notes.get()
    assert admin_client.post(url("risknote", "delete", note.pk), {"post": "yes"}).status_code == 403
    page = admin_client.get(url("risknote", "change", note.pk)).content.decode()
    assert reverse("candidates:note_edit", args=[kwame.pk, note.pk]) in page


def test_an_event_added_inline_on_the_candidate_page_updates_status(admin_client, kwame):
    data = candidate_form(
        kwame,
        events=[kwame.events.get()],
        notes=[kwame.risk_notes.get()],
        new_events=[
            {"kind": "no_show", "reason": "commute", "occurred_on": days_ago(1).isoformat()}
        ],
    )
    response = admin_client.post(url("candidate", "change", kwame.pk), data)
    assert response.status_code == 302, response.context["errors"]
    kwame.refresh_from_db()
    assert kwame.status == "stumbled"
    assert kwame.explanation[0].startswith("No-show on")


def test_an_event_cannot_be_deleted_inline_on_the_candidate_page(admin_client, kwame):
    slip = services.event_log(
        candidate=kwame, kind="no_show", reason="commute", occurred_on=days_ago(1)
    )
    data = candidate_form(kwame, events=list(kwame.events.all()), notes=[kwame.risk_notes.get()])
    index = list(kwame.events.all()).index(slip)
    data[f"events-{index}-DELETE"] = "on"
    response = admin_client.post(url("candidate", "change", kwame.pk), data)
    assert response.status_code == 302, response.context["errors"]
    assert Event.objects.filter(pk=slip.pk).exists()
    kwame.refresh_from_db()
    assert kwame.status == "stumbled"


def test_a_risk_note_added_in_the_admin_counts_in_the_risk_score(admin_client, kwame, headhunter):
    before = kwame.risk_score
    response = admin_client.post(
        url("risknote", "add"),
        {
            "candidate": kwame.pk,
            "dimension": "trust",
            "level": 5,
            "author": headhunter.pk,
            "author_email": "",
            "noted_on": days_ago(1).isoformat(),
            "note": "References did not check out.",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert RiskNote.objects.filter(author_email=headhunter.email).exists()
    kwame.refresh_from_db()
    assert kwame.risk_score == before + 13


def test_stored_status_fields_cannot_be_typed_in(admin_client, kwame):
    response = admin_client.get(url("candidate", "change", kwame.pk))
    form_fields = set(response.context["adminform"].form.fields)
    assert form_fields.isdisjoint(services.STORED_FIELDS)
    data = candidate_form(kwame, events=[kwame.events.get()], notes=[kwame.risk_notes.get()])
    admin_client.post(url("candidate", "change", kwame.pk), {**data, "status": "burned"})
    kwame.refresh_from_db()
    assert kwame.status == "clean"


def test_reevaluate_status_action_repairs_a_stale_status(admin_client, kwame):
    Candidate.objects.filter(pk=kwame.pk).update(status="burned", advice="do_not_resubmit")
    response = admin_client.post(
        url("candidate", "changelist"),
        {"action": "reevaluate_status", "_selected_action": [kwame.pk]},
        follow=True,
    )
    assert "Re-evaluated 1 candidates." in response.content.decode()
    kwame.refresh_from_db()
    assert (kwame.status, kwame.advice) == ("clean", "resubmit")


def test_an_event_cannot_use_another_organizations_job(admin_client, kwame, other_org):
    foreign_job = JobFactory(client=ClientFactory(organization=other_org))
    event = kwame.events.get()
    response = admin_client.post(
        url("event", "change", event.pk), event_form(event, job=foreign_job.pk)
    )
    assert response.status_code == 200
    assert "another organization" in str(response.context["adminform"].form.errors["job"])
    event.refresh_from_db()
    assert event.job_id != foreign_job.pk


def test_a_misstep_without_a_reason_is_refused_in_the_admin(admin_client, kwame):
    event = kwame.events.get()
    response = admin_client.post(
        url("event", "change", event.pk), event_form(event, kind="no_show")
    )
    assert response.status_code == 200
    event.refresh_from_db()
    assert event.kind == "attended"


def test_a_candidate_email_taken_in_the_organization_is_refused(admin_client, kwame, org):
    ana = services.candidate_create(organization=org, email="ana@example.pt", name="Ana")
    data = candidate_form(ana)
    data["email"] = "KWAME@example.com"
    response = admin_client.post(url("candidate", "change", ana.pk), data)
    assert response.status_code == 200
    assert "already has a candidate" in str(response.context["adminform"].form.errors["email"])


def test_a_jobs_organization_follows_its_client(admin_client, org):
    client = ClientFactory(organization=org, name="Harbour Bank")
    response = admin_client.post(
        url("job", "add"),
        {
            "client": client.pk,
            "title": "Compliance analyst",
            "hiring_manager": "Olivia",
            "state": "open",
        },
    )
    assert response.status_code == 302
    assert Job.objects.get(title="Compliance analyst").organization == org


def test_renaming_a_client_rewrites_the_explanations_that_name_it(admin_client, kwame, job):
    services.event_log(
        candidate=kwame, kind="no_show", reason="commute", occurred_on=days_ago(1), job=job
    )
    kwame.refresh_from_db()
    assert "(Northgate Logistics, " in kwame.explanation[0]
    response = admin_client.post(
        url("client", "change", job.client_id), {"name": "Northgate Group"}
    )
    assert response.status_code == 302
    kwame.refresh_from_db()
    assert "(Northgate Group, " in kwame.explanation[0]


def test_deleting_a_job_leaves_no_explanation_naming_it(admin_client, kwame, job):
    services.event_log(
        candidate=kwame, kind="no_show", reason="commute", occurred_on=days_ago(1), job=job
    )
    admin_client.post(url("job", "delete", job.pk), {"post": "yes"})
    kwame.refresh_from_db()
    assert kwame.status == "stumbled"
    assert job.title not in " ".join(kwame.explanation)


def test_user_admin_edits_organization_role_and_time_zone(admin_client, headhunter, outsider):
    response = admin_client.get(url("user", "change", headhunter.pk))
    assert {"organization", "role", "time_zone"} <= set(response.context["adminform"].form.fields)

    def usernames(**params) -> list[str]:
        cl = admin_client.get(url("user", "changelist"), params).context["cl"]
        return [u.username for u in cl.result_list]

    assert usernames(role__exact="headhunter") == [headhunter.username]
    assert usernames(organization__id__exact=outsider.organization_id) == [outsider.username]
    assert usernames(q="hugo@") == [headhunter.username]


def test_an_interview_before_2000_is_refused_in_the_admin(admin_client, kwame):
    """The rule every door keeps (Event.clean): here the admin's."""
    event = kwame.events.get()
    data = event_form(
        event, kind="scheduled", reason="", interview_at_0="0001-01-01", interview_at_1="10:00"
    )
    response = admin_client.post(url("event", "change", event.pk), data)
    assert response.status_code == 200 and "before 2000" in response.content.decode()
    event.refresh_from_db()
    assert event.interview_at is None


def test_a_request_added_in_the_admin_reaches_the_webhooks(admin_client, kwame, org):
    """The admin is a door too: the same hooks as event_log (reminders, webhooks)."""
    from webhooks import services as webhook_services
    from webhooks.models import Delivery, EventType

    webhook_services.endpoint_create(
        organization=org,
        url="https://93.184.216.34/hooks",
        events=[EventType.REQUEST_RECEIVED, EventType.DECISION_MADE],
        by=UserFactory(organization=org, role="admin"),
    )
    services.event_log(candidate=kwame, kind="no_show", reason="commute", occurred_on=days_ago(3))
    data = event_form(kwame.events.first(), kind="second_chance_requested", reason="", job="")
    data.update(occurred_on=days_ago(1).isoformat(), notes="Please")
    assert admin_client.post(url("event", "add"), data).status_code == 302
    request = Delivery.objects.get()
    assert request.event_type == EventType.REQUEST_RECEIVED
    assert request.payload["data"]["request"]["notes"] == "Please"
    # A correction that makes it a decision is announced as one.
    event = kwame.events.get(kind="second_chance_requested")
    admin_client.post(
        url("event", "change", event.pk), event_form(event, kind="second_chance_refused")
    )
    assert sorted(Delivery.objects.values_list("event_type", flat=True)) == sorted(
        [EventType.REQUEST_RECEIVED, EventType.DECISION_MADE]
    )
