"""Authorization on every API URL, as tests/test_authorization.py proves it for the pages.

The walk goes through every URL pattern under /api/v1/ (a new endpoint missing from `TABLE`
fails `test_every_api_url_is_in_the_table`), and requests each with GET and POST:
- with no token, a made-up token, a revoked token and the token of a deactivated member:
  401 (the schema and its documentation page are public);
- as each role of Northwind with a read-write token and with a read token;
- as Rival's admin (another organization) with Northwind's ids in the URL (404) and, for
  the writes that name objects in their body, Northwind's members with Rival's job or client
  (404 or a field error, as the pages answer).
Expected answers: 200 for a read; 201 for a valid write by a role the pages let do it (200
for an action on a reminder); 403
for a read token writing or a role that may not; 405 for a method the endpoint does not take
(403 first for a refused write). No answer may hold the other organization's names, emails
or texts, and no refused request may write anything (tests/worlds.py `fingerprint`).
Each case runs in a savepoint rolled back afterwards, as in the pages' walk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client as HttpClient
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from api.tokens import token_create, token_revoke
from candidates import services
from candidates.models import User

from .test_authorization import walk
from .worlds import ADMIN, HEADHUNTER, MANAGER, MEMBERS, RECRUITER, World, fingerprint, two_worlds

pytestmark = pytest.mark.django_db

RECORDERS = (RECRUITER, HEADHUNTER, ADMIN)
DECIDERS = (MANAGER, ADMIN)
ACTORS = (RECRUITER, MANAGER, ADMIN)  # on the recruiter's reminder
PUBLIC = "public"

Body = Callable[[World, World], dict]


@dataclass(frozen=True)
class ApiUrl:
    """kwargs: the URL's arguments, each the pk of one of the World's objects.
    get: 200, or None when the endpoint takes no GET. write: the roles that may POST (None:
    no POST). body(own world, body world): a valid body; the body world is the requester's
    own or, for `foreign_body`, the other organization's (its job, its client).
    foreign_body: what a body naming another organization's object answers (None: it names
    none)."""

    kwargs: dict[str, str] = field(default_factory=dict)
    get: int | None = 200
    write: tuple[str, ...] | None = None
    body: Body | None = None
    foreign_body: int | None = None
    roles: str | None = None  # PUBLIC for the schema and its page
    posted: int = 201  # a valid write's answer: 201 Created, 200 for an action


def today_iso() -> str:
    return services.today().isoformat()


def soon() -> str:
    return (timezone.now() + timedelta(days=2)).isoformat()


TABLE: dict[str, ApiUrl] = {
    "api:me": ApiUrl(),
    "api:candidates": ApiUrl(),
    "api:candidate": ApiUrl(kwargs={"pk": "plain"}),
    "api:events": ApiUrl(
        kwargs={"pk": "plain"},
        write=RECORDERS,
        body=lambda w, b: {"kind": "attended", "occurred_on": today_iso(), "job": b.job.pk},
        foreign_body=404,  # the form's job field loads through the organization
    ),
    "api:risk_notes": ApiUrl(
        kwargs={"pk": "plain"},
        write=RECORDERS,
        body=lambda w, b: {"dimension": "trust", "level": 2, "noted_on": today_iso()},
    ),
    "api:second_chance_requests": ApiUrl(
        kwargs={"pk": "stumbled"},
        get=None,
        write=RECORDERS,
        body=lambda w, b: {"pitch": "Please", "occurred_on": today_iso(), "job": b.job.pk},
        foreign_body=404,
    ),
    "api:second_chance_decisions": ApiUrl(
        kwargs={"pk": "requested"},
        get=None,
        write=DECIDERS,
        body=lambda w, b: {"decision": "grant", "job": b.job.pk},
        foreign_body=404,
    ),
    "api:clients": ApiUrl(write=MEMBERS, body=lambda w, b: {"name": "Brand New Client"}),
    "api:jobs": ApiUrl(
        write=MEMBERS,
        body=lambda w, b: {"client": b.client.pk, "title": "Brand New Job"},
        foreign_body=400,  # "Choose one of your clients."
    ),
    "api:job": ApiUrl(kwargs={"pk": "job"}),
    "api:candidate_reminders": ApiUrl(
        kwargs={"pk": "plain"},
        get=None,
        write=MEMBERS,
        body=lambda w, b: {"title": "Call back", "due_at": soon(), "user": b.users[RECRUITER].pk},
        foreign_body=400,  # another organization's member: "Select a valid choice"
    ),
    "api:reminders": ApiUrl(),
    # The recruiter's reminder: theirs and their managers' to act on.
    "api:reminder_done": ApiUrl(kwargs={"pk": "reminder"}, get=None, write=ACTORS, posted=200),
    "api:reminder_snooze": ApiUrl(
        kwargs={"pk": "reminder"},
        get=None,
        write=ACTORS,
        body=lambda w, b: {"for": "1d"},
        posted=200,
    ),
    "api:reminder_cancel": ApiUrl(kwargs={"pk": "reminder"}, get=None, write=ACTORS, posted=200),
    "api:schema": ApiUrl(roles=PUBLIC),
    "api:docs": ApiUrl(roles=PUBLIC),
}


def api_patterns():
    resolver = next(
        entry
        for entry in get_resolver().url_patterns
        if isinstance(entry, URLResolver) and str(entry.pattern) == "api/v1/"
    )
    return list(walk(resolver, "api/v1/", "api"))


def test_every_api_url_is_in_the_table():
    patterns = api_patterns()
    names = {p.name for p in patterns}
    assert None not in names, "Name every API URL pattern"
    assert not names - set(TABLE), f"Add these API URLs to TABLE: {sorted(names - set(TABLE))}"
    assert not set(TABLE) - names, f"Stale TABLE entries: {sorted(set(TABLE) - names)}"
    for pattern in patterns:
        assert set(TABLE[pattern.name].kwargs) == pattern.arguments, pattern


@dataclass(frozen=True)
class Requester:
    label: str
    token: str | None  # the Authorization header's token; None: none sent
    role: str | None = None  # None: not authenticated
    scope: str = "write"


def expected(url: ApiUrl, who: Requester, method: str, foreign: str) -> set[int]:
    """`foreign`: "" (own objects), "url" (another organization's ids in the URL) or "body"
    (another organization's objects in the body)."""
    takes = url.get is not None if method == "GET" else url.write is not None
    if url.roles == PUBLIC:
        return {200} if method == "GET" else {405}
    if who.role is None:
        return {401}
    if method == "GET":
        if not takes:
            return {405}
        return {404} if foreign == "url" else {200}
    # A write: the token's scope and the role come before the method and the object.
    if who.scope == "read":
        return {403}
    if not takes:
        return {405}
    if who.role not in url.write:
        return {403}
    if foreign == "url":
        return {404}
    if foreign == "body":
        return {url.foreign_body}
    return {url.posted}


def body_of(response) -> str:
    headers = " ".join(f"{k}: {v}" for k, v in response.items())
    return (headers + "\n" + response.content.decode("utf-8", "replace")).lower()


@pytest.fixture
def worlds(org, other_org):
    return two_worlds(org, other_org)


def requesters(northwind: World, rival: World) -> list[tuple[Requester, World]]:
    """Who asks, and whose organization they belong to."""
    result: list[tuple[Requester, World]] = [
        (Requester("no token", None), northwind),
        (Requester("made-up token", "rcv_" + "x" * 43), northwind),
    ]
    revoked = token_create(member=northwind.users[ADMIN], name="old", scope="write")
    token_revoke(token=revoked.token)
    result.append((Requester("revoked token", revoked.raw), northwind))
    leaver = northwind.member
    leaving = token_create(member=leaver, name="leaver", scope="write")
    services.member_update(member=leaver, role=leaver.role, is_active=False)
    result.append((Requester("deactivated member's token", leaving.raw), northwind))
    for role in MEMBERS:
        for scope in ("write", "read"):
            made = token_create(member=northwind.users[role], name=f"{role} {scope}", scope=scope)
            result.append((Requester(f"{role} ({scope})", made.raw, role, scope), northwind))
    outsider = token_create(member=rival.users[ADMIN], name="outsider", scope="write")
    result.append((Requester("outsider admin (write)", outsider.raw, ADMIN, "write"), rival))
    return result


def test_every_api_url_answers_every_requester_as_the_table_says(worlds):
    northwind, rival = worlds
    other = {id(northwind): rival, id(rival): northwind}
    everyone = requesters(northwind, rival)
    before = fingerprint()
    failures: list[str] = []
    cases = 0
    for pattern in api_patterns():
        url = TABLE[pattern.name]
        for who, home in everyone:
            tries = [("", home, home)]
            if who.label.startswith("outsider") and url.kwargs:
                tries = [("url", other[id(home)], home)]  # Northwind's ids, Rival's member
            elif who.role is not None and url.foreign_body is not None:
                tries.append(("body", home, other[id(home)]))
            for foreign, url_world, body_world in tries:
                for method in ("GET", "POST"):
                    cases += 1
                    problem = run_case(url, pattern.name, who, method, foreign, url_world,
                                       body_world, home, other[id(home)], before)  # fmt: skip
                    if problem:
                        failures.append(
                            f"{method} {pattern.name} as {who.label} ({foreign or 'own'}): "
                            f"{problem}"
                        )
    print(f"\nAPI authorization walk: {len(TABLE)} URL patterns, {cases} cases")
    assert not failures, f"{len(failures)} of {cases} cases failed:\n" + "\n".join(failures)


def run_case(url, name, who, method, foreign, url_world, body_world, home, other_world, before):
    path = reverse(name, kwargs={k: getattr(url_world, v).pk for k, v in url.kwargs.items()})
    headers = {"HTTP_AUTHORIZATION": f"Bearer {who.token}"} if who.token else {}
    savepoint = transaction.savepoint()
    try:
        http = HttpClient(**headers)
        if method == "GET":
            response = http.get(path)
        else:
            body = url.body(url_world, body_world) if url.body else {}
            response = http.post(path, body, content_type="application/json")
        allowed = expected(url, who, method, foreign)
        if response.status_code not in allowed:
            return (
                f"answered {response.status_code} ({response.content[:200]!r}), expected {allowed}"
            )
        text = body_of(response)
        hidden = other_world.secrets + (home.secrets if who.role is None else [])
        leaked = [secret for secret in hidden if secret.lower() in text]
        if leaked:
            return f"the answer shows another organization's {leaked}"
        if response.status_code >= 400 and fingerprint() != before:
            return f"answered {response.status_code} but wrote to the database"
        if (
            response.status_code == 401
            and "bearer" not in response.get("WWW-Authenticate", "").lower()
        ):
            return "a 401 without WWW-Authenticate: Bearer"
        return None
    except Exception as exc:  # a 500: the test client re-raises the view's exception
        return f"raised {type(exc).__name__}: {exc}"
    finally:
        transaction.savepoint_rollback(savepoint)


def test_a_token_never_acts_beyond_its_member(worlds):
    """A token is its member: a manager's token cannot log events, a recruiter's cannot
    decide, and the answers name the member, not the token's maker (who else could?)."""
    northwind, _ = worlds
    recruiter = token_create(member=northwind.users[RECRUITER], name="r", scope="write").raw
    http = HttpClient(HTTP_AUTHORIZATION=f"Bearer {recruiter}")
    decide = reverse("api:second_chance_decisions", kwargs={"pk": northwind.requested.pk})
    assert (
        http.post(decide, {"decision": "grant"}, content_type="application/json").status_code == 403
    )
    me = http.get(reverse("api:me")).json()
    assert (me["role"], me["token_scope"]) == (RECRUITER, "write")
    user = User.objects.get(pk=me["id"])
    assert user == northwind.users[RECRUITER]
