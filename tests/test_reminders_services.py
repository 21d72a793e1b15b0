"""Reminders made and closed by what is logged (through candidates.services.event_log, as
every page and command logs it), manual reminders, and done / snooze / cancel."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from candidates import services as candidate_services
from candidates.engine import Kind, Reason
from candidates.models import Role
from reminders import services
from reminders.models import Reminder, State
from reminders.rules import ReminderKind
from reminders.tasks import dispatch_due

from .factories import CandidateFactory, EventFactory, JobFactory, UserFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
MONDAY = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def monday():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def candidate(org, recruiter):
    recruiter.time_zone = "Europe/London"
    recruiter.save()
    return CandidateFactory(organization=org, owner=recruiter, name="Sam Carter")


def log(candidate, kind, by=None, **kwargs):
    if Kind(kind).is_misstep:
        kwargs.setdefault("reason", Reason.COMMUTE)
    return candidate_services.event_log(
        candidate=candidate,
        kind=kind,
        occurred_on=kwargs.pop("occurred_on", date(2026, 3, 2)),
        recorded_by=by,
        **kwargs,
    )


def reminders_of(candidate, **filters):
    return list(Reminder.objects.filter(candidate=candidate, **filters).order_by("user_id", "kind"))


# --- Created by the rules -------------------------------------------------------------------


def test_logging_a_misstep_reminds_the_owner_to_follow_up_in_two_working_days(
    org, candidate, recruiter, headhunter
):
    job = JobFactory(client__organization=org, title="Forklift operator", client__name="Acme")
    event = log(candidate, Kind.NO_SHOW, by=headhunter, job=job)
    (reminder,) = reminders_of(candidate)
    assert reminder.kind == ReminderKind.FOLLOW_UP
    assert reminder.user == recruiter
    assert reminder.organization == org
    assert (reminder.event, reminder.job) == (event, job)
    assert reminder.state == State.PENDING
    assert reminder.due_at == datetime(2026, 3, 4, 9, 0, tzinfo=LONDON)
    assert reminder.next_attempt_at == reminder.due_at
    assert "Call them: do they want to salvage this?" in reminder.body
    assert "Forklift operator at Acme" in reminder.body
    assert reminder.created_by == headhunter


def test_a_candidate_without_an_owner_reminds_whoever_logged_the_misstep(org, headhunter):
    candidate = CandidateFactory(organization=org, owner=None)
    log(candidate, Kind.LATE, by=headhunter)
    (reminder,) = reminders_of(candidate)
    assert reminder.user == headhunter


def test_a_deactivated_owner_is_replaced_by_whoever_logged_it(candidate, recruiter, headhunter):
    recruiter.is_active = False
    recruiter.save()
    log(candidate, Kind.LATE, by=headhunter)
    assert [r.user for r in reminders_of(candidate)] == [headhunter]


def test_a_misstep_with_no_owner_and_no_recorder_reminds_nobody(org):
    candidate = CandidateFactory(organization=org, owner=None)
    log(candidate, Kind.LATE)
    assert reminders_of(candidate) == []


def test_a_misstep_that_burns_the_candidate_asks_for_no_salvage_call(candidate, recruiter):
    log(candidate, Kind.NO_SHOW, by=recruiter)
    log(candidate, Kind.RENEGED, by=recruiter)  # weights 3 + 4: burned
    candidate.refresh_from_db()
    assert candidate.status == "burned"
    assert [r.event.kind for r in reminders_of(candidate)] == [Kind.NO_SHOW]


def test_history_logged_weeks_after_the_fact_creates_no_reminder(candidate, recruiter):
    log(candidate, Kind.NO_SHOW, by=recruiter, occurred_on=date(2026, 1, 5))
    assert reminders_of(candidate) == []


def test_the_hook_is_idempotent_one_reminder_per_event_rule_and_person(candidate, recruiter):
    event = log(candidate, Kind.NO_SHOW, by=recruiter)
    services.on_event_logged(event)
    assert len(reminders_of(candidate)) == 1


def test_a_request_gives_every_manager_a_decision_reminder_in_three_days(
    org, candidate, recruiter, manager, org_admin
):
    second_manager = UserFactory(organization=org, role=Role.MANAGER, time_zone="Asia/Tokyo")
    UserFactory(organization=org, role=Role.MANAGER, is_active=False)
    log(candidate, Kind.SECOND_CHANCE_REQUESTED, by=recruiter, notes="I was ill that day.")
    decisions = reminders_of(candidate, kind=ReminderKind.DECISION)
    # Admins can decide too, but a team with managers asks its managers.
    assert [r.user for r in decisions] == [manager, second_manager]
    assert decisions[0].due_at == datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    # Monday 15:00 UTC is already Tuesday in Tokyo: three days from Tuesday.
    assert decisions[1].due_at == datetime(2026, 3, 6, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def test_a_team_without_managers_asks_its_admins_to_decide(candidate, recruiter, org_admin):
    log(candidate, Kind.SECOND_CHANCE_REQUESTED, by=recruiter)
    assert [r.user for r in reminders_of(candidate, kind=ReminderKind.DECISION)] == [org_admin]


def test_a_request_answers_the_follow_up_call(candidate, recruiter, manager):
    log(candidate, Kind.NO_SHOW, by=recruiter)
    log(candidate, Kind.SECOND_CHANCE_REQUESTED, by=recruiter)
    (follow_up,) = reminders_of(candidate, kind=ReminderKind.FOLLOW_UP)
    assert follow_up.state == State.DONE
    assert follow_up.closed_by == recruiter
    assert follow_up.closed_at == MONDAY


def test_once_one_manager_decides_theirs_is_done_and_everyone_elses_cancelled(
    org, candidate, recruiter, manager
):
    colleague = UserFactory(organization=org, role=Role.MANAGER)
    log(candidate, Kind.SECOND_CHANCE_REQUESTED, by=recruiter)
    candidate_services.second_chance_decide(candidate=candidate, grant=False, decided_by=manager)
    states = {r.user: r.state for r in reminders_of(candidate, kind=ReminderKind.DECISION)}
    assert states == {manager: State.DONE, colleague: State.CANCELLED}


def test_a_decision_by_someone_not_reminded_cancels_every_decision_reminder(
    candidate, recruiter, manager, org_admin
):
    log(candidate, Kind.SECOND_CHANCE_REQUESTED, by=recruiter)
    candidate_services.second_chance_decide(candidate=candidate, grant=False, decided_by=org_admin)
    (decision,) = reminders_of(candidate, kind=ReminderKind.DECISION)
    assert (decision.state, decision.closed_by) == (State.CANCELLED, org_admin)


def test_a_grant_with_an_interview_prepares_the_owner_the_day_before_and_checks_in_after(
    candidate, recruiter, manager
):
    interview = datetime(2026, 3, 12, 14, 30, tzinfo=LONDON)
    log(candidate, Kind.NO_SHOW, by=recruiter)
    log(candidate, Kind.SECOND_CHANCE_REQUESTED, by=recruiter)
    candidate_services.second_chance_decide(
        candidate=candidate, grant=True, decided_by=manager, interview_at=interview
    )
    prep, check_in = (
        reminders_of(candidate, kind=ReminderKind.PREPARATION)[0],
        reminders_of(candidate, kind=ReminderKind.CHECK_IN)[0],
    )
    assert (prep.user, prep.due_at) == (recruiter, datetime(2026, 3, 11, 9, 0, tzinfo=LONDON))
    assert "Re-read the CV and its dates." in prep.body
    assert (check_in.user, check_in.due_at) == (
        recruiter,
        datetime(2026, 3, 13, 9, 0, tzinfo=LONDON),
    )


def test_attending_the_second_interview_completes_preparation_and_check_in(
    candidate, recruiter, manager
):
    interview = datetime(2026, 3, 12, 14, 30, tzinfo=LONDON)
    candidate_services.second_chance_decide(
        candidate=candidate, grant=True, decided_by=manager, interview_at=interview
    )
    log(candidate, Kind.ATTENDED, by=recruiter, occurred_on=date(2026, 3, 2))
    assert {r.kind: r.state for r in reminders_of(candidate)} == {
        ReminderKind.PREPARATION: State.DONE,
        ReminderKind.CHECK_IN: State.DONE,
    }


def test_a_misstep_at_the_second_interview_closes_the_check_in_and_asks_no_salvage_call(
    candidate, recruiter, manager
):
    log(candidate, Kind.LATE, by=recruiter)
    candidate_services.second_chance_decide(
        candidate=candidate,
        grant=True,
        decided_by=manager,
        interview_at=datetime(2026, 3, 12, 14, 30, tzinfo=LONDON),
    )
    log(candidate, Kind.NO_SHOW, by=recruiter)  # after a second chance: burned, no third
    by_kind = {r.kind: r.state for r in reminders_of(candidate)}
    assert by_kind == {
        ReminderKind.FOLLOW_UP: State.DONE,  # the decision answered the first call
        ReminderKind.PREPARATION: State.DONE,
        ReminderKind.CHECK_IN: State.DONE,
    }


def test_an_event_only_completes_reminders_about_its_own_candidate(org, candidate, recruiter):
    other = CandidateFactory(organization=org, owner=recruiter)
    log(other, Kind.NO_SHOW, by=recruiter)
    log(candidate, Kind.SECOND_CHANCE_REQUESTED, by=recruiter)
    assert reminders_of(other)[0].state == State.PENDING


def test_the_hook_costs_no_query_for_an_event_no_rule_is_about(
    candidate, recruiter, django_assert_num_queries
):
    event = EventFactory(candidate=candidate, kind=Kind.SCHEDULED, recorded_by=recruiter)
    with django_assert_num_queries(0):
        services.on_event_logged(event)


def test_the_hook_for_a_misstep_costs_five_queries(candidate, recruiter, django_assert_num_queries):
    event = EventFactory(
        candidate=candidate, kind=Kind.NO_SHOW, occurred_on=date(2026, 3, 2), recorded_by=recruiter
    )
    # Find open check-ins to complete, load the candidate and owner, check what exists,
    # insert the follow-up and its audit row.
    with django_assert_num_queries(5):
        services.on_event_logged(event)


def dispatches(callbacks) -> list:
    """The on-commit callbacks that enqueue the dispatcher (others invalidate caches...)."""
    return [c for c in callbacks if getattr(c, "__self__", None) == dispatch_due]


def test_a_reminder_due_at_once_asks_a_worker_to_dispatch_after_commit(
    candidate, recruiter, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        candidate_services.second_chance_decide(
            candidate=candidate,
            grant=True,
            decided_by=manager,
            interview_at=datetime(2026, 3, 3, 8, 0, tzinfo=LONDON),  # prep is due now
        )
    assert len(dispatches(callbacks)) == 1


def test_a_reminder_due_later_waits_for_the_beat(
    candidate, recruiter, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        log(candidate, Kind.NO_SHOW, by=recruiter)
    assert dispatches(callbacks) == []


# --- Manual reminders -----------------------------------------------------------------------


def test_anyone_can_remind_a_colleague_about_a_candidate(candidate, headhunter, manager):
    due = MONDAY + timedelta(days=1)
    reminder = services.reminder_create(
        candidate=candidate, user=manager, title=" Ask Acme ", due_at=due, created_by=headhunter
    )
    assert (reminder.kind, reminder.title, reminder.user, reminder.state) == (
        ReminderKind.MANUAL,
        "Ask Acme",
        manager,
        State.PENDING,
    )
    assert reminder.next_attempt_at == due


def test_a_manual_reminder_cannot_go_to_another_organization(candidate, recruiter, outsider):
    with pytest.raises(PermissionDenied):
        services.reminder_create(
            candidate=candidate, user=outsider, title="x", due_at=MONDAY, created_by=recruiter
        )
    with pytest.raises(PermissionDenied):
        services.reminder_create(
            candidate=candidate, user=recruiter, title="x", due_at=MONDAY, created_by=outsider
        )


# --- Done, snooze, cancel -------------------------------------------------------------------


@pytest.fixture
def sent_reminder(candidate, recruiter):
    reminder = services.reminder_create(
        candidate=candidate, user=recruiter, title="Call Sam", due_at=MONDAY, created_by=recruiter
    )
    Reminder.objects.filter(pk=reminder.pk).update(
        state=State.SENT, sent_at=MONDAY, attempts=2, last_error="timeout"
    )
    reminder.refresh_from_db()
    return reminder


def test_done_closes_the_reminder_and_says_who(sent_reminder, recruiter):
    services.reminder_done(reminder=sent_reminder, by=recruiter)
    assert (sent_reminder.state, sent_reminder.closed_by, sent_reminder.closed_at) == (
        State.DONE,
        recruiter,
        MONDAY,
    )


def test_cancel_closes_the_reminder(sent_reminder, manager):
    services.reminder_cancel(reminder=sent_reminder, by=manager)
    assert (sent_reminder.state, sent_reminder.closed_by) == (State.CANCELLED, manager)


def test_snooze_brings_it_back_later_as_a_new_round_with_a_clean_slate(sent_reminder, recruiter):
    services.reminder_snooze(reminder=sent_reminder, by=recruiter, delay=timedelta(weeks=1))
    assert sent_reminder.state == State.SNOOZED
    assert sent_reminder.due_at == sent_reminder.next_attempt_at == MONDAY + timedelta(weeks=1)
    assert (sent_reminder.round, sent_reminder.attempts, sent_reminder.last_error) == (2, 0, "")


def test_snoozing_a_claimed_reminder_takes_it_from_the_dispatcher(sent_reminder, recruiter):
    Reminder.objects.filter(pk=sent_reminder.pk).update(
        state=State.PENDING, claim_token="abc", claimed_at=MONDAY
    )
    services.reminder_snooze(reminder=sent_reminder, by=recruiter, delay=timedelta(days=1))
    assert (sent_reminder.claim_token, sent_reminder.claimed_at) == ("", None)


def test_a_closed_reminder_cannot_be_closed_or_snoozed_again(sent_reminder, recruiter, manager):
    services.reminder_cancel(reminder=sent_reminder, by=manager)
    with pytest.raises(services.NotOpen, match="already cancelled"):
        services.reminder_done(reminder=sent_reminder, by=recruiter)
    with pytest.raises(services.NotOpen):
        services.reminder_snooze(reminder=sent_reminder, by=recruiter, delay=timedelta(days=1))
    sent_reminder.refresh_from_db()
    assert (sent_reminder.state, sent_reminder.closed_by) == (State.CANCELLED, manager)


def test_only_the_person_reminded_and_managers_can_act_on_a_reminder(
    sent_reminder, headhunter, outsider
):
    for stranger in (headhunter, outsider):
        with pytest.raises(PermissionDenied):
            services.reminder_done(reminder=sent_reminder, by=stranger)
    sent_reminder.refresh_from_db()
    assert sent_reminder.state == State.SENT


# --- The audit trail --------------------------------------------------------------------------


def test_every_reminder_change_is_in_the_audit_trail_with_who_and_why(
    org, candidate, recruiter, manager
):
    colleague = UserFactory(organization=org, role=Role.MANAGER)
    log(candidate, Kind.SECOND_CHANCE_REQUESTED, by=recruiter)
    candidate_services.second_chance_decide(candidate=candidate, grant=False, decided_by=manager)
    mine, theirs = (
        Reminder.objects.get(candidate=candidate, kind=ReminderKind.DECISION, user=u)
        for u in (manager, colleague)
    )
    trail = list(mine.history.order_by("history_date", "history_id"))
    assert [(h.history_type, h.state, h.history_user) for h in trail] == [
        ("+", State.PENDING, recruiter),
        ("~", State.DONE, manager),
    ]
    assert trail[0].history_change_reason == "rule: second_chance_requested logged"
    assert theirs.history.latest().state == State.CANCELLED

    manual = services.reminder_create(
        candidate=candidate,
        user=recruiter,
        title="Ask about the bus",
        due_at=MONDAY + timedelta(days=1),
        created_by=manager,
    )
    services.reminder_snooze(reminder=manual, by=recruiter, delay=timedelta(days=7))
    assert [
        (h.history_type, h.state, h.history_user) for h in manual.history.order_by("history_id")
    ] == [
        ("+", State.PENDING, manager),
        ("~", State.SNOOZED, recruiter),
    ]


# --- Corrections and deletions of the event a reminder came from ------------------------------


def test_deleting_a_mistaken_misstep_cancels_its_follow_up(candidate, recruiter):
    event = log(candidate, Kind.NO_SHOW, by=recruiter)
    candidate_services.event_delete(event=event, reason="Wrong candidate", deleted_by=recruiter)
    [follow_up] = reminders_of(candidate, kind=ReminderKind.FOLLOW_UP)
    assert follow_up.state == State.CANCELLED
    assert follow_up.closed_by == recruiter


def test_moving_a_second_chance_interview_moves_its_preparation_and_check_in(
    candidate, recruiter, manager
):
    log(candidate, Kind.NO_SHOW, by=recruiter)
    log(candidate, Kind.SECOND_CHANCE_REQUESTED, by=recruiter)
    first = datetime(2026, 3, 12, 10, 0, tzinfo=LONDON)
    grant = candidate_services.second_chance_decide(
        candidate=candidate, grant=True, decided_by=manager, interview_at=first
    )
    moved = first + timedelta(days=7)
    candidate_services.event_update(
        event=grant, updated_by=manager, change_reason="Rebooked", interview_at=moved
    )
    open_prep = reminders_of(candidate, kind=ReminderKind.PREPARATION, state=State.PENDING)
    assert [r.due_at.astimezone(LONDON).date() for r in open_prep] == [date(2026, 3, 18)]
    old = reminders_of(candidate, kind=ReminderKind.PREPARATION, state=State.CANCELLED)
    assert [r.due_at.astimezone(LONDON).date() for r in old] == [date(2026, 3, 11)]


def test_correcting_a_decided_request_does_not_ask_managers_again(candidate, recruiter, manager):
    log(candidate, Kind.NO_SHOW, by=recruiter)
    request = log(candidate, Kind.SECOND_CHANCE_REQUESTED, by=recruiter)
    candidate_services.second_chance_decide(candidate=candidate, grant=False, decided_by=manager)
    candidate_services.event_update(
        event=request, updated_by=recruiter, change_reason="Typo", notes="Fixed the pitch"
    )
    decisions = reminders_of(candidate, kind=ReminderKind.DECISION)
    assert [r.state for r in decisions] == [State.DONE]
