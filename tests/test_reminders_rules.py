"""The reminder rules as plain Python: what logging an event creates, for whom, when it is
due in the recipient's own time zone, and what completes it. No database, time injected."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from candidates.engine import MISSTEPS, Kind
from reminders.rules import (
    PREPARATION_CHECKLIST,
    Person,
    Recipient,
    ReminderKind,
    Trigger,
    add_working_days,
    completed_kinds,
    plan,
    why_no_reminder,
)

LONDON = ZoneInfo("Europe/London")
TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")

# Monday 2 March 2026, 15:00 UTC (15:00 in London: summer time starts on 29 March).
MONDAY = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)

OWNER = Person(1, "Europe/London")
MANAGER_LONDON = Person(2, "Europe/London")
MANAGER_NEW_YORK = Person(3, "America/New_York")
EVERYONE = {
    Recipient.OWNER: [OWNER],
    Recipient.DECIDERS: [MANAGER_LONDON, MANAGER_NEW_YORK],
}


def trigger(kind: Kind, now: datetime = MONDAY, **kwargs) -> Trigger:
    return Trigger(kind=kind, occurred_on=now.date(), candidate="Sam Carter", **kwargs)


def only(planned):
    assert len(planned) == 1, planned
    return planned[0]


# --- Misstep → follow-up in 2 working days --------------------------------------------------


def test_misstep_gives_the_owner_a_follow_up_two_working_days_later_at_nine():
    reminder = only(
        plan(trigger(Kind.NO_SHOW, job="Forklift operator at Acme"), EVERYONE, now=MONDAY)
    )
    assert reminder.kind == ReminderKind.FOLLOW_UP
    assert reminder.user_id == OWNER.id
    assert reminder.due_at == datetime(2026, 3, 4, 9, 0, tzinfo=LONDON)
    assert reminder.title == "Follow up with Sam Carter"
    assert "Call them: do they want to salvage this?" in reminder.body
    assert reminder.body.startswith("No-show logged for Sam Carter (Forklift operator at Acme).")


def test_every_kind_of_misstep_gets_a_follow_up():
    for kind in MISSTEPS:
        assert only(plan(trigger(kind), EVERYONE, now=MONDAY)).kind == ReminderKind.FOLLOW_UP


def test_follow_up_logged_on_friday_skips_the_weekend():
    friday = datetime(2026, 3, 6, 11, 0, tzinfo=UTC)
    reminder = only(plan(trigger(Kind.LATE, friday), EVERYONE, now=friday))
    assert reminder.due_at == datetime(2026, 3, 10, 9, 0, tzinfo=LONDON)  # Tuesday


def test_follow_up_logged_on_saturday_counts_from_monday():
    saturday = datetime(2026, 3, 7, 11, 0, tzinfo=UTC)
    reminder = only(plan(trigger(Kind.LATE, saturday), EVERYONE, now=saturday))
    assert reminder.due_at == datetime(2026, 3, 10, 9, 0, tzinfo=LONDON)  # Tuesday


def test_working_days_are_monday_to_friday():
    assert add_working_days(date(2026, 3, 2), 2) == date(2026, 3, 4)
    assert add_working_days(date(2026, 3, 5), 2) == date(2026, 3, 9)
    assert add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 9)
    assert add_working_days(date(2026, 3, 8), 1) == date(2026, 3, 9)


def test_follow_up_is_due_at_nine_in_the_owners_own_time_zone_and_calendar():
    # 23:30 UTC on Monday is already 08:30 on Tuesday in Tokyo: two working days from Tuesday.
    late_monday = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    tokyo_owner = {Recipient.OWNER: [Person(7, "Asia/Tokyo")]}
    reminder = only(plan(trigger(Kind.NO_SHOW, late_monday), tokyo_owner, now=late_monday))
    assert reminder.due_at == datetime(2026, 3, 5, 9, 0, tzinfo=TOKYO)
    assert reminder.due_at == datetime(2026, 3, 5, 0, 0, tzinfo=UTC)


def test_follow_up_keeps_nine_oclock_across_the_clock_change():
    friday = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)  # summer time starts on Sunday 29 March
    reminder = only(plan(trigger(Kind.LATE, friday), EVERYONE, now=friday))
    assert reminder.due_at == datetime(2026, 3, 31, 9, 0, tzinfo=LONDON)
    assert reminder.due_at == datetime(2026, 3, 31, 8, 0, tzinfo=UTC)


def test_no_follow_up_for_a_burned_candidate_there_is_nothing_to_salvage():
    assert plan(trigger(Kind.NO_SHOW, candidate_burned=True), EVERYONE, now=MONDAY) == []


def test_a_misstep_logged_long_after_the_fact_creates_no_reminder():
    old = Trigger(Kind.NO_SHOW, MONDAY.date() - timedelta(days=15), "Sam Carter")
    recent = Trigger(Kind.NO_SHOW, MONDAY.date() - timedelta(days=14), "Sam Carter")
    assert plan(old, EVERYONE, now=MONDAY) == []
    assert len(plan(recent, EVERYONE, now=MONDAY)) == 1


def test_nobody_to_remind_means_no_reminder():
    assert plan(trigger(Kind.NO_SHOW), {Recipient.OWNER: []}, now=MONDAY) == []


# --- Second chance requested → every decider, in 3 days --------------------------------------


def test_request_gives_every_decider_a_decision_reminder_in_three_days_in_their_zone():
    planned = plan(trigger(Kind.SECOND_CHANCE_REQUESTED), EVERYONE, now=MONDAY)
    assert [(p.kind, p.user_id) for p in planned] == [
        (ReminderKind.DECISION, MANAGER_LONDON.id),
        (ReminderKind.DECISION, MANAGER_NEW_YORK.id),
    ]
    assert planned[0].due_at == datetime(2026, 3, 5, 9, 0, tzinfo=LONDON)
    assert planned[1].due_at == datetime(2026, 3, 5, 9, 0, tzinfo=NEW_YORK)
    assert planned[0].title == "Decide on Sam Carter's second chance"


# --- Second chance granted with an interview → preparation and check-in ----------------------


def test_grant_with_interview_gives_preparation_the_day_before_and_check_in_the_day_after():
    interview = datetime(2026, 3, 12, 14, 30, tzinfo=LONDON)  # a Thursday
    planned = plan(
        trigger(Kind.SECOND_CHANCE_GRANTED, interview_at=interview, job="Driver at Acme"),
        EVERYONE,
        now=MONDAY,
    )
    prep, check_in = planned
    assert (prep.kind, prep.user_id) == (ReminderKind.PREPARATION, OWNER.id)
    assert prep.due_at == datetime(2026, 3, 11, 9, 0, tzinfo=LONDON)
    assert "Thu 12 Mar 2026 at 14:30" in prep.body
    for item in PREPARATION_CHECKLIST:
        assert item in prep.body
    assert "Look sharper than the first time." in prep.body
    assert "Arrive ten minutes early, with the phone off." in prep.body
    assert (check_in.kind, check_in.user_id) == (ReminderKind.CHECK_IN, OWNER.id)
    assert check_in.due_at == datetime(2026, 3, 13, 9, 0, tzinfo=LONDON)
    assert "Log attended, or what went wrong." in check_in.body


def test_interview_tomorrow_morning_makes_the_preparation_due_at_once():
    evening = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
    interview = datetime(2026, 3, 3, 8, 0, tzinfo=LONDON)
    prep, _check_in = plan(
        trigger(Kind.SECOND_CHANCE_GRANTED, evening, interview_at=interview), EVERYONE, now=evening
    )
    assert prep.due_at == evening


def test_grant_with_a_past_interview_only_asks_how_it_went_if_there_is_still_time():
    this_morning = datetime(2026, 3, 2, 9, 0, tzinfo=LONDON)
    (check_in,) = plan(
        trigger(Kind.SECOND_CHANCE_GRANTED, interview_at=this_morning), EVERYONE, now=MONDAY
    )
    assert check_in.kind == ReminderKind.CHECK_IN
    assert check_in.due_at == datetime(2026, 3, 3, 9, 0, tzinfo=LONDON)
    last_week = datetime(2026, 2, 24, 9, 0, tzinfo=LONDON)
    assert (
        plan(trigger(Kind.SECOND_CHANCE_GRANTED, interview_at=last_week), EVERYONE, now=MONDAY)
        == []
    )


def test_grant_without_an_interview_date_creates_nothing():
    assert plan(trigger(Kind.SECOND_CHANCE_GRANTED), EVERYONE, now=MONDAY) == []


def test_other_events_create_nothing():
    for kind in (Kind.SCHEDULED, Kind.ATTENDED, Kind.OFFER_MADE, Kind.HIRED, Kind.FLAG_CLEARED):
        assert plan(trigger(kind), EVERYONE, now=MONDAY) == []


# --- What completes what ----------------------------------------------------------------------


def test_attending_completes_the_preparation_the_check_in_and_the_follow_up():
    assert completed_kinds(Kind.ATTENDED) == {
        ReminderKind.PREPARATION,
        ReminderKind.CHECK_IN,
        ReminderKind.FOLLOW_UP,
    }
    assert completed_kinds(Kind.HIRED) == completed_kinds(Kind.ATTENDED)


def test_a_decision_completes_the_decision_and_the_follow_up():
    for decision in (Kind.SECOND_CHANCE_GRANTED, Kind.SECOND_CHANCE_REFUSED):
        assert completed_kinds(decision) == {ReminderKind.DECISION, ReminderKind.FOLLOW_UP}


def test_a_request_answers_the_follow_up_call():
    assert completed_kinds(Kind.SECOND_CHANCE_REQUESTED) == {ReminderKind.FOLLOW_UP}


def test_a_misstep_says_what_went_wrong_so_it_completes_the_check_in_not_its_own_follow_up():
    assert completed_kinds(Kind.NO_SHOW) == {ReminderKind.PREPARATION, ReminderKind.CHECK_IN}


def test_nothing_completes_a_manual_reminder():
    assert all(ReminderKind.MANUAL not in completed_kinds(kind) for kind in Kind)


def test_why_no_reminder_names_the_lateness_the_rules_stand_aside_for():
    now = datetime(2026, 4, 1, 10, 0, tzinfo=UTC)
    assert why_no_reminder(Kind.NO_SHOW, date(2026, 3, 2), now).startswith(
        "No follow-up: this was logged 30 days after it happened"
    )
    assert why_no_reminder(Kind.SECOND_CHANCE_REQUESTED, date(2026, 3, 2), now).startswith(
        "No reminder: this was logged 30 days"
    )
    # In time (14 days is still in time), or a kind nobody is reminded about: nothing to say.
    assert why_no_reminder(Kind.NO_SHOW, date(2026, 3, 18), now) == ""
    assert why_no_reminder(Kind.ATTENDED, date(2026, 1, 2), now) == ""


# --- The preparation falls on the last working day before the interview ---------------------


def test_preparation_for_a_monday_interview_is_due_on_the_friday_before():
    monday = datetime(2026, 3, 16, 10, 0, tzinfo=LONDON)
    prep, _check_in = plan(
        trigger(Kind.SECOND_CHANCE_GRANTED, interview_at=monday), EVERYONE, now=MONDAY
    )
    assert prep.due_at == datetime(2026, 3, 13, 9, 0, tzinfo=LONDON)  # Friday
    assert prep.due_at.weekday() == 4


def test_preparation_for_a_sunday_or_saturday_interview_is_due_on_the_friday_before():
    for day in (14, 15):  # Saturday and Sunday 14 and 15 March 2026
        weekend = datetime(2026, 3, day, 10, 0, tzinfo=LONDON)
        prep, _check_in = plan(
            trigger(Kind.SECOND_CHANCE_GRANTED, interview_at=weekend), EVERYONE, now=MONDAY
        )
        assert prep.due_at == datetime(2026, 3, 13, 9, 0, tzinfo=LONDON)


def test_preparation_is_never_due_on_a_weekend():
    for offset in range(3, 40):
        interview = datetime(2026, 3, 2, 15, 0, tzinfo=LONDON) + timedelta(days=offset)
        prep = plan(
            trigger(Kind.SECOND_CHANCE_GRANTED, interview_at=interview), EVERYONE, now=MONDAY
        )[0]
        assert prep.due_at.astimezone(LONDON).weekday() < 5, interview
        assert prep.due_at < interview
