"""Private links' tokens, and the opt-out link in every email to a candidate.

A link's token is HMAC(SECRET_KEY, the link's random salt), 43 URL-safe characters; the
database keeps the salt and the SHA-256 of the token. So the token can be rebuilt for the
email that carries it (queued before it is sent), while the database alone opens nothing.
Rotating SECRET_KEY invalidates every link not yet used, as it does Django's password resets.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from django.core import signing
from django.utils.crypto import salted_hmac

_PURPOSE = "outreach.private-link"
OPT_OUT_SALT = "outreach.opt-out"


def new_salt() -> str:
    return secrets.token_hex(16)


def token_for(salt: str) -> str:
    digest = salted_hmac(_PURPOSE, salt, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def hash_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def opt_out_token(candidate_id: int) -> str:
    return signing.dumps(candidate_id, salt=OPT_OUT_SALT)


def candidate_of_opt_out(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=OPT_OUT_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None
