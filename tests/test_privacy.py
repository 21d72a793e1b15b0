"""Export and erasure of one candidate (a subject access request, a right to be forgotten):
the functions in candidates/privacy.py and the two management commands."""

from __future__ import annotations

import io
import json
import logging
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from candidates import services
from candidates.engine import Kind, Reason
from candidates.models import Candidate, Event, RiskNote
from candidates.privacy import erase_candidate, export_candidate
from reminders.services import reminder_create
from webhooks import services as webhook_services
from webhooks.models import Delivery, DeliveryAttempt, EventType

from .factories import CandidateFactory, ClientFactory, JobFactory, UserFactory

pytestmark = pytest.mark.django_db

NAME = "Zebulon Quattlebaum"
EMAIL = "zeb.quattlebaum@example.org"
PHONE = "+44 7700 900123"
EVENT_NOTE = "Smelled of whisky at the interview"
EDITED_NOTE = "Was late and rude to the receptionist"
PITCH = "I was going through a divorce, please reconsider"
RISK_TEXT = "Unreliable since the bankruptcy"
DELETE_REASON = "Duplicate of Zebulon's other no-show"
SECRETS = [NAME, EMAIL, PHONE, EVENT_NOTE, EDITED_NOTE, PITCH, RISK_TEXT, "Quattlebaum"]


@pytest.fixture
def candidate(org, recruiter, manager) -> Candidate:
    """A candidate with everything that can hold personal data: events with notes (one of
    them edited, one deleted with a reason naming them), a pitch, a risk note, a reminder
    naming them, an entry in the admin's log, and the webhook deliveries that told the
    organization's ATS about them (with the answers the endpoint gave)."""
    job = JobFactory(client=ClientFactory(organization=org, name="Acme"), title="Welder")
    endpoint = webhook_services.endpoint_create(
        organization=org,
        url="https://93.184.216.34/hooks",
        events=list(EventType.values),
        by=UserFactory(organization=org, role="admin"),
    )
    candidate = services.candidate_create(
        organization=org, email=EMAIL, name=NAME, phone=PHONE, owner=recruiter, rating=4
    )
    no_show = services.event_log(
        candidate=candidate,
        kind=Kind.NO_SHOW,
        occurred_on=date(2026, 3, 2),
        reason=Reason.PERSONAL,
        notes=EVENT_NOTE,
        job=job,
        recorded_by=recruiter,
    )
    services.event_update(event=no_show, updated_by=manager, notes=EDITED_NOTE)
    duplicate = services.event_log(
        candidate=candidate,
        kind=Kind.LATE,
        occurred_on=date(2026, 3, 2),
        reason=Reason.COMMUTE,
        notes=EVENT_NOTE,
        job=job,
        recorded_by=recruiter,
    )
    services.event_delete(event=duplicate, reason=DELETE_REASON, deleted_by=manager)
    services.second_chance_request(
        candidate=candidate, pitch=PITCH, recorded_by=recruiter, occurred_on=date(2026, 4, 1)
    )
    services.risk_note_add(
        candidate=candidate,
        dimension="trust",
        level=4,
        author=recruiter,
        noted_on=date(2026, 3, 3),
        note=RISK_TEXT,
    )
    reminder_create(
        candidate=candidate,
        user=recruiter,
        title=f"Call {NAME} back",
        body=f"Ask Zebulon about it, or email {EMAIL}",
        due_at=timezone.now() + timedelta(days=2),
        created_by=manager,
    )
    LogEntry.objects.log_actions(
        user_id=manager.pk, queryset=[candidate], action_flag=CHANGE, change_message="[]"
    )
    for delivery in Delivery.objects.filter(endpoint=endpoint):
        DeliveryAttempt.objects.create(
            delivery=delivery,
            started_at=timezone.now(),
            status_code=422,
            response=f"Unknown candidate {EMAIL}",
        )
    return candidate


def everything_in_the_database() -> str:
    """Every row of every table, as text (history, sessions, admin log, reminders…)."""
    rows = []
    for model in apps.get_models(include_auto_created=True):
        rows.extend(repr(row) for row in model._base_manager.values_list())
    return "\n".join(rows).lower()


# --- Export -------------------------------------------------------------------------------


def test_the_export_holds_everything_about_the_candidate_as_json(candidate, recruiter):
    data = json.loads(json.dumps(export_candidate(candidate)))

    assert data["candidate"]["name"] == NAME
    assert data["candidate"]["email"] == EMAIL
    assert data["candidate"]["phone"] == PHONE
    assert data["candidate"]["owner"] == recruiter.email
    assert data["organization"]["slug"] == "northwind"
    assert [(e["kind"], e["notes"], e["client"], e["job"]) for e in data["events"]] == [
        ("no_show", EDITED_NOTE, "Acme", "Welder"),
        ("second_chance_requested", PITCH, None, None),
    ]
    assert [(n["dimension"], n["level"], n["note"]) for n in data["risk_notes"]] == [
        ("trust", 4, RISK_TEXT)
    ]
    history = json.dumps(data["history"])
    assert EVENT_NOTE in history  # the earlier version, before the edit
    assert DELETE_REASON in history
    assert any(e["action"] == "deleted" for e in data["history"])
    assert [r["title"] for r in data["reminders"]] == [f"Call {NAME} back"]


def test_the_export_command_prints_the_json(candidate):
    out = io.StringIO()

    call_command("export_candidate", "--org", "northwind", "--email", EMAIL.upper(), stdout=out)

    data = json.loads(out.getvalue())
    assert data["candidate"]["id"] == candidate.pk
    assert len(data["events"]) == 2


def test_the_export_command_says_what_it_cannot_find(candidate):
    with pytest.raises(CommandError, match="No candidate"):
        call_command("export_candidate", "--org", "northwind", "--email", "nobody@example.org")
    with pytest.raises(CommandError, match="No organization"):
        call_command("export_candidate", "--org", "nowhere", "--email", EMAIL)


def test_another_organization_cannot_export_the_candidate(candidate, other_org):
    with pytest.raises(CommandError, match="No candidate"):
        call_command("export_candidate", "--org", other_org.slug, "--email", EMAIL)


# --- Erasure ------------------------------------------------------------------------------


def test_erasure_anonymises_the_person_and_keeps_the_agencys_numbers(candidate, org_admin):
    before = Candidate.objects.get(pk=candidate.pk)
    events_before = list(
        Event.objects.filter(candidate=candidate).values_list("kind", "occurred_on", "reason")
    )

    erased = erase_candidate(candidate=candidate, erased_by=org_admin, reason="Asked by email")

    assert erased.name.startswith("Erased candidate ")
    assert erased.email.startswith("erased-")
    assert erased.email.endswith("@erased.invalid")
    assert erased.phone == ""
    assert erased.rating == 4
    after = list(
        Event.objects.filter(candidate=candidate).values_list("kind", "occurred_on", "reason")
    )
    assert after == events_before
    assert set(Event.objects.filter(candidate=candidate).values_list("notes", flat=True)) == {""}
    assert list(RiskNote.objects.filter(candidate=candidate).values_list("level", "note")) == [
        (4, "")
    ]
    assert (erased.status, erased.risk_score, erased.advice, erased.live_missteps) == (
        before.status,
        before.risk_score,
        before.advice,
        before.live_missteps,
    )


def test_after_erasure_the_person_appears_nowhere_in_the_database(candidate, org_admin):
    text = everything_in_the_database()
    assert all(secret.lower() in text for secret in [NAME, EMAIL, EVENT_NOTE, RISK_TEXT])

    erase_candidate(candidate=candidate, erased_by=org_admin, reason=f"{NAME} asked by phone")

    text = everything_in_the_database()
    for secret in SECRETS:
        assert secret.lower() not in text, secret
    # The history tables in particular: every earlier version was scrubbed too.
    assert not Candidate.history.filter(name=NAME).exists()
    assert not Event.history.exclude(notes="").filter(candidate_id=candidate.pk).exists()
    assert not RiskNote.history.exclude(note="").filter(candidate_id=candidate.pk).exists()
    # Rows linked to them keep their use, without the person: the reminder is still there.
    assert [r.title for r in candidate.reminders.all()] == ["Call [erased] back"]


def test_erasure_leaves_other_people_alone(candidate, org, other_org, org_admin, recruiter):
    namesake = CandidateFactory(organization=other_org, name="Zebulon Other", email=EMAIL)
    services.event_log(
        candidate=namesake,
        kind=Kind.ATTENDED,
        occurred_on=date(2026, 3, 2),
        notes="Zebulon was great",
    )
    colleague = services.candidate_create(organization=org, email="amy@example.org", name="Amy")
    services.risk_note_add(
        candidate=colleague, dimension="trust", level=2, author=recruiter, note=RISK_TEXT
    )

    erase_candidate(candidate=candidate, erased_by=org_admin, reason="Request")

    namesake.refresh_from_db()
    assert (namesake.name, namesake.email) == ("Zebulon Other", EMAIL)
    assert namesake.events.get().notes == "Zebulon was great"
    assert colleague.risk_notes.get().note == RISK_TEXT
    # The recruiter who wrote the notes is still their author.
    assert RiskNote.objects.get(candidate=candidate).author_email == recruiter.email


def test_the_erasure_is_in_the_audit_trail_and_the_log(candidate, org_admin, caplog):
    with caplog.at_level(logging.INFO, logger="recovery.privacy"):
        erased = erase_candidate(
            candidate=candidate, erased_by=org_admin, reason="Right to be forgotten"
        )

    latest = erased.history.order_by("-history_date", "-history_id").first()
    assert latest.history_change_reason == "erased: Right to be forgotten"
    assert latest.history_user == org_admin
    assert latest.name == erased.name
    assert any(
        f"candidate erased id={candidate.pk}" in r.getMessage()
        and str(org_admin.pk) in r.getMessage()
        for r in caplog.records
    )
    # The admin's log names the candidate anonymously now.
    entry = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Candidate), object_id=str(candidate.pk)
    )
    assert entry.object_repr == f"{erased.name} <{erased.email}>"


def test_erasure_needs_a_reason_and_changes_nothing_without_one(candidate, org_admin):
    with pytest.raises(ValidationError):
        erase_candidate(candidate=candidate, erased_by=org_admin, reason="  ")

    candidate.refresh_from_db()
    assert candidate.name == NAME
    assert Event.objects.filter(candidate=candidate, notes=EDITED_NOTE).exists()


def test_the_erase_command_erases_with_yes(candidate, org_admin):
    out = io.StringIO()

    call_command(
        "erase_candidate",
        "--org",
        "northwind",
        "--email",
        EMAIL,
        "--reason",
        "Erasure request 2026-11",
        "--by",
        org_admin.email,
        "--yes",
        stdout=out,
    )

    candidate.refresh_from_db()
    assert candidate.name.startswith("Erased candidate ")
    assert f"is now {candidate.name}" in out.getvalue()
    latest = candidate.history.order_by("-history_id").first()
    assert latest.history_change_reason == "erased: Erasure request 2026-11"
    assert latest.history_user == org_admin


def test_the_erase_command_without_yes_refuses_when_nobody_can_answer(candidate, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))

    with pytest.raises(CommandError, match="--yes"):
        call_command("erase_candidate", "--org", "northwind", "--email", EMAIL, "--reason", "x")

    candidate.refresh_from_db()
    assert candidate.name == NAME


def test_the_erase_command_checks_its_arguments(candidate, outsider):
    with pytest.raises(CommandError, match="No member"):
        call_command(
            "erase_candidate",
            *("--org", "northwind", "--email", EMAIL, "--reason", "x"),
            *("--by", outsider.email, "--yes"),
        )
    with pytest.raises(CommandError, match="Say why"):
        call_command(
            "erase_candidate", "--org", "northwind", "--email", EMAIL, "--reason", " ", "--yes"
        )
    candidate.refresh_from_db()
    assert candidate.name == NAME
