"""Writes. Every change to candidates, events and risk notes goes through a function here,
whether it comes from a view, the admin, the importer or a command, so that the stored
recovery status is re-evaluated in the same transaction as the write that changes it.

Services take keyword-only arguments, validate with `full_clean()`, and run atomically.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from reminders import services as reminders_services
from webhooks import services as webhooks_services

from .clock import today
from .engine import (
    GUARDED_KINDS,
    Evaluation,
    EventFact,
    Kind,
    NoteFact,
    Status,
    Verdict,
    evaluate,
    judge,
)
from .models import (
    MERGE_UNDO_DAYS,
    STORED_RESULT_FIELDS,
    Candidate,
    CandidateAddress,
    Client,
    Event,
    Job,
    Merge,
    Organization,
    RiskNote,
    Role,
    StatusCount,
    Submission,
    User,
)


class AlreadySaved(Exception):
    """This form submission was saved before (the same key came twice): nothing is written."""


def already_saved(*, organization_id: int, key: uuid.UUID | None) -> bool:
    return (
        key is not None
        and Submission.objects.filter(key=key, organization_id=organization_id).exists()
    )


SUBMISSIONS_KEPT = timedelta(days=7)


def forget_old_submissions(*, now: datetime | None = None) -> int:
    """A form is not posted again after a week: its key may go (hourly, tasks.py)."""
    cutoff = (now or timezone.now()) - SUBMISSIONS_KEPT
    deleted, _ = Submission.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def claim_submission(*, organization_id: int, key: uuid.UUID | None) -> None:
    """Claim a form submission's key in the caller's transaction, or raise AlreadySaved.

    Two posts of one form at once: the second waits on the key's unique index until the
    first commits (then it is AlreadySaved) or rolls back (then it goes ahead)."""
    if key is None:
        return
    try:
        with transaction.atomic():
            Submission.objects.create(key=key, organization_id=organization_id)
    except IntegrityError:
        raise AlreadySaved from None


# --- Keeping the stored status in step ----------------------------------------------------


def facts_for(candidate_ids: Iterable[int]) -> dict[int, tuple[list[EventFact], list[NoteFact]]]:
    """Every candidate's events and notes as engine facts, in two queries in all."""
    return _histories(list(candidate_ids))[0]


# Above this many candidates, histories are read through a server-side cursor (the hourly
# task, an import, a report): memory stays flat. Below it, one round trip: a cursor's
# DECLARE, FETCH and CLOSE cost one candidate's write more than its rows do.
CURSOR_ABOVE = 100

Grant = tuple[int, datetime | None]  # a second_chance_granted: (event id, interview time)


def _histories(
    ids: list[int], as_of: date | None = None
) -> tuple[dict[int, tuple[list[EventFact], list[NoteFact]]], dict[int, date], dict[int, Grant]]:
    """Each candidate's facts (events and notes), in two queries; with `as_of`, from the
    same rows, each candidate's latest event date and latest second_chance_granted up to
    that day (by date, then the order recorded)."""
    facts: dict[int, tuple[list[EventFact], list[NoteFact]]] = {i: ([], []) for i in ids}
    last_dates: dict[int, date] = {}
    grants: dict[int, Grant] = {}
    events = (
        Event.objects.filter(candidate_id__any=ids)
        .select_related("job__client")
        .order_by("candidate_id", "occurred_on", "id")
    )
    notes = RiskNote.objects.filter(candidate_id__any=ids).order_by(
        "candidate_id", "noted_on", "id"
    )
    if len(ids) > CURSOR_ABOVE:
        events, notes = events.iterator(chunk_size=5000), notes.iterator(chunk_size=5000)
    for event in events:
        facts[event.candidate_id][0].append(event.as_fact())
        if as_of is not None and event.occurred_on <= as_of:  # in date order: the last wins
            last_dates[event.candidate_id] = event.occurred_on
            if event.kind == Kind.SECOND_CHANCE_GRANTED:
                grants[event.candidate_id] = (event.pk, event.interview_at)
    for note in notes:
        facts[note.candidate_id][1].append(note.as_fact())
    return facts, last_dates, grants


def _requested_on(events: list[EventFact], result: Evaluation) -> date | None:
    """For a candidate waiting for a decision: the date of the latest request."""
    if result.status != Status.REQUESTED:
        return None
    asked = [
        e.occurred_on
        for e in events
        if e.kind == Kind.SECOND_CHANCE_REQUESTED and e.occurred_on <= result.as_of
    ]
    return max(asked, default=None)


def _apply(candidate: Candidate, result: Evaluation, last_event_on: date | None) -> None:
    candidate.status = result.status
    candidate.risk_score = result.risk_score
    candidate.advice = result.advice
    candidate.live_missteps = result.live_missteps
    candidate.explanation = result.explanation
    candidate.last_event_on = last_event_on
    candidate.status_as_of = result.as_of
    candidate.status_changes_on = result.changes_on


STORED_FIELDS = [*STORED_RESULT_FIELDS, "counted_status"]


def _store_results(candidates: list[Candidate]) -> None:
    """Write the stored result fields of these candidates back.

    On PostgreSQL: one `UPDATE ... FROM unnest(arrays)` per 5,000 rows. Django's bulk_update
    builds a CASE WHEN per row and field, which costs the seeder of 100,000 candidates most of
    its time (the query is built in Python, and PostgreSQL scans each CASE). Elsewhere (the
    SQLite of `make run`), bulk_update.
    """
    if connection.vendor != "postgresql":
        Candidate.objects.bulk_update(candidates, STORED_FIELDS, batch_size=500)
        return
    meta = Candidate._meta
    fields = [meta.pk, *(meta.get_field(name) for name in STORED_FIELDS)]
    columns = [connection.ops.quote_name(f.column) for f in fields]
    types = [f.rel_db_type(connection) if f.primary_key else f.db_type(connection) for f in fields]
    # Identifiers from the model, quoted; every value a parameter.
    sql = (
        f"UPDATE {connection.ops.quote_name(meta.db_table)} AS c SET "  # noqa: S608
        + ", ".join(f"{col} = v.{col}" for col in columns[1:])
        + " FROM unnest("
        + ", ".join(f"%s::{t}[]" for t in types)
        + f") AS v({', '.join(columns)}) WHERE c.{columns[0]} = v.{columns[0]}"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(candidates), 5000):
            batch = candidates[start : start + 5000]
            cursor.execute(
                sql,
                [
                    [f.get_db_prep_save(getattr(c, f.attname), connection) for c in batch]
                    for f in fields
                ],
            )


def reevaluate(candidate_ids: Iterable[int], *, as_of: date | None = None) -> int:
    """Run the engine for these candidates and store its result; returns how many.

    Also keeps what pages read instead of scanning: the count of candidates per status
    (StatusCount, moved from each candidate's counted status to its new one) and the coming
    interview of a standing second chance."""
    as_of = as_of or today()
    ids = sorted(set(candidate_ids))
    if not ids:
        return 0
    # Inside a writer's transaction, part of it (no savepoint: a failure here fails the
    # write, which rolls back whole); alone (the hourly task), a transaction of its own.
    with transaction.atomic(savepoint=False):
        # Lock first, read second: a concurrent writer's event is committed before we read,
        # so two writers for one candidate cannot store a status that misses either event.
        candidates = list(Candidate.objects.select_for_update().filter(pk__any=ids).order_by("pk"))
        facts, last_dates, grants = _histories(ids, as_of)
        moves: dict[tuple[int, str], int] = {}
        changed: list[tuple[Candidate, str]] = []
        for candidate in candidates:
            events, notes = facts[candidate.pk]
            result = evaluate(events, notes, as_of=as_of)
            _apply(candidate, result, last_dates.get(candidate.pk))
            candidate.requested_on = _requested_on(events, result)
            grant, interview_at = grants.get(candidate.pk, (None, None))
            standing = result.status == Status.SECOND_CHANCE and interview_at is not None
            candidate.next_interview_id = grant if standing else None
            candidate.next_interview_at = interview_at if standing else None
            if candidate.counted_status != candidate.status:
                org = candidate.organization_id
                if candidate.counted_status:
                    changed.append((candidate, candidate.counted_status))
                    moves[org, candidate.counted_status] = (
                        moves.get((org, candidate.counted_status), 0) - 1
                    )
                moves[org, candidate.status] = moves.get((org, candidate.status), 0) + 1
                candidate.counted_status = candidate.status
        _store_results(candidates)
        StatusCount.objects.move(moves)
        # Whoever changed it (a form, the API, an import, the passing of time), the
        # organization's webhooks hear of it in this transaction.
        webhooks_services.status_changes_emit(changed)
    return len(candidates)


def recount_statuses(*, organization_ids: Iterable[int] | None = None) -> int:
    """Set each organization's counts per status (StatusCount) to what its candidates are
    counted under (`counted_status`), repairing any drift (a write that bypassed the services,
    a rollout); returns how many organizations needed it. Hourly, and `manage.py
    recount_statuses`.

    The organization's count rows are locked first: a writer moves them at the very end of
    its transaction, so a writer either committed before the count (and is in it) or moves
    the rows after it (from the candidates' committed `counted_status`, which the count
    read): never counted twice, never missed."""
    ids = (
        list(Organization.objects.order_by("pk").values_list("pk", flat=True))
        if organization_ids is None
        else sorted(set(organization_ids))
    )
    repaired = 0
    for organization_id in ids:
        with transaction.atomic():
            stored = dict(
                StatusCount.objects.select_for_update()
                .filter(organization_id=organization_id)
                .values_list("status", "count")
            )
            truth = dict(
                Candidate.objects.filter(organization_id=organization_id)
                .exclude(counted_status="")
                .values("counted_status")
                .annotate(n=Count("*"))
                .values_list("counted_status", "n")
            )
            changes = {
                (organization_id, status): truth.get(status, 0) - stored.get(status, 0)
                for status in {*stored, *truth}
            }
            if any(changes.values()):
                StatusCount.objects.move(changes)
                repaired += 1
    return repaired


def reevaluate_due(*, as_of: date | None = None, batch_size: int = 2000) -> int:
    """Re-evaluate the candidates whose result the passing of time may have changed."""
    as_of = as_of or today()
    done = 0
    while True:
        ids = list(
            Candidate.objects.due_for_reevaluation(as_of)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return done
        done += reevaluate(ids, as_of=as_of)


# --- Guards -------------------------------------------------------------------------------
# One rule, every door: the engine decides (`judge`), and every write of a guarded kind
# (event_log, event_update, the admin, the importer) asks these functions first.


class GuardRefused(ValidationError):
    """A guarded action the history or the job refuses; `overridable` when only the advice
    stands in the way (an admin may let it through with a written reason)."""

    def __init__(self, verdict: Verdict):
        super().__init__(verdict.message)
        self.verdict = verdict
        self.overridable = verdict.overridable


def state_on(records: list[tuple[datetime, str]], current: str, day: date) -> str:
    """A job's state on `day` from its history records (time, state), oldest first: the last
    change on or before that day; before the job was recorded, the state it was recorded
    with; today or later, its state now."""
    if day >= today() or not records:
        return current
    before = [state for at, state in records if timezone.localdate(at) <= day]
    return before[-1] if before else records[0][1]


def job_state_on(job: Job | None, day: date) -> str | None:
    """The state a job had on `day` (see state_on)."""
    if job is None:
        return None
    if day >= today():
        return job.state
    records = list(
        job.history.order_by("history_date", "history_id").values_list("history_date", "state")
    )
    return state_on(records, job.state, day)


def prior_facts(candidate: Candidate, on: date, *, before: Event | None = None) -> list[EventFact]:
    """The candidate's events that come before an action dated `on` in the history: every
    event up to that date, or (an existing event being corrected) those before it."""
    events = candidate.events.filter(occurred_on__lte=on).select_related("job__client")
    if before is not None and before.pk is not None:
        events = events.exclude(pk=before.pk).exclude(occurred_on=on, pk__gt=before.pk)
    return [e.as_fact() for e in events]


def guard_verdict(
    *,
    candidate: Candidate,
    kind: str,
    occurred_on: date,
    job: Job | None = None,
    event: Event | None = None,
    overridden: bool = False,
) -> Verdict:
    """May this action happen? Reads only; `guard_enforce` is the one that writes."""
    if kind not in GUARDED_KINDS:
        return Verdict(allowed=True)
    return judge(
        kind,
        prior_facts(candidate, occurred_on, before=event),
        on=occurred_on,
        job_state=job_state_on(job, occurred_on),
        job_name=str(job) if job is not None else "",
        overridden=overridden,
    )


def may_override(user: User | None) -> bool:
    return user is not None and (user.is_superuser or user.role == Role.ADMIN)


def _lock(candidate: Candidate) -> None:
    """Take the candidate's row lock for the rest of the transaction; a candidate deleted
    meanwhile is a ValidationError, as full_clean would say, not a broken write."""
    if not Candidate.objects.select_for_update().filter(pk=candidate.pk).values_list("pk"):
        raise ValidationError("This candidate no longer exists.")


def guard_enforce(
    *,
    candidate: Candidate,
    kind: str,
    occurred_on: date,
    job: Job | None = None,
    event: Event | None = None,
    override_reason: str = "",
    by: User | None = None,
) -> Verdict:
    """Refuse (GuardRefused) what the guard refuses; or, when an admin gives a reason for
    letting a refused action through, record that `override` just before it. Call inside the
    writer's transaction, before the write."""
    if kind in GUARDED_KINDS:
        # Lock the candidate before reading its history (as reevaluate does; event_log
        # takes the same lock before any write), so that a misstep logged at the same
        # moment is either seen here or waits for this write to commit.
        _lock(candidate)
    verdict = guard_verdict(
        candidate=candidate, kind=kind, occurred_on=occurred_on, job=job, event=event
    )
    if verdict.allowed:
        return verdict
    override_reason = (override_reason or "").strip()
    if not (verdict.overridable and override_reason):
        raise GuardRefused(verdict)
    if not may_override(by):
        raise ValidationError("Only an admin may let a refused action through.")
    override = Event(
        candidate=candidate,
        kind=Kind.OVERRIDE,
        occurred_on=occurred_on,
        job=job,
        notes=override_reason,
        recorded_by=by,
    )
    override.full_clean()
    _set_audit(override, user=by, reason="")
    override.save()
    return Verdict(allowed=True, warning=verdict.warning)


# --- Candidates ---------------------------------------------------------------------------

EMAIL_TAKEN = "Another candidate already has this email address."


def email_taken(organization_id: int, email: str, *, exclude: int | None = None) -> bool:
    """Whether a candidate of the organization other than `exclude` has this address, as its
    primary one or another: an address belongs to one candidate (two queries at most)."""
    email = email.strip().lower()
    primaries = Candidate.objects.filter(organization_id=organization_id, email__iexact=email)
    others = CandidateAddress.objects.filter(organization_id=organization_id, email__iexact=email)
    if exclude is not None:
        primaries = primaries.exclude(pk=exclude)
        others = others.exclude(candidate_id=exclude)
    return primaries.exists() or others.exists()


@transaction.atomic
def candidate_create(
    *,
    organization: Organization,
    email: str,
    name: str,
    owner: User | None = None,
    rating: int | None = None,
    phone: str = "",
) -> Candidate:
    candidate = Candidate(
        organization=organization,
        email=email.strip().lower(),
        name=name.strip(),
        owner=owner,
        rating=rating,
        phone=phone.strip(),
    )
    candidate.full_clean()
    if email_taken(organization.pk, candidate.email):
        raise ValidationError({"email": EMAIL_TAKEN})
    candidate.save()
    reevaluate([candidate.pk])
    candidate.refresh_from_db()
    return candidate


def candidates_delete(*, candidates: Iterable[Candidate]) -> int:
    """Delete these candidates (the admin may, when they have no history); the counts per
    status follow (CandidateQuerySet.delete). Returns how many."""
    _, by_model = Candidate.objects.filter(pk__in=[c.pk for c in candidates]).delete()
    return by_model.get(Candidate._meta.label, 0)


@transaction.atomic
def candidate_update(*, candidate: Candidate, **fields) -> Candidate:
    for name, value in fields.items():
        setattr(candidate, name, value)
    candidate.full_clean()
    if "email" in fields and email_taken(
        candidate.organization_id, candidate.email, exclude=candidate.pk
    ):
        raise ValidationError({"email": EMAIL_TAKEN})
    candidate.save()
    return candidate


# --- One person, one history: merging two candidates, and undoing it ------------------------

# What a merge remembers of the merged candidate, to restore it on undo.
MERGE_SNAPSHOT_FIELDS = ("email", "name", "phone", "owner_id", "rating")


def _move(model, ids: list[int], *, to: int, by: User | None, why: str) -> None:
    """Point these rows at another candidate, each move in the audit trail (bulk: a fixed
    number of queries for any history)."""
    rows = list(model._default_manager.filter(pk__in=ids))
    for row in rows:
        row.candidate_id = to
    if rows:
        bulk_update_with_history(
            rows, model, ["candidate"], default_user=by, default_change_reason=why
        )


def _reminder_model():
    from reminders.models import Reminder

    return Reminder


def _opt_out_model():
    from outreach.models import OptOut  # outreach builds on this module: import late

    return OptOut


@transaction.atomic
def candidates_merge(
    *, kept: Candidate, merged: Candidate, reason: str, merged_by: User | None = None
) -> Merge:
    """Make two records of one person one: every event, risk note, reminder and address of
    `merged` moves to `kept`, which keeps `merged`'s email as another address; `merged` is
    deleted (the counts per status follow) and `kept` re-evaluated from the whole history.
    The Merge row keeps what undo needs."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why these are one person (it is recorded)."})
    if kept.pk == merged.pk:
        raise ValidationError("A candidate cannot be merged with itself.")
    if kept.organization_id != merged.organization_id:
        raise ValueError("The candidates belong to different organizations.")
    # Both rows locked, in one order: a write to either waits until the merge is done.
    locked = {
        c.pk: c
        for c in Candidate.objects.select_for_update()
        .filter(pk__in=[kept.pk, merged.pk])
        .order_by("pk")
    }
    kept, merged = locked[kept.pk], locked[merged.pk]
    Reminder = _reminder_model()
    moved = {
        "events": list(merged.events.order_by("pk").values_list("pk", flat=True)),
        "risk_notes": list(merged.risk_notes.order_by("pk").values_list("pk", flat=True)),
        "reminders": list(
            Reminder.objects.filter(candidate=merged).order_by("pk").values_list("pk", flat=True)
        ),
        "addresses": list(merged.addresses.order_by("pk").values_list("pk", flat=True)),
        "merges": list(merged.merges.order_by("pk").values_list("pk", flat=True)),
    }
    why = f"merged from {merged.email} into {kept.email}: {reason}"
    _move(Event, moved["events"], to=kept.pk, by=merged_by, why=why)
    _move(RiskNote, moved["risk_notes"], to=kept.pk, by=merged_by, why=why)
    _move(Reminder, moved["reminders"], to=kept.pk, by=merged_by, why=why)
    CandidateAddress.objects.filter(pk__in=moved["addresses"]).update(candidate=kept)
    Merge.objects.filter(pk__in=moved["merges"]).update(kept=kept)
    # One person asked for no email: the merged record's opt-out holds for the one left.
    OptOut = _opt_out_model()
    if not OptOut.objects.filter(candidate=kept).exists():
        moved["opt_out"] = list(
            OptOut.objects.filter(candidate=merged).values_list("pk", flat=True)
        )
        OptOut.objects.filter(pk__in=moved["opt_out"]).update(candidate=kept)
    snapshot = {name: getattr(merged, name) for name in MERGE_SNAPSHOT_FIELDS}
    snapshot["created_at"] = merged.created_at.isoformat()

    Candidate.objects.filter(pk=merged.pk).delete()
    # The deletion's row of the audit trail says why (a queryset delete cannot pass it).
    _note_deletion(merged.pk, why=why, by=merged_by)
    address = CandidateAddress(organization_id=kept.organization_id, candidate=kept)
    address.email = merged.email
    address.save()
    moved["address"] = address.pk
    merge = Merge.objects.create(
        organization_id=kept.organization_id,
        kept=kept,
        merged_id=merged.pk,
        merged=snapshot,
        moved=moved,
        reason=reason,
        merged_by=merged_by,
    )
    reevaluate([kept.pk])
    webhooks_services.merge_emit(
        kept_id=kept.pk,
        organization_id=kept.organization_id,
        merged_id=merged.pk,
        merged=snapshot,
        reason=reason,
    )
    return merge


def _note_deletion(candidate_id: int, *, why: str, by: User | None) -> None:
    latest = (
        Candidate.history.filter(id=candidate_id, history_type="-")
        .order_by("-history_id")
        .values_list("history_id", flat=True)
        .first()
    )
    if latest is not None:
        Candidate.history.filter(history_id=latest).update(
            history_change_reason=why, history_user=by
        )


def merge_undoable(merge: Merge, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return merge.undone_at is None and now - merge.merged_at <= timedelta(days=MERGE_UNDO_DAYS)


@transaction.atomic
def merge_undo(
    *, merge: Merge, undone_by: User | None = None, now: datetime | None = None
) -> Candidate:
    """Undo a merge (within MERGE_UNDO_DAYS): the merged candidate comes back with its id,
    its details and what it had (what was moved and is still on the kept candidate); both
    are re-evaluated. Returns the restored candidate."""
    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise ValidationError("This merge is already undone.")
    if not merge_undoable(merge, now=now):
        raise ValidationError(f"A merge can be undone within {MERGE_UNDO_DAYS} days only.")
    kept = Candidate.objects.select_for_update().get(pk=merge.kept_id)
    snapshot, moved = merge.merged, merge.moved
    CandidateAddress.objects.filter(pk=moved.get("address"), candidate=kept).delete()
    if email_taken(kept.organization_id, snapshot["email"]):
        raise ValidationError(
            f"{snapshot['email']} now belongs to another candidate: the merge cannot be undone."
        )
    owner_id = snapshot.get("owner_id")
    if (
        owner_id
        and not User.objects.filter(pk=owner_id, organization_id=kept.organization_id).exists()
    ):
        owner_id = None
    why = f"merge of {snapshot['email']} into {kept.email} undone"
    restored = Candidate(
        pk=merge.merged_id,
        organization_id=kept.organization_id,
        email=snapshot["email"],
        name=snapshot["name"],
        phone=snapshot.get("phone", ""),
        owner_id=owner_id,
        rating=snapshot.get("rating"),
    )
    restored._change_reason = why
    if undone_by is not None:
        restored._history_user = undone_by
    restored.save(force_insert=True)
    if snapshot.get("created_at"):
        Candidate.objects.filter(pk=restored.pk).update(
            created_at=datetime.fromisoformat(snapshot["created_at"])
        )

    def still_on_kept(model, ids):
        return list(
            model._default_manager.filter(pk__in=ids, candidate_id=kept.pk).values_list(
                "pk", flat=True
            )
        )

    Reminder = _reminder_model()
    for model, key in ((Event, "events"), (RiskNote, "risk_notes"), (Reminder, "reminders")):
        _move(
            model, still_on_kept(model, moved.get(key, [])), to=restored.pk, by=undone_by, why=why
        )
    CandidateAddress.objects.filter(pk__in=moved.get("addresses", []), candidate=kept).update(
        candidate=restored
    )
    Merge.objects.filter(pk__in=moved.get("merges", []), kept=kept).update(kept=restored)
    _opt_out_model().objects.filter(pk__in=moved.get("opt_out", []), candidate=kept).update(
        candidate=restored
    )
    merge.undone_at = now or timezone.now()
    merge.undone_by = undone_by
    merge.save(update_fields=["undone_at", "undone_by"])
    reevaluate([kept.pk, restored.pk])
    restored.refresh_from_db()
    # The webhooks that were told it was merged away hear that it is back: reevaluate
    # announced it if it moved from the `clean` it was saved with; if not, from nothing.
    if restored.status == Status.CLEAN:
        webhooks_services.status_changes_emit([(restored, None)])
    return restored


# --- Events and notes ---------------------------------------------------------------------


@transaction.atomic
def event_log(
    *,
    candidate: Candidate,
    kind: str,
    occurred_on: date,
    reason: str = "",
    notes: str = "",
    job: Job | None = None,
    recorded_by: User | None = None,
    interview_at: datetime | None = None,
    submission: uuid.UUID | None = None,
    override_reason: str = "",
    source: str = "",
    source_name: str = "",
) -> Event:
    """Record one event of a candidate's history and re-evaluate the candidate. A form's
    `submission` key makes a second post of the same form raise AlreadySaved. A guarded kind
    is refused (GuardRefused) when the guard says so, unless `recorded_by` is an admin who
    gives an `override_reason`. `event.guard_warning` says what the guard warned of."""
    if job is not None and job.organization_id != candidate.organization_id:
        raise ValueError("The job belongs to another organization.")
    # Every event takes the candidate's lock first: a guard reading the history (below, or
    # in a concurrent write) never misses an event being written at the same moment.
    _lock(candidate)
    claim_submission(organization_id=candidate.organization_id, key=submission)
    verdict = guard_enforce(
        candidate=candidate,
        kind=kind,
        occurred_on=occurred_on,
        job=job,
        override_reason=override_reason,
        by=recorded_by,
    )
    event = Event(
        candidate=candidate,
        kind=kind,
        occurred_on=occurred_on,
        reason=reason,
        notes=notes,
        job=job,
        recorded_by=recorded_by,
        interview_at=interview_at,
        source=source,
        source_name=source_name,
    )
    event.full_clean(exclude=["candidate"])  # _lock saw it exists
    _set_audit(event, user=recorded_by, reason="")
    event.save()
    event.guard_warning = verdict.warning
    reevaluate([candidate.pk])
    event_recorded(event)
    return event


def event_recorded(event: Event) -> None:
    """What follows an event written by any door (event_log, the admin's forms): the
    reminder rules complete what it answers and create what it asks for, and the
    organization's webhooks announce a request or a decision."""
    reminders_services.on_event_logged(event)
    webhooks_services.event_emit(event)


def event_corrected(event: Event, *, by: User | None, kind_changed: bool) -> None:
    """What follows a correction (event_update, the admin): the reminders its rules made were
    timed for what it said before; a correction that makes it a request or a decision is
    announced as one."""
    reminders_services.on_event_corrected(event, by=by)
    if kind_changed:
        webhooks_services.event_emit(event)


@transaction.atomic
def risk_note_add(
    *,
    candidate: Candidate,
    dimension: str,
    level: int,
    author: User | None = None,
    author_email: str = "",
    noted_on: date | None = None,
    note: str = "",
    submission: uuid.UUID | None = None,
) -> RiskNote:
    claim_submission(organization_id=candidate.organization_id, key=submission)
    risk_note = RiskNote(
        candidate=candidate,
        dimension=dimension,
        level=level,
        author=author,
        author_email=(author_email or (author.email if author else "")).strip().lower(),
        noted_on=noted_on or today(),
        note=note,
    )
    risk_note.full_clean()
    _set_audit(risk_note, user=author, reason="")
    risk_note.save()
    reevaluate([candidate.pk])
    return risk_note


# Events and notes are never silently rewritten: each edit and deletion below leaves the
# earlier version in the audit trail (django-simple-history), with who did it and why.

EVENT_EDITABLE = {"kind", "occurred_on", "reason", "notes", "job", "interview_at"}
RISK_NOTE_EDITABLE = {"dimension", "level", "noted_on", "note"}


def _required_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why: a deletion keeps its reason in the history."})
    return reason


def _set_audit(instance, *, user: User | None, reason: str) -> None:
    # Without a user here, simple-history falls back to the request's user (middleware).
    if user is not None:
        instance._history_user = user
    if reason:
        instance._change_reason = reason


@transaction.atomic
def event_update(
    *, event: Event, updated_by: User | None = None, change_reason: str = "", **fields
) -> Event:
    """Correct an event (kind, date, reason, notes, job, interview time); the earlier version
    stays in the history."""
    unknown = set(fields) - EVENT_EDITABLE
    if unknown:
        raise TypeError(f"Events cannot change: {', '.join(sorted(unknown))}.")
    job = fields.get("job")
    if job is not None and job.organization_id != event.candidate.organization_id:
        raise ValueError("The job belongs to another organization.")
    kind_was = event.kind
    for name, value in fields.items():
        setattr(event, name, value)
    if {"kind", "occurred_on", "job"} & set(fields):
        # A correction is a way in too: it may not make a refused action out of an event.
        guard_enforce(
            candidate=event.candidate,
            kind=event.kind,
            occurred_on=event.occurred_on,
            job=event.job,
            event=event,
        )
    event.full_clean()
    _set_audit(event, user=updated_by, reason=change_reason.strip())
    event.save()
    reevaluate([event.candidate_id])
    event_corrected(event, by=updated_by, kind_changed=event.kind != kind_was)
    return event


@transaction.atomic
def event_delete(*, event: Event, reason: str, deleted_by: User | None = None) -> None:
    """Delete an event, keeping it and the reason in the history; re-evaluates the candidate."""
    _set_audit(event, user=deleted_by, reason=_required_reason(reason))
    candidate_id = event.candidate_id
    reminders_services.on_event_deleted(event, by=deleted_by)
    event.delete()
    reevaluate([candidate_id])


@transaction.atomic
def risk_note_update(
    *, risk_note: RiskNote, updated_by: User | None = None, change_reason: str = "", **fields
) -> RiskNote:
    """Correct a risk note (dimension, level, date, text); the earlier version stays."""
    unknown = set(fields) - RISK_NOTE_EDITABLE
    if unknown:
        raise TypeError(f"Risk notes cannot change: {', '.join(sorted(unknown))}.")
    for name, value in fields.items():
        setattr(risk_note, name, value)
    risk_note.full_clean()
    _set_audit(risk_note, user=updated_by, reason=change_reason.strip())
    risk_note.save()
    reevaluate([risk_note.candidate_id])
    return risk_note


@transaction.atomic
def risk_note_delete(*, risk_note: RiskNote, reason: str, deleted_by: User | None = None) -> None:
    """Delete a risk note, keeping it and the reason in the history; re-evaluates."""
    _set_audit(risk_note, user=deleted_by, reason=_required_reason(reason))
    candidate_id = risk_note.candidate_id
    risk_note.delete()
    reevaluate([candidate_id])


REQUESTABLE = {Status.STUMBLED.value, Status.REFUSED.value, Status.REJECTED.value}


def request_refusal(candidate: Candidate) -> str:
    """Why this candidate cannot ask for a second chance now ("" when they can)."""
    if candidate.status in REQUESTABLE:
        return ""
    return {
        Status.REQUESTED.value: "A request is already waiting for a decision.",
        Status.SECOND_CHANCE.value: "A second chance is already granted.",
        Status.BURNED.value: "The candidate is burned: do not resubmit.",
    }.get(candidate.status, "There is no misstep to ask a second chance for.")


def second_chance_request(
    *,
    candidate: Candidate,
    pitch: str,
    recorded_by: User | None = None,
    job: Job | None = None,
    occurred_on: date | None = None,
    submission: uuid.UUID | None = None,
    override_reason: str = "",
    source: str = "",
) -> Event:
    """`source`: EventSource.CANDIDATE when the candidate wrote it through their private
    link (outreach.services.request_by_link)."""
    return event_log(
        candidate=candidate,
        kind=Kind.SECOND_CHANCE_REQUESTED,
        occurred_on=occurred_on or today(),
        notes=pitch,
        job=job,
        recorded_by=recorded_by,
        submission=submission,
        override_reason=override_reason,
        source=source,
    )


def second_chance_decide(
    *,
    candidate: Candidate,
    grant: bool,
    decided_by: User | None = None,
    note: str = "",
    job: Job | None = None,
    occurred_on: date | None = None,
    interview_at: datetime | None = None,
    submission: uuid.UUID | None = None,
    answering_request: bool = False,
    source: str = "",
    source_name: str = "",
) -> Event:
    """Grant or refuse; the decision answers the latest request, so by default it is for the
    job that request was made for (from the candidate page and the review queue alike).

    `answering_request` (the pages): the request must still be waiting, checked under the
    candidate's lock, so that two managers deciding at once record one decision."""
    if answering_request:
        with transaction.atomic():
            locked = Candidate.objects.select_for_update().get(pk=candidate.pk)
            if locked.status != Status.REQUESTED:
                raise ValidationError("There is no second-chance request waiting for a decision.")
            return second_chance_decide(
                candidate=locked,
                grant=grant,
                decided_by=decided_by,
                note=note,
                job=job,
                occurred_on=occurred_on,
                interview_at=interview_at,
                submission=submission,
                source=source,
                source_name=source_name,
            )
    if job is None:
        request = (
            candidate.events.filter(kind=Kind.SECOND_CHANCE_REQUESTED)
            .select_related("job")
            .order_by("-occurred_on", "-id")
            .first()
        )
        job = request.job if request else None
    return event_log(
        candidate=candidate,
        kind=Kind.SECOND_CHANCE_GRANTED if grant else Kind.SECOND_CHANCE_REFUSED,
        occurred_on=occurred_on or today(),
        notes=note,
        job=job,
        recorded_by=decided_by,
        interview_at=interview_at if grant else None,
        submission=submission,
        source=source,
        source_name=source_name,
    )


def flag_set(
    *, candidate: Candidate, reason: str, recorded_by: User | None = None, occurred_on=None
) -> Event:
    return event_log(
        candidate=candidate,
        kind=Kind.DO_NOT_RESUBMIT,
        occurred_on=occurred_on or today(),
        notes=reason,
        recorded_by=recorded_by,
    )


def flag_clear(
    *, candidate: Candidate, reason: str = "", recorded_by: User | None = None, occurred_on=None
) -> Event:
    return event_log(
        candidate=candidate,
        kind=Kind.FLAG_CLEARED,
        occurred_on=occurred_on or today(),
        notes=reason,
        recorded_by=recorded_by,
    )


# --- Clients and jobs ---------------------------------------------------------------------


@transaction.atomic
def client_create(*, organization: Organization, name: str) -> Client:
    client = Client(organization=organization, name=name.strip())
    client.full_clean()
    client.save()
    return client


@transaction.atomic
def client_update(*, client: Client, name: str) -> Client:
    renamed = client.name != name.strip()
    client.name = name.strip()
    client.full_clean()
    client.save()
    if renamed:
        # Stored explanations name the client ("No-show on ... (Acme, Forklift operator)").
        reevaluate(Event.objects.filter(job__client=client).values_list("candidate_id", flat=True))
    return client


@transaction.atomic
def job_create(
    *,
    organization: Organization,
    client: Client,
    title: str,
    hiring_manager: str = "",
    state: str = "open",
) -> Job:
    if client.organization_id != organization.pk:
        raise ValueError("The client belongs to another organization.")
    job = Job(
        organization=organization,
        client=client,
        title=title.strip(),
        hiring_manager=hiring_manager.strip(),
        state=state,
    )
    job.full_clean()
    job.save()
    return job


@transaction.atomic
def job_update(
    *, job: Job, client: Client, title: str, hiring_manager: str = "", state: str
) -> Job:
    if client.organization_id != job.organization_id:
        raise ValueError("The client belongs to another organization.")
    renamed = job.client_id != client.pk or job.title != title.strip()
    job.client = client
    job.title = title.strip()
    job.hiring_manager = hiring_manager.strip()
    job.state = state
    job.full_clean()
    job.save()
    if renamed:
        # Stored explanations name the job and its client: say the new names.
        reevaluate(job.events.values_list("candidate_id", flat=True))
    return job


# --- Members ------------------------------------------------------------------------------


@transaction.atomic
def member_add(
    *, organization: Organization, email: str, first_name: str, last_name: str = "", role: str
) -> User:
    """A new member of the organization who logs in with their email.

    Their password is random and known to nobody: they choose their own through the
    password-reset link the caller sends them (which also works again later from the
    "Forgotten your password?" page, because the password is usable).
    """
    import secrets

    email = email.strip().lower()
    member = User(
        organization=organization,
        username=email,
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        role=role,
    )
    member.set_password(secrets.token_urlsafe(32))
    member.full_clean()
    member.save()
    return member


@transaction.atomic
def member_update(*, member: User, role: str, is_active: bool) -> User:
    member.role = role
    member.is_active = is_active
    member.full_clean()
    member.save(update_fields=["role", "is_active"])
    return member
