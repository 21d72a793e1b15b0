"""Webhooks out: registering endpoints, and the events the rest of the code emits.

The domain's writes call `emit` / `status_changes_emit` inside their own transaction
(candidates.services: `reevaluate` for status changes, `event_log` for requests and decisions,
`candidates_merge`), so a delivery row exists exactly when its cause was committed; the
outbox (delivery.py) sends it after the commit. An organization without endpoints pays one
indexed query per write that could emit.
"""

from __future__ import annotations

import ipaddress
import socket
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from candidates.models import Candidate, Event, Organization, User

from . import signing
from .models import PING, Delivery, DeliveryState, Endpoint, EventType

MAX_ENDPOINTS = 10


# --- Endpoints ------------------------------------------------------------------------------


_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d forms


def _blocked(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6:
        if ip in _IPV4_COMPATIBLE:
            return True
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def url_problem(url: str) -> str:
    """Why this URL cannot be an endpoint ("" when it can). The sender checks the address
    again on every attempt (delivery.py), so a name that later resolves elsewhere gains
    nothing; this check is for an early, clear answer."""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return "Enter a full http(s) address, e.g. https://ats.example.com/hooks/recovery."
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return "Enter a port between 1 and 65535."
    if parts.username or parts.password:
        return "Leave the user name and password out of the address."
    if settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
        return ""
    if parts.scheme != "https":
        return "Use https://: deliveries carry candidates' names and emails."
    try:
        infos = socket.getaddrinfo(parts.hostname, port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return f"The host {parts.hostname} could not be found."
    if any(_blocked(info[4][0]) for info in infos):
        return (
            f"{parts.hostname} is a private, loopback or link-local address: deliveries go "
            "only to the public internet."
        )
    return ""


def _clean(*, url: str, events: Iterable[str], description: str) -> dict[str, Any]:
    url = (url or "").strip()
    events = sorted(set(events))
    errors: dict[str, str] = {}
    if problem := url_problem(url):
        errors["url"] = problem
    if not events:
        errors["events"] = "Choose at least one event."
    elif unknown := [e for e in events if e not in EventType.values]:
        errors["events"] = f"Unknown events: {', '.join(unknown)}."
    if len(description or "") > 200:
        errors["description"] = "At most 200 characters."
    if errors:
        raise ValidationError(errors)
    return {"url": url, "events": events, "description": (description or "").strip()}


@transaction.atomic
def endpoint_create(
    *,
    organization: Organization,
    url: str,
    events: Iterable[str],
    description: str = "",
    by: User,
    submission: uuid.UUID | None = None,
) -> Endpoint:
    """A new endpoint. `submission`: the form's key; the same form posted again raises
    candidates.services.AlreadySaved and adds nothing."""
    from candidates.services import claim_submission

    fields = _clean(url=url, events=events, description=description)
    # One organization's endpoints are counted under its row's lock: two admins at once
    # cannot pass the limit.
    Organization.objects.select_for_update().filter(pk=organization.pk).values("pk").first()
    claim_submission(organization_id=organization.pk, key=submission)
    if Endpoint.objects.filter(organization=organization).count() >= MAX_ENDPOINTS:
        raise ValidationError(f"An organization has at most {MAX_ENDPOINTS} endpoints.")
    return Endpoint.objects.create(
        organization=organization, salt=signing.new_salt(), created_by=by, **fields
    )


def endpoint_update(
    *,
    endpoint: Endpoint,
    url: str,
    events: Iterable[str],
    description: str = "",
    submission: uuid.UUID | None = None,
) -> Endpoint:
    """`submission` is the form's key: an update posted twice sets the same values twice."""
    for name, value in _clean(url=url, events=events, description=description).items():
        setattr(endpoint, name, value)
    endpoint.save(update_fields=["url", "events", "description", "updated_at"])
    return endpoint


def endpoint_delete(*, endpoint: Endpoint) -> None:
    endpoint.delete()


def secret_roll(*, endpoint: Endpoint) -> Endpoint:
    """A new signing secret: deliveries from now on are signed with it."""
    endpoint.salt = signing.new_salt()
    endpoint.save(update_fields=["salt", "updated_at"])
    return endpoint


def secret_of(endpoint: Endpoint) -> str:
    return signing.secret_for(endpoint.salt)


# --- Emitting -------------------------------------------------------------------------------


def _envelope(event_id: uuid.UUID, event_type: str, organization: Organization, data) -> dict:
    return {
        "id": str(event_id),
        "type": event_type,
        "created": timezone.now().isoformat(),
        "organization": {"id": organization.pk, "name": organization.name},
        "data": data,
    }


Data = Callable[[], dict[str, Any]]


def _queue(causes: list[tuple[int, str, Data]]) -> list[Delivery]:
    """One delivery per cause (organization id, event type, a function that builds the data)
    and endpoint that wants it: one query to find the endpoints, one to write the rows. The
    data is built only for an organization with endpoints."""
    if not causes:
        return []
    endpoints: dict[int, list[Endpoint]] = defaultdict(list)
    for endpoint in Endpoint.objects.filter(
        organization_id__in={org for org, _, _ in causes}
    ).select_related("organization"):
        endpoints[endpoint.organization_id].append(endpoint)
    if not endpoints:
        return []
    now = timezone.now()
    rows = []
    for org, event_type, build in causes:
        wanting = [e for e in endpoints.get(org, ()) if e.wants(event_type)]
        if not wanting:
            continue
        event_id, data = uuid.uuid4(), build()
        for endpoint in wanting:
            rows.append(
                Delivery(
                    endpoint=endpoint,
                    event_type=event_type,
                    event_id=event_id,
                    payload=_envelope(event_id, event_type, endpoint.organization, data),
                    next_attempt_at=now,
                )
            )
    if rows:
        Delivery.objects.bulk_create(rows, batch_size=1000)
        _kick()
    return rows


def _kick() -> None:
    from .tasks import send_webhooks  # tasks import delivery: import late

    # robust: a broker that is down must not fail the write that emitted; beat sends it.
    transaction.on_commit(send_webhooks.delay, robust=True)


def _site(path: str) -> str:
    return settings.SITE_URL + path


def candidate_data(candidate: Candidate) -> dict[str, Any]:
    return {
        "id": candidate.pk,
        "name": candidate.name,
        "email": candidate.email,
        "status": candidate.status,
        "risk_score": candidate.risk_score,
        "advice": candidate.advice,
        "live_missteps": candidate.live_missteps,
        "url": _site(reverse("candidates:detail", args=[candidate.pk])),
    }


def _day(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def _event_data(event: Event) -> dict[str, Any]:
    job = event.job
    return {
        "id": event.pk,
        "kind": event.kind,
        "occurred_on": _day(event.occurred_on),
        "job": ({"id": job.pk, "title": job.title, "client": job.client.name} if job else None),
        "notes": event.notes,
        "source": event.source or "member",
        "recorded_by": str(event.recorded_by) if event.recorded_by_id else event.source_name,
    }


def status_changes_emit(changes: list[tuple[Candidate, str | None]]) -> None:
    """Candidates whose stored status moved from the given one (services.reevaluate), or
    that came back from a merge (None: services.merge_undo)."""

    def data(candidate: Candidate, previous: str | None) -> Data:
        return lambda: {
            "candidate": candidate_data(candidate),
            "previous_status": previous,
            "status": candidate.status,
        }

    _queue(
        [
            (candidate.organization_id, EventType.STATUS_CHANGED, data(candidate, previous))
            for candidate, previous in changes
        ]
    )


def _stored(event: Event) -> dict[str, Any]:
    # As re-evaluated by the event's write (the caller's object may be older).
    return candidate_data(Candidate.objects.get(pk=event.candidate_id))


def event_emit(event: Event) -> None:
    """A second-chance request or decision just recorded (services.event_log)."""
    if event.kind == "second_chance_requested":
        event_type = EventType.REQUEST_RECEIVED

        def data() -> dict[str, Any]:
            return {"candidate": _stored(event), "request": _event_data(event)}

    elif event.kind in ("second_chance_granted", "second_chance_refused"):
        event_type = EventType.DECISION_MADE

        def data() -> dict[str, Any]:
            decision = {
                **_event_data(event),
                "granted": event.kind == "second_chance_granted",
                "interview_at": _day(event.interview_at),
            }
            return {"candidate": _stored(event), "decision": decision}

    else:
        return
    _queue([(event.candidate.organization_id, event_type, data)])


def merge_emit(*, kept_id: int, organization_id: int, merged_id: int, merged: dict, reason: str):
    def data() -> dict[str, Any]:
        return {
            # As stored after the merge's re-evaluation.
            "candidate": candidate_data(Candidate.objects.get(pk=kept_id)),
            "merged": {"id": merged_id, "name": merged["name"], "email": merged["email"]},
            "reason": reason,
        }

    _queue([(organization_id, EventType.CANDIDATE_MERGED, data)])


@transaction.atomic
def test_send(*, endpoint: Endpoint, by: User, submission: uuid.UUID | None = None) -> Delivery:
    """ "Send a test": a `ping` to this endpoint alone. A form posted twice sends one."""
    from candidates.services import claim_submission

    claim_submission(organization_id=endpoint.organization_id, key=submission)
    event_id = uuid.uuid4()
    delivery = Delivery.objects.create(
        endpoint=endpoint,
        event_type=PING,
        event_id=event_id,
        payload=_envelope(
            event_id, PING, endpoint.organization, {"message": f"A test sent by {by}."}
        ),
        next_attempt_at=timezone.now(),
    )
    _kick()
    return delivery


@transaction.atomic
def redeliver(*, delivery: Delivery) -> Delivery:
    """Send a delivery that gave up again, with the same event id (receivers that got it
    drop the repeat); its log keeps the earlier attempts."""
    if delivery.state != DeliveryState.FAILED:
        raise ValidationError("Only a delivery that gave up can be sent again.")
    Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.FAILED).update(
        state=DeliveryState.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error=""
    )
    delivery.refresh_from_db()
    _kick()
    return delivery


def deliveries_forget(*, candidate_ids: Iterable[int]) -> int:
    """An erased candidate (candidates.privacy), with the records merged into them: the
    deliveries about any of them go, sent or not, with the answers endpoints gave (which may
    quote them). What the endpoints received is theirs to erase."""
    ids = list(candidate_ids)
    deleted, _ = Delivery.objects.filter(
        Q(payload__data__candidate__id__in=ids) | Q(payload__data__merged__id__in=ids)
    ).delete()
    return deleted


KEEP_LOG = timedelta(days=30)


def deliveries_prune(*, now: datetime | None = None) -> int:
    """The log keeps 30 days: older deliveries that were sent or gave up go (daily, beat)."""
    cutoff = (now or timezone.now()) - KEEP_LOG
    deleted, _ = Delivery.objects.filter(
        created_at__lt=cutoff, state__in=[DeliveryState.SENT, DeliveryState.FAILED]
    ).delete()
    return deleted
