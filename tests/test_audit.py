"""The audit trail: who created, changed and deleted candidates, events, risk notes, clients,
jobs and members; edits keep the earlier version, deletions keep a reason."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import reverse

from candidates import services
from candidates.audit import candidate_history
from candidates.engine import Kind, Reason, Status
from candidates.models import Candidate, Client, Event, Job, RiskNote, Role, User

from .factories import CandidateFactory, ClientFactory, JobFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(org) -> Job:
    return JobFactory(client=ClientFactory(organization=org, name="Acme"), title="Welder")


@pytest.fixture
def candidate(org, recruiter) -> Candidate:
    return services.candidate_create(
        organization=org, email="dana@example.com", name="Dana Scully", owner=recruiter
    )


def no_show(candidate, job, recruiter, notes="Did not come, did not call.") -> Event:
    return services.event_log(
        candidate=candidate,
        kind=Kind.NO_SHOW,
        occurred_on=services.today(),
        reason=Reason.UNKNOWN,
        notes=notes,
        job=job,
        recorded_by=recruiter,
    )


def test_a_candidate_created_on_the_web_records_who_created_it(client, org, recruiter):
    client.force_login(recruiter)

    response = client.post(
        reverse("candidates:create"), {"name": "Fox Mulder", "email": "fox@example.com"}
    )

    assert response.status_code == 302
    candidate = Candidate.objects.get(email="fox@example.com")
    (row,) = candidate.history.all()
    assert row.history_type == "+"
    assert row.history_user == recruiter
    assert row.name == "Fox Mulder"


def test_editing_an_event_keeps_the_earlier_version(candidate, job, recruiter, manager):
    event = no_show(candidate, job, recruiter, notes="Said the bus broke down.")

    services.event_update(
        event=event,
        updated_by=manager,
        change_reason="Typo in the notes",
        notes="Said the train broke down.",
    )

    old, new = event.history.order_by("history_date", "history_id")
    assert old.notes == "Said the bus broke down."
    assert old.history_user == recruiter
    assert new.notes == "Said the train broke down."
    assert new.history_user == manager
    assert new.history_change_reason == "Typo in the notes"


def test_an_event_cannot_be_deleted_without_a_reason(candidate, job, recruiter):
    event = no_show(candidate, job, recruiter)

    with pytest.raises(ValidationError):
        services.event_delete(event=event, reason="  ", deleted_by=recruiter)

    assert Event.objects.filter(pk=event.pk).exists()


def test_deleting_an_event_keeps_it_and_its_reason_and_reevaluates(
    candidate, job, recruiter, manager
):
    event = no_show(candidate, job, recruiter)
    event_id = event.pk
    candidate.refresh_from_db()
    assert candidate.status == Status.STUMBLED

    services.event_delete(event=event, reason="Logged on the wrong candidate", deleted_by=manager)

    assert not Event.objects.filter(pk=event_id).exists()
    deleted = Event.history.get(id=event_id, history_type="-")
    assert deleted.kind == Kind.NO_SHOW
    assert deleted.notes == "Did not come, did not call."
    assert deleted.history_change_reason == "Logged on the wrong candidate"
    assert deleted.history_user == manager
    candidate.refresh_from_db()
    assert candidate.status == Status.CLEAN


def test_editing_and_deleting_a_risk_note_keep_every_version_and_rescore(
    candidate, recruiter, manager
):
    risk_note = services.risk_note_add(
        candidate=candidate, dimension="trust", level=5, author=recruiter, note="Lied about it."
    )
    candidate.refresh_from_db()
    assert candidate.risk_score == 13

    services.risk_note_update(risk_note=risk_note, updated_by=recruiter, level=4)
    with pytest.raises(ValidationError):
        services.risk_note_delete(risk_note=risk_note, reason="", deleted_by=manager)
    note_id = risk_note.pk
    services.risk_note_delete(risk_note=risk_note, reason="Wrong person", deleted_by=manager)

    versions = RiskNote.history.filter(id=note_id).order_by("history_date", "history_id")
    assert [(v.history_type, v.level) for v in versions] == [("+", 5), ("~", 4), ("-", 4)]
    assert versions.last().history_change_reason == "Wrong person"
    candidate.refresh_from_db()
    assert candidate.risk_score == 0


def test_flags_and_second_chance_decisions_are_recorded_with_who(candidate, recruiter, manager):
    services.flag_set(candidate=candidate, reason="Abusive on the phone", recorded_by=recruiter)
    services.second_chance_decide(candidate=candidate, grant=False, decided_by=manager)

    rows = Event.history.filter(candidate_id=candidate.pk).order_by("history_id")
    assert [(r.kind, r.history_type) for r in rows] == [
        (Kind.DO_NOT_RESUBMIT, "+"),
        (Kind.SECOND_CHANCE_REFUSED, "+"),
    ]
    assert [r.recorded_by_id for r in rows] == [recruiter.pk, manager.pk]


def test_the_stored_status_is_derived_and_adds_no_history(candidate, job, recruiter):
    before = candidate.history.count()

    no_show(candidate, job, recruiter)
    services.reevaluate([candidate.pk], as_of=date(2031, 1, 1))

    assert candidate.history.count() == before
    history_columns = {f.name for f in Candidate.history.model._meta.fields}
    for derived in services.STORED_FIELDS:
        assert derived not in history_columns


def test_clients_and_jobs_keep_their_earlier_names(org, job):
    services.client_update(client=job.client, name="Acme Ltd")
    services.job_update(job=job, client=job.client, title="Senior welder", state="on_hold")

    assert [c.name for c in Client.history.filter(id=job.client_id).order_by("history_id")] == [
        "Acme",
        "Acme Ltd",
    ]
    assert [(j.title, j.state) for j in job.history.order_by("history_id")] == [
        ("Welder", "open"),
        ("Senior welder", "on_hold"),
    ]


def test_member_role_changes_and_deactivation_are_recorded_but_not_passwords_or_logins(
    client, recruiter, org_admin
):
    User.history.filter(id=recruiter.pk).delete()
    client.force_login(recruiter)  # updates last_login: no history row for that

    assert not User.history.filter(id=recruiter.pk).exists()
    recruiter._history_user = org_admin
    services.member_update(member=recruiter, role=Role.HEADHUNTER, is_active=False)

    (row,) = User.history.filter(id=recruiter.pk)
    assert (row.role, row.is_active, row.history_user) == (Role.HEADHUNTER, False, org_admin)
    history_columns = {f.name for f in User.history.model._meta.fields}
    assert "password" not in history_columns
    assert "last_login" not in history_columns


def test_candidate_history_says_who_did_what_newest_first(candidate, job, recruiter, manager):
    event = no_show(candidate, job, recruiter, notes="No call.")
    services.event_update(event=event, updated_by=manager, reason=Reason.COMMUTE)
    services.risk_note_add(candidate=candidate, dimension="commute", level=4, author=recruiter)
    services.event_delete(event=event, reason="Duplicate entry", deleted_by=manager)

    entries = candidate_history(candidate)

    assert [(e.subject, e.action) for e in entries] == [
        ("Event", "deleted"),
        ("Risk note", "created"),
        ("Event", "changed"),
        ("Event", "created"),
        ("Candidate", "created"),
    ]
    deleted, note, changed, created, born = entries
    assert deleted.reason == "Duplicate entry"
    assert deleted.who == str(manager)
    assert deleted.label == f"No-show on {services.today().isoformat()} (Acme, Welder)"
    assert [(c.field, c.old, c.new) for c in changed.changes] == [("Reason", "Unknown", "Commute")]
    assert ("Notes", "", "No call.") in [(c.field, c.old, c.new) for c in created.changes]
    assert created.who == str(recruiter)
    assert ("Owner", "", str(recruiter)) in [(c.field, c.old, c.new) for c in born.changes]
    assert born.who == "System (import or command line)"
    assert note.label == f"Commute 4 by {recruiter.email}"


@pytest.mark.parametrize("events", [1, 12])
def test_candidate_history_takes_six_queries_however_long(
    candidate, job, recruiter, manager, events, django_assert_num_queries
):
    for i in range(events):
        event = no_show(candidate, job, recruiter, notes=f"Note {i}")
        services.event_update(event=event, updated_by=manager, notes=f"Edited {i}")
        services.risk_note_add(candidate=candidate, dimension="trust", level=3, author=manager)

    # The three history tables, the merges into the candidate, the people, the jobs.
    with django_assert_num_queries(6):
        entries = candidate_history(candidate)

    assert len(entries) == 1 + 3 * events


def test_the_history_partial_shows_entries_and_escapes_what_people_typed(candidate, job, recruiter):
    no_show(candidate, job, recruiter, notes="<script>alert('x')</script>")

    html = render_to_string(
        "candidates/partials/audit_history.html",
        {"audit_entries": candidate_history(candidate)},
    )

    assert "Event created" in html
    assert "Candidate created" in html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    empty = render_to_string("candidates/partials/audit_history.html", {"audit_entries": []})
    assert "No changes recorded." in empty


def test_other_candidates_history_is_not_included(org, candidate, job, recruiter):
    other = CandidateFactory(organization=org, email="other@example.com")
    services.event_log(candidate=other, kind=Kind.ATTENDED, occurred_on=date(2026, 1, 5))

    subjects = {e.label for e in candidate_history(candidate)}

    assert subjects == {"Dana Scully"}
