"""Schemathesis against the committed schema (docs/api/openapi.yaml), in-process through the
WSGI application: every operation, with data that fits the schema and data that does not
(hostile input), as an organization's admin with a read-write token. Hypothesis is
derandomized: every run sends the same requests, so a failure in CI reproduces. Every answer must be
no 500, a status the schema documents, its content type and its schema; a path's id is also
tried as a real candidate's, so that writes reach the forms and services.

Runtime: about 50 s for 19 operations on PostgreSQL on 2 shared cores (2026-11-30), test
database included; MAX_EXAMPLES per operation sets it."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
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

schema = schemathesis.openapi.from_path(SCHEMA_FILE)
schema.app = WSGIHandler()


@pytest.fixture
def admin_token(org, settings):
    """Northwind's data and its admin's read-write token (another organization's data is
    tests/test_api_authorization.py's). No rate limit here: the limit has its own test
    (tests/test_api.py)."""
    settings.API_RATE_LIMIT = ""
    northwind = one_world(org)
    raw = token_create(member=northwind.users[ADMIN], name="schemathesis", scope="write").raw
    # The application runs in this test's transaction: Django must not close the connection
    # at the end of each request, as its test client also sees to.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield (
            raw,
            {
                "/api/v1/candidates/": [w.pk for w in (northwind.plain, northwind.stumbled)]
                + [northwind.requested.pk],
                "/api/v1/jobs/": [northwind.job.pk],
                "/api/v1/reminders/": [northwind.reminder.pk],
            },
        )
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_keeps_its_schema_whatever_it_is_sent(case, admin_token):
    raw, real_ids = admin_token
    headers = {"Authorization": f"Bearer {raw}"}
    case.call_and_validate(headers=headers, checks=CHECKS)
    if "id" in (case.path_parameters or {}):
        ids = next(ids for prefix, ids in real_ids.items() if case.path.startswith(prefix))
        real = ids[abs(hash(repr(case.body))) % len(ids)]
        case.path_parameters = {**case.path_parameters, "id": real}
        # The id was perhaps the case's invalid part: it is not any more.
        case.call_and_validate(headers=headers, checks=CHECKS_FOR_A_REAL_ID)
