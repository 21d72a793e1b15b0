"""The favicon: every page links it, and /favicon.ico (which browsers ask for on their own)
answers, so it never shows in the log as a refused request."""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ICO_MAGIC = b"\x00\x00\x01\x00"


def refusals(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "member"])
def test_favicon_ico_is_served_and_not_logged_as_a_refused_request(
    client, recruiter, caplog, logged_in
):
    if logged_in:
        client.force_login(recruiter)
    with caplog.at_level(logging.DEBUG):
        response = client.get("/favicon.ico")
        body = b"".join(response.streaming_content)

    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert body.startswith(ICO_MAGIC)
    assert refusals(caplog) == []


def test_a_real_404_is_still_logged_as_refused(client, caplog):
    with caplog.at_level(logging.WARNING, logger="recovery.security"):
        assert client.get("/no-such-page.ico").status_code == 404
    assert any("status=404" in m and "/no-such-page.ico" in m for m in refusals(caplog))


def test_pages_link_the_favicon(client, recruiter):
    assert '<link rel="icon" href="/favicon.ico"' in client.get(reverse("login")).text
    client.force_login(recruiter)
    assert '<link rel="icon" href="/favicon.ico"' in client.get("/").text


def test_favicon_ico_is_served_in_production_too(tmp_path):
    """DEBUG off: WhiteNoise reads its files once at start-up instead of on each request."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "BROKER_DIR": str(tmp_path / "broker"),
        "DJANGO_SETTINGS_MODULE": "recovery.settings",
    }
    script = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/favicon.ico', secure=True);"
        "print(r.status_code, r['Content-Type'], b''.join(r.streaming_content)[:4].hex())"
    )
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", script],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    status, content_type, magic = result.stdout.split()
    assert (status, magic) == ("200", ICO_MAGIC.hex())
    assert content_type in ("image/x-icon", "image/vnd.microsoft.icon")
