"""The dispatcher in one process, with the time fixed: what is emailed, once, when; leases,
races with people acting on a reminder, retries and failure; the 08:00 digest; the command.
(The same code under a real Celery worker, crashes included: test_reminders_worker.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import IntegrityError

from recovery.celery import app as celery_app
from reminders import delivery, services
from reminders.backends import DatabaseEmailBackend
from reminders.models import Outcome, Reminder, ReminderAttempt, State, StoredEmail

from .factories import CandidateFactory, JobFactory, ReminderFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def due(org, recruiter):
    recruiter.email = "rita@northwind.test"
    recruiter.save()
    return ReminderFactory(
        user=recruiter,
        title="Call Sam Carter",
        body="Do they want to salvage this?",
        candidate__name="Sam Carter",
        due_at=NOW - timedelta(minutes=1),
    )


class BrokenBackend(BaseEmailBackend):
    """A mail server that refuses every message."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP server unreachable")


class WritesThenBreaksBackend(DatabaseEmailBackend):
    """Stores the message, then fails: the stored copy must roll back with the reminder."""

    def send_messages(self, email_messages):
        super().send_messages(email_messages)
        raise TimeoutError("connection lost after DATA")


def refreshed(reminder: Reminder) -> Reminder:
    reminder.refresh_from_db()
    return reminder


def attempts(reminder: Reminder) -> list[str]:
    return list(reminder.attempts_log.values_list("outcome", flat=True))


# --- Sending --------------------------------------------------------------------------------


def test_a_due_reminder_is_emailed_with_text_html_and_a_link_to_the_candidate(due, settings):
    settings.SITE_URL = "https://recovery.example.com"
    result = delivery.dispatch_due()
    assert (result.claimed, result.sent) == (1, 1)
    (message,) = mail.outbox
    link = f"https://recovery.example.com/candidates/{due.candidate_id}/"
    assert message.subject == "Call Sam Carter"
    assert message.to == ["rita@northwind.test"]
    assert message.extra_headers["Message-ID"] == f"<reminder.{due.pk}.1@recovery.example.com>"
    assert "Do they want to salvage this?" in message.body
    assert link in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{link}"' in html
    due = refreshed(due)
    assert (due.state, due.sent_at, due.claim_token) == (State.SENT, NOW, "")
    (attempt,) = due.attempts_log.all()
    assert (attempt.outcome, attempt.round, attempt.message_id) == (
        Outcome.SENT,
        1,
        f"<reminder.{due.pk}.1@recovery.example.com>",
    )
    assert attempt.finished_at is not None


def test_the_email_shows_the_due_time_in_the_recipients_time_zone(due, recruiter):
    recruiter.time_zone = "Asia/Tokyo"
    recruiter.save()
    Reminder.objects.filter(pk=due.pk).update(due_at=datetime(2026, 3, 2, 0, 0, tzinfo=UTC))
    delivery.dispatch_due()
    assert "Due: Monday 2 March 2026, 09:00 (Asia/Tokyo)" in mail.outbox[0].body


def test_the_email_names_the_job_when_there_is_one(org, recruiter):
    job = JobFactory(client__organization=org, title="Forklift operator", client__name="Acme")
    ReminderFactory(user=recruiter, candidate__name="Sam Carter", job=job, due_at=NOW)
    delivery.dispatch_due()
    assert "Candidate: Sam Carter (Forklift operator, Acme)" in mail.outbox[0].body


def test_a_reminder_is_emailed_once_however_many_times_the_dispatcher_runs(due):
    delivery.dispatch_due()
    delivery.dispatch_due()
    call_command("dispatch_reminders", stdout=StringIO())
    assert len(mail.outbox) == 1
    assert attempts(due) == [Outcome.SENT]


def test_a_reminder_not_yet_due_waits(due, clock):
    Reminder.objects.filter(pk=due.pk).update(
        due_at=NOW + timedelta(hours=1), next_attempt_at=NOW + timedelta(hours=1)
    )
    assert delivery.dispatch_due().claimed == 0
    assert mail.outbox == []
    clock.move_to(NOW + timedelta(hours=1))
    assert delivery.dispatch_due().sent == 1


def test_closed_and_already_sent_reminders_are_never_emailed(org, recruiter):
    for state in (State.SENT, State.DONE, State.CANCELLED, State.FAILED):
        ReminderFactory(user=recruiter, due_at=NOW - timedelta(days=1), state=state)
    assert delivery.dispatch_due().claimed == 0
    assert mail.outbox == []


def test_dispatching_goes_through_every_batch(org, recruiter):
    ReminderFactory.create_batch(25, user=recruiter, due_at=NOW)
    result = delivery.dispatch_due(batch_size=10)
    assert (result.claimed, result.sent) == (25, 25)
    assert len({m.extra_headers["Message-ID"] for m in mail.outbox}) == 25


def test_each_sent_reminder_costs_a_fixed_number_of_queries(
    org, recruiter, django_assert_num_queries
):
    ReminderFactory.create_batch(3, user=recruiter, due_at=NOW)
    # Inside the test's transaction every atomic block adds SAVEPOINT and RELEASE (2).
    # The batch: select (for update), claim, load with names. Then an empty batch: select.
    # Each reminder: mark sent, record the attempt.
    with django_assert_num_queries((2 + 3) + (2 + 1) + 3 * (2 + 2)):
        delivery.dispatch_due()


# --- Claims and races -----------------------------------------------------------------------


def test_a_reminder_claimed_by_a_running_dispatcher_is_left_to_it(due):
    Reminder.objects.filter(pk=due.pk).update(
        claim_token="someone-else", claimed_at=NOW, next_attempt_at=NOW + delivery.LEASE
    )
    assert delivery.dispatch_due().claimed == 0
    assert mail.outbox == []


def test_an_expired_claim_is_taken_over_and_sent_once(due):
    # A worker claimed it six minutes ago and was killed before sending.
    Reminder.objects.filter(pk=due.pk).update(
        claim_token="dead-worker",
        claimed_at=NOW - timedelta(minutes=6),
        next_attempt_at=NOW - timedelta(minutes=1),
    )
    assert delivery.dispatch_due().sent == 1
    assert len(mail.outbox) == 1
    due = refreshed(due)
    assert attempts(due) == [Outcome.ABANDONED, Outcome.SENT]
    assert due.attempts == 1


def test_a_dispatcher_that_lost_its_lease_does_not_send(due):
    slow = delivery.claim_batch("slow", now=NOW, size=10, lease=delivery.LEASE)
    # The slow one's lease ran out; another run took the reminder over and sent it.
    later = NOW + delivery.LEASE + timedelta(seconds=1)
    (taken,) = delivery.claim_batch("fast", now=later, size=10, lease=delivery.LEASE)
    assert delivery.send_one(taken, "fast", mail.get_connection()) == "sent"
    assert delivery.send_one(slow[0], "slow", mail.get_connection()) == "skipped"
    assert len(mail.outbox) == 1


def test_two_dispatchers_never_claim_the_same_reminder(org, recruiter):
    ReminderFactory.create_batch(5, user=recruiter, due_at=NOW)
    first = delivery.claim_batch("first", now=NOW, size=3, lease=delivery.LEASE)
    second = delivery.claim_batch("second", now=NOW, size=10, lease=delivery.LEASE)
    assert len(first) == 3
    assert len(second) == 2
    assert not {r.pk for r in first} & {r.pk for r in second}


@pytest.mark.parametrize("action", ["done", "cancel", "snooze"])
def test_a_reminder_closed_or_snoozed_after_it_was_claimed_is_not_sent(due, recruiter, action):
    (claimed,) = delivery.claim_batch("t", now=NOW, size=10, lease=delivery.LEASE)
    if action == "snooze":
        services.reminder_snooze(reminder=due, by=recruiter, delay=timedelta(days=1))
    else:
        getattr(services, f"reminder_{action}")(reminder=due, by=recruiter)
    assert delivery.send_one(claimed, "t", mail.get_connection()) == "skipped"
    assert mail.outbox == []


def test_the_database_refuses_a_second_sent_attempt_for_one_round(due):
    delivery.dispatch_due()
    with pytest.raises(IntegrityError):
        ReminderAttempt.objects.create(
            reminder=due, round=1, started_at=NOW, outcome=Outcome.SENT, message_id="x"
        )


def test_a_snoozed_reminder_is_emailed_again_when_due_with_a_new_message_id(due, recruiter, clock):
    delivery.dispatch_due()
    services.reminder_snooze(reminder=refreshed(due), by=recruiter, delay=timedelta(days=1))
    assert delivery.dispatch_due().claimed == 0
    clock.move_to(NOW + timedelta(days=1))
    assert delivery.dispatch_due().sent == 1
    first, second = (m.extra_headers["Message-ID"] for m in mail.outbox)
    assert first.startswith(f"<reminder.{due.pk}.1@")
    assert second.startswith(f"<reminder.{due.pk}.2@")
    assert refreshed(due).state == State.SENT


# --- Email and state commit together --------------------------------------------------------


def test_with_a_database_backend_the_email_exists_exactly_when_the_reminder_is_sent(due, settings):
    settings.EMAIL_BACKEND = "reminders.backends.DatabaseEmailBackend"
    delivery.dispatch_due()
    (stored,) = StoredEmail.objects.all()
    assert stored.message_id == due.message_id
    assert stored.to == "rita@northwind.test"
    assert f"/candidates/{due.candidate_id}/" in stored.html


def test_a_send_that_breaks_midway_rolls_back_the_email_with_the_state(due, settings):
    settings.EMAIL_BACKEND = "tests.test_reminders_delivery.WritesThenBreaksBackend"
    result = delivery.dispatch_due()
    assert (result.sent, result.retrying) == (0, 1)
    assert StoredEmail.objects.count() == 0
    due = refreshed(due)
    assert due.state == State.PENDING
    assert attempts(due) == [Outcome.FAILED]


# --- Failures -------------------------------------------------------------------------------


def test_a_failing_send_is_retried_with_backoff_then_marked_failed_and_shown(due, settings, clock):
    settings.EMAIL_BACKEND = "tests.test_reminders_delivery.BrokenBackend"
    moment = NOW
    for number, delay in enumerate(delivery.RETRY_DELAYS, start=1):
        assert delivery.dispatch_due().retrying == 1
        reminder = refreshed(due)
        assert (reminder.state, reminder.attempts) == (State.PENDING, number)
        assert reminder.next_attempt_at == moment + delay
        assert "SMTP server unreachable" in reminder.last_error
        # Not before the backoff is over.
        assert delivery.dispatch_due().claimed == 0
        moment += delay
        clock.move_to(moment)
    assert delivery.dispatch_due().failed == 1
    reminder = refreshed(due)
    assert (reminder.state, reminder.attempts) == (State.FAILED, delivery.MAX_ATTEMPTS)
    assert attempts(reminder) == [Outcome.FAILED] * delivery.MAX_ATTEMPTS
    assert delivery.dispatch_due().claimed == 0
    # Failed is still open: it shows in the app until someone acts on it.
    assert Reminder.objects.filter(user=due.user).due(moment).get() == reminder


def test_snoozing_a_failed_reminder_tries_again_from_scratch(due, recruiter, settings, clock):
    Reminder.objects.filter(pk=due.pk).update(state=State.FAILED, attempts=5, last_error="x")
    services.reminder_snooze(reminder=refreshed(due), by=recruiter, delay=timedelta(days=1))
    clock.move_to(NOW + timedelta(days=1))
    assert delivery.dispatch_due().sent == 1


def test_a_reminder_whose_sending_keeps_killing_workers_is_given_up(due):
    Reminder.objects.filter(pk=due.pk).update(
        attempts=delivery.MAX_ATTEMPTS - 1,
        claim_token="dead-worker",
        next_attempt_at=NOW - timedelta(minutes=1),
    )
    assert delivery.dispatch_due().failed == 1
    assert mail.outbox == []
    assert refreshed(due).state == State.FAILED


@pytest.mark.parametrize(
    ("change", "why"),
    [({"email": ""}, "has no email address"), ({"is_active": False}, "is deactivated")],
)
def test_a_reminder_nobody_can_receive_fails_at_once_for_a_manager_to_see(
    due, recruiter, change, why
):
    for field, value in change.items():
        setattr(recruiter, field, value)
    recruiter.save()
    assert delivery.dispatch_due().failed == 1
    assert mail.outbox == []
    reminder = refreshed(due)
    assert reminder.state == State.FAILED
    assert why in reminder.last_error


def test_no_mail_connection_is_opened_when_nothing_is_due(settings):
    settings.EMAIL_BACKEND = "tests.test_reminders_delivery.CountingBackend"
    CountingBackend.opened = 0
    delivery.dispatch_due()
    assert CountingBackend.opened == 0


class CountingBackend(BaseEmailBackend):
    opened = 0

    def open(self):
        CountingBackend.opened += 1
        return True

    def send_messages(self, email_messages):
        return len(email_messages)


# --- The 08:00 digest -----------------------------------------------------------------------


@pytest.fixture
def londoner(recruiter):
    recruiter.time_zone = "Europe/London"
    recruiter.email = "rita@northwind.test"
    recruiter.save()
    return recruiter


def at(day: int, hour: int, minute: int = 0, tz=LONDON) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=tz)


def test_the_digest_at_eight_lists_what_is_due_today_and_what_is_overdue(londoner):
    candidate = CandidateFactory(organization=londoner.organization, name="Sam Carter")
    ReminderFactory(user=londoner, title="Prepare Sam", candidate=candidate, due_at=at(3, 14))
    ReminderFactory(user=londoner, title="Call Sam", due_at=at(2, 9), state=State.SENT)
    ReminderFactory(user=londoner, title="Tomorrow's", due_at=at(4, 9))
    ReminderFactory(user=londoner, title="Done already", due_at=at(3, 9), state=State.DONE)
    assert delivery.send_digests(now=at(3, 7, 59)) == 0
    assert delivery.send_digests(now=at(3, 8, 0)) == 1
    (message,) = mail.outbox
    assert message.to == ["rita@northwind.test"]
    assert message.subject == "Your reminders for Tuesday 3 March: 2 due"
    assert "Overdue:\n- Call Sam" in message.body
    assert "Today:\n- 14:00 Prepare Sam (Sam Carter)" in message.body
    assert f"/candidates/{candidate.pk}/" in message.body
    assert "Tomorrow's" not in message.body
    assert "Done already" not in message.body


def test_one_digest_a_day(londoner):
    ReminderFactory(user=londoner, due_at=at(3, 14))
    assert delivery.send_digests(now=at(3, 8, 0)) == 1
    assert delivery.send_digests(now=at(3, 8, 15)) == 0
    assert delivery.send_digests(now=at(3, 11, 45)) == 0
    assert len(mail.outbox) == 1
    # Still open the next morning: overdue now, in the next day's digest.
    assert delivery.send_digests(now=at(4, 8, 0)) == 1
    assert mail.outbox[1].extra_headers["Message-ID"].startswith(f"<digest.{londoner.pk}.20260304@")


def test_each_user_gets_the_digest_at_eight_in_their_own_time_zone(org, londoner):
    tokyo = ReminderFactory(
        user__organization=org, user__time_zone="Asia/Tokyo", due_at=at(3, 9)
    ).user
    ReminderFactory(user=londoner, due_at=at(3, 14))
    # 23:00 UTC on the 2nd is 08:00 on the 3rd in Tokyo, and 23:00 on the 2nd in London.
    assert delivery.send_digests(now=datetime(2026, 3, 2, 23, 0, tzinfo=UTC)) == 1
    assert mail.outbox[0].to == [tokyo.email]
    assert delivery.send_digests(now=at(3, 8, 0)) == 1
    assert mail.outbox[1].to == ["rita@northwind.test"]


def test_no_digest_with_nothing_due_nor_in_the_afternoon(londoner):
    ReminderFactory(user=londoner, due_at=at(4, 9))
    assert delivery.send_digests(now=at(3, 8, 0)) == 0
    ReminderFactory(user=londoner, due_at=at(3, 16))
    assert delivery.send_digests(now=at(3, 12, 0)) == 0
    assert mail.outbox == []


def test_a_digest_that_fails_to_send_is_tried_again_at_the_next_run(londoner, settings):
    ReminderFactory(user=londoner, due_at=at(3, 14))
    settings.EMAIL_BACKEND = "tests.test_reminders_delivery.BrokenBackend"
    assert delivery.send_digests(now=at(3, 8, 0)) == 0
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert delivery.send_digests(now=at(3, 8, 15)) == 1


# --- Wiring ---------------------------------------------------------------------------------


def test_the_command_runs_the_dispatcher_and_the_digests(due):
    out = StringIO()
    call_command("dispatch_reminders", stdout=out)
    assert "Reminders: 1 sent, 0 to retry, 0 failed, 0 skipped. Digests: 0 sent." in out.getvalue()
    assert len(mail.outbox) == 1


def test_beat_runs_the_dispatcher_every_minute_and_the_digest_check_every_quarter(settings):
    celery_app.loader.import_default_modules()
    schedule = {e["task"]: e for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["reminders.tasks.dispatch_due"]["schedule"] == 60.0
    assert schedule["reminders.tasks.send_digests"]["schedule"].minute == {0, 15, 30, 45}
    assert {"reminders.tasks.dispatch_due", "reminders.tasks.send_digests"} <= set(celery_app.tasks)
