"""Schemathesis against the committed schema (docs/api/openapi.yaml) over real HTTP: the app
served by gunicorn as docker-compose.yml's `web` service runs it (its command and config
file, DEBUG off, https behind a TLS proxy), on this test run's database, with the same
checks, settings and requests as the in-process run (tests/test_api_schemathesis.py,
tests/schemathesis_run.py). Every operation, data that fits the schema and data that does not;
no 500, a documented status, its content type and its schema, over the whole deployed stack:
gunicorn's HTTP parsing, every middleware, WhiteNoise, the settings of production. What
gunicorn refuses itself before the app sees it (a request line over 4,094 bytes...) is its own
HTML page, excused (tests/schemathesis_run.py, docs/api.md); an answer of the app's never is.

The data and the token are committed (a transactional test) so that the server sees them;
one server serves the whole module. SQLite works too: the test database is a file
(recovery/settings.py), which the server opens.

Next to the in-process run, not instead of it: this one proves the stack the other cannot
(committed transactions, the production settings, real HTTP) and the other is the quicker to
debug (its traceback is in the test's process; here the server's is in its log, shown on a
failure). In separate files, xdist runs them side by side.

Runtime: about 60 s for 19 operations on PostgreSQL on 2 shared cores (2026-11-30; 1,670
requests, server start and a committed organization per operation included), 50 s on
SQLite; MAX_EXAMPLES (tests/schemathesis_run.py) sets it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import given
from hypothesis import strategies as st

from .processes import Gunicorn
from .schemathesis_run import (
    SCHEMA_FILE,
    SETTINGS,
    admin_with_data,
    bearer,
    cases,
    operations,
    refused_by_the_server,
    send_and_check,
)

pytestmark = pytest.mark.django_db(transaction=True)

schema = schemathesis.openapi.from_path(SCHEMA_FILE)

# What the TLS proxy in front of the web service adds to every request (docker-compose.yml):
# the app trusts it (SECURE_PROXY_SSL, TRUSTED_PROXY_COUNT) and so never redirects to https.
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory) -> Iterator[Gunicorn]:
    """docker-compose.yml's environment defaults (DEBUG off, https, one proxy), except: no
    API rate limit (its own test is tests/test_api.py's; the run sends hundreds of requests
    with one token), and this run's database, Redis and broker (inherited)."""
    app = Gunicorn(
        tmp_path_factory.mktemp("schemathesis-live") / "gunicorn.log",
        {
            "DEBUG": "0",
            "SECURE_PROXY_SSL": "1",
            "TRUSTED_PROXY_COUNT": "1",
            "SESSION_COOKIE_SECURE": "1",
            "CSRF_COOKIE_SECURE": "1",
            "SECURE_SSL_REDIRECT": "1",
            "SECURE_HSTS_SECONDS": "31536000",
            "EMAIL_URL": "consolemail://",
            "SITE_URL": "https://recovery.example.com",
            "LOG_LEVEL": "INFO",
            "API_RATE_LIMIT": "",
        },
        compose=True,
    )
    try:
        yield app
    finally:
        app.stop()


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as http:
        yield http


@pytest.fixture
def admin_token(org) -> tuple[str, dict[str, list[int]]]:
    """Northwind's data and its admin's read-write token, committed."""
    return admin_with_data(org)


@pytest.mark.parametrize("operation", operations(schema), ids=lambda op: op.label)
@SETTINGS
@given(data=st.data())
def test_the_served_api_keeps_its_schema_whatever_it_is_sent(
    operation, data, admin_token, server, session
):
    raw, real_ids = admin_token
    try:
        send_and_check(
            data.draw(cases(operation)),
            {**bearer(raw), **PROXY_HEADERS},
            real_ids,
            base_url=server.base,
            session=session,
        )
    except Exception as error:
        error.add_note(f"gunicorn's log (tail):\n{server.output()}")
        raise


def test_what_gunicorn_refuses_before_the_app_is_no_answer_of_the_api(admin_token, server, session):
    """A request line over gunicorn's 4,094 bytes is its own 414, an HTML page (a deeper run,
    MAX_EXAMPLES = 300, generated one): excused, as the API never saw it. An answer of the
    app's, a 400 for a query it refuses, is never excused."""
    raw, real_ids = admin_token
    headers = {**bearer(raw), **PROXY_HEADERS}
    candidates = schema["/api/v1/candidates/"]["GET"]
    too_long = candidates.Case(query={"q": "x" * 5000})
    response = too_long.call(base_url=server.base, session=session, headers=headers)
    assert response.status_code == 414 and refused_by_the_server(response)
    send_and_check(too_long, headers, real_ids, base_url=server.base, session=session)

    refused = candidates.Case(query={"sort": "nonsense"})
    response = refused.call(base_url=server.base, session=session, headers=headers)
    assert response.status_code == 400 and not refused_by_the_server(response)
