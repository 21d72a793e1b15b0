"""A source's URL token and its Greenhouse secret key, both HMAC(SECRET_KEY, purpose, salt).

The database keeps the salt and the SHA-256 of the URL token: a copy of it alone neither
opens the endpoint nor signs a delivery. Greenhouse's secret key is derived, not stored, so
the check of a signature needs the site's secret key too. Rotating SECRET_KEY changes both:
every source must then be made again (docs/ats.md says so).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from django.utils.crypto import salted_hmac

_URL_PURPOSE = "ats.inbound-url"
_SECRET_PURPOSE = "ats.greenhouse-secret"  # noqa: S105  (a purpose, not a secret)


def new_salt() -> str:
    return secrets.token_hex(16)


def url_token(salt: str) -> str:
    digest = salted_hmac(_URL_PURPOSE, salt, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def greenhouse_secret(salt: str) -> str:
    return salted_hmac(_SECRET_PURPOSE, salt, algorithm="sha256").hexdigest()


def hash_of(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def hmac_hex(key: str, message: bytes) -> str:
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def same(expected: str, given: str) -> bool:
    """Constant-time comparison of two hex digests (a given one of any shape is refused)."""
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode("utf-8", "replace"))
