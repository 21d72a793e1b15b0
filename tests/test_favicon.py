"""The favicon: every page links it, and /favicon.ico (which browsers ask for on their own)
answers, so it never shows in the log as a refused request."""

from __future__ import annotations

import logging

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
