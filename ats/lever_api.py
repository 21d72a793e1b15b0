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

Every failure (no answer within the timeout, a refusal, an answer of another shape) is a
`Unavailable` with words for the review list; the delivery then waits for review, as it does
without a key.
"""

from __future__ import annotations

import base64
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from . import vendors

TIMEOUT_SECONDS = 5
MAX_ANSWER = 1_000_000
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


def _get(api_key: str, path: str) -> dict[str, Any]:
    credentials = base64.b64encode(f"{api_key}:".encode()).decode()
    request = urllib.request.Request(  # noqa: S310 (the base URL is a setting, https)
        settings.LEVER_API_URL.rstrip("/") + path,
        headers={"Authorization": f"Basic {credentials}", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
            body = answer.read(MAX_ANSWER + 1)
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            raise Unavailable("Lever's API refused the API key.") from exc
        if exc.code == 404:
            raise Unavailable("Lever's API does not know this opportunity or reason.") from exc
        raise Unavailable(f"Lever's API answered {exc.code}.") from exc
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise Unavailable("Lever's API did not answer.") from exc
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
