"""Redis may die at any moment: the app served by gunicorn keeps answering every page and
every write, logging in still works, nothing answers 500, no committed write is reported as
failed, a form posted twice stores once, and `/healthz` says which service is down.

Real processes: a Redis server of the test's own (the app's cache and broker), killed with
SIGKILL while a member is reading pages, and gunicorn serving this test run's database.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.test import override_settings
from django.utils import timezone

from ats import services as ats_services
from ats.models import InboundItem
from candidates import services
from candidates.models import Candidate, Event, RiskNote, Role, User
from outreach import services as outreach
from outreach.models import CandidateEmail, LinkPurpose
from outreach.tokens import token_for
from reminders.models import Reminder, State
from webhooks import services as webhook_services
from webhooks.models import Delivery

from .factories import JobFactory, UserFactory
from .processes import SERVED_SECRET_KEY, Browser, Gunicorn, RedisServer

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
ATS_FIXTURES = Path(__file__).parent / "data" / "ats"


def member(org, role: str, username: str):
    # Hashed as the served app hashes (the test settings' fast hasher is the tests' own).
    user = UserFactory(organization=org, role=role, username=username)
    hashed = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    User.objects.filter(pk=user.pk).update(password=hashed)
    return user


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def app(redis_server, tmp_path) -> Iterator[Gunicorn]:
    server = Gunicorn(
        tmp_path / "gunicorn.log",
        {
            "REDIS_URL": redis_server.url,
            "CELERY_BROKER_URL": redis_server.url,
            # Plain http on loopback; DEBUG only so that static files need no collecting.
            "DEBUG": "1",
            "EMAIL_URL": "consolemail://",
            "LOG_LEVEL": "INFO",
        },
    )
    yield server
    server.stop()


def form_of(html: str, action: str | None = None) -> dict[str, str]:
    """The hidden inputs (CSRF token, submission key) of the form posting to `action` (or
    of the page's own form, which posts to the page)."""
    target = f'action="{re.escape(action)}"' if action else r"novalidate"
    form = re.search(rf"<form[^>]*{target}.*?</form>", html, re.S).group(0)
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def test_every_page_and_write_works_while_redis_is_dead(org, app, redis_server):
    recruiter = member(org, Role.RECRUITER, "rita@x.test")
    manager = member(org, Role.MANAGER, "mona@x.test")
    job = JobFactory(client__organization=org, title="Forklift operator")
    candidate = services.candidate_create(organization=org, email="sam@x.test", name="Sam Stone")
    services.event_log(
        candidate=candidate,
        kind="late",
        occurred_on=services.today() - timedelta(days=3),
        reason="commute",
        job=job,
    )
    # The organization's ATS and its webhook endpoint: a write's delivery and an inbound
    # rejection must not depend on Redis either.
    admin = UserFactory(organization=org, role=Role.ADMIN)
    webhook_services.endpoint_create(
        organization=org,
        url="https://93.184.216.34/hooks",
        events=["candidate.status_changed", "second_chance.requested"],
        by=admin,
    )
    # The secret key is derived with the served app's SECRET_KEY (tests/processes.py).
    with override_settings(SECRET_KEY=SERVED_SECRET_KEY):
        greenhouse = ats_services.source_create(
            organization=org, vendor="greenhouse", name="Careers", client_name="Acme", by=admin
        )
    detail = f"/candidates/{candidate.pk}/"
    pages = [
        "/",
        "/candidates/",
        "/candidates/?q=sam",
        "/candidates/?status=stumbled&sort=risk",
        detail,
        f"{detail}audit/",
        "/reminders/",
        "/resubmit/",
        "/clients/",
        "/insights/",
        "/import/",
    ]

    browser = Browser(app.base)
    assert browser.log_in(recruiter.username, PASSWORD) == 302
    for page in pages:
        assert browser.request(page)[0] == 200, page
    status, body = browser.request("/healthz")
    assert (status, body) == (200, "database: ok\nredis: ok\n")

    # A member keeps reading while Redis is killed under them.
    statuses: list[int] = []
    stop = threading.Event()

    def read() -> None:
        reader = Browser(app.base)
        reader.cookies = browser.cookies  # the same member, another tab
        reader.opener = browser.opener
        while not stop.is_set():
            statuses.append(reader.request(pages[len(statuses) % len(pages)])[0])

    tab = threading.Thread(target=read)
    tab.start()
    try:
        while len(statuses) < 5:
            stop.wait(0.05)
        redis_server.kill()
        seen = len(statuses)
        while len(statuses) < seen + 10:
            stop.wait(0.05)
    finally:
        stop.set()
        tab.join(timeout=60)
    assert set(statuses) == {200}, statuses

    # Every page, with Redis dead.
    for page in pages:
        assert browser.request(page)[0] == 200, page
    # Degraded, not down: a proxy keeps sending traffic; the body says what is missing.
    assert browser.request("/healthz") == (200, "database: ok\nredis: down\n")
    assert browser.request("/livez") == (200, "ok")

    # Writes: a risk note, posted twice (a double click), stores once and says so.
    _, html = browser.request(detail)
    note = {
        **form_of(html, f"{detail}notes/"),
        "dimension": "commute",
        "level": "4",
        "noted_on": timezone.localdate().isoformat(),
        "note": "Two buses and a train.",
    }
    assert browser.request(f"{detail}notes/", note)[0] == 302
    assert browser.request(f"{detail}notes/", note)[0] == 302
    assert RiskNote.objects.filter(candidate=candidate).count() == 1
    assert "Already saved" in browser.request(detail)[1]

    # An event, and a reminder due now whose "dispatch now" message cannot be sent: both
    # committed and reported saved; the reminder waits for the next beat.
    _, html = browser.request(detail)
    event = {
        **form_of(html, f"{detail}events/"),
        "kind": "no_show",
        "occurred_on": timezone.localdate().isoformat(),
        "reason": "illness",
        "job": str(job.pk),
    }
    assert browser.request(f"{detail}events/", event)[0] == 302
    assert Event.objects.filter(candidate=candidate, kind="no_show").count() == 1
    assert Candidate.objects.get(pk=candidate.pk).status == "stumbled"

    # Greenhouse posts a rejection: its rate limit (on the cache) lets it through, and it is
    # stored; posted again, it is a replay.
    body = (
        Path(__file__).parent / "data" / "ats" / "greenhouse_reject_candidate.json"
    ).read_bytes()
    signature = "sha256 " + hmac.new(greenhouse.secret.encode(), body, hashlib.sha256).hexdigest()
    for _ in range(2):
        request = urllib.request.Request(  # noqa: S310 (our own server)
            f"{app.base}/ats/in/{greenhouse.url_token}/",
            data=body,
            headers={"Signature": signature, "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (our server)
            assert answer.status == 200
    assert InboundItem.objects.count() == 1
    _, html = browser.request(f"/reminders/candidates/{candidate.pk}/new/")
    reminder = {
        **form_of(html),
        "title": "Call Sam back",
        "due_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "user": str(recruiter.pk),
    }
    assert browser.request(f"/reminders/candidates/{candidate.pk}/new/", reminder)[0] == 302
    assert Reminder.objects.get(title="Call Sam back").state == State.PENDING

    # The candidate's own request by private link, with Redis dead: the page's rate limit
    # (on the cache) lets it through, the request is stored, and the acknowledgement waits in
    # the outbox for the next beat (its "send now" message cannot reach the broker).
    candidate.refresh_from_db()
    link = outreach.link_create(
        candidate=candidate, job=job, purpose=LinkPurpose.REQUEST, by=recruiter
    )
    path = f"/r/{token_for(link.salt)}/"
    stranger = Browser(app.base)
    status, html = stranger.request(path)
    assert status == 200
    words = {**form_of(html), "words": "The bus again; I have a bike now."}
    assert stranger.request(path, words)[0] == 200
    assert Event.objects.filter(candidate=candidate, source="candidate").count() == 1
    assert CandidateEmail.objects.get(candidate=candidate).state == "pending"
    # So does its webhook: stored with the request, sent by the next beat.
    announced = Delivery.objects.filter(payload__data__candidate__id=candidate.pk)
    assert sorted(announced.values_list("event_type", "state")) == [
        ("candidate.status_changed", "pending"),  # stumbled -> requested
        ("second_chance.requested", "pending"),
    ]

    # Logging in, with Redis dead: a manager decides on a request.
    desk = Browser(app.base)
    assert desk.log_in(manager.username, PASSWORD) == 302
    assert desk.request("/review/")[0] == 200

    log = app.output()
    assert "Internal Server Error" not in log, log
