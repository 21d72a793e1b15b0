"""The client-safe brief: one page about one candidate for one job, for the client's eyes.

By default it holds the candidate's name, their status and advice in neutral words, and the
history that concerns this job: dates, what happened, and the candidate's own words (their
requests). Never the recruiters' notes on events, never a flag or an override. The risk
notes with their authors, the other jobs at the same client and other clients' jobs appear
only when the headhunter ticks them in (`SHOWABLE`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from candidates.engine import Advice, Kind, Status
from candidates.models import Candidate, Event, Job, RiskNote

SHOWABLE = [
    ("notes", "Our risk notes, with their authors"),
    ("other_jobs", "The candidate's other jobs at this client"),
    ("other_clients", "Other clients' jobs (names the clients)"),
]
SHOWABLE_KEYS = {key for key, _ in SHOWABLE}

NEUTRAL_STATUS = {
    Status.CLEAN: "No missteps on record.",
    Status.STUMBLED: "Missed a step in an earlier process.",
    Status.REQUESTED: "Has asked for another chance.",
    Status.SECOND_CHANCE: "Has been given another chance.",
    Status.REFUSED: "An earlier request for another chance was declined.",
    Status.RECOVERED: "Back on track after another chance.",
    Status.REJECTED: "Not taken forward after an earlier interview.",
    Status.BURNED: "Not available for this role.",
}
NEUTRAL_ADVICE = {
    Advice.RESUBMIT: "We are glad to put them forward.",
    Advice.CAUTION: "We put them forward with care: please read the history below.",
    Advice.DO_NOT_RESUBMIT: "We do not put them forward at present.",
}
# Internal records: never in a brief.
INTERNAL_KINDS = {Kind.DO_NOT_RESUBMIT, Kind.FLAG_CLEARED, Kind.OVERRIDE}
# Whose notes are the candidate's own words (shown); every other event's notes are ours.
OWN_WORDS_KINDS = {Kind.SECOND_CHANCE_REQUESTED}


@dataclass(frozen=True)
class BriefLine:
    on: date
    what: str
    job: str  # "" for this job; "Title" or "Title, Client" when ticked in
    own_words: str = ""
    reason: str = ""


@dataclass
class Brief:
    candidate: Candidate
    job: Job
    status: str
    advice: str
    lines: list[BriefLine] = field(default_factory=list)
    notes: list[RiskNote] = field(default_factory=list)
    shows: frozenset[str] = frozenset()


def brief_for(candidate: Candidate, job: Job, shows) -> Brief:
    """Two queries: the events (with their jobs and clients) and, when ticked, the notes."""
    shows = frozenset(shows) & SHOWABLE_KEYS
    lines = []
    events = candidate.events.select_related("job__client").order_by("occurred_on", "id")
    for event in events:
        if event.kind in INTERNAL_KINDS:
            continue
        where = _where(event, job, shows)
        if where is None:
            continue
        lines.append(
            BriefLine(
                on=event.occurred_on,
                what=event.get_kind_display(),
                job=where,
                own_words=event.notes if event.kind in OWN_WORDS_KINDS else "",
                reason=event.get_reason_display().lower() if event.reason else "",
            )
        )
    notes = []
    if "notes" in shows:
        notes = list(candidate.risk_notes.select_related("author").order_by("-noted_on", "-id"))
    return Brief(
        candidate=candidate,
        job=job,
        status=NEUTRAL_STATUS.get(candidate.status, ""),
        advice=NEUTRAL_ADVICE.get(candidate.advice, ""),
        lines=lines,
        notes=notes,
        shows=shows,
    )


def _where(event: Event, job: Job, shows: frozenset[str]) -> str | None:
    """How the brief names the event's job, or None when the event stays out."""
    if event.job_id == job.pk:
        return ""
    if event.job_id is None:
        # Not tied to a job (a request for no particular job): the candidate's own words
        # concern the agency's process, so they stay in; anything else stays out.
        return "" if event.kind in OWN_WORDS_KINDS else None
    other = event.job
    if other.client_id == job.client_id:
        return other.title if "other_jobs" in shows else None
    return f"{other.title}, {other.client.name}" if "other_clients" in shows else None
