"""Production settings: `check --deploy` is clean with the production environment, and the
health check answers "ok" over plain http, without a login, revealing nothing."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The variables docker-compose.yml sets in production, and nothing from this shell."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "recovery.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://recovery.example.com",
        "SECURE_PROXY_SSL": "1",
        "SECURE_SSL_REDIRECT": "1",
        "SECURE_HSTS_SECONDS": "31536000",
        "SESSION_COOKIE_SECURE": "1",
        "CSRF_COOKIE_SECURE": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "BROKER_DIR": str(tmp_path / "broker"),
        **extra,
    }


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_production_environment(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


def test_check_deploy_flags_a_deployment_that_switches_https_off(tmp_path):
    # HTTPS is the default with DEBUG off (tests/test_security_round_two.py): a plain-http
    # trial switches it off explicitly, and check --deploy says so.
    env = production_env(
        tmp_path,
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
    )

    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    env.pop("SECRET_KEY")

    result = manage(env, "check")

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_healthz_says_ok_to_anyone_and_nothing_else(client, settings):
    response = client.get("/healthz")

    assert response.status_code == 200
    expected = "database: ok\n" + ("redis: ok\n" if settings.REDIS_URL else "")
    assert response.content.decode() == expected
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"]
    assert not response.cookies
    assert reverse("healthz") == "/healthz"


def test_healthz_only_answers_reads(client):
    assert client.post("/healthz").status_code == 405


def test_healthz_is_served_over_plain_http_when_everything_else_redirects(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200
    redirected = client.get(reverse("login"))
    assert redirected.status_code == 301
    assert redirected.url.startswith("https://")


def test_healthz_answers_503_and_no_details_when_the_database_is_down(tmp_path):
    # A real process whose database does not exist: nothing listens on port 9 (discard).
    env = production_env(
        tmp_path,
        DATABASE_URL="postgres://nobody@127.0.0.1:9/nothing",
        ALLOWED_HOSTS="testserver",
    )
    script = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz', secure=True);"
        "print(r.status_code, r.content.decode())"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "recovery.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.stdout.strip() == "503 database: down", result.stderr


def test_links_in_emails_default_to_https_on_the_served_host_in_production(tmp_path):
    """With DEBUG off and no SITE_URL, a reset link must not point at http://127.0.0.1:8000."""
    env = production_env(tmp_path, ALLOWED_HOSTS="recovery.example.com,www.example.com")
    env.pop("SITE_URL", None)
    result = manage(
        env, "shell", "-c", "from django.conf import settings; print(settings.SITE_URL)"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "https://recovery.example.com"


def test_lever_s_api_is_https_to_public_addresses_by_default_in_production(tmp_path):
    result = manage(
        production_env(tmp_path),
        "shell",
        "-c",
        "from django.conf import settings; "
        "print(settings.LEVER_API_URL, settings.LEVER_API_ALLOW_PRIVATE)",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "https://api.lever.co/v1 False"
