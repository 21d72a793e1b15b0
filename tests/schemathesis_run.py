"""What both schemathesis runs share (tests/test_api_schemathesis.py, in-process through the
WSGI handler; tests/test_api_schemathesis_live.py, over HTTP to gunicorn): the committed
schema, the checks, Hypothesis's settings, the data and token they run as, and one case's
requests."""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from api.tokens import token_create

from .worlds import ADMIN, one_world

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "docs" / "api" / "openapi.yaml"
MAX_EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
CHECKS_FOR_A_REAL_ID = [check for check in CHECKS if check is not negative_data_rejection]

# Derandomized: every run sends the same requests, so a failure in CI reproduces.
SETTINGS = hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


def operations(schema) -> list:
    """Every operation of the schema, for `pytest.mark.parametrize` (one test, and one node
    id, per operation: `schema.parametrize()` gave them all the function's node id, and
    under xdist the items that shared it ran as one: one operation of 19 was fuzzed)."""
    return [result.ok() for result in schema.get_all_operations()]


def cases(operation) -> st.SearchStrategy:
    """Data that fits the operation's schema, and data that does not (hostile input)."""
    return st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )


def admin_with_data(org) -> tuple[str, dict[str, list[int]]]:
    """Northwind's data (another organization's is tests/test_api_authorization.py's), its
    admin's read-write token, and the real ids of each collection a path's id names."""
    northwind = one_world(org)
    raw = token_create(member=northwind.users[ADMIN], name="schemathesis", scope="write").raw
    return raw, {
        "/api/v1/candidates/": [w.pk for w in (northwind.plain, northwind.stumbled)]
        + [northwind.requested.pk],
        "/api/v1/jobs/": [northwind.job.pk],
        "/api/v1/reminders/": [northwind.reminder.pk],
    }


def send_and_check(case, headers: dict[str, str], real_ids: dict[str, list[int]], **call) -> None:
    """The case as generated, then (when its path names an id) again with a real one, so
    that writes reach the forms and services. `call`: where to send it (base_url, session)."""
    _send_and_check(case, headers, CHECKS, call)
    if "id" in (case.path_parameters or {}):
        ids = next(ids for prefix, ids in real_ids.items() if case.path.startswith(prefix))
        # crc32, not hash(): str hashes change with each process (PYTHONHASHSEED), and the
        # id picked must be the same on every run, as the requests are.
        real = ids[zlib.crc32(repr(case.body).encode()) % len(ids)]
        case.path_parameters = {**case.path_parameters, "id": real}
        # The id was perhaps the case's invalid part: it is not any more.
        _send_and_check(case, headers, CHECKS_FOR_A_REAL_ID, call)


# What gunicorn refuses itself, before the app sees the request (docs/api.md, "Writes and
# errors"): a request line over 4,094 bytes (414), too many or too long header fields (431),
# a request that is not HTTP/1.1 as gunicorn reads it (400). Its plain HTML page is no part
# of the schema: the API never saw the request.
SERVER_REFUSALS = {400, 414, 431}


def refused_by_the_server(response) -> bool:
    """gunicorn's own answer: a refusal without the headers every answer of the app carries
    (SecurityMiddleware's nosniff), so that no answer of the app's is ever excused."""
    headers = response.headers  # lower-case names, lists of values (schemathesis's)
    return (
        response.status_code in SERVER_REFUSALS
        and "x-content-type-options" not in headers
        and headers.get("content-type", [""])[0].startswith("text/html")
    )


def _send_and_check(case, headers: dict[str, str], checks: list, call: dict) -> None:
    __tracebackhide__ = True
    response = case.call(headers=headers, **call)
    if call.get("base_url") and refused_by_the_server(response):
        return
    case.validate_response(
        response, checks=checks, headers=headers, transport_kwargs={**call, "headers": headers}
    )


def bearer(raw: str) -> dict[str, Any]:
    return {"Authorization": f"Bearer {raw}"}
