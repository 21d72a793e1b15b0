"""Schemathesis against the committed schema (docs/api/openapi.yaml), in-process through the
WSGI application: every operation, with data that fits the schema and data that does not
(hostile input), as an organization's admin with a read-write token. Hypothesis is
derandomized: every run sends the same requests, so a failure in CI reproduces. Every answer must be
no 500, a status the schema documents, its content type and its schema; a path's id is also
tried as a real candidate's, so that writes reach the forms and services
(tests/schemathesis_run.py).

The same run over real HTTP to gunicorn is tests/test_api_schemathesis_live.py: this one is
the quicker to debug (a failure's traceback is in this process).

Runtime: about 50 s for 19 operations on PostgreSQL on 2 shared cores (2026-11-30), test
database included; MAX_EXAMPLES per operation sets it."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import given
from hypothesis import strategies as st

from .schemathesis_run import (
    SCHEMA_FILE,
    SETTINGS,
    admin_with_data,
    bearer,
    cases,
    operations,
    send_and_check,
)

schema = schemathesis.openapi.from_path(SCHEMA_FILE)
schema.app = WSGIHandler()


@pytest.fixture
def admin_token(org, settings):
    """Northwind's data and its admin's read-write token. No rate limit here: the limit has
    its own test (tests/test_api.py)."""
    settings.API_RATE_LIMIT = ""
    raw, real_ids = admin_with_data(org)
    # The application runs in this test's transaction: Django must not close the connection
    # at the end of each request, as its test client also sees to.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield raw, real_ids
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.parametrize("operation", operations(schema), ids=lambda op: op.label)
@SETTINGS
@given(data=st.data())
def test_the_api_keeps_its_schema_whatever_it_is_sent(operation, data, admin_token):
    raw, real_ids = admin_token
    send_and_check(data.draw(cases(operation)), bearer(raw), real_ids)
