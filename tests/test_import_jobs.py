"""Web imports as jobs: checked in the request, written in batches by a worker, with their
progress on the import page; never lost when the broker is down, taken over after a crash,
never reported done before every row is written.

Most tests call the worker's service (`importer.run_job`) directly; the last ones run a real
Celery worker process (tests/test_reminders_worker.py's fixture) and real concurrent writers.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from candidates import importer, services, tasks
from candidates.models import Candidate, Client, Event, ImportJob, Organization, Role

from .factories import OrganizationFactory, UserFactory
from .test_reminders_worker import start_worker, wait_for  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

IMPORT = reverse("candidates:import")
HEADER = "candidate_email,candidate_name,client,job_title,kind,occurred_on,reason,notes\n"


def events_csv(candidates: int, per_candidate: int = 1, prefix: str = "c") -> str:
    kinds = ("scheduled", "attended", "offer_made", "hired", "attended")
    rows = [
        f"{prefix}{i}@example.com,Person {i},Acme,Picker,{kinds[n % 5]},"
        f"2026-0{1 + n % 9}-1{n % 9},,row {n}\n"
        for i in range(candidates)
        for n in range(per_candidate)
    ]
    return HEADER + "".join(rows)


def upload(text: str, name: str = "events.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def post_import(client, text: str):
    response = client.post(IMPORT, {"events": upload(text)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response, ImportJob.objects.latest("pk")


# --- The page -----------------------------------------------------------------------------


def test_an_upload_becomes_a_pending_job_whose_page_reloads_until_it_is_done(client, recruiter):
    client.force_login(recruiter)
    response, job = post_import(client, events_csv(3, 2))
    assert response["Location"] == f"{IMPORT}?job={job.pk}"
    assert (job.state, job.total, job.done, job.created_by) == ("pending", 6, 0, recruiter)
    assert not Candidate.objects.exists()

    page = client.get(response["Location"]).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "Waiting for a worker" in page and "0 of 6 rows (0%)" in page
    assert "events.csv" in page

    assert importer.run_job(job.pk) == "done"
    page = client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in page
    assert "6 of 6 rows (100%)" in page
    assert "Imported: 3 candidates, 1 client, 1 job, 6 events, 0 risk notes." in page
    job.refresh_from_db()
    assert (job.state, job.events_csv, job.finished_at is not None) == ("done", "", True)


def test_the_progress_survives_a_reload_mid_import(client, recruiter, monkeypatch):
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    client.force_login(recruiter)
    response, job = post_import(client, events_csv(5))
    # A run whose time is up after its first batch hands the job on.
    assert importer.run_job(job.pk, budget=timedelta(0)) == "running"
    page = client.get(response["Location"]).content.decode()
    assert "Importing" in page and "2 of 5 rows (40%)" in page
    assert '<meta http-equiv="refresh"' in page
    assert "Imported: 2 candidates" in page  # so far
    assert importer.run_job(job.pk) == "done"
    job.refresh_from_db()
    assert (job.done, job.candidates_created, job.events_created) == (5, 5, 5)
    assert Candidate.objects.count() == 5


def test_another_organizations_job_is_a_404(client, recruiter, outsider):
    other = ImportJob.objects.create(organization=outsider.organization, total=1)
    client.force_login(recruiter)
    assert client.get(f"{IMPORT}?job={other.pk}").status_code == 404
    assert client.get(f"{IMPORT}?job=nope").status_code == 404
    assert client.get(f"{IMPORT}?job=").status_code == 404


def test_the_page_lists_the_organizations_recent_imports_only(client, recruiter, headhunter):
    client.force_login(headhunter)
    _, job = post_import(client, events_csv(1, prefix="h"))
    importer.run_job(job.pk)
    ImportJob.objects.create(
        organization=OrganizationFactory(), events_name="rival-secret.csv", total=1
    )
    client.force_login(recruiter)
    page = client.get(IMPORT).content.decode()
    assert "Recent imports" in page and "Imported: 1 candidate" in page
    assert "rival-secret.csv" not in page
    assert 'http-equiv="refresh"' not in page


def test_a_bad_file_makes_no_job(client, recruiter):
    client.force_login(recruiter)
    response = client.post(IMPORT, {"events": upload(HEADER + "nobody,,,,attended,,,\n")})
    assert response.status_code == 200
    assert "Nothing was imported" in response.content.decode()
    assert not ImportJob.objects.exists()


# --- The broker and the worker ------------------------------------------------------------


def test_a_broker_that_is_down_loses_no_job_and_shows_no_error(
    client, recruiter, monkeypatch, django_capture_on_commit_callbacks
):
    sent: list[int] = []

    def down(job_id):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.run_import, "delay", down)
    client.force_login(recruiter)
    with django_capture_on_commit_callbacks(execute=True):
        response, job = post_import(client, events_csv(2))
    assert client.get(response["Location"]).status_code == 200
    job.refresh_from_db()
    assert job.state == "pending"

    # The broker is back; the next sweep (beat, every minute) sends the job.
    monkeypatch.setattr(tasks.run_import, "delay", sent.append)
    assert importer.sweep_jobs() == 0  # not before SWEEP_GRACE: its message may be on its way
    with time_machine.travel(timezone.now() + importer.SWEEP_GRACE + timedelta(seconds=1)):
        assert tasks.resume_imports() == 1
    assert sent == [job.pk]
    assert tasks.run_import(job.pk) == "done"
    assert Candidate.objects.count() == 2


def test_a_job_is_written_once_however_often_its_task_is_delivered(recruiter, client):
    client.force_login(recruiter)
    _, job = post_import(client, events_csv(3))
    assert importer.run_job(job.pk) == "done"
    assert importer.run_job(job.pk) == "not claimed"
    assert Event.objects.count() == 3


def test_a_worker_that_dies_mid_import_is_taken_over_from_its_last_batch(
    client, recruiter, monkeypatch
):
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    client.force_login(recruiter)
    _, job = post_import(client, events_csv(7))

    # A worker claims the job, commits two batches, and dies (nothing more, no release).
    token = "dead-worker"
    claimed = importer._claim(job.pk, token)
    plan = importer.check(
        organization=claimed.organization, events=claimed.events_csv, recorded_by=recruiter
    )
    importer.write(
        plan,
        organization=claimed.organization,
        recorded_by=recruiter,
        on_batch=importer._progress(claimed, token),
        deadline=0,  # stops after its first batch...
    )
    importer.write(
        plan,
        organization=claimed.organization,
        recorded_by=recruiter,
        start=2,
        on_batch=importer._progress(claimed, token),
        deadline=0,  # ...and its second
    )
    job.refresh_from_db()
    assert (job.state, job.done, job.events_created) == ("running", 4, 4)
    # Its lease holds the job meanwhile: nobody else writes it twice.
    assert importer.run_job(job.pk) == "not claimed"
    assert importer.sweep_jobs() == 0

    with time_machine.travel(timezone.now() + importer.JOB_LEASE + timedelta(seconds=1)):
        sent: list[int] = []
        monkeypatch.setattr(tasks.run_import, "delay", sent.append)
        assert importer.sweep_jobs() == 1 and sent == [job.pk]
        assert importer.run_job(job.pk) == "done"
    job.refresh_from_db()
    assert (job.done, job.candidates_created, job.events_created, job.duplicates_skipped) == (
        7,
        7,
        7,
        0,
    )
    assert Event.objects.count() == 7


def test_a_worker_that_lost_its_lease_writes_nothing_more(client, recruiter, monkeypatch):
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    client.force_login(recruiter)
    _, job = post_import(client, events_csv(4))
    claimed = importer._claim(job.pk, "slow")
    ImportJob.objects.filter(pk=job.pk).update(claim_token="someone-else")
    plan = importer.check(organization=claimed.organization, events=claimed.events_csv)
    with pytest.raises(importer._Superseded):
        importer.write(
            plan, organization=claimed.organization, on_batch=importer._progress(claimed, "slow")
        )
    assert not Event.objects.exists()  # the batch rolled back with its progress


def test_a_job_that_keeps_killing_its_worker_fails_clearly(client, recruiter):
    client.force_login(recruiter)
    _, job = post_import(client, events_csv(2))
    ImportJob.objects.filter(pk=job.pk).update(
        state="running", attempts=importer.MAX_ATTEMPTS, lease_until=timezone.now()
    )
    assert importer.run_job(job.pk) == "failed"
    job.refresh_from_db()
    assert job.state == "failed" and "stopped 3 times" in job.error
    assert job.events_csv == ""
    page = client.get(f"{IMPORT}?job={job.pk}").content.decode()
    assert "The import stopped: the import stopped 3 times without progress." in page
    assert not Event.objects.exists()


def test_an_error_in_a_batch_leaves_the_job_to_be_tried_again(client, recruiter, monkeypatch):
    client.force_login(recruiter)
    _, job = post_import(client, events_csv(2))

    def broken(ids):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "reevaluate", broken)
    with pytest.raises(RuntimeError):
        importer.run_job(job.pk)
    job.refresh_from_db()
    assert (job.state, job.done, job.attempts) == ("running", 0, 1)
    assert "database went away" in job.error
    assert job.lease_until <= timezone.now()
    assert not Event.objects.exists()


def test_an_uploader_who_lost_the_right_meanwhile_gets_a_failed_job(client, recruiter):
    client.force_login(recruiter)
    _, job = post_import(client, events_csv(2))
    recruiter.is_active = False
    recruiter.save()
    assert importer.run_job(job.pk) == "failed"
    assert not Candidate.objects.exists()


def test_a_file_that_no_longer_passes_its_checks_is_a_failed_job(client, org, org_admin):
    client.force_login(org_admin)
    grant = HEADER + "ann@example.com,Ann,Acme,Picker,second_chance_granted,2026-03-03,,\n"
    _, job = post_import(client, grant)
    org_admin.role = Role.RECRUITER  # demoted before a worker took the job
    org_admin.save()
    assert importer.run_job(job.pk) == "failed"
    job.refresh_from_db()
    assert job.problem_count == 1 and "only a manager or an admin" in job.problems[0][2]
    page = client.get(f"{IMPORT}?job={job.pk}").content.decode()
    assert "events line 2: only a manager or an admin may record a decision" in page
    assert not Event.objects.exists()


# --- Real workers, real concurrency -------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_writes_an_uploaded_file_and_the_job_reaches_done(request):
    start = request.getfixturevalue("start_worker")
    org = OrganizationFactory(slug="northwind")
    recruiter = UserFactory(organization=org, role=Role.RECRUITER)
    worker = start(concurrency=1)
    http = HttpClient()
    http.force_login(recruiter)
    response = http.post(IMPORT, {"events": upload(events_csv(600, 2))})
    assert response.status_code == 302
    job = ImportJob.objects.get()

    def done() -> bool:
        job.refresh_from_db()
        return job.state in ("done", "failed")

    wait_for(done, 120, "the worker did not finish the import", worker, interval=0.2)
    assert job.state == "done", job.error
    assert (job.total, job.done, job.candidates_created, job.events_created) == (
        1200,
        1200,
        600,
        1200,
    )
    assert Event.objects.count() == 1200
    page = http.get(response["Location"]).content.decode()
    assert "Imported: 600 candidates, 1 client, 1 job, 1200 events, 0 risk notes." in page


def _import_in_a_thread(org, text: str, results: list, errors: list) -> threading.Thread:
    def run():
        try:
            results.append(importer.import_history(organization=org, events=text))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    return threading.Thread(target=run)


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite has one writer for the whole database and no queue: a writer waiting between "
    "two batches of a busy import may lose the race several times (PostgreSQL locks rows)",
)
@pytest.mark.django_db(transaction=True)
def test_a_members_writes_wait_less_than_a_second_during_a_large_import():
    org = OrganizationFactory(slug="northwind")
    sam = services.candidate_create(organization=org, email="c0@example.com", name="Sam")
    text = events_csv(10_000, 5)  # 50,000 rows; Sam (c0) is in the first batch
    results: list = []
    errors: list = []
    thread = _import_in_a_thread(org, text, results, errors)
    thread.start()
    wait_for(lambda: Event.objects.exists() or not thread.is_alive(), 120, "no batch committed")

    waits = {}
    started = time.monotonic()
    services.candidate_create(organization=org, email="new@example.com", name="New Person")
    waits["add a candidate"] = time.monotonic() - started
    started = time.monotonic()
    services.event_log(candidate=sam, kind="late", reason="commute", occurred_on=services.today())
    waits["log an event on a candidate the import touches"] = time.monotonic() - started
    started = time.monotonic()
    services.client_create(organization=org, name="Globex")
    waits["add a client"] = time.monotonic() - started
    still_importing = thread.is_alive()

    thread.join(timeout=600)
    assert not errors, errors
    assert still_importing, "the import was over before the writes: nothing was measured"
    assert all(wait < 1 for wait in waits.values()), waits
    assert results[0].ok and results[0].events_created == 50_000
    assert Event.objects.count() == 50_001


@pytest.mark.django_db(transaction=True)
def test_two_imports_into_one_organization_at_once_create_nothing_twice(monkeypatch):
    monkeypatch.setattr(importer, "BATCH_SIZE", 50)
    org = OrganizationFactory(slug="northwind")
    text = events_csv(300, 2)
    results: list = []
    errors: list = []
    threads = [_import_in_a_thread(org, text, results, errors) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    assert all(result.ok for result in results), [r.errors for r in results]
    assert Candidate.objects.count() == 300
    assert Client.objects.count() == 1
    assert Event.objects.count() == 600
    assert sum(r.events_created for r in results) == 600
    assert sum(r.duplicates_skipped for r in results) == 600
    assert Organization.objects.count() == 1


def test_a_candidate_deleted_before_the_worker_came_fails_the_job_with_why(client, org, recruiter):
    zed = services.candidate_create(organization=org, email="zed@example.com", name="Zed")
    client.force_login(recruiter)
    notes = (
        "candidate_email,dimension,level,author_email,noted_on,note\n"
        f"zed@example.com,trust,2,{recruiter.email},2026-03-03,Fine\n"
    )
    response = client.post(
        IMPORT, {"events": upload(HEADER), "risk_notes": upload(notes, "notes.csv")}
    )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.notes_name == "notes.csv"
    zed.delete()
    assert importer.run_job(job.pk) == "failed"
    job.refresh_from_db()
    assert "zed@example.com is neither in the events file nor a candidate" in job.problems[0][2]


def test_an_uploader_deactivated_mid_import_stops_it_at_the_next_batch(
    client, recruiter, monkeypatch
):
    """Rights are checked batch after batch, not only when the job is claimed."""
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    client.force_login(recruiter)
    _, job = post_import(client, events_csv(6))
    real_write_batch = importer._write_batch
    calls = []

    def write_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # deactivated between the first and the second batch
            type(recruiter).objects.filter(pk=recruiter.pk).update(is_active=False)
        return real_write_batch(*args, **kwargs)

    monkeypatch.setattr(importer, "_write_batch", write_batch)
    assert importer.run_job(job.pk) == "failed"
    job.refresh_from_db()
    assert "can no longer import" in job.error
    assert job.done < job.total


def test_erasing_a_candidate_stops_a_waiting_import_that_names_them(client, org, recruiter):
    """A job still to be written would bring an erased person back under their old address."""
    from candidates.privacy import erase_candidate

    client.force_login(recruiter)
    _, first = post_import(client, events_csv(1, prefix="jane"))
    assert importer.run_job(first.pk) == "done"
    jane = Candidate.objects.get(email="jane0@example.com")
    _, second = post_import(client, events_csv(1, per_candidate=2, prefix="jane"))

    erase_candidate(candidate=jane, erased_by=recruiter, reason="Asked by email")

    second.refresh_from_db()
    assert second.state == "failed" and "erased" in second.error
    assert second.events_csv == "" and "jane0@example.com" not in str(second.problems)
    assert importer.run_job(second.pk) == "not claimed"
    assert not Candidate.objects.filter(email="jane0@example.com").exists()
