"""The writes of the ATS integration: sources, the mapping table, and the deliveries.

`receive()` is the webhook's flow, in steps:
1. check the signature (nothing is stored for a delivery that fails it);
2. read the payload (`vendors.py`); a delivery that is not a rejection or an archive is
   acknowledged and forgotten (storing every stage change's personal data would serve
   nothing);
3. store it as an `InboundItem`, once per key: a replay finds its item and writes nothing;
4. try to record it (`_record`): the mapping table gives the kind and reason, the email the
   candidate, the source's client and the job title the job; the event goes through
   `candidates.services.event_log`, so every rule of the app (guards, reminders, the stored
   status) applies. Anything missing leaves the item `needs_review` with why.

Lever's webhook carries ids only (no email, no reason text). A Lever source with an API key
completes each new archive from Lever's API before storing it (`_with_lever_facts`,
lever_api.py); without one (or when the API cannot tell), the item waits for review, where a
member says who the candidate is; the archive reason's id can be mapped like any reason, and
"remember" does so from the review list.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from candidates import services as candidate_services
from candidates.access import may_record_kind
from candidates.clock import latest_date
from candidates.duplicates import duplicates_for_new
from candidates.engine import Kind, Reason, RejectionReason
from candidates.forms import EARLIEST_DATE
from candidates.models import (
    Candidate,
    CandidateAddress,
    Client,
    Event,
    EventSource,
    Job,
    Organization,
    User,
)

from . import lever_api, tokens, vendors
from .models import (
    InboundItem,
    InboundSource,
    ItemState,
    LeverToken,
    ReasonMapping,
    Vendor,
    check_kind_and_reason,
    reason_key,
)

log = logging.getLogger(__name__)

MAX_LIVE_SOURCES = 20
# Lever signs only a delivery's `token` and `triggeredAt`. A delivery triggered longer ago
# than this (or later than LEVER_SKEW from now) is refused, and each token is taken once per
# source: a captured delivery cannot be sent again, with its data changed or not. A day
# covers Lever's retries of a delivery our endpoint failed to take (they come within hours);
# a token is kept as long as its triggeredAt could still be accepted, then pruned.
LEVER_WINDOW = timedelta(hours=24)
LEVER_SKEW = timedelta(minutes=5)
# How many waiting items one retry_waiting tries (oldest first).
RETRY_BATCH = 500


# --- Sources ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewSource:
    source: InboundSource
    url_token: str  # shown once
    secret: str  # Greenhouse's secret key to paste there, shown once ("" for Lever)


@transaction.atomic
def source_create(
    *,
    organization: Organization,
    vendor: str,
    name: str,
    client_name: str,
    signature_token: str = "",
    lever_api_key: str = "",
    by: User | None = None,
    submission: uuid.UUID | None = None,
) -> NewSource:
    """A new source. `submission`: the form's key (candidates.forms.SubmittedOnce): the same
    form posted again (the browser's reload of the answer) raises AlreadySaved and makes
    nothing."""
    if vendor not in Vendor.values:
        raise ValidationError({"vendor": "Choose Greenhouse or Lever."})
    signature_token = (signature_token or "").strip()
    if vendor == Vendor.LEVER and not signature_token:
        raise ValidationError(
            {"signature_token": "Paste the signature token Lever shows for the webhook."}
        )
    lever_api_key = (lever_api_key or "").strip()
    if vendor == Vendor.GREENHOUSE:
        signature_token = lever_api_key = ""  # Greenhouse's secret is ours, derived (tokens.py)
    Organization.objects.select_for_update().filter(pk=organization.pk).values_list("pk").first()
    candidate_services.claim_submission(organization_id=organization.pk, key=submission)
    live = InboundSource.objects.filter(organization=organization, revoked_at__isnull=True)
    if live.count() >= MAX_LIVE_SOURCES:
        raise ValidationError(f"{MAX_LIVE_SOURCES} sources already: revoke one you do not use.")
    salt = tokens.new_salt()
    url_token = tokens.url_token(salt)
    source = InboundSource(
        organization=organization,
        vendor=vendor,
        name=(name or "").strip(),
        client_name=(client_name or "").strip(),
        salt=salt,
        token_hash=tokens.hash_of(url_token),
        signature_token=signature_token,
        lever_api_key=lever_api_key,
        created_by=by,
    )
    source.full_clean()
    source.save()
    log.info("ats source created org=%s source=%s vendor=%s", organization.pk, source.pk, vendor)
    secret = tokens.greenhouse_secret(salt) if vendor == Vendor.GREENHOUSE else ""
    return NewSource(source=source, url_token=url_token, secret=secret)


def source_revoke(*, source: InboundSource) -> bool:
    """Stop the source's URL for good; False when it was revoked already."""
    updated = InboundSource.objects.filter(pk=source.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if updated:
        log.info("ats source revoked org=%s source=%s", source.organization_id, source.pk)
    return bool(updated)


def source_for_token(token: str) -> InboundSource | None:
    """The live source of this URL token; None for a made-up or revoked one alike."""
    if not token or len(token) > 100:
        return None
    return (
        InboundSource.objects.select_related("organization")
        .filter(token_hash=tokens.hash_of(token), revoked_at__isnull=True)
        .first()
    )


# --- The mapping table --------------------------------------------------------------------


@transaction.atomic
def mapping_save(
    *,
    organization: Organization,
    vendor: str,
    external_reason: str,
    kind: str,
    reason: str,
    mapping: ReasonMapping | None = None,
) -> ReasonMapping:
    """Add a row (or change `mapping`); one rule for the form, the review list and the
    admin: ReasonMapping.clean()."""
    row = mapping or ReasonMapping(organization=organization)
    if row.organization_id != organization.pk:
        raise ValueError("The mapping belongs to another organization.")
    row.vendor = vendor or ""
    row.external_reason = external_reason
    row.kind = kind
    row.reason = reason
    row.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError as exc:  # the same reason added at the same moment
        raise ValidationError({"external_reason": "This reason is in the table already."}) from exc
    return row


# Greenhouse's default rejection reasons, with their types, as its support pages list them
# ("Rejection Reasons Overview"), and what we take each to mean. "Duplicate", "Spam" and
# "None specified" are left out on purpose: they say nothing about the candidate or the
# employer, so they wait for review (where they are usually dismissed).
GREENHOUSE_DEFAULTS: tuple[tuple[str, str, str], ...] = (
    # We rejected them
    ("Lacking skill(s)/qualification(s)", Kind.REJECTED, RejectionReason.SKILLS),
    ("Not a cultural fit", Kind.REJECTED, RejectionReason.FIT),
    ("Other (add notes below)", Kind.REJECTED, RejectionReason.OTHER),
    ("Preferred another candidate", Kind.REJECTED, RejectionReason.ANOTHER_CANDIDATE),
    # They rejected us
    ("Didn't like offer", Kind.DECLINED_OFFER, Reason.UNKNOWN),
    ("Other", Kind.WITHDREW, Reason.OTHER),
    ("Wasn't available", Kind.WITHDREW, Reason.UNKNOWN),
    ("Wasn't interested", Kind.WITHDREW, Reason.CHANGE_OF_HEART),
)


@transaction.atomic
def mapping_add_defaults(*, organization: Organization) -> int:
    """Add Greenhouse's default reasons the table does not have yet; returns how many."""
    added = 0
    for external, kind, reason in GREENHOUSE_DEFAULTS:
        if mapping_for(organization.pk, Vendor.GREENHOUSE, external) is None:
            mapping_save(
                organization=organization,
                vendor=Vendor.GREENHOUSE,
                external_reason=external,
                kind=kind,
                reason=reason,
            )
            added += 1
    return added


def mapping_delete(*, mapping: ReasonMapping) -> None:
    mapping.delete()


def mapping_for(organization_id: int, vendor: str, external_reason: str) -> ReasonMapping | None:
    """The row for this reason: the vendor's own first, then one for any ATS."""
    key = reason_key(external_reason)
    if not key:
        return None
    rows = ReasonMapping.objects.filter(
        Q(vendor=vendor) | Q(vendor=""), organization_id=organization_id, key=key
    )
    return min(rows, key=lambda r: r.vendor == "", default=None)


# --- Deliveries ---------------------------------------------------------------------------


class Refused(Exception):
    """The delivery is refused: nothing is stored. `status` is the HTTP answer."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Received:
    item: InboundItem | None  # None: acknowledged and ignored (or a replay not looked up)
    replay: bool = False


def _verified_payload(source: InboundSource, headers: dict[str, str], body: bytes):
    try:
        if source.vendor == Vendor.GREENHOUSE:
            vendors.greenhouse_verify(tokens.greenhouse_secret(source.salt), headers, body)
            data = vendors.load_json(body)
        else:
            data = vendors.load_json(body)
            vendors.lever_verify(source.signature_token, data)
    except vendors.BadSignature as exc:
        raise Refused(401 if exc.missing else 403, str(exc)) from exc
    except vendors.Malformed as exc:
        raise Refused(400, str(exc)) from exc
    return data


def _fresh_lever_moment(data: dict[str, Any]) -> datetime:
    """The delivery's signed `triggeredAt`, refused when outside the window."""
    try:
        triggered = vendors.lever_triggered_at(data)
    except vendors.Malformed as exc:
        raise Refused(400, str(exc)) from exc
    now = timezone.now()
    if not now - LEVER_WINDOW <= triggered <= now + LEVER_SKEW:
        raise Refused(400, "The delivery was triggered too long ago (or in the future).")
    return triggered


def _lever_token_hash(data: dict[str, Any]) -> str:
    return tokens.hash_of(str(data.get("token")))


def _lever_token_used(source: InboundSource, data: dict[str, Any]) -> bool:
    return LeverToken.objects.filter(source=source, token_hash=_lever_token_hash(data)).exists()


def _take_lever_token(source: InboundSource, data: dict[str, Any], triggered: datetime) -> bool:
    """Take the delivery's token for good (in the caller's transaction: a failure to store
    the item gives it back); False when it was taken already."""
    LeverToken.objects.filter(triggered_at__lt=timezone.now() - LEVER_WINDOW).delete()
    try:
        with transaction.atomic():
            LeverToken.objects.create(
                source=source, token_hash=_lever_token_hash(data), triggered_at=triggered
            )
    except IntegrityError:
        return False
    return True


def _dated_from_signed_time(rejection, triggered: datetime):
    """Without an API key the webhook's `archivedAt` is all there is, and it is not signed:
    it is believed only when it comes before the signed `triggeredAt`, within the window;
    otherwise the item is dated from `triggeredAt`."""
    if triggered - LEVER_WINDOW <= rejection.occurred_at <= triggered + LEVER_SKEW:
        return rejection
    return replace(rejection, occurred_at=triggered)


def _delivered(source: InboundSource, key: str):
    """The item stored under this key by any source of the organization for this vendor: a
    source made again (after a SECRET_KEY rotation, docs/ats.md) gets the same deliveries,
    which must stay replays."""
    return InboundItem.objects.filter(
        organization_id=source.organization_id, vendor=source.vendor, key=key
    )


def receive(*, source: InboundSource, headers: dict[str, str], body: bytes) -> Received:
    data = _verified_payload(source, headers, body)
    parse = vendors.greenhouse_parse if source.vendor == Vendor.GREENHOUSE else vendors.lever_parse
    triggered = _fresh_lever_moment(data) if source.vendor == Vendor.LEVER else None
    try:
        rejection = parse(data)
    except vendors.Malformed as exc:
        raise Refused(400, str(exc)) from exc
    if rejection is None:
        return Received(item=None)
    lookup_note = ""
    if triggered is not None and source.lever_api_key:
        # Asked before the transaction (no lock held while Lever answers), and only for a
        # delivery not seen yet.
        if _lever_token_used(source, data):
            return Received(item=None, replay=True)
        seen = _delivered(source, rejection.key).first()
        if seen is not None:
            return Received(item=seen, replay=True)
        rejection, lookup_note = _with_lever_facts(source, data, rejection)
        if lookup_note:
            rejection = _dated_from_signed_time(rejection, triggered)
    elif triggered is not None:
        rejection = _dated_from_signed_time(rejection, triggered)
    try:
        # The day it happened as the app counts days (clock.today: the server's time zone),
        # not UTC's.
        occurred_on = timezone.localdate(rejection.occurred_at, timezone.get_default_timezone())
    except (OverflowError, ValueError) as exc:  # 9999-12-31T23:59:59Z, east of UTC
        raise Refused(400, "The rejection's date is out of range.") from exc
    try:
        return _store(source, data, rejection, occurred_on, lookup_note, triggered)
    except DataError as exc:
        # A backstop: whatever a signed body holds that the database refuses is the sender's
        # fault (400), never a 500. Nothing is kept (the transaction is rolled back).
        log.warning("ats delivery not storable source=%s: %s", source.pk, type(exc).__name__)
        raise Refused(400, "The body holds what cannot be stored.") from exc


def _store(
    source: InboundSource,
    data: dict[str, Any],
    rejection: vendors.Rejection,
    occurred_on: date,
    lookup_note: str,
    triggered: datetime | None,
) -> Received:
    with transaction.atomic():
        if triggered is not None and not _take_lever_token(source, data, triggered):
            return Received(item=None, replay=True)
        existing = _delivered(source, rejection.key).first()
        if existing is not None:
            return Received(item=existing, replay=True)
        try:
            with transaction.atomic():
                item = InboundItem.objects.create(
                    organization_id=source.organization_id,
                    source=source,
                    vendor=source.vendor,
                    key=rejection.key,
                    payload=vendors.storable(data),
                    candidate_email=rejection.candidate_email,
                    candidate_name=rejection.candidate_name,
                    job_title=rejection.job_title,
                    external_reason=rejection.external_reason,
                    reason_detail=rejection.reason_detail,
                    lookup_note=lookup_note,
                    occurred_on=occurred_on,
                    state=ItemState.NEEDS_REVIEW,
                )
        except IntegrityError:
            # The same delivery, twice at once: the other one stored it.
            return Received(item=_delivered(source, rejection.key).get(), replay=True)
        _record(item)
    return Received(item=item)


def _lever_ids(data: dict[str, Any]) -> tuple[str, str]:
    body = data.get("data") if isinstance(data.get("data"), dict) else {}
    archived = body.get("toArchived") if isinstance(body.get("toArchived"), dict) else {}
    return vendors.text(body.get("opportunityId")), vendors.text(archived.get("reason"))


def _with_lever_facts(source: InboundSource, data: dict[str, Any], rejection):
    """The rejection completed from Lever's API (the email, the name, the reason's text in
    place of its id), and what to say when the API could not tell."""
    opportunity_id, reason_id = _lever_ids(data)
    try:
        facts = lever_api.facts(source.lever_api_key, opportunity_id, reason_id)
    except lever_api.Unavailable as exc:
        return rejection, str(exc)
    return (
        replace(
            rejection,
            candidate_email=facts.email,
            candidate_name=facts.name,
            external_reason=facts.reason_text or rejection.external_reason,
            occurred_at=facts.archived_at,
            # Keyed on Lever's own archivedAt: the webhook's is not signed.
            key=vendors.lever_key(opportunity_id, int(facts.archived_key)),
            reason_detail=f"Lever archive reason {reason_id}"[: vendors.MAX_TEXT],
        ),
        "",
    )


def _reasons_of(item: InboundItem) -> list[str]:
    """What the item's reason is looked up by: its text; for Lever, its archive reason's id
    as well (a row made before the source had an API key, or from a delivery the API could
    not complete)."""
    reasons = [item.external_reason]
    if item.vendor == Vendor.LEVER and isinstance(item.payload, dict):
        _, reason_id = _lever_ids(item.payload)
        if reason_id and reason_key(reason_id) != reason_key(item.external_reason):
            reasons.append(reason_id)
    return reasons


def _mapping_of(item: InboundItem) -> ReasonMapping | None:
    """The row for the item's reason (`_reasons_of`, in that order)."""
    for reason in _reasons_of(item):
        found = mapping_for(item.organization_id, item.vendor, reason)
        if found is not None:
            return found
    return None


def mapping_among(rows: list[ReasonMapping], item: InboundItem) -> ReasonMapping | None:
    """`_mapping_of` over rows read already (the review page reads the table once)."""
    known = {(row.vendor, row.key): row for row in rows}
    for reason in _reasons_of(item):
        key = reason_key(reason)
        found = known.get((item.vendor, key)) or known.get(("", key))
        if found is not None:
            return found
    return None


def find_candidate(organization_id: int, email: str) -> Candidate | None:
    email = (email or "").strip().lower()
    if not email:
        return None
    found = Candidate.objects.filter(organization_id=organization_id, email__iexact=email).first()
    if found is not None:
        return found
    address = (
        CandidateAddress.objects.select_related("candidate")
        .filter(organization_id=organization_id, email__iexact=email)
        .first()
    )
    return address.candidate if address else None


def _get_or_create(find, create):
    """`find()`, else `create()` in a savepoint; a concurrent delivery that made the same row
    first (the unique constraint's IntegrityError, or full_clean's ValidationError when it had
    committed already) means it is there now: read it again."""
    found = find()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return create()
    except (IntegrityError, ValidationError):
        found = find()
        if found is None:
            raise
        return found


def job_for(source: InboundSource, title: str) -> Job | None:
    """The job of this title at the source's client (without case), created open when new;
    None when the ATS named no job."""
    title = (title or "").strip()
    if not title or not source.client_name:
        return None
    organization = source.organization
    client_name = source.client_name.strip()
    client = _get_or_create(
        lambda: (
            Client.objects.annotate(lname=Lower("name"))
            .filter(organization=organization, lname=client_name.lower())
            .first()
        ),
        lambda: candidate_services.client_create(organization=organization, name=client_name),
    )
    return _get_or_create(
        lambda: (
            Job.objects.annotate(ltitle=Lower("title"))
            .filter(client=client, ltitle=title.lower())
            .first()
        ),
        lambda: candidate_services.job_create(
            organization=organization, client=client, title=title
        ),
    )


def _notes(item: InboundItem) -> str:
    said = item.external_reason or "no reason given"
    detail = f" ({item.reason_detail})" if item.reason_detail else ""
    return f"{item.get_vendor_display()}: {said}{detail}"


def _needs_review(item: InboundItem, message: str) -> InboundItem:
    item.state = ItemState.NEEDS_REVIEW
    item.message = message[:500]
    item.save(update_fields=["state", "message"])
    return item


def _log(
    item: InboundItem,
    *,
    candidate: Candidate,
    kind: str,
    reason: str,
    by: User | None,
):
    with transaction.atomic():
        job = job_for(item.source, item.job_title)
        return candidate_services.event_log(
            candidate=candidate,
            kind=kind,
            occurred_on=item.occurred_on,
            reason=reason,
            notes=_notes(item),
            job=job,
            recorded_by=by,
            source=EventSource.ATS,
            source_name=str(item.source),
        )


def _date_problem(item: InboundItem) -> str:
    """The forms' date rule (candidates/forms.py `_past_or_today`: not after today as
    `clock.latest_date` counts it, not before EARLIEST_DATE), which an ATS's date meets as
    any member's does; "" when the date is fine."""
    if item.occurred_on > latest_date(""):
        return f"The ATS dates it {item.occurred_on.isoformat()}, after today: check it there."
    if item.occurred_on < EARLIEST_DATE:
        return (
            f"The ATS dates it {item.occurred_on.isoformat()}, before "
            f"{EARLIEST_DATE.isoformat()}: check it there."
        )
    return ""


def _probably_recorded(item: InboundItem, candidate: Candidate, kind: str) -> Event | None:
    """An event of this kind on this candidate that day, for the same job (the title at the
    source's client, without case) or for no job, recorded not by the ATS: a member recorded
    it by hand before the ATS said so. Recording it again would count one rejection (or
    misstep) twice."""
    same_job = Q(job__isnull=True)
    if item.job_title and item.source.client_name:
        same_job |= Q(
            job__title__iexact=item.job_title.strip(),
            job__client__name__iexact=item.source.client_name.strip(),
        )
    elif not item.job_title:
        same_job = Q()  # the ATS named no job: any job that day
    return (
        Event.objects.select_related("job")
        .filter(same_job, candidate=candidate, kind=kind, occurred_on=item.occurred_on)
        # The ATS's own events are told apart by their keys (another application is another
        # rejection); only one recorded otherwise (the forms, the import, the API) is doubted.
        .exclude(source=EventSource.ATS)
        .first()
    )


def _record(item: InboundItem) -> InboundItem:
    """Record the item's event if everything needed is known; else say what is missing.
    Only an item still waiting, as the database says under a lock (the caller's copy may be
    stale: a member may have resolved or dismissed it since it was read)."""
    still_waiting = (
        InboundItem.objects.select_for_update()
        .filter(pk=item.pk, state=ItemState.NEEDS_REVIEW)
        .values_list("pk", flat=True)
    )
    if not still_waiting:
        item.refresh_from_db()
        return item
    wrong_date = _date_problem(item)
    if wrong_date:
        return _needs_review(item, wrong_date)
    mapping = _mapping_of(item)
    if mapping is None:
        said = f"“{item.external_reason}”" if item.external_reason else "no reason"
        return _needs_review(
            item, f"Unknown reason: {said} is not in the mapping table. Say what it means."
        )
    candidate = find_candidate(item.organization_id, item.candidate_email)
    if candidate is None:
        if item.vendor == Vendor.LEVER and item.lookup_note:
            why = f"{item.lookup_note} Say who the candidate is."
        elif item.vendor == Vendor.LEVER and not item.candidate_email:
            why = "Lever sends no email address: say who the candidate is."
        elif item.candidate_email:
            why = f"No candidate has the address {item.candidate_email}."
        else:
            why = "The delivery has no email address: say who the candidate is."
        return _needs_review(item, why)
    already = _probably_recorded(item, candidate, mapping.kind)
    if already is not None:
        return _needs_review(
            item,
            f"Probably recorded already: {candidate.name} has a {mapping.kind.replace('_', ' ')} "
            f"on {item.occurred_on.isoformat()}"
            + (f" ({already.job.title})" if already.job_id else "")
            + ". Dismiss this one, or record it if it is another.",
        )
    try:
        event = _log(item, candidate=candidate, kind=mapping.kind, reason=mapping.reason, by=None)
    except ValidationError as exc:
        return _needs_review(item, "Not recorded: " + " ".join(exc.messages))
    item.state = ItemState.RECORDED
    item.event = event
    item.candidate = candidate
    item.message = ""
    item.payload = {}  # done with: only what was read from it is kept
    item.save(update_fields=["state", "event", "candidate", "message", "payload"])
    return item


# --- The review list ----------------------------------------------------------------------


def _locked_waiting(item: InboundItem) -> InboundItem:
    locked = InboundItem.objects.select_for_update().select_related("source").get(pk=item.pk)
    if locked.state != ItemState.NEEDS_REVIEW:
        raise ValidationError("This item was already dealt with.")
    return locked


@transaction.atomic
def resolve(
    *,
    item: InboundItem,
    kind: str,
    reason: str,
    candidate_email: str,
    remember: bool,
    by: User,
) -> InboundItem:
    """Record a waiting item as the member says (and, with `remember`, add its reason to the
    mapping table so the next one goes straight through). A candidate not known yet is added
    when the delivery named them."""
    check_kind_and_reason(kind, reason)
    if not may_record_kind(by, kind):
        raise ValidationError("Your role cannot record this.")
    item = _locked_waiting(item)
    wrong_date = _date_problem(item)
    if wrong_date:
        raise ValidationError(f"{wrong_date} Dismiss it, or record it by hand.")
    organization = item.source.organization
    email = (candidate_email or item.candidate_email).strip().lower()
    candidate = find_candidate(item.organization_id, email)
    if candidate is None:
        if not (email and item.candidate_name):
            raise ValidationError(
                {"candidate_email": "No candidate has this address: add them first."}
            )
        # One person, one history: a new candidate who is probably someone already here is
        # not made from here (there is no "this is a different person" to tick): the member
        # records it on that candidate, or adds the new one from "Add a candidate".
        matches = duplicates_for_new(organization, name=item.candidate_name, email=email)
        if matches:
            named = "; ".join(
                f"{m.candidate.name} <{m.candidate.email}> ({m.why})" for m in matches
            )
            raise ValidationError(
                {
                    "candidate_email": f"{item.candidate_name} is probably the same person as "
                    f"{named}: give that candidate's email, or add them first from "
                    "“Add a candidate”."
                }
            )
        candidate = candidate_services.candidate_create(
            organization=organization, email=email, name=item.candidate_name
        )
    if remember and item.external_reason and _mapping_of(item) is None:
        mapping_save(
            organization=organization,
            vendor=item.vendor,
            external_reason=item.external_reason,
            kind=kind,
            reason=reason,
        )
    item.event = _log(item, candidate=candidate, kind=kind, reason=reason, by=by)
    item.candidate = candidate
    item.state = ItemState.RECORDED
    item.message = ""
    item.payload = {}  # done with: only what was read from it is kept
    item.resolved_by = by
    item.resolved_at = timezone.now()
    item.save(
        update_fields=[
            "event",
            "candidate",
            "state",
            "message",
            "payload",
            "resolved_by",
            "resolved_at",
        ]
    )
    return item


@transaction.atomic
def dismiss(*, item: InboundItem, by: User) -> InboundItem:
    item = _locked_waiting(item)
    item.state = ItemState.DISMISSED
    item.payload = {}  # done with: only what was read from it is kept
    item.resolved_by = by
    item.resolved_at = timezone.now()
    item.save(update_fields=["state", "payload", "resolved_by", "resolved_at"])
    return item


def retry_waiting(*, organization: Organization) -> int:
    """Try again every waiting item of the organization (after the table or the candidates
    changed); returns how many were recorded.

    Each item is claimed on its own: locked, and tried only if it is still waiting. Another
    retry, a member's resolve or dismiss may have dealt with it since the list was read;
    without the re-check under the lock, both would record it."""
    recorded = 0
    waiting = (
        InboundItem.objects.filter(organization=organization, state=ItemState.NEEDS_REVIEW)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)
    )
    for pk in list(waiting[:RETRY_BATCH]):
        with transaction.atomic():
            item = (
                InboundItem.objects.select_for_update(of=("self",))
                .select_related("source__organization")
                .filter(pk=pk, state=ItemState.NEEDS_REVIEW)
                .first()
            )
            if item is not None:
                recorded += _record(item).state == ItemState.RECORDED
    return recorded


def erase_mentions(*, organization_id: int, candidate_id: int, emails) -> int:
    """A candidate is erased (candidates/privacy.py): the deliveries that name them keep
    their key (so that a replay from the ATS stays a replay and brings nothing back) and lose
    everything personal; one still waiting for review is dismissed."""
    addresses = [e.strip().lower() for e in emails if e and e.strip()]
    items = InboundItem.objects.filter(organization_id=organization_id).filter(
        Q(candidate_id=candidate_id)
        | Q(event__candidate_id=candidate_id)
        | Q(candidate_email__in=addresses)
    )
    erased = 0
    for item in items.select_for_update(of=("self",)):
        item.payload = {"erased": True}
        item.candidate_email = ""
        item.candidate_name = ""
        item.reason_detail = ""
        if item.state == ItemState.NEEDS_REVIEW:
            item.state = ItemState.DISMISSED
            item.resolved_at = timezone.now()
        item.message = "The candidate was erased."
        item.save()
        erased += 1
    return erased


def headers_of(meta: dict[str, Any]) -> dict[str, str]:
    """The request's headers a vendor signs with (only these: nothing else is read)."""
    return {"Signature": str(meta.get("HTTP_SIGNATURE", ""))}
