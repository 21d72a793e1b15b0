"""Reads. The queries pages use, each a fixed number of SQL statements whatever the data size.

Selectors take querysets that a view already scoped to the user's organization with
`access.scoped()` (or an object loaded with `access.get_for_org()`), so that scoping is done
in one place and a selector cannot forget it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import chain

from dateutil.relativedelta import relativedelta
from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connections, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Greatest, TruncMonth, Upper

from .clock import today as server_today
from .engine import (
    CAUTION_SCORE,
    CAUTION_STATUSES,
    FLAG_KINDS,
    MISSTEPS,
    RECOVERY_KINDS,
    SECOND_CHANCE_KINDS,
    SETBACK_KINDS,
    Advice,
    Kind,
    Status,
    dimension_points,
    explain,
    is_live,
)
from .engine import flag_stands as engine_flag_stands
from .models import (
    DIMENSION_CHOICES,
    MISSTEP_REASON_CHOICES,
    MISSTEP_VALUES,
    REJECTION_REASON_CHOICES,
    SORT_KEYS,
    STATUS_CHOICES,
    Candidate,
    Client,
    Event,
    Job,
    Organization,
    RiskNote,
    StatusCount,
)
from .pagination import DEFAULT_PER_PAGE, Page, capped_page, keyset_page

# --- The candidate list -------------------------------------------------------------------

DEFAULT_SORT = "risk"
# Searching: shorter than this, the text must begin the name or the email (a substring of
# one or two letters matches nearly everyone, and trigram indexes need three).
SEARCH_SUBSTRING_MIN = 3
# When no name or email contains the text: names within this word similarity (PostgreSQL
# pg_trgm), the closest first. 0.35 finds "kowlaski" for Kowalski and "smiht" for Smith.
SEARCH_FUZZY_MIN_LENGTH = 4
SEARCH_FUZZY_THRESHOLD = 0.35
# A search is counted up to this many matches ("500+"); past it, the matches come by name
# instead of best first: ranking costs a word similarity per match, sorting by name only the
# match's row. Sorted, not walked: the name index would be read from its start up to the
# page, which for matches that sort together (a first name, a one-letter prefix: every "Zoe"
# at the end) is most of the organization; `UPPER(name)` has no such index to walk.
SEARCH_COUNT_CAP = 500


def _filtered(
    candidates: QuerySet[Candidate],
    events: QuerySet[Event],
    *,
    status: str = "",
    advice: str = "",
    owner: int | None = None,
    client: int | None = None,
    job: int | None = None,
) -> QuerySet[Candidate]:
    """Client and job filters ask "has an event on it" with EXISTS rather than a join, which
    would repeat a candidate once per matching event."""
    qs = candidates.select_related("owner")
    if status:
        qs = qs.filter(status=status)
    if advice:
        qs = qs.filter(advice=advice)
    if owner:
        qs = qs.filter(owner_id=owner)
    if job:
        qs = qs.filter(Exists(events.filter(candidate=OuterRef("pk"), job_id=job)))
    if client:
        qs = qs.filter(Exists(events.filter(candidate=OuterRef("pk"), job__client_id=client)))
    return qs


def _postgres(qs: QuerySet) -> bool:
    return connections[qs.db].vendor == "postgresql"


def _containing(qs: QuerySet[Candidate], q: str) -> QuerySet[Candidate]:
    """Name or email containing `q` (beginning with it when short), best match first.

    On PostgreSQL both tests are `UPPER(column) LIKE ...`, answered by the trigram indexes of
    migration 0003, and the order is pg_trgm's word similarity (a whole word matched ranks
    above a fragment); elsewhere a prefix ranks above a substring."""
    if len(q) < SEARCH_SUBSTRING_MIN:
        qs = qs.filter(Q(name__istartswith=q) | Q(email__istartswith=q))
    else:
        qs = qs.filter(Q(name__icontains=q) | Q(email__icontains=q))
    if _postgres(qs):
        rank = Greatest(TrigramWordSimilarity(q, "name"), TrigramWordSimilarity(q, "email"))
        return qs.alias(rank=rank).order_by(F("rank").desc(), "name", "id")
    rank = Case(
        When(name__istartswith=q, then=Value(0)),
        When(email__istartswith=q, then=Value(1)),
        default=Value(2),
    )
    return qs.alias(rank=rank).order_by("rank", "name", "id")


def _close_spellings(qs: QuerySet[Candidate], q: str) -> QuerySet[Candidate]:
    """Names within SEARCH_FUZZY_THRESHOLD word similarity of `q`, closest first (PostgreSQL:
    the %> operator on the trigram index; run it with `_fuzzy_threshold()` in force)."""
    similar = TrigramWordSimilar(Upper("name"), Value(q.upper()))
    rank = TrigramWordSimilarity(q, "name")
    return qs.filter(similar).alias(rank=rank).order_by(F("rank").desc(), "name", "id")


def _fuzzy_threshold(qs: QuerySet) -> None:
    # The %> operator takes its threshold from a setting: this transaction's only.
    with connections[qs.db].cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)",
            [str(SEARCH_FUZZY_THRESHOLD)],
        )


def candidate_search(
    candidates: QuerySet[Candidate],
    events: QuerySet[Event],
    *,
    q: str = "",
    sort: str = "",
    rank: bool = True,
    **filters,
) -> QuerySet[Candidate]:
    """Every candidate the list shows, in its order (the CSV export): filtered; when
    searching, those whose name or email contains `q`, best match first (by name, whatever
    the case, when not `rank`) unless a sort is chosen."""
    qs = _filtered(candidates, events, **filters)
    if q := q.strip():
        matching = _containing(qs, q)
        if not sort:
            return matching if rank else matching.order_by(Upper("name"), "id")
        qs = qs.filter(pk__in=matching.order_by().values("pk"))
    descending, keys = SORT_KEYS.get(sort) or SORT_KEYS[DEFAULT_SORT]
    return qs.order_by(*(k.desc() if descending else k.asc() for k in keys))


def list_count(candidates: QuerySet[Candidate], organization: Organization, filters: dict) -> int:
    """How many candidates the (unsearched) list holds: from the counts per status when
    filtered by status at most, counted otherwise."""
    if not set(filters) - {"status"}:
        counts = status_counts(organization)
        if status := filters.get("status"):
            return next((r["count"] for r in counts["by_status"] if r["status"] == status), 0)
        return counts["total"]
    return candidates.count()


@dataclass
class CandidateList:
    page: Page
    # No name or email contains the text: these are the closest spellings instead.
    close_spellings: bool = False


def candidate_list(
    candidates: QuerySet[Candidate],
    events: QuerySet[Event],
    *,
    organization: Organization,
    filters: dict,
    page=None,
    after=None,
    before=None,
    per_page: int = DEFAULT_PER_PAGE,
) -> CandidateList:
    """One page of the list, a fixed number of queries at any size and on any page.

    Browsing (no search text): keyset pagination on the sort's index (pagination.py), counted
    from the counts per status when it can be (`list_count`). Searching: the matches, best
    first, a page by OFFSET, counted up to SEARCH_COUNT_CAP; when nothing contains the text
    (PostgreSQL), the closest spellings of a name instead."""
    filters = dict(filters)
    q = filters.pop("q", "").strip()
    sort = filters.pop("sort", "")
    qs = _filtered(candidates, events, **filters)
    if not q:
        sorting = SORT_KEYS.get(sort) or SORT_KEYS[DEFAULT_SORT]
        count = list_count(qs, organization, filters)
        return CandidateList(
            keyset_page(
                qs,
                sort=sorting,
                anchors=candidates,
                count=count,
                page=page,
                after=after,
                before=before,
                per_page=per_page,
            )
        )

    matching = candidate_search(candidates, events, q=q, sort=sort, **filters)
    # Past the cap, by name (SEARCH_COUNT_CAP).
    by_name = None if sort else candidate_search(candidates, events, q=q, rank=False, **filters)
    found = capped_page(
        matching, page=page, per_page=per_page, cap=SEARCH_COUNT_CAP, past_cap=by_name
    )
    if found.count or len(q) < SEARCH_FUZZY_MIN_LENGTH or not _postgres(qs):
        return CandidateList(found)
    with transaction.atomic(using=qs.db):
        _fuzzy_threshold(qs)
        close = _close_spellings(qs, q)
        found = capped_page(close, page=page, per_page=per_page, cap=SEARCH_COUNT_CAP)
    return CandidateList(found, close_spellings=bool(found.count))


# --- The candidate page -------------------------------------------------------------------


@dataclass
class AuthorLevel:
    """One author's latest judgement of a dimension, and what they said before."""

    author: str  # the email the engine counts authors by
    latest: RiskNote
    earlier: list[RiskNote] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The member's name (the notes must come with `author` loaded); the email of an
        imported author without an account."""
        return str(self.latest.author) if self.latest.author_id else self.author


@dataclass
class DimensionSummary:
    dimension: str
    label: str
    authors: list[AuthorLevel]

    @property
    def average(self) -> float | None:
        if not self.authors:
            return None
        return sum(a.latest.level for a in self.authors) / len(self.authors)

    @property
    def points(self) -> float | None:
        """What the dimension adds to the risk score (the contract: (average - 1) * 10/3)."""
        if not self.authors:
            return None
        return float(dimension_points([a.latest.level for a in self.authors]))


@dataclass
class TimelineItem:
    on: date
    order: tuple
    event: Event | None = None
    note: RiskNote | None = None

    @property
    def css(self) -> str:
        if self.note is not None:
            return "note"
        kind = self.event.kind
        if kind in MISSTEPS:
            return "misstep"
        if kind in SECOND_CHANCE_KINDS:
            return "second-chance"
        if kind in FLAG_KINDS:
            return "flag"
        if kind in RECOVERY_KINDS or kind == Kind.HIRED:
            return "good"
        return "other"


def explanation_for(candidate: Candidate, history: Iterable[Event]) -> list[str]:
    """The stored explanation as pages say it ("after a no-show on 2 Mar 2026"): the same
    sentences, from the history already loaded (with job and client) as of the stored
    result's date, so no query; the stored (ISO) form stays the report's and the export's."""
    if candidate.status_as_of is None:
        return list(candidate.explanation or [])
    return explain((e.as_fact() for e in history), as_of=candidate.status_as_of)


@dataclass
class CandidatePage:
    explanation: list[str]
    events: list[Event]
    notes: list[RiskNote]
    timeline: list[TimelineItem]
    dimensions: list[DimensionSummary]
    flag_stands: bool
    pending_request: Event | None


def candidate_page(candidate: Candidate) -> CandidatePage:
    """Everything the candidate page shows beyond the candidate row, in two queries."""
    events = list(
        candidate.events.select_related("job__client", "recorded_by").order_by("occurred_on", "id")
    )
    notes = list(candidate.risk_notes.select_related("author").order_by("noted_on", "id"))

    # Newest first; on the same day, the later recorded first (events before notes is
    # arbitrary but stable).
    timeline = sorted(
        chain(
            (
                TimelineItem(on=e.occurred_on, order=(e.occurred_on, 1, e.pk), event=e)
                for e in events
            ),
            (TimelineItem(on=n.noted_on, order=(n.noted_on, 0, n.pk), note=n) for n in notes),
        ),
        key=lambda item: item.order,
        reverse=True,
    )

    pending_request = None
    if candidate.status == Status.REQUESTED:
        pending_request = next(
            (e for e in reversed(events) if e.kind == Kind.SECOND_CHANCE_REQUESTED), None
        )

    return CandidatePage(
        explanation=explanation_for(candidate, events),
        events=events,
        notes=notes,
        timeline=timeline,
        dimensions=risk_notes_by_dimension(notes),
        flag_stands=engine_flag_stands(events, server_today()),
        pending_request=pending_request,
    )


@dataclass
class CandidateActions:
    """What the candidate page's forms need (not its history): whether a flag stands, the
    pending request, the job of the last setback (a misstep, or the employer's no: a request
    is made for that job by default), whether anything is recorded at all."""

    flag_stands: bool
    pending_request: Event | None
    last_misstep_job_id: int | None
    has_history: bool
    # The job of the latest event naming one: a quick action's form starts with it.
    latest_job_id: int | None = None


def candidate_actions(page: CandidatePage) -> CandidateActions:
    """What the forms need, from the history the page already read (no query)."""
    return CandidateActions(
        flag_stands=page.flag_stands,
        pending_request=page.pending_request,
        last_misstep_job_id=next(
            (e.job_id for e in reversed(page.events) if e.kind in SETBACK_KINDS), None
        ),
        has_history=bool(page.timeline),
        latest_job_id=next((e.job_id for e in reversed(page.events) if e.job_id), None),
    )


def flag_stands(candidate: Candidate) -> bool:
    """Whether a do-not-resubmit flag stands (no later flag_cleared), in one query."""
    today = server_today()
    latest = (
        candidate.events.filter(kind__in=FLAG_KINDS, occurred_on__lte=today)
        .order_by("-occurred_on", "-id")
        .values_list("kind", flat=True)
        .first()
    )
    return latest == Kind.DO_NOT_RESUBMIT


def risk_notes_by_dimension(notes: list[RiskNote]) -> list[DimensionSummary]:
    """Per dimension, each author's latest note (what the score counts) and their history.

    `notes` must be in (noted_on, id) order, the order the engine reads them in.
    """
    by_dimension: dict[str, dict[str, list[RiskNote]]] = {}
    for note in notes:
        by_dimension.setdefault(note.dimension, {}).setdefault(note.author_email, []).append(note)
    summaries = []
    for value, label in DIMENSION_CHOICES:
        authors = [
            AuthorLevel(author=author, latest=history[-1], earlier=history[-2::-1])
            for author, history in sorted(by_dimension.get(value, {}).items())
        ]
        summaries.append(DimensionSummary(dimension=value, label=label, authors=authors))
    return summaries


# --- Today --------------------------------------------------------------------------------

NO_FOLLOW_UP_DAYS = 7


def stumbled_without_follow_up(
    candidates: QuerySet[Candidate], *, today: date
) -> QuerySet[Candidate]:
    """Stumbled, and nothing recorded for a week: someone should call them back."""
    return (
        candidates.filter(
            status=Status.STUMBLED, last_event_on__lte=today - timedelta(days=NO_FOLLOW_UP_DAYS)
        )
        .select_related("owner")
        .order_by("last_event_on", "name", "id")
    )


def pending_requests(candidates: QuerySet[Candidate], events: QuerySet[Event]) -> QuerySet:
    """Candidates whose second-chance request waits for a decision, oldest first, with the
    request's pitch (a subquery: still one statement). The request's date is stored with the
    candidate (`requested_on`, kept by services.reevaluate) so that the order is an index."""
    latest = events.filter(candidate=OuterRef("pk"), kind=Kind.SECOND_CHANCE_REQUESTED).order_by(
        "-occurred_on", "-id"
    )
    return (
        candidates.filter(status=Status.REQUESTED)
        .select_related("owner")
        .annotate(pitch=Subquery(latest.values("notes")[:1]))
        .order_by("requested_on", "name", "id")
    )


def upcoming_second_chance_interviews(
    candidates: QuerySet[Candidate], *, now: datetime
) -> QuerySet[Candidate]:
    """Candidates whose standing second chance has its interview still to come, soonest
    first (stored by services.reevaluate: `next_interview`, a walk of candidate_interview_idx).
    Only chances still standing: not since flagged, spent or overtaken by a new request."""
    return (
        candidates.filter(status=Status.SECOND_CHANCE, next_interview_at__gte=now)
        .select_related("next_interview__job__client")
        .order_by("next_interview_at", "id")
    )


def status_counts(organization: Organization) -> dict:
    """How many candidates per status (and in all): one read of the organization's rows of
    StatusCount, which services.reevaluate keeps in step."""
    counts = dict(
        StatusCount.objects.filter(organization=organization).values_list("status", "count")
    )
    return {
        "total": sum(counts.values()),
        "by_status": [
            {"status": value, "label": label, "count": counts.get(value, 0)}
            for value, label in STATUS_CHOICES
        ],
    }


# --- Second-chance review and Resubmit? ---------------------------------------------------

# A candidate's process on a job is over once one of these is their latest event on it.
PROCESS_ENDED_KINDS = frozenset(
    {
        Kind.HIRED,
        Kind.WITHDREW,
        Kind.DECLINED_OFFER,
        Kind.RENEGED,
        Kind.SECOND_CHANCE_REFUSED,
        Kind.DO_NOT_RESUBMIT,
    }
)


def active_on_jobs(events: QuerySet[Event]) -> QuerySet[Event]:
    """The one definition of "the active candidates of a job", as events: one row per active
    (candidate, job) pair, the pair's latest event.

    A candidate is active on a job when all of these hold:
    - the candidate belongs to the organization (`events` is scoped) and has at least one
      event on the job;
    - their latest event on that job (by date, then the order recorded) does not end the
      process: it is not hired, withdrew, declined_offer, reneged, second_chance_refused or
      do_not_resubmit;
    - their stored advice is not do_not_resubmit (a burned candidate is nobody's competition).

    Filter the result by job or candidate, or group it by job to count.
    """
    latest_on_job = (
        Event.objects.filter(candidate_id=OuterRef("candidate_id"), job_id=OuterRef("job_id"))
        .order_by("-occurred_on", "-id")
        .values("pk")[:1]
    )
    return (
        events.filter(job__isnull=False, pk=Subquery(latest_on_job))
        .exclude(kind__in=PROCESS_ENDED_KINDS)
        .exclude(candidate__advice=Advice.DO_NOT_RESUBMIT)
    )


def other_active_counts(
    events: QuerySet[Event], pairs: Iterable[tuple[int, int | None]]
) -> dict[tuple[int, int], int]:
    """For each (candidate id, job id): how many active candidates the job has besides this
    candidate. Two queries whatever the number of pairs: the active count of every job,
    grouped in the database, and which of the pairs are themselves active."""
    wanted = {(c, j) for c, j in pairs if j is not None}
    if not wanted:
        return {}
    job_ids = {j for _, j in wanted}
    active = active_on_jobs(events).filter(job_id__in=job_ids)
    counts = dict(
        active.values("job_id")
        .annotate(n=Count("candidate_id", distinct=True))
        .order_by()
        .values_list("job_id", "n")
    )
    themselves = set(
        active.filter(candidate_id__in={c for c, _ in wanted}).values_list("candidate_id", "job_id")
    )
    return {(c, j): counts.get(j, 0) - ((c, j) in themselves) for c, j in wanted}


RATING_WORDS = {1: "Weak", 2: "Doubtful", 3: "Solid", 4: "Strong", 5: "Outstanding"}
SOLID_RATING = 3


@dataclass(frozen=True)
class HiringQuestions:
    """The three questions a hiring manager asks before a second chance, for one job."""

    rating: int | None
    job: Job | None
    other_active: int | None

    @property
    def rating_words(self) -> str:
        if self.rating is None:
            return "Not rated yet"
        return f"{RATING_WORDS[self.rating]} ({self.rating} of 5)"

    @property
    def is_solid(self) -> bool | None:
        return None if self.rating is None else self.rating >= SOLID_RATING

    @property
    def job_open(self) -> bool | None:
        return None if self.job is None else self.job.is_open


def live_missteps(history: Iterable[Event], *, today: date) -> list[Event]:
    """The missteps that count (within 24 months, not dated after today), newest first."""
    return sorted(
        (e for e in history if e.kind in MISSTEPS and is_live(e.occurred_on, today)),
        key=lambda e: (e.occurred_on, e.pk),
        reverse=True,
    )


@dataclass
class ReviewCard:
    candidate: Candidate
    history: list[Event]  # newest first
    request: Event | None  # the pending second_chance_requested event
    job: Job | None  # of the request, else of the last misstep
    missteps: list[Event]  # live, newest first
    dimensions: list[DimensionSummary]
    questions: HiringQuestions
    explanation: list[str] = field(default_factory=list)
    # A reconsideration: the request answers the employer's no (the last setback before it
    # is a `rejected`), decided here like any second-chance request.
    rejection: Event | None = None

    @property
    def pitch(self) -> str:
        return self.request.notes if self.request else ""

    @property
    def has_risk_notes(self) -> bool:
        return any(d.authors for d in self.dimensions)


def review_queue(candidates: QuerySet[Candidate], events: QuerySet[Event]) -> QuerySet:
    """The second-chance requests waiting for a decision (stored status `requested`), oldest
    request first, each candidate with its history (`events_newest_first`, with job and
    client) and its risk notes (`notes_in_order`) prefetched: three queries for any length."""
    return pending_requests(candidates, events).prefetch_related(
        Prefetch(
            "events",
            queryset=Event.objects.select_related("job__client", "recorded_by").order_by(
                "-occurred_on", "-id"
            ),
            to_attr="events_newest_first",
        ),
        Prefetch(
            "risk_notes",
            queryset=RiskNote.objects.select_related("author").order_by("noted_on", "id"),
            to_attr="notes_in_order",
        ),
    )


def review_cards(
    candidates: Iterable[Candidate], events: QuerySet[Event], *, today: date
) -> list[ReviewCard]:
    """One card per candidate of `review_queue()` (its prefetches are needed); two more
    queries in all for the active-candidate counts of every job on the cards."""
    cards = []
    for candidate in candidates:
        history: list[Event] = candidate.events_newest_first
        request = next((e for e in history if e.kind == Kind.SECOND_CHANCE_REQUESTED), None)
        missteps = live_missteps(history, today=today)
        job = request.job if request and request.job else None
        setbacks = [
            e
            for e in history
            if (e.kind == Kind.REJECTED or e.kind in MISSTEPS)
            and (request is None or (e.occurred_on, e.pk) < (request.occurred_on, request.pk))
        ]
        rejection = setbacks[0] if setbacks and setbacks[0].kind == Kind.REJECTED else None
        if job is None and rejection is not None:
            job = rejection.job
        if job is None and missteps:
            job = missteps[0].job
        cards.append(
            ReviewCard(
                candidate=candidate,
                history=history,
                request=request,
                job=job,
                missteps=missteps,
                dimensions=risk_notes_by_dimension(candidate.notes_in_order),
                questions=HiringQuestions(rating=candidate.rating, job=job, other_active=None),
                explanation=explanation_for(candidate, history),
                rejection=rejection,
            )
        )
    counts = other_active_counts(
        events, [(card.candidate.pk, card.job.pk if card.job else None) for card in cards]
    )
    for card in cards:
        if card.job is not None:
            card.questions = HiringQuestions(
                rating=card.candidate.rating,
                job=card.job,
                other_active=counts[(card.candidate.pk, card.job.pk)],
            )
    return cards


@dataclass
class ResubmitAnswer:
    candidate: Candidate
    history: list[Event]  # newest first
    missteps: list[Event]  # live, newest first
    dimensions: list[DimensionSummary]
    questions: HiringQuestions | None  # None until a job is chosen
    explanation: list[str] = field(default_factory=list)

    @property
    def has_risk_notes(self) -> bool:
        return any(d.authors for d in self.dimensions)

    @property
    def advice_reasons(self) -> list[str]:
        """Why the advice is what it is, in the contract's terms."""
        c = self.candidate
        if c.advice == Advice.DO_NOT_RESUBMIT:
            return ["The candidate is burned: there is no further chance."]
        reasons = []
        if c.status in CAUTION_STATUSES:
            reasons.append(f"The status is “{c.get_status_display().lower()}”.")
        if c.risk_score >= CAUTION_SCORE:
            reasons.append(f"The risk score is {c.risk_score}: {CAUTION_SCORE} or more.")
        return reasons or [
            f"Not burned, no misstep waiting on a second chance, and a risk score under "
            f"{CAUTION_SCORE}."
        ]


def resubmit_answer(
    candidate: Candidate, job: Job | None, events: QuerySet[Event], *, today: date
) -> ResubmitAnswer:
    """Everything behind the advice for one candidate and (optionally) one job: four queries
    at most."""
    history = list(candidate.events.select_related("job__client").order_by("-occurred_on", "-id"))
    notes = list(candidate.risk_notes.select_related("author").order_by("noted_on", "id"))
    questions = None
    if job is not None:
        counts = other_active_counts(events, [(candidate.pk, job.pk)])
        questions = HiringQuestions(
            rating=candidate.rating, job=job, other_active=counts[(candidate.pk, job.pk)]
        )
    return ResubmitAnswer(
        candidate=candidate,
        history=history,
        missteps=live_missteps(history, today=today),
        dimensions=risk_notes_by_dimension(notes),
        questions=questions,
        explanation=explanation_for(candidate, history),
    )


def candidate_matches(candidates: QuerySet[Candidate], q: str, *, limit: int = 50) -> list:
    """The Resubmit? page's candidate picker: name or email contains `q` (the most recently
    active first when `q` is empty)."""
    if q := q.strip():
        qs = candidates.filter(Q(name__icontains=q) | Q(email__icontains=q)).order_by("name", "id")
    else:
        qs = candidates.order_by(F("last_event_on").desc(nulls_last=True), "name", "id")
    return list(qs.only("pk", "name", "email")[:limit])


# --- Clients and jobs ---------------------------------------------------------------------


def clients_with_jobs(clients: QuerySet[Client]) -> QuerySet[Client]:
    """Clients by name, each with `job_list` (its jobs by title, each with `candidate_count`,
    the candidates with an event on it): two queries."""
    return clients.order_by("name", "id").prefetch_related(
        Prefetch(
            "jobs",
            queryset=Job.objects.annotate(
                candidate_count=Count("events__candidate", distinct=True)
            ).order_by("title", "id"),
            to_attr="job_list",
        )
    )


def job_candidates(
    job: Job, candidates: QuerySet[Candidate], events: QuerySet[Event]
) -> QuerySet[Candidate]:
    """The candidates with an event on `job`, latest first, each with their latest event on
    it (`latest_kind`, `latest_on`) and whether they are active on it (`is_active`, as
    `active_on_jobs()` defines it): one query."""
    on_job = events.filter(job=job, candidate_id=OuterRef("pk")).order_by("-occurred_on", "-id")
    return (
        candidates.filter(Exists(on_job))
        .select_related("owner")
        .annotate(
            latest_kind=Subquery(on_job.values("kind")[:1]),
            latest_on=Subquery(on_job.values("occurred_on")[:1]),
            is_active=Exists(active_on_jobs(events).filter(job=job, candidate_id=OuterRef("pk"))),
        )
        .order_by(F("latest_on").desc(), "name", "id")
    )


# --- Insights -----------------------------------------------------------------------------


def misstep_reason_counts(events: QuerySet[Event]) -> list[dict]:
    """Every misstep ever recorded, counted per reason in the database: most frequent first,
    every reason listed (zero included)."""
    counts = dict(
        events.filter(kind__in=MISSTEP_VALUES)
        .values("reason")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("reason", "n")
    )
    rows = [
        {"reason": value, "label": label, "count": counts.get(value, 0)}
        for value, label in MISSTEP_REASON_CHOICES
    ]
    return sorted(rows, key=lambda row: -row["count"])


def rejection_reason_counts(events: QuerySet[Event]) -> list[dict]:
    """Every employer's no (`rejected`, not a misstep), counted per reason from the
    employer's list, most frequent first, zeros included: one grouped query."""
    counts = dict(
        events.filter(kind=Kind.REJECTED)
        .values("reason")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("reason", "n")
    )
    rows = [
        {"reason": value, "label": label, "count": counts.get(value, 0)}
        for value, label in REJECTION_REASON_CHOICES
    ]
    return sorted(rows, key=lambda row: -row["count"])


@dataclass
class Reconsiderations:
    """What became of the requests made after the employer's no (a request whose last setback
    before it is a `rejected`): the first decision after each, and, once granted, whether the
    candidate then attended or was hired."""

    asked: int = 0
    granted: int = 0
    refused: int = 0
    pending: int = 0
    recovered: int = 0  # granted, then attended or hired


RECONSIDERATION_KINDS = [
    *MISSTEP_VALUES,
    Kind.REJECTED.value,
    Kind.SECOND_CHANCE_REQUESTED.value,
    Kind.SECOND_CHANCE_GRANTED.value,
    Kind.SECOND_CHANCE_REFUSED.value,
    *(k.value for k in RECOVERY_KINDS),
]


def reconsiderations(events: QuerySet[Event], *, today: date) -> Reconsiderations:
    """One query: the histories (the kinds that matter) of the candidates ever rejected."""
    rejected = events.filter(kind=Kind.REJECTED, occurred_on__lte=today).values("candidate_id")
    rows = (
        events.filter(
            candidate_id__in=rejected, kind__in=RECONSIDERATION_KINDS, occurred_on__lte=today
        )
        .order_by("candidate_id", "occurred_on", "id")
        .values_list("candidate_id", "kind")
    )
    result = Reconsiderations()
    last_setback: dict[int, str] = {}
    open_request: dict[int, bool] = {}  # a reconsideration waiting for its decision
    granted: dict[int, bool] = {}  # a granted reconsideration waiting for an interview
    for candidate_id, kind in rows.iterator(chunk_size=5000):
        if kind in MISSTEP_VALUES or kind == Kind.REJECTED:
            last_setback[candidate_id] = kind
            granted[candidate_id] = False
        elif kind == Kind.SECOND_CHANCE_REQUESTED:
            if last_setback.get(candidate_id) == Kind.REJECTED and not open_request.get(
                candidate_id
            ):
                result.asked += 1
                open_request[candidate_id] = True
        elif kind in (Kind.SECOND_CHANCE_GRANTED, Kind.SECOND_CHANCE_REFUSED):
            if open_request.pop(candidate_id, False):
                if kind == Kind.SECOND_CHANCE_GRANTED:
                    result.granted += 1
                    granted[candidate_id] = True
                else:
                    result.refused += 1
        elif granted.get(candidate_id):  # attended or hired after a granted reconsideration
            result.recovered += 1
            granted[candidate_id] = False
    result.pending = sum(open_request.values())
    return result


def override_count(events: QuerySet[Event]) -> int:
    """How many guarded actions an admin let through (one `override` event each)."""
    return events.filter(kind=Kind.OVERRIDE).count()


OUTCOMES = (("recovered", "Recovered"), ("burned", "Burned"), ("pending", "Still pending"))


@dataclass
class OutcomeMonth:
    month: date  # the first day of the month of the grants
    recovered: int = 0
    burned: int = 0
    pending: int = 0

    @property
    def total(self) -> int:
        return self.recovered + self.burned + self.pending


def second_chance_outcomes(
    events: QuerySet[Event], *, today: date, months: int = 12
) -> list[OutcomeMonth]:
    """What became of the second chances granted in each of the last `months` months
    (gaps included, oldest first), classified and counted in one grouped query.

    A grant is judged as the engine judges it (contract, rule 1: "a misstep happened after a
    `second_chance_granted` ... the second chance was spent: there is no third"): any misstep
    after it (by date, then the order recorded, up to today) → burned, even after an
    attended interview; otherwise `attended` or `hired` after it → recovered; neither yet →
    pending.
    """
    first_month = (today.replace(day=1) - relativedelta(months=months - 1)).replace(day=1)
    after_grant = Q(occurred_on__gt=OuterRef("occurred_on")) | Q(
        occurred_on=OuterRef("occurred_on"), pk__gt=OuterRef("pk")
    )
    later = Event.objects.filter(
        after_grant, candidate_id=OuterRef("candidate_id"), occurred_on__lte=today
    )
    rows = (
        events.filter(
            kind=Kind.SECOND_CHANCE_GRANTED, occurred_on__gte=first_month, occurred_on__lte=today
        )
        .annotate(
            month=TruncMonth("occurred_on"),
            outcome=Case(
                When(Exists(later.filter(kind__in=MISSTEP_VALUES)), then=Value("burned")),
                When(
                    Exists(later.filter(kind__in=[k.value for k in RECOVERY_KINDS])),
                    then=Value("recovered"),
                ),
                default=Value("pending"),
                output_field=CharField(),
            ),
        )
        .values("month", "outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_month = {
        first_month + relativedelta(months=i): OutcomeMonth(first_month + relativedelta(months=i))
        for i in range(months)
    }
    for row in rows:
        month = row["month"]
        if isinstance(month, datetime):
            month = month.date()
        setattr(by_month[month], row["outcome"], row["n"])
    return list(by_month.values())
