"""Webhooks out: an admin registers endpoints; status changes, requests, decisions and merges
reach them signed, through the outbox (retries, a log of answers, "send a test"), never at a
private address unless the setting allows it.

The endpoint is a real HTTP server on 127.0.0.1 (tests/webhook_receiver.py), so these tests
turn WEBHOOKS_ALLOW_PRIVATE_ADDRESSES on, except those that check that it guards. The worker
crash test is in tests/test_reminders_worker.py, with the other outboxes'."""

from __future__ import annotations

import re
import socket
import time
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from api.tokens import token_create
from candidates import services as candidate_services
from candidates.engine import Kind, Reason, Status
from candidates.models import Candidate, Role
from reminders.delivery import MAX_ATTEMPTS
from webhooks import delivery, services, signing
from webhooks.models import PING, Delivery, DeliveryAttempt, DeliveryState, Endpoint, EventType

from .factories import UserFactory
from .webhook_receiver import RawServer, Receiver
from .worlds import MANAGER, RECRUITER, one_world

pytestmark = pytest.mark.django_db

ALL = list(EventType.values)


@pytest.fixture(autouse=True)
def local_receivers(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def endpoint_at(org, admin, url: str, events=ALL) -> Endpoint:
    return services.endpoint_create(organization=org, url=url, events=events, by=admin)


def signed_receiver(receiver: Receiver, endpoint: Endpoint) -> Receiver:
    receiver.secret = services.secret_of(endpoint)
    return receiver


def a_candidate(org, email: str = "sam@example.com", name: str = "Sam Carter"):
    return candidate_services.candidate_create(organization=org, email=email, name=name)


def a_no_show(candidate, by, job=None):
    return candidate_services.event_log(
        candidate=candidate,
        kind=Kind.NO_SHOW,
        reason=Reason.COMMUTE,
        occurred_on=date.today(),
        recorded_by=by,
        job=job,
    )


def send(now=None) -> int:
    return delivery.send_due(now=now)


# --- Endpoints: who registers them, what an address may be ------------------------------------


def test_an_admin_adds_an_endpoint_and_copies_its_secret(client, org_admin):
    client.force_login(org_admin)
    answer = client.post(
        reverse("webhooks:list"),
        {
            "url": "https://ats.example.com/hooks",
            "events": [EventType.STATUS_CHANGED, EventType.DECISION_MADE],
            "description": "Our ATS",
        },
    )
    endpoint = Endpoint.objects.get()
    assert answer.status_code == 302 and answer.url == reverse(
        "webhooks:detail", args=[endpoint.pk]
    )
    assert endpoint.organization == org_admin.organization and endpoint.created_by == org_admin
    assert endpoint.events == sorted([EventType.STATUS_CHANGED, EventType.DECISION_MADE])
    shown = client.get(answer.url)
    assert "no-store" in shown["Cache-Control"] and shown["Referrer-Policy"] == "same-origin"
    page = shown.content.decode()
    secret = services.secret_of(endpoint)
    assert re.fullmatch(r"whsec_[A-Za-z0-9_-]{43}", secret)
    assert secret in page
    # Only the salt is stored: the database alone cannot sign.
    assert secret not in str(Endpoint.objects.values().get())


def test_the_add_form_posted_twice_adds_one_endpoint(client, org_admin):
    client.force_login(org_admin)
    page = client.get(reverse("webhooks:list")).content.decode()
    submission = re.search(r'name="submission" value="([0-9a-f-]+)"', page).group(1)
    form = {"url": "https://ats.example.com/hooks", "events": ALL, "submission": submission}
    first = client.post(reverse("webhooks:list"), form)
    again = client.post(reverse("webhooks:list"), form, follow=True)
    assert first.status_code == 302 and Endpoint.objects.count() == 1
    assert "Already added" in again.content.decode()


@pytest.mark.parametrize("role", [Role.RECRUITER, Role.HEADHUNTER, Role.MANAGER])
def test_only_admins_manage_webhooks(client, org, org_admin, role):
    endpoint = endpoint_at(org, org_admin, "https://ats.example.com/hooks")
    client.force_login(UserFactory(organization=org, role=role))
    assert client.get(reverse("webhooks:list")).status_code == 403
    assert (
        client.post(
            reverse("webhooks:list"), {"url": "https://x.example/", "events": ALL}
        ).status_code
        == 403
    )
    for name in ("detail", "delete", "secret_roll", "test"):
        assert client.post(reverse(f"webhooks:{name}", args=[endpoint.pk])).status_code == 403
    assert Endpoint.objects.count() == 1 and not Delivery.objects.exists()


def test_another_organizations_endpoint_and_deliveries_are_404(client, org, org_admin, other_org):
    endpoint = endpoint_at(org, org_admin, "https://northwind-ats.example.com/hooks")
    sent = services.test_send(endpoint=endpoint, by=org_admin)
    salt = endpoint.salt
    client.force_login(UserFactory(organization=other_org, role=Role.ADMIN))
    assert client.get(reverse("webhooks:detail", args=[endpoint.pk])).status_code == 404
    for name in ("detail", "delete", "secret_roll", "test"):
        assert client.post(reverse(f"webhooks:{name}", args=[endpoint.pk])).status_code == 404
    Delivery.objects.filter(pk=sent.pk).update(state=DeliveryState.FAILED)
    assert client.post(reverse("webhooks:redeliver", args=[sent.pk])).status_code == 404
    endpoint.refresh_from_db()
    assert endpoint.salt == salt and Delivery.objects.get().state == DeliveryState.FAILED
    assert "northwind-ats" not in client.get(reverse("webhooks:list")).content.decode()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("not an address", "Enter a full http(s) address"),
        ("ftp://files.example.com/x", "Enter a full http(s) address"),
        ("http://ats.example.com/hooks", "Use https://"),
        ("https://user:secret@ats.example.com/", "Leave the user name and password out"),
        ("https://127.0.0.1/hooks", "private, loopback or link-local"),
        ("https://localhost:8000/hooks", "private, loopback or link-local"),
        ("https://10.1.2.3/hooks", "private, loopback or link-local"),
        ("https://192.168.0.10/hooks", "private, loopback or link-local"),
        ("https://169.254.169.254/latest/meta-data/", "private, loopback or link-local"),
        ("https://[::1]/hooks", "private, loopback or link-local"),
        ("https://[::ffff:127.0.0.1]/hooks", "private, loopback or link-local"),
        ("https://0.0.0.0/hooks", "private, loopback or link-local"),
        ("https://[::127.0.0.1]/hooks", "private, loopback or link-local"),
        ("https://93.184.216.34:99999/hooks", "Enter a port between 1 and 65535"),
    ],
)
def test_the_form_and_the_service_refuse_what_an_endpoint_may_not_be(
    client, org, org_admin, settings, url, says
):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    client.force_login(org_admin)
    answer = client.post(reverse("webhooks:list"), {"url": url, "events": ALL})
    assert answer.status_code == 200 and says in answer.content.decode()
    with pytest.raises(candidate_services.ValidationError, match=re.escape(says)):
        endpoint_at(org, org_admin, url)
    assert not Endpoint.objects.exists()


def test_an_endpoint_needs_an_event_and_known_events_only(client, org, org_admin):
    client.force_login(org_admin)
    answer = client.post(reverse("webhooks:list"), {"url": "https://ats.example.com/"})
    assert "This field is required." in answer.content.decode()
    with pytest.raises(candidate_services.ValidationError, match="Unknown events: everything"):
        endpoint_at(org, org_admin, "https://ats.example.com/", events=["everything"])
    assert not Endpoint.objects.exists()


def test_the_sender_checks_the_address_on_every_attempt(org, org_admin, receiver, settings):
    """Registered while allowed (or while the name resolved elsewhere), then sent with the
    guard on: the private address is never contacted, by its IP or by a name."""
    by_ip = endpoint_at(org, org_admin, receiver.url)
    by_name = endpoint_at(org, org_admin, receiver.url.replace("127.0.0.1", "localhost"))
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    for endpoint in (by_ip, by_name):
        services.test_send(endpoint=endpoint, by=org_admin)
    assert send() == 0
    assert receiver.received == []
    for attempt in DeliveryAttempt.objects.all():
        assert attempt.error == "Refused: the address is private, loopback or link-local."
    assert set(Delivery.objects.values_list("state", "attempts")) == {(DeliveryState.PENDING, 1)}


# --- What is emitted, to whom ---------------------------------------------------------------


def test_a_status_change_is_delivered_signed_with_the_candidate(
    org, org_admin, recruiter, receiver, settings
):
    endpoint = endpoint_at(org, org_admin, receiver.url, events=[EventType.STATUS_CHANGED])
    signed_receiver(receiver, endpoint)
    candidate = a_candidate(org)
    assert not Delivery.objects.exists()  # a new candidate is not a change
    a_no_show(candidate, recruiter)
    assert send() == 1

    [got] = receiver.received
    body = got.json
    assert receiver.bad_signatures == 0 and receiver.processed == [body["id"]]
    assert got.headers["Recovery-Event"] == "candidate.status_changed"
    assert got.headers["Recovery-Delivery"] == body["id"]
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["User-Agent"] == delivery.USER_AGENT
    assert body["type"] == "candidate.status_changed"
    assert body["organization"] == {"id": org.pk, "name": "Northwind Staffing"}
    assert body["data"]["previous_status"] == Status.CLEAN
    assert body["data"]["status"] == Status.STUMBLED
    assert body["data"]["candidate"] == {
        "id": candidate.pk,
        "name": "Sam Carter",
        "email": "sam@example.com",
        "status": Status.STUMBLED,
        "risk_score": body["data"]["candidate"]["risk_score"],
        "advice": body["data"]["candidate"]["advice"],
        "live_missteps": 1,
        "url": f"{settings.SITE_URL}/candidates/{candidate.pk}/",
    }
    assert body["data"]["candidate"]["risk_score"] > 0
    # A tampered body, or another secret, does not verify.
    header = got.headers[signing.HEADER]
    with pytest.raises(signing.BadSignature):
        signing.verify(receiver.secret, header, got.body.replace(b"Sam", b"Pam"))
    with pytest.raises(signing.BadSignature):
        signing.verify("whsec_other", header, got.body)
    sent = Delivery.objects.get()
    assert sent.state == DeliveryState.SENT and str(sent.event_id) == body["id"]
    assert sent.log.get().succeeded and sent.log.get().status_code == 200


def test_each_event_goes_to_the_endpoints_that_want_it(org, org_admin, receiver):
    world = one_world(org)
    requests_only = endpoint_at(
        org, org_admin, receiver.url + "/requests", [EventType.REQUEST_RECEIVED]
    )
    decisions_only = endpoint_at(
        org, org_admin, receiver.url + "/decisions", [EventType.DECISION_MADE]
    )
    merges_only = endpoint_at(
        org, org_admin, receiver.url + "/merges", [EventType.CANDIDATE_MERGED]
    )
    candidate = world.stumbled
    candidate_services.second_chance_request(
        candidate=candidate,
        pitch="The bus broke down",
        recorded_by=world.users[RECRUITER],
        job=world.job,
    )
    candidate_services.second_chance_decide(
        candidate=candidate, grant=False, note="Not this time", decided_by=world.users[MANAGER]
    )
    twin = a_candidate(org, "sam.twin@example.com", "Sam Twin")
    candidate_services.candidates_merge(
        kept=candidate, merged=twin, reason="Same person", merged_by=org_admin
    )
    by_endpoint = {
        endpoint: [
            (d.event_type, d.payload["data"]) for d in Delivery.objects.filter(endpoint=endpoint)
        ]
        for endpoint in (requests_only, decisions_only, merges_only)
    }
    [(kind, request)] = by_endpoint[requests_only]
    assert kind == EventType.REQUEST_RECEIVED
    assert request["request"]["kind"] == Kind.SECOND_CHANCE_REQUESTED
    assert request["request"]["notes"] == "The bus broke down"
    assert request["request"]["job"] == {
        "id": world.job.pk,
        "title": world.job.title,
        "client": world.job.client.name,
    }
    assert request["candidate"]["status"] == Status.REQUESTED
    [(kind, decision)] = by_endpoint[decisions_only]
    assert (
        decision["decision"]["granted"] is False
        and decision["decision"]["job"]["id"] == world.job.pk
    )
    assert decision["decision"]["recorded_by"] == str(world.users[MANAGER])
    [(kind, merge)] = by_endpoint[merges_only]
    assert merge["candidate"]["id"] == candidate.pk
    assert merge["merged"] == {"id": twin.pk, "name": "Sam Twin", "email": "sam.twin@example.com"}
    assert merge["reason"] == "Same person"
    # One event, one id, whatever the number of endpoints; ids differ between events.
    mine = Delivery.objects.filter(endpoint__in=[requests_only, decisions_only, merges_only])
    assert mine.values("event_id").distinct().count() == 3


def test_a_request_through_the_api_and_a_misstep_through_the_page_are_emitted(
    client, org, org_admin, receiver
):
    world = one_world(org)
    endpoint = endpoint_at(org, org_admin, receiver.url)
    http = HttpClient(
        HTTP_AUTHORIZATION="Bearer "
        + token_create(member=world.users[RECRUITER], name="ats", scope="write").raw
    )
    answer = http.post(
        reverse("api:second_chance_requests", kwargs={"pk": world.stumbled.pk}),
        {"pitch": "I want the job", "job": world.job.pk, "occurred_on": date.today().isoformat()},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    client.force_login(world.users[RECRUITER])
    plain = world.plain
    client.post(
        reverse("candidates:log_event", args=[plain.pk]),
        {
            "kind": Kind.NO_SHOW,
            "reason": Reason.COMMUTE,
            "occurred_on": date.today().isoformat(),
            "job": world.job.pk,
        },
    )
    types = sorted(
        Delivery.objects.filter(endpoint=endpoint).values_list(
            "event_type", "payload__data__candidate__id"
        )
    )
    assert types == sorted(
        [
            (EventType.REQUEST_RECEIVED, world.stumbled.pk),
            (EventType.STATUS_CHANGED, world.stumbled.pk),
            (EventType.STATUS_CHANGED, plain.pk),
        ]
    )


def test_another_organizations_events_never_reach_this_endpoint(
    org, org_admin, other_org, receiver
):
    endpoint_at(org, org_admin, receiver.url)
    stranger = a_candidate(other_org)
    a_no_show(stranger, UserFactory(organization=other_org, role=Role.RECRUITER))
    assert not Delivery.objects.exists()
    assert send() == 0 and receiver.received == []


def test_the_passing_of_time_is_a_status_change_too(org, org_admin, recruiter, receiver):
    candidate = a_candidate(org)
    candidate_services.event_log(
        candidate=candidate,
        kind=Kind.LATE,
        reason=Reason.COMMUTE,
        # Tomorrow, 24 months back is this day: the misstep expires (clean again).
        occurred_on=date.today() - relativedelta(months=24) + timedelta(days=1),
        recorded_by=recruiter,
    )
    endpoint_at(org, org_admin, receiver.url, events=[EventType.STATUS_CHANGED])
    # The hourly re-evaluation, tomorrow.
    candidate_services.reevaluate([candidate.pk], as_of=date.today() + timedelta(days=1))
    candidate.refresh_from_db()
    [sent] = Delivery.objects.all()
    assert (
        sent.payload["data"]["status"]
        == candidate.status
        != sent.payload["data"]["previous_status"]
    )


# --- Delivery: retries, the log, giving up, sending again --------------------------------------


def test_a_failing_endpoint_is_retried_with_backoff_and_its_answers_are_logged(
    client, org, org_admin, receiver
):
    endpoint = endpoint_at(org, org_admin, receiver.url)
    receiver.answers = [(500, "database is down, sorry"), (200, "thanks")]
    services.test_send(endpoint=endpoint, by=org_admin)
    assert send() == 0
    waiting = Delivery.objects.get()
    assert waiting.state == DeliveryState.PENDING and waiting.attempts == 1
    assert waiting.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert send() == 0  # not due yet: nothing sent
    assert len(receiver.received) == 1
    assert send(now=timezone.now() + timedelta(minutes=2)) == 1
    first, second = receiver.received
    assert first.headers["Recovery-Delivery"] == second.headers["Recovery-Delivery"]
    assert [(a.status_code, a.succeeded) for a in waiting.log.all()] == [(500, False), (200, True)]

    client.force_login(org_admin)
    page = client.get(reverse("webhooks:detail", args=[endpoint.pk])).content.decode()
    assert "answered <strong>500</strong>" in page and "database is down, sorry" in page
    assert "answered <strong>200</strong>" in page and "Delivered" in page


def test_a_redirect_is_not_followed(org, org_admin, receiver):
    endpoint = endpoint_at(org, org_admin, receiver.url)
    receiver.answers = [(302, "")]
    services.test_send(endpoint=endpoint, by=org_admin)
    assert send() == 0
    assert len(receiver.received) == 1  # nothing went to the Location
    assert DeliveryAttempt.objects.get().status_code == 302


def test_an_endpoint_that_is_not_listening_is_an_attempt_not_an_error(org, org_admin):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = endpoint_at(org, org_admin, f"http://127.0.0.1:{port}/hooks")
    services.test_send(endpoint=endpoint, by=org_admin)
    assert send() == 0
    attempt = DeliveryAttempt.objects.get()
    assert attempt.status_code is None and "ConnectionError" in attempt.error


def test_it_gives_up_after_the_last_retry_and_can_be_sent_again(client, org, org_admin, receiver):
    endpoint = endpoint_at(org, org_admin, receiver.url)
    receiver.answers = [(503, "maintenance")]
    sent = services.test_send(endpoint=endpoint, by=org_admin)
    now = timezone.now()
    for _ in range(MAX_ATTEMPTS):
        send(now=now)
        now += timedelta(hours=3)
    sent.refresh_from_db()
    assert sent.state == DeliveryState.FAILED and sent.attempts == MAX_ATTEMPTS
    assert len(receiver.received) == MAX_ATTEMPTS

    client.force_login(org_admin)
    page = client.get(reverse("webhooks:detail", args=[endpoint.pk])).content.decode()
    assert "Gave up" in page and "Send it again" in page
    receiver.answers = [(200, "back")]
    client.post(reverse("webhooks:redeliver", args=[sent.pk]))
    assert send() == 1
    sent.refresh_from_db()
    assert sent.state == DeliveryState.SENT
    assert receiver.received[-1].headers["Recovery-Delivery"] == str(sent.event_id)
    assert sent.log.count() == MAX_ATTEMPTS + 1
    # Only a delivery that gave up is sent again.
    client.post(reverse("webhooks:redeliver", args=[sent.pk]))
    assert send() == 0 and len(receiver.received) == MAX_ATTEMPTS + 1


def test_send_a_test_posted_twice_sends_one(client, org, org_admin, receiver):
    endpoint = endpoint_at(org, org_admin, receiver.url)
    client.force_login(org_admin)
    page = client.get(reverse("webhooks:detail", args=[endpoint.pk])).content.decode()
    submission = re.search(r'name="submission" value="([0-9a-f-]+)"', page).group(1)
    for _ in range(2):
        client.post(reverse("webhooks:test", args=[endpoint.pk]), {"submission": submission})
    assert send() == 1
    [got] = receiver.received
    assert got.json["type"] == PING and got.headers["Recovery-Event"] == PING


def test_rolling_the_secret_signs_from_then_on_with_the_new_one(client, org, org_admin, receiver):
    endpoint = endpoint_at(org, org_admin, receiver.url)
    old = services.secret_of(endpoint)
    client.force_login(org_admin)
    client.post(reverse("webhooks:secret_roll", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    new = services.secret_of(endpoint)
    assert (
        new != old
        and new in client.get(reverse("webhooks:detail", args=[endpoint.pk])).content.decode()
    )
    services.test_send(endpoint=endpoint, by=org_admin)
    send()
    [got] = receiver.received
    signing.verify(new, got.headers[signing.HEADER], got.body)
    with pytest.raises(signing.BadSignature):
        signing.verify(old, got.headers[signing.HEADER], got.body)


def test_a_stale_signature_is_refused_by_the_check_receivers_use():
    body = b'{"id": "x"}'
    header = signing.signature("whsec_s", body, timestamp=1_000_000)
    assert signing.verify("whsec_s", header, body, now=1_000_000 + 299) == 1_000_000
    with pytest.raises(signing.BadSignature, match="tolerance"):
        signing.verify("whsec_s", header, body, now=1_000_000 + 301)
    for broken in ("", "v1=abc", "t=x,v1=abc", f"t=1000000,v0={header[-64:]}"):
        with pytest.raises(signing.BadSignature):
            signing.verify("whsec_s", broken, body, now=1_000_000)


def test_removing_an_endpoint_stops_its_deliveries(client, org, org_admin, recruiter, receiver):
    endpoint = endpoint_at(org, org_admin, receiver.url)
    client.force_login(org_admin)
    client.post(reverse("webhooks:delete", args=[endpoint.pk]))
    a_no_show(a_candidate(org), recruiter)
    assert not Endpoint.objects.exists() and not Delivery.objects.exists()
    assert send() == 0 and receiver.received == []


def test_the_endpoint_page_runs_a_fixed_number_of_queries(
    client, org, org_admin, django_assert_num_queries
):
    endpoint = endpoint_at(org, org_admin, "https://ats.example.com/hooks")
    client.force_login(org_admin)
    url = reverse("webhooks:detail", args=[endpoint.pk])

    def log(count: int) -> None:
        for _ in range(count):
            made = services.test_send(endpoint=endpoint, by=org_admin)
            DeliveryAttempt.objects.create(
                delivery=made, started_at=timezone.now(), status_code=500, response="no"
            )

    log(1)
    client.get(url)  # warm: the session, the header's organization
    with django_assert_num_queries(6) as small:
        client.get(url)
    log(40)
    with django_assert_num_queries(len(small.captured_queries)):
        page = client.get(url)
    assert page.content.decode().count('<li class="delivery">') == 41


def test_the_list_page_counts_waiting_and_failed_per_endpoint(client, org, org_admin):
    endpoint = endpoint_at(org, org_admin, "https://ats.example.com/hooks")
    for _ in range(3):
        services.test_send(endpoint=endpoint, by=org_admin)
    Delivery.objects.filter(pk=Delivery.objects.first().pk).update(state=DeliveryState.FAILED)
    client.force_login(org_admin)
    page = client.get(reverse("webhooks:list")).content.decode()
    assert '<td data-label="Waiting">2</td>' in page
    assert '<span class="badge badge-burned">1</span>' in page


def test_the_log_keeps_thirty_days_of_finished_deliveries(org, org_admin):
    endpoint = endpoint_at(org, org_admin, "https://ats.example.com/hooks")
    old_sent, old_failed, old_waiting, recent = (
        services.test_send(endpoint=endpoint, by=org_admin) for _ in range(4)
    )
    Delivery.objects.filter(pk=old_sent.pk).update(state=DeliveryState.SENT)
    Delivery.objects.filter(pk=old_failed.pk).update(state=DeliveryState.FAILED)
    Delivery.objects.filter(pk=recent.pk).update(state=DeliveryState.SENT)
    month_ago = timezone.now() - timedelta(days=31)
    Delivery.objects.exclude(pk=recent.pk).update(created_at=month_ago)
    assert services.deliveries_prune() == 2
    assert set(Delivery.objects.values_list("pk", flat=True)) == {old_waiting.pk, recent.pk}


# --- What a hostile or broken endpoint cannot do ----------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        # 200, claiming gzip, and not gzip.
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\nnot gzip!",
        # A NUL byte (PostgreSQL's text refuses it), in an error and in a success.
        b"HTTP/1.1 500 Oops\r\nContent-Length: 5\r\n\r\nab\x00cd",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab\x00cd",
        # Closed before the promised length.
        b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nshort",
        # Not HTTP at all.
        b"\x00\xff garbage",
    ],
    ids=["bad-gzip", "nul-in-error", "nul-in-success", "cut-short", "not-http"],
)
def test_a_broken_answer_costs_its_delivery_an_attempt_and_nobody_else_anything(
    org, org_admin, other_org, receiver, answer
):
    with RawServer(answer) as hostile:
        bad = endpoint_at(org, org_admin, hostile.url)
        good = endpoint_at(
            other_org, UserFactory(organization=other_org, role=Role.ADMIN), receiver.url
        )
        services.test_send(endpoint=bad, by=org_admin)
        services.test_send(endpoint=good, by=org_admin)
        delivered = send()
    assert len(receiver.received) == 1  # the other organization's, in the same run
    assert Delivery.objects.get(endpoint=good).state == DeliveryState.SENT
    broken = Delivery.objects.get(endpoint=bad)
    if broken.state == DeliveryState.SENT:  # a 200 with a readable start is a 200
        assert delivered == 2 and "\x00" not in broken.log.get().response
    else:
        assert broken.state == DeliveryState.PENDING and broken.attempts == 1
        assert broken.claim_token == "" and broken.log.get().error
        assert "\x00" not in broken.log.get().response + broken.last_error


def test_an_endpoint_that_trickles_its_answer_is_cut_off_at_the_deadline(
    org, org_admin, monkeypatch
):
    monkeypatch.setattr(delivery, "DEADLINE", 2)
    with RawServer(b"HTTP/1.1 200 OK\r\n", trickle=b"X-Slow: y\r\n") as slow:
        endpoint = endpoint_at(org, org_admin, slow.url)
        services.test_send(endpoint=endpoint, by=org_admin)
        started = time.monotonic()
        assert send() == 0
        took = time.monotonic() - started
    assert took < 6, f"held for {took:.1f} s"
    attempt = DeliveryAttempt.objects.get()
    assert attempt.error == "TooSlow: no complete answer within 2 seconds."
    assert Delivery.objects.get().state == DeliveryState.PENDING


def test_no_cookie_set_by_one_endpoint_is_sent_to_another(org, org_admin, other_org, receiver):
    receiver.answers = [(200, "ok")]
    receiver.cookie = "session=org-b-secret"
    theirs = endpoint_at(
        other_org, UserFactory(organization=other_org, role=Role.ADMIN), receiver.url + "/b"
    )
    ours = endpoint_at(org, org_admin, receiver.url + "/a")
    services.test_send(endpoint=theirs, by=org_admin)
    services.test_send(endpoint=ours, by=org_admin)
    assert send() == 2
    assert [r.headers.get("Cookie") for r in receiver.received] == [None, None]


def test_erasing_a_candidate_removes_the_deliveries_of_the_records_merged_into_them(
    org, org_admin, recruiter
):
    from candidates.privacy import erase_candidate

    endpoint_at(org, org_admin, "https://93.184.216.34/hooks")
    kept = a_candidate(org)
    merged = a_candidate(org, "sam.c@example.net", "Samuel Carter")
    a_no_show(merged, recruiter)  # announced under the merged record's id
    candidate_services.candidates_merge(
        kept=kept, merged=merged, reason="Same person", merged_by=recruiter
    )
    assert Delivery.objects.filter(payload__data__candidate__id=merged.pk).exists()
    erase_candidate(
        candidate=Candidate.objects.get(pk=kept.pk), erased_by=org_admin, reason="Asked"
    )
    text = str(list(Delivery.objects.values_list("payload", flat=True)))
    assert "Samuel" not in text and "sam.c@example.net" not in text and "Sam Carter" not in text


def test_undoing_a_merge_announces_the_record_that_came_back(org, org_admin, recruiter):
    endpoint_at(org, org_admin, "https://93.184.216.34/hooks", events=[EventType.STATUS_CHANGED])
    kept = a_candidate(org)
    stumbled = a_candidate(org, "sam.c@example.net", "Samuel Carter")
    a_no_show(stumbled, recruiter)
    clean = a_candidate(org, "s.carter@example.org", "S. Carter")
    merges = [
        candidate_services.candidates_merge(
            kept=kept, merged=merged, reason="Same person", merged_by=recruiter
        )
        for merged in (stumbled, clean)
    ]
    Delivery.objects.all().delete()
    for merge in reversed(merges):
        candidate_services.merge_undo(merge=merge, undone_by=recruiter)
    came_back = {
        d.payload["data"]["candidate"]["id"]: (
            d.payload["data"]["previous_status"],
            d.payload["data"]["status"],
        )
        for d in Delivery.objects.exclude(payload__data__candidate__id=kept.pk)
    }
    assert came_back == {
        stumbled.pk: (Status.CLEAN, Status.STUMBLED),  # from the status it was saved with
        clean.pk: (None, Status.CLEAN),  # no change to announce: announced as back
    }
    assert Delivery.objects.exclude(payload__data__candidate__id=kept.pk).count() == 2
