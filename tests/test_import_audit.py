"""An import leaves the same audit trail as typing the rows in: every candidate, client, job,
event and risk note it creates has a "created" history row, attributed to whoever uploaded
the file (nobody, from the command line), with the reason "import"."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from candidates import importer
from candidates.importer import import_history
from candidates.models import Candidate, Client, Event, ImportJob, Job, RiskNote

pytestmark = pytest.mark.django_db

EVENTS = (
    "candidate_email,candidate_name,client,job_title,kind,occurred_on,reason,notes\n"
    "ann@example.com,Ann Lee,Acme,Forklift operator,scheduled,2026-02-20,,\n"
    'ann@example.com,,Acme,Forklift operator,no_show,2026-03-02,commute,"Bus strike, again"\n'
    "bob@example.com,Bob Stone,Globex,Picker,attended,2026-03-04,,\n"
)
NOTES = (
    "candidate_email,dimension,level,author_email,noted_on,note\n"
    "ann@example.com,commute,4,rita@northwind.test,2026-03-03,Two buses\n"
)
MODELS = (Candidate, Client, Job, Event, RiskNote)


def created_history(model):
    return model.history.filter(history_type="+")


def test_a_web_upload_records_every_created_row_under_the_uploader(client, recruiter):
    client.force_login(recruiter)
    response = client.post(
        reverse("candidates:import"),
        {
            "events": SimpleUploadedFile("events.csv", EVENTS.encode(), "text/csv"),
            "risk_notes": SimpleUploadedFile("notes.csv", NOTES.encode(), "text/csv"),
        },
    )

    assert response.status_code == 302
    # The worker writes the job (tests/test_import_jobs.py runs a real one).
    assert importer.run_job(ImportJob.objects.get().pk) == "done"
    for model in MODELS:
        rows = created_history(model)
        assert rows.count() == model.objects.count() > 0, model.__name__
        assert {row.history_user_id for row in rows} == {recruiter.pk}, model.__name__
        assert {row.history_change_reason for row in rows} == {"import"}, model.__name__
    # The history rows hold what was imported, on the rows' own ids.
    no_show = Event.objects.get(kind="no_show")
    (row,) = created_history(Event).filter(id=no_show.pk)
    assert (row.notes, row.candidate_id, row.job_id) == (
        "Bus strike, again",
        no_show.candidate_id,
        no_show.job_id,
    )


def test_the_candidate_page_shows_the_import_in_its_history(client, org, recruiter, manager):
    import_history(organization=org, events=io.StringIO(EVENTS), recorded_by=recruiter)
    ann = Candidate.objects.get(email="ann@example.com")
    client.force_login(manager)

    entries = client.get(reverse("candidates:audit", args=[ann.pk])).context["audit_entries"]

    assert [(e.subject, e.action, e.who, e.reason) for e in entries] == [
        ("Event", "created", str(recruiter), "import"),
        ("Event", "created", str(recruiter), "import"),
        ("Candidate", "created", str(recruiter), "import"),
    ]


def test_a_command_line_import_is_recorded_without_a_user(org):
    result = import_history(
        organization=org, events=io.StringIO(EVENTS), risk_notes=io.StringIO(NOTES)
    )

    assert result.ok
    for model in MODELS:
        rows = created_history(model)
        assert rows.count() == model.objects.count() > 0
        assert {row.history_user_id for row in rows} == {None}


def test_a_refused_import_leaves_no_history_either(org, recruiter):
    bad = EVENTS + "carl@example.com,Carl,Acme,Forklift operator,no_show,2026-03-05,,\n"

    result = import_history(organization=org, events=io.StringIO(bad), recorded_by=recruiter)

    assert not result.ok
    for model in MODELS:
        assert not model.history.exists(), model.__name__


def test_a_second_import_of_the_same_file_adds_no_history(org, recruiter):
    import_history(organization=org, events=io.StringIO(EVENTS), recorded_by=recruiter)
    before = {model: model.history.count() for model in MODELS}

    again = import_history(organization=org, events=io.StringIO(EVENTS), recorded_by=recruiter)

    assert again.events_created == 0
    assert {model: model.history.count() for model in MODELS} == before
