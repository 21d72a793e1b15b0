"""One person, one history: probable duplicates shown at every door before a candidate is
saved (the form as each role, the import, the admin), on the candidate page, and merging two
records into one, and undoing it (services and pages)."""

from __future__ import annotations

import io
from collections import Counter
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from candidates import services
from candidates.audit import candidate_history
from candidates.importer import import_history
from candidates.models import (
    Candidate,
    CandidateAddress,
    Event,
    Merge,
    StatusCount,
)
from candidates.reports import recovery_report
from reminders.models import Reminder
from reminders.services import reminder_create

from .factories import ClientFactory, JobFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = "candidate_email,candidate_name,client,job_title,kind,occurred_on,reason,notes\n"


def days_ago(n: int):
    return services.today() - timedelta(days=n)


def counts_are_right(org) -> None:
    """The counts per status (StatusCount) are the candidates' statuses, counted."""
    stored = {
        status: n
        for status, n in StatusCount.objects.filter(organization=org).values_list("status", "count")
        if n
    }
    actual = Counter(Candidate.objects.filter(organization=org).values_list("status", flat=True))
    assert stored == dict(actual)


@pytest.fixture
def job(org):
    return JobFactory(client=ClientFactory(organization=org, name="Acme"), title="Welder")


@pytest.fixture
def burned(org, recruiter, job):
    """José García, flagged do-not-resubmit: burned."""
    jose = services.candidate_create(
        organization=org, email="jose.garcia@gmail.com", name="José García", phone="07700900123"
    )
    services.event_log(
        candidate=jose,
        kind="no_show",
        occurred_on=days_ago(30),
        reason="commute",
        job=job,
        recorded_by=recruiter,
    )
    services.flag_set(candidate=jose, reason="Ghosted the client twice", recorded_by=recruiter)
    assert jose.__class__.objects.get(pk=jose.pk).status == "burned"
    return Candidate.objects.get(pk=jose.pk)


def login(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


# --- The form, as each role -----------------------------------------------------------------

NEW_JOSE = {"name": "Garcia Jose", "email": "jose.garcia@hotmail.com", "rating": ""}


@pytest.mark.parametrize("role", ["recruiter", "headhunter", "org_admin"])
def test_the_form_shows_a_burned_duplicate_before_saving(role, request, burned):
    http = login(request.getfixturevalue(role))
    response = http.post(reverse("candidates:create"), NEW_JOSE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Probably the same person as" in page
    assert burned.name in page and burned.email in page
    assert "Burned" in page and "Do not resubmit" in page
    assert reverse("candidates:detail", args=[burned.pk]) in page
    assert "This is a different person" in page
    assert not Candidate.objects.filter(email="jose.garcia@hotmail.com").exists()


@pytest.mark.parametrize("role", ["recruiter", "headhunter", "org_admin"])
def test_the_form_saves_once_confirmed_a_different_person(role, request, burned):
    http = login(request.getfixturevalue(role))
    response = http.post(reverse("candidates:create"), {**NEW_JOSE, "different_person": "on"})
    assert response.status_code == 302
    added = Candidate.objects.get(email="jose.garcia@hotmail.com")
    assert added.status == "clean"
    # ... and its page says whom it probably is.
    page = http.get(reverse("candidates:detail", args=[added.pk])).content.decode()
    assert "Probably the same person as" in page and burned.name in page


def test_a_manager_cannot_add_candidates_at_all(manager, burned):
    assert login(manager).post(reverse("candidates:create"), NEW_JOSE).status_code == 403


def test_no_warning_and_no_checkbox_for_a_new_person(recruiter, burned):
    http = login(recruiter)
    page = http.get(reverse("candidates:create")).content.decode()
    assert "This is a different person" not in page
    data = {"name": "Ada Lovelace", "email": "ada@example.com", "rating": ""}
    assert http.post(reverse("candidates:create"), data).status_code == 302


def test_the_same_phone_is_enough_at_the_form(recruiter, burned):
    data = {"name": "Somebody Else", "email": "x@y.com", "phone": "+44 7700 900123", "rating": ""}
    response = login(recruiter).post(reverse("candidates:create"), data)
    assert response.status_code == 200
    assert "the same phone number" in response.content.decode()


def test_another_address_of_a_candidate_is_taken(org, recruiter, burned):
    CandidateAddress.objects.create(organization=org, candidate=burned, email="pepe@work.com")
    data = {"name": "Pepe", "email": "PEPE@work.com", "rating": "", "different_person": "on"}
    response = login(recruiter).post(reverse("candidates:create"), data)
    assert response.status_code == 200
    assert "Another candidate already has this email address." in response.content.decode()
    with pytest.raises(services.ValidationError):
        services.candidate_create(organization=org, email="pepe@work.com", name="Pepe")


def test_the_candidate_page_offers_a_merge_to_recruiters_and_admins_only(
    org, recruiter, headhunter, manager, org_admin, burned
):
    twin = services.candidate_create(
        organization=org, email="jose.garcia@yahoo.com", name="Jose GARCIA"
    )
    merge_url = reverse("candidates:merge", args=[twin.pk])
    for user, offered in ((recruiter, True), (org_admin, True), (headhunter, False)):
        page = login(user).get(reverse("candidates:detail", args=[twin.pk])).content.decode()
        assert "Probably the same person as" in page
        assert (merge_url in page) is offered
    page = login(manager).get(reverse("candidates:detail", args=[twin.pk])).content.decode()
    assert "Probably the same person as" in page


# --- The import -----------------------------------------------------------------------------


def test_the_import_names_a_probable_duplicate_as_a_warning(org, recruiter, burned):
    rows = (
        HEADER
        + f"ada@example.com,Ada Lovelace,Acme,Welder,attended,{days_ago(2)},,\n"
        + f"jose.garcia@hotmail.com,Garcia José,Acme,Welder,attended,{days_ago(2)},,\n"
    )
    result = import_history(organization=org, events=io.StringIO(rows), recorded_by=recruiter)
    assert result.ok and result.candidates_created == 2
    (warning,) = result.warnings
    assert warning.line == 3
    assert "probably the same person as José García <jose.garcia@gmail.com>" in warning.message
    assert "Burned, advice: Do not resubmit" in warning.message


def test_the_upload_page_and_the_command_show_the_warning(org, recruiter, burned, tmp_path):
    rows = HEADER + f"jose.garcia@hotmail.com,Jose Garcia,Acme,Welder,attended,{days_ago(2)},,\n"
    http = login(recruiter)
    upload = SimpleUploadedFile("events.csv", rows.encode(), "text/csv")
    response = http.post(reverse("candidates:import"), {"events": upload}, follow=True)
    page = response.content.decode()
    assert "Line 2:" in page and "probably the same person as" in page

    Candidate.objects.filter(email="jose.garcia@hotmail.com").delete()
    path = tmp_path / "events.csv"
    path.write_text(rows)
    out = io.StringIO()
    call_command("import_history", "--org", org.slug, str(path), stdout=out)
    assert "Warning: events line 2:" in out.getvalue()


def test_rows_naming_another_address_land_on_its_candidate(org, recruiter, burned, job):
    CandidateAddress.objects.create(organization=org, candidate=burned, email="pepe@work.com")
    rows = HEADER + f"PEPE@work.com,,Acme,Welder,attended,{days_ago(1)},,\n"
    result = import_history(organization=org, events=io.StringIO(rows))
    assert (result.candidates_created, result.events_created) == (0, 1)
    assert burned.events.filter(kind="attended").count() == 1
    # Importing the same file again adds nothing.
    again = import_history(organization=org, events=io.StringIO(rows))
    assert (again.events_created, again.duplicates_skipped) == (0, 1)


# --- The admin ------------------------------------------------------------------------------


def test_the_admin_warns_before_adding_a_probable_duplicate(admin_client, org, burned):
    url = reverse("admin:candidates_candidate_add")
    data = {
        "organization": org.pk,
        "name": "Jose Garcia",
        "email": "jose.garcia@outlook.com",
        "phone": "",
        "owner": "",
        "rating": "",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
        "risk_notes-TOTAL_FORMS": "0",
        "risk_notes-INITIAL_FORMS": "0",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Probably the same person as: José García &lt;jose.garcia@gmail.com&gt;" in page
    assert "Burned" in page
    assert not Candidate.objects.filter(email="jose.garcia@outlook.com").exists()
    response = admin_client.post(url, {**data, "different_person": "on"})
    assert response.status_code == 302
    assert Candidate.objects.filter(email="jose.garcia@outlook.com").exists()


# --- Merge and undo -------------------------------------------------------------------------


@pytest.fixture
def twin(org, recruiter, job):
    """The same José under another address, who looks clean: attended last week, a risk
    note and a reminder."""
    jose = services.candidate_create(
        organization=org, email="jose.garcia@hotmail.com", name="Jose Garcia", owner=recruiter
    )
    services.event_log(
        candidate=jose, kind="attended", occurred_on=days_ago(7), job=job, recorded_by=recruiter
    )
    services.risk_note_add(candidate=jose, dimension="trust", level=2, author=recruiter)
    reminder_create(
        candidate=jose,
        user=recruiter,
        title="Call José back",
        due_at=timezone.now() + timedelta(days=1),
        created_by=recruiter,
    )
    return Candidate.objects.get(pk=jose.pk)


def test_a_merge_puts_everything_under_one_candidate(org, recruiter, burned, twin):
    """Merged into the clean-looking record, the burned history burns it."""
    assert twin.status == "clean"
    events = sorted(Event.objects.filter(candidate__in=[burned, twin]).values_list("pk", flat=True))
    notes = list(twin.risk_notes.values_list("pk", flat=True))
    reminders = list(Reminder.objects.filter(candidate=twin).values_list("pk", flat=True))
    counts_are_right(org)

    merge = services.candidates_merge(
        kept=twin, merged=burned, reason="Same phone, same person", merged_by=recruiter
    )

    kept = Candidate.objects.get(pk=twin.pk)
    assert not Candidate.objects.filter(pk=burned.pk).exists()
    assert sorted(kept.events.values_list("pk", flat=True)) == events
    assert list(kept.risk_notes.values_list("pk", flat=True)) == notes
    assert list(Reminder.objects.filter(candidate=kept).values_list("pk", flat=True)) == reminders
    assert kept.status == "burned" and kept.advice == "do_not_resubmit"
    assert list(kept.addresses.values_list("email", flat=True)) == ["jose.garcia@gmail.com"]
    counts_are_right(org)
    # The report lists the primary address.
    (row,) = recovery_report(organization=org, as_of=services.today())
    assert (row.email, row.status) == ("jose.garcia@hotmail.com", "burned")
    # The audit trail: the merge, and each event moved with why.
    entries = candidate_history(kept)
    assert any(
        e.action == "merged" and e.reason == "Same phone, same person" and e.who == str(recruiter)
        for e in entries
    )
    moved = [e for e in entries if e.subject == "Event" and e.action == "changed"]
    assert len(moved) == 2 and all("Same phone, same person" in e.reason for e in moved)
    deleted = Candidate.history.get(id=burned.pk, history_type="-")
    assert "Same phone, same person" in deleted.history_change_reason
    assert merge.moved["events"] and merge.merged["email"] == "jose.garcia@gmail.com"
    # Its old address now finds the kept candidate: a new record under it cannot be made.
    assert services.email_taken(org.pk, "jose.garcia@gmail.com")


@pytest.mark.django_db(transaction=True)
def test_a_merge_is_one_transaction(org, recruiter, burned, twin, monkeypatch):
    """Outside any transaction, as a page's request runs: a merge that fails halfway leaves
    both records as they were, and one that does not fails merges. (Its @transaction.atomic
    once slid onto the helper written above it: every merge on PostgreSQL was a
    TransactionManagementError, a 500, and a failed one on SQLite was half done.)"""
    twin_events = set(twin.events.values_list("pk", flat=True))

    def halfway():
        raise RuntimeError("halfway")

    monkeypatch.setattr(services, "_opt_out_model", halfway)
    with pytest.raises(RuntimeError, match="halfway"):
        services.candidates_merge(kept=burned, merged=twin, reason="Same", merged_by=recruiter)
    assert set(Event.objects.filter(candidate=twin).values_list("pk", flat=True)) == twin_events
    assert not Merge.objects.exists()

    monkeypatch.undo()
    services.candidates_merge(kept=burned, merged=twin, reason="Same", merged_by=recruiter)
    assert not Candidate.objects.filter(pk=twin.pk).exists()
    assert twin_events <= set(Event.objects.filter(candidate=burned).values_list("pk", flat=True))
    counts_are_right(org)


def test_undo_restores_both_histories_and_statuses(org, recruiter, burned, twin):
    burned_events = set(burned.events.values_list("pk", flat=True))
    twin_events = set(twin.events.values_list("pk", flat=True))
    twin_notes = set(twin.risk_notes.values_list("pk", flat=True))
    twin_reminders = set(Reminder.objects.filter(candidate=twin).values_list("pk", flat=True))
    merge = services.candidates_merge(
        kept=burned, merged=twin, reason="Same person", merged_by=recruiter
    )
    assert Candidate.objects.get(pk=burned.pk).events.count() == len(burned_events | twin_events)

    restored = services.merge_undo(merge=merge, undone_by=recruiter)

    assert restored.pk == twin.pk
    assert (restored.email, restored.name, restored.owner_id) == (
        "jose.garcia@hotmail.com",
        "Jose Garcia",
        recruiter.pk,
    )
    assert restored.created_at == twin.created_at
    kept = Candidate.objects.get(pk=burned.pk)
    assert set(kept.events.values_list("pk", flat=True)) == burned_events
    assert set(restored.events.values_list("pk", flat=True)) == twin_events
    assert set(restored.risk_notes.values_list("pk", flat=True)) == twin_notes
    assert set(Reminder.objects.filter(candidate=restored).values_list("pk", flat=True)) == (
        twin_reminders
    )
    assert (kept.status, restored.status) == ("burned", "clean")
    assert not kept.addresses.exists()
    counts_are_right(org)
    merge.refresh_from_db()
    assert merge.undone_at is not None and merge.undone_by == recruiter
    assert any(e.action == "merge undone" for e in candidate_history(kept))
    assert Candidate.history.filter(id=twin.pk, history_type="+").count() == 2
    with pytest.raises(services.ValidationError, match="already undone"):
        services.merge_undo(merge=merge)


def test_undo_is_refused_after_30_days(org, burned, twin):
    merge = services.candidates_merge(kept=burned, merged=twin, reason="Same person")
    later = merge.merged_at + timedelta(days=30, minutes=1)
    with pytest.raises(services.ValidationError, match="30 days"):
        services.merge_undo(merge=merge, now=later)
    assert Candidate.objects.filter(pk=burned.pk).exists()


def test_a_merge_needs_a_reason_and_two_candidates(org, burned, twin):
    with pytest.raises(services.ValidationError):
        services.candidates_merge(kept=burned, merged=twin, reason="  ")
    with pytest.raises(services.ValidationError):
        services.candidates_merge(kept=burned, merged=burned, reason="Same")
    assert Merge.objects.count() == 0


def test_merging_moves_earlier_merges_and_undo_brings_them_back(org, burned, twin):
    third = services.candidate_create(organization=org, email="jg@x.com", name="J Garcia")
    first = services.candidates_merge(kept=twin, merged=third, reason="Same")
    second = services.candidates_merge(kept=burned, merged=twin, reason="Same")
    first.refresh_from_db()
    assert first.kept_id == burned.pk
    assert set(Candidate.objects.get(pk=burned.pk).addresses.values_list("email", flat=True)) == {
        "jg@x.com",
        "jose.garcia@hotmail.com",
    }
    services.merge_undo(merge=second)
    first.refresh_from_db()
    assert first.kept_id == twin.pk
    assert list(Candidate.objects.get(pk=twin.pk).addresses.values_list("email", flat=True)) == [
        "jg@x.com"
    ]
    counts_are_right(org)


# --- The pages --------------------------------------------------------------------------------


def test_a_recruiter_merges_from_the_page_and_undoes_from_the_history(org, recruiter, burned, twin):
    http = login(recruiter)
    url = reverse("candidates:merge", args=[twin.pk])
    page = http.get(url, {"other": burned.pk}).content.decode()
    assert burned.email in page and "Burned" in page
    response = http.post(url, {"other": burned.pk, "reason": ""})
    assert response.status_code == 200
    assert "Say why these are one person" in response.content.decode()
    assert Candidate.objects.filter(pk=burned.pk).exists()

    response = http.post(url, {"other": burned.pk, "reason": "Same phone"})
    assert response.status_code == 302
    assert Candidate.objects.get(pk=twin.pk).status == "burned"

    audit = http.get(reverse("candidates:audit", args=[twin.pk])).content.decode()
    merge = Merge.objects.get()
    undo = reverse("candidates:merge_undo", args=[merge.pk])
    assert undo in audit and "Undo this merge" in audit
    response = http.post(undo)
    assert response.status_code == 302
    assert Candidate.objects.get(pk=burned.pk).status == "burned"
    assert Candidate.objects.get(pk=twin.pk).status == "clean"
    audit = http.get(reverse("candidates:audit", args=[twin.pk])).content.decode()
    assert "Undo this merge" not in audit and "merge undone" in audit


@pytest.mark.django_db(transaction=True)
def test_merging_and_undoing_from_the_pages_work_in_autocommit_as_deployed(
    org, recruiter, burned, twin
):
    """Not in a test's transaction: each request in autocommit, as gunicorn runs it, so a
    service that locks rows outside a transaction of its own fails here (it answered 500)."""
    http = login(recruiter)
    merged = http.post(
        reverse("candidates:merge", args=[twin.pk]), {"other": burned.pk, "reason": "Same phone"}
    )
    assert merged.status_code == 302
    assert not Candidate.objects.filter(pk=burned.pk).exists()
    undone = http.post(reverse("candidates:merge_undo", args=[Merge.objects.get().pk]))
    assert undone.status_code == 302
    assert Candidate.objects.get(pk=burned.pk).status == "burned"
    counts_are_right(org)


def test_another_organizations_candidate_or_merge_is_a_404(
    org, other_org, recruiter, outsider, burned, twin
):
    stranger = services.candidate_create(
        organization=other_org, email="jose.garcia@gmail.com", name="José García"
    )
    http = login(recruiter)
    url = reverse("candidates:merge", args=[twin.pk])
    assert http.get(url, {"other": stranger.pk}).status_code == 404
    assert http.post(url, {"other": stranger.pk, "reason": "x"}).status_code == 404
    assert Candidate.objects.filter(pk=stranger.pk).exists()
    merge = services.candidates_merge(kept=burned, merged=twin, reason="Same")
    outsider_http = login(UserFactory(organization=other_org, role="admin"))
    assert outsider_http.post(reverse("candidates:merge_undo", args=[merge.pk])).status_code == 404
    assert Merge.objects.get(pk=merge.pk).undone_at is None


def test_headhunters_and_managers_do_not_merge(headhunter, manager, burned, twin):
    url = reverse("candidates:merge", args=[twin.pk])
    for user in (headhunter, manager):
        assert login(user).post(url, {"other": burned.pk, "reason": "x"}).status_code == 403
    assert Candidate.objects.filter(pk=burned.pk).exists()


def test_erasing_a_candidate_erases_its_other_addresses_and_merges(org, org_admin, burned, twin):
    from candidates.privacy import erase_candidate, export_candidate

    services.candidates_merge(kept=burned, merged=twin, reason="Same person")
    assert export_candidate(burned)["other_addresses"] == ["jose.garcia@hotmail.com"]
    erase_candidate(candidate=burned, erased_by=org_admin, reason="Asked by email")
    assert not CandidateAddress.objects.filter(candidate=burned).exists()
    assert not Merge.objects.filter(kept=burned).exists()
    assert not Candidate.history.filter(email="jose.garcia@hotmail.com").exists()
