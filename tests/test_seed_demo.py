"""`manage.py seed_demo`: the demo organization and its logins (the bench's bulk data:
test_bench_seed.py)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from candidates import demo, services
from candidates.engine import Kind, Status, evaluate
from candidates.models import (
    Candidate,
    Client,
    Event,
    Job,
    JobState,
    Organization,
    RiskNote,
    Role,
    User,
)
from reminders import services as reminder_services
from reminders.models import OPEN_STATES, Reminder, State

pytestmark = pytest.mark.django_db

MODELS = (Organization, User, Client, Job, Candidate, Event, RiskNote)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The seed hashes five passwords; PBKDF2's deliberate slowness is not under test here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def demo_candidates():
    return Candidate.objects.filter(organization__slug=demo.DEMO_SLUG)


def assert_stored_status_is_the_engines(candidates) -> None:
    """Each candidate's stored result is what the engine says of its history today."""
    candidates = list(candidates)
    facts = services.facts_for(c.pk for c in candidates)
    for candidate in candidates:
        events, notes = facts[candidate.pk]
        result = evaluate(events, notes, as_of=services.today())
        assert (candidate.status, candidate.risk_score, candidate.advice) == (
            result.status,
            result.risk_score,
            result.advice,
        ), candidate.email
        assert candidate.explanation == result.explanation
        assert candidate.live_missteps == result.live_missteps


# --- The demo organization --------------------------------------------------------------


def test_a_scheduled_interview_takes_place_on_the_day_of_what_came_of_it():
    seed()
    tz = demo.ZoneInfo(demo.DEMO_TIME_ZONE)
    events = list(Event.objects.filter(candidate__organization__slug=demo.DEMO_SLUG))
    for event in (e for e in events if e.kind == Kind.SCHEDULED):
        assert event.interview_at is not None
        on = event.interview_at.astimezone(tz).date()
        assert on > event.occurred_on
        outcome = min(
            (
                e.occurred_on
                for e in events
                if e.candidate_id == event.candidate_id
                and e.job_id == event.job_id
                and e.kind != Kind.SCHEDULED
                and e.occurred_on > event.occurred_on
            ),
            default=None,
        )
        # No-show on the 18th for an interview on the 20th would be nonsense.
        assert outcome is None or on == outcome, event.candidate.name


def test_demo_covers_every_status_several_times_each_story_as_written():
    seed()
    statuses = Counter(demo_candidates().values_list("status", flat=True))
    assert set(statuses) == set(Status)
    assert min(statuses.values()) >= 3, statuses
    assert 45 <= sum(statuses.values()) <= 60
    stored = dict(demo_candidates().values_list("email", "status"))
    assert {s.email: stored[s.email] for s in demo.STORIES} == {
        s.email: s.expect.value for s in demo.STORIES
    }
    # Written through the services: the stored result is the engine's, and every event
    # has who recorded it.
    assert_stored_status_is_the_engines(demo_candidates())
    assert not Event.objects.filter(candidate__organization__slug="demo", recorded_by=None).exists()
    # Burned all three ways.
    burned = " ".join(
        line for c in demo_candidates().filter(status=Status.BURNED) for line in c.explanation
    )
    assert "a do-not-resubmit flag stands" in burned
    assert "the second chance was spent" in burned
    assert "or more burns a candidate" in burned


def test_demo_tells_the_product_story():
    seed()
    events = Event.objects.filter(candidate__organization__slug="demo")
    assert set(Kind) == set(events.values_list("kind", flat=True)), "every kind appears"
    notes = " ".join(events.values_list("notes", flat=True)).lower()
    for story in ("cold medicine", "a different person", "train strike", "counter-offer"):
        assert story in notes, story
    assert events.filter(kind=Kind.NO_SHOW, job__title__startswith="Forklift").exists()
    assert events.filter(kind=Kind.FLAG_CLEARED).exists()

    # A granted second chance has its interview in the next few days.
    now = timezone.now()
    for candidate in demo_candidates().filter(status=Status.SECOND_CHANCE):
        grant = candidate.events.filter(kind=Kind.SECOND_CHANCE_GRANTED).latest("occurred_on")
        assert now < grant.interview_at < now + timedelta(days=8), candidate.email

    # Clients with jobs in every state, each with its hiring manager.
    jobs = Job.objects.filter(organization__slug="demo")
    assert set(jobs.values_list("state", flat=True)) == set(JobState.values)
    assert not jobs.filter(hiring_manager="").exists()
    clients = set(Client.objects.filter(organization__slug="demo").values_list("name", flat=True))
    assert {"Northgate Logistics", "Harbour Bank", "St Mary's Hospital", "Lumen Software"} <= (
        clients
    )

    # Risk notes on every dimension, from several authors, one of them without an account.
    risk_notes = RiskNote.objects.filter(candidate__organization__slug="demo")
    assert len(set(risk_notes.values_list("author_email", flat=True))) >= 4
    assert risk_notes.filter(author=None, author_email=demo.FORMER_COLLEAGUE).exists()
    assert set(risk_notes.values_list("dimension", flat=True)) == {"flakiness", "commute", "trust"}


def test_running_seed_demo_twice_adds_nothing():
    first, _ = seed()
    after_first = counts()
    second, _ = seed()
    assert counts() == after_first
    assert f"{len(demo.STORIES)} candidates created, 0 already there" in first
    assert f"0 candidates created, {len(demo.STORIES)} already there" in second


def test_a_story_whose_candidate_exists_is_skipped_whole():
    seed()
    aisha = Candidate.objects.get(email="aisha.khan@example.com")
    events_before = aisha.events.count()
    Candidate.objects.exclude(pk=aisha.pk).filter(organization__slug="demo").delete()
    out, _ = seed()
    assert f"{len(demo.STORIES) - 1} candidates created, 1 already there" in out
    assert aisha.events.count() == events_before


def log_in(client, username: str, password: str) -> bool:
    """Through the login form, as a person would (and past the login throttling)."""
    response = client.post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302 and "_auth_user_id" in client.session


def test_seed_demo_prints_a_working_login_for_every_role_and_passes_validators(client):
    out, err = seed()
    assert "published password" in err  # DEBUG is off: a warning not to seed a real site
    members = User.objects.filter(organization__slug="demo")
    assert set(members.values_list("role", flat=True)) == set(Role.values)
    assert all(
        u.endswith("@demo.recovery.test") for u in members.values_list("username", flat=True)
    )
    logins = [*members.values_list("username", flat=True), demo.SUPERUSER_USERNAME]
    printed = [line.split() for line in out.splitlines() if line.endswith(demo.DEMO_PASSWORD)]
    # One line per login: "<role>  <username>  <password>".
    assert sorted(words[-2] for words in printed) == sorted(logins)
    for username in logins:
        validate_password(demo.DEMO_PASSWORD, User.objects.get(username=username))
        assert log_in(client, username, demo.DEMO_PASSWORD), username
        client.logout()
    # The platform superuser's login opens the Django admin.
    assert log_in(client, demo.SUPERUSER_USERNAME, demo.DEMO_PASSWORD)
    assert client.get(reverse("admin:candidates_candidate_changelist")).status_code == 200


def test_the_demo_stays_current_whatever_day_it_is_seeded(time_machine):
    time_machine.move_to(datetime(2031, 2, 28, 9, tzinfo=UTC), tick=False)
    seed()
    stored = dict(demo_candidates().values_list("email", "status"))
    assert {s.email: stored[s.email] for s in demo.STORIES} == {
        s.email: s.expect.value for s in demo.STORIES
    }
    assert demo_candidates().filter(last_event_on__year=2031).exists()


def first_reminders():
    return Reminder.objects.filter(title=demo.FIRST_REMINDER_TITLE)


def test_the_demo_has_a_reminder_falling_due_a_minute_after_each_seed(time_machine):
    start = datetime(2026, 11, 30, 6, 15, tzinfo=UTC)
    time_machine.move_to(start, tick=False)
    out, _ = seed()
    reminder = first_reminders().get()
    assert reminder.state == State.PENDING
    assert reminder.due_at == start + timedelta(minutes=1)
    assert reminder.user.username == demo.MEMBERS["recruiter"][0]
    assert reminder.candidate.email == demo.FIRST_REMINDER_CANDIDATE
    assert f'Reminder "{demo.FIRST_REMINDER_TITLE}"' in out and "06:16:00 UTC" in out

    # make run again an hour later: the same reminder, a minute ahead again, as a new round
    # (its own Message-ID), so it is emailed again.
    time_machine.move_to(start + timedelta(hours=1), tick=False)
    seed()
    again = first_reminders().get()
    assert again.pk == reminder.pk
    assert again.is_open and again.round == reminder.round + 1
    assert again.due_at == again.next_attempt_at == start + timedelta(hours=1, minutes=1)

    # Once the recruiter marked it done, the next seed makes a new one: still one open.
    reminder_services.reminder_done(reminder=again, by=again.user)
    seed()
    assert first_reminders().count() == 2
    assert first_reminders().filter(state__in=OPEN_STATES).get().due_at == (
        start + timedelta(hours=1, minutes=1)
    )


def test_logins_only_prints_the_logins_and_the_address_and_writes_nothing(settings):
    settings.SITE_URL = "http://127.0.0.1:8100"
    seed()
    before = counts()
    due = first_reminders().get().due_at
    out, _ = seed("--logins-only")
    assert counts() == before
    assert first_reminders().get().due_at == due
    assert "candidates created" not in out
    site = "http://127.0.0.1:8100"
    assert f"the app at {site}/, the Django admin at {site}/admin/" in out
    printed = [line.split()[-2] for line in out.splitlines() if line.endswith(demo.DEMO_PASSWORD)]
    assert sorted(printed) == sorted(
        [*(m[0] for m in demo.MEMBERS.values()), demo.SUPERUSER_USERNAME]
    )


def test_no_logins_seeds_without_printing_them():
    out, _ = seed("--no-logins")
    assert f"{len(demo.STORIES)} candidates created" in out
    assert demo.DEMO_PASSWORD not in out


def test_logins_only_before_any_seed_says_what_to_do():
    with pytest.raises(CommandError, match=r"run `manage\.py seed_demo` first"):
        seed("--logins-only")
