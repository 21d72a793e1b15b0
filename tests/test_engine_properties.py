"""Properties of the recovery engine over random histories (hypothesis).

The daily re-evaluation stores a result and only looks again on `changes_on`; these
properties are what makes that safe, and what the contract promises for any history.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from candidates.engine import (
    MISSTEP_WEIGHTS,
    Advice,
    Dimension,
    EventFact,
    Kind,
    NoteFact,
    Status,
    evaluate,
    reasons_for,
)

CAUTION_STATUSES = {Status.STUMBLED, Status.REQUESTED, Status.REFUSED}

# Edges live at month ends and on leap days: draw as-of dates and offsets that reach them.
as_of_dates = st.one_of(
    st.dates(min_value=date(2023, 1, 1), max_value=date(2029, 12, 31)),
    st.sampled_from(
        [
            date(2026, 8, 31),
            date(2026, 2, 28),
            date(2026, 3, 1),
            date(2024, 2, 29),
            date(2024, 8, 31),
            date(2026, 11, 25),
            date(2028, 2, 29),
        ]
    ),
)


@st.composite
def dates_around(draw, as_of: date) -> date:
    """A date up to ~30 months before `as_of` (or a little after), often on a month edge."""
    if draw(st.booleans()):
        return as_of + timedelta(days=draw(st.integers(min_value=-900, max_value=120)))
    months = draw(st.sampled_from([0, 1, 5, 6, 7, 12, 23, 24, 25]))
    jiggle = draw(st.integers(min_value=-3, max_value=3))
    return as_of - relativedelta(months=months) + timedelta(days=jiggle)


@st.composite
def histories(draw):
    as_of = draw(as_of_dates)
    misstep_kinds = sorted(MISSTEP_WEIGHTS)
    kinds = st.one_of(st.sampled_from(misstep_kinds), st.sampled_from(list(Kind)))
    count = draw(st.integers(min_value=0, max_value=8))
    seqs = draw(st.permutations(range(1, count + 1)))
    events = []
    for seq in seqs:
        kind = draw(kinds)
        events.append(
            EventFact(
                kind=kind,
                occurred_on=draw(dates_around(as_of)),
                seq=seq,
                reason=draw(st.sampled_from(sorted(reasons_for(kind)) or [""])),
                client=draw(st.sampled_from(["", "Acme"])),
                job=draw(st.sampled_from(["", "Forklift operator"])),
            )
        )
    notes = [
        NoteFact(
            dimension=draw(st.sampled_from(list(Dimension))),
            level=draw(st.integers(min_value=1, max_value=5)),
            author=draw(st.sampled_from(["ann@x.test", "Ann@X.test", "bob@x.test", "cy@x.test"])),
            noted_on=draw(dates_around(as_of)),
            seq=seq,
        )
        for seq in range(draw(st.integers(min_value=0, max_value=5)))
    ]
    return events, notes, as_of


def outcome(result):
    return result.status, result.risk_score, result.advice, result.explanation


def live_weight(events, as_of: date) -> int:
    edge = as_of - relativedelta(months=24)
    return sum(
        MISSTEP_WEIGHTS[e.kind]
        for e in events
        if e.kind.is_misstep and edge < e.occurred_on <= as_of
    )


PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


@PROPERTY_SETTINGS
@given(histories())
def test_risk_score_is_between_0_and_100(history):
    events, notes, as_of = history
    assert 0 <= evaluate(events, notes, as_of=as_of).risk_score <= 100


@PROPERTY_SETTINGS
@given(histories())
def test_advice_follows_from_status_and_score(history):
    events, notes, as_of = history
    result = evaluate(events, notes, as_of=as_of)
    if result.status == Status.BURNED:
        expected = Advice.DO_NOT_RESUBMIT
    elif result.status in CAUTION_STATUSES or result.risk_score >= 40:
        expected = Advice.CAUTION
    else:
        expected = Advice.RESUBMIT
    assert result.advice == expected


@PROPERTY_SETTINGS
@given(histories(), st.data())
def test_result_holds_until_the_day_before_changes_on(history, data):
    events, notes, as_of = history
    result = evaluate(events, notes, as_of=as_of)
    if result.changes_on is None:
        last = as_of + timedelta(days=3653)  # nothing may change, even ten years on
    else:
        assert result.changes_on > as_of
        last = result.changes_on - timedelta(days=1)
    span = (last - as_of).days
    offsets = {span, *data.draw(st.lists(st.integers(0, span), max_size=5), label="offsets")}
    for day in sorted(as_of + timedelta(days=n) for n in offsets):
        later = evaluate(events, notes, as_of=day)
        assert outcome(later) == outcome(result), f"changed on {day}, changes_on said {last}"


@PROPERTY_SETTINGS
@given(histories())
def test_live_weights_of_6_or_more_always_burn(history):
    events, notes, as_of = history
    result = evaluate(events, notes, as_of=as_of)
    if live_weight(events, as_of) >= 6:
        assert result.status == Status.BURNED
    if result.status != Status.BURNED:
        assert live_weight(events, as_of) < 6


@PROPERTY_SETTINGS
@given(histories(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_input_order(history, rnd: random.Random):
    events, notes, as_of = history
    shuffled_events, shuffled_notes = events[:], notes[:]
    rnd.shuffle(shuffled_events)
    rnd.shuffle(shuffled_notes)
    first = evaluate(events, notes, as_of=as_of)
    second = evaluate(shuffled_events, shuffled_notes, as_of=as_of)
    assert outcome(first) == outcome(second)
    assert first.changes_on == second.changes_on


@PROPERTY_SETTINGS
@given(histories())
def test_missteps_count_only_live_ones_and_clean_means_none(history):
    events, notes, as_of = history
    result = evaluate(events, notes, as_of=as_of)
    edge = as_of - relativedelta(months=24)
    live = [e for e in events if e.kind.is_misstep and edge < e.occurred_on <= as_of]
    assert result.live_missteps == len(live)
    if result.status == Status.CLEAN:
        assert not live
    assert result.explanation, "every status is shown with its explanation"


# --- With no `rejected`, the rules give what they gave before the word existed ------------


def status_before_rejected(history, as_of: date):
    """The status rules as they were before `rejected` (commit fb74889's engine, rules 1 to
    7 with "the last misstep"), kept here rule for rule as the reference; the sentences use
    today's wording (the engine's own describe/describe_after), which changed on purpose."""
    from candidates.engine import (
        BURN_WEIGHT,
        FLAG_KINDS,
        LIVE_MONTHS,
        MISSTEPS,
        RECOVERY_KINDS,
        SECOND_CHANCE_KINDS,
        _reason,
        flag_stands,
        within_months,
    )

    live = [
        (i, e)
        for i, e in enumerate(history)
        if e.kind in MISSTEPS and within_months(e.occurred_on, as_of, LIVE_MONTHS)
    ]
    if flag_stands(history, as_of):
        flag = [e for e in history if e.kind in FLAG_KINDS][-1]
        return Status.BURNED, [f"{flag.describe()}: a do-not-resubmit flag stands"]
    for gi, grant in enumerate(history):
        if grant.kind != Kind.SECOND_CHANCE_GRANTED or not within_months(
            grant.occurred_on, as_of, LIVE_MONTHS
        ):
            continue
        spent = next((e for e in history[gi + 1 :] if e.kind in MISSTEPS), None)
        if spent is not None:
            return Status.BURNED, [
                f"{spent.describe()} after a second chance granted on "
                f"{grant.occurred_on.isoformat()}: the second chance was spent"
            ]
    weight = sum(MISSTEP_WEIGHTS[e.kind] for _, e in live)
    if weight >= BURN_WEIGHT:
        return Status.BURNED, [
            f"Missteps of the last {LIVE_MONTHS} months weigh {weight} "
            f"({BURN_WEIGHT} or more burns a candidate)",
            *(f"{e.describe()}{_reason(e)}" for _, e in live),
        ]
    if not live:
        expired = [e for e in history if e.kind in MISSTEPS]
        if expired:
            return Status.CLEAN, [
                f"No misstep in the last {LIVE_MONTHS} months; "
                f"the latest, {expired[-1].describe_after()}, has expired"
            ]
        return Status.CLEAN, ["No missteps recorded"]
    last_index, last = live[-1]
    after = history[last_index + 1 :]
    after_last = f"after {last.describe_after()}{_reason(last)}"
    recovery = next((e for e in reversed(after) if e.kind in RECOVERY_KINDS), None)
    if recovery is not None:
        return Status.RECOVERED, [f"{recovery.describe()} {after_last}"]
    decision = next((e for e in reversed(after) if e.kind in SECOND_CHANCE_KINDS), None)
    if decision is not None:
        status = {
            Kind.SECOND_CHANCE_GRANTED: Status.SECOND_CHANCE,
            Kind.SECOND_CHANCE_REFUSED: Status.REFUSED,
            Kind.SECOND_CHANCE_REQUESTED: Status.REQUESTED,
        }[decision.kind]
        tail = {
            Status.SECOND_CHANCE: "; the interview has not happened yet",
            Status.REFUSED: "",
            Status.REQUESTED: "; waiting for a decision",
        }[status]
        return status, [f"{decision.describe()} {after_last}{tail}"]
    return Status.STUMBLED, [f"{last.describe()}{_reason(last)}; no second chance in motion"]


@PROPERTY_SETTINGS
@given(histories())
def test_without_rejected_the_rules_give_what_they_gave_before(history):
    events, notes, as_of = history
    events = [e for e in events if e.kind != Kind.REJECTED]
    ordered = sorted(
        (e for e in events if e.occurred_on <= as_of), key=lambda e: (e.occurred_on, e.seq)
    )
    result = evaluate(events, notes, as_of=as_of)
    assert (result.status, result.explanation) == status_before_rejected(ordered, as_of)
    assert result.status != Status.REJECTED


@PROPERTY_SETTINGS
@given(histories())
def test_a_rejection_never_changes_risk_or_burns(history):
    events, notes, as_of = history
    without = [e for e in events if e.kind != Kind.REJECTED]
    with_all = evaluate(events, notes, as_of=as_of)
    only_missteps = evaluate(without, notes, as_of=as_of)
    assert with_all.risk_score == only_missteps.risk_score
    assert with_all.live_missteps == only_missteps.live_missteps
    assert (with_all.status == Status.BURNED) == (only_missteps.status == Status.BURNED)
