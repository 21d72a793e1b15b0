"""Refresh docs/screenshots/: every page of the app, at desktop and phone width, on the demo.

    make screenshots        (or: DEBUG=1 .venv/bin/python docs/take_screenshots.py)

What it does, from scratch each time so that the pictures only depend on the code:
1. migrates a throwaway SQLite database, var/screenshots.sqlite3 (var/ is git-ignored), and
   runs `seed_demo` into it (the demo's dates count back from today);
2. starts `manage.py runserver` on a free port with DEBUG=1;
3. drives Debian's headless Chromium with Playwright (tests/browser_helpers.py), logs in as
   the demo member who uses each page, and saves <page>-desktop.png (1280 px wide) and
   <page>-phone.png (390 px wide), whole pages cut at 2400 px; the shots that write (the
   guard's override, and the refusal it must come after) come last, each from one page;
4. stops the server.

`--only candidate,review` takes just those pages. The server's output goes to
var/screenshots-server.log.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

from tests.browser_helpers import CHROMIUM, DESKTOP, PHONE, launch, log_in  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
VAR = ROOT / "var"
DATABASE = VAR / "screenshots.sqlite3"
BROKER = VAR / "screenshots-broker"
SERVER_LOG = VAR / "screenshots-server.log"
MAX_HEIGHT = 2400  # a longer page is cut: the top tells the story, and the file stays small

# Mirrors candidates/demo.py (MEMBERS, DEMO_PASSWORD); kept here so that this script needs
# no Django of its own, only the running server.
DEMO_PASSWORD = "second-chance-demo"  # noqa: S105 -- the documented demo password
DEMO_TIME_ZONE = "Europe/London"
DEMO_USERS = {
    "recruiter": "recruiter@demo.recovery.test",
    "headhunter": "headhunter@demo.recovery.test",
    "manager": "manager@demo.recovery.test",
    "orgadmin": "orgadmin@demo.recovery.test",
}

# Three wrong lines for the import's error state: a misstep without a reason, a date that is
# not one, and a kind that does not exist.
GOOD_EVENTS_CSV = (
    b"candidate_email,candidate_name,client,job_title,kind,occurred_on,reason,notes\n"
    b"dana.okoro@example.com,Dana Okoro,Northgate Logistics,Picker packer,scheduled,2026-10-01,,\n"
    b"dana.okoro@example.com,,Northgate Logistics,Picker packer,attended,2026-10-03,,Went well\n"
)
BAD_EVENTS_CSV = b"""candidate_email,candidate_name,client,job_title,kind,occurred_on,reason,notes
ann.lee@example.com,Ann Lee,Northgate Logistics,Picker packer,scheduled,2026-03-01,,
ann.lee@example.com,Ann Lee,Northgate Logistics,Picker packer,no_show,2026-03-02,,Bus cancelled
bo.diaz@example.com,Bo Diaz,Harbour Bank,Compliance analyst,late,02/03/2026,commute,
cy.ng@example.com,Cy Ng,Harbour Bank,Compliance analyst,ghosted,2026-03-04,unknown,
"""


# --- The pages --------------------------------------------------------------------------


def _goto(path: str) -> Callable[[Page, str], None]:
    def go(page: Page, base: str) -> None:
        page.goto(base + path)

    return go


def _candidate(page: Page, base: str) -> None:
    # Leon Fischer: a no-show, a second chance granted, then a second no-show: burned.
    page.goto(f"{base}/candidates/?q=leon.fischer")
    page.get_by_role("link", name="Leon Fischer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Leon Fischer")


def _history_of_changes(page: Page, base: str) -> None:
    _candidate(page, base)
    page.get_by_role("link", name="History of changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("History of changes")


def _import_progress(page: Page, base: str) -> None:
    # A good file becomes a job; no worker runs here, so it waits (the page reloads itself).
    page.goto(f"{base}/import/")
    page.get_by_label("Events CSV").set_input_files(
        {"name": "events.csv", "mimeType": "text/csv", "buffer": GOOD_EVENTS_CSV}
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Waiting for a worker").first).to_be_visible()


def _resubmit(page: Page, base: str) -> None:
    page.goto(f"{base}/resubmit/")
    page.get_by_label("Find a candidate").fill("Marcus Johnson")
    page.get_by_role("button", name="Find").click()
    page.get_by_label("For the job").select_option(
        label="Forklift operator (nights) — Northgate Logistics"
    )
    page.get_by_role("button", name="Show the advice").click()
    expect(page.get_by_role("heading", name="Marcus Johnson")).to_be_visible()


def _job(page: Page, base: str) -> None:
    page.goto(f"{base}/clients/")
    page.get_by_role("link", name="Forklift operator (nights)").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Forklift operator (nights)")


def _import_errors(page: Page, base: str) -> None:
    page.goto(f"{base}/import/")
    page.get_by_label("Events CSV").set_input_files(
        {"name": "events.csv", "mimeType": "text/csv", "buffer": BAD_EVENTS_CSV}
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Nothing was imported")).to_be_visible()


def _reminders(page: Page, base: str) -> None:
    page.goto(f"{base}/reminders/")


# The guard: Leon Fischer is burned, so scheduling him another interview is refused, unless
# an admin lets it through with a written reason (recorded as an override).
LEON_JOB = "Forklift operator (nights) — Northgate Logistics"
OVERRIDE_REASON = "Dave asked to see him once more: he now lives a ten-minute walk from the depot."


def _schedule_leon(page: Page, base: str, override: str = "") -> None:
    _candidate(page, base)
    page.locator("#log-event summary").click()
    form = page.locator("#log-event")
    form.get_by_label("What happened").select_option("scheduled")
    form.get_by_label("Job").select_option(label=LEON_JOB)
    today = dt.datetime.now(ZoneInfo(DEMO_TIME_ZONE)).date()
    interview = dt.datetime.combine(today + dt.timedelta(days=3), dt.time(10, 0))
    form.get_by_label("Interview on").fill(f"{interview:%Y-%m-%dT%H:%M}")
    if override:
        form.get_by_label("Override the guard (admins only)").fill(override)
    form.get_by_role("button", name="Log the event").click()


def _guard_refused(page: Page, base: str) -> None:
    _schedule_leon(page, base)
    expect(page.locator("#log-event .errorlist")).to_contain_text("the advice is do not resubmit")


def _guard_override(page: Page, base: str) -> None:
    _schedule_leon(page, base, override=OVERRIDE_REASON)
    expect(page.locator("#overrides")).to_contain_text(OVERRIDE_REASON)


def _duplicate_warning(page: Page, base: str) -> None:
    # The same name as Leon Fischer, and the same part before the @ of his email.
    page.goto(f"{base}/candidates/")
    page.get_by_role("link", name="Add a candidate").click()
    page.get_by_label("Name").fill("Leon Fischer")
    page.get_by_label("Email").fill("leon.fischer@gmail.com")
    page.get_by_label("Phone").fill("07700 900461")
    page.get_by_role("button", name="Add the candidate").click()
    expect(page.get_by_text("Probably the same person as:")).to_be_visible()


# The candidate and the client in the loop (outreach/).
ASKING = "Kevin Doyle"  # refused once: may ask again
ASK_JOB = "Forklift operator (nights), Northgate Logistics"
OWN_WORDS = (
    "I turned down the offer over the pay and I regretted it within a week. I have talked it "
    "through with my family and the rate is fine. I would love the chance to show you I mean it."
)


def _find(page: Page, base: str, name: str) -> None:
    page.goto(f"{base}/candidates/?q={name.replace(' ', '+')}")
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def _as(page: Page, base: str, user: str) -> None:
    page.context.clear_cookies()
    log_in(page, base, DEMO_USERS[user], DEMO_PASSWORD)


def _request_link(page: Page, base: str) -> str:
    _find(page, base, ASKING)
    page.get_by_text("Ask them to write their request").click()
    page.locator("#ask-link").get_by_label("For the job").select_option(label=ASK_JOB)
    page.locator("#ask-link").get_by_label("Email it to the candidate").uncheck()
    page.get_by_role("button", name="Make the link").click()
    return page.locator("#new-link").input_value()


def _candidate_request(page: Page, base: str) -> None:
    # What the candidate sees from the link: no login, the organization and the job only.
    link = _request_link(page, base)
    page.context.clear_cookies()
    page.goto(base + urlsplit(link).path)
    page.get_by_label("Your request, in your own words").fill(OWN_WORDS)
    page.get_by_label("When are you free for an interview?").fill("Any weekday after 2pm")


def _queue_own_words(page: Page, base: str) -> None:
    link = _request_link(page, base)
    page.context.clear_cookies()
    page.goto(base + urlsplit(link).path)
    page.get_by_label("Your request, in your own words").fill(OWN_WORDS)
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("your request is sent")
    _as(page, base, "manager")
    page.goto(f"{base}/review/")
    expect(page.locator(".own-words").first).to_be_visible()


def _brief_printed(page: Page, base: str) -> None:
    _find(page, base, "Marcus Johnson")
    page.get_by_role("link", name="Client-safe brief").click()
    page.get_by_label("For the job").select_option(label=LEON_JOB)
    page.get_by_role("button", name="Show the brief").click()
    expect(page.locator("article.brief")).to_be_visible()
    page.emulate_media(media="print")


def _email_template(page: Page, base: str) -> None:
    page.goto(f"{base}/settings/candidate-emails/grant/")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Preview")).to_be_visible()


def _api_tokens(page: Page, base: str) -> None:
    """A member's API tokens, just after making one: the token shown once."""
    page.goto(f"{base}/settings/api-tokens/")
    page.fill("#id_name", "ATS sync")
    page.check("input[name=scope][value=write]")
    page.click("button:has-text('Create the token')")
    page.wait_for_selector("#new-token")


def _api_docs(page: Page, base: str) -> None:
    """The API's documentation page (Swagger UI, served by the app: no CDN)."""
    page.goto(f"{base}/api/v1/docs/")
    page.wait_for_selector(".opblock-summary")


def _webhooks(page: Page, base: str) -> None:
    """An admin adds a webhook endpoint and sends a test: the endpoint's page, its log."""
    page.goto(f"{base}/settings/webhooks/")
    page.fill("#id_url", "https://93.184.216.34/hooks/recovery")
    page.check("input[name=events][value='candidate.status_changed']")
    page.check("input[name=events][value='second_chance.decided']")
    page.fill("#id_description", "Our ATS")
    page.click("button:has-text('Add the endpoint')")
    page.click("button:has-text('Send a test')")
    page.wait_for_selector(".delivery-log")
    # What the worker does (runserver has none): one attempt, logged with its answer (no
    # network here: "no answer").
    _manage(_env(), "shell", "-c", "from webhooks.delivery import send_due; send_due()")
    page.reload()
    page.click(".delivery-log summary")


def _post_greenhouse(url: str, secret: str, fixture: str, **changes: str) -> None:
    """A Greenhouse rejection, as Greenhouse signs and posts it (tests/data/ats/)."""
    import hashlib
    import hmac
    import json

    payload = json.loads((ROOT / "tests" / "data" / "ats" / fixture).read_text())
    application = payload["payload"]["application"]
    application["candidate"]["email_addresses"][0]["value"] = changes["email"]
    application["candidate"]["first_name"], application["candidate"]["last_name"] = changes[
        "name"
    ].split(" ", 1)
    application["rejection_reason"]["name"] = changes["reason"]
    application["id"] = int(changes["application"])
    application["jobs"][0]["name"] = "Forklift operator (nights)"
    body = json.dumps(payload).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(  # noqa: S310 -- our own server, on 127.0.0.1
        url, data=body, headers={"Signature": f"sha256 {signature}"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        assert answer.status == 200, answer.status


def _ats_connections(page: Page, base: str) -> None:
    """An admin connects Greenhouse: the URL and secret shown once. Then Greenhouse posts
    three rejections (signed, through the real endpoint) for the next shots."""
    page.goto(f"{base}/settings/ats/")
    page.select_option("#id_vendor", "greenhouse")
    page.fill("#id_name", "Harbour's careers site")
    page.fill("#id_client_name", "Northgate Logistics")
    page.click("button:has-text('Make the endpoint')")
    url = page.inner_text("#new-source-url").strip()
    secret = page.inner_text("#new-source-secret").strip()
    for n, (name, email, reason) in enumerate(
        [
            ("Hector Porter", "hector.porter@example.com", "Wasn't interested"),
            ("Dana Whitfield", "dana.whitfield@example.com", "Too Junior"),
            ("Priya Raman", "priya.raman@example.com", "Salary expectations"),
        ]
    ):
        _post_greenhouse(
            base + urlsplit(url).path,  # SITE_URL's host is not this run's server
            secret,
            "greenhouse_reject_candidate.json",
            name=name,
            email=email,
            reason=reason,
            application=str(900100 + n),
        )


def _ats_reasons(page: Page, base: str) -> None:
    page.goto(f"{base}/settings/ats/reasons/")
    page.click('button:has-text("Add Greenhouse\'s default reasons")')
    page.wait_for_selector("table")


@dataclass(frozen=True)
class Shot:
    name: str
    user: str | None  # a key of DEMO_USERS; None: logged out
    open: Callable[[Page, str], None]
    # The part of the page the picture is about: a page taller than MAX_HEIGHT is cut from
    # just above it, rather than from the top, when it would be below the cut.
    focus: str | None = None
    # A shot that writes to the demo (an override), or that must come before one (the
    # refusal): taken once, at both widths from the same page (the viewport resized), after
    # every other shot, in this list's order. So the refusal never shows the override, and no
    # other picture (the candidate page, its history of changes) shows what it wrote.
    writes: bool = False


SHOTS = [
    Shot("login", None, _goto("/accounts/login/")),
    Shot("today", "manager", _goto("/")),
    Shot("candidates", "recruiter", _goto("/candidates/")),
    Shot("candidate", "recruiter", _candidate),
    Shot("history-of-changes", "recruiter", _history_of_changes),
    Shot("review", "manager", _goto("/review/")),
    Shot("resubmit", "headhunter", _resubmit),
    Shot("clients", "recruiter", _goto("/clients/")),
    Shot("job", "recruiter", _job),
    Shot("import", "recruiter", _goto("/import/")),
    Shot("import-errors", "recruiter", _import_errors),
    Shot("import-progress", "recruiter", _import_progress),
    Shot("insights", "manager", _goto("/insights/")),
    Shot("members", "orgadmin", _goto("/members/")),
    Shot("reminders", "recruiter", _reminders),
    Shot("guard-refused", "recruiter", _guard_refused, focus="#log-event", writes=True),
    Shot("guard-override", "orgadmin", _guard_override, writes=True),
    Shot("duplicate-warning", "recruiter", _duplicate_warning),
    Shot("brief-printed", "headhunter", _brief_printed),
    Shot("candidate-emails", "manager", _email_template),
    Shot("candidate-request", "recruiter", _candidate_request, writes=True),
    Shot("review-own-words", "recruiter", _queue_own_words, focus=".own-words", writes=True),
    Shot("api-docs", "recruiter", _api_docs),
    Shot("api-tokens", "recruiter", _api_tokens, writes=True),
    Shot("webhooks", "orgadmin", _webhooks, writes=True),
    Shot("ats-connections", "orgadmin", _ats_connections, focus="#new-source-heading", writes=True),
    Shot("ats-reasons", "manager", _ats_reasons, writes=True),
    Shot("ats-review", "recruiter", _goto("/ats/review/"), writes=True),
]
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}


# --- The server -------------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{DATABASE}",
            "BROKER_DIR": str(BROKER),
            # Local memory cache and the embedded broker: no Redis needed, none touched.
            "REDIS_URL": "",
            "EMAIL_URL": "consolemail://",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "LOG_LEVEL": "WARNING",
        }
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    # Our own manage.py with fixed arguments: nothing here comes from outside.
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)  # noqa: S603


def prepare_database(env: dict[str, str]) -> None:
    VAR.mkdir(exist_ok=True)
    for path in (DATABASE, Path(f"{DATABASE}-wal"), Path(f"{DATABASE}-shm")):
        path.unlink(missing_ok=True)
    shutil.rmtree(BROKER, ignore_errors=True)
    _manage(env, "migrate", "--noinput", "--verbosity", "0")
    _manage(env, "seed_demo")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with SERVER_LOG.open("w") as log:
        server = subprocess.Popen(  # noqa: S603 -- our manage.py, fixed arguments
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/accounts/login/", timeout=2):  # noqa: S310
                    break
            except (urllib.error.URLError, ConnectionError):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"runserver did not start: see {SERVER_LOG}") from None
                time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- Taking the pictures ----------------------------------------------------------------


def _save(page: Page, path: Path, focus: str | None = None) -> None:
    height = page.evaluate("() => document.documentElement.scrollHeight")
    width = page.viewport_size["width"]
    if height > MAX_HEIGHT:
        top = 0
        if focus is not None:
            box = page.evaluate(
                "(s) => { const r = document.querySelector(s).getBoundingClientRect();"
                " return [r.top + window.scrollY, r.bottom + window.scrollY]; }",
                focus,
            )
            if box[1] > MAX_HEIGHT:
                top = max(0, min(int(box[0]) - 24, height - MAX_HEIGHT))
        page.screenshot(
            path=path,
            full_page=True,
            clip={"x": 0, "y": top, "width": width, "height": MAX_HEIGHT},
        )
    else:
        page.screenshot(path=path, full_page=True)


def _logged_in(browser: Browser, base: str, user: str | None, viewport: dict) -> Page:
    context = browser.new_context(viewport=viewport, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    if user is not None:
        log_in(page, base, DEMO_USERS[user], DEMO_PASSWORD)
    return page


def _saved(page: Page, shot: Shot, width_name: str) -> Path:
    page.wait_for_load_state("networkidle")
    path = OUT / f"{shot.name}-{width_name}.png"
    _save(page, path, shot.focus)
    print(f"  {path.relative_to(ROOT)}", flush=True)
    return path


def take(browser: Browser, base: str, shots: list[Shot]) -> list[Path]:
    saved = []
    reading = [s for s in shots if not s.writes]
    users = dict.fromkeys(shot.user for shot in reading)
    for width_name, viewport in WIDTHS.items():
        for user in users:
            page = _logged_in(browser, base, user, viewport)
            for shot in (s for s in reading if s.user == user):
                shot.open(page, base)
                saved.append(_saved(page, shot, width_name))
            page.context.close()
    first, *others = WIDTHS.items()
    for shot in (s for s in shots if s.writes):
        page = _logged_in(browser, base, shot.user, first[1])
        shot.open(page, base)
        saved.append(_saved(page, shot, first[0]))
        for width_name, viewport in others:
            page.set_viewport_size(viewport)
            saved.append(_saved(page, shot, width_name))
        page.context.close()
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="", help="comma-separated page names, e.g. today,job")
    args = parser.parse_args()
    shots = SHOTS
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {s.name for s in SHOTS}
        if unknown:
            parser.error(f"unknown page(s): {', '.join(sorted(unknown))}")
        shots = [s for s in SHOTS if s.name in wanted]
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium", file=sys.stderr)
        return 1

    env = _env()
    print(f"Demo database: {DATABASE.relative_to(ROOT)}", flush=True)
    prepare_database(env)
    OUT.mkdir(parents=True, exist_ok=True)
    with running_server(env) as base, sync_playwright() as playwright:
        print(f"Screenshots of {base}:", flush=True)
        browser = launch(playwright)
        try:
            saved = take(browser, base, shots)
        finally:
            browser.close()
    total = sum(p.stat().st_size for p in saved)
    print(f"{len(saved)} screenshots, {total / 1e6:.1f} MB, in {OUT.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
