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

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from requests import RequestException, Response, exceptions
from requests_hardened import Config, HTTPSession
from requests_hardened.ip_filter import InvalidIPAddress

from reminders.delivery import MAX_ATTEMPTS, RETRY_DELAYS, claim_rows

from . import signing
from .models import Delivery, DeliveryAttempt, DeliveryState

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BATCH_SIZE = 50
TIMEOUT = (3, 10)  # seconds to connect, to read
RESPONSE_KEPT = 2000  # characters of the endpoint's answer kept in the log
USER_AGENT = "Recovery-Webhooks/1"


class EndpointRefused(Exception):
    def __init__(self, status: int, body: str):
        super().__init__(f"The endpoint answered {status}.")
        self.status, self.body = status, body


def session() -> HTTPSession:
    return HTTPSession(
        Config(
            ip_filter_enable=not settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES,
            ip_filter_allow_loopback_ips=False,
            never_redirect=True,
            default_timeout=TIMEOUT,
            user_agent_override=USER_AGENT,
        )
    )


def send_due(
    *, now: datetime | None = None, lease: timedelta = LEASE, batch_size: int = BATCH_SIZE
) -> int:
    """Claim and send due deliveries until none is left; how many were delivered."""
    token = uuid.uuid4().hex
    sent = 0
    with session() as http:
        while claimed := claim_batch(
            token, now=now or timezone.now(), lease=lease, size=batch_size
        ):
            for delivery in claimed:
                sent += send_one(delivery, token, http)
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


def _answer(response: Response) -> str:
    """The start of the endpoint's answer, read no further than we keep."""
    raw = response.raw.read(RESPONSE_KEPT, decode_content=True) if response.raw else b""
    return raw.decode("utf-8", errors="replace")


def send_one(delivery: Delivery, token: str, http: HTTPSession) -> int:
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
            with http.post(delivery.endpoint.url, data=body, headers=headers, stream=True) as r:
                answer = _answer(r)
            if not 200 <= r.status_code < 300:
                raise EndpointRefused(r.status_code, answer)
            DeliveryAttempt.objects.create(
                delivery=delivery,
                started_at=started,
                duration_ms=_ms(clock),
                status_code=r.status_code,
                response=answer,
                succeeded=True,
            )
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
    except InvalidIPAddress:
        _fail(delivery, token, "Refused: the address is private, loopback or link-local.")
    except (RequestException, OSError) as exc:
        _fail(delivery, token, describe(exc), started=started, clock=clock)
    else:
        return 1
    return 0


def describe(exc: Exception) -> str:
    """What went wrong, in a line an admin can act on (requests' own messages nest the
    whole connection pool's story)."""
    name = type(exc).__name__
    if isinstance(exc, exceptions.SSLError):
        return f"{name}: the TLS handshake failed (is the certificate valid for this host?)."
    if isinstance(exc, exceptions.ConnectTimeout):
        return f"{name}: no connection within {TIMEOUT[0]} seconds."
    if isinstance(exc, exceptions.ReadTimeout):
        return f"{name}: no answer within {TIMEOUT[1]} seconds."
    if isinstance(exc, exceptions.ConnectionError):
        return f"{name}: could not connect (refused, unreachable, or the name does not resolve)."
    return f"{name}: {exc}"[:500]


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
    changes = {"attempts": F("attempts") + 1, "last_error": error[:2000], "claim_token": ""}
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
                error=error[:2000],
            )
    logger.warning("Webhook delivery %s: %s", delivery.pk, error)
    return 0
