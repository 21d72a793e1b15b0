"""Signing webhook deliveries, in the style of Stripe's `Stripe-Signature`.

Each endpoint has a secret, `whsec_` + 43 URL-safe characters, derived from the endpoint's
random salt with the site's SECRET_KEY (as outreach's link tokens are): the database holds
only the salt, so a copy of it cannot forge deliveries. Rolling the secret picks a new salt;
rotating SECRET_KEY rolls every endpoint's secret (their admins must copy the new ones).

Every attempt is signed anew:

    Recovery-Signature: t=<unix time of the attempt>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>

A receiver recomputes v1 over the raw body, compares in constant time, and refuses a `t` too
far from its clock (replays). `verify` below is that check (docs/webhooks.md shows it for
receivers); the tests use it as a receiver would.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from django.utils.crypto import salted_hmac

HEADER = "Recovery-Signature"
TOLERANCE_SECONDS = 300
_PURPOSE = "webhooks.endpoint-secret"


def new_salt() -> str:
    return secrets.token_hex(16)


def secret_for(salt: str) -> str:
    digest = salted_hmac(_PURPOSE, salt, algorithm="sha256").digest()
    return "whsec_" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def signature(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class BadSignature(Exception):
    pass


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> int:
    """Check a `Recovery-Signature` header against the raw body; returns its timestamp."""
    parts: dict[str, list[str]] = {}
    for item in (header or "").split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise BadSignature("No timestamp in the signature header.") from None
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise BadSignature("The timestamp is outside the tolerance (a replay?).")
    expected = signature(secret, body, timestamp).split("v1=", 1)[1]
    if not any(hmac.compare_digest(expected, v) for v in parts.get("v1", [])):
        raise BadSignature("No v1 signature matches the body.")
    return timestamp
