"""The README's backup, for real: `pg_dump -Fc` of the database and `pg_restore` into a fresh
one give back every row (candidates with their stored status and explanation, events, risk
notes, members, reminders).

PostgreSQL only: it runs the real pg_dump and pg_restore binaries against the test database.
On SQLite it skips; in CI (RECOVERY_REQUIRE_SERVICES=1, always PostgreSQL) it must run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import timedelta

import psycopg
import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from candidates import services
from candidates.engine import Kind, Reason, Status
from candidates.models import Candidate
from reminders.services import reminder_create

from .conftest import REQUIRE_SERVICES

# Committed data: pg_dump is another connection and sees nothing of a test's transaction.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def postgres() -> dict:
    """The test database's connection settings, or a skip (a failure in CI)."""
    reason = ""
    if connection.vendor != "postgresql":
        reason = "backs up PostgreSQL with pg_dump; CI runs on PostgreSQL"
    elif not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        reason = "pg_dump and pg_restore are missing (apt-get install postgresql-client)"
    if reason:
        if REQUIRE_SERVICES:
            pytest.fail(f"CI needs the backup test to run: {reason}")
        pytest.skip(reason)
    return connection.settings_dict


def _client_env(db: dict) -> dict[str, str]:
    env = {**os.environ, "PGHOST": db["HOST"] or "127.0.0.1", "PGUSER": db["USER"] or ""}
    env["PGPORT"] = str(db["PORT"] or 5432)
    if db["PASSWORD"]:
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _conninfo(db: dict, name: str) -> str:
    return psycopg.conninfo.make_conninfo(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname=name,
    )


def _row_counts(cursor) -> dict[str, int]:
    """Rows of every table of the project's apps (and of the members' sessions)."""
    counts = {}
    for label in ("candidates", "reminders", "api"):
        for model in apps.get_app_config(label).get_models():
            table = model._meta.db_table
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 (our table names)
            counts[table] = cursor.fetchone()[0]
    return counts


def test_pg_dump_and_pg_restore_into_a_fresh_database_give_back_the_same_data(
    postgres, org, recruiter, manager, tmp_path
):
    today = services.today()
    kwame = services.candidate_create(
        organization=org, email="kwame@example.com", name="Kwame Mensah", owner=recruiter
    )
    services.event_log(candidate=kwame, kind=Kind.SCHEDULED, occurred_on=today - timedelta(days=9))
    services.event_log(
        candidate=kwame,
        kind=Kind.NO_SHOW,
        reason=Reason.COMMUTE,
        occurred_on=today - timedelta(days=7),
        notes="Night bus cancelled.",
        recorded_by=recruiter,
    )
    services.risk_note_add(
        candidate=kwame, dimension="commute", level=4, author=recruiter, note="Two buses."
    )
    services.second_chance_request(
        candidate=kwame, pitch="My sister drives me now.", recorded_by=recruiter
    )
    aisha = services.candidate_create(organization=org, email="aisha@example.com", name="Aisha")
    services.event_log(candidate=aisha, kind=Kind.ATTENDED, occurred_on=today)
    reminder_create(
        candidate=kwame,
        user=manager,
        title="Decide on Kwame's second chance",
        due_at=timezone.now() + timedelta(days=1),
        created_by=recruiter,
    )
    kwame.refresh_from_db()
    assert kwame.status == Status.REQUESTED
    with connection.cursor() as cursor:
        before = _row_counts(cursor)
    assert before["candidates_candidate"] == 2
    assert before["candidates_event"] == 4
    assert before["reminders_reminder"] >= 1

    env = _client_env(postgres)
    dump = tmp_path / "recovery.dump"
    subprocess.run(
        ["pg_dump", "-Fc", "--no-owner", "-f", str(dump), postgres["NAME"]],
        env=env,
        check=True,
        capture_output=True,
    )
    fresh = f"{postgres['NAME']}_restored"
    with psycopg.connect(_conninfo(postgres, "postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{fresh}"')
        admin.execute(f'CREATE DATABASE "{fresh}"')
        try:
            subprocess.run(
                ["pg_restore", "--no-owner", "--exit-on-error", "-d", fresh, str(dump)],
                env=env,
                check=True,
                capture_output=True,
            )
            with psycopg.connect(_conninfo(postgres, fresh)) as restored:
                cursor = restored.cursor()
                assert _row_counts(cursor) == before
                cursor.execute(
                    "SELECT name, status, risk_score, explanation FROM candidates_candidate"
                    " WHERE email = %s",
                    ["kwame@example.com"],
                )
                name, status, risk_score, explanation = cursor.fetchone()
                cursor.execute(
                    "SELECT kind, reason, notes FROM candidates_event e"
                    " JOIN candidates_candidate c ON c.id = e.candidate_id"
                    " WHERE c.email = %s ORDER BY e.occurred_on, e.id",
                    ["kwame@example.com"],
                )
                events = cursor.fetchall()
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')

    kwame = Candidate.objects.get(pk=kwame.pk)
    assert (name, status, risk_score) == ("Kwame Mensah", Status.REQUESTED, kwame.risk_score)
    assert explanation == kwame.explanation != []
    assert events == list(
        kwame.events.order_by("occurred_on", "id").values_list("kind", "reason", "notes")
    )
