"""A candidate's rights over their data: an export of everything held about them, and erasure.

Erasure keeps the agency's numbers right and removes the person: the candidate row stays
(with an anonymous name and email) and so do its events (kinds, dates, reasons, jobs), so
statuses, reports and insights still count them; what a person wrote about them goes (event
notes, risk notes' text), and so do every earlier version of those in the audit trail and
every mention of any name, email or phone they ever had (the audit trail keeps a renamed
candidate's earlier ones) in rows that belong to them (reminders and their history…). Their
open reminders are cancelled. The erasure itself is recorded in the audit trail, its reason
without their names or any email address, and logged.

Both are plain functions: the management commands and the candidate page call them.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from .audit import candidate_history
from .models import Candidate, Event, RiskNote, User
from .services import reevaluate

log = logging.getLogger("recovery.privacy")

ERASED_DOMAIN = "erased.invalid"
REDACTED = "[erased]"


# --- Export -------------------------------------------------------------------------------


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    return value


def _row(obj: models.Model, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """Every column of the row, JSON-ready; foreign keys as `<name>_id`."""
    skip = set(exclude)
    return {
        field.attname: _json(getattr(obj, field.attname))
        for field in obj._meta.concrete_fields
        if field.name not in skip
    }


def _email_of(user: User | None) -> str | None:
    return user.email or user.username if user is not None else None


def export_candidate(candidate: Candidate) -> dict[str, Any]:
    """Everything held about one candidate, as a JSON-serializable dict."""
    candidate = Candidate.objects.select_related("organization", "owner").get(pk=candidate.pk)
    events = candidate.events.select_related("job__client", "recorded_by").order_by(
        "occurred_on", "id"
    )
    notes = candidate.risk_notes.select_related("author").order_by("noted_on", "id")
    data: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "organization": {"name": candidate.organization.name, "slug": candidate.organization.slug},
        "candidate": {
            **_row(candidate, exclude=["organization"]),
            "owner": _email_of(candidate.owner),
        },
        "events": [
            {
                **_row(event, exclude=["candidate"]),
                "client": event.job.client.name if event.job else None,
                "job": event.job.title if event.job else None,
                "recorded_by": _email_of(event.recorded_by),
            }
            for event in events
        ],
        "risk_notes": [
            {**_row(note, exclude=["candidate"]), "author": _email_of(note.author)}
            for note in notes
        ],
        "other_addresses": list(candidate.addresses.values_list("email", flat=True)),
        "history": [entry.as_dict() for entry in candidate_history(candidate)],
    }
    if apps.is_installed("reminders"):
        reminder_model = apps.get_model("reminders", "Reminder")
        data["reminders"] = [
            _row(reminder, exclude=["candidate", "organization"])
            for reminder in reminder_model._default_manager.filter(candidate=candidate).order_by(
                "due_at", "pk"
            )
        ]
    return data


# --- Erasure ------------------------------------------------------------------------------


def _redactor(*, names: Iterable[str], emails: Iterable[str], phones: Iterable[str]):
    """A function that replaces every mention of the person in a text with "[erased]": each
    email, each full name, each phone, and each part of each name as a word."""
    words = [*emails, *names]
    for name in names:
        words.extend(re.findall(r"[^\W\d_]{2,}", name))
    words.extend(phone for phone in phones if len(re.sub(r"\D", "", phone)) >= 5)
    words = sorted({w.strip() for w in words if w.strip()}, key=len, reverse=True)
    if not words:
        return lambda text: text
    pattern = re.compile(
        "|".join(rf"(?<!\w){re.escape(w)}(?!\w)" for w in words), flags=re.IGNORECASE
    )
    return lambda text: pattern.sub(REDACTED, text) if text else text


# Any email address, known or not: one typed into the erasure's reason is personal data too.
_ANY_EMAIL = re.compile(r"[^\s@<>()\[\]\"',;:]+@[^\s@<>()\[\]\"',;:]+\.[^\s@<>()\[\]\"',;:]+")


def _everything_they_were_called(candidate: Candidate) -> tuple[set[str], set[str], set[str]]:
    """Every name, email and phone the candidate ever had: the current ones and those of each
    earlier version in the audit trail (a candidate renamed before the erasure)."""
    names, emails, phones = {candidate.name}, {candidate.email}, {candidate.phone}
    for name, email, phone in Candidate.history.filter(id=candidate.pk).values_list(
        "name", "email", "phone"
    ):
        names.add(name)
        emails.add(email)
        phones.add(phone)
    # One person, one history: their other addresses, and the records merged into this one.
    emails.update(candidate.addresses.values_list("email", flat=True))
    for merge in candidate.merges.all():
        names.add(merge.merged.get("name", ""))
        emails.add(merge.merged.get("email", ""))
        phones.add(merge.merged.get("phone", ""))
    return names, emails, phones


def _text_fields(model: type[models.Model]) -> list[str]:
    # Not choices (codes) and not email columns: those hold members' addresses (a risk
    # note's author), which a name part such as "rita" must not rewrite.
    return [
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField)
        and not isinstance(f, models.EmailField)
        and not f.choices
    ]


def _models_pointing_at_candidates() -> list[tuple[type[models.Model], str]]:
    """Every model with a foreign key to Candidate, its history models included (events,
    risk notes, reminders, and whatever is added later)."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.ForeignKey) and field.related_model is Candidate:
                found.append((model, field.attname))
    return found


def _redact_rows(queryset: models.QuerySet, redact, fields: list[str]) -> int:
    changed = []
    for obj in queryset.only("pk", *fields):
        dirty = False
        for name in fields:
            old = getattr(obj, name)
            new = redact(old) if isinstance(old, str) else old
            if new != old:
                setattr(obj, name, new)
                dirty = True
        if dirty:
            changed.append(obj)
    if changed:
        # bulk_update sends no signals: scrubbing adds no history rows of its own.
        queryset.model._default_manager.bulk_update(changed, fields, batch_size=500)
    return len(changed)


def _stop_imports_naming(organization_id: int, emails: Iterable[str], redact) -> None:
    from .models import ImportJob, ImportState

    addresses = [e.lower() for e in emails if e]
    jobs = ImportJob.objects.select_for_update().filter(organization_id=organization_id)
    for job in jobs:
        files = f"{job.events_csv}\n{job.notes_csv}".lower()
        if job.state in (ImportState.PENDING, ImportState.RUNNING) and any(
            address in files for address in addresses
        ):
            job.state = ImportState.FAILED
            job.events_csv = job.notes_csv = ""
            job.claim_token = ""
            job.lease_until = None
            job.error = "Stopped: a candidate in these files was erased. Upload them again."
            job.finished_at = timezone.now()

        def scrub(text) -> str:
            return _ANY_EMAIL.sub(REDACTED, redact(str(text)))

        job.error = scrub(job.error)
        # Each problem is [file, line, message].
        job.problems = [[*problem[:-1], scrub(problem[-1])] for problem in job.problems or []]
        job.save()


def is_erased(candidate: Candidate) -> bool:
    return candidate.email.endswith(f"@{ERASED_DOMAIN}")


@transaction.atomic
def erase_candidate(*, candidate: Candidate, erased_by: User | None, reason: str) -> Candidate:
    """Erase a candidate's personal data in one transaction; returns the erased candidate.

    Kept: the candidate row (anonymous), its events' kinds, dates, reasons and jobs, its
    risk notes' dimensions, levels and authors — the agency's numbers. Removed: name, email,
    phone, event notes, risk notes' text, the same in every earlier version in the audit
    trail, and any mention of the person in rows linked to them.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the candidate is erased (it is recorded)."})
    # Lock the row: a concurrent write to this candidate waits until the erasure is done.
    candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
    names, emails, phones = _everything_they_were_called(candidate)
    redact = _redactor(names=names, emails=emails, phones=phones)
    token = secrets.token_hex(6)
    erased_name = f"Erased candidate {token}"
    erased_email = f"erased-{token}@{ERASED_DOMAIN}"

    # 0. Nobody is to call them any more: their open reminders are cancelled (and their
    # titles scrubbed below, with the audit rows this writes).
    if apps.is_installed("reminders"):
        from reminders.services import cancel_for_candidate

        cancel_for_candidate(candidate, by=erased_by, why="the candidate was erased")

    # 1. The free text people wrote about them, now and in every earlier version.
    Event.objects.filter(candidate=candidate).update(notes="")
    RiskNote.objects.filter(candidate=candidate).update(note="")
    Event.history.filter(candidate_id=candidate.pk).update(notes="")
    RiskNote.history.filter(candidate_id=candidate.pk).update(note="")

    # 2. Any other mention of them in rows linked to them (reminders' titles, change reasons).
    for model, fk in _models_pointing_at_candidates():
        fields = _text_fields(model)
        if fields:
            _redact_rows(model._default_manager.filter(**{fk: candidate.pk}), redact, fields)

    # 2b. Their other addresses, and the merges into them (which keep the merged record's
    # name and email to undo it: an erased candidate's merges cannot be undone).
    merged_ids = list(candidate.merges.values_list("merged_id", flat=True))
    Candidate.history.filter(id__in=merged_ids).update(
        name=erased_name, email=erased_email, phone=""
    )
    candidate.addresses.all().delete()
    candidate.merges.all().delete()

    # 3. Earlier versions of the candidate row itself, whatever they were called then.
    candidate_versions = Candidate.history.filter(id=candidate.pk)
    candidate_versions.update(name=erased_name, email=erased_email, phone="")
    _redact_rows(candidate_versions, redact, _text_fields(Candidate.history.model))

    # 3b. Import jobs of the organization: one still to be written that names them would
    # bring them back under their old address (stopped, its files dropped); any job's list
    # of problems and its error text are scrubbed.
    _stop_imports_naming(candidate.organization_id, emails, redact)

    # 3c. What webhooks told other systems about them, waiting or sent, and the answers.
    if apps.is_installed("webhooks"):
        from webhooks.services import deliveries_forget

        deliveries_forget(candidate_ids=[candidate.pk, *merged_ids])
    # 3d. Deliveries from an applicant tracking system that name them (ats/): their raw
    # payloads hold the name and address the ATS sent.
    if apps.is_installed("ats"):
        from ats.services import erase_mentions

        erase_mentions(
            organization_id=candidate.organization_id, candidate_id=candidate.pk, emails=emails
        )

    # 4. The admin's log names objects by their str(): "Name <email>".
    if apps.is_installed("django.contrib.admin"):
        apps.get_model("admin", "LogEntry")._default_manager.filter(
            content_type=ContentType.objects.get_for_model(Candidate),
            object_id=str(candidate.pk),
        ).update(object_repr=f"{erased_name} <{erased_email}>")

    # 5. The candidate, anonymous from now on; this save is the audit entry of the erasure.
    candidate.name = erased_name
    candidate.email = erased_email
    candidate.phone = ""
    candidate._change_reason = f"erased: {_ANY_EMAIL.sub(REDACTED, redact(reason))}"
    if erased_by is not None:
        candidate._history_user = erased_by
    candidate.save()
    reevaluate([candidate.pk])
    candidate.refresh_from_db()
    log.warning(
        "candidate erased id=%s organization=%s by=%s token=%s",
        candidate.pk,
        candidate.organization_id,
        erased_by.pk if erased_by is not None else "command line",
        token,
    )
    return candidate


# --- For the command line -----------------------------------------------------------------


def candidate_by_email(*, org_slug: str, email: str) -> Candidate:
    """The organization's candidate with this email (any case), or LookupError in words."""
    candidate = (
        Candidate.objects.filter(organization__slug=org_slug, email__iexact=email.strip())
        .select_related("organization")
        .first()
    )
    if candidate is None:
        if not apps.get_model("candidates", "Organization").objects.filter(slug=org_slug).exists():
            raise LookupError(f'No organization with the slug "{org_slug}".')
        raise LookupError(f'No candidate with the email "{email}" in "{org_slug}".')
    return candidate
