"""Lever's API, for what its webhook leaves out (optional: a source with an API key).

Lever's archive webhook names an opportunity and an archive reason by id only. With the
organization's Lever API key, two reads of Lever's Data API (hire.lever.co/developer/
documentation: "Retrieve a single opportunity", "Retrieve an archive reason"; the base URL is
settings.LEVER_API_URL, https://api.lever.co/v1) give what a rejection needs:

- `GET /opportunities/<id>`: `data.name`, `data.emails` (a list of addresses) and
  `data.archived` (`archivedAt`, `reason`);
- `GET /archive_reasons/<id>`: `data.text` (the reason as Lever shows it) and `data.type`
  (`hired` or `non-hired`).

Authentication is HTTP Basic with the API key as the username and no password. Lever's own
answer is the truth: when the opportunity is not archived for the reason the webhook said
(the webhook's data is not covered by its signature), nothing of it is used.

Every failure (no complete answer within DEADLINE, a refusal, a redirect, a broken answer,
one of another shape, LEVER_API_URL not https) is a `Unavailable` with words for the review
list; the delivery then waits for review, as it does without a key. Never a 500.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from requests_hardened import HTTPSession

from recovery import outbound

from . import vendors

TIMEOUT = (3, 5)  # seconds to connect, and between two reads
DEADLINE = 5  # seconds for a whole read: connecting, asking, the answer read
MAX_ANSWER = 1_000_000
USER_AGENT = "Recovery-ATS/1"
# Lever's ids are UUIDs; anything else is never put into a URL.
_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


class Unavailable(Exception):
    """Lever's API could not tell (the message says why, in words, without the key)."""


@dataclass(frozen=True)
class Facts:
    name: str
    email: str
    reason_text: str
    archived_at: datetime  # Lever's own, not the webhook's
    archived_key: str  # Lever's own archivedAt, as the item's key holds it


def session() -> HTTPSession:
    """A session for one read (recovery.outbound, as the webhooks' sender): redirects are
    never followed (the API key would go along to wherever they point), nothing from the
    environment (proxies, ~/.netrc) applies, and the address is checked against private,
    loopback and link-local ones unless LEVER_API_ALLOW_PRIVATE (the tests' fake)."""
    return outbound.session(
        allow_private=settings.LEVER_API_ALLOW_PRIVATE, timeout=TIMEOUT, user_agent=USER_AGENT
    )


def _fetch(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """One GET: the status and the answer, read no further than MAX_ANSWER + 1 bytes."""
    with session() as http, http.get(url, headers=headers, stream=True) as answer:
        body = b""
        for chunk in answer.iter_content(chunk_size=65536):
            body += chunk
            if len(body) > MAX_ANSWER:
                break
        return answer.status_code, body


def _fetch_within_deadline(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """`_fetch` with a deadline for the whole read (recovery.outbound.within): an answer
    trickling in cannot hold the webhook's request."""
    try:
        return outbound.within(DEADLINE, lambda: _fetch(url, headers), name="lever-api-get")
    except outbound.TooSlow:
        raise Unavailable(f"Lever's API did not answer within {DEADLINE} seconds.") from None


def _get(api_key: str, path: str) -> dict[str, Any]:
    base = settings.LEVER_API_URL.rstrip("/")
    if urlsplit(base).scheme != "https" and not settings.LEVER_API_ALLOW_PRIVATE:
        raise Unavailable("LEVER_API_URL is not https: Lever's API was not asked.")
    credentials = base64.b64encode(f"{api_key}:".encode()).decode()
    headers = {"Authorization": f"Basic {credentials}", "Accept": "application/json"}
    try:
        status, body = _fetch_within_deadline(base + path, headers)
    except Unavailable:
        raise
    except Exception as exc:
        raise Unavailable("Lever's API did not answer.") from exc
    if status in (401, 403):
        raise Unavailable("Lever's API refused the API key.")
    if status == 404:
        raise Unavailable("Lever's API does not know this opportunity or reason.")
    if status != 200:
        raise Unavailable(f"Lever's API answered {status}.")
    if len(body) > MAX_ANSWER:
        raise Unavailable("Lever's API answered more than an opportunity.")
    try:
        data = vendors.load_json(body).get("data")
    except vendors.Malformed as exc:
        raise Unavailable("Lever's API answered something else than JSON.") from exc
    if not isinstance(data, dict):
        raise Unavailable("Lever's API answered without data.")
    return data


def facts(api_key: str, opportunity_id: str, reason_id: str) -> Facts:
    if not (_ID.match(opportunity_id or "") and _ID.match(reason_id or "")):
        raise Unavailable("The webhook's ids are not Lever's.")
    opportunity = _get(api_key, f"/opportunities/{opportunity_id}")
    archived = opportunity.get("archived")
    if not isinstance(archived, dict) or archived.get("reason") != reason_id:
        raise Unavailable(
            "Lever's API says this opportunity is not archived for that reason: check it in Lever."
        )
    reason = _get(api_key, f"/archive_reasons/{reason_id}")
    emails = opportunity.get("emails")
    emails = emails if isinstance(emails, list) else []
    try:
        email = next((vendors.text(e) for e in emails if isinstance(e, str) and e.strip()), "")
        return Facts(
            name=vendors.text(opportunity.get("name")),
            email=email.lower(),
            reason_text=vendors.text(reason.get("text")),
            archived_at=vendors.millis_moment(archived.get("archivedAt")),
            archived_key=vendors.millis_key(archived.get("archivedAt")),
        )
    except vendors.Malformed as exc:
        raise Unavailable("Lever's API answered in another shape.") from exc
