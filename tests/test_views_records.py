"""The candidate page's history of changes; correcting and deleting events and risk notes
with a reason; the admins' export as JSON and erasure, from the candidate page."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.urls import reverse

from candidates import services
from candidates.engine import Kind, Reason, Status
from candidates.models import Candidate, Event, RiskNote

from .factories import ClientFactory, JobFactory, UserFactory

pytestmark = pytest.mark.django_db

NAME = "Ann Archer"
EMAIL = "ann.archer@example.com"


def today() -> date:
    return services.today()


@pytest.fixture
def job(org):
    return JobFactory(client=ClientFactory(organization=org, name="Acme"), title="Welder")


@pytest.fixture
def candidate(org, recruiter) -> Candidate:
    return services.candidate_create(
        organization=org, email=EMAIL, name=NAME, phone="+44 7700 900555", owner=recruiter
    )


@pytest.fixture
def no_show(candidate, job, recruiter) -> Event:
    return services.event_log(
        candidate=candidate,
        kind=Kind.NO_SHOW,
        occurred_on=today() - timedelta(days=10),
        reason=Reason.COMMUTE,
        notes="Bus strike, did not call.",
        job=job,
        recorded_by=recruiter,
    )


@pytest.fixture
def note(candidate, recruiter) -> RiskNote:
    return services.risk_note_add(
        candidate=candidate,
        dimension="trust",
        level=4,
        author=recruiter,
        noted_on=today() - timedelta(days=3),
        note="Said the reference was his cousin.",
    )


def url(name: str, *args) -> str:
    return reverse(f"candidates:{name}", args=args)


def page_of(client, candidate, page: str = "detail") -> str:
    response = client.get(url(page, candidate.pk))
    assert response.status_code == 200
    return response.content.decode()


def history_of_changes(client, candidate) -> str:
    return page_of(client, candidate, "audit")


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def event_post(event: Event, **changes) -> dict:
    data = {
        "kind": event.kind,
        "occurred_on": event.occurred_on.isoformat(),
        "reason": event.reason,
        "job": event.job_id or "",
        "notes": event.notes,
        "change_reason": "",
    }
    data.update(changes)
    return data


# --- The history of changes on the candidate page ------------------------------------------


def test_the_candidate_page_links_the_history_of_changes_with_who_and_why(
    client, candidate, no_show, recruiter, manager
):
    services.event_update(
        event=no_show, updated_by=recruiter, change_reason="Wrong day", notes="Train strike."
    )
    client.force_login(manager)
    assert url("audit", candidate.pk) in client.get(url("detail", candidate.pk)).content.decode()

    response = client.get(url("audit", candidate.pk))

    entries = response.context["audit_entries"]
    assert [(e.subject, e.action) for e in entries] == [
        ("Event", "changed"),
        ("Event", "created"),
        ("Candidate", "created"),
    ]
    page = response.content.decode()
    assert "History of changes" in page
    assert "Reason:</span> Wrong day" in page
    assert "<del>Bus strike, did not call.</del> → <ins>Train strike.</ins>" in page
    assert f"by {recruiter}" in page


@pytest.mark.parametrize("changes", [3, 30])
def test_the_history_of_changes_costs_the_same_queries_for_3_or_30_changes(
    client, candidate, job, recruiter, org_admin, changes, django_assert_num_queries
):
    from .query_counts import AUDIT_FIRST

    for i in range(changes):
        event = services.event_log(
            candidate=candidate,
            kind=Kind.ATTENDED,
            occurred_on=today() - timedelta(days=i + 1),
            job=job,
            recorded_by=recruiter,
        )
        services.event_update(
            event=event, updated_by=org_admin, change_reason=f"fix {i}", notes=f"Went well {i}"
        )
        risk_note = services.risk_note_add(
            candidate=candidate, dimension="commute", level=2, author=recruiter
        )
        services.risk_note_delete(risk_note=risk_note, reason=f"dup {i}", deleted_by=org_admin)
    client.force_login(org_admin)

    with django_assert_num_queries(AUDIT_FIRST):
        response = client.get(url("audit", candidate.pk))

    assert response.status_code == 200
    assert len(response.context["audit_entries"]) == 1 + 4 * changes


def test_what_people_typed_is_escaped_in_the_history(client, candidate, no_show, recruiter):
    services.event_update(
        event=no_show,
        updated_by=recruiter,
        change_reason="<script>alert('reason')</script>",
        notes="<img src=x onerror=alert(1)>",
    )
    client.force_login(recruiter)
    for page in (page_of(client, candidate), history_of_changes(client, candidate)):
        assert "<script>alert(" not in page
        assert "<img src=x" not in page
    assert "&lt;script&gt;alert(" in history_of_changes(client, candidate)


# --- Correcting an event ---------------------------------------------------------------------


def test_the_page_links_each_record_its_user_may_correct(
    client, candidate, no_show, note, recruiter, headhunter, manager
):
    edit_event = url("event_edit", candidate.pk, no_show.pk)
    edit_note = url("note_edit", candidate.pk, note.pk)
    client.force_login(recruiter)
    page = page_of(client, candidate)
    assert edit_event in page and edit_note in page
    client.force_login(headhunter)  # not the note's author
    page = page_of(client, candidate)
    assert edit_event in page and edit_note not in page
    client.force_login(manager)  # a manager records nothing but decisions
    page = page_of(client, candidate)
    assert edit_event not in page and edit_note not in page


def test_a_recruiter_corrects_an_event_and_the_earlier_version_stays(
    client, candidate, no_show, headhunter
):
    client.force_login(headhunter)
    edit = url("event_edit", candidate.pk, no_show.pk)
    assert client.get(edit).status_code == 200

    response = client.post(
        edit,
        event_post(
            no_show,
            kind="declined_interview",
            reason="commute",
            change_reason="He did call ahead: it was a notice.",
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == url("detail", candidate.pk)
    assert fresh(no_show).kind == Kind.DECLINED_INTERVIEW
    versions = no_show.history.order_by("history_date", "history_id")
    assert [v.kind for v in versions] == [Kind.NO_SHOW, Kind.DECLINED_INTERVIEW]
    assert versions.last().history_user == headhunter
    assert versions.last().history_change_reason == "He did call ahead: it was a notice."
    # Re-evaluated: a notice weighs 1, a no-show 3.
    assert fresh(candidate).risk_score == 10
    page = history_of_changes(client, candidate)
    assert "<del>No-show</del> → <ins>Declined interview</ins>" in page


def test_a_correction_needs_a_reason_and_valid_fields_and_writes_nothing_without(
    client, candidate, no_show, recruiter
):
    client.force_login(recruiter)
    edit = url("event_edit", candidate.pk, no_show.pk)

    no_reason = client.post(edit, event_post(no_show, notes="Changed", change_reason="  "))
    attended_with_reason = client.post(
        edit, event_post(no_show, kind="attended", change_reason="He came after all")
    )

    assert no_reason.status_code == attended_with_reason.status_code == 200
    assert "Say why you correct it." in no_reason.content.decode()
    assert "Leave the reason empty" in attended_with_reason.content.decode()
    assert fresh(no_show).notes == "Bus strike, did not call."
    assert no_show.history.count() == 1


def test_a_correction_that_changes_nothing_records_nothing(client, candidate, no_show, recruiter):
    client.force_login(recruiter)
    response = client.post(
        url("event_edit", candidate.pk, no_show.pk), event_post(no_show, change_reason="Checked")
    )
    assert response.status_code == 302
    assert no_show.history.count() == 1


def test_deleting_an_event_needs_a_reason_which_the_page_then_shows(
    client, candidate, no_show, recruiter
):
    client.force_login(recruiter)
    delete = url("event_delete", candidate.pk, no_show.pk)
    assert client.get(delete).status_code == 405

    refused = client.post(delete, {"reason": ""})
    assert refused.status_code == 200
    assert "Say why you delete it." in refused.content.decode()
    assert Event.objects.filter(pk=no_show.pk).exists()

    done = client.post(delete, {"reason": "Logged on the wrong candidate"})
    assert done.status_code == 302
    assert not Event.objects.filter(pk=no_show.pk).exists()
    assert fresh(candidate).status == Status.CLEAN
    page = history_of_changes(client, candidate)
    assert "Event deleted" in page
    assert "Reason:</span> Logged on the wrong candidate" in page


def test_a_second_chance_decision_is_corrected_by_a_decider_only(
    client, candidate, no_show, recruiter, manager
):
    services.second_chance_request(candidate=candidate, pitch="Please", recorded_by=recruiter)
    granted = services.second_chance_decide(
        candidate=candidate, grant=True, decided_by=manager, note="One more go"
    )
    edit = url("event_edit", candidate.pk, granted.pk)
    client.force_login(recruiter)
    assert client.get(edit).status_code == 403
    assert (
        client.post(url("event_delete", candidate.pk, granted.pk), {"reason": "x"}).status_code
        == 403
    )

    client.force_login(manager)
    response = client.get(edit)
    assert response.status_code == 200
    # A decision keeps its kind: the form offers no other.
    assert [value for value, _ in response.context["form"].fields["kind"].choices] == [
        "second_chance_granted"
    ]
    response = client.post(
        edit,
        event_post(granted, kind="second_chance_refused", change_reason="Meant to refuse"),
    )
    assert response.status_code == 200
    assert fresh(granted).kind == Kind.SECOND_CHANCE_GRANTED


def test_a_flags_reason_cannot_be_emptied(client, candidate, recruiter):
    flag = services.flag_set(
        candidate=candidate, reason="Abusive on the phone", recorded_by=recruiter
    )
    client.force_login(recruiter)
    response = client.post(
        url("event_edit", candidate.pk, flag.pk),
        event_post(flag, notes="", change_reason="Too harsh"),
    )
    assert response.status_code == 200
    assert "Say why this candidate must not be resubmitted." in response.content.decode()
    assert fresh(flag).notes == "Abusive on the phone"


def test_a_job_of_another_organization_cannot_be_put_on_an_event(
    client, candidate, no_show, recruiter, other_org
):
    theirs = JobFactory(client=ClientFactory(organization=other_org))
    client.force_login(recruiter)
    response = client.post(
        url("event_edit", candidate.pk, no_show.pk),
        event_post(no_show, job=theirs.pk, change_reason="Other job"),
    )
    assert response.status_code == 404
    assert fresh(no_show).job_id == no_show.job_id


def test_another_organizations_or_another_candidates_records_are_404(
    client, org, other_org, candidate, no_show, note, org_admin, outsider
):
    sibling = services.candidate_create(organization=org, email="sib@example.com", name="Sib")
    client.force_login(org_admin)
    # The event and note exist, but not on this candidate.
    assert client.get(url("event_edit", sibling.pk, no_show.pk)).status_code == 404
    assert client.get(url("note_edit", sibling.pk, note.pk)).status_code == 404
    client.force_login(outsider)
    for name, pk in (("event_edit", no_show.pk), ("note_edit", note.pk)):
        assert client.get(url(name, candidate.pk, pk)).status_code == 404
    for name, pk in (("event_delete", no_show.pk), ("note_delete", note.pk)):
        assert client.post(url(name, candidate.pk, pk), {"reason": "mine now"}).status_code == 404
    assert Event.objects.filter(pk=no_show.pk).exists()
    assert RiskNote.objects.filter(pk=note.pk).exists()


# --- Correcting a risk note ------------------------------------------------------------------


def test_the_author_corrects_a_risk_note_and_the_score_follows(client, candidate, note, recruiter):
    client.force_login(recruiter)
    response = client.post(
        url("note_edit", candidate.pk, note.pk),
        {
            "dimension": "trust",
            "level": "2",
            "noted_on": note.noted_on.isoformat(),
            "note": "The cousin was also his manager: fine.",
            "change_reason": "Checked the reference",
        },
    )
    assert response.status_code == 302
    assert fresh(note).level == 2
    assert fresh(candidate).risk_score == 3  # (2 - 1) * 10 / 3, rounded
    old, new = note.history.order_by("history_date", "history_id")
    assert (old.level, old.note) == (4, "Said the reference was his cousin.")
    assert new.history_change_reason == "Checked the reference"


def test_a_risk_note_is_corrected_by_its_author_or_an_admin_only(
    client, candidate, note, headhunter, manager, org_admin
):
    edit = url("note_edit", candidate.pk, note.pk)
    delete = url("note_delete", candidate.pk, note.pk)
    for colleague in (headhunter, manager):
        client.force_login(colleague)
        assert client.get(edit).status_code == 403
        assert client.post(delete, {"reason": "I disagree"}).status_code == 403
    assert RiskNote.objects.filter(pk=note.pk).exists()

    client.force_login(org_admin)
    assert client.get(edit).status_code == 200
    assert client.post(delete, {"reason": "Written about the wrong Ann"}).status_code == 302
    assert not RiskNote.objects.filter(pk=note.pk).exists()
    deleted = RiskNote.history.get(id=note.pk, history_type="-")
    assert (deleted.history_user, deleted.history_change_reason) == (
        org_admin,
        "Written about the wrong Ann",
    )


def test_an_imported_note_without_an_account_is_for_an_admin_to_correct(
    client, candidate, recruiter
):
    imported = services.risk_note_add(
        candidate=candidate, dimension="commute", level=3, author_email="gone@example.com"
    )
    client.force_login(recruiter)
    assert client.get(url("note_edit", candidate.pk, imported.pk)).status_code == 403


# --- Export and erasure ----------------------------------------------------------------------


def test_an_admin_downloads_everything_about_a_candidate_as_json(
    client, candidate, no_show, note, org_admin
):
    client.force_login(org_admin)
    assert "Export JSON" in page_of(client, candidate)

    response = client.get(url("export_json", candidate.pk))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert (
        response["Content-Disposition"] == f'attachment; filename="candidate-{candidate.pk}.json"'
    )
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["candidate"]["email"] == EMAIL
    assert [e["notes"] for e in data["events"]] == ["Bus strike, did not call."]
    assert [n["note"] for n in data["risk_notes"]] == ["Said the reference was his cousin."]
    assert len(data["history"]) == 3


def test_export_and_erasure_are_for_admins_only(client, candidate, recruiter, headhunter, manager):
    for member in (recruiter, headhunter, manager):
        client.force_login(member)
        page = page_of(client, candidate)
        assert url("export_json", candidate.pk) not in page
        assert url("erase", candidate.pk) not in page
        assert client.get(url("export_json", candidate.pk)).status_code == 403
        assert client.get(url("erase", candidate.pk)).status_code == 403
        assert client.post(url("erase", candidate.pk), {"reason": "x"}).status_code == 403
    assert fresh(candidate).name == NAME


def test_another_organizations_admin_can_neither_export_nor_erase(client, candidate, other_org):
    their_admin = UserFactory(organization=other_org, role="admin")
    client.force_login(their_admin)
    assert client.get(url("export_json", candidate.pk)).status_code == 404
    assert client.post(url("erase", candidate.pk), {"reason": "x"}).status_code == 404
    assert fresh(candidate).name == NAME


def test_erasing_from_the_page_asks_a_reason_then_shows_the_anonymous_candidate(
    client, candidate, no_show, note, org_admin
):
    client.force_login(org_admin)
    erase = url("erase", candidate.pk)
    confirm = client.get(erase)
    assert confirm.status_code == 200
    assert "It cannot be undone" in confirm.content.decode()

    refused = client.post(erase, {"reason": " "})
    assert refused.status_code == 200
    assert "Say why the candidate is erased." in refused.content.decode()
    assert fresh(candidate).name == NAME

    response = client.post(erase, {"reason": "Asked by email on 2 May"}, follow=True)

    erased = fresh(candidate)
    assert erased.name.startswith("Erased candidate ")
    assert response.redirect_chain == [(url("detail", candidate.pk), 302)]
    page = response.content.decode()
    assert erased.name in page
    for secret in (NAME, EMAIL, "Bus strike", "his cousin"):
        assert secret not in page
    # The events still count; the erasure is in the history, with who and why.
    assert Event.objects.filter(candidate=candidate).count() == 1
    entry = client.get(url("audit", candidate.pk)).context["audit_entries"][0]
    assert (entry.action, entry.who, entry.reason) == (
        "changed",
        str(org_admin),
        "erased: Asked by email on 2 May",
    )


def test_an_erased_candidate_is_not_erased_twice(client, candidate, org_admin):
    client.force_login(org_admin)
    client.post(url("erase", candidate.pk), {"reason": "Asked"})
    name = fresh(candidate).name
    response = client.post(url("erase", candidate.pk), {"reason": "Again"})
    assert response.status_code == 302
    assert fresh(candidate).name == name
