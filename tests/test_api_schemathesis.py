"""Schemathesis against the committed schema (docs/api/openapi.yaml), in-process through the
WSGI application: every operation, with data that fits the schema and data that does not
(hostile input), as an organization's admin with a read-write token. Every answer must be
no 500, a status the schema documents, its content type and its schema; a path's id is also
tried as a real candidate's, so that writes reach the forms and services.

Runtime: about 15-30 s (MAX_EXAMPLES per operation and generation mode)."""

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

from .worlds import ADMIN, two_worlds

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "docs" / "api" / "openapi.yaml"
MAX_EXAMPLES = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

schema = schemathesis.openapi.from_path(SCHEMA_FILE)
schema.app = WSGIHandler()


@pytest.fixture
def admin_token(org, other_org, settings):
    """Both organizations' data, and Northwind's admin's read-write token. No rate limit
    here: the limit has its own test (tests/test_api.py)."""
    settings.API_RATE_LIMIT = ""
    northwind, _rival = two_worlds(org, other_org)
    raw = token_create(member=northwind.users[ADMIN], name="schemathesis", scope="write").raw
    # The application runs in this test's transaction: Django must not close the connection
    # at the end of each request, as its test client also sees to.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield raw, [northwind.plain.pk, northwind.stumbled.pk, northwind.requested.pk]
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
    raw, candidate_ids = admin_token
    headers = {"Authorization": f"Bearer {raw}"}
    case.call_and_validate(headers=headers, checks=CHECKS)
    if "pk" in (case.path_parameters or {}):
        real = candidate_ids[abs(hash(repr(case.body))) % len(candidate_ids)]
        case.path_parameters = {**case.path_parameters, "pk": real}
        case.call_and_validate(headers=headers, checks=CHECKS)
