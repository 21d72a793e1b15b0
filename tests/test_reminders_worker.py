"""Reminders delivered by a real Celery worker process on the configured broker (Redis when
REDIS_URL is set, as in CI; kombu's filesystem transport otherwise), never eager mode.

The worker runs in a subprocess against this test run's database and stores its mail with
reminders.backends.DatabaseEmailBackend, in the transaction that marks a reminder sent, so
the tests count exactly what was emailed. The crash tests kill a worker with SIGKILL in the
middle of a batch and check that every reminder, and every email to a candidate (the
outreach outbox, the same protocol), is still emailed exactly once.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Count
from django.test import override_settings
from django.utils import timezone

from candidates import services as candidate_services
from candidates.engine import Kind, Reason
from recovery.celery import app as celery_app
from reminders import services
from reminders.models import Outcome, Reminder, ReminderAttempt, State, StoredEmail
from reminders.tasks import dispatch_due

from .factories import CandidateFactory
from .processes import database_url

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(settings.BASE_DIR)
READY_TIMEOUT = 60


class Worker:
    def __init__(self, name: str, log: Path, process: subprocess.Popen):
        self.name, self.log, self.process = name, log, process

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        """SIGKILL the whole worker (the main process and its pool), like a crashed machine."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        # The test is over and has checked what it needed: no graceful shutdown to wait for.
        if self.process.poll() is None:
            self.kill()


@pytest.fixture
def start_worker(transactional_db, tmp_path) -> Iterator[Callable[..., Worker]]:
    # Messages left by earlier runs (beat ticks, on-commit kicks) would run first: harmless,
    # since dispatching is idempotent, but they belong to another database.
    celery_app.control.purge()
    workers: list[Worker] = []
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "EMAIL_BACKEND": "reminders.backends.DatabaseEmailBackend",
        "SECRET_KEY": "worker-under-test",
        # Links and Message-IDs come from SITE_URL: the same in every process of a deployment.
        "SITE_URL": settings.SITE_URL,
        "LOG_LEVEL": "INFO",
    }

    def start(concurrency: int = 2, **extra_env: str) -> Worker:
        name = f"reminders-test-{len(workers)}-{uuid.uuid4().hex[:6]}"
        log = tmp_path / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "recovery",
                    "worker",
                    f"--concurrency={concurrency}",
                    f"--hostname={name}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel=INFO",
                ],
                cwd=BASE_DIR,
                env={**env, **extra_env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, to kill it with its pool
            )
        worker = Worker(name, log, process)
        workers.append(worker)
        wait_for(
            lambda: " ready." in worker.output(), READY_TIMEOUT, f"{name} did not start", worker
        )
        return worker

    yield start
    for worker in workers:
        worker.stop()


def wait_for(
    condition: Callable[[], bool],
    timeout: float,
    message: str,
    worker: Worker | None = None,
    interval: float = 0.05,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker is not None and worker.process.poll() is not None:
            break
        time.sleep(interval)
    log = f"\n--- worker log ---\n{worker.output()}" if worker else ""
    raise AssertionError(f"{message} (after {timeout}s){log}")


def emailed() -> int:
    return StoredEmail.objects.count()


def make_due(count: int, org, user) -> list[int]:
    candidate = CandidateFactory(organization=org, owner=user)
    now = timezone.now()
    Reminder.objects.bulk_create(
        Reminder(
            organization=org,
            user=user,
            candidate=candidate,
            title=f"Reminder {n}",
            due_at=now - timedelta(minutes=1),
            next_attempt_at=now - timedelta(minutes=1),
        )
        for n in range(count)
    )
    return list(Reminder.objects.values_list("pk", flat=True))


def assert_each_emailed_exactly_once(count: int) -> None:
    assert StoredEmail.objects.count() == count
    per_message = StoredEmail.objects.values("message_id").annotate(n=Count("id"))
    assert {row["n"] for row in per_message} == {1}
    assert set(StoredEmail.objects.values_list("message_id", flat=True)) == {
        r.message_id for r in Reminder.objects.all()
    }
    assert Reminder.objects.filter(state=State.SENT, claim_token="").count() == count
    sent = ReminderAttempt.objects.filter(outcome=Outcome.SENT)
    assert sent.count() == count
    assert sent.values("reminder").distinct().count() == count


# --- A reminder made by a logged misstep, emailed by the worker --------------------------------


def test_a_misstep_logged_in_the_app_is_emailed_by_the_worker_when_due(
    start_worker, org, recruiter
):
    recruiter.email = "rita@northwind.test"
    recruiter.save()
    candidate = CandidateFactory(organization=org, owner=recruiter, name="Sam Carter")
    candidate_services.event_log(
        candidate=candidate,
        kind=Kind.NO_SHOW,
        reason=Reason.COMMUTE,
        occurred_on=date.today(),
        recorded_by=recruiter,
    )
    reminder = Reminder.objects.get()
    assert reminder.state == State.PENDING and reminder.due_at > timezone.now()
    worker = start_worker()

    # Two working days pass.
    now = timezone.now()
    Reminder.objects.filter(pk=reminder.pk).update(due_at=now, next_attempt_at=now)
    dispatch_due.delay()
    wait_for(lambda: emailed() == 1, 30, "the reminder was not emailed", worker)

    mail = StoredEmail.objects.get()
    assert mail.to == "rita@northwind.test"
    assert mail.subject == "Follow up with Sam Carter"
    assert "Call them: do they want to salvage this?" in mail.body
    assert f"{settings.SITE_URL}/candidates/{candidate.pk}/" in mail.body
    assert mail.message_id == reminder.message_id
    reminder.refresh_from_db()
    assert reminder.state == State.SENT


def test_a_reminder_due_at_once_goes_out_after_commit_without_waiting_for_beat(
    start_worker, org, recruiter
):
    worker = start_worker()
    candidate = CandidateFactory(organization=org, owner=recruiter)
    # The service asks for a dispatch on commit: no beat runs in this test.
    services.reminder_create(
        candidate=candidate,
        user=recruiter,
        title="Call back now",
        due_at=timezone.now(),
        created_by=recruiter,
    )
    wait_for(lambda: emailed() == 1, 30, "the reminder was not emailed", worker)
    assert StoredEmail.objects.get().subject == "Call back now"


def test_an_email_printed_to_the_console_is_logged_as_news_not_as_a_warning(
    start_worker, org, recruiter
):
    # What `make run` does: the console backend prints each email in the worker, which logs
    # what its tasks print (at WARNING, unless the settings say otherwise).
    worker = start_worker(EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend")
    make_due(1, org, recruiter)
    dispatch_due.delay()
    wait_for(lambda: "Subject: Reminder 0" in worker.output(), 30, "no email printed", worker)

    log = worker.output()
    # "[2026-11-30 06:02:57,557: INFO/ForkPoolWorker-1] Content-Type: multipart/alternative;"
    levels = re.findall(r": (\w+)/[\w-]+\] Content-Type: multipart/alternative", log)
    assert levels == ["INFO"], log
    assert "WARNING/" not in log, log


# --- Exactly once: crashes, duplicates, concurrency --------------------------------------------


def test_a_worker_killed_mid_dispatch_leaves_every_reminder_emailed_exactly_once(
    start_worker, org, recruiter
):
    make_due(1000, org, recruiter)
    lease = 3  # seconds; production uses 5 minutes
    first = start_worker(concurrency=1)
    # Batches of 200: killed at about 100 sent, it dies holding the rest of its first batch.
    started = time.monotonic()
    dispatch_due.delay(lease_seconds=lease, batch_size=200)
    wait_for(lambda: emailed() >= 90, 40, "the first worker did not start sending", first, 0.005)
    first.kill()

    sent_before_crash = emailed()
    assert 0 < sent_before_crash < 1000, "the kill must land in the middle of dispatching"
    # The time the rest may take, from this machine's rate right now (it is shared, and under
    # load the fixed 45 s once left less than a second to spare): five times what the first
    # worker's pace needs (its pace includes picking up the task, so it errs slow), plus the
    # lease, never under a minute. A worker that stops sending still fails the test.
    rate = sent_before_crash / (time.monotonic() - started)
    limit = max(60.0, 5 * (1000 - sent_before_crash) / rate + lease)
    # The killed batch is still claimed: nobody takes it until its lease runs out.
    assert Reminder.objects.exclude(claim_token="").exists()

    second = start_worker(concurrency=2)

    def dispatched_all() -> bool:
        # Like the beat: keep asking; claims left by the dead worker are taken after the lease.
        if emailed() < 1000:
            dispatch_due.delay(lease_seconds=lease, batch_size=50)
        return emailed() >= 1000

    wait_for(dispatched_all, limit, "the second worker did not finish", second, interval=1.0)
    # More dispatches (and the ones still queued) find nothing left to send.
    for _ in range(3):
        dispatch_due.delay(lease_seconds=lease)
    time.sleep(2)
    assert_each_emailed_exactly_once(1000)
    # The reminders the dead worker held were taken over, and that is on record.
    assert ReminderAttempt.objects.filter(outcome=Outcome.ABANDONED).exists()


def test_two_workers_and_a_task_delivered_twice_still_email_each_reminder_once(
    start_worker, org, recruiter
):
    make_due(400, org, recruiter)
    start_worker(concurrency=2)
    worker = start_worker(concurrency=2)
    task_id = str(uuid.uuid4())
    for _ in range(2):
        dispatch_due.apply_async(kwargs={"batch_size": 20}, task_id=task_id)  # the same task
    for _ in range(4):
        dispatch_due.delay(batch_size=20)
    wait_for(lambda: emailed() >= 400, 45, "the workers did not finish", worker)
    time.sleep(1)
    assert_each_emailed_exactly_once(400)


# --- The outbox of emails to candidates (outreach/delivery.py): the same protocol ------------


def test_a_worker_killed_mid_send_leaves_every_candidate_email_sent_exactly_once(start_worker, org):
    from outreach.models import CandidateEmail, EmailKind, EmailState
    from outreach.tasks import send_candidate_emails

    total = 300
    candidate = CandidateFactory(organization=org)
    now = timezone.now()
    CandidateEmail.objects.bulk_create(
        CandidateEmail(
            organization=org,
            candidate=candidate,
            kind=EmailKind.ACKNOWLEDGEMENT,
            key=f"crash-test.{n}",
            to=candidate.email,
            subject=f"We have your request ({n})",
            body="Thank you.",
            next_attempt_at=now,
        )
        for n in range(total)
    )
    lease = 3  # seconds; production uses 5 minutes
    first = start_worker(concurrency=1)
    started = time.monotonic()
    send_candidate_emails.delay(lease_seconds=lease, batch_size=100)
    wait_for(lambda: emailed() >= 40, 40, "the first worker did not start sending", first, 0.005)
    first.kill()
    sent_before_crash = emailed()
    assert 0 < sent_before_crash < total, "the kill must land in the middle of sending"
    assert CandidateEmail.objects.exclude(claim_token="").exists()  # it died holding a batch
    rate = sent_before_crash / (time.monotonic() - started)
    limit = max(60.0, 5 * (total - sent_before_crash) / rate + lease)

    second = start_worker(concurrency=2)

    def sent_all() -> bool:
        if emailed() < total:  # like the beat: keep asking
            send_candidate_emails.delay(lease_seconds=lease, batch_size=50)
        return emailed() >= total

    wait_for(sent_all, limit, "the second worker did not finish", second, interval=1.0)
    for _ in range(3):
        send_candidate_emails.delay(lease_seconds=lease)
    time.sleep(2)
    assert StoredEmail.objects.count() == total
    per_message = StoredEmail.objects.values("message_id").annotate(n=Count("id"))
    assert {row["n"] for row in per_message} == {1}
    assert set(StoredEmail.objects.values_list("message_id", flat=True)) == {
        e.message_id for e in CandidateEmail.objects.all()
    }
    assert CandidateEmail.objects.filter(state=EmailState.SENT).count() == total


# --- Webhooks (webhooks/delivery.py): the same protocol, over HTTP ----------------------------


def test_a_worker_killed_mid_post_leaves_every_webhook_processed_exactly_once(start_worker, org):
    """The first worker is killed while the endpoint holds its 20th POST. HTTP cannot make
    the endpoint's acceptance and our COMMIT one step: that delivery goes again, with the same
    event id, and the receiver (which dedupes by it, as docs/webhooks.md asks) processes it
    once. Every other delivery is POSTed exactly once; each is recorded sent exactly once."""
    from webhooks import services as webhook_services
    from webhooks.models import Delivery, DeliveryAttempt, DeliveryState
    from webhooks.tasks import send_webhooks

    from .factories import UserFactory
    from .webhook_receiver import Receiver

    total, held = 60, 20
    admin = UserFactory(organization=org, role="admin")
    with Receiver(hold=held) as receiver:
        with override_settings(WEBHOOKS_ALLOW_PRIVATE_ADDRESSES=True):
            endpoint = webhook_services.endpoint_create(
                organization=org, url=receiver.url, events=["candidate.merged"], by=admin
            )
        receiver.secret = webhook_services.secret_of(endpoint)
        now = timezone.now()
        Delivery.objects.bulk_create(
            Delivery(
                endpoint=endpoint,
                event_type="ping",
                event_id=event_id,
                payload={"id": str(event_id), "type": "ping", "data": {"n": n}},
                next_attempt_at=now,
            )
            for n, event_id in enumerate(uuid.uuid4() for _ in range(total))
        )
        lease = 3  # seconds; production uses 5 minutes
        worker_env = {"WEBHOOKS_ALLOW_PRIVATE_ADDRESSES": "1", "SECRET_KEY": settings.SECRET_KEY}
        first = start_worker(concurrency=1, **worker_env)
        send_webhooks.delay(lease_seconds=lease, batch_size=50)
        wait_for(receiver.held.is_set, 40, "the first worker did not reach the 20th POST", first)
        first.kill()
        receiver.release.set()  # the endpoint finishes its work; nobody reads its answer
        assert Delivery.objects.filter(state=DeliveryState.SENT).count() == held - 1
        assert Delivery.objects.exclude(claim_token="").exists()  # it died holding a batch

        second = start_worker(concurrency=2, **worker_env)

        def sent_all() -> bool:
            done = Delivery.objects.filter(state=DeliveryState.SENT).count() >= total
            if not done:  # like the beat: keep asking
                send_webhooks.delay(lease_seconds=lease, batch_size=20)
            return done

        wait_for(sent_all, 90, "the second worker did not finish", second, interval=1.0)
        for _ in range(3):
            send_webhooks.delay(lease_seconds=lease)
        time.sleep(2)

    ids = {str(i) for i in Delivery.objects.values_list("event_id", flat=True)}
    assert receiver.bad_signatures == 0
    assert sorted(receiver.processed) == sorted(ids)  # each processed once
    assert len(receiver.received) == total + 1  # the held POST, and its one repeat
    repeated = [r.headers["Recovery-Delivery"] for r in receiver.received]
    assert repeated.count(receiver.received[held - 1].headers["Recovery-Delivery"]) == 2
    succeeded = DeliveryAttempt.objects.filter(succeeded=True)
    assert succeeded.count() == total and succeeded.values("delivery").distinct().count() == total
    assert DeliveryAttempt.objects.filter(error__contains="worker killed").exists()
