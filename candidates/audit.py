"""The audit trail, read: who created, changed or deleted what on a candidate, and when.

The rows are written by django-simple-history (`history = HistoricalRecords()` on the models):
every save and delete stores a full copy of the row with the user, the time and an optional
reason, so an edit keeps the earlier version and a deletion keeps its reason. We chose it over
django-auditlog, which stores only a diff per change, because "what did this note say before"
must be answerable from one row.

The candidate's stored recovery result (status, risk, advice…) is derived by the engine and
is not part of the history (see `Candidate.history`'s excluded fields).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Model
from django.utils import timezone

from .models import Candidate, Event, Job, Merge, RiskNote, User

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
SUBJECTS = {Candidate: "Candidate", Event: "Event", RiskNote: "Risk note"}
# Fields that say nothing to a reader (identity, bookkeeping) are left out of the changes.
HIDDEN_FIELDS = {"id", "candidate", "organization", "created_at", "updated_at"}
USER_FIELDS = {"owner", "recorded_by", "author"}


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    who: str
    action: str  # created, changed, deleted
    subject: str  # Candidate, Event, Risk note
    label: str  # which one: "No-show on 2026-03-02 (Acme, Forklift operator)"
    changes: tuple[FieldChange, ...]
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "who": self.who,
            "action": self.action,
            "subject": self.subject,
            "label": self.label,
            "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in self.changes],
            "reason": self.reason,
        }


def history_rows(candidate: Candidate) -> list[Model]:
    """Every history row of the candidate, its events and its risk notes (three queries)."""
    order = ("history_date", "history_id")
    return [
        *Candidate.history.filter(id=candidate.pk).order_by(*order),
        *Event.history.filter(candidate_id=candidate.pk).order_by(*order),
        *RiskNote.history.filter(candidate_id=candidate.pk).order_by(*order),
    ]


def candidate_history(candidate: Candidate) -> list[AuditEntry]:
    """The candidate's audit trail, newest first, in six queries whatever its length: the
    three history tables, the merges into it, then the people and the jobs the rows name."""
    rows = history_rows(candidate)
    merges = list(Merge.objects.filter(kept=candidate).order_by("merged_at", "pk"))
    user_ids: set[int] = {m.merged_by_id for m in merges} | {m.undone_by_id for m in merges}

    job_ids: set[int] = set()
    for row in rows:
        user_ids.add(row.history_user_id)
        user_ids.update(getattr(row, f"{name}_id", None) for name in USER_FIELDS)
        job_ids.add(getattr(row, "job_id", None))
    user_ids.discard(None)
    job_ids.discard(None)
    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    jobs = (
        {j.pk: j for j in Job.objects.filter(pk__in=job_ids).select_related("client")}
        if job_ids
        else {}
    )
    render = _Renderer(users, jobs)

    entries: list[tuple[tuple, AuditEntry]] = []
    previous: dict[tuple[type, int], Model] = {}
    for row in rows:
        model = row.instance_type
        key = (model, row.id)
        before = previous.get(key)
        previous[key] = row
        entry = AuditEntry(
            at=row.history_date,
            who=render.user(row.history_user_id, empty="System (import or command line)"),
            action=ACTIONS.get(row.history_type, row.history_type),
            subject=SUBJECTS[model],
            label=render.label(row),
            changes=tuple(render.changes(row, before)),
            reason=row.history_change_reason or "",
        )
        entries.append(((row.history_date, row.history_id), entry))
    for merge in merges:
        for at, who, action in (
            (merge.merged_at, merge.merged_by_id, "merged"),
            (merge.undone_at, merge.undone_by_id, "merge undone"),
        ):
            if at is None:
                continue
            entry = AuditEntry(
                at=at,
                who=render.user(who, empty="System (command line)"),
                action=action,
                subject="Candidate",
                label=f"{merge.merged_label} into {candidate.name}",
                changes=(),
                reason=merge.reason if action == "merged" else "",
            )
            entries.append(((at, 0), entry))
    entries.sort(key=lambda pair: pair[0], reverse=True)
    return [entry for _, entry in entries]


class _Renderer:
    """Turns history rows into words: choice labels, names instead of ids, ISO dates."""

    def __init__(self, users: dict[int, User], jobs: dict[int, Job]):
        self.users = users
        self.jobs = jobs

    def user(self, pk: int | None, *, empty: str = "") -> str:
        if pk is None:
            return empty
        user = self.users.get(pk)
        return str(user) if user is not None else f"a deleted account (#{pk})"

    def job(self, pk: int | None) -> str:
        if pk is None:
            return ""
        job = self.jobs.get(pk)
        return f"{job.client.name}, {job.title}" if job is not None else "a deleted job"

    def value(self, row: Model, name: str, value: Any) -> str:
        if value is None or value == "":
            return ""
        if name in USER_FIELDS:
            return self.user(value)
        if name == "job":
            return self.job(value)
        field = row._meta.get_field(name)
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(value, datetime):
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        if isinstance(value, date):
            return value.isoformat()
        return str(value)

    def label(self, row: Model) -> str:
        model = row.instance_type
        if model is Event:
            text = f"{row.get_kind_display()} on {row.occurred_on.isoformat()}"
            job = self.job(row.job_id)
            return f"{text} ({job})" if job else text
        if model is RiskNote:
            return f"{row.get_dimension_display()} {row.level} by {row.author_email}"
        return row.name

    def changes(self, row: Model, before: Model | None) -> list[FieldChange]:
        if row.history_type == "-":
            return []
        names = [f.name for f in row.instance_type._meta.concrete_fields if f.name in _tracked(row)]
        if row.history_type == "~" and before is not None:
            delta = row.diff_against(before, excluded_fields=HIDDEN_FIELDS)
            changed = {c.field: c for c in delta.changes}
            return [
                FieldChange(
                    field=_label(row, name),
                    old=self.value(row, name, changed[name].old),
                    new=self.value(row, name, changed[name].new),
                )
                for name in names
                if name in changed
            ]
        # Created (or the first row we hold): what it was created with.
        return [
            FieldChange(field=_label(row, name), old="", new=shown)
            for name in names
            if name not in HIDDEN_FIELDS and (shown := self.value(row, name, _raw(row, name)))
        ]


def _tracked(row: Model) -> set[str]:
    return {f.name for f in row.tracked_fields}


def _raw(row: Model, name: str) -> Any:
    field = row._meta.get_field(name)
    return getattr(row, field.attname)


def _label(row: Model, name: str) -> str:
    return str(row.instance_type._meta.get_field(name).verbose_name).capitalize()
