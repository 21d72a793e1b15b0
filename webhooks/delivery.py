"""The webhook outbox, sent exactly once in effect.

The protocol is the reminders' (reminders/delivery.py, where each step is argued): claim a
batch with a lease (`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL), then for each
delivery, in one transaction, a conditional UPDATE to `sent` (which holds the row) and the
POST; a 2xx answer commits, anything else rolls back and backs off (`RETRY_DELAYS`, then
"gave up" after `MAX_ATTEMPTS`). Every attempt is logged with the endpoint's answer.

A worker killed during a POST leaves a claim that expires: the next run sends the delivery
again, with the same event id in the body and the `Recovery-Delivery` header. HTTP gives no
way to make the endpoint's acceptance and our COMMIT one step, so the receiver drops a repeat
by that id (docs/webhooks.md says so); we never record a delivery as sent that the endpoint
did not accept with a 2xx.

The address is checked on every attempt by requests-hardened (Saleor's SSRF filter: it
resolves the host once, refuses private, loopback and link-local addresses, and connects to
the address it checked, so a DNS answer that changes between check and connect gains
nothing). Redirects are not followed. `WEBHOOKS_ALLOW_PRIVATE_ADDRESSES` turns the filter off
(tests, a receiver on the same network by choice).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from requests import exceptions
from requests_hardened import HTTPSession
from requests_hardened.ip_filter import InvalidIPAddress

from recovery import outbound
from reminders.delivery import MAX_ATTEMPTS, RETRY_DELAYS, claim_rows

from . import signing
from .models import Delivery, DeliveryAttempt, DeliveryState

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
# A claimed batch is sent one delivery after another, each given at most DEADLINE: the
# lease must outlast the whole batch (10 x 15 s < 5 minutes), or its tail would be claimed
# again by the next run while this one still holds it.
BATCH_SIZE = 10
TIMEOUT = (3, 10)  # seconds to connect, and between two reads
DEADLINE = 15  # seconds for a whole attempt: connecting, sending, the answer read
# A run stops claiming after this long (the next beat carries on), well inside the task's
# time limit (settings.CELERY_TASK_SOFT_TIME_LIMIT).
TIME_BUDGET = timedelta(minutes=2)
RESPONSE_KEPT = 2000  # characters of the endpoint's answer kept in the log
USER_AGENT = "Recovery-Webhooks/1"


class EndpointRefused(Exception):
    def __init__(self, status: int, body: str):
        super().__init__(f"The endpoint answered {status}.")
        self.status, self.body = status, body


def session() -> HTTPSession:
    """A session for one attempt (recovery.outbound: the SSRF filter, no redirects, nothing
    from the environment, no cookie jar shared between organizations)."""
    return outbound.session(
        allow_private=settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES,
        timeout=TIMEOUT,
        user_agent=USER_AGENT,
    )


def send_due(
    *,
    now: datetime | None = None,
    lease: timedelta = LEASE,
    batch_size: int = BATCH_SIZE,
    budget: timedelta = TIME_BUDGET,
) -> int:
    """Claim and send due deliveries until none is left or the time budget is spent; how
    many were delivered."""
    token = uuid.uuid4().hex
    sent = 0
    stop_at = time.monotonic() + budget.total_seconds()
    while claimed := claim_batch(token, now=now or timezone.now(), lease=lease, size=batch_size):
        for delivery in claimed:
            sent += send_one(delivery, token)
        if time.monotonic() > stop_at:
            break
    return sent


def _due(now: datetime):
    return Delivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)


def claim_batch(token: str, *, now: datetime, lease: timedelta, size: int) -> list[Delivery]:
    with transaction.atomic():
        rows = claim_rows(_due, token, now=now, size=size, lease=lease)
        abandoned = [pk for pk, old_token in rows if old_token]
        # A claim still standing was a sender that died mid-attempt: say so in the log.
        DeliveryAttempt.objects.bulk_create(
            DeliveryAttempt(
                delivery_id=pk,
                started_at=now,
                error="The sender stopped before it finished (worker killed?).",
            )
            for pk in abandoned
        )
        return list(
            Delivery.objects.filter(pk__in=[pk for pk, _ in rows], claim_token=token)
            .select_related("endpoint")
            .order_by("pk")
        )


def body_of(delivery: Delivery) -> bytes:
    return json.dumps(delivery.payload, cls=DjangoJSONEncoder, sort_keys=True).encode()


def headers_for(delivery: Delivery, body: bytes, *, timestamp: int) -> dict[str, str]:
    secret = signing.secret_for(delivery.endpoint.salt)
    return {
        "Content-Type": "application/json",
        "Recovery-Event": delivery.event_type,
        "Recovery-Delivery": str(delivery.event_id),
        signing.HEADER: signing.signature(secret, body, timestamp),
    }


def _clean(text: str) -> str:
    # An endpoint's answer is anything: PostgreSQL's text holds no NUL.
    return text.replace("\x00", "\ufffd")


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """One POST; the status and the start of the answer, read no further than we keep."""
    with session() as http, http.post(url, data=body, headers=headers, stream=True) as r:
        kept = b""
        for chunk in r.iter_content(chunk_size=RESPONSE_KEPT):
            kept += chunk
            if len(kept) >= RESPONSE_KEPT:
                break
        return r.status_code, _clean(kept[:RESPONSE_KEPT].decode("utf-8", errors="replace"))


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """`_post` with a deadline for the whole attempt (recovery.outbound.within): a trickling
    endpoint cannot hold the sender and the delivery's transaction."""
    return outbound.within(DEADLINE, lambda: _post(url, body, headers), name="webhook-post")


def send_one(delivery: Delivery, token: str) -> int:
    if delivery.attempts >= MAX_ATTEMPTS:
        return _fail(delivery, token, f"Gave up after {delivery.attempts} attempts.", give_up=True)
    started = timezone.now()
    clock = time.monotonic()
    body = body_of(delivery)
    try:
        with transaction.atomic():
            taken = Delivery.objects.filter(
                pk=delivery.pk, claim_token=token, state=DeliveryState.PENDING
            ).update(state=DeliveryState.SENT, sent_at=started, claim_token="", last_error="")
            if not taken:
                return 0
            headers = headers_for(delivery, body, timestamp=int(time.time()))
            status, answer = post(delivery.endpoint.url, body, headers)
            if not 200 <= status < 300:
                raise EndpointRefused(status, answer)
            DeliveryAttempt.objects.create(
                delivery=delivery,
                started_at=started,
                duration_ms=_ms(clock),
                status_code=status,
                response=answer,
                succeeded=True,
            )
    except SoftTimeLimitExceeded:
        _fail(delivery, token, "The run ran out of time.", started=started, clock=clock)
        raise
    except EndpointRefused as exc:
        _fail(
            delivery,
            token,
            str(exc),
            status=exc.status,
            answer=exc.body,
            started=started,
            clock=clock,
        )
    except Exception as exc:  # whatever an endpoint does, it costs this delivery an attempt
        _fail(delivery, token, describe(exc), started=started, clock=clock)
    else:
        return 1
    return 0


def describe(exc: Exception) -> str:
    """What went wrong, in a line an admin can act on (requests' own messages nest the
    whole connection pool's story)."""
    name = type(exc).__name__
    if isinstance(exc, InvalidIPAddress):
        return "Refused: the address is private, loopback or link-local."
    if isinstance(exc, outbound.TooSlow):
        return str(exc)
    if isinstance(exc, exceptions.SSLError):
        return f"{name}: the TLS handshake failed (is the certificate valid for this host?)."
    if isinstance(exc, exceptions.ConnectTimeout):
        return f"{name}: no connection within {TIMEOUT[0]} seconds."
    if isinstance(exc, exceptions.ReadTimeout):
        return f"{name}: no answer within {TIMEOUT[1]} seconds."
    if isinstance(exc, exceptions.ConnectionError):
        return f"{name}: could not connect (refused, unreachable, or the name does not resolve)."
    return _clean(f"{name}: {exc}")[:500]


def _ms(clock: float) -> int:
    return int((time.monotonic() - clock) * 1000)


def _fail(
    delivery: Delivery,
    token: str,
    error: str,
    *,
    give_up: bool = False,
    status: int | None = None,
    answer: str = "",
    started: datetime | None = None,
    clock: float | None = None,
) -> int:
    now = timezone.now()
    attempts = delivery.attempts + 1
    error = _clean(error)[:2000]
    changes = {"attempts": F("attempts") + 1, "last_error": error, "claim_token": ""}
    if give_up or attempts >= MAX_ATTEMPTS:
        changes["state"] = DeliveryState.FAILED
    else:
        changes["next_attempt_at"] = now + RETRY_DELAYS[attempts - 1]
    with transaction.atomic():
        updated = Delivery.objects.filter(
            pk=delivery.pk, claim_token=token, state=DeliveryState.PENDING
        ).update(**changes)
        if updated:
            DeliveryAttempt.objects.create(
                delivery=delivery,
                started_at=started or now,
                duration_ms=_ms(clock) if clock is not None else None,
                status_code=status,
                response=answer,
                error=error,
            )
    logger.warning("Webhook delivery %s: %s", delivery.pk, error)
    return 0
