"""The recovery engine against the contract (docs/recovery-model.md).

Plain Python, no database: every test builds a history of `EventFact`s and `NoteFact`s and
reads what `evaluate()` says about it as of a date. Each boundary the contract names is its
own test: calendar months (strict, month-end clamping, leap day), the 6- and 24-month edges,
the as-of cut-off, same-day order, the latest note per author, rounding half up, the caps,
the status rules in order, advice, explanations and `changes_on`.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from candidates.engine import (
    MISSTEP_NOUNS,
    MISSTEPS,
    Advice,
    Dimension,
    Evaluation,
    EventFact,
    Kind,
    NoteFact,
    Status,
    evaluate,
    explain,
    human_date,
    iso_date,
    months_before,
    within_months,
)

AS_OF = date(2026, 11, 25)  # the contract's own example date
DAY = timedelta(days=1)

_recorded = itertools.count(1)


def d(text: str) -> date:
    return date.fromisoformat(text)


def event(
    kind: Kind,
    on: str,
    *,
    seq: int | None = None,
    reason: str | None = None,
    client: str = "",
    job: str = "",
) -> EventFact:
    """An event; `seq` defaults to the order the test creates events (the recorded order)."""
    if reason is None:
        reason = "unknown" if kind.is_misstep else ""
    return EventFact(
        kind=kind,
        occurred_on=d(on),
        seq=next(_recorded) if seq is None else seq,
        reason=reason,
        client=client,
        job=job,
    )


def note(dimension: Dimension, level: int, author: str, on: str, *, seq: int = 0) -> NoteFact:
    return NoteFact(dimension=dimension, level=level, author=author, noted_on=d(on), seq=seq)


def outcome(result: Evaluation) -> tuple[Status, int, Advice, list[str]]:
    """What a user sees and what the daily re-evaluation stores."""
    return result.status, result.risk_score, result.advice, result.explanation


def status_of(*events: EventFact, as_of: date = AS_OF) -> Status:
    return evaluate(events, as_of=as_of).status


def score_of(events=(), notes=(), *, as_of: date = AS_OF) -> int:
    return evaluate(events, notes, as_of=as_of).risk_score


def text_of(result: Evaluation) -> str:
    return " | ".join(result.explanation)


# --- Calendar months --------------------------------------------------------------------


def test_six_months_before_august_31st_is_february_28th():
    assert months_before(d("2026-08-31"), 6) == d("2026-02-28")


def test_six_months_before_august_31st_of_a_leap_year_is_february_29th():
    assert months_before(d("2024-08-31"), 6) == d("2024-02-29")


def test_24_months_before_february_28th_2026_is_february_28th_2024():
    assert months_before(d("2026-02-28"), 24) == d("2024-02-28")


def test_within_months_is_strict_as_in_the_contract_example():
    # "as of 2026-11-25, within 24 months means after 2024-11-25, and within 6 months
    # means after 2026-05-25"
    assert not within_months(d("2024-11-25"), AS_OF, 24)
    assert within_months(d("2024-11-26"), AS_OF, 24)
    assert not within_months(d("2026-05-25"), AS_OF, 6)
    assert within_months(d("2026-05-26"), AS_OF, 6)


# --- The 24-month edge (live / expired) ---------------------------------------------------


def test_misstep_exactly_24_months_before_is_expired():
    result = evaluate([event(Kind.NO_SHOW, "2024-11-25")], as_of=AS_OF)
    assert result.status == Status.CLEAN
    assert result.live_missteps == 0
    assert result.last_misstep_on is None
    assert result.risk_score == 0


def test_misstep_the_day_after_the_24_month_edge_is_live():
    result = evaluate([event(Kind.NO_SHOW, "2024-11-26")], as_of=AS_OF)
    assert result.status == Status.STUMBLED
    assert result.live_missteps == 1
    assert result.last_misstep_on == d("2024-11-26")
    assert result.risk_score == 15  # 3 x 10 x 0.5


def test_misstep_on_leap_day_is_still_live_on_february_28th_two_years_later():
    # As of 2026-02-28, 24 months back is 2024-02-28: the 29th is after it.
    history = [event(Kind.LATE, "2024-02-29")]
    assert evaluate(history, as_of=d("2026-02-28")).status == Status.STUMBLED


def test_misstep_on_leap_day_expires_on_march_1st_two_years_later():
    history = [event(Kind.LATE, "2024-02-29")]
    assert evaluate(history, as_of=d("2026-03-01")).status == Status.CLEAN


def test_misstep_on_february_28th_is_expired_on_february_28th_two_years_later():
    history = [event(Kind.LATE, "2024-02-28")]
    assert evaluate(history, as_of=d("2026-02-28")).status == Status.CLEAN


# --- The 6-month edge (recency 1.0 / 0.5) -------------------------------------------------


def test_misstep_exactly_6_months_before_counts_at_half_recency():
    assert score_of([event(Kind.LATE, "2026-05-25")]) == 5


def test_misstep_the_day_after_the_6_month_edge_counts_at_full_recency():
    assert score_of([event(Kind.LATE, "2026-05-26")]) == 10


def test_misstep_on_the_as_of_date_counts_at_full_recency():
    result = evaluate([event(Kind.LATE, "2026-11-25")], as_of=AS_OF)
    assert result.status == Status.STUMBLED
    assert result.risk_score == 10


def test_misstep_on_february_28th_is_older_than_6_months_as_of_august_31st():
    assert score_of([event(Kind.LATE, "2026-02-28")], as_of=d("2026-08-31")) == 5


def test_misstep_on_march_1st_is_within_6_months_as_of_august_31st():
    assert score_of([event(Kind.LATE, "2026-03-01")], as_of=d("2026-08-31")) == 10


def test_misstep_on_leap_day_is_older_than_6_months_as_of_august_31st_2024():
    assert score_of([event(Kind.LATE, "2024-02-29")], as_of=d("2024-08-31")) == 5
    assert score_of([event(Kind.LATE, "2024-03-01")], as_of=d("2024-08-31")) == 10


def test_misstep_on_august_31st_is_still_recent_on_february_28th():
    # As of 2026-02-28, six months back is 2025-08-28 (clamped): the 31st is after it.
    assert score_of([event(Kind.LATE, "2025-08-31")], as_of=d("2026-02-28")) == 10
    assert score_of([event(Kind.LATE, "2025-08-31")], as_of=d("2026-03-01")) == 5


# --- Dated after the as-of date -----------------------------------------------------------


def test_misstep_dated_after_as_of_is_left_out():
    result = evaluate([event(Kind.NO_SHOW, "2026-11-26")], as_of=AS_OF)
    assert result.status == Status.CLEAN
    assert result.risk_score == 0
    assert result.live_missteps == 0


def test_attended_dated_after_as_of_does_not_recover():
    history = [event(Kind.NO_SHOW, "2026-11-01"), event(Kind.ATTENDED, "2026-11-26")]
    assert status_of(*history) == Status.STUMBLED


def test_flag_dated_after_as_of_is_left_out():
    assert status_of(event(Kind.DO_NOT_RESUBMIT, "2026-11-26")) == Status.CLEAN


def test_flag_cleared_after_as_of_does_not_lift_the_flag_yet():
    history = [event(Kind.DO_NOT_RESUBMIT, "2026-11-01"), event(Kind.FLAG_CLEARED, "2026-12-01")]
    assert status_of(*history) == Status.BURNED


def test_note_dated_after_as_of_is_left_out():
    notes = [note(Dimension.TRUST, 5, "ann@northwind.test", "2026-11-26")]
    assert score_of(notes=notes) == 0


def test_authors_earlier_note_counts_while_their_newer_note_is_in_the_future():
    notes = [
        note(Dimension.TRUST, 4, "ann@northwind.test", "2026-10-01"),
        note(Dimension.TRUST, 1, "ann@northwind.test", "2026-12-01"),
    ]
    assert score_of(notes=notes) == 10


# --- Same-day order (the order they were recorded) ----------------------------------------


def test_same_day_order_decides_recovery():
    attended_after = [
        event(Kind.NO_SHOW, "2026-11-10", seq=1),
        event(Kind.ATTENDED, "2026-11-10", seq=2),
    ]
    attended_before = [
        event(Kind.ATTENDED, "2026-11-10", seq=1),
        event(Kind.NO_SHOW, "2026-11-10", seq=2),
    ]
    assert status_of(*attended_after) == Status.RECOVERED
    assert status_of(*attended_before) == Status.STUMBLED


def test_same_day_order_comes_from_seq_not_from_list_order():
    history = [
        event(Kind.ATTENDED, "2026-11-10", seq=2),
        event(Kind.NO_SHOW, "2026-11-10", seq=1),
    ]
    assert status_of(*history) == Status.RECOVERED
    assert status_of(*reversed(history)) == Status.RECOVERED


def test_date_order_comes_before_seq():
    # A later date wins even when it was recorded first (back-dated entry).
    history = [
        event(Kind.ATTENDED, "2026-11-12", seq=1),
        event(Kind.NO_SHOW, "2026-11-10", seq=2),
    ]
    assert status_of(*history) == Status.RECOVERED


def test_same_day_order_decides_whether_the_second_chance_was_spent():
    grant_first = [
        event(Kind.SECOND_CHANCE_GRANTED, "2026-11-10", seq=1),
        event(Kind.NO_SHOW, "2026-11-10", seq=2),
    ]
    misstep_first = [
        event(Kind.NO_SHOW, "2026-11-10", seq=1),
        event(Kind.SECOND_CHANCE_GRANTED, "2026-11-10", seq=2),
    ]
    assert status_of(*grant_first) == Status.BURNED
    assert status_of(*misstep_first) == Status.SECOND_CHANCE


def test_same_day_order_decides_whether_a_flag_stands():
    cleared_last = [
        event(Kind.DO_NOT_RESUBMIT, "2026-11-10", seq=1),
        event(Kind.FLAG_CLEARED, "2026-11-10", seq=2),
    ]
    flagged_last = [
        event(Kind.FLAG_CLEARED, "2026-11-10", seq=1),
        event(Kind.DO_NOT_RESUBMIT, "2026-11-10", seq=2),
    ]
    assert status_of(*cleared_last) == Status.CLEAN
    assert status_of(*flagged_last) == Status.BURNED


def test_same_day_order_decides_the_latest_second_chance_event():
    base = event(Kind.NO_SHOW, "2026-11-01", seq=1)
    refused_last = [
        base,
        event(Kind.SECOND_CHANCE_REQUESTED, "2026-11-10", seq=2),
        event(Kind.SECOND_CHANCE_REFUSED, "2026-11-10", seq=3),
    ]
    requested_last = [
        base,
        event(Kind.SECOND_CHANCE_REFUSED, "2026-11-10", seq=2),
        event(Kind.SECOND_CHANCE_REQUESTED, "2026-11-10", seq=3),
    ]
    assert status_of(*refused_last) == Status.REFUSED
    assert status_of(*requested_last) == Status.REQUESTED


def test_same_day_order_decides_which_note_is_an_authors_latest():
    notes = [
        note(Dimension.TRUST, 1, "ann@northwind.test", "2026-11-10", seq=2),
        note(Dimension.TRUST, 5, "ann@northwind.test", "2026-11-10", seq=1),
    ]
    assert score_of(notes=notes) == 0


# --- Status rule 1: burned ----------------------------------------------------------------


def test_standing_flag_burns_a_candidate_with_no_missteps():
    result = evaluate([event(Kind.DO_NOT_RESUBMIT, "2026-01-05")], as_of=AS_OF)
    assert result.status == Status.BURNED
    assert result.advice == Advice.DO_NOT_RESUBMIT
    assert result.risk_score == 0


def test_cleared_flag_no_longer_burns():
    history = [event(Kind.DO_NOT_RESUBMIT, "2026-01-05"), event(Kind.FLAG_CLEARED, "2026-02-05")]
    assert status_of(*history) == Status.CLEAN


def test_flag_cleared_then_flagged_again_burns():
    history = [
        event(Kind.DO_NOT_RESUBMIT, "2026-01-05"),
        event(Kind.FLAG_CLEARED, "2026-02-05"),
        event(Kind.DO_NOT_RESUBMIT, "2026-03-05"),
    ]
    assert status_of(*history) == Status.BURNED


def test_flag_flag_clear_lifts_the_flag():
    history = [
        event(Kind.DO_NOT_RESUBMIT, "2026-01-05"),
        event(Kind.DO_NOT_RESUBMIT, "2026-02-05"),
        event(Kind.FLAG_CLEARED, "2026-03-05"),
    ]
    assert status_of(*history) == Status.CLEAN


def test_cleared_flag_falls_back_to_the_other_rules():
    history = [
        event(Kind.NO_SHOW, "2026-09-01"),
        event(Kind.DO_NOT_RESUBMIT, "2026-09-02"),
        event(Kind.FLAG_CLEARED, "2026-10-01"),
    ]
    assert status_of(*history) == Status.STUMBLED


def test_flag_never_expires():
    history = [event(Kind.DO_NOT_RESUBMIT, "2019-01-05")]
    assert status_of(*history) == Status.BURNED


def test_flag_outranks_recovery():
    history = [
        event(Kind.NO_SHOW, "2026-09-01"),
        event(Kind.ATTENDED, "2026-10-01"),
        event(Kind.DO_NOT_RESUBMIT, "2026-10-02"),
    ]
    assert status_of(*history) == Status.BURNED


def test_misstep_after_a_second_chance_granted_within_24_months_burns():
    history = [
        event(Kind.LATE, "2026-01-10"),
        event(Kind.SECOND_CHANCE_GRANTED, "2026-02-20"),
        event(Kind.LATE, "2026-03-02"),
    ]
    # Live weight is only 2: the spent second chance alone burns.
    assert status_of(*history) == Status.BURNED


def test_misstep_after_a_second_chance_granted_more_than_24_months_ago_does_not_burn():
    history = [
        event(Kind.SECOND_CHANCE_GRANTED, "2024-06-01"),
        event(Kind.NO_SHOW, "2026-06-01"),
    ]
    assert status_of(*history) == Status.STUMBLED


def test_grant_exactly_24_months_before_no_longer_makes_a_later_misstep_burn():
    history = [
        event(Kind.SECOND_CHANCE_GRANTED, "2024-11-25"),
        event(Kind.NO_SHOW, "2024-12-10"),
    ]
    assert status_of(*history) == Status.STUMBLED


def test_grant_the_day_after_the_24_month_edge_still_makes_a_later_misstep_burn():
    history = [
        event(Kind.SECOND_CHANCE_GRANTED, "2024-11-26"),
        event(Kind.NO_SHOW, "2024-12-10"),
    ]
    assert status_of(*history) == Status.BURNED


def test_spent_second_chance_burns_even_after_attending_later():
    history = [
        event(Kind.LATE, "2026-01-10"),
        event(Kind.SECOND_CHANCE_GRANTED, "2026-02-20"),
        event(Kind.LATE, "2026-03-02"),
        event(Kind.ATTENDED, "2026-04-02"),
        event(Kind.HIRED, "2026-05-02"),
    ]
    assert status_of(*history) == Status.BURNED


def test_live_misstep_weights_of_exactly_6_burn():
    assert status_of(event(Kind.NO_SHOW, "2025-06-01"), event(Kind.NO_SHOW, "2026-06-01")) == (
        Status.BURNED
    )
    assert status_of(event(Kind.RENEGED, "2025-06-01"), event(Kind.UNPREPARED, "2026-06-01")) == (
        Status.BURNED
    )


def test_live_misstep_weights_of_5_do_not_burn():
    assert status_of(event(Kind.RENEGED, "2025-06-01"), event(Kind.LATE, "2026-06-01")) == (
        Status.STUMBLED
    )


def test_expired_missteps_do_not_count_toward_the_burn_weight():
    history = [
        event(Kind.RENEGED, "2024-11-25"),  # exactly 24 months: expired
        event(Kind.NO_SHOW, "2026-06-01"),
    ]
    assert status_of(*history) == Status.STUMBLED


def test_burn_weight_counts_old_live_missteps_in_full_not_at_half_recency():
    # Recency halves the risk points, never the burn weight.
    history = [event(Kind.NO_SHOW, "2025-01-01"), event(Kind.NO_SHOW, "2025-02-01")]
    assert status_of(*history) == Status.BURNED


def test_weight_6_outranks_recovery():
    history = [
        event(Kind.NO_SHOW, "2026-07-01"),
        event(Kind.NO_SHOW, "2026-08-01"),
        event(Kind.ATTENDED, "2026-09-01"),
    ]
    assert status_of(*history) == Status.BURNED


def test_weight_6_stops_burning_once_a_misstep_expires():
    history = [event(Kind.NO_SHOW, "2024-12-01"), event(Kind.NO_SHOW, "2026-06-01")]
    assert evaluate(history, as_of=d("2026-11-30")).status == Status.BURNED
    assert evaluate(history, as_of=d("2026-12-01")).status == Status.STUMBLED


# --- Status rule 2: clean -----------------------------------------------------------------


def test_empty_history_is_clean():
    result = evaluate([], as_of=AS_OF)
    assert result.status == Status.CLEAN
    assert result.risk_score == 0
    assert result.advice == Advice.RESUBMIT
    assert result.changes_on is None


def test_history_without_missteps_is_clean():
    history = [
        event(Kind.SCHEDULED, "2026-01-01"),
        event(Kind.ATTENDED, "2026-01-08"),
        event(Kind.OFFER_MADE, "2026-01-15"),
        event(Kind.HIRED, "2026-01-20"),
    ]
    assert status_of(*history) == Status.CLEAN


def test_only_expired_missteps_is_clean():
    history = [event(Kind.RENEGED, "2023-01-01"), event(Kind.NO_SHOW, "2024-01-01")]
    assert status_of(*history) == Status.CLEAN


def test_second_chance_events_without_a_live_misstep_are_clean():
    history = [
        event(Kind.NO_SHOW, "2023-01-01"),
        event(Kind.SECOND_CHANCE_REQUESTED, "2025-01-01"),
    ]
    assert status_of(*history) == Status.CLEAN


# --- Status rule 3: recovered -------------------------------------------------------------


def test_attended_after_the_last_misstep_recovers_without_a_second_chance():
    assert status_of(event(Kind.NO_SHOW, "2026-06-01"), event(Kind.ATTENDED, "2026-07-01")) == (
        Status.RECOVERED
    )


def test_hired_after_the_last_misstep_recovers():
    assert status_of(event(Kind.DECLINED_OFFER, "2026-06-01"), event(Kind.HIRED, "2026-07-01")) == (
        Status.RECOVERED
    )


def test_attended_after_a_granted_second_chance_recovers():
    history = [
        event(Kind.NO_SHOW, "2026-06-01"),
        event(Kind.SECOND_CHANCE_REQUESTED, "2026-06-05"),
        event(Kind.SECOND_CHANCE_GRANTED, "2026-06-10"),
        event(Kind.ATTENDED, "2026-07-01"),
    ]
    assert status_of(*history) == Status.RECOVERED


def test_attended_before_the_misstep_does_not_recover():
    assert status_of(event(Kind.ATTENDED, "2026-05-01"), event(Kind.NO_SHOW, "2026-06-01")) == (
        Status.STUMBLED
    )


def test_recovery_must_follow_the_last_misstep_not_an_earlier_one():
    history = [
        event(Kind.LATE, "2026-03-01"),
        event(Kind.ATTENDED, "2026-04-01"),
        event(Kind.LATE, "2026-05-01"),
    ]
    assert status_of(*history) == Status.STUMBLED


def test_scheduled_or_offer_made_after_a_misstep_is_not_a_recovery():
    history = [
        event(Kind.LATE, "2026-03-01"),
        event(Kind.SCHEDULED, "2026-04-01"),
        event(Kind.OFFER_MADE, "2026-04-10"),
    ]
    assert status_of(*history) == Status.STUMBLED


def test_recovered_outranks_a_later_second_chance_event():
    history = [
        event(Kind.NO_SHOW, "2026-06-01"),
        event(Kind.ATTENDED, "2026-07-01"),
        event(Kind.SECOND_CHANCE_REQUESTED, "2026-08-01"),
    ]
    assert status_of(*history) == Status.RECOVERED


# --- Status rules 4 to 7: the latest second-chance event after the last misstep -----------


def test_granted_after_the_last_misstep_is_second_chance():
    history = [
        event(Kind.NO_SHOW, "2026-06-01"),
        event(Kind.SECOND_CHANCE_REQUESTED, "2026-06-05"),
        event(Kind.SECOND_CHANCE_GRANTED, "2026-06-10"),
    ]
    assert status_of(*history) == Status.SECOND_CHANCE


def test_refused_after_the_last_misstep_is_refused():
    history = [
        event(Kind.NO_SHOW, "2026-06-01"),
        event(Kind.SECOND_CHANCE_REQUESTED, "2026-06-05"),
        event(Kind.SECOND_CHANCE_REFUSED, "2026-06-10"),
    ]
    assert status_of(*history) == Status.REFUSED


def test_requested_after_the_last_misstep_is_requested():
    history = [event(Kind.NO_SHOW, "2026-06-01"), event(Kind.SECOND_CHANCE_REQUESTED, "2026-06-05")]
    assert status_of(*history) == Status.REQUESTED


def test_a_new_request_after_a_refusal_is_requested():
    history = [
        event(Kind.NO_SHOW, "2026-06-01"),
        event(Kind.SECOND_CHANCE_REQUESTED, "2026-06-05"),
        event(Kind.SECOND_CHANCE_REFUSED, "2026-06-10"),
        event(Kind.SECOND_CHANCE_REQUESTED, "2026-07-01"),
    ]
    assert status_of(*history) == Status.REQUESTED


def test_refusal_after_a_grant_is_refused_the_latest_event_wins():
    history = [
        event(Kind.NO_SHOW, "2026-06-01"),
        event(Kind.SECOND_CHANCE_GRANTED, "2026-06-10"),
        event(Kind.SECOND_CHANCE_REFUSED, "2026-06-20"),
    ]
    assert status_of(*history) == Status.REFUSED


def test_grant_after_a_refusal_is_second_chance_the_latest_event_wins():
    history = [
        event(Kind.NO_SHOW, "2026-06-01"),
        event(Kind.SECOND_CHANCE_REFUSED, "2026-06-10"),
        event(Kind.SECOND_CHANCE_GRANTED, "2026-06-20"),
    ]
    assert status_of(*history) == Status.SECOND_CHANCE


def test_second_chance_events_before_the_last_misstep_do_not_count():
    history = [
        event(Kind.LATE, "2026-03-01"),
        event(Kind.SECOND_CHANCE_REQUESTED, "2026-03-05"),
        event(Kind.SECOND_CHANCE_REFUSED, "2026-03-10"),
        event(Kind.LATE, "2026-05-01"),
    ]
    assert status_of(*history) == Status.STUMBLED


def test_live_misstep_with_nothing_after_it_is_stumbled():
    assert status_of(event(Kind.LATE, "2026-05-01")) == Status.STUMBLED


def test_stumbled_on_an_old_but_live_misstep():
    assert status_of(event(Kind.RENEGED, "2025-01-01")) == Status.STUMBLED


# --- Risk score: missteps -----------------------------------------------------------------

WEIGHTS = {
    Kind.DECLINED_INTERVIEW: 1,
    Kind.LATE: 1,
    Kind.DECLINED_OFFER: 1,
    Kind.WITHDREW: 1,
    Kind.BLEW_INTERVIEW: 2,
    Kind.UNPREPARED: 2,
    Kind.NO_SHOW: 3,
    Kind.RENEGED: 4,
    Kind.LEFT_EARLY: 4,  # added with the contract's new misstep
}


@pytest.mark.parametrize("kind", list(WEIGHTS), ids=str)
def test_recent_misstep_adds_its_weight_times_10(kind):
    assert score_of([event(kind, "2026-10-01")]) == WEIGHTS[kind] * 10


@pytest.mark.parametrize("kind", list(WEIGHTS), ids=str)
def test_misstep_6_to_24_months_old_adds_half_its_weight_times_10(kind):
    assert score_of([event(kind, "2025-10-01")]) == WEIGHTS[kind] * 5


@pytest.mark.parametrize("kind", [k for k in Kind if k not in WEIGHTS], ids=str)
def test_other_kinds_add_no_risk(kind):
    assert score_of([event(kind, "2026-10-01")]) == 0


def test_misstep_points_add_up():
    history = [event(Kind.LATE, "2026-10-01"), event(Kind.BLEW_INTERVIEW, "2025-10-01")]
    assert score_of(history) == 10 + 10


def test_expired_misstep_adds_no_risk():
    assert score_of([event(Kind.RENEGED, "2024-11-25")]) == 0


def test_misstep_points_are_capped_at_60():
    history = [event(Kind.RENEGED, "2026-09-01"), event(Kind.RENEGED, "2026-10-01")]  # 80
    assert score_of(history) == 60


def test_misstep_cap_applies_before_the_notes_are_added():
    history = [event(Kind.RENEGED, "2026-09-01"), event(Kind.RENEGED, "2026-10-01")]
    notes = [note(Dimension.TRUST, 4, "ann@northwind.test", "2026-10-01")]
    assert score_of(history, notes) == 60 + 10


def test_score_is_at_most_100_with_every_term_at_its_maximum():
    # 60 (capped missteps) + 3 x 13.33: the contract's numbers top out at exactly 100.
    history = [event(Kind.RENEGED, f"2026-{m:02d}-01") for m in range(6, 11)]
    notes = [note(dim, 5, author, "2026-10-01") for dim in Dimension for author in ("a", "b")]
    assert score_of(history, notes) == 100


# --- Risk score: notes --------------------------------------------------------------------


def test_note_level_1_adds_nothing():
    assert score_of(notes=[note(Dimension.COMMUTE, 1, "ann", "2026-10-01")]) == 0


def test_note_level_5_adds_13_33_and_no_more():
    result = evaluate([], [note(Dimension.COMMUTE, 5, "ann", "2026-10-01")], as_of=AS_OF)
    assert result.risk_score == 13
    assert result.dimension_scores["commute"] == pytest.approx(13.333, abs=0.001)


def test_several_authors_at_level_5_still_add_at_most_13_33():
    notes = [note(Dimension.COMMUTE, 5, author, "2026-10-01") for author in "abcde"]
    result = evaluate([], notes, as_of=AS_OF)
    assert result.dimension_scores["commute"] == pytest.approx(13.333, abs=0.001)
    assert result.risk_score == 13


def test_each_dimension_adds_its_own_term():
    notes = [note(dim, 5, "ann", "2026-10-01") for dim in Dimension]
    assert score_of(notes=notes) == 40


def test_an_authors_older_note_on_the_same_dimension_is_ignored():
    notes = [
        note(Dimension.FLAKINESS, 5, "ann@northwind.test", "2026-01-01"),
        note(Dimension.FLAKINESS, 2, "ann@northwind.test", "2026-06-01"),
    ]
    assert score_of(notes=notes) == 3  # 3.33, not the average of 5 and 2


def test_an_authors_note_on_another_dimension_is_kept():
    notes = [
        note(Dimension.FLAKINESS, 4, "ann@northwind.test", "2026-01-01"),
        note(Dimension.TRUST, 4, "ann@northwind.test", "2026-06-01"),
    ]
    assert score_of(notes=notes) == 20


def test_several_authors_latest_notes_are_averaged():
    notes = [
        note(Dimension.TRUST, 5, "ann@northwind.test", "2026-01-01"),
        note(Dimension.TRUST, 1, "bob@northwind.test", "2026-02-01"),
    ]
    assert score_of(notes=notes) == 7  # average 3 -> 6.67


def test_averaging_uses_each_authors_latest_note_only():
    notes = [
        note(Dimension.TRUST, 1, "ann@northwind.test", "2026-01-01"),
        note(Dimension.TRUST, 5, "ann@northwind.test", "2026-03-01"),
        note(Dimension.TRUST, 5, "bob@northwind.test", "2026-02-01"),
    ]
    assert score_of(notes=notes) == 13  # average of 5 and 5, not of 1, 5, 5


def test_note_author_is_case_insensitive():
    notes = [
        note(Dimension.TRUST, 5, "Ann@Northwind.test", "2026-01-01"),
        note(Dimension.TRUST, 1, "ann@northwind.test", "2026-02-01"),
    ]
    assert score_of(notes=notes) == 0  # one author, whose latest note is level 1


# --- Risk score: rounding half up ---------------------------------------------------------


def test_score_landing_on_2_5_rounds_up_to_3():
    # Four authors 2, 2, 2, 1: average 1.75 -> 0.75 x 10 / 3 = 2.5 (round() would give 2).
    notes = [
        note(Dimension.TRUST, level, author, "2026-10-01")
        for level, author in zip((2, 2, 2, 1), "abcd", strict=True)
    ]
    assert score_of(notes=notes) == 3


def test_score_landing_on_12_5_rounds_up_to_13():
    notes = [
        note(Dimension.TRUST, level, author, "2026-10-01")
        for level, author in zip((2, 2, 2, 1), "abcd", strict=True)
    ]
    assert score_of([event(Kind.LATE, "2026-10-01")], notes) == 13  # 10 + 2.5


def test_score_summing_thirds_and_sixths_to_exactly_2_5_rounds_up_to_3():
    # 5/3 + 5/6 = 2.5 exactly; in floating point the sum could fall just short of it.
    notes = [
        note(Dimension.COMMUTE, 2, "a", "2026-10-01"),
        note(Dimension.COMMUTE, 1, "b", "2026-10-01"),  # average 1.5 -> 5/3
        note(Dimension.TRUST, 2, "a", "2026-10-01"),
        note(Dimension.TRUST, 1, "b", "2026-10-01"),
        note(Dimension.TRUST, 1, "c", "2026-10-01"),
        note(Dimension.TRUST, 1, "d", "2026-10-01"),  # average 1.25 -> 5/6
    ]
    assert score_of(notes=notes) == 3


def test_score_of_4_44_rounds_down_to_4():
    # Three authors 3, 2, 2: average 7/3 -> 40/9 = 4.444...
    notes = [
        note(Dimension.FLAKINESS, level, author, "2026-10-01")
        for level, author in zip((3, 2, 2), "abc", strict=True)
    ]
    assert score_of(notes=notes) == 4


def test_score_of_3_33_rounds_down_to_3():
    assert score_of(notes=[note(Dimension.TRUST, 2, "a", "2026-10-01")]) == 3


def test_score_of_6_67_rounds_up_to_7():
    assert score_of(notes=[note(Dimension.TRUST, 3, "a", "2026-10-01")]) == 7


def test_three_thirds_sum_to_exactly_10():
    notes = [note(dim, 2, "a", "2026-10-01") for dim in Dimension]
    assert score_of(notes=notes) == 10


# --- Advice -------------------------------------------------------------------------------


def test_burned_advises_do_not_resubmit_even_with_a_low_score():
    result = evaluate([event(Kind.DO_NOT_RESUBMIT, "2026-10-01")], as_of=AS_OF)
    assert (result.status, result.risk_score, result.advice) == (
        Status.BURNED,
        0,
        Advice.DO_NOT_RESUBMIT,
    )


@pytest.mark.parametrize(
    ("after_misstep", "status"),
    [
        ((), Status.STUMBLED),
        ((Kind.SECOND_CHANCE_REQUESTED,), Status.REQUESTED),
        ((Kind.SECOND_CHANCE_REQUESTED, Kind.SECOND_CHANCE_REFUSED), Status.REFUSED),
    ],
    ids=["stumbled", "requested", "refused"],
)
def test_caution_for_stumbled_requested_and_refused_even_with_a_low_score(after_misstep, status):
    history = [event(Kind.LATE, "2025-06-01")]  # 5 points
    history += [event(kind, f"2025-07-{i + 1:02d}") for i, kind in enumerate(after_misstep)]
    result = evaluate(history, as_of=AS_OF)
    assert (result.status, result.risk_score, result.advice) == (status, 5, Advice.CAUTION)


def test_second_chance_with_a_low_score_advises_resubmit():
    history = [event(Kind.LATE, "2025-06-01"), event(Kind.SECOND_CHANCE_GRANTED, "2025-07-01")]
    result = evaluate(history, as_of=AS_OF)
    assert (result.status, result.advice) == (Status.SECOND_CHANCE, Advice.RESUBMIT)


def test_recovered_with_a_low_score_advises_resubmit():
    history = [event(Kind.LATE, "2025-06-01"), event(Kind.ATTENDED, "2025-07-01")]
    result = evaluate(history, as_of=AS_OF)
    assert (result.status, result.advice) == (Status.RECOVERED, Advice.RESUBMIT)


def test_clean_advises_resubmit():
    assert evaluate([], as_of=AS_OF).advice == Advice.RESUBMIT


def test_recovered_at_39_advises_resubmit():
    history = [event(Kind.NO_SHOW, "2026-10-01"), event(Kind.ATTENDED, "2026-10-15")]  # 30
    notes = [  # 4, 4, 4, 3: average 3.75 -> 9.17
        note(Dimension.TRUST, level, author, "2026-10-01")
        for level, author in zip((4, 4, 4, 3), "abcd", strict=True)
    ]
    result = evaluate(history, notes, as_of=AS_OF)
    assert (result.status, result.risk_score, result.advice) == (
        Status.RECOVERED,
        39,
        Advice.RESUBMIT,
    )


def test_recovered_at_40_advises_caution():
    history = [event(Kind.NO_SHOW, "2026-10-01"), event(Kind.ATTENDED, "2026-10-15")]  # 30
    notes = [note(Dimension.TRUST, 4, "a", "2026-10-01")]  # 10
    result = evaluate(history, notes, as_of=AS_OF)
    assert (result.status, result.risk_score, result.advice) == (
        Status.RECOVERED,
        40,
        Advice.CAUTION,
    )


def test_clean_at_39_advises_resubmit():
    notes = [
        note(Dimension.TRUST, 5, "a", "2026-10-01"),
        note(Dimension.COMMUTE, 5, "a", "2026-10-01"),
        *(  # 5, 5, 5, 4: average 4.75 -> 12.5
            note(Dimension.FLAKINESS, level, author, "2026-10-01")
            for level, author in zip((5, 5, 5, 4), "abcd", strict=True)
        ),
    ]
    result = evaluate([], notes, as_of=AS_OF)
    assert (result.status, result.risk_score, result.advice) == (
        Status.CLEAN,
        39,
        Advice.RESUBMIT,
    )


def test_clean_at_40_advises_caution():
    notes = [note(dim, 5, "a", "2026-10-01") for dim in Dimension]
    result = evaluate([], notes, as_of=AS_OF)
    assert (result.status, result.risk_score, result.advice) == (
        Status.CLEAN,
        40,
        Advice.CAUTION,
    )


def test_second_chance_at_40_advises_caution():
    history = [event(Kind.NO_SHOW, "2026-10-01"), event(Kind.SECOND_CHANCE_GRANTED, "2026-10-15")]
    notes = [note(Dimension.TRUST, 4, "a", "2026-10-01")]
    result = evaluate(history, notes, as_of=AS_OF)
    assert (result.status, result.risk_score, result.advice) == (
        Status.SECOND_CHANCE,
        40,
        Advice.CAUTION,
    )


# --- Explanations -------------------------------------------------------------------------


def test_spent_second_chance_is_explained_as_in_the_contract():
    history = [
        event(Kind.LATE, "2026-01-10", client="Acme", job="Forklift operator"),
        event(Kind.SECOND_CHANCE_GRANTED, "2026-02-20", client="Acme", job="Forklift operator"),
        event(Kind.NO_SHOW, "2026-03-02", client="Acme", job="Forklift operator"),
    ]
    result = evaluate(history, as_of=AS_OF)
    assert result.status == Status.BURNED
    assert (
        "No-show on 2026-03-02 (Acme, Forklift operator) after a second chance granted on "
        "2026-02-20" in text_of(result)
    )


def test_flag_explanation_names_the_flag_and_its_date():
    result = evaluate([event(Kind.DO_NOT_RESUBMIT, "2026-01-05")], as_of=AS_OF)
    text = text_of(result).lower()
    assert "do not resubmit" in text or "do-not-resubmit" in text
    assert "2026-01-05" in text


def test_burn_by_weight_explains_the_weight_and_lists_each_live_misstep():
    history = [
        event(Kind.RENEGED, "2025-06-01", client="Acme", job="Forklift operator"),
        event(Kind.BLEW_INTERVIEW, "2026-06-01", client="Globex", job="Picker", reason="illness"),
        event(Kind.NO_SHOW, "2024-01-01"),  # expired: not listed
    ]
    result = evaluate(history, as_of=AS_OF)
    text = text_of(result)
    assert result.status == Status.BURNED
    assert "6" in result.explanation[0]
    assert "Reneged on offer on 2025-06-01 (Acme, Forklift operator)" in text
    assert "Blew interview on 2026-06-01 (Globex, Picker)" in text
    assert "illness" in text
    assert "2024-01-01" not in text


def test_clean_without_missteps_says_so():
    assert "no missteps" in text_of(evaluate([], as_of=AS_OF)).lower()


def test_clean_with_an_expired_misstep_names_it_as_expired():
    result = evaluate([event(Kind.NO_SHOW, "2024-01-01", client="Acme")], as_of=AS_OF)
    text = text_of(result)
    # Wording changed on purpose (issue 15): "the latest, a no-show on ..., has expired"
    # (was "the latest, No-show on ..., has expired").
    assert "the latest, a no-show on 2024-01-01 (Acme), has expired" in text


def test_recovered_explanation_names_the_recovery_and_the_misstep():
    history = [
        event(Kind.NO_SHOW, "2026-03-02", client="Acme", job="Forklift operator"),
        event(Kind.ATTENDED, "2026-04-10", client="Globex", job="Picker"),
    ]
    text = text_of(evaluate(history, as_of=AS_OF))
    assert "Attended interview on 2026-04-10 (Globex, Picker)" in text
    assert "no-show on 2026-03-02 (acme, forklift operator)" in text.lower()


def test_second_chance_explanation_names_the_grant_and_the_misstep():
    history = [
        event(Kind.NO_SHOW, "2026-03-02", client="Acme", job="Forklift operator"),
        event(Kind.SECOND_CHANCE_GRANTED, "2026-03-20"),
    ]
    text = text_of(evaluate(history, as_of=AS_OF))
    assert "Second chance granted on 2026-03-20" in text
    assert "2026-03-02" in text
    assert "no-show" in text.lower()


def test_refused_explanation_names_the_refusal_and_the_misstep():
    history = [
        event(Kind.LATE, "2026-03-02"),
        event(Kind.SECOND_CHANCE_REFUSED, "2026-03-20"),
    ]
    text = text_of(evaluate(history, as_of=AS_OF))
    assert "Second chance refused on 2026-03-20" in text
    assert "2026-03-02" in text


def test_requested_explanation_names_the_request_and_the_misstep():
    history = [
        event(Kind.LATE, "2026-03-02"),
        event(Kind.SECOND_CHANCE_REQUESTED, "2026-03-20"),
    ]
    text = text_of(evaluate(history, as_of=AS_OF))
    assert "Second chance requested on 2026-03-20" in text
    assert "2026-03-02" in text


def test_stumbled_explanation_names_the_last_misstep_and_its_reason():
    history = [
        event(Kind.LATE, "2026-01-02"),
        event(Kind.DECLINED_INTERVIEW, "2026-03-02", client="Acme", reason="commute"),
    ]
    text = text_of(evaluate(history, as_of=AS_OF))
    assert "Declined interview on 2026-03-02 (Acme)" in text
    assert "commute" in text


def test_explanation_leaves_out_empty_client_and_job():
    text = text_of(evaluate([event(Kind.LATE, "2026-03-02")], as_of=AS_OF))
    assert "Late to interview on 2026-03-02" in text
    assert "()" not in text


@pytest.mark.parametrize(
    "kind,noun",
    [
        (Kind.BLEW_INTERVIEW, "a blown interview"),
        (Kind.NO_SHOW, "a no-show"),
        (Kind.LATE, "a late arrival"),
        (Kind.UNPREPARED, "an unprepared interview"),
        (Kind.RENEGED, "a reneged offer"),
    ],
)
def test_after_a_misstep_reads_as_a_sentence(kind, noun):
    history = [
        event(kind, "2026-03-02", client="Acme", job="Picker", reason="illness"),
        event(Kind.ATTENDED, "2026-04-10"),
    ]
    assert text_of(evaluate(history, as_of=AS_OF)) == (
        f"Attended interview on 2026-04-10 after {noun} on 2026-03-02 (Acme, Picker), "
        "reason: illness"
    )


def test_every_setback_has_a_noun_for_after():
    # The missteps, and the employer's no: "after a rejection on 1 Nov 2026".
    assert set(MISSTEP_NOUNS) == set(MISSTEPS) | {Kind.REJECTED}


def test_pages_explain_with_human_dates_and_the_report_keeps_iso():
    history = [
        event(Kind.LATE, "2026-01-10", client="Acme", job="Forklift operator"),
        event(Kind.SECOND_CHANCE_GRANTED, "2026-02-20", client="Acme", job="Forklift operator"),
        event(Kind.NO_SHOW, "2026-03-02", client="Acme", job="Forklift operator"),
    ]
    assert evaluate(history, as_of=AS_OF).explanation == [
        "No-show on 2026-03-02 (Acme, Forklift operator) after a second chance granted on "
        "2026-02-20: the second chance was spent"
    ]
    assert explain(history, as_of=AS_OF) == [
        "No-show on 2 Mar 2026 (Acme, Forklift operator) after a second chance granted on "
        "20 Feb 2026: the second chance was spent"
    ]
    assert human_date(d("2026-11-16")) == "16 Nov 2026"


def test_explain_gives_the_stored_sentences_with_other_dates():
    history = [
        event(Kind.BLEW_INTERVIEW, "2026-11-16", reason="illness"),
        event(Kind.SECOND_CHANCE_REQUESTED, "2026-11-20"),
    ]
    stored = evaluate(history, as_of=AS_OF).explanation
    assert explain(history, as_of=AS_OF, dates=iso_date) == stored
    assert explain(history, as_of=AS_OF) == [
        "Second chance requested on 20 Nov 2026 after a blown interview on 16 Nov 2026, "
        "reason: illness; waiting for a decision"
    ]


def test_live_missteps_counts_only_live_ones():
    history = [
        event(Kind.LATE, "2024-01-01"),
        event(Kind.LATE, "2025-06-01"),
        event(Kind.LATE, "2026-06-01"),
    ]
    result = evaluate(history, as_of=AS_OF)
    assert result.live_missteps == 2
    assert result.last_misstep_on == d("2026-06-01")


# --- changes_on ---------------------------------------------------------------------------


def assert_changes_on(events, notes, as_of: date, expected: date) -> None:
    """`changes_on` is `expected`; the day before it the result is unchanged, on it it moves."""
    result = evaluate(events, notes, as_of=as_of)
    assert result.changes_on == expected
    assert outcome(evaluate(events, notes, as_of=expected - DAY)) == outcome(result)
    assert outcome(evaluate(events, notes, as_of=expected)) != outcome(result)


def test_changes_on_is_none_when_only_a_new_write_can_change_the_result():
    history = [
        event(Kind.ATTENDED, "2026-01-01"),
        event(Kind.DO_NOT_RESUBMIT, "2026-02-01"),
    ]
    notes = [note(Dimension.TRUST, 3, "a", "2026-01-01")]
    assert evaluate(history, notes, as_of=AS_OF).changes_on is None


def test_changes_on_is_none_once_every_misstep_has_expired():
    assert evaluate([event(Kind.NO_SHOW, "2020-01-01")], as_of=AS_OF).changes_on is None


def test_changes_on_is_the_day_a_misstep_leaves_the_6_month_window():
    history = [event(Kind.LATE, "2026-01-10")]
    assert_changes_on(history, [], d("2026-03-01"), d("2026-07-10"))
    assert evaluate(history, as_of=d("2026-07-09")).risk_score == 10
    assert evaluate(history, as_of=d("2026-07-10")).risk_score == 5


def test_changes_on_is_the_day_a_misstep_expires():
    history = [event(Kind.LATE, "2026-01-10")]
    assert_changes_on(history, [], d("2026-08-01"), d("2028-01-10"))
    assert evaluate(history, as_of=d("2028-01-09")).status == Status.STUMBLED
    assert evaluate(history, as_of=d("2028-01-10")).status == Status.CLEAN


def test_changes_on_follows_month_end_clamping_for_the_6_month_edge():
    # Recent through 2026-02-28 (six months back: 2025-08-28), half from 2026-03-01.
    assert_changes_on([event(Kind.LATE, "2025-08-31")], [], d("2026-01-01"), d("2026-03-01"))


def test_changes_on_follows_the_leap_day_for_the_24_month_edge():
    assert_changes_on([event(Kind.LATE, "2024-02-29")], [], d("2025-12-01"), d("2026-03-01"))


def test_changes_on_is_the_date_of_a_future_dated_event():
    history = [event(Kind.NO_SHOW, "2026-02-01"), event(Kind.ATTENDED, "2026-03-10")]
    assert_changes_on(history, [], d("2026-03-01"), d("2026-03-10"))
    assert evaluate(history, as_of=d("2026-03-10")).status == Status.RECOVERED


def test_changes_on_is_the_date_of_a_future_dated_flag():
    history = [event(Kind.DO_NOT_RESUBMIT, "2026-12-24")]
    assert_changes_on(history, [], AS_OF, d("2026-12-24"))


def test_changes_on_is_the_date_of_a_future_dated_note():
    notes = [note(Dimension.TRUST, 5, "a", "2026-12-01")]
    assert_changes_on([], notes, AS_OF, d("2026-12-01"))


def test_changes_on_is_the_day_a_spent_grant_leaves_the_24_month_window():
    history = [
        event(Kind.SECOND_CHANCE_GRANTED, "2024-06-01"),
        event(Kind.NO_SHOW, "2024-07-01"),
    ]
    assert_changes_on(history, [], d("2026-05-15"), d("2026-06-01"))
    assert evaluate(history, as_of=d("2026-05-31")).status == Status.BURNED
    assert evaluate(history, as_of=d("2026-06-01")).status == Status.STUMBLED


def test_changes_on_picks_the_earliest_of_several_dates():
    history = [
        event(Kind.LATE, "2026-01-10"),  # half recency from 2026-07-10
        event(Kind.LATE, "2026-02-10"),  # half recency from 2026-08-10
    ]
    assert_changes_on(history, [], d("2026-03-01"), d("2026-07-10"))


def test_changes_on_is_strictly_after_as_of():
    # A misstep leaving the 6-month window today already counted at half today.
    history = [event(Kind.LATE, "2026-05-25")]
    result = evaluate(history, as_of=AS_OF)
    assert result.changes_on == d("2028-05-25")
