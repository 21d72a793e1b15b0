"""What each vendor's webhook says, as plain functions: a signature check and a payload in,
a `Rejection` (or None for a delivery that is not one) out. No database here.

Greenhouse (its web hook documentation, developers.greenhouse.io/webhooks.html):
- every delivery has a `Signature: sha256 <hex>` header, the HMAC-SHA256 of the whole raw
  body with the secret key typed into Greenhouse;
- `reject_candidate` ("Candidate/Prospect rejected") and `application_updated` carry
  `payload.application` with `id`, `status`, `rejected_at`, `rejection_reason` (`name`, and a
  `type.name` such as "We rejected them"), `candidate` (`first_name`, `last_name`,
  `email_addresses[].value`) and `jobs[].name`. An `application_updated` counts only when the
  application's status is `rejected`. Both events for the same rejection share one key (the
  application and its `rejected_at`), so the second is a replay, not a second rejection.
- everything else (the ping sent when a web hook is saved, stage changes, hires...) is
  acknowledged and ignored.

Lever (its webhook documentation, hire.lever.co/developer/documentation#webhooks):
- the body carries `token`, `triggeredAt` (milliseconds), `signature` and `event`; the
  signature is the HMAC-SHA256 of `token + triggeredAt` with the webhook's signature token.
  It signs those two fields, not the body: a delivery's data is only as safe as the HTTPS
  that carried it (docs/ats.md says so);
- `candidateArchiveChange` carries `data` with `opportunityId`, `candidateId`, `contactId`,
  `fromArchived` and `toArchived` (`archivedAt` in milliseconds and `reason`, the id of an
  archive reason). An unarchive (`toArchived` null) is ignored. There is no email, no name,
  no job and no reason text in it: see services.py for what becomes of it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from . import tokens

GREENHOUSE_ACTIONS = ("reject_candidate", "application_updated")
LEVER_EVENTS = ("candidateArchiveChange",)
MAX_TEXT = 200


class Malformed(ValueError):
    """The body is not what the vendor sends (not JSON, or the fields a rejection needs are
    missing or of the wrong type)."""


class BadSignature(Exception):
    def __init__(self, missing: bool):
        super().__init__("missing signature" if missing else "wrong signature")
        self.missing = missing


@dataclass(frozen=True)
class Rejection:
    key: str
    occurred_at: datetime  # aware, UTC; the day it counts for is the app's (services.py)
    external_reason: str = ""
    reason_detail: str = ""
    candidate_email: str = ""
    candidate_name: str = ""
    job_title: str = ""


def _no_constant(name: str) -> Any:
    # Python's json reads NaN, Infinity and -Infinity, which are not JSON (RFC 8259) and
    # which PostgreSQL's jsonb refuses: no vendor sends them.
    raise Malformed(f"The body is not JSON ({name}).")


def load_json(body: bytes) -> dict[str, Any]:
    """The body as a JSON object: strict JSON (no NaN or Infinity), not deeper than any
    vendor's, with lone surrogates (`"\\ud800"`, valid JSON escapes that are no character,
    which neither UTF-8 nor the database can hold) replaced by U+FFFD."""
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # RecursionError: "[[[[…" nested deeper than the parser goes.
        if isinstance(exc, Malformed):
            raise
        raise Malformed("The body is not JSON.") from exc
    if not isinstance(data, dict):
        raise Malformed("The body is not a JSON object.")
    if _depth(data) > MAX_DEPTH:
        raise Malformed("The body is nested deeper than any vendor's.")
    return _without_surrogates(data)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_surrogates(data: Any) -> Any:
    """The depth is bounded (MAX_DEPTH, checked first)."""
    if isinstance(data, str):
        return _SURROGATE.sub("\ufffd", data)
    if isinstance(data, list):
        return [_without_surrogates(v) for v in data]
    if isinstance(data, dict):
        return {_without_surrogates(k): _without_surrogates(v) for k, v in data.items()}
    return data


# The vendors' payloads are nested about 6 deep (Greenhouse's custom fields); far deeper is
# not theirs, and would cost recursion to store.
MAX_DEPTH = 32


def _depth(data: Any) -> int:
    """How deep a parsed JSON value is nested, counted without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return deepest


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise Malformed("A text field holds something else.")
    return " ".join(str(value).replace("\x00", "").split())[:MAX_TEXT]


def text(value: Any) -> str:
    """A vendor's text as we keep it: trimmed, spaces collapsed, no NUL, at most MAX_TEXT."""
    return _text(value)


def storable(data: Any) -> Any:
    """The payload as PostgreSQL's jsonb takes it: without NUL characters (valid JSON, which
    jsonb refuses). The depth is bounded: the body was parsed once already."""
    if isinstance(data, str):
        return data.replace("\x00", "")
    if isinstance(data, list):
        return [storable(v) for v in data]
    if isinstance(data, dict):
        return {storable(k): storable(v) for k, v in data.items()}
    return data


def _key(*parts: str) -> str:
    """A delivery's key, from the vendor's ids: as they are when short, else their hash (the
    column holds 200 characters; ids that long are not a vendor's, but must not fail)."""
    key = ":".join(parts)
    return key if len(key) <= 200 else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _dict(value: Any) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Malformed("An object field holds something else.")
    return value


def _list(value: Any) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Malformed("A list field holds something else.")
    return value


# --- Greenhouse ---------------------------------------------------------------------------


def greenhouse_verify(secret: str, headers: dict[str, str], body: bytes) -> None:
    header = (headers.get("Signature") or "").strip()
    if not header:
        raise BadSignature(missing=True)
    algorithm, _, given = header.partition(" ")
    if algorithm.lower() != "sha256" or not tokens.same(tokens.hmac_hex(secret, body), given):
        raise BadSignature(missing=False)


def _iso_moment(value: Any) -> datetime:
    text = _text(value)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)  # Greenhouse writes UTC
        return moment.astimezone(UTC)
    except ValueError as exc:
        raise Malformed("rejected_at is not a date and time.") from exc
    except OverflowError as exc:  # "0001-01-01T00:00:00+14:00": before year 1 in UTC
        raise Malformed("rejected_at is out of range.") from exc


def greenhouse_key(application_id: str, moment: datetime) -> str:
    """Keyed on the moment, not on how it was written: "…41Z" and "…41.000Z" (the same
    rejection, as `reject_candidate` and `application_updated` may write it) are one key."""
    return _key("application", application_id, "rejected", moment.astimezone(UTC).isoformat())


def greenhouse_parse(data: dict[str, Any]) -> Rejection | None:
    action = data.get("action")
    if action not in GREENHOUSE_ACTIONS:
        return None
    application = _dict(_dict(data.get("payload")).get("application"))
    if application.get("status") != "rejected" or not application.get("rejected_at"):
        if action == "reject_candidate":
            raise Malformed("A rejection without a rejected application.")
        return None  # an application updated in another way
    if application.get("id") in (None, ""):
        raise Malformed("The application has no id.")
    rejected_at = _text(application["rejected_at"])
    candidate = _dict(application.get("candidate"))
    emails = [_text(_dict(e).get("value")) for e in _list(candidate.get("email_addresses"))]
    jobs = [_text(_dict(j).get("name")) for j in _list(application.get("jobs"))]
    reason = _dict(application.get("rejection_reason"))
    name = " ".join(
        part
        for part in (_text(candidate.get("first_name")), _text(candidate.get("last_name")))
        if part
    )
    occurred_at = _iso_moment(rejected_at)
    return Rejection(
        key=greenhouse_key(_text(application["id"]), occurred_at),
        occurred_at=occurred_at,
        external_reason=_text(reason.get("name")),
        reason_detail=_text(_dict(reason.get("type")).get("name")),
        candidate_email=next((e.lower() for e in emails if e), ""),
        candidate_name=name[:MAX_TEXT],
        job_title=next((j for j in jobs if j), ""),
    )


# --- Lever --------------------------------------------------------------------------------


def lever_key(opportunity: str, archived_at: Any) -> str:
    return _key("opportunity", opportunity, "archived", millis_key(archived_at))


def lever_verify(signature_token: str, data: dict[str, Any]) -> None:
    token, triggered_at, given = data.get("token"), data.get("triggeredAt"), data.get("signature")
    if not given or token is None or triggered_at is None:
        raise BadSignature(missing=True)
    if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in (token, triggered_at)):
        raise BadSignature(missing=False)
    if not isinstance(given, str) or not signature_token:
        raise BadSignature(missing=False)
    message = f"{token}{triggered_at}".encode()
    if not tokens.same(tokens.hmac_hex(signature_token, message), given):
        raise BadSignature(missing=False)


def millis_moment(value: Any) -> datetime:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise Malformed("archivedAt is not a time in milliseconds.")
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise Malformed("archivedAt is out of range.") from exc


def millis_key(value: Any) -> str:
    """A time in milliseconds as a key holds it: the same instant whether Lever wrote it as
    an integer or a float (`1762941600000` and `1762941600000.0`)."""
    millis_moment(value)  # refuses what is not a time
    return str(int(value))


def lever_triggered_at(data: dict[str, Any]) -> datetime:
    """The delivery's signed time (`triggeredAt`, milliseconds)."""
    value = data.get("triggeredAt")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    try:
        return millis_moment(value)
    except Malformed as exc:
        raise Malformed("triggeredAt is not a time in milliseconds.") from exc


def lever_parse(data: dict[str, Any]) -> Rejection | None:
    if data.get("event") not in LEVER_EVENTS:
        return None
    body = _dict(data.get("data"))
    archived = _dict(body.get("toArchived"))
    if not archived:
        return None  # unarchived
    opportunity = _text(body.get("opportunityId"))
    if not opportunity:
        raise Malformed("The archive names no opportunity.")
    archived_at = archived.get("archivedAt")
    return Rejection(
        key=lever_key(opportunity, archived_at),
        occurred_at=millis_moment(archived_at),
        external_reason=_text(archived.get("reason")),
        reason_detail=f"Lever opportunity {opportunity}"[:MAX_TEXT],
    )
