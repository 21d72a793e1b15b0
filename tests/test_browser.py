"""The app in a real browser: Playwright drives Debian's headless Chromium against a live
server (pytest-django's `live_server`, with a transactional database so that the server's
thread sees what the test wrote).

Run only these: `pytest -m browser`. Without /usr/bin/chromium they skip with the reason,
except in CI (RECOVERY_REQUIRE_SERVICES=1), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect, sync_playwright

from candidates import services
from candidates.engine import Kind, Reason, RejectionReason, human_date

from .browser_helpers import CHROMIUM, PHONE, horizontal_overflow, launch, log_in
from .conftest import REQUIRE_SERVICES
from .factories import ClientFactory, JobFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # tests/factories.py UserFactory
TIMEOUT_MS = 10_000  # a step that takes longer is broken; fail fast, not after 30 s


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: `apt-get install chromium` to run the browser tests"
        if REQUIRE_SERVICES:
            pytest.fail(f"CI needs the browser tests to run: {reason}")
        pytest.skip(reason)
    # Playwright's sync API runs an asyncio event loop in this thread, and Django refuses ORM
    # calls made while one runs (SynchronousOnlyOperation), including the database flush
    # between these tests. Nothing here is async code, so lift the guard while the browser
    # is up (Django's documented escape hatch), and put it back afterwards.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _page(browser: Browser, **context_options) -> Page:
    page = browser.new_context(**context_options).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    return page


def _header(page: Page):
    return page.locator("section.candidate-header")


def _status(page: Page):
    return _header(page).locator(".badge-status")


def _advice(page: Page):
    return _header(page).locator(".badge-advice")


def _explanation(page: Page):
    return _header(page).locator("ul.explanation")


def _message(page: Page):
    return page.locator(".messages")


def test_commute_no_show_to_second_chance_to_recovered(
    browser, live_server, org, recruiter, manager
):
    """A recruiter adds a candidate and logs a no-show for the commute; the candidate asks
    for a second chance; a manager grants it from the review queue; the candidate attends,
    and the page says recovered. Every step is checked as the user sees it."""
    job = JobFactory(
        client=ClientFactory(organization=org, name="Northgate Logistics"),
        title="Forklift operator (nights)",
    )
    today = human_date(services.today())  # as pages write dates: "2 Mar 2026"
    where = f"({job.client.name}, {job.title})"
    after_no_show = f"after a no-show on {today} {where}, reason: commute"
    job_label = f"{job.title} — {job.client.name}"

    # --- The recruiter adds the candidate -------------------------------------------------
    rita = _page(browser)
    log_in(rita, live_server.url, recruiter.username, PASSWORD)
    rita.get_by_role("navigation", name="Main").get_by_role("link", name="Candidates").click()
    rita.get_by_role("link", name="Add a candidate").click()
    rita.get_by_label("Name").fill("Kwame Mensah")
    rita.get_by_label("Email").fill("Kwame.Mensah@example.com")
    rita.get_by_label("Phone").fill("07700 900123")
    rita.get_by_role("button", name="Add the candidate").click()

    expect(_message(rita)).to_contain_text("Kwame Mensah added.")
    expect(rita.get_by_role("heading", level=1)).to_have_text("Kwame Mensah")
    expect(_header(rita)).to_contain_text("kwame.mensah@example.com")
    expect(_status(rita)).to_have_text("Status: Clean")
    expect(_advice(rita)).to_have_text("Advice: Resubmit")
    expect(_explanation(rita)).to_have_text("No missteps recorded")

    # --- A no-show for the commute: first without a reason, which the form refuses --------
    log_event = rita.locator("#log-event")
    expect(log_event.locator("form")).to_be_visible()  # open: nothing is recorded yet
    log_event.get_by_label("What happened").select_option(Kind.NO_SHOW.value)
    log_event.get_by_label("Job").select_option(label=job_label)
    log_event.get_by_label("Notes").fill("Night bus cancelled; he called the next morning.")
    log_event.get_by_role("button", name="Log the event").click()

    expect(_message(rita)).to_contain_text("Nothing was saved")
    log_event = rita.locator("#log-event")
    expect(log_event).to_contain_text("Choose a reason: “No-show” is a misstep.")
    # What the recruiter typed is still there.
    expect(log_event.get_by_label("What happened")).to_have_value(Kind.NO_SHOW.value)
    expect(log_event.get_by_label("Notes")).to_have_value(
        "Night bus cancelled; he called the next morning."
    )
    expect(_status(rita)).to_have_text("Status: Clean")

    log_event.get_by_label("Reason").select_option(Reason.COMMUTE.value)
    log_event.get_by_role("button", name="Log the event").click()

    expect(_message(rita)).to_contain_text("“No-show” logged for Kwame Mensah.")
    expect(_status(rita)).to_have_text("Status: Stumbled")
    expect(_advice(rita)).to_have_text("Advice: Caution")
    expect(_header(rita).locator(".risk")).to_have_text("30")  # weight 3 x 10, recent
    expect(_explanation(rita)).to_have_text(
        f"No-show on {today} {where}, reason: commute; no second chance in motion"
    )
    newest = rita.locator("ol.timeline > li").first
    expect(newest).to_contain_text("No-show · reason: commute")
    expect(newest).to_contain_text("Night bus cancelled")

    # --- The candidate asks for a second chance -------------------------------------------
    pitch = "My brother drives me on night shifts now. I'd like another go at the nights role."
    rita.get_by_text("Record a second-chance request").click()
    request = rita.locator("#request")
    expect(request.get_by_label("For the job")).to_have_value(str(job.pk))  # the no-show's job
    request.get_by_label("Their pitch").fill(pitch)
    request.get_by_role("button", name="Record the request").click()

    expect(_message(rita)).to_contain_text(
        "Kwame Mensah's request for a second chance is recorded."
    )
    expect(_status(rita)).to_have_text("Status: Requested")
    requested = f"Second chance requested on {today} {where} {after_no_show}"
    expect(_explanation(rita)).to_have_text(f"{requested}; waiting for a decision")
    # A recruiter cannot decide: no decision form, no review queue in the menu.
    expect(rita.get_by_role("heading", name="Decide the second chance")).to_have_count(0)
    expect(
        rita.get_by_role("navigation", name="Main").get_by_role("link", name="Review")
    ).to_have_count(0)

    # --- A manager grants it from the review queue (a second browser, her own session) ----
    mona = _page(browser)
    log_in(mona, live_server.url, manager.username, PASSWORD)
    mona.get_by_role("navigation", name="Main").get_by_role("link", name="Review").click()
    expect(mona.get_by_role("heading", level=1)).to_have_text("Second-chance review")
    card = mona.get_by_role("article", name="Kwame Mensah")
    expect(card.locator(".pitch")).to_have_text(pitch)
    expect(card.locator(".badge-status")).to_have_text("Status: Requested")
    expect(card.locator("ul.explanation")).to_have_text(f"{requested}; waiting for a decision")
    card.get_by_label("Note").fill("Dave will see him; he rings the gatehouse if running late.")
    card.get_by_role("button", name="Grant a second chance").click()

    expect(_message(mona)).to_contain_text("Second chance granted to Kwame Mensah.")
    expect(mona.get_by_role("article", name="Kwame Mensah")).to_have_count(0)
    expect(mona.get_by_text("No request is waiting for a decision.")).to_be_visible()

    # --- The recruiter sees the grant, then logs that he attended -------------------------
    rita.reload()
    expect(_status(rita)).to_have_text("Status: Second chance")
    expect(_explanation(rita)).to_have_text(
        f"Second chance granted on {today} {where} {after_no_show}; "
        "the interview has not happened yet"
    )
    granted = rita.locator("ol.timeline > li").first
    expect(granted).to_contain_text("Second chance granted")
    expect(granted).to_contain_text("Dave will see him; he rings the gatehouse if running late.")

    rita.get_by_text("Log an event").click()
    log_event = rita.locator("#log-event")
    log_event.get_by_label("What happened").select_option(Kind.ATTENDED.value)
    log_event.get_by_label("Job").select_option(label=job_label)
    log_event.get_by_role("button", name="Log the event").click()

    expect(_message(rita)).to_contain_text("“Attended interview” logged for Kwame Mensah.")
    expect(_status(rita)).to_have_text("Status: Recovered")
    expect(_advice(rita)).to_have_text("Advice: Resubmit")
    expect(_explanation(rita)).to_have_text(
        f"Attended interview on {today} {where} {after_no_show}"
    )
    rita.context.close()
    mona.context.close()


def test_rejected_after_the_final_round_reconsidered_and_recovered(
    browser, live_server, org, recruiter, manager
):
    """The demo's seed-001 story (Nia Campbell): the employer turns her down after the final
    round; she asks, with grace, for another chance; a manager grants the reconsideration
    from the review queue with an interview time; she attends, and the page says recovered.
    Every step is checked as the user sees it."""
    job = JobFactory(
        client=ClientFactory(organization=org, name="Harbour Bank"), title="Compliance analyst"
    )
    nia = services.candidate_create(
        organization=org, name="Nia Campbell", email="nia.campbell@example.com", owner=recruiter
    )
    today_date = services.today()
    for days_ago, kind, notes in [
        (20, Kind.SUBMITTED, "Strong AML background."),
        (12, Kind.ATTENDED, "First round went well."),
        (2, Kind.ATTENDED, "Final round with Olivia and the head of risk."),
    ]:
        services.event_log(
            candidate=nia,
            kind=kind,
            occurred_on=today_date - timedelta(days=days_ago),
            notes=notes,
            job=job,
            recorded_by=recruiter,
        )
    today = human_date(today_date)  # as pages write dates: "2 Mar 2026"
    where = f"({job.client.name}, {job.title})"
    after_rejection = f"after a rejection on {today} {where}, reason: another candidate"
    job_label = f"{job.title} — {job.client.name}"
    pitch = (
        "I respect your decision, but I'd love another chance to show how my skills align "
        "with your needs"
    )

    # --- The recruiter records the employer's no -----------------------------------------
    rita = _page(browser)
    log_in(rita, live_server.url, recruiter.username, PASSWORD)
    rita.goto(f"{live_server.url}/candidates/")
    rita.get_by_role("link", name="Nia Campbell").click()
    expect(rita.get_by_role("heading", level=1)).to_have_text("Nia Campbell")
    expect(_status(rita)).to_have_text("Status: Clean")
    # Not a misstep: no second-chance request to record yet.
    expect(rita.get_by_text("Record a second-chance request")).to_have_count(0)

    rita.get_by_text("Log an event").click()
    log_event = rita.locator("#log-event")
    log_event.get_by_label("What happened").select_option(Kind.REJECTED.value)
    log_event.get_by_label("Job").select_option(label=job_label)
    log_event.get_by_label("Reason").select_option(RejectionReason.ANOTHER_CANDIDATE.value)
    log_event.get_by_label("Notes").fill(
        "Turned down after the final round: another candidate had more regulatory reporting."
    )
    log_event.get_by_role("button", name="Log the event").click()

    expect(_message(rita)).to_contain_text("“Rejected by the employer” logged for Nia Campbell.")
    expect(_status(rita)).to_have_text("Status: Rejected")
    expect(_explanation(rita)).to_have_text(
        f"Rejected by the employer on {today} {where}, reason: another candidate; "
        "the employer's no, not a misstep, and nothing has happened since"
    )
    expect(_header(rita).locator(".risk")).to_have_text("0")  # the employer's no weighs nothing
    newest = rita.locator("ol.timeline > li").first
    expect(newest).to_contain_text("Rejected by the employer · reason: another candidate")
    expect(newest).to_contain_text("another candidate had more regulatory reporting")

    # --- She asks for another chance: a reconsideration -----------------------------------
    rita.get_by_text("Record a second-chance request").click()
    request = rita.locator("#request")
    expect(request.get_by_label("For the job")).to_have_value(str(job.pk))  # the rejection's
    request.get_by_label("Their pitch").fill(pitch)
    request.get_by_role("button", name="Record the request").click()

    expect(_message(rita)).to_contain_text(
        "Nia Campbell's request for a second chance is recorded."
    )
    expect(_status(rita)).to_have_text("Status: Requested")
    requested = f"Second chance requested on {today} {where} {after_rejection}"
    expect(_explanation(rita)).to_have_text(f"{requested}; waiting for a decision")
    expect(rita.get_by_role("heading", name="Decide the second chance")).to_have_count(0)

    # --- A manager sees it in the review queue, marked as a reconsideration, and grants it --
    mona = _page(browser)
    log_in(mona, live_server.url, manager.username, PASSWORD)
    mona.get_by_role("navigation", name="Main").get_by_role("link", name="Review").click()
    expect(mona.get_by_role("heading", level=1)).to_have_text("Second-chance review")
    card = mona.get_by_role("article", name="Nia Campbell")
    expect(card.locator(".reconsideration")).to_have_text(
        f"A reconsideration: asked after the employer's no on {today} "
        "(reason: another candidate), which is not a misstep."
    )
    expect(card.locator(".pitch")).to_have_text(pitch)
    expect(card.locator(".badge-status")).to_have_text("Status: Requested")
    expect(card.locator("ul.explanation")).to_have_text(f"{requested}; waiting for a decision")
    interview = datetime.combine(today_date, time(9, 30))
    card.get_by_label("Note").fill("Olivia will see her again: the other candidate withdrew.")
    card.get_by_label("Interview on").fill(interview.strftime("%Y-%m-%dT%H:%M"))
    card.get_by_role("button", name="Grant a second chance").click()

    expect(_message(mona)).to_contain_text("Second chance granted to Nia Campbell.")
    expect(mona.get_by_role("article", name="Nia Campbell")).to_have_count(0)
    expect(mona.get_by_text("No request is waiting for a decision.")).to_be_visible()

    # --- The recruiter sees the grant and its interview, then logs that she attended ------
    rita.reload()
    expect(_status(rita)).to_have_text("Status: Second chance")
    expect(_explanation(rita)).to_have_text(
        f"Second chance granted on {today} {where} {after_rejection}; "
        "the interview has not happened yet"
    )
    granted = rita.locator("ol.timeline > li").first
    expect(granted).to_contain_text("Second chance granted")
    expect(granted).to_contain_text(
        f"Interview on {interview:%a} {interview.day} {interview:%b %Y, %H:%M}"
    )
    expect(granted).to_contain_text("Olivia will see her again: the other candidate withdrew.")

    rita.get_by_text("Log an event").click()
    log_event = rita.locator("#log-event")
    log_event.get_by_label("What happened").select_option(Kind.ATTENDED.value)
    log_event.get_by_label("Job").select_option(label=job_label)
    log_event.get_by_label("Notes").fill("Brought a worked example of a regulatory return.")
    log_event.get_by_role("button", name="Log the event").click()

    expect(_message(rita)).to_contain_text("“Attended interview” logged for Nia Campbell.")
    expect(_status(rita)).to_have_text("Status: Recovered")
    expect(_advice(rita)).to_have_text("Advice: Resubmit")
    expect(_explanation(rita)).to_have_text(
        f"Attended interview on {today} {where} {after_rejection}"
    )
    rita.context.close()
    mona.context.close()


def test_keyboard_alone_reaches_the_login_form_and_submits_it(browser, live_server, recruiter):
    page = _page(browser)
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))

    def focused() -> str:
        return page.evaluate("() => document.activeElement.id || document.activeElement.className")

    # The email field has the focus as the page opens: a keyboard user just types.
    assert focused() == "id_username"
    # From the top of the page, Tab reaches it too: the skip link (shown when focused), the
    # brand, then the field.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert focused() == "skip-link"
    expect(page.get_by_role("link", name="Skip to content")).to_be_in_viewport()
    for _ in range(3):
        page.keyboard.press("Tab")
        if focused() == "id_username":
            break
    assert focused() == "id_username"
    page.keyboard.type(recruiter.username)
    page.keyboard.press("Tab")
    assert focused() == "id_password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1, name="Today")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/")
    page.context.close()


def test_candidate_page_has_no_horizontal_scroll_at_phone_width(
    browser, live_server, org, recruiter
):
    """A candidate with a long history, long words and every action form opened still fits a
    390 px phone: nothing makes the page scroll sideways."""
    client = ClientFactory(organization=org, name="St Mary's University Hospital NHS Trust")
    job = JobFactory(client=client, title="Healthcare assistant, acute medical unit (nights)")
    candidate = services.candidate_create(
        organization=org,
        name="Fatima Zahra Benali-Oyelaran",
        email="fatima.zahra.benali-oyelaran@university-hospitals.example.org",
        phone="+44 7700 900123",
        owner=recruiter,
        rating=4,
    )
    today = services.today()
    for days_ago, kind, reason, notes in [
        (40, Kind.SCHEDULED, "", ""),
        (35, Kind.LATE, Reason.COMMUTE, "Forty minutes late: the 07:12 was cancelled."),
        (20, Kind.DECLINED_INTERVIEW, Reason.ILLNESS, "Flu; cancelled the morning before."),
    ]:
        services.event_log(
            candidate=candidate,
            kind=kind,
            occurred_on=today - timedelta(days=days_ago),
            reason=reason,
            notes=notes,
            job=job,
            recorded_by=recruiter,
        )
    services.risk_note_add(
        candidate=candidate,
        dimension="commute",
        level=4,
        author=recruiter,
        noted_on=today - timedelta(days=35),
        note="Two trains and a bus; https://journeyplanner.example.org/route/abc123def456",
    )
    services.second_chance_request(
        candidate=candidate,
        pitch="I've moved to a flat ten minutes' walk from the hospital.",
        job=job,
        recorded_by=recruiter,
        occurred_on=today - timedelta(days=2),
    )

    page = _page(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    log_in(page, live_server.url, recruiter.username, PASSWORD)
    assert horizontal_overflow(page) == 0, "Today scrolls sideways on a phone"

    page.goto(f"{live_server.url}/candidates/{candidate.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(candidate.name)
    expect(_status(page)).to_have_text("Status: Requested")
    assert horizontal_overflow(page) == 0, "the candidate page scrolls sideways on a phone"

    # Every "Record" form opened, as a recruiter on the phone would.
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
    expect(page.locator("#log-event form")).to_be_visible()
    assert horizontal_overflow(page) == 0, "an opened form makes the page scroll sideways"

    page.goto(f"{live_server.url}/candidates/")
    expect(page.get_by_role("link", name=candidate.name)).to_be_visible()
    assert horizontal_overflow(page) == 0, "the candidate list scrolls sideways on a phone"
    page.context.close()


def test_phone_width_keeps_the_menu_on_one_line_folds_the_filters_and_answers_first(
    browser, live_server, org, recruiter
):
    """At 390 px: the main menu is one line (it scrolls sideways inside itself, the page does
    not), the list's filters are folded behind "Filters" (the search stays), and Resubmit?
    shows the advice before the form. At desktop width every filter is in sight."""
    job = JobFactory(client=ClientFactory(organization=org, name="Acme"), title="Picker")
    ann = services.candidate_create(organization=org, name="Ann Lee", email="ann@example.com")
    services.event_log(
        candidate=ann,
        kind=Kind.NO_SHOW,
        occurred_on=services.today() - timedelta(days=3),
        reason=Reason.COMMUTE,
        job=job,
    )

    page = _page(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    log_in(page, live_server.url, recruiter.username, PASSWORD)
    items = page.get_by_role("navigation", name="Main").get_by_role("listitem")
    tops = {round(box["y"]) for box in (item.bounding_box() for item in items.all())}
    assert len(tops) == 1, f"the menu wraps to {len(tops)} lines on a phone"
    assert horizontal_overflow(page) == 0

    page.goto(f"{live_server.url}/candidates/")
    filters = page.get_by_role("search", name="Filter candidates")
    expect(filters.get_by_label("Search")).to_be_visible()
    expect(filters.get_by_label("Status")).to_be_hidden()
    filters.get_by_text("Filters").click()
    expect(filters.get_by_label("Status")).to_be_visible()

    page.goto(f"{live_server.url}/resubmit/?candidate={ann.pk}&job={job.pk}")
    advice = page.locator(".resubmit-answer .badge-advice")
    expect(advice).to_have_text("Caution")
    form_top = page.get_by_role("form", name="Choose a candidate and a job").bounding_box()["y"]
    assert advice.bounding_box()["y"] < form_top, "the advice is below the form on a phone"
    assert advice.bounding_box()["y"] < PHONE["height"], "the advice is below the fold"
    page.context.close()

    desk = _page(browser)
    log_in(desk, live_server.url, recruiter.username, PASSWORD)
    desk.goto(f"{live_server.url}/candidates/")
    filters = desk.get_by_role("search", name="Filter candidates")
    expect(filters.get_by_label("Status")).to_be_visible()
    expect(filters.get_by_label("Job")).to_be_visible()
    desk.context.close()


def _sent_since(count: int) -> list:
    """Run the candidate-email outbox as the worker does; what it sent."""
    from django.core import mail

    from outreach import delivery

    delivery.send_due()
    return mail.outbox[count:]


def _path_in(text: str, prefix: str) -> str:
    match = re.search(rf"https?://[^/\s]+(/{prefix}/[^/\s]+/)", text)
    assert match, text
    return match.group(1)


def test_the_candidate_and_the_client_in_the_loop(
    browser, live_server, org, recruiter, manager, headhunter
):
    """A recruiter sends the candidate a private link; the candidate, in a fresh browser with
    no login and a phone's screen, writes the request; a manager sees it in the queue marked
    as the candidate's own words and grants it; the candidate's email holds a valid .ics and
    the checklist. Then a client's hiring manager decides a second request (another
    candidate's) from the brief's link, and the page says who decided, by link."""
    from django.core import mail
    from icalendar import Calendar

    job = JobFactory(
        client=ClientFactory(organization=org, name="Harbour Freight"), title="Forklift operator"
    )
    job_label = f"{job.title} — {job.client.name}"
    sam = services.candidate_create(
        organization=org, email="sam.cole@example.com", name="Sam Cole", owner=recruiter
    )
    services.event_log(
        candidate=sam,
        kind=Kind.NO_SHOW,
        occurred_on=services.today() - timedelta(days=7),
        reason=Reason.COMMUTE,
        job=job,
        recorded_by=recruiter,
    )
    sent = len(mail.outbox)

    # --- The recruiter sends the link from the candidate page -----------------------------
    rita = _page(browser)
    log_in(rita, live_server.url, recruiter.username, PASSWORD)
    rita.goto(f"{live_server.url}{sam.get_absolute_url()}")
    rita.get_by_text("Ask them to write their request").click()
    rita.locator("#ask-link").get_by_label("For the job").select_option(
        label=f"{job.title}, {job.client.name}"
    )
    rita.get_by_role("button", name="Make the link").click()
    expect(_message(rita)).to_contain_text("emailed to the candidate")
    [invitation] = _sent_since(sent)
    assert invitation.to == ["sam.cole@example.com"]
    path = _path_in(invitation.body, "r")

    # --- The candidate writes, at phone width, with no login ------------------------------
    candidate = _page(browser, viewport=PHONE)
    candidate.goto(f"{live_server.url}{path}")
    expect(candidate.get_by_role("heading", level=1)).to_have_text("Ask for another chance")
    expect(candidate.locator(".public-org")).to_have_text(org.name)
    expect(candidate.get_by_text("Sam Cole")).to_have_count(0)  # nothing beyond org and job
    assert horizontal_overflow(candidate) == 0
    words = "I let you down over the bus. I have moved closer and I want this job."
    candidate.get_by_label("Your request, in your own words").fill(words)
    candidate.get_by_label("When are you free for an interview?").fill("Mornings")
    candidate.get_by_role("button", name="Send my request").click()
    expect(candidate.get_by_role("heading", level=1)).to_have_text(
        "Thank you: your request is sent"
    )
    [acknowledgement] = _sent_since(sent + 1)
    assert "we have your request" in acknowledgement.subject

    # --- The manager sees it in the queue as the candidate's own words, and grants it -----
    mona = _page(browser)
    log_in(mona, live_server.url, manager.username, PASSWORD)
    mona.get_by_role("navigation", name="Main").get_by_role("link", name="Review").click()
    card = mona.get_by_role("article", name="Sam Cole")
    expect(card.locator(".own-words")).to_contain_text("In the candidate's own words")
    expect(card.locator(".pitch")).to_contain_text(words)
    interview = timezone.localtime(timezone.now() + timedelta(days=4)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    card.get_by_label("Interview on").fill(interview.strftime("%Y-%m-%dT%H:%M"))
    card.get_by_label("Where").fill("Gate 3, Harbour Road")
    expect(card.get_by_label("Email the decision to the candidate")).to_be_checked()
    card.get_by_role("button", name="Grant a second chance").click()
    expect(_message(mona)).to_contain_text("The candidate is emailed.")
    [grant] = _sent_since(sent + 2)
    assert grant.to == ["sam.cole@example.com"]
    assert "Be in reception 10 minutes early" in grant.body
    [part] = grant.attachments
    ics = Calendar.from_ical(part.get_payload(decode=True))
    [entry] = ics.walk("VEVENT")
    assert entry.decoded("dtstart") == interview
    assert str(entry["location"]) == "Gate 3, Harbour Road"

    # --- A second request (another candidate's); the client decides from the brief's link -
    kai = services.candidate_create(
        organization=org, email="kai.moss@example.com", name="Kai Moss", owner=recruiter
    )
    services.event_log(
        candidate=kai,
        kind=Kind.LATE,
        occurred_on=services.today() - timedelta(days=3),
        reason=Reason.COMMUTE,
        job=job,
        recorded_by=recruiter,
    )
    services.second_chance_request(
        candidate=kai,
        pitch="The ferry was cancelled; one last try?",
        job=job,
        recorded_by=recruiter,
    )
    hugo = _page(browser)
    log_in(hugo, live_server.url, headhunter.username, PASSWORD)
    hugo.goto(f"{live_server.url}{kai.get_absolute_url()}")
    hugo.get_by_role("link", name="Client-safe brief").click()
    hugo.get_by_label("For the job").select_option(label=job_label)
    hugo.get_by_role("button", name="Show the brief").click()
    expect(hugo.locator("article.brief")).to_contain_text("one last try")
    hugo.get_by_role("button", name="Share with the client by private link").click()
    brief_url = hugo.locator("#new-link").input_value()

    client = _page(browser)
    client.goto(f"{live_server.url}{_path_in(brief_url, 'b')}")
    expect(client.locator("article.brief h1")).to_have_text("Kai Moss")
    client.get_by_role("radio", name="No, not this time").check()
    client.get_by_label("Your name").fill("Dana Reyes")
    client.get_by_label("A note for the recruiter").fill("Two late arrivals is one too many.")
    client.get_by_role("button", name="Send my decision").click()
    expect(client.get_by_role("heading", level=1)).to_have_text(
        "Thank you: your decision is recorded"
    )
    hugo.goto(f"{live_server.url}{kai.get_absolute_url()}")
    expect(_status(hugo)).to_have_text("Status: Refused")
    expect(hugo.locator("ol.timeline > li").first).to_contain_text(
        "Decided by Dana Reyes, Harbour Freight, by link"
    )
    for page in (rita, candidate, mona, hugo, client):
        page.context.close()


def test_a_member_makes_and_revokes_their_calendar_feed_in_the_browser(
    browser, live_server, recruiter
):
    """The calendar page's own forms, as Chromium posts them: the page keeps its feed URL out
    of Referer headers without making the browser send `Origin: null` (refused by CSRF)."""
    page = _page(browser)
    log_in(page, live_server.url, recruiter.username, PASSWORD)
    page.goto(f"{live_server.url}/reminders/calendar/")
    page.get_by_role("button", name="Make my feed URL").click()
    expect(page.locator("#feed-url")).to_have_value(re.compile(r"/calendar/[\w-]{43}\.ics$"))
    page.get_by_role("button", name="Make a new URL").click()
    expect(page.locator("#feed-url")).to_be_visible()
    page.get_by_role("button", name="Revoke the feed").click()
    expect(_message(page)).to_contain_text("Calendar feed revoked")
    expect(page.get_by_role("button", name="Make my feed URL")).to_be_visible()
