"""Driving Debian's headless Chromium with Playwright: shared by the browser tests
(tests/test_browser.py) and the screenshot script (docs/take_screenshots.py).

Playwright's own browser download cannot work on the machines this runs on, so it drives the
distribution's Chromium (`apt-get install chromium`) instead.
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Browser, Page, Playwright, expect

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# No sandbox: CI runs as root in a container, where Chromium's sandbox cannot start. The rest
# keeps a headless run quiet and quick: no update checks, no sync, no first-run pages.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    """Log in through the form, as a person does (django-axes counts form logins), and wait
    for the home page."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1, name="Today")).to_be_visible()


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no horizontal scroll)."""
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth"
    )
