"""The REST API (api/): tokens, what each endpoint answers, its errors, its pages, its cost,
its rate limit and its committed schema. Who may call what is tests/test_api_authorization.py;
hostile input against the schema is tests/test_api_schemathesis.py."""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from api.tokens import LAST_USED_EVERY, MAX_ACTIVE_TOKENS, token_create, token_revoke
from candidates import selectors, services
from candidates.engine import Kind
from candidates.models import Candidate, Event, RiskNote
from reminders.services import reminder_create

from .factories import CandidateFactory, ClientFactory, JobFactory, UserFactory
from .worlds import ADMIN, MANAGER, RECRUITER, two_worlds

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "docs" / "api" / "openapi.yaml"


@pytest.fixture
def worlds(org, other_org):
    return two_worlds(org, other_org)


def client_for(raw: str) -> HttpClient:
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")


def api(member, scope: str = "write") -> HttpClient:
    return client_for(token_create(member=member, name="test", scope=scope).raw)


def post(http: HttpClient, path: str, body) -> object:
    return http.post(path, body, content_type="application/json")


# --- Tokens -------------------------------------------------------------------------------


def test_a_token_is_stored_as_its_hash_only(recruiter):
    made = token_create(member=recruiter, name="Nightly export", scope="read")
    row = ApiToken.objects.get()
    assert made.raw.startswith("rcv_") and len(made.raw) > 40
    assert row.key_hash == hashlib.sha256(made.raw.encode()).hexdigest()
    assert made.raw.startswith(row.prefix) and len(row.prefix) < 12
    stored = " ".join(str(v) for v in ApiToken.objects.values_list().get())
    assert made.raw not in stored
    assert client_for(made.raw).get(reverse("api:me")).json()["token_scope"] == "read"


def test_revoked_unknown_and_malformed_tokens_are_refused_with_401(recruiter):
    made = token_create(member=recruiter, name="t", scope="write")
    token_revoke(token=made.token)
    for header in (
        f"Bearer {made.raw}",
        "Bearer rcv_nothing",
        "Bearer",
        "Bearer two words",
        f"Bearer {made.raw[:-1]}",
    ):
        response = HttpClient(HTTP_AUTHORIZATION=header).get(reverse("api:me"))
        assert response.status_code == 401, header
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert "detail" in response.json()


def test_deactivating_a_member_kills_their_tokens_for_good(org_admin, recruiter):
    raw = token_create(member=recruiter, name="t", scope="write").raw
    assert client_for(raw).get(reverse("api:me")).status_code == 200
    services.member_update(member=recruiter, role=recruiter.role, is_active=False)
    assert client_for(raw).get(reverse("api:me")).status_code == 401
    assert ApiToken.objects.get().revoked_at is not None
    services.member_update(member=recruiter, role=recruiter.role, is_active=True)
    assert client_for(raw).get(reverse("api:me")).status_code == 401


def test_last_used_is_written_at_most_once_a_minute(recruiter):
    raw = token_create(member=recruiter, name="t", scope="read").raw
    http = client_for(raw)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        with CaptureQueriesContext(connection) as first:
            http.get(reverse("api:me"))
        with CaptureQueriesContext(connection) as second:
            http.get(reverse("api:me"))
    updates = [q for q in first.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    assert not [q for q in second.captured_queries if q["sql"].startswith("UPDATE")]
    assert ApiToken.objects.get().last_used_at == start
    later = start + LAST_USED_EVERY + timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        http.get(reverse("api:me"))
    assert ApiToken.objects.get().last_used_at == later


def test_a_member_keeps_a_bounded_number_of_tokens(recruiter):
    from django.core.exceptions import ValidationError

    for i in range(MAX_ACTIVE_TOKENS):
        token_create(member=recruiter, name=f"t{i}", scope="read")
    with pytest.raises(ValidationError):
        token_create(member=recruiter, name="one too many", scope="read")


def test_the_settings_page_shows_a_new_token_once_and_revokes_it(recruiter, manager):
    http = HttpClient()
    http.force_login(recruiter)
    page = reverse("api_tokens:list")
    assert "You have no API tokens yet" in http.get(page).content.decode()
    response = http.post(page, {"name": "Nightly export", "scope": "write"})
    assert response.status_code == 200
    token = ApiToken.objects.get()
    shown = response.content.decode()
    raw = shown.split('<code id="new-token"', 1)[1].split(">", 1)[1].split("<", 1)[0]
    assert raw.startswith(token.prefix)
    assert client_for(raw).get(reverse("api:me")).json()["email"] == recruiter.email
    again = http.get(page).content.decode()
    assert raw not in again and token.prefix in again and "Nightly export" in again
    # Nobody else's to revoke, nor to see.
    other = HttpClient()
    other.force_login(manager)
    assert "Nightly export" not in other.get(page).content.decode()
    assert other.post(reverse("api_tokens:revoke", args=[token.pk])).status_code == 404
    assert http.post(reverse("api_tokens:revoke", args=[token.pk])).status_code == 302
    assert client_for(raw).get(reverse("api:me")).status_code == 401
    # An empty name is the form's error, nothing made.
    assert (
        "This field is required" in http.post(page, {"name": " ", "scope": "read"}).content.decode()
    )
    assert ApiToken.objects.count() == 1


def test_the_command_prints_a_working_token(org_admin):
    out, err = io.StringIO(), io.StringIO()
    call_command("api_token", org_admin.email, name="demo", scope="read", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert client_for(raw).get(reverse("api:me")).json()["token_scope"] == "read"
    assert "demo" in err.getvalue()


# --- Reads --------------------------------------------------------------------------------


def test_the_candidate_list_is_the_list_pages(worlds):
    northwind, _ = worlds
    http = api(northwind.users[MANAGER], "read")
    answer = http.get(reverse("api:candidates"), {"sort": "name"}).json()
    listing = selectors.candidate_list(
        Candidate.objects.filter(organization=northwind.org),
        Event.objects.filter(candidate__organization=northwind.org),
        organization=northwind.org,
        filters={"sort": "name"},
    )
    assert [c["id"] for c in answer["results"]] == [c.pk for c in listing.page.object_list]
    assert answer["count"] == listing.page.count == 4
    found = http.get(reverse("api:candidates"), {"q": "rhiann"}).json()
    assert [c["name"] for c in found["results"]] == ["Rhiannon Requester"]
    stumbled = http.get(reverse("api:candidates"), {"status": "stumbled"}).json()
    assert {c["name"] for c in stumbled["results"]} == {"Stanislav Stumbleton"}


def test_following_next_and_previous_shows_every_candidate_once(org, recruiter):
    for i in range(23):
        CandidateFactory(organization=org, name=f"Person {i % 5}", risk_score=(i % 3) * 10)
    services.recount_statuses(organization_ids=[org.pk])
    http = api(recruiter, "read")
    seen, url, pages = [], reverse("api:candidates") + "?per_page=5", []
    while url:
        page = http.get(url).json()
        pages.append(page)
        seen.extend(c["id"] for c in page["results"])
        url = page["next"]
    expected = sorted(
        Candidate.objects.filter(organization=org), key=lambda c: (-c.risk_score, c.name, c.pk)
    )
    assert seen == [c.pk for c in expected]
    assert [p["page"] for p in pages] == [1, 2, 3, 4, 5] and pages[-1]["num_pages"] == 5
    back = http.get(pages[-1]["previous"]).json()
    assert [c["id"] for c in back["results"]] == [c["id"] for c in pages[-2]["results"]]


def test_the_list_costs_the_same_whatever_the_page_size(
    org, recruiter, django_assert_max_num_queries
):
    for i in range(40):
        CandidateFactory(organization=org, owner=recruiter if i % 2 else None)
    services.recount_statuses(organization_ids=[org.pk])
    http = api(recruiter, "read")
    http.get(reverse("api:me"))  # last_used_at written: not counted below
    counts = []
    for params in ({"per_page": 2}, {"per_page": 40}, {"per_page": 40, "owner": recruiter.pk}):
        with CaptureQueriesContext(connection) as queries:
            response = http.get(reverse("api:candidates"), params)
        assert response.status_code == 200
        counts.append(len(queries))
    # The token (with its member and organization), the count, the rows; a filter beyond
    # status counts instead of reading the counts per status.
    assert counts[0] == counts[1] == counts[2]
    with django_assert_max_num_queries(3):
        http.get(reverse("api:candidates"), {"per_page": 100})


def test_every_list_costs_the_same_however_long_it_is(worlds):
    """No query per row: each list answer runs as many queries with ten times the rows."""
    northwind, _ = worlds
    manager = northwind.users[MANAGER]
    http = api(manager, "read")
    http.get(reverse("api:me"))  # last_used_at written: not counted below
    urls = [
        reverse("api:events", kwargs={"pk": northwind.plain.pk}),
        reverse("api:risk_notes", kwargs={"pk": northwind.plain.pk}),
        reverse("api:clients"),
        reverse("api:jobs"),
        reverse("api:job", kwargs={"pk": northwind.job.pk}),
        reverse("api:reminders") + "?who=team",
        reverse("api:candidate", kwargs={"pk": northwind.plain.pk}) + f"?job={northwind.job.pk}",
    ]

    def costs() -> list[int]:
        counts = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert http.get(url).status_code == 200, url
            counts.append(len(queries))
        return counts

    before = costs()
    for i in range(10):
        colleague = UserFactory(organization=northwind.org, role="recruiter")
        client = ClientFactory(organization=northwind.org)
        job = JobFactory(client=client)
        services.event_log(
            candidate=northwind.plain,
            kind="submitted",
            occurred_on=services.today() - timedelta(days=i),
            job=job if i % 2 else northwind.job,
            recorded_by=colleague,
        )
        services.risk_note_add(
            candidate=northwind.plain, dimension="commute", level=2, author=colleague
        )
        reminder_create(
            candidate=northwind.plain,
            user=colleague,
            title=f"Call {i}",
            due_at=timezone.now() + timedelta(days=1),
            created_by=colleague,
            job=job,
        )
    assert costs() == before


def test_the_candidate_detail_explains_and_answers_the_hiring_questions(worlds):
    northwind, rival = worlds
    http = api(northwind.users[RECRUITER], "read")
    url = reverse("api:candidate", kwargs={"pk": northwind.stumbled.pk})
    plain = http.get(url).json()
    assert plain["status"] == "stumbled" and plain["questions"] is None
    assert plain["explanation"] and plain["advice_reasons"]
    assert {d["dimension"] for d in plain["risk"]} >= {"trust"}
    with_job = http.get(url, {"job": northwind.job.pk}).json()
    questions = with_job["questions"]
    assert questions["job"]["id"] == northwind.job.pk
    assert questions["rating"] == 3 and questions["job_open"] is True
    assert isinstance(questions["other_active"], int)
    assert http.get(url, {"job": rival.job.pk}).status_code == 404
    assert http.get(url, {"job": "x"}).json() == {"job": ["A valid integer is required."]}


def test_events_notes_clients_jobs_and_reminders_are_the_organizations(worlds):
    northwind, _ = worlds
    http = api(northwind.users[MANAGER], "read")
    events = http.get(reverse("api:events", kwargs={"pk": northwind.plain.pk})).json()
    assert [e["id"] for e in events] == list(
        northwind.plain.events.order_by("occurred_on", "id").values_list("pk", flat=True)
    )
    notes = http.get(reverse("api:risk_notes", kwargs={"pk": northwind.plain.pk})).json()
    assert [n["note"] for n in notes] == ["northwind-risk-note-4419"]
    clients = http.get(reverse("api:clients")).json()
    assert [c["name"] for c in clients] == ["Northwind Acme Holdings"]
    assert clients[0]["jobs"][0]["title"] == "Northwind Forklift Driver"
    assert [j["title"] for j in http.get(reverse("api:jobs")).json()] == [
        "Northwind Forklift Driver"
    ]
    # A manager sees the team's reminders on asking, their own otherwise; a recruiter theirs.
    own = http.get(reverse("api:reminders")).json()
    assert own and all(r["user"]["id"] == northwind.users[MANAGER].pk for r in own)
    team = http.get(reverse("api:reminders"), {"who": "team"}).json()
    assert "northwind-reminder-8812" in [r["title"] for r in team]
    mine = api(northwind.users[RECRUITER], "read").get(reverse("api:reminders")).json()
    assert [r["title"] for r in mine] == ["northwind-reminder-8812"]


# --- Writes -------------------------------------------------------------------------------


def test_a_logged_event_goes_through_the_service_with_its_member_in_the_audit_trail(worlds):
    northwind, _ = worlds
    recruiter = northwind.users[RECRUITER]
    http = api(recruiter)
    url = reverse("api:events", kwargs={"pk": northwind.plain.pk})
    body = {
        "kind": "no_show",
        "occurred_on": services.today().isoformat(),
        "reason": "commute",
        "job": northwind.job.pk,
    }
    response = post(http, url, body)
    assert response.status_code == 201, response.content
    event = Event.objects.get(pk=response.json()["id"])
    assert event.recorded_by == recruiter and event.history.get().history_user == recruiter
    northwind.plain.refresh_from_db()
    assert northwind.plain.status == "stumbled"  # re-evaluated in the same transaction


def test_refusals_say_which_field_and_why(worlds):
    northwind, _ = worlds
    http = api(northwind.users[ADMIN])
    events = reverse("api:events", kwargs={"pk": northwind.plain.pk})
    tomorrow = (services.today() + timedelta(days=2)).isoformat()
    cases = [
        ({"kind": "no_show", "occurred_on": services.today().isoformat()}, "reason"),
        ({"kind": "attended", "occurred_on": tomorrow}, "occurred_on"),
        ({"kind": "second_chance_granted", "occurred_on": "2026-01-01"}, "kind"),
        ({"kind": "attended"}, "occurred_on"),
        ({"kind": "attended", "occurred_on": "2026-01-01", "notes": "\ud800"}, "notes"),
        ({"kind": "attended", "occurred_on": "2026-01-01", "notes": "a\x00b"}, "notes"),
        ({"kind": ["attended"], "occurred_on": "2026-01-01"}, "kind"),
        ({"kind": "attended", "occurred_on": "2026-01-01", "job": 2**70}, "job"),
    ]
    before = Event.objects.count()
    for body, field in cases:
        response = post(http, events, body)
        assert response.status_code == 400, (body, response.content)
        errors = response.json()
        assert field in errors and all(isinstance(m, str) for m in errors[field]), errors
    assert Event.objects.count() == before
    for raw in (b"{not json", b"[1, 2]", b'"text"', b"null"):
        response = http.generic("POST", events, raw, content_type="application/json")
        assert response.status_code == 400, raw
    response = http.generic("POST", events, b"kind=x", content_type="text/plain")
    assert response.status_code == 415
    # The second-chance rules, in the form's words.
    already = post(
        http,
        reverse("api:second_chance_requests", kwargs={"pk": northwind.requested.pk}),
        {"pitch": "Again", "occurred_on": services.today().isoformat()},
    )
    assert already.json() == {"non_field_errors": ["A request is already waiting for a decision."]}
    decided = post(
        http,
        reverse("api:second_chance_decisions", kwargs={"pk": northwind.plain.pk}),
        {"decision": "grant"},
    )
    assert decided.status_code == 400 and "non_field_errors" in decided.json()


def test_the_guard_refuses_as_on_the_pages_and_only_an_admin_overrides(worlds):
    """A flagged candidate is not submitted again: refused in the guard's words; an admin's
    written reason lets that one action through (an `override` event before it)."""
    northwind, _ = worlds
    url = reverse("api:events", kwargs={"pk": northwind.flagged.pk})
    body = {"kind": "submitted", "occurred_on": services.today().isoformat()}
    reason = {**body, "override_reason": "The client asked for them by name"}
    refused = post(api(northwind.users[RECRUITER]), url, body)
    assert refused.status_code == 400, refused.content
    assert list(refused.json()) == ["non_field_errors"]
    # A recruiter's override_reason is no field of theirs (the form has none): still refused.
    assert post(api(northwind.users[RECRUITER]), url, reason).status_code == 400
    assert not northwind.flagged.events.filter(kind=Kind.OVERRIDE).exists()
    let_through = post(api(northwind.users[ADMIN]), url, reason)
    assert let_through.status_code == 201, let_through.content
    override = northwind.flagged.events.get(kind=Kind.OVERRIDE)
    assert override.notes == "The client asked for them by name"
    assert override.recorded_by == northwind.users[ADMIN]


def test_a_repeated_submission_key_is_stored_once(worlds):
    northwind, _ = worlds
    http = api(northwind.users[RECRUITER])
    url = reverse("api:risk_notes", kwargs={"pk": northwind.plain.pk})
    body = {
        "dimension": "flakiness",
        "level": 4,
        "noted_on": services.today().isoformat(),
        "submission": str(uuid.uuid4()),
    }
    assert post(http, url, body).status_code == 201
    again = post(http, url, body)
    assert again.status_code == 409 and "detail" in again.json()
    assert RiskNote.objects.filter(dimension="flakiness").count() == 1


def test_a_second_chance_is_requested_and_decided_through_the_api(worlds):
    northwind, _ = worlds
    request = post(
        api(northwind.users[RECRUITER]),
        reverse("api:second_chance_requests", kwargs={"pk": northwind.stumbled.pk}),
        {
            "pitch": "The bus broke down",
            "occurred_on": services.today().isoformat(),
            "job": northwind.job.pk,
        },
    )
    assert request.status_code == 201, request.content
    decide = reverse("api:second_chance_decisions", kwargs={"pk": northwind.stumbled.pk})
    manager = api(northwind.users[MANAGER])
    refused = post(manager, decide, {"decision": "refuse"})
    assert refused.json() == {"note": ["Say why the second chance is refused."]}
    granted = post(manager, decide, {"decision": "grant"})
    assert granted.status_code == 201 and granted.json()["kind"] == Kind.SECOND_CHANCE_GRANTED
    assert granted.json()["job"]["id"] == northwind.job.pk  # the request's job
    twice = post(manager, decide, {"decision": "grant"})
    assert twice.status_code == 400


def test_clients_and_jobs_are_added_with_the_pages_rules(worlds):
    northwind, rival = worlds
    http = api(northwind.users[MANAGER])
    made = post(http, reverse("api:clients"), {"name": "  Globex  "})
    assert made.status_code == 201 and made.json()["name"] == "Globex"
    taken = post(http, reverse("api:clients"), {"name": "globex"})
    assert taken.json() == {"name": ["There is already a client with this name."]}
    job = post(http, reverse("api:jobs"), {"client": made.json()["id"], "title": "Welder"})
    assert job.status_code == 201 and job.json()["state"] == "open"
    foreign = post(http, reverse("api:jobs"), {"client": rival.client.pk, "title": "Welder"})
    assert foreign.json() == {"client": ["Choose one of your clients."]}


def test_a_job_lists_its_candidates_and_how_many_are_active(worlds):
    northwind, rival = worlds
    http = api(northwind.users[RECRUITER], "read")
    job = http.get(reverse("api:job", kwargs={"pk": northwind.job.pk})).json()
    assert job["title"] == "Northwind Forklift Driver" and job["client_name"] == (
        "Northwind Acme Holdings"
    )
    names = {c["name"] for c in job["candidates"]}
    assert {"Annabel Northwind", "Stanislav Stumbleton", "Rhiannon Requester"} <= names
    assert job["active_count"] == sum(c["is_active"] for c in job["candidates"])
    assert http.get(reverse("api:job", kwargs={"pk": rival.job.pk})).status_code == 404


def test_reminders_are_added_and_acted_on_as_on_the_reminders_page(worlds):
    northwind, rival = worlds
    recruiter, headhunter = northwind.users[RECRUITER], northwind.users["headhunter"]
    http = api(headhunter)
    add = reverse("api:candidate_reminders", kwargs={"pk": northwind.plain.pk})
    due = (timezone.now() + timedelta(days=1)).isoformat()
    made = post(http, add, {"title": "Call back", "due_at": due, "user": recruiter.pk})
    assert made.status_code == 201, made.content
    assert made.json()["user"]["id"] == recruiter.pk and made.json()["state"] == "pending"
    past = (timezone.now() - timedelta(days=1)).isoformat()
    late = post(http, add, {"title": "Call back", "due_at": past, "user": recruiter.pk})
    assert late.json() == {"due_at": ["That time has passed. Choose a time from now on."]}
    foreign = post(http, add, {"title": "x", "due_at": due, "user": rival.users[RECRUITER].pk})
    assert foreign.status_code == 400 and "user" in foreign.json()
    # The headhunter made it, but it is the recruiter's (and their managers') to act on.
    pk = made.json()["id"]
    done = reverse("api:reminder_done", kwargs={"pk": pk})
    assert post(http, done, {}).status_code == 403
    mine = api(recruiter)
    snoozed = post(mine, reverse("api:reminder_snooze", kwargs={"pk": pk}), {"for": "1w"})
    assert snoozed.json()["state"] == "snoozed"
    assert post(mine, reverse("api:reminder_snooze", kwargs={"pk": pk}), {"for": "2d"}).json() == {
        "for": ['"2d" is not a valid choice.']
    }
    assert post(mine, done, {}).json()["state"] == "done"
    again = post(api(northwind.users[MANAGER]), done, {})
    assert again.status_code == 409 and again.json() == {"detail": "This reminder is already done."}


# --- Rate limits --------------------------------------------------------------------------


def test_each_token_has_its_own_rate_limit(recruiter, manager, settings):
    settings.API_RATE_LIMIT = "3/minute"
    cache.clear()
    first, second = api(recruiter, "read"), api(manager, "read")
    answers = [first.get(reverse("api:me")).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = first.get(reverse("api:me"))
    assert int(refused["Retry-After"]) > 0 and "detail" in refused.json()
    assert second.get(reverse("api:me")).status_code == 200
    settings.API_RATE_LIMIT = ""
    assert first.get(reverse("api:me")).status_code == 200


# --- The schema ---------------------------------------------------------------------------


def test_the_committed_schema_is_the_code_s(tmp_path):
    """docs/api/openapi.yaml is what the code generates: change the API, regenerate it
    (`DEBUG=1 .venv/bin/python manage.py spectacular --file docs/api/openapi.yaml`)."""
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(generated), "--validate", "--fail-on-warn")
    assert generated.read_text() == SCHEMA_FILE.read_text(), (
        "The API changed but docs/api/openapi.yaml did not: regenerate it with "
        "`DEBUG=1 .venv/bin/python manage.py spectacular --file docs/api/openapi.yaml`."
    )


def test_the_schema_and_its_page_are_served_without_a_cdn():
    http = HttpClient()
    schema = http.get(reverse("api:schema"))
    assert schema.status_code == 200 and b"/api/v1/candidates/" in schema.content
    page = http.get(reverse("api:docs")).content.decode()
    assert "swagger-ui" in page and "cdn" not in page.lower() and "//" + "unpkg" not in page
    assert settings.STATIC_URL + "drf_spectacular_sidecar/" in "/" + page.split('src="/', 1)[1]
    assert date.today()  # (the schema holds no data: nothing to scope)


def test_the_rate_limit_fails_open_while_redis_is_down(recruiter, settings):
    """The cache is django-redis with IGNORE_EXCEPTIONS: with Redis unreachable a request is
    neither counted nor refused, and never a 500."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.2,
                "SOCKET_TIMEOUT": 0.2,
            },
        }
    }
    settings.API_RATE_LIMIT = "1/minute"
    http = api(recruiter, "read")
    answers = [http.get(reverse("api:candidates")).status_code for _ in range(3)]
    assert answers == [200, 200, 200]


def test_an_interview_before_2000_is_refused_through_the_api(worlds):
    """The rule the client's brief link and the pages keep (Event.clean), at the API's door."""
    northwind, _ = worlds
    decide = reverse("api:second_chance_decisions", kwargs={"pk": northwind.requested.pk})
    answer = post(
        api(northwind.users[MANAGER]),
        decide,
        {"decision": "grant", "interview_at": "0001-01-01T00:00:00Z"},
    )
    assert answer.status_code == 400
    assert "before 2000" in str(answer.json())
    assert not northwind.requested.events.filter(kind=Kind.SECOND_CHANCE_GRANTED).exists()
