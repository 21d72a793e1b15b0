"""The contract's new words in the engine: `rejected` (the employer's no: a setback, never a
misstep), `left_early` (a misstep of weight 4), `submitted` and `override` (neutral), the
status `rejected` (rule 8), reconsiderations, and the guard's decision (`judge`).

Every new rule is tested at the contract's strict date edges, as of 2026-11-25: within 24
months means after 2024-11-25.
"""

from __future__ import annotations

import pytest

from candidates.engine import (
    Advice,
    Kind,
    RejectionReason,
    Status,
    evaluate,
    judge,
    reasons_for,
)
from tests.test_engine import AS_OF, d, event, status_of, text_of


def rejected(on: str, reason: str = "fit", **kw):
    return event(Kind.REJECTED, on, reason=reason, **kw)


# --- rejected: a setback, not a misstep ---------------------------------------------------


def test_a_recent_rejection_is_status_rejected():
    result = evaluate([rejected("2026-11-20", client="Acme", job="Picker")], as_of=AS_OF)
    assert result.status == Status.REJECTED
    assert text_of(result) == (
        "Rejected by the employer on 2026-11-20 (Acme, Picker), reason: fit; "
        "the employer's no, not a misstep, and nothing has happened since"
    )


def test_a_rejection_adds_no_risk_and_advises_resubmit():
    result = evaluate([rejected("2026-11-20")], as_of=AS_OF)
    assert result.risk_score == 0
    assert result.advice == Advice.RESUBMIT
    assert result.live_missteps == 0
    assert result.last_misstep_on is None


def test_a_rejection_exactly_24_months_before_is_no_setback():
    assert status_of(rejected("2024-11-25")) == Status.CLEAN


def test_a_rejection_the_day_after_the_24_month_edge_is_a_setback():
    assert status_of(rejected("2024-11-26")) == Status.REJECTED


def test_a_rejection_dated_after_as_of_is_left_out():
    assert status_of(rejected("2026-11-26")) == Status.CLEAN


def test_a_rejection_leaving_the_window_is_a_date_the_status_changes_on():
    result = evaluate([rejected("2024-11-26")], as_of=AS_OF)
    assert result.changes_on == d("2026-11-26")
    assert evaluate([rejected("2024-11-26")], as_of=d("2026-11-26")).status == Status.CLEAN


def test_a_rejection_never_burns_even_after_a_granted_second_chance():
    history = [event(Kind.NO_SHOW, "2026-10-01"), event(Kind.SECOND_CHANCE_GRANTED, "2026-10-10")]
    assert status_of(*history, rejected("2026-11-01")) == Status.REJECTED


def test_rejections_do_not_count_toward_the_burn_weight():
    history = [event(Kind.RENEGED, "2026-10-01"), *(rejected(f"2026-11-0{i}") for i in range(1, 6))]
    result = evaluate(history, as_of=AS_OF)
    assert result.status == Status.REJECTED
    assert result.risk_score == 40


@pytest.mark.parametrize("reason", list(RejectionReason), ids=str)
def test_every_employer_reason_is_said_in_words(reason):
    result = evaluate([rejected("2026-11-20", reason=reason.value)], as_of=AS_OF)
    assert f"reason: {reason.value.replace('_', ' ')};" in text_of(result)


# --- The last setback: a misstep or a rejection, whichever is later -----------------------


def test_a_rejection_after_a_misstep_is_the_last_setback():
    assert status_of(event(Kind.LATE, "2026-10-01"), rejected("2026-11-01")) == Status.REJECTED


def test_a_misstep_after_a_rejection_is_stumbled():
    assert status_of(rejected("2026-10-01"), event(Kind.LATE, "2026-11-01")) == Status.STUMBLED


def test_same_day_the_one_recorded_last_is_the_last_setback():
    assert status_of(event(Kind.LATE, "2026-11-01"), rejected("2026-11-01")) == Status.REJECTED
    assert status_of(rejected("2026-11-01"), event(Kind.LATE, "2026-11-01")) == Status.STUMBLED


def test_a_live_misstep_still_burns_on_weight_after_a_later_rejection():
    history = [event(Kind.RENEGED, "2026-09-01"), event(Kind.BLEW_INTERVIEW, "2026-10-01")]
    assert status_of(*history, rejected("2026-11-01")) == Status.BURNED


def test_an_expired_misstep_before_a_live_rejection_leaves_status_rejected():
    assert status_of(event(Kind.NO_SHOW, "2024-11-25"), rejected("2026-01-01")) == Status.REJECTED


# --- Reconsiderations: a second chance after a rejection ---------------------------------


def test_a_request_after_a_rejection_is_requested():
    result = evaluate(
        [rejected("2026-11-01"), event(Kind.SECOND_CHANCE_REQUESTED, "2026-11-03")], as_of=AS_OF
    )
    assert result.status == Status.REQUESTED
    assert text_of(result) == (
        "Second chance requested on 2026-11-03 after a rejection on 2026-11-01, "
        "reason: fit; waiting for a decision"
    )
    assert result.advice == Advice.CAUTION


def test_a_granted_reconsideration_is_second_chance_and_refused_is_refused():
    asked = [rejected("2026-11-01"), event(Kind.SECOND_CHANCE_REQUESTED, "2026-11-03")]
    granted = event(Kind.SECOND_CHANCE_GRANTED, "2026-11-05")
    refused = event(Kind.SECOND_CHANCE_REFUSED, "2026-11-05")
    assert status_of(*asked, granted) == Status.SECOND_CHANCE
    assert status_of(*asked, refused) == Status.REFUSED


def test_hired_after_a_reconsideration_is_recovered():
    history = [
        rejected("2026-10-01"),
        event(Kind.SECOND_CHANCE_REQUESTED, "2026-10-03"),
        event(Kind.SECOND_CHANCE_GRANTED, "2026-10-05"),
        event(Kind.ATTENDED, "2026-10-20"),
        event(Kind.HIRED, "2026-11-01"),
    ]
    result = evaluate(history, as_of=AS_OF)
    assert result.status == Status.RECOVERED
    assert text_of(result).startswith("Hired on 2026-11-01 after a rejection")


def test_submitted_or_scheduled_after_a_rejection_is_still_rejected():
    history = [
        rejected("2026-10-01"),
        event(Kind.SUBMITTED, "2026-10-05"),
        event(Kind.SCHEDULED, "2026-10-06"),
    ]
    assert status_of(*history) == Status.REJECTED


def test_second_chance_events_before_the_last_rejection_do_not_count():
    history = [
        event(Kind.LATE, "2026-09-01"),
        event(Kind.SECOND_CHANCE_REQUESTED, "2026-09-02"),
        rejected("2026-10-01"),
    ]
    assert status_of(*history) == Status.REJECTED


def test_a_misstep_after_a_reconsideration_granted_burns():
    history = [
        rejected("2026-10-01"),
        event(Kind.SECOND_CHANCE_GRANTED, "2026-10-05"),
        event(Kind.NO_SHOW, "2026-10-20"),
    ]
    assert status_of(*history) == Status.BURNED


# --- left_early, submitted, override ------------------------------------------------------


def test_left_early_is_a_misstep_of_weight_4():
    result = evaluate([event(Kind.LEFT_EARLY, "2026-10-01", reason="personal")], as_of=AS_OF)
    assert result.status == Status.STUMBLED
    assert result.risk_score == 40
    assert result.advice == Advice.CAUTION


def test_left_early_exactly_24_months_before_has_expired():
    assert status_of(event(Kind.LEFT_EARLY, "2024-11-25")) == Status.CLEAN
    assert status_of(event(Kind.LEFT_EARLY, "2024-11-26")) == Status.STUMBLED


def test_left_early_plus_blew_interview_burns():
    assert (
        status_of(event(Kind.LEFT_EARLY, "2026-01-01"), event(Kind.BLEW_INTERVIEW, "2026-11-01"))
        == Status.BURNED
    )


@pytest.mark.parametrize("kind", [Kind.SUBMITTED, Kind.OVERRIDE], ids=str)
def test_submitted_and_override_are_neutral(kind):
    assert status_of(event(kind, "2026-11-01")) == Status.CLEAN
    assert evaluate([event(kind, "2026-11-01")], as_of=AS_OF).risk_score == 0
    assert status_of(event(Kind.LATE, "2026-10-01"), event(kind, "2026-11-01")) == Status.STUMBLED


def test_an_override_changes_no_status_rule_a_spent_chance_still_burns():
    history = [
        event(Kind.NO_SHOW, "2026-09-01"),
        event(Kind.SECOND_CHANCE_GRANTED, "2026-09-05"),
        event(Kind.LATE, "2026-09-20"),
        event(Kind.OVERRIDE, "2026-10-01"),
        event(Kind.SUBMITTED, "2026-10-01"),
        event(Kind.ATTENDED, "2026-10-15"),
    ]
    assert status_of(*history) == Status.BURNED


def test_reasons_per_kind():
    assert "commute" in reasons_for(Kind.NO_SHOW)
    assert "skills" not in reasons_for(Kind.NO_SHOW)
    assert reasons_for(Kind.REJECTED) == {r.value for r in RejectionReason}
    assert reasons_for(Kind.SUBMITTED) == set()


# --- The guard: may this action happen, given the history before it, on its date? ------

SPENT = [
    event(Kind.SECOND_CHANCE_GRANTED, "2026-10-20", client="Acme", job="Picker"),
    event(Kind.NO_SHOW, "2026-11-02", reason="commute", client="Acme", job="Picker"),
]


@pytest.mark.parametrize(
    "kind", [Kind.SUBMITTED, Kind.SCHEDULED, Kind.SECOND_CHANCE_REQUESTED], ids=str
)
def test_a_burned_candidate_is_refused_every_guarded_action_in_the_explanations_words(kind):
    verdict = judge(kind, SPENT, on=d("2026-11-05"))
    assert not verdict.allowed
    assert verdict.overridable
    assert (
        "Burned: no-show on 2 Nov 2026 (Acme, Picker) after a second chance granted on "
        "20 Oct 2026: the second chance was spent." in verdict.message
    )


@pytest.mark.parametrize(
    "kind",
    [k for k in Kind if k not in {Kind.SUBMITTED, Kind.SCHEDULED, Kind.SECOND_CHANCE_REQUESTED}],
    ids=str,
)
def test_other_kinds_are_never_guarded(kind):
    assert judge(kind, SPENT, on=d("2026-11-05"), job_state="closed").allowed


def test_a_guard_is_judged_as_of_the_actions_own_date():
    # The spent grant leaves the 24-month window on 2028-10-20: the burn with it.
    assert not judge(Kind.SUBMITTED, SPENT, on=d("2028-10-19")).allowed
    assert judge(Kind.SUBMITTED, SPENT, on=d("2028-10-20")).allowed


def test_events_after_the_actions_date_do_not_count():
    assert judge(Kind.SUBMITTED, SPENT, on=d("2026-11-01")).allowed


def test_a_standing_flag_refuses_and_a_cleared_one_does_not():
    flag = event(Kind.DO_NOT_RESUBMIT, "2026-11-01")
    verdict = judge(Kind.SCHEDULED, [flag], on=d("2026-11-02"))
    assert not verdict.allowed
    assert "Burned: flagged do not resubmit on 1 Nov 2026" in verdict.message
    cleared = event(Kind.FLAG_CLEARED, "2026-11-02")
    assert judge(Kind.SCHEDULED, [flag, cleared], on=d("2026-11-02")).allowed


def test_an_override_lets_one_burned_action_through():
    assert judge(Kind.SUBMITTED, SPENT, on=d("2026-11-05"), overridden=True).allowed


@pytest.mark.parametrize("state", ["filled", "closed"])
def test_a_filled_or_closed_job_refuses_and_no_override_lets_it_through(state):
    verdict = judge(
        Kind.SUBMITTED, [], on=AS_OF, job_state=state, job_name="Picker (Acme)", overridden=True
    )
    assert not verdict.allowed
    assert not verdict.overridable
    assert verdict.message == f"Picker (Acme) is {state}: it takes no new submitted."


def test_an_on_hold_job_warns_but_allows():
    verdict = judge(Kind.SCHEDULED, [], on=AS_OF, job_state="on_hold", job_name="Picker (Acme)")
    assert verdict.allowed
    assert "Picker (Acme) is on hold" in verdict.warning


def test_a_rejected_candidate_may_be_submitted_again():
    assert judge(Kind.SUBMITTED, [rejected("2026-11-01")], on=AS_OF).allowed


def test_caution_does_not_refuse():
    assert judge(Kind.SUBMITTED, [event(Kind.NO_SHOW, "2026-11-01")], on=AS_OF).allowed


def test_weight_of_6_refuses_from_the_day_it_is_reached():
    history = [event(Kind.RENEGED, "2026-11-01"), event(Kind.BLEW_INTERVIEW, "2026-11-10")]
    assert judge(Kind.SUBMITTED, history, on=d("2026-11-09")).allowed
    assert not judge(Kind.SUBMITTED, history, on=d("2026-11-10")).allowed
