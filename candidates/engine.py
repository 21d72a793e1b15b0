"""The recovery engine: a candidate's history turned into status, explanation, risk and advice.

This module is the product's rules in code. They are written out for people in
`docs/recovery-model.md` (words, weights, the status rules in order, the score, the advice,
and what is not implemented yet); that page, this module and `tests/test_engine.py` change
together. It is plain Python: it takes a candidate's events and risk notes and an as-of date,
and needs no database and no request. Models, views, the importer, the report and the tasks
all call `evaluate()`; none of them re-implements a rule.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

from dateutil.relativedelta import relativedelta

# --- Words ------------------------------------------------------------------------------


class Kind(enum.StrEnum):
    DECLINED_INTERVIEW = "declined_interview"
    LATE = "late"
    DECLINED_OFFER = "declined_offer"
    WITHDREW = "withdrew"
    BLEW_INTERVIEW = "blew_interview"
    UNPREPARED = "unprepared"
    NO_SHOW = "no_show"
    RENEGED = "reneged"
    LEFT_EARLY = "left_early"
    REJECTED = "rejected"
    SUBMITTED = "submitted"
    SCHEDULED = "scheduled"
    ATTENDED = "attended"
    OFFER_MADE = "offer_made"
    HIRED = "hired"
    SECOND_CHANCE_REQUESTED = "second_chance_requested"
    SECOND_CHANCE_GRANTED = "second_chance_granted"
    SECOND_CHANCE_REFUSED = "second_chance_refused"
    DO_NOT_RESUBMIT = "do_not_resubmit"
    FLAG_CLEARED = "flag_cleared"
    OVERRIDE = "override"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]

    @property
    def is_misstep(self) -> bool:
        return self in MISSTEP_WEIGHTS


KIND_LABELS: dict[Kind, str] = {
    Kind.DECLINED_INTERVIEW: "Declined interview",
    Kind.LATE: "Late to interview",
    Kind.DECLINED_OFFER: "Declined offer",
    Kind.WITHDREW: "Withdrew",
    Kind.BLEW_INTERVIEW: "Blew interview",
    Kind.UNPREPARED: "Unprepared",
    Kind.NO_SHOW: "No-show",
    Kind.RENEGED: "Reneged on offer",
    Kind.LEFT_EARLY: "Left early",
    Kind.REJECTED: "Rejected by the employer",
    Kind.SUBMITTED: "Submitted",
    Kind.SCHEDULED: "Interview scheduled",
    Kind.ATTENDED: "Attended interview",
    Kind.OFFER_MADE: "Offer made",
    Kind.HIRED: "Hired",
    Kind.SECOND_CHANCE_REQUESTED: "Second chance requested",
    Kind.SECOND_CHANCE_GRANTED: "Second chance granted",
    Kind.SECOND_CHANCE_REFUSED: "Second chance refused",
    Kind.DO_NOT_RESUBMIT: "Flagged do not resubmit",
    Kind.FLAG_CLEARED: "Flag cleared",
    Kind.OVERRIDE: "Override",
}

MISSTEP_WEIGHTS: dict[Kind, int] = {
    Kind.DECLINED_INTERVIEW: 1,
    Kind.LATE: 1,
    Kind.DECLINED_OFFER: 1,
    Kind.WITHDREW: 1,
    Kind.BLEW_INTERVIEW: 2,
    Kind.UNPREPARED: 2,
    Kind.NO_SHOW: 3,
    Kind.RENEGED: 4,
    Kind.LEFT_EARLY: 4,
}
MISSTEPS = frozenset(MISSTEP_WEIGHTS)
# A misstep as the object of "after ...": "Attended interview on ... after a blown interview
# on ...".
MISSTEP_NOUNS: dict[Kind, str] = {
    Kind.DECLINED_INTERVIEW: "a declined interview",
    Kind.LATE: "a late arrival",
    Kind.DECLINED_OFFER: "a declined offer",
    Kind.WITHDREW: "a withdrawal",
    Kind.BLEW_INTERVIEW: "a blown interview",
    Kind.UNPREPARED: "an unprepared interview",
    Kind.NO_SHOW: "a no-show",
    Kind.RENEGED: "a reneged offer",
    Kind.LEFT_EARLY: "an early departure",
    # Not a misstep, but a setback: "after a rejection on 2 Mar 2026".
    Kind.REJECTED: "a rejection",
}
SECOND_CHANCE_KINDS = frozenset(
    {Kind.SECOND_CHANCE_REQUESTED, Kind.SECOND_CHANCE_GRANTED, Kind.SECOND_CHANCE_REFUSED}
)
FLAG_KINDS = frozenset({Kind.DO_NOT_RESUBMIT, Kind.FLAG_CLEARED})
RECOVERY_KINDS = frozenset({Kind.ATTENDED, Kind.HIRED})
# The employer's no: a setback, never a misstep (no weight, no risk).
SETBACK_KINDS = MISSTEPS | {Kind.REJECTED}
# What a do-not-resubmit candidate, or a filled or closed job, may not be given (Guards).
GUARDED_KINDS = frozenset({Kind.SUBMITTED, Kind.SCHEDULED, Kind.SECOND_CHANCE_REQUESTED})


class Reason(enum.StrEnum):
    COMMUTE = "commute"
    ILLNESS = "illness"
    CHANGE_OF_HEART = "change_of_heart"
    COMPETING_OFFER = "competing_offer"
    COMPENSATION = "compensation"
    PERSONAL = "personal"
    UNKNOWN = "unknown"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class RejectionReason(enum.StrEnum):
    """Why the employer said no (`rejected` only)."""

    SKILLS = "skills"
    EXPERIENCE = "experience"
    FIT = "fit"
    ANOTHER_CANDIDATE = "another_candidate"
    JOB_CLOSED = "job_closed"
    COMPENSATION = "compensation"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


def reasons_for(kind: Kind) -> frozenset[str]:
    """The reasons an event of this kind may have: the misstep list for a misstep, the
    employer list for `rejected`, none otherwise (its reason must be empty)."""
    if kind in MISSTEPS:
        return frozenset(r.value for r in Reason)
    if kind == Kind.REJECTED:
        return frozenset(r.value for r in RejectionReason)
    return frozenset()


def reason_label(value: str) -> str:
    return value.replace("_", " ").capitalize()


class Dimension(enum.StrEnum):
    FLAKINESS = "flakiness"
    COMMUTE = "commute"
    TRUST = "trust"


class Status(enum.StrEnum):
    BURNED = "burned"
    CLEAN = "clean"
    RECOVERED = "recovered"
    SECOND_CHANCE = "second_chance"
    REFUSED = "refused"
    REQUESTED = "requested"
    STUMBLED = "stumbled"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Advice(enum.StrEnum):
    DO_NOT_RESUBMIT = "do_not_resubmit"
    CAUTION = "caution"
    RESUBMIT = "resubmit"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


LEVEL_MIN, LEVEL_MAX = 1, 5

# --- The numbers --------------------------------------------------------------------------

LIVE_MONTHS = 24
RECENT_MONTHS = 6
BURN_WEIGHT = 6
MISSTEP_POINTS_PER_WEIGHT = 10
OLDER_RECENCY = Fraction(1, 2)
MISSTEP_CAP = 60
NOTE_POINTS_PER_LEVEL = Fraction(10, 3)
SCORE_CAP = 100
CAUTION_SCORE = 40
CAUTION_STATUSES = frozenset({Status.STUMBLED, Status.REQUESTED, Status.REFUSED})


# --- Dates in sentences ---------------------------------------------------------------------

DateFormat = Callable[[date], str]


def iso_date(day: date) -> str:
    """The stored and reported form of a date in an explanation: "2026-03-02"."""
    return day.isoformat()


def human_date(day: date) -> str:
    """The form pages show: "2 Mar 2026" (the templates' `date:"j M Y"`)."""
    return f"{day.day} {day:%b %Y}"


# --- Inputs and result --------------------------------------------------------------------


@dataclass(frozen=True)
class EventFact:
    """One event of a candidate's history, as the engine needs it.

    `seq` orders events recorded on the same date (the order they were recorded: the
    database id does). `client` and `job` are names, used only in explanations.
    """

    kind: Kind
    occurred_on: date
    seq: int = 0
    reason: str = ""
    client: str = ""
    job: str = ""

    def describe(self, dates: DateFormat = iso_date) -> str:
        """ "No-show on 2026-03-02 (Acme, Forklift operator)"."""
        return self._said(Kind(self.kind).label, dates)

    def describe_after(self, dates: DateFormat = iso_date) -> str:
        """The misstep as the object of "after": "a no-show on 2026-03-02 (Acme, ...)"."""
        return self._said(MISSTEP_NOUNS[Kind(self.kind)], dates)

    def _said(self, what: str, dates: DateFormat) -> str:
        where = ", ".join(part for part in (self.client, self.job) if part)
        text = f"{what} on {dates(self.occurred_on)}"
        return f"{text} ({where})" if where else text


@dataclass(frozen=True)
class NoteFact:
    dimension: Dimension
    level: int
    author: str
    noted_on: date
    seq: int = 0


@dataclass(frozen=True)
class Evaluation:
    as_of: date
    status: Status
    explanation: list[str]
    risk_score: int
    advice: Advice
    live_missteps: int
    last_misstep_on: date | None
    # The first date after `as_of` on which the same history may evaluate differently
    # (a misstep crossing the 6- or 24-month edge, a grant leaving the window, an event
    # dated in the future coming into view); None when only a new write can change it.
    changes_on: date | None = None
    dimension_scores: dict[str, float] = field(default_factory=dict)


# --- Calendar -----------------------------------------------------------------------------


def months_before(as_of: date, months: int) -> date:
    """The calendar date `months` before `as_of` (the 31st clamps to the month's end)."""
    return as_of - relativedelta(months=months)


def within_months(day: date, as_of: date, months: int) -> bool:
    """Strict: as of 2026-11-25, within 24 months means after 2024-11-25."""
    return day > months_before(as_of, months)


def _first_day_outside(day: date, months: int) -> date:
    """The first as-of date on which `day` is no longer within `months` months."""
    candidate = day + relativedelta(months=months)
    # Month-end clamping can put the edge a few days either side of `day + months`.
    candidate -= timedelta(days=3)
    while within_months(day, candidate, months):
        candidate += timedelta(days=1)
    return candidate


# --- Evaluation ---------------------------------------------------------------------------


def is_live(day: date, as_of: date) -> bool:
    """A misstep on `day` counts as of `as_of`: not after it, and within 24 months."""
    return day <= as_of and within_months(day, as_of, LIVE_MONTHS)


def flag_stands(history: Iterable, as_of: date) -> bool:
    """Rule 1's first clause: in history order, the latest flag event up to `as_of` is a
    `do_not_resubmit` (no later `flag_cleared`). Takes facts or Event rows, in order."""
    latest = None
    for event in history:
        if event.kind in FLAG_KINDS and event.occurred_on <= as_of:
            latest = event.kind
    return latest == Kind.DO_NOT_RESUBMIT


def dimension_points(levels: Sequence[int]) -> Fraction:
    """What one risk dimension adds: (average of the authors' latest levels - 1) * 10/3."""
    return (Fraction(sum(levels), len(levels)) - 1) * NOTE_POINTS_PER_LEVEL


def _ordered(events: Iterable[EventFact], as_of: date) -> list[EventFact]:
    # The contract: date order; on the same date, the order they were recorded.
    return sorted(
        (e for e in events if e.occurred_on <= as_of), key=lambda e: (e.occurred_on, e.seq)
    )


def _reason(event: EventFact) -> str:
    return f", reason: {reason_label(event.reason).lower()}" if event.reason else ""


def _status(
    history: Sequence[EventFact], as_of: date, dates: DateFormat = iso_date
) -> tuple[Status, list[str]]:
    live = [
        (i, e)
        for i, e in enumerate(history)
        if e.kind in MISSTEPS and within_months(e.occurred_on, as_of, LIVE_MONTHS)
    ]

    # Rule 1: burned.
    if flag_stands(history, as_of):
        flag = [e for e in history if e.kind in FLAG_KINDS][-1]
        return Status.BURNED, [f"{flag.describe(dates)}: a do-not-resubmit flag stands"]
    for gi, grant in enumerate(history):
        if grant.kind != Kind.SECOND_CHANCE_GRANTED or not within_months(
            grant.occurred_on, as_of, LIVE_MONTHS
        ):
            continue
        spent = next((e for e in history[gi + 1 :] if e.kind in MISSTEPS), None)
        if spent is not None:
            return Status.BURNED, [
                f"{spent.describe(dates)} after a second chance granted on "
                f"{dates(grant.occurred_on)}: the second chance was spent"
            ]
    weight = sum(MISSTEP_WEIGHTS[e.kind] for _, e in live)
    if weight >= BURN_WEIGHT:
        return Status.BURNED, [
            f"Missteps of the last {LIVE_MONTHS} months weigh {weight} "
            f"({BURN_WEIGHT} or more burns a candidate)",
            *(f"{e.describe(dates)}{_reason(e)}" for _, e in live),
        ]

    # Rule 2: clean. A setback is a live misstep or an employer's no within 24 months.
    setbacks = [
        (i, e)
        for i, e in enumerate(history)
        if e.kind in SETBACK_KINDS and within_months(e.occurred_on, as_of, LIVE_MONTHS)
    ]
    if not setbacks:
        expired = [e for e in history if e.kind in MISSTEPS]
        if expired:
            return Status.CLEAN, [
                f"No misstep in the last {LIVE_MONTHS} months; "
                f"the latest, {expired[-1].describe_after(dates)}, has expired"
            ]
        return Status.CLEAN, ["No missteps recorded"]

    last_index, last = setbacks[-1]
    after = history[last_index + 1 :]
    after_last = f"after {last.describe_after(dates)}{_reason(last)}"

    # Rule 3: recovered.
    recovery = next((e for e in reversed(after) if e.kind in RECOVERY_KINDS), None)
    if recovery is not None:
        return Status.RECOVERED, [f"{recovery.describe(dates)} {after_last}"]

    # Rules 4 to 6: the latest second-chance event after the last setback (after a
    # `rejected`, a request is a reconsideration, decided in the same queue).
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
        return status, [f"{decision.describe(dates)} {after_last}{tail}"]

    # Rule 7: stumbled.
    if last.kind in MISSTEPS:
        return Status.STUMBLED, [
            f"{last.describe(dates)}{_reason(last)}; no second chance in motion"
        ]

    # Rule 8: rejected: the last setback is the employer's no, and nothing has happened since.
    return Status.REJECTED, [
        f"{last.describe(dates)}{_reason(last)}; the employer's no, not a misstep, "
        "and nothing has happened since"
    ]


def _round_half_up(value: Fraction) -> int:
    # Python's round() rounds half to even (2.5 -> 2); the contract says half up (2.5 -> 3).
    return int((value + Fraction(1, 2)).__floor__())


def _misstep_points(history: Sequence[EventFact], as_of: date) -> Fraction:
    points = Fraction(0)
    for e in history:
        if e.kind not in MISSTEPS or not within_months(e.occurred_on, as_of, LIVE_MONTHS):
            continue
        recency = 1 if within_months(e.occurred_on, as_of, RECENT_MONTHS) else OLDER_RECENCY
        points += MISSTEP_WEIGHTS[e.kind] * MISSTEP_POINTS_PER_WEIGHT * recency
    return min(points, Fraction(MISSTEP_CAP))


def _note_points(notes: Iterable[NoteFact], as_of: date) -> dict[str, Fraction]:
    latest: dict[tuple[str, str], NoteFact] = {}
    for note in sorted(
        (n for n in notes if n.noted_on <= as_of), key=lambda n: (n.noted_on, n.seq)
    ):
        latest[(note.dimension, note.author.lower())] = note
    by_dimension: dict[str, list[int]] = {}
    for (dimension, _author), note in latest.items():
        by_dimension.setdefault(dimension, []).append(note.level)
    return {dimension: dimension_points(levels) for dimension, levels in by_dimension.items()}


def _changes_on(events: Sequence[EventFact], notes: Sequence[NoteFact], as_of: date) -> date | None:
    dates: list[date] = [e.occurred_on for e in events if e.occurred_on > as_of]
    dates += [n.noted_on for n in notes if n.noted_on > as_of]
    for e in events:
        if e.occurred_on > as_of:
            continue
        windows: tuple[int, ...] = ()
        if e.kind in MISSTEPS:
            windows = (RECENT_MONTHS, LIVE_MONTHS)
        elif e.kind in (Kind.SECOND_CHANCE_GRANTED, Kind.REJECTED):
            windows = (LIVE_MONTHS,)
        dates += [d for m in windows if (d := _first_day_outside(e.occurred_on, m)) > as_of]
    return min(dates, default=None)


def evaluate(
    events: Iterable[EventFact],
    notes: Iterable[NoteFact] = (),
    *,
    as_of: date,
    dates: DateFormat = iso_date,
) -> Evaluation:
    """Status, explanation, risk score and advice of one candidate as of a date.

    Steps, as the contract lists them:
    1. leave out events and notes dated after `as_of`; order the rest by date, then seq;
    2. the first status rule that holds gives the status and its explanation;
    3. risk = capped misstep points + one term per risk dimension, rounded half up;
    4. advice follows from the status and the risk.

    `dates` writes the dates of the explanation: ISO (the stored and reported form) unless
    told; the pages ask for `explain(..., dates=human_date)`.
    """
    events = list(events)
    notes = list(notes)
    history = _ordered(events, as_of)
    status, explanation = _status(history, as_of, dates)

    dimension_points = _note_points(notes, as_of)
    total = _misstep_points(history, as_of) + sum(dimension_points.values(), Fraction(0))
    risk_score = min(_round_half_up(total), SCORE_CAP)

    if status == Status.BURNED:
        advice = Advice.DO_NOT_RESUBMIT
    elif status in CAUTION_STATUSES or risk_score >= CAUTION_SCORE:
        advice = Advice.CAUTION
    else:
        advice = Advice.RESUBMIT

    live = [
        e
        for e in history
        if e.kind in MISSTEPS and within_months(e.occurred_on, as_of, LIVE_MONTHS)
    ]
    return Evaluation(
        as_of=as_of,
        status=status,
        explanation=explanation,
        risk_score=risk_score,
        advice=advice,
        live_missteps=len(live),
        last_misstep_on=live[-1].occurred_on if live else None,
        changes_on=_changes_on(events, notes, as_of),
        dimension_scores={d: float(p) for d, p in dimension_points.items()},
    )


def explain(
    events: Iterable[EventFact],
    *,
    as_of: date,
    dates: DateFormat = human_date,
) -> list[str]:
    """The explanation alone, its dates written by `dates` (by default as pages show them:
    "after a no-show on 2 Mar 2026"). The same rules as `evaluate()`: only the dates differ
    from the stored explanation."""
    return _status(_ordered(list(events), as_of), as_of, dates)[1]


# --- Guards -------------------------------------------------------------------------------

# Job states that take no new guarded action; `on_hold` only warns.
CLOSED_JOB_STATES = frozenset({"filled", "closed"})
ON_HOLD = "on_hold"
GUARDED_ACTIONS = {
    Kind.SUBMITTED: "cannot be submitted",
    Kind.SCHEDULED: "cannot be scheduled for an interview",
    Kind.SECOND_CHANCE_REQUESTED: "cannot ask for a new second chance",
}


@dataclass(frozen=True)
class Verdict:
    """May this action happen, given the history before it, as of its own date?

    `overridable`: refused only because the advice is do_not_resubmit, so an admin may let
    this one action through with a written reason (an `override` event). A filled or closed
    job is a fact about the job, not a judgement of the candidate: no override."""

    allowed: bool
    message: str = ""
    overridable: bool = False
    warning: str = ""


def judge(
    kind: str,
    prior: Iterable[EventFact],
    *,
    on: date,
    job_state: str | None = None,
    job_name: str = "",
    overridden: bool = False,
) -> Verdict:
    """The guard (contract, "Guards"): a `submitted`, `scheduled` or
    `second_chance_requested` dated `on` is refused when its job is filled or closed, or when
    the candidate's advice as of `on`, from the events before it (`prior`), is
    do_not_resubmit, unless an admin overrode it (`overridden`); an on-hold job warns.
    Every other kind is allowed."""
    if kind not in GUARDED_KINDS:
        return Verdict(allowed=True)
    kind = Kind(kind)
    job = job_name or "This job"
    if job_state in CLOSED_JOB_STATES:
        return Verdict(
            allowed=False,
            message=f"{job} is {job_state}: it takes no new {kind.label.lower()}.",
        )
    prior = list(prior)
    result = evaluate(prior, as_of=on)
    if result.advice == Advice.DO_NOT_RESUBMIT and not overridden:
        why = "; ".join(explain(prior, as_of=on, dates=human_date))
        return Verdict(
            allowed=False,
            message=(
                f"The candidate {GUARDED_ACTIONS[kind]}: the advice is do not resubmit. "
                f"Burned: {why[0].lower()}{why[1:]}."
            ),
            overridable=True,
        )
    warning = ""
    if job_state == ON_HOLD:
        warning = f"{job} is on hold: check with the client before going further."
    return Verdict(allowed=True, warning=warning)
