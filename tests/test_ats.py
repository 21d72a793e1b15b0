"""Rejections flowing in from an ATS (ats/): the vendors' documented payloads
(tests/data/ats/, see its README for which page each follows), each mapped to the right
event; signatures; replays; the review list; the mapping table's one rule; scoping."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from ats import selectors, services
from ats.forms import MappingForm, ResolveForm
from ats.models import (
    InboundItem,
    InboundSource,
    ItemState,
    LeverToken,
    ReasonMapping,
    Vendor,
)
from candidates import clock
from candidates import services as candidate_services
from candidates.engine import Kind, Reason, RejectionReason, Status
from candidates.models import Candidate, Client, Event, EventSource, Job

from .query_counts import BASE

pytestmark = pytest.mark.django_db

POSTGRES = connection.vendor == "postgresql"
DATA = Path(__file__).resolve().parent / "data" / "ats"
LEVER_SIGNATURE_TOKEN = "lever-signature-token-0b675964867d2654"
LEVER_REASON = "63dd55b2-a99f-4e7b-985f-22c7bf80ab42"
HECTOR = "hector.porter.265788@example.com"
HANK = "hank.vondiablo.13857579@example.com"
LEVER_ARCHIVED_AT = datetime(2025, 11, 12, 10, 0, tzinfo=UTC)  # the fixture's archivedAt


# --- Helpers ------------------------------------------------------------------------------


def fixture_bytes(name: str) -> bytes:
    return (DATA / name).read_bytes()


def greenhouse_signature(secret: str, body: bytes) -> str:
    return "sha256 " + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def now_millis() -> int:
    return int(time.time() * 1000)


def lever_body(name: str, signature_token: str = LEVER_SIGNATURE_TOKEN, **changes) -> bytes:
    """The fixture, signed; triggered now unless `triggeredAt` is given (Lever's signed time
    must be recent: services.LEVER_WINDOW)."""
    data = json.loads(fixture_bytes(name))
    data["triggeredAt"] = now_millis()
    for path, value in changes.items():
        target = data
        *parents, last = path.split("__")
        for parent in parents:
            target = target[parent]
        target[last] = value
    message = f"{data['token']}{data['triggeredAt']}".encode()
    data["signature"] = hmac.new(signature_token.encode(), message, hashlib.sha256).hexdigest()
    return json.dumps(data).encode()


def post(url_token: str, body: bytes, signature: str | None = None):
    extra = {"HTTP_SIGNATURE": signature} if signature is not None else {}
    return HttpClient().post(
        reverse("ats:inbound", args=[url_token]), body, content_type="application/json", **extra
    )


def post_greenhouse(made: services.NewSource, body: bytes):
    return post(made.url_token, body, greenhouse_signature(made.secret, body))


@pytest.fixture
def greenhouse(org, org_admin) -> services.NewSource:
    return services.source_create(
        organization=org,
        vendor=Vendor.GREENHOUSE,
        name="Acme's Greenhouse",
        client_name="Acme",
        by=org_admin,
    )


@pytest.fixture
def lever(org, org_admin) -> services.NewSource:
    return services.source_create(
        organization=org,
        vendor=Vendor.LEVER,
        name="Globex's Lever",
        client_name="Globex",
        signature_token=LEVER_SIGNATURE_TOKEN,
        by=org_admin,
    )


@pytest.fixture
def hector(org, recruiter) -> Candidate:
    return candidate_services.candidate_create(
        organization=org, email=HECTOR, name="Hector Porter", owner=recruiter
    )


@pytest.fixture
def hank(org, recruiter) -> Candidate:
    return candidate_services.candidate_create(
        organization=org, email=HANK, name="Hank Von Diablo", owner=recruiter
    )


def mapped(org, external: str, kind: str, reason: str, vendor: str = "") -> ReasonMapping:
    return services.mapping_save(
        organization=org, vendor=vendor, external_reason=external, kind=kind, reason=reason
    )


def logged_in(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def nothing_stored() -> bool:
    return not InboundItem.objects.exists() and not Event.objects.filter(source="ats").exists()


# --- Each documented payload, mapped to the right event ------------------------------------


def test_greenhouse_reject_candidate_is_recorded_as_the_employers_rejection(
    org, greenhouse, hector
):
    mapped(org, "Too Junior", Kind.REJECTED, RejectionReason.EXPERIENCE)
    response = post_greenhouse(greenhouse, fixture_bytes("greenhouse_reject_candidate.json"))
    assert response.status_code == 200, response.content
    item = InboundItem.objects.get()
    assert item.state == ItemState.RECORDED
    event = item.event
    assert (event.kind, event.reason) == (Kind.REJECTED, RejectionReason.EXPERIENCE)
    assert event.candidate == hector
    assert event.occurred_on == date(2026, 11, 11)
    assert (event.job.client.name, event.job.title, event.job.state) == ("Acme", "Designer", "open")
    assert event.source == EventSource.ATS and event.recorded_by is None
    assert event.source_name == "Greenhouse · Acme's Greenhouse"
    assert "Too Junior (Wrong skill set)" in event.notes
    hector.refresh_from_db()
    assert hector.status == Status.REJECTED


def test_greenhouse_candidate_withdrew_is_recorded_as_the_matching_misstep(
    org, greenhouse, hank, recruiter
):
    # The table is matched without case and extra spaces; the email without case.
    mapped(org, "  candidate   WITHDREW ", Kind.WITHDREW, Reason.UNKNOWN)
    body = fixture_bytes("greenhouse_application_updated_withdrew.json")
    assert post_greenhouse(greenhouse, body).status_code == 200
    event = InboundItem.objects.get().event
    assert (event.kind, event.reason, event.candidate) == (Kind.WITHDREW, Reason.UNKNOWN, hank)
    assert event.job.title == "DevOps Engineer"
    hank.refresh_from_db()
    assert hank.status == Status.STUMBLED
    # The candidate page says where it came from.
    page = logged_in(recruiter).get(hank.get_absolute_url()).content.decode()
    assert "From Greenhouse · Acme&#x27;s Greenhouse" in page


def test_an_existing_job_is_matched_by_title_without_case(org, greenhouse, hector):
    client = candidate_services.client_create(organization=org, name="ACME")
    job = candidate_services.job_create(organization=org, client=client, title="designer")
    mapped(org, "Too Junior", Kind.REJECTED, RejectionReason.SKILLS)
    post_greenhouse(greenhouse, fixture_bytes("greenhouse_reject_candidate.json"))
    assert InboundItem.objects.get().event.job == job
    assert Client.objects.count() == 1 and Job.objects.count() == 1


def test_lever_archive_waits_for_a_member_to_name_the_candidate(org, lever, hector, recruiter):
    """Lever's webhook carries ids only: even with its reason mapped, the item waits for a
    member to say who the candidate is; resolving records the mapped event."""
    mapped(org, LEVER_REASON, Kind.DECLINED_OFFER, Reason.COMPETING_OFFER, vendor=Vendor.LEVER)
    # Delivered a minute after the fixture's archivedAt (2025-11-12 10:00 UTC).
    with time_machine.travel(LEVER_ARCHIVED_AT + timedelta(minutes=1)):
        response = post(lever.url_token, lever_body("lever_candidate_archive_change.json"))
    assert response.status_code == 200, response.content
    item = InboundItem.objects.get()
    assert item.state == ItemState.NEEDS_REVIEW
    assert item.occurred_on == date(2025, 11, 12)
    assert "Lever sends no email" in item.message
    # The review page offers the mapped kind and reason.
    http = logged_in(recruiter)
    page = http.get(reverse("ats:review"))
    ((shown, form),) = page.context["rows"]
    assert shown == item
    assert form.initial["kind"] == Kind.DECLINED_OFFER
    prefix = f"i{item.pk}"
    response = http.post(
        reverse("ats:resolve", args=[item.pk]),
        {
            f"{prefix}-candidate_email": HECTOR.upper(),
            f"{prefix}-kind": Kind.DECLINED_OFFER,
            f"{prefix}-reason": Reason.COMPETING_OFFER,
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == ItemState.RECORDED and item.resolved_by == recruiter
    assert (item.event.kind, item.event.candidate) == (Kind.DECLINED_OFFER, hector)
    assert item.event.source == EventSource.ATS and item.event.recorded_by == recruiter
    assert item.event.job is None  # Lever names no job


# --- What is not a rejection is acknowledged and forgotten -----------------------------------


@pytest.mark.parametrize(
    "name", ["greenhouse_application_updated_active.json", "greenhouse_interview_deleted.json"]
)
def test_greenhouse_events_that_are_not_rejections_are_ignored(greenhouse, name):
    response = post_greenhouse(greenhouse, fixture_bytes(name))
    assert response.status_code == 200
    assert response.json()["message"].startswith("Acknowledged")
    assert nothing_stored()


@pytest.mark.parametrize(
    "name", ["lever_candidate_unarchived.json", "lever_candidate_stage_change.json"]
)
def test_lever_events_that_are_not_archives_are_ignored(lever, name):
    response = post(lever.url_token, lever_body(name))
    assert response.status_code == 200
    assert nothing_stored()


# --- Replays ------------------------------------------------------------------------------


def test_a_replay_records_nothing_new(org, greenhouse, hector):
    mapped(org, "Too Junior", Kind.REJECTED, RejectionReason.EXPERIENCE)
    body = fixture_bytes("greenhouse_reject_candidate.json")
    assert post_greenhouse(greenhouse, body).status_code == 200
    again = post_greenhouse(greenhouse, body)
    assert again.status_code == 200 and again.json()["message"] == "Already received."
    assert InboundItem.objects.count() == 1
    assert hector.events.count() == 1


def test_the_application_updated_of_the_same_rejection_is_a_replay(org, greenhouse, hector):
    """Greenhouse fires both `reject_candidate` and `application_updated` for one rejection:
    the second is keyed on the same application and time, and records nothing."""
    mapped(org, "Too Junior", Kind.REJECTED, RejectionReason.EXPERIENCE)
    data = json.loads(fixture_bytes("greenhouse_reject_candidate.json"))
    post_greenhouse(greenhouse, json.dumps(data).encode())
    data["action"] = "application_updated"
    assert post_greenhouse(greenhouse, json.dumps(data).encode()).json()["message"] == (
        "Already received."
    )
    assert hector.events.count() == 1


def test_the_same_rejected_at_written_another_way_is_a_replay(org, greenhouse, hector):
    mapped(org, "Too Junior", Kind.WITHDREW, Reason.UNKNOWN)
    data = json.loads(fixture_bytes("greenhouse_reject_candidate.json"))
    post_greenhouse(greenhouse, json.dumps(data).encode())
    moment = datetime.fromisoformat(data["payload"]["application"]["rejected_at"])
    data["action"] = "application_updated"
    for written in (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        moment.astimezone(timezone.get_fixed_timezone(120)).isoformat(),
    ):
        data["payload"]["application"]["rejected_at"] = written
        again = post_greenhouse(greenhouse, json.dumps(data).encode())
        assert again.json()["message"] == "Already received.", written
    assert hector.events.count() == 1 and InboundItem.objects.count() == 1


def test_lever_s_archived_at_as_a_float_is_the_same_key(lever):
    post(lever.url_token, lever_body("lever_candidate_archive_change.json"))
    retry = lever_body(
        "lever_candidate_archive_change.json",
        token="another",
        data__toArchived__archivedAt=1762941600000.0,
    )
    assert post(lever.url_token, retry).json()["message"] == "Already received."
    assert InboundItem.objects.count() == 1


def test_keys_stored_before_they_were_normalised_are_normalised(org, greenhouse, lever):
    from importlib import import_module

    from django.apps import apps

    def stored(source, key):
        return InboundItem.objects.create(
            organization=org,
            source=source.source,
            vendor=source.source.vendor,
            key=key,
            payload={},
            occurred_on=date(2026, 11, 11),
            state=ItemState.DISMISSED,
        )

    old_greenhouse = stored(greenhouse, "application:42:rejected:2026-11-11T15:50:41.000Z")
    old_lever = stored(lever, "opportunity:abc:archived:1762941600000.0")
    unreadable = stored(greenhouse, "sha256:" + "0" * 64)
    import_module("ats.migrations.0004_normalised_keys").normalise(apps, None)
    keys = {i.pk: i.key for i in InboundItem.objects.all()}
    assert keys == {
        old_greenhouse.pk: "application:42:rejected:2026-11-11T15:50:41+00:00",
        old_lever.pk: "opportunity:abc:archived:1762941600000",
        unreadable.pk: unreadable.key,
    }


def test_a_lever_retry_is_a_replay(lever):
    post(lever.url_token, lever_body("lever_candidate_archive_change.json"))
    # A retry may come with a new delivery token and time: the archive itself is the key.
    retry = lever_body(
        "lever_candidate_archive_change.json", token="another", triggeredAt=now_millis() + 1
    )
    assert post(lever.url_token, retry).json()["message"] == "Already received."
    assert InboundItem.objects.count() == 1


def test_a_source_made_again_gets_the_same_rejection_as_a_replay(
    org, org_admin, greenhouse, hector
):
    """docs/ats.md tells admins to make the sources again after a SECRET_KEY rotation: the
    rejections Greenhouse sends again through the new one are replays, not new events."""
    mapped(org, "Too Junior", Kind.WITHDREW, Reason.UNKNOWN)
    data = json.loads(fixture_bytes("greenhouse_reject_candidate.json"))
    post_greenhouse(greenhouse, json.dumps(data).encode())
    services.source_revoke(source=greenhouse.source)
    again = services.source_create(
        organization=org, vendor=Vendor.GREENHOUSE, name="Remade", client_name="Acme", by=org_admin
    )
    data["action"] = "application_updated"
    assert post_greenhouse(again, json.dumps(data).encode()).json()["message"] == (
        "Already received."
    )
    assert hector.events.count() == 1 and InboundItem.objects.count() == 1


def test_a_captured_lever_delivery_sent_again_with_other_data_records_nothing(
    org, lever_api, lever_with_key, hector
):
    """Lever signs `token` + `triggeredAt` only: the same token with another (unsigned)
    archivedAt is the same delivery, taken once."""
    mapped(org, "underqualified", Kind.WITHDREW, Reason.UNKNOWN, vendor=Vendor.LEVER)
    captured = lever_body("lever_candidate_archive_change.json")
    assert post(lever_with_key.url_token, captured).status_code == 200
    data = json.loads(captured)
    for i in range(1, 4):
        data["data"]["toArchived"]["archivedAt"] = 1762941600000 + i
        again = post(lever_with_key.url_token, json.dumps(data).encode())
        assert again.status_code == 200 and again.json()["message"] == "Already received."
    assert hector.events.count() == 1 and InboundItem.objects.count() == 1


@pytest.mark.parametrize("off", [timedelta(hours=-25), timedelta(hours=1)])
def test_a_lever_delivery_triggered_outside_the_window_is_refused(lever, off):
    when = int((datetime.now(UTC) + off).timestamp() * 1000)
    body = lever_body("lever_candidate_archive_change.json", triggeredAt=when)
    response = post(lever.url_token, body)
    assert response.status_code == 400 and "triggered" in response.json()["message"]
    assert nothing_stored()


def test_lever_tokens_are_pruned_after_the_window(lever):
    with time_machine.travel(datetime.now(UTC) - timedelta(hours=30)):
        post(lever.url_token, lever_body("lever_candidate_archive_change.json", token="old"))
    assert LeverToken.objects.count() == 1
    post(lever.url_token, lever_body("lever_candidate_archive_change.json", token="new"))
    assert list(LeverToken.objects.values_list("token_hash", flat=True)) == [
        hashlib.sha256(b"new").hexdigest()
    ]


def test_with_an_api_key_the_archive_is_keyed_on_lever_s_own_archived_at(
    org, lever_api, lever_with_key, hector
):
    mapped(org, "underqualified", Kind.WITHDREW, Reason.UNKNOWN, vendor=Vendor.LEVER)
    forged = lever_body(
        "lever_candidate_archive_change.json", data__toArchived__archivedAt=4102444800000
    )
    assert post(lever_with_key.url_token, forged).status_code == 200
    item = InboundItem.objects.get()
    assert item.key.endswith(":archived:1762941600000") and item.occurred_on == date(2025, 11, 12)
    # Another delivery of the same archive (another token): a replay, whatever it says.
    other = lever_body(
        "lever_candidate_archive_change.json",
        token="another",
        data__toArchived__archivedAt=1762941600000.0,
    )
    assert post(lever_with_key.url_token, other).json()["message"] == "Already received."
    assert hector.events.count() == 1


def test_without_an_api_key_an_archived_at_far_from_the_signed_time_is_not_believed(lever):
    body = lever_body(
        "lever_candidate_archive_change.json", data__toArchived__archivedAt=4102444800000
    )
    assert post(lever.url_token, body).status_code == 200
    assert InboundItem.objects.get().occurred_on == clock.today()  # the signed triggeredAt's


# --- Unknown reasons and candidates wait for review -----------------------------------------


def test_an_unknown_reason_waits_and_remembering_maps_the_next_one(
    org, greenhouse, hector, recruiter
):
    body = fixture_bytes("greenhouse_reject_candidate.json")
    post_greenhouse(greenhouse, body)
    item = InboundItem.objects.get()
    assert item.state == ItemState.NEEDS_REVIEW
    assert item.message.startswith("Unknown reason: “Too Junior”")
    assert not hector.events.exists()

    services.resolve(
        item=item,
        kind=Kind.REJECTED,
        reason=RejectionReason.SKILLS,
        candidate_email="",
        remember=True,
        by=recruiter,
    )
    item.refresh_from_db()
    assert item.state == ItemState.RECORDED
    row = ReasonMapping.objects.get()
    assert (row.vendor, row.external_reason, row.kind, row.reason) == (
        Vendor.GREENHOUSE,
        "Too Junior",
        Kind.REJECTED,
        RejectionReason.SKILLS,
    )
    # The next rejection with that reason goes straight through.
    data = json.loads(body)
    data["payload"]["application"]["id"] = 999
    post_greenhouse(greenhouse, json.dumps(data).encode())
    latest = InboundItem.objects.latest("id")
    assert latest.state == ItemState.RECORDED
    assert latest.event.reason == RejectionReason.SKILLS
    assert hector.events.count() == 2


def test_an_unknown_candidate_waits_and_resolving_adds_them(org, greenhouse, recruiter):
    mapped(org, "Too Junior", Kind.REJECTED, RejectionReason.EXPERIENCE)
    post_greenhouse(greenhouse, fixture_bytes("greenhouse_reject_candidate.json"))
    item = InboundItem.objects.get()
    assert item.message == f"No candidate has the address {HECTOR}."
    services.resolve(
        item=item,
        kind=Kind.REJECTED,
        reason=RejectionReason.EXPERIENCE,
        candidate_email="",
        remember=False,
        by=recruiter,
    )
    candidate = Candidate.objects.get(email=HECTOR)
    assert candidate.name == "Hector Porter"
    assert candidate.events.get().kind == Kind.REJECTED


def test_adding_a_reason_to_the_table_records_what_waited_for_it(org, greenhouse, hector, manager):
    post_greenhouse(greenhouse, fixture_bytes("greenhouse_reject_candidate.json"))
    response = logged_in(manager).post(
        reverse("ats:mappings"),
        {"vendor": "", "external_reason": "too junior", "kind": "rejected", "reason": "skills"},
    )
    assert response.status_code == 302
    assert InboundItem.objects.get().state == ItemState.RECORDED


def test_retrying_skips_an_item_a_member_resolved_meanwhile(
    org, greenhouse, hector, recruiter, monkeypatch
):
    """retry_waiting lists the waiting items, then takes each under a lock and tries it only
    if it is still waiting: one resolved by a member in between is not recorded again."""
    data = json.loads(fixture_bytes("greenhouse_reject_candidate.json"))
    post_greenhouse(greenhouse, json.dumps(data).encode())
    data["payload"]["application"]["id"] = 999
    post_greenhouse(greenhouse, json.dumps(data).encode())
    first, second = InboundItem.objects.order_by("id")
    mapped(org, "Too Junior", Kind.WITHDREW, Reason.UNKNOWN)
    record = services._record

    def record_and_meanwhile_resolve(item):
        if item.pk == first.pk:
            services.resolve(
                item=second,
                kind=Kind.REJECTED,
                reason=RejectionReason.SKILLS,
                candidate_email=HECTOR,
                remember=False,
                by=recruiter,
            )
        return record(item)

    monkeypatch.setattr(services, "_record", record_and_meanwhile_resolve)
    assert services.retry_waiting(organization=org) == 1
    assert sorted(hector.events.values_list("kind", flat=True)) == [Kind.REJECTED, Kind.WITHDREW]


def test_recording_a_stale_copy_of_an_item_dealt_with_records_nothing(
    org, greenhouse, hector, recruiter
):
    post_greenhouse(greenhouse, fixture_bytes("greenhouse_reject_candidate.json"))
    stale = InboundItem.objects.select_related("source__organization").get()
    services.resolve(
        item=InboundItem.objects.get(),
        kind=Kind.REJECTED,
        reason=RejectionReason.SKILLS,
        candidate_email=HECTOR,
        remember=False,
        by=recruiter,
    )
    mapped(org, "Too Junior", Kind.WITHDREW, Reason.UNKNOWN)
    with transaction.atomic():
        assert services._record(stale).state == ItemState.RECORDED
    assert list(hector.events.values_list("kind", flat=True)) == [Kind.REJECTED]


@pytest.mark.skipif(not POSTGRES, reason="two connections at once: PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_two_retries_at_once_record_each_waiting_item_once(org, greenhouse):
    data = json.loads(fixture_bytes("greenhouse_reject_candidate.json"))
    application = data["payload"]["application"]
    for i in range(12):
        email = f"p{i}@example.com"
        candidate_services.candidate_create(organization=org, email=email, name=f"Person No{i}")
        application["id"] = 1000 + i
        application["candidate"]["email_addresses"] = [{"value": email, "type": "personal"}]
        post_greenhouse(greenhouse, json.dumps(data).encode())
    client = candidate_services.client_create(organization=org, name="Acme")
    candidate_services.job_create(organization=org, client=client, title="Designer")
    mapped(org, "Too Junior", Kind.WITHDREW, Reason.UNKNOWN)
    barrier, errors = threading.Barrier(2), []

    def run():
        try:
            barrier.wait()
            services.retry_waiting(organization=org)
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Event.objects.filter(source=EventSource.ATS).count() == 12


@pytest.mark.skipif(not POSTGRES, reason="connections at once: PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_deliveries_at_once_for_a_new_client_and_job_make_each_once(org, greenhouse):
    mapped(org, "Too Junior", Kind.REJECTED, RejectionReason.SKILLS)
    data = json.loads(fixture_bytes("greenhouse_reject_candidate.json"))
    application, bodies = data["payload"]["application"], []
    for i in range(6):
        email = f"q{i}@example.com"
        candidate_services.candidate_create(organization=org, email=email, name=f"Other No{i}")
        application["id"] = 5000 + i
        application["candidate"]["email_addresses"] = [{"value": email, "type": "personal"}]
        application["jobs"] = [{"id": 1, "name": "Brand New Role"}]
        bodies.append(json.dumps(data).encode())
    barrier, codes = threading.Barrier(len(bodies)), []

    def run(body):
        try:
            barrier.wait()
            codes.append(post_greenhouse(greenhouse, body).status_code)
        except Exception as exc:
            codes.append(repr(exc)[:200])
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [200] * len(bodies)
    assert Client.objects.count() == 1 and Job.objects.count() == 1
    assert Event.objects.filter(source=EventSource.ATS).count() == len(bodies)


@pytest.mark.parametrize("by_hand_job", ["none", "the same", "another"])
def test_an_event_recorded_by_hand_already_sends_the_delivery_to_review(
    org, greenhouse, hector, recruiter, by_hand_job
):
    mapped(org, "Too Junior", Kind.WITHDREW, Reason.UNKNOWN)
    client = candidate_services.client_create(organization=org, name="Acme")
    jobs = {
        "none": None,
        "the same": candidate_services.job_create(
            organization=org, client=client, title="DESIGNER"
        ),
        "another": candidate_services.job_create(organization=org, client=client, title="Painter"),
    }
    candidate_services.event_log(
        candidate=hector,
        kind=Kind.WITHDREW,
        occurred_on=date(2026, 11, 11),
        reason=Reason.CHANGE_OF_HEART,
        job=jobs[by_hand_job],
        recorded_by=recruiter,
    )
    post_greenhouse(greenhouse, fixture_bytes("greenhouse_reject_candidate.json"))
    item = InboundItem.objects.get()
    if by_hand_job == "another":
        assert item.state == ItemState.RECORDED and hector.events.count() == 2
    else:
        assert item.state == ItemState.NEEDS_REVIEW
        assert item.message.startswith("Probably recorded already: Hector Porter has a withdrew")
        assert hector.events.count() == 1


def test_a_row_added_in_the_admin_or_by_remember_records_what_waited_for_it(
    org, greenhouse, hector, hank, recruiter, admin_client
):
    data = json.loads(fixture_bytes("greenhouse_reject_candidate.json"))
    post_greenhouse(greenhouse, json.dumps(data).encode())  # Hector's, "Too Junior"
    data["payload"]["application"]["id"] = 999
    data["payload"]["application"]["candidate"]["email_addresses"] = [{"value": HANK}]
    post_greenhouse(greenhouse, json.dumps(data).encode())  # Hank's, "Too Junior"
    first = InboundItem.objects.get(candidate_email=HECTOR)
    prefix = f"i{first.pk}-"
    logged_in(recruiter).post(
        reverse("ats:resolve", args=[first.pk]),
        {
            prefix + "candidate_email": HECTOR,
            prefix + "kind": Kind.REJECTED,
            prefix + "reason": RejectionReason.SKILLS,
            prefix + "remember": "on",
        },
    )
    assert InboundItem.objects.get(candidate_email=HANK).state == ItemState.RECORDED
    # The admin's door: a row for another reason records what waited for it.
    data["payload"]["application"]["id"] = 1000
    data["payload"]["application"]["rejection_reason"]["name"] = "Overqualified"
    post_greenhouse(greenhouse, json.dumps(data).encode())
    admin_client.post(
        reverse("admin:ats_reasonmapping_add"),
        {
            "organization": org.pk,
            "vendor": "",
            "external_reason": "overqualified",
            "kind": Kind.REJECTED,
            "reason": RejectionReason.EXPERIENCE,
        },
    )
    assert not InboundItem.objects.filter(state=ItemState.NEEDS_REVIEW).exists()
    assert hank.events.count() == 2


def test_the_review_page_prefills_from_a_row_keyed_on_lever_s_reason_id(
    org, lever_api, lever_with_key, recruiter
):
    """With an API key the item's reason is Lever's text; a row keyed on the reason's id
    still maps it (as recording does), and the review page offers that row."""
    mapped(org, LEVER_REASON, Kind.WITHDREW, Reason.COMPETING_OFFER, vendor=Vendor.LEVER)
    post(lever_with_key.url_token, lever_body("lever_candidate_archive_change.json"))
    item = InboundItem.objects.get()
    assert item.state == ItemState.NEEDS_REVIEW and item.external_reason == "Underqualified"
    ((_, form),) = logged_in(recruiter).get(reverse("ats:review")).context["rows"]
    assert (form.initial["kind"], form.initial["reason"]) == (
        Kind.WITHDREW,
        Reason.COMPETING_OFFER,
    )


def test_dismissing_records_nothing(greenhouse, hector, recruiter):
    post_greenhouse(greenhouse, fixture_bytes("greenhouse_reject_candidate.json"))
    item = InboundItem.objects.get()
    http = logged_in(recruiter)
    assert http.post(reverse("ats:dismiss", args=[item.pk])).status_code == 302
    item.refresh_from_db()
    assert item.state == ItemState.DISMISSED and item.resolved_by == recruiter
    assert not hector.events.exists()
    # Dealt with: neither resolved nor dismissed again.
    with pytest.raises(ValidationError):
        services.resolve(
            item=item, kind="rejected", reason="fit", candidate_email="", remember=False,
            by=recruiter,
        )  # fmt: skip
    assert not hector.events.exists()


def test_a_second_resolve_of_the_same_item_records_one_event(org, greenhouse, hector, recruiter):
    post_greenhouse(greenhouse, fixture_bytes("greenhouse_reject_candidate.json"))
    item = InboundItem.objects.get()
    args = {"kind": "rejected", "reason": "fit", "candidate_email": "", "remember": False}
    args["by"] = recruiter
    services.resolve(item=item, **args)
    with pytest.raises(ValidationError, match="already dealt with"):
        services.resolve(item=item, **args)
    assert hector.events.count() == 1


# --- Refused deliveries store nothing -------------------------------------------------------


def test_a_missing_or_wrong_greenhouse_signature_is_refused(greenhouse, lever, hector, org):
    mapped(org, "Too Junior", Kind.REJECTED, RejectionReason.EXPERIENCE)
    body = fixture_bytes("greenhouse_reject_candidate.json")
    other = services.source_create(
        organization=org, vendor=Vendor.GREENHOUSE, name="Other", client_name="Acme"
    )
    cases = [
        (None, 401),
        ("", 401),
        ("sha256 " + "0" * 64, 403),
        (greenhouse_signature(other.secret, body), 403),  # another source's secret
        (greenhouse_signature(greenhouse.secret, body).replace("sha256", "sha1"), 403),
        (greenhouse_signature(greenhouse.secret, body + b" "), 403),  # another body
        ("sha256", 403),
        ("sha256 é", 403),
    ]
    for signature, status in cases:
        response = post(greenhouse.url_token, body, signature)
        assert response.status_code == status, signature
    assert nothing_stored()


def test_a_missing_or_wrong_lever_signature_is_refused(lever):
    body = json.loads(lever_body("lever_candidate_archive_change.json"))
    wrong_key = json.loads(lever_body("lever_candidate_archive_change.json", "not-the-token"))
    cases = [
        ({**body, "signature": ""}, 401),
        ({k: v for k, v in body.items() if k != "signature"}, 401),
        ({k: v for k, v in body.items() if k != "triggeredAt"}, 401),
        (wrong_key, 403),
        ({**body, "triggeredAt": body["triggeredAt"] + 1}, 403),
        ({**body, "signature": ["x"]}, 403),
        ({**body, "token": {"a": 1}}, 403),
    ]
    for data, status in cases:
        response = post(lever.url_token, json.dumps(data).encode())
        assert response.status_code == status, data
    assert nothing_stored()


def test_an_unknown_and_a_revoked_source_answer_alike(greenhouse, org_admin):
    body = fixture_bytes("greenhouse_reject_candidate.json")
    made_up = post("made-up-token", body, greenhouse_signature(greenhouse.secret, body))
    services.source_revoke(source=greenhouse.source)
    revoked = post_greenhouse(greenhouse, body)
    assert made_up.status_code == revoked.status_code == 404
    assert made_up.content == revoked.content
    assert nothing_stored()


def test_the_endpoint_takes_only_posts(greenhouse):
    response = HttpClient().get(reverse("ats:inbound", args=[greenhouse.url_token]))
    assert response.status_code == 405


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b"null",
        b'{"action": "reject_candidate"}',
        b'{"action": "reject_candidate", "payload": []}',
        b'{"action": "reject_candidate", "payload": {"application": {"status": "rejected"}}}',
        b'{"action": "reject_candidate", "payload": {"application": {"id": 1, "status": '
        b'"rejected", "rejected_at": "yesterday"}}}',
        b'{"action": "reject_candidate", "payload": {"application": {"id": 1, "status": '
        b'"rejected", "rejected_at": 12}}}',
        b'{"action": "reject_candidate", "payload": {"application": {"id": 1, "status": '
        b'"rejected", "rejected_at": "2026-11-11T15:50:41Z", "jobs": "x"}}}',
        b'{"action": "reject_candidate", "payload": {"application": {"id": 1, "status": '
        b'"rejected", "rejected_at": "2026-11-11T15:50:41Z", "candidate": {"email_addresses":'
        b" [1]}}}}",
        b'{"action": "reject_candidate", "payload": {"application": {"id": {"x": 1}, '
        b'"status": "rejected", "rejected_at": "2026-11-11T15:50:41Z"}}}',
    ],
)
def test_a_malformed_greenhouse_body_is_a_400_never_a_500(greenhouse, body):
    response = post_greenhouse(greenhouse, body)
    assert response.status_code == 400, response.content
    assert nothing_stored()


@pytest.mark.parametrize(
    "changes",
    [
        {"data": []},
        {"data__opportunityId": None},
        {"data__toArchived": []},
        {"data__toArchived__archivedAt": "soon"},
        {"data__toArchived__archivedAt": 10**20},
        {"data__toArchived__reason": {"id": 1}},
    ],
)
def test_a_malformed_lever_body_is_a_400_never_a_500(lever, changes):
    response = post(lever.url_token, lever_body("lever_candidate_archive_change.json", **changes))
    assert response.status_code == 400, response.content
    assert nothing_stored()


def test_a_huge_body_is_refused_before_it_is_read(greenhouse):
    body = b'{"action": "ping", "pad": "' + b"x" * (300 * 1024) + b'"}'
    response = post_greenhouse(greenhouse, body)
    assert response.status_code == 413
    assert nothing_stored()


# --- The guard and the table's one rule ------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        (Kind.SUBMITTED, ""),  # never a guarded kind from outside
        (Kind.SECOND_CHANCE_REQUESTED, ""),
        (Kind.ATTENDED, ""),
        (Kind.REJECTED, Reason.COMMUTE),  # a misstep's reason for the employer's no
        (Kind.WITHDREW, RejectionReason.SKILLS),  # the employer's reason for a misstep
        (Kind.WITHDREW, ""),
        ("nonsense", "fit"),
    ],
)
def test_the_table_refuses_what_the_contract_refuses(org, kind, reason):
    with pytest.raises(ValidationError):
        mapped(org, "Some reason", kind, reason)
    form = MappingForm({"external_reason": "Some reason", "kind": kind, "reason": reason})
    assert not form.is_valid()
    resolve_form = ResolveForm(
        {"candidate_email": HECTOR, "kind": kind, "reason": reason}, prefix=None
    )
    assert not resolve_form.is_valid()
    assert not ReasonMapping.objects.exists()


def test_a_reason_is_in_the_table_once_whatever_its_case(org):
    mapped(org, "Candidate withdrew", Kind.WITHDREW, Reason.UNKNOWN)
    with pytest.raises(ValidationError, match="already"):
        mapped(org, "CANDIDATE  withdrew", Kind.REJECTED, RejectionReason.FIT)
    # Per vendor, it may say something else.
    mapped(org, "Candidate withdrew", Kind.DECLINED_OFFER, Reason.UNKNOWN, vendor=Vendor.LEVER)
    assert services.mapping_for(org.pk, Vendor.LEVER, "candidate withdrew").kind == (
        Kind.DECLINED_OFFER
    )
    assert services.mapping_for(org.pk, Vendor.GREENHOUSE, "candidate withdrew").kind == (
        Kind.WITHDREW
    )


def test_a_reason_too_long_once_compared_without_case_is_refused_at_every_door(
    org, manager, admin_client, greenhouse, hector, recruiter
):
    """ "ß" casefolds to "ss": 150 of them fit the reason's 200 characters but not the key's."""
    long = "ß" * 150
    page = logged_in(manager).post(
        reverse("ats:mappings"),
        {"vendor": "", "external_reason": long, "kind": "rejected", "reason": "skills"},
    )
    assert page.status_code == 200 and "too long to be in the table" in page.content.decode()
    admin = admin_client.post(
        reverse("admin:ats_reasonmapping_add"),
        {
            "organization": org.pk,
            "vendor": "",
            "external_reason": long,
            "kind": "rejected",
            "reason": "skills",
        },
    )
    assert admin.status_code == 200 and "too long to be in the table" in admin.content.decode()
    data = json.loads(fixture_bytes("greenhouse_reject_candidate.json"))
    data["payload"]["application"]["rejection_reason"]["name"] = long
    post_greenhouse(greenhouse, json.dumps(data).encode())
    item = InboundItem.objects.get()
    prefix = f"i{item.pk}-"
    answer = logged_in(recruiter).post(
        reverse("ats:resolve", args=[item.pk]),
        {
            prefix + "candidate_email": HECTOR,
            prefix + "kind": "rejected",
            prefix + "reason": "skills",
            prefix + "remember": "on",
        },
        follow=True,
    )
    assert answer.status_code == 200 and "too long to be in the table" in answer.content.decode()
    assert not ReasonMapping.objects.exists() and not hector.events.exists()


def test_the_admin_meets_the_same_rule(admin_client, org):
    url = reverse("admin:ats_reasonmapping_add")
    bad = {"organization": org.pk, "vendor": "", "external_reason": "x", "kind": "submitted"}
    response = admin_client.post(url, {**bad, "reason": ""})
    assert response.status_code == 200 and not ReasonMapping.objects.exists()
    response = admin_client.post(url, {**bad, "kind": "rejected", "reason": "commute"})
    assert response.status_code == 200 and not ReasonMapping.objects.exists()
    good = {**bad, "external_reason": " Hired  another candidate", "kind": "rejected"}
    response = admin_client.post(url, {**good, "reason": "another_candidate"})
    assert response.status_code == 302
    assert ReasonMapping.objects.get().key == "hired another candidate"
    again = admin_client.post(url, {**good, "reason": "fit", "external_reason": "HIRED another"})
    assert again.status_code == 302  # another reason
    clash = admin_client.post(url, {**good, "reason": "fit"})
    assert clash.status_code == 200 and ReasonMapping.objects.count() == 2


def test_a_burned_candidate_still_gets_the_employers_no_and_stays_burned(
    org, greenhouse, hector, recruiter
):
    """Nothing from an ATS is a guarded kind, so the guard never has to let one through; a
    rejection of a burned candidate is history like any other and changes no status rule."""
    candidate_services.flag_set(candidate=hector, reason="Lied", recorded_by=recruiter)
    mapped(org, "Too Junior", Kind.REJECTED, RejectionReason.EXPERIENCE)
    post_greenhouse(greenhouse, fixture_bytes("greenhouse_reject_candidate.json"))
    assert InboundItem.objects.get().state == ItemState.RECORDED
    hector.refresh_from_db()
    assert hector.status == Status.BURNED


def test_a_member_who_may_not_record_cannot_resolve(greenhouse, hector, manager):
    post_greenhouse(greenhouse, fixture_bytes("greenhouse_reject_candidate.json"))
    item = InboundItem.objects.get()
    with pytest.raises(ValidationError, match="role"):
        services.resolve(
            item=item, kind="rejected", reason="fit", candidate_email="", remember=False,
            by=manager,
        )  # fmt: skip
    assert logged_in(manager).post(reverse("ats:resolve", args=[item.pk])).status_code == 403


# --- Organizations and roles --------------------------------------------------------------


def test_another_organization_sees_and_touches_nothing(org, greenhouse, outsider, other_org):
    post_greenhouse(greenhouse, fixture_bytes("greenhouse_reject_candidate.json"))
    item = InboundItem.objects.get()
    mapping = mapped(org, "Northwind private reason", Kind.WITHDREW, Reason.UNKNOWN)
    outsider.role = "admin"
    outsider.save()
    http = logged_in(outsider)
    page = http.get(reverse("ats:review")).content.decode()
    assert "Hector" not in page and "Too Junior" not in page
    assert "Acme" not in http.get(reverse("ats:sources")).content.decode()  # its client, its name
    assert "Northwind private" not in http.get(reverse("ats:mappings")).content.decode()
    prefix = f"i{item.pk}"
    data = {f"{prefix}-candidate_email": HECTOR, f"{prefix}-kind": "rejected"}
    for response in (
        http.post(reverse("ats:resolve", args=[item.pk]), {**data, f"{prefix}-reason": "fit"}),
        http.post(reverse("ats:dismiss", args=[item.pk])),
        http.get(reverse("ats:mapping_edit", args=[mapping.pk])),
        http.post(reverse("ats:mapping_delete", args=[mapping.pk])),
        http.post(reverse("ats:source_revoke", args=[greenhouse.source.pk])),
    ):
        assert response.status_code == 404
    item.refresh_from_db()
    assert item.state == ItemState.NEEDS_REVIEW
    assert ReasonMapping.objects.filter(pk=mapping.pk).exists()
    assert InboundSource.objects.get(pk=greenhouse.source.pk).revoked_at is None


def test_the_sources_page_shows_the_url_and_secret_once(org_admin, recruiter):
    http = logged_in(org_admin)
    response = http.post(
        reverse("ats:sources"),
        {"vendor": "greenhouse", "name": "Acme GH", "client_name": "Acme"},
    )
    assert response.status_code == 200
    made = response.context["made"]
    page = response.content.decode()
    assert made.url_token in page and made.secret in page
    source = InboundSource.objects.get()
    # Only a hash of the URL's token is kept, and the secret not at all.
    stored = " ".join(str(v) for v in InboundSource.objects.values_list().get())
    assert made.url_token not in stored and made.secret not in stored
    later = http.get(reverse("ats:sources")).content.decode()
    assert made.url_token not in later and made.secret not in later
    assert source.name in later
    # Lever needs its signature token; recruiters do not manage sources.
    refused = http.post(
        reverse("ats:sources"), {"vendor": "lever", "name": "L", "client_name": "Acme"}
    )
    assert "Paste the signature token" in refused.content.decode()
    assert logged_in(recruiter).get(reverse("ats:sources")).status_code == 403


def test_the_sources_answer_is_never_cached_and_a_reload_makes_nothing_more(org_admin):
    http = logged_in(org_admin)
    key = str(uuid.uuid4())
    form = {"vendor": "greenhouse", "name": "Acme GH", "client_name": "Acme", "submission": key}
    first = http.post(reverse("ats:sources"), form)
    made = first.context["made"]
    assert "no-store" in first["Cache-Control"] and first["Referrer-Policy"] == "same-origin"
    shown = http.get(reverse("ats:sources"))
    assert "no-store" in shown["Cache-Control"] and 'name="submission"' in shown.content.decode()
    # The browser's reload of the answer posts the same form again.
    again = http.post(reverse("ats:sources"), form, follow=True)
    page = again.content.decode()
    assert "This connection was made already" in page
    assert made.url_token not in page and made.secret not in page
    assert InboundSource.objects.count() == 1


def test_revoking_stops_the_url(greenhouse, org_admin):
    http = logged_in(org_admin)
    assert http.post(reverse("ats:source_revoke", args=[greenhouse.source.pk])).status_code == 302
    body = fixture_bytes("greenhouse_interview_deleted.json")
    assert post_greenhouse(greenhouse, body).status_code == 404


def test_the_review_page_reads_a_fixed_number_of_queries(
    org, greenhouse, recruiter, django_assert_num_queries
):
    data = json.loads(fixture_bytes("greenhouse_reject_candidate.json"))

    def deliver(n: int) -> None:
        for _ in range(n):
            data["payload"]["application"]["id"] += 1
            post_greenhouse(greenhouse, json.dumps(data).encode())

    http = logged_in(recruiter)
    deliver(2)
    # The session, the member; the waiting items, their count, the latest dealt with, the
    # mapping table (to offer the known kind), my reminders due (nav).
    with django_assert_num_queries(BASE + 5):
        assert http.get(reverse("ats:review")).status_code == 200
    deliver(5)
    with django_assert_num_queries(BASE + 5):
        assert len(http.get(reverse("ats:review")).context["rows"]) == 7
    assert selectors.waiting(org).count() == 7


def test_the_endpoint_is_rate_limited_per_source(greenhouse, monkeypatch):
    from ats import views

    monkeypatch.setattr(views, "INBOUND_RATE", "3/m")
    body = fixture_bytes("greenhouse_interview_deleted.json")
    answers = [post_greenhouse(greenhouse, body).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]


def test_erasing_a_candidate_erases_the_deliveries_that_name_them(
    org, greenhouse, hector, hank, recruiter
):
    from candidates.privacy import erase_candidate

    mapped(org, "Too Junior", Kind.REJECTED, RejectionReason.EXPERIENCE)
    body = fixture_bytes("greenhouse_reject_candidate.json")
    post_greenhouse(greenhouse, body)  # recorded on Hector
    post_greenhouse(greenhouse, fixture_bytes("greenhouse_application_updated_withdrew.json"))
    waiting = InboundItem.objects.get(state=ItemState.NEEDS_REVIEW)  # Hank: unknown reason
    erase_candidate(candidate=hector, erased_by=recruiter, reason="Asked by email")
    erase_candidate(candidate=hank, erased_by=recruiter, reason="Asked by email")
    stored = json.dumps(list(InboundItem.objects.values()), default=str).lower()
    assert "hector" not in stored and "hank" not in stored and "porter" not in stored
    waiting.refresh_from_db()
    assert waiting.state == ItemState.DISMISSED
    # A replay from the ATS is still a replay: nothing comes back.
    assert post_greenhouse(greenhouse, body).json()["message"] == "Already received."


def test_erasing_finds_an_item_recorded_on_them_under_another_address(
    org, greenhouse, hector, recruiter, org_admin
):
    """Resolved onto Hector from an address he does not have, its event deleted since: the
    item still names him, and erasing him scrubs it."""
    from candidates.privacy import erase_candidate

    data = json.loads(fixture_bytes("greenhouse_reject_candidate.json"))
    data["payload"]["application"]["candidate"]["email_addresses"] = [
        {"value": "hp.personal@example.org", "type": "personal"}
    ]
    post_greenhouse(greenhouse, json.dumps(data).encode())
    item = InboundItem.objects.get()
    services.resolve(
        item=item,
        kind=Kind.REJECTED,
        reason=RejectionReason.SKILLS,
        candidate_email=HECTOR,
        remember=False,
        by=recruiter,
    )
    item.refresh_from_db()
    assert item.candidate == hector
    candidate_services.event_delete(event=item.event, reason="logged twice", deleted_by=recruiter)
    erase_candidate(candidate=hector, erased_by=org_admin, reason="asked")
    item.refresh_from_db()
    assert (item.candidate_name, item.candidate_email) == ("", "")
    assert item.payload == {"erased": True}


def test_the_raw_payload_is_dropped_once_an_item_is_recorded_or_dismissed(
    org, greenhouse, hector, recruiter
):
    data = json.loads(fixture_bytes("greenhouse_reject_candidate.json"))
    post_greenhouse(greenhouse, json.dumps(data).encode())
    waiting = InboundItem.objects.get()
    assert waiting.payload == data  # kept while it waits: the review list may need it
    data["payload"]["application"]["id"] = 999
    post_greenhouse(greenhouse, json.dumps(data).encode())
    services.dismiss(item=InboundItem.objects.get(key__contains=":999:"), by=recruiter)
    mapped(org, "Too Junior", Kind.REJECTED, RejectionReason.SKILLS)
    services.retry_waiting(organization=org)
    assert sorted(InboundItem.objects.values_list("state", "payload")) == [
        (ItemState.DISMISSED, {}),
        (ItemState.RECORDED, {}),
    ]
    recorded = InboundItem.objects.get(state=ItemState.RECORDED)
    assert (recorded.candidate, recorded.candidate_email, recorded.external_reason) == (
        hector,
        HECTOR,
        "Too Junior",
    )


def test_greenhouses_default_reasons_are_one_click_away(org, greenhouse, hank, manager):
    """Greenhouse's default "They rejected us" reasons become missteps, "We rejected them"
    the employer's no; the button keeps rows already there and records what waited."""
    mapped(org, "Wasn't interested", Kind.DECLINED_INTERVIEW, Reason.PERSONAL)
    data = json.loads(fixture_bytes("greenhouse_application_updated_withdrew.json"))
    data["payload"]["application"]["rejection_reason"]["name"] = "Preferred another candidate"
    post_greenhouse(greenhouse, json.dumps(data).encode())
    assert InboundItem.objects.get().state == ItemState.NEEDS_REVIEW
    http = logged_in(manager)
    assert http.post(reverse("ats:mapping_defaults")).status_code == 302
    assert ReasonMapping.objects.count() == len(services.GREENHOUSE_DEFAULTS)  # 7 new, 1 kept
    kept = services.mapping_for(org.pk, Vendor.GREENHOUSE, "wasn't interested")
    assert (kept.kind, kept.vendor) == (Kind.DECLINED_INTERVIEW, "")
    assert services.mapping_for(org.pk, Vendor.GREENHOUSE, "Didn't like offer").kind == (
        Kind.DECLINED_OFFER
    )
    event = InboundItem.objects.get().event
    assert (event.kind, event.reason) == (Kind.REJECTED, RejectionReason.ANOTHER_CANDIDATE)
    # Twice adds nothing.
    http.post(reverse("ats:mapping_defaults"))
    assert ReasonMapping.objects.count() == len(services.GREENHOUSE_DEFAULTS)  # 7 new, 1 kept


def test_the_endpoint_needs_no_csrf_token(org, greenhouse, hector):
    mapped(org, "Too Junior", Kind.REJECTED, RejectionReason.EXPERIENCE)
    body = fixture_bytes("greenhouse_reject_candidate.json")
    response = HttpClient(enforce_csrf_checks=True).post(
        reverse("ats:inbound", args=[greenhouse.url_token]),
        body,
        content_type="application/json",
        HTTP_SIGNATURE=greenhouse_signature(greenhouse.secret, body),
    )
    assert response.status_code == 200
    assert hector.events.get().kind == Kind.REJECTED


def test_the_day_is_the_apps_day_not_utcs(org, greenhouse, hector, settings):
    settings.TIME_ZONE = "America/New_York"
    mapped(org, "Too Junior", Kind.REJECTED, RejectionReason.EXPERIENCE)
    data = json.loads(fixture_bytes("greenhouse_reject_candidate.json"))
    data["payload"]["application"]["rejected_at"] = "2026-11-11T02:00:00Z"  # 21:00 on the 10th
    post_greenhouse(greenhouse, json.dumps(data).encode())
    assert hector.events.get().occurred_on == date(2026, 11, 10)


@pytest.mark.parametrize(
    ("rejected_at", "said"),
    [("2099-01-01T00:00:00Z", "after today"), ("1989-12-31T12:00:00Z", "before 1990-01-01")],
)
def test_an_ats_date_outside_the_apps_date_rule_waits_for_review(
    org, greenhouse, hector, recruiter, rejected_at, said
):
    mapped(org, "Too Junior", Kind.WITHDREW, Reason.UNKNOWN)
    data = json.loads(fixture_bytes("greenhouse_reject_candidate.json"))
    data["payload"]["application"]["rejected_at"] = rejected_at
    assert post_greenhouse(greenhouse, json.dumps(data).encode()).status_code == 200
    item = InboundItem.objects.get()
    assert item.state == ItemState.NEEDS_REVIEW and said in item.message
    # Neither a retry nor a member records it.
    services.retry_waiting(organization=org)
    with pytest.raises(ValidationError, match=said):
        services.resolve(
            item=item,
            kind=Kind.WITHDREW,
            reason=Reason.UNKNOWN,
            candidate_email=HECTOR,
            remember=False,
            by=recruiter,
        )
    assert not hector.events.exists()


def test_the_endpoint_url_is_built_from_site_url_not_the_host_header(org_admin, settings):
    settings.SITE_URL = "https://recovery.example.com"
    response = logged_in(org_admin).post(
        reverse("ats:sources"),
        {"vendor": "greenhouse", "name": "GH", "client_name": "Acme"},
        HTTP_HOST="127.0.0.1:31337",
    )
    token = response.context["made"].url_token
    assert response.context["url"] == f"https://recovery.example.com/ats/in/{token}/"


def test_the_endpoints_token_is_masked_in_the_logs(greenhouse):
    from recovery.gunicorn_logging import private_path

    path = reverse("ats:inbound", args=[greenhouse.url_token])
    assert private_path(path) == "/ats/in/********/"
    assert private_path("/ats/review/") == "/ats/review/"


def test_deep_nesting_and_overlong_fields_are_answered_not_raised(greenhouse, lever):
    deep = b"[" * 100_000 + b"]" * 100_000
    assert post_greenhouse(greenhouse, deep).status_code == 400
    assert post(lever.url_token, deep).status_code == 400  # parsed before its signature
    # Deep enough to parse, far deeper than any vendor's payload.
    nested = json.loads(fixture_bytes("greenhouse_reject_candidate.json"))
    nested["payload"]["application"]["custom_fields"] = json.loads("[" * 900 + "]" * 900)
    assert post_greenhouse(greenhouse, json.dumps(nested).encode()).status_code == 400
    data = json.loads(fixture_bytes("greenhouse_reject_candidate.json"))
    application = data["payload"]["application"]
    application["id"] = "9" * 300
    application["candidate"]["first_name"] = "A" * 300
    application["candidate"]["last_name"] = "B" * 300
    application["jobs"][0]["name"] = "J" * 300
    application["rejection_reason"]["name"] = "R" * 300
    assert post_greenhouse(greenhouse, json.dumps(data).encode()).status_code == 200
    item = InboundItem.objects.get()
    assert item.key.startswith("sha256:") and len(item.candidate_name) == 200
    opportunity = "o" * 300
    body = lever_body("lever_candidate_archive_change.json", data__opportunityId=opportunity)
    assert post(lever.url_token, body).status_code == 200


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json_and_answered_400(greenhouse, lever, constant):
    data = json.loads(fixture_bytes("greenhouse_reject_candidate.json"))
    data["payload"]["application"]["custom_fields"] = {"x": "PLACEHOLDER"}
    body = json.dumps(data).replace('"PLACEHOLDER"', constant).encode()
    assert post_greenhouse(greenhouse, body).status_code == 400
    lever_data = json.loads(lever_body("lever_candidate_archive_change.json"))
    lever_data["extra"] = "PLACEHOLDER"
    body = json.dumps(lever_data).replace('"PLACEHOLDER"', constant).encode()
    assert post(lever.url_token, body).status_code == 400
    assert nothing_stored()


def test_lone_surrogates_are_stored_as_replacement_characters(org, greenhouse, lever, hector):
    data = json.loads(fixture_bytes("greenhouse_reject_candidate.json"))
    data["payload"]["application"]["custom_fields"] = {"x": "PLACEHOLDER"}
    data["payload"]["application"]["candidate"]["first_name"] = "FIRST"
    body = json.dumps(data).replace("PLACEHOLDER", "\\ud800").replace("FIRST", "H\\udfff")
    assert post_greenhouse(greenhouse, body.encode()).status_code == 200
    item = InboundItem.objects.get()
    assert item.candidate_name.startswith("H\ufffd")
    assert item.payload["payload"]["application"]["custom_fields"] == {"x": "\ufffd"}
    lever_data = json.loads(lever_body("lever_candidate_archive_change.json"))
    lever_data["data"]["toArchived"]["reason"] = "PLACEHOLDER"
    body = json.dumps(lever_data).replace("PLACEHOLDER", "\\ud800").encode()
    assert post(lever.url_token, body).status_code == 200
    assert InboundItem.objects.get(vendor=Vendor.LEVER).external_reason == "\ufffd"


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_rejected_at_out_of_range_is_answered_400(greenhouse, moment):
    data = json.loads(fixture_bytes("greenhouse_reject_candidate.json"))
    data["payload"]["application"]["rejected_at"] = moment
    response = post_greenhouse(greenhouse, json.dumps(data).encode())
    assert response.status_code == 400 and "out of range" in response.json()["message"]
    assert nothing_stored()


@pytest.mark.skipif(not POSTGRES, reason="jsonb's refusal of NUL is PostgreSQL's")
def test_what_the_database_refuses_to_store_is_a_400_never_a_500(greenhouse, monkeypatch):
    monkeypatch.setattr(services.vendors, "storable", lambda data: {"x": "\x00"})
    response = post_greenhouse(greenhouse, fixture_bytes("greenhouse_reject_candidate.json"))
    assert response.status_code == 400
    assert nothing_stored()


def test_nul_characters_are_stored_without_them(org, greenhouse, hector):
    data = json.loads(fixture_bytes("greenhouse_reject_candidate.json"))
    data["payload"]["application"]["rejection_reason"]["name"] = "Too\u0000 Junior"
    data["payload"]["application"]["custom_fields"] = {"x": "a\u0000b"}
    assert post_greenhouse(greenhouse, json.dumps(data).encode()).status_code == 200
    item = InboundItem.objects.get()  # waiting (its reason is not mapped): payload kept
    assert item.state == ItemState.NEEDS_REVIEW and item.external_reason == "Too Junior"
    assert item.payload["payload"]["application"]["custom_fields"] == {"x": "ab"}
    mapped(org, "Too Junior", Kind.REJECTED, RejectionReason.EXPERIENCE)
    services.retry_waiting(organization=org)
    assert InboundItem.objects.get().state == ItemState.RECORDED


def test_a_backslash_before_u0000_is_text_not_a_nul(org, greenhouse, hector):
    data = json.loads(fixture_bytes("greenhouse_reject_candidate.json"))
    data["payload"]["application"]["custom_fields"] = {"x": "C:\\u0000"}
    assert post_greenhouse(greenhouse, json.dumps(data).encode()).status_code == 200
    assert InboundItem.objects.get().payload["payload"]["application"]["custom_fields"] == {
        "x": "C:\\u0000"
    }


def test_the_admin_lists_the_ats_tables_and_never_shows_a_secret(admin_client, org, lever):
    mapped(org, "Too Junior", Kind.REJECTED, RejectionReason.EXPERIENCE)
    post(lever.url_token, lever_body("lever_candidate_archive_change.json"))
    for model, obj in (
        ("inboundsource", lever.source),
        ("reasonmapping", ReasonMapping.objects.get()),
        ("inbounditem", InboundItem.objects.get()),
    ):
        listing = admin_client.get(reverse(f"admin:ats_{model}_changelist"))
        page = admin_client.get(reverse(f"admin:ats_{model}_change", args=[obj.pk]))
        assert listing.status_code == page.status_code == 200
        for response in (listing, page):
            body = response.content.decode()
            assert LEVER_SIGNATURE_TOKEN not in body and lever.url_token not in body
            assert lever.source.token_hash not in body and lever.source.salt not in body
    assert admin_client.get(reverse("admin:ats_inboundsource_add")).status_code == 403


# --- Lever's API, for a source with an API key ------------------------------------------------

LEVER_API_KEY = "lever-api-key-for-tests"
OPPORTUNITY = "ad9d5f64-d8da-4e9e-8a5a-1f2f4a8b5c01"


class FakeLeverApi(BaseHTTPRequestHandler):
    """Lever's Data API as its documentation describes the two reads (tests/data/ats/)."""

    def do_GET(self) -> None:
        server = self.server
        server.asked.append(self.path)
        expected = "Basic " + base64.b64encode(f"{LEVER_API_KEY}:".encode()).decode()
        if self.headers.get("Authorization") != expected:
            status, body = 401, {"code": "Unauthorized", "message": "Invalid API key"}
        else:
            status, body = server.routes.get(self.path, (404, {"code": "ResourceNotFound"}))
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def lever_api(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeLeverApi)
    server.asked = []
    server.routes = {
        f"/v1/opportunities/{OPPORTUNITY}": (
            200,
            json.loads(fixture_bytes("lever_api_opportunity.json")),
        ),
        f"/v1/archive_reasons/{LEVER_REASON}": (
            200,
            json.loads(fixture_bytes("lever_api_archive_reason.json")),
        ),
    }
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.LEVER_API_URL = f"http://127.0.0.1:{server.server_port}/v1"
    settings.LEVER_API_ALLOW_PRIVATE = True  # the fake is on loopback, over http
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def lever_with_key(org, org_admin) -> services.NewSource:
    return services.source_create(
        organization=org,
        vendor=Vendor.LEVER,
        name="Globex's Lever",
        client_name="Globex",
        signature_token=LEVER_SIGNATURE_TOKEN,
        lever_api_key=LEVER_API_KEY,
        by=org_admin,
    )


def test_with_an_api_key_a_lever_archive_is_recorded_from_lever_s_own_answer(
    org, lever_api, lever_with_key, hector
):
    mapped(org, "underqualified", Kind.REJECTED, RejectionReason.SKILLS, vendor=Vendor.LEVER)
    body = lever_body("lever_candidate_archive_change.json")
    assert post(lever_with_key.url_token, body).status_code == 200
    item = InboundItem.objects.get()
    assert item.state == ItemState.RECORDED, item.message
    assert (item.external_reason, item.candidate_email) == ("Underqualified", HECTOR)
    event = item.event
    assert (event.kind, event.reason, event.candidate) == (
        Kind.REJECTED,
        RejectionReason.SKILLS,
        hector,
    )
    assert "Underqualified" in event.notes and event.source == EventSource.ATS
    assert event.occurred_on == date(2025, 11, 12)  # Lever's archivedAt
    assert lever_api.asked == [
        f"/v1/opportunities/{OPPORTUNITY}",
        f"/v1/archive_reasons/{LEVER_REASON}",
    ]
    # A replay asks Lever nothing.
    post(lever_with_key.url_token, body)
    assert len(lever_api.asked) == 2 and hector.events.count() == 1


def test_a_row_keyed_on_the_archive_reasons_id_still_maps(org, lever_api, lever_with_key, hector):
    mapped(org, LEVER_REASON, Kind.WITHDREW, Reason.UNKNOWN, vendor=Vendor.LEVER)
    post(lever_with_key.url_token, lever_body("lever_candidate_archive_change.json"))
    assert InboundItem.objects.get().event.kind == Kind.WITHDREW


@pytest.mark.parametrize(
    ("break_it", "said"),
    [
        ("wrong key", "Lever's API refused the API key."),
        ("other reason", "Lever's API says this opportunity is not archived for that reason"),
        ("not archived", "Lever's API says this opportunity is not archived for that reason"),
        ("unknown", "Lever's API does not know this opportunity or reason."),
        ("down", "Lever's API did not answer."),
        ("not json", "Lever's API answered something else than JSON."),
    ],
)
def test_when_lever_s_api_cannot_tell_the_archive_waits_for_review(
    org, lever_api, lever_with_key, hector, settings, break_it, said
):
    mapped(org, LEVER_REASON, Kind.WITHDREW, Reason.UNKNOWN, vendor=Vendor.LEVER)
    path = f"/v1/opportunities/{OPPORTUNITY}"
    opportunity = json.loads(fixture_bytes("lever_api_opportunity.json"))
    if break_it == "wrong key":
        lever_with_key.source.lever_api_key = "not-the-key"
        lever_with_key.source.save()
    elif break_it == "other reason":
        opportunity["data"]["archived"]["reason"] = "another-reason-id"
        lever_api.routes[path] = (200, opportunity)
    elif break_it == "not archived":
        opportunity["data"]["archived"] = None
        lever_api.routes[path] = (200, opportunity)
    elif break_it == "unknown":
        del lever_api.routes[path]
    elif break_it == "down":
        settings.LEVER_API_URL = "http://127.0.0.1:9/v1"
    elif break_it == "not json":
        lever_api.routes[path] = (200, "<html>")
    assert (
        post(
            lever_with_key.url_token, lever_body("lever_candidate_archive_change.json")
        ).status_code
        == 200
    )
    item = InboundItem.objects.get()
    assert item.state == ItemState.NEEDS_REVIEW
    assert item.message.startswith(said), item.message
    assert not hector.events.exists()


class BrokenLeverApi(BaseHTTPRequestHandler):
    """What a hostile or broken API could answer: a bad status line, a redirect to another
    host, or an answer trickling in."""

    def do_GET(self) -> None:
        server = self.server
        server.asked.append((self.path, self.headers.get("Authorization")))
        if server.behaviour == "bad status line":
            self.wfile.write(b"HTTP/1.1 abc garbage\r\n\r\n")
        elif server.behaviour == "redirect":
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{server.elsewhere}/elsewhere")
            self.end_headers()
        elif server.behaviour == "trickle":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            for _ in range(20):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.2)
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def broken_api(settings):
    servers = []
    for _ in range(2):
        server = ThreadingHTTPServer(("127.0.0.1", 0), BrokenLeverApi)
        server.asked, server.behaviour = [], ""
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    servers[0].elsewhere = servers[1].server_port
    settings.LEVER_API_URL = f"http://127.0.0.1:{servers[0].server_port}/v1"
    settings.LEVER_API_ALLOW_PRIVATE = True
    yield servers
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("behaviour", "said"),
    [
        ("bad status line", "Lever's API did not answer."),
        ("redirect", "Lever's API answered 302."),
        ("trickle", "Lever's API did not answer within 1 seconds."),
    ],
)
def test_a_broken_or_hostile_lever_api_is_could_not_tell_never_a_500(
    lever_with_key, broken_api, monkeypatch, behaviour, said
):
    from ats import lever_api

    monkeypatch.setattr(lever_api, "DEADLINE", 1)
    api, elsewhere = broken_api
    api.behaviour = behaviour
    response = post(lever_with_key.url_token, lever_body("lever_candidate_archive_change.json"))
    assert response.status_code == 200
    item = InboundItem.objects.get()
    assert item.state == ItemState.NEEDS_REVIEW and item.lookup_note == said
    # The API key never goes anywhere else.
    assert elsewhere.asked == []


def test_lever_s_api_is_asked_over_https_on_the_public_internet_only(
    lever_api, lever_with_key, settings
):
    settings.LEVER_API_ALLOW_PRIVATE = False
    post(lever_with_key.url_token, lever_body("lever_candidate_archive_change.json"))
    assert InboundItem.objects.get().lookup_note == (
        "LEVER_API_URL is not https: Lever's API was not asked."
    )
    InboundItem.objects.all().delete()
    settings.LEVER_API_URL = f"https://127.0.0.1:{lever_api.server_port}/v1"  # loopback
    body = lever_body("lever_candidate_archive_change.json", token="another")
    post(lever_with_key.url_token, body)
    assert InboundItem.objects.get().lookup_note == "Lever's API did not answer."
    assert lever_api.asked == []


def test_the_environment_s_proxy_is_not_used_for_lever_s_api(
    lever_api, lever_with_key, monkeypatch, settings
):
    """A proxy from the environment would be handed the API key: the fake API plays the
    proxy here, and is never asked."""
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{lever_api.server_port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    settings.LEVER_API_URL = "http://lever-api.invalid/v1"
    post(lever_with_key.url_token, lever_body("lever_candidate_archive_change.json"))
    assert InboundItem.objects.get().lookup_note == "Lever's API did not answer."
    assert lever_api.asked == []


def test_ids_that_are_not_lever_s_are_never_put_in_a_url(lever_api, lever_with_key):
    body = lever_body("lever_candidate_archive_change.json", data__opportunityId="../../users")
    assert post(lever_with_key.url_token, body).status_code == 200
    assert lever_api.asked == []
    item = InboundItem.objects.get()
    assert item.lookup_note == "The webhook's ids are not Lever's."
    assert item.state == ItemState.NEEDS_REVIEW


def test_resolving_never_adds_a_probable_duplicate(org, greenhouse, recruiter):
    """One person, one history: the review list does not make a new candidate who is probably
    someone already here (same name, same part before the @)."""
    existing = candidate_services.candidate_create(
        organization=org, email="hector.porter.265788@gmail.com", name="Porter Hector"
    )
    post_greenhouse(greenhouse, fixture_bytes("greenhouse_reject_candidate.json"))
    item = InboundItem.objects.get()
    with pytest.raises(ValidationError, match="probably the same person as Porter Hector"):
        services.resolve(
            item=item, kind="rejected", reason="fit", candidate_email="", remember=False,
            by=recruiter,
        )  # fmt: skip
    assert Candidate.objects.count() == 1
    # Given that candidate's email, it is recorded on them.
    services.resolve(
        item=item, kind="rejected", reason="fit", candidate_email=existing.email,
        remember=False, by=recruiter,
    )  # fmt: skip
    assert existing.events.get().kind == Kind.REJECTED


def test_the_admin_deletes_no_source_and_no_delivery(admin_client, greenhouse):
    post_greenhouse(greenhouse, fixture_bytes("greenhouse_reject_candidate.json"))
    item = InboundItem.objects.get()
    for name, pk in (("inboundsource", greenhouse.source.pk), ("inbounditem", item.pk)):
        assert admin_client.get(reverse(f"admin:ats_{name}_delete", args=[pk])).status_code == 403
        assert admin_client.post(reverse(f"admin:ats_{name}_delete", args=[pk]), {"post": "yes"})
        changelist = admin_client.get(reverse(f"admin:ats_{name}_changelist"))
        assert "delete_selected" not in changelist.content.decode()
    assert InboundSource.objects.count() == 1 and InboundItem.objects.count() == 1


def test_the_admin_revokes_through_the_service(admin_client, greenhouse):
    response = admin_client.post(
        reverse("admin:ats_inboundsource_changelist"),
        {"action": "revoke", "_selected_action": [greenhouse.source.pk]},
    )
    assert response.status_code == 302
    body = fixture_bytes("greenhouse_interview_deleted.json")
    assert post_greenhouse(greenhouse, body).status_code == 404


def test_who_changed_the_table_is_kept(org, manager):
    http = logged_in(manager)
    http.post(
        reverse("ats:mappings"),
        {"vendor": "", "external_reason": "Ghosted us", "kind": "no_show", "reason": "unknown"},
    )
    row = ReasonMapping.objects.get()
    http.post(
        reverse("ats:mapping_edit", args=[row.pk]),
        {"vendor": "", "external_reason": "Ghosted us", "kind": "withdrew", "reason": "unknown"},
    )
    http.post(reverse("ats:mapping_delete", args=[row.pk]))
    versions = list(ReasonMapping.history.order_by("history_id"))
    assert [(v.history_type, v.kind, v.history_user) for v in versions] == [
        ("+", "no_show", manager),
        ("~", "withdrew", manager),
        ("-", "withdrew", manager),
    ]
