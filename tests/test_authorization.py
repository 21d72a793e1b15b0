"""Authorization, proven on every URL.

The walk below goes through the whole URLconf (`get_resolver()`, recursively through every
include), so a view added later cannot escape it: a URL pattern that is not in `TABLE` (or
skipped with its reason in `SKIPPED_PREFIXES` or `SKIPPED_NAMES`) fails
`test_every_url_pattern_is_in_the_table`, and so does an entry whose arguments do not match
the pattern's converters. Whoever adds a view adds its line to the table: who may use it, what
a GET and a valid POST answer, and which objects fill it.

Two organizations are seeded with the same shape of data: Northwind (a recruiter, a
headhunter, a manager, an admin) and Rival, whose people have distinctive names ("Zebulon
Outsider"…). Every URL is then requested:
- by anonymous, by each role of Northwind, and by Rival's admin (the user of another
  organization);
- with Northwind's real object ids and with Rival's;
- with GET and with POST (valid-looking form data for every form the view accepts; an empty
  POST where the view takes none).
Each answer is checked against the table: a login redirect for anonymous; 200 or the table's
success answer (302 after a valid POST) for an allowed role; 403 for a role that may not act;
404 for another organization's object; 405 for a method the view does not take. No answer
(body or headers) may contain the other organization's candidate names, emails, note texts,
client or job names; no refused request may write anything (the audit trail's row counts,
which every write of a tracked model adds to, and the reminders are compared).

Each case runs in a savepoint rolled back afterwards, so the data is seeded once and every
case sees it intact (erasing a candidate, deleting an event, deactivating a member…).

Figures (2026-11-30): 68 URL patterns walked (the admin site's, password_reset_confirm,
calendar_feed and the ATS's webhook endpoint skipped, see SKIPPED_*), 1164 URL x requester x
method cases; the test prints the current figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from candidates import importer, services
from candidates.models import Candidate, Event, ImportJob, RiskNote, User

from .worlds import (
    ADMIN,
    HEADHUNTER,
    MANAGER,
    MEMBERS,
    PASSWORD,
    RECRUITER,
    World,
    fingerprint,
    two_worlds,
)

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-much-longer-passphrase-42"

# --- Who may act --------------------------------------------------------------------------

RECORDERS = (RECRUITER, HEADHUNTER, ADMIN)
MERGERS = (RECRUITER, ADMIN)
DECIDERS = (MANAGER, ADMIN)
ADMINS = (ADMIN,)
PUBLIC = "public"  # anyone, logged in or not
LOGGED_IN = "logged in"  # any authenticated user (their own account's pages)


# --- What each URL takes and answers ------------------------------------------------------

Data = Callable[[World, User], dict]


@dataclass(frozen=True)
class Url:
    """One URL pattern: who may use it and what it answers them.

    kwargs: the pattern's arguments, each filled with the pk of one of the World's objects.
    roles: the roles that may use it (PUBLIC, LOGGED_IN, or a tuple of roles).
    get: the answer to an allowed GET; None when the view takes no GET (405).
    query: a GET query string (filters, a picked candidate…).
    post: valid-looking form data; None when the view is not a form (an empty POST is sent and
        must be refused with 405 or answered as a GET).
    posted: the answer to an allowed, valid POST.
    names: the query or the form names objects by id (an owner, a job, a candidate…): they
        are also tried with another organization's ids.
    foreign: the answer when the query or form names another organization's objects: 404
        when the view loads them through access.get_for_org (the form's job field does too), a
        form error (200) when a choice field refuses them, the same as usual when a filter
        ignores them. A URL naming another organization's object is always 404.
    object_rule: `roles` is checked on the object after loading it (the note's author, the
        reminder's person), so another organization's object is 404 whatever the role.
    refused: the answer to a role that may not act: 403, or 404 where the object is only
        ever its owner's (an API token: another member's is not there for them).
    """

    kwargs: dict[str, str] = field(default_factory=dict)
    roles: str | tuple[str, ...] = MEMBERS
    get: int | None = 200
    query: Callable[[World], dict] | None = None
    post: Data | None = None
    posted: int = 302
    names: bool = False
    foreign: dict[str, int] = field(default_factory=dict)
    object_rule: bool = False
    refused: int = 403

    def names_objects(self) -> bool:
        return bool(self.kwargs) or self.names


def today_iso() -> str:
    return services.today().isoformat()


def events_file(world: World, user: User) -> dict:
    rows = (
        "candidate_email,candidate_name,client,job_title,kind,occurred_on,reason,notes\n"
        f"new.person@example.com,New Person,{world.client.name},{world.job.title},attended,"
        f"{today_iso()},,\n"
    )
    return {"events": SimpleUploadedFile("events.csv", rows.encode(), "text/csv")}


def event_form(world: World, user: User) -> dict:
    return {"kind": "attended", "occurred_on": today_iso(), "job": world.job.pk, "notes": "ok"}


def note_form(world: World, user: User) -> dict:
    return {"dimension": "trust", "level": "2", "noted_on": today_iso(), "note": "fine"}


def webhook_form() -> dict:
    # A public address given as an IP: no DNS needed to accept it.
    return {"url": "https://93.184.216.34/hooks", "events": ["candidate.status_changed"]}


TABLE: dict[str, Url] = {
    # The deployment's probes.
    "healthz": Url(roles=PUBLIC),
    "livez": Url(roles=PUBLIC),
    # Accounts (django.contrib.auth.urls).
    "login": Url(
        roles=PUBLIC,
        post=lambda w, u: {"username": w.users[RECRUITER].username, "password": PASSWORD},
    ),
    "logout": Url(roles=PUBLIC, get=None, post=lambda w, u: {}),
    "password_change": Url(
        roles=LOGGED_IN,
        post=lambda w, u: {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    ),
    "password_change_done": Url(roles=LOGGED_IN),
    "password_reset": Url(roles=PUBLIC, post=lambda w, u: {"email": w.users[RECRUITER].email}),
    "password_reset_done": Url(roles=PUBLIC),
    "password_reset_complete": Url(roles=PUBLIC),
    # Reminders: the recruiter's reminder is theirs and their managers' to act on.
    "reminders:list": Url(),
    "reminders:done": Url(
        kwargs={"pk": "reminder"},
        roles=(RECRUITER, MANAGER, ADMIN),
        object_rule=True,
        get=None,
        post=lambda w, u: {},
    ),
    "reminders:snooze": Url(
        kwargs={"pk": "reminder"},
        roles=(RECRUITER, MANAGER, ADMIN),
        object_rule=True,
        get=None,
        post=lambda w, u: {"for": "1d"},
    ),
    "reminders:cancel": Url(
        kwargs={"pk": "reminder"},
        roles=(RECRUITER, MANAGER, ADMIN),
        object_rule=True,
        get=None,
        post=lambda w, u: {},
    ),
    "reminders:add": Url(
        kwargs={"candidate_pk": "plain"},
        post=lambda w, u: {
            "title": "Call back",
            "due_at": timezone.localtime(timezone.now() + timedelta(days=2)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "user": w.users[RECRUITER].pk,
            "body": "",
        },
    ),
    # The member's own calendar feed: a POST makes a new URL and shows it on the page (200,
    # not a redirect: the URL is shown once and stored nowhere); revoking redirects back.
    "reminders:calendar": Url(post=lambda w, u: {}, posted=200),
    "reminders:calendar_revoke": Url(get=None, post=lambda w, u: {}),
    # Candidates.
    "candidates:today": Url(),
    # Filters naming another organization's owner, client or job are ignored.
    "candidates:list": Url(
        query=lambda w: {"owner": w.users[RECRUITER].pk, "client": w.client.pk, "job": w.job.pk},
        names=True,
        foreign={"GET": 200},
    ),
    "candidates:export": Url(
        query=lambda w: {"owner": w.users[RECRUITER].pk, "client": w.client.pk, "job": w.job.pk},
        names=True,
        foreign={"GET": 200},
    ),
    "candidates:create": Url(
        roles=RECORDERS,
        post=lambda w, u: {
            "name": "Brand New",
            "email": "brand.new@example.com",
            "owner": w.users[RECRUITER].pk,
            "rating": "4",
        },
        names=True,
        # Another organization's owner: "Select a valid choice" (the page itself names none).
        foreign={"GET": 200, "POST": 200},
    ),
    "candidates:detail": Url(kwargs={"pk": "plain"}),
    "candidates:audit": Url(kwargs={"pk": "plain"}),
    "candidates:edit": Url(
        kwargs={"pk": "plain"},
        roles=RECORDERS,
        post=lambda w, u: {
            "name": "Renamed Person",
            "email": w.plain.email,
            "owner": w.users[RECRUITER].pk,
            "rating": "2",
        },
    ),
    "candidates:log_event": Url(kwargs={"pk": "plain"}, roles=RECORDERS, get=None, post=event_form),
    "candidates:add_note": Url(kwargs={"pk": "plain"}, roles=RECORDERS, get=None, post=note_form),
    "candidates:request": Url(
        kwargs={"pk": "stumbled"},
        roles=RECORDERS,
        get=None,
        post=lambda w, u: {"pitch": "Please", "occurred_on": today_iso(), "job": w.job.pk},
    ),
    "candidates:decide": Url(
        kwargs={"pk": "requested"},
        roles=DECIDERS,
        get=None,
        post=lambda w, u: {"decision": "grant", "job": w.job.pk},
    ),
    "candidates:flag": Url(
        kwargs={"pk": "plain"}, roles=RECORDERS, get=None, post=lambda w, u: {"reason": "No"}
    ),
    "candidates:clear_flag": Url(
        kwargs={"pk": "flagged"}, roles=RECORDERS, get=None, post=lambda w, u: {"reason": "Ok"}
    ),
    # An event is corrected by whoever may record it (a decision: by a decider).
    "candidates:event_edit": Url(
        kwargs={"pk": "plain", "event_pk": "event"},
        roles=RECORDERS,
        object_rule=True,
        post=lambda w, u: {**event_form(w, u), "change_reason": "Corrected"},
    ),
    "candidates:event_delete": Url(
        kwargs={"pk": "plain", "event_pk": "event"},
        roles=RECORDERS,
        object_rule=True,
        get=None,
        post=lambda w, u: {"reason": "Wrong candidate"},
    ),
    # The note is the recruiter's: its author or an admin corrects it.
    "candidates:note_edit": Url(
        kwargs={"pk": "plain", "note_pk": "note"},
        roles=(RECRUITER, ADMIN),
        object_rule=True,
        post=lambda w, u: {**note_form(w, u), "change_reason": "Corrected"},
    ),
    "candidates:note_delete": Url(
        kwargs={"pk": "plain", "note_pk": "note"},
        roles=(RECRUITER, ADMIN),
        object_rule=True,
        get=None,
        post=lambda w, u: {"reason": "Wrong candidate"},
    ),
    # One person, one history: another organization's candidate to merge in is a 404.
    "candidates:merge": Url(
        kwargs={"pk": "plain"},
        roles=MERGERS,
        query=lambda w: {"other": w.stumbled.pk},
        post=lambda w, u: {"other": w.stumbled.pk, "reason": "Same person, two addresses"},
        names=True,
    ),
    "candidates:merge_undo": Url(
        kwargs={"pk": "merge"}, roles=MERGERS, get=None, post=lambda w, u: {}
    ),
    "candidates:export_json": Url(kwargs={"pk": "plain"}, roles=ADMINS),
    "candidates:erase": Url(
        kwargs={"pk": "plain"}, roles=ADMINS, post=lambda w, u: {"reason": "Asked by email"}
    ),
    "candidates:review": Url(
        roles=DECIDERS,
        post=lambda w, u: {"candidate": w.requested.pk, "decision": "grant", "job": ""},
        names=True,
        foreign={"GET": 200},  # the queue itself names nothing
    ),
    "candidates:resubmit": Url(
        query=lambda w: {"candidate": w.plain.pk, "job": w.job.pk},
        names=True,
    ),
    "candidates:clients": Url(),
    "candidates:client_create": Url(post=lambda w, u: {"name": "Brand New Client"}),
    "candidates:client_edit": Url(
        kwargs={"pk": "client"}, post=lambda w, u: {"name": "Renamed Client"}
    ),
    "candidates:job_create": Url(
        query=lambda w: {"client": w.client.pk},
        post=lambda w, u: {"client": w.client.pk, "title": "Brand New Job", "state": "open"},
        names=True,
        # Another organization's client is not preselected, and refused: "Choose one of your
        # clients".
        foreign={"GET": 200, "POST": 200},
    ),
    "candidates:job_detail": Url(kwargs={"pk": "job"}),
    "candidates:job_edit": Url(
        kwargs={"pk": "job"},
        post=lambda w, u: {
            "client": w.client.pk,
            "title": "Renamed Job",
            "hiring_manager": "",
            "state": "on_hold",
        },
    ),
    "candidates:import": Url(roles=RECORDERS, post=events_file),
    "candidates:import_template": Url(roles=RECORDERS),
    "candidates:insights": Url(),
    "candidates:members": Url(
        roles=ADMINS,
        post=lambda w, u: {
            "email": "invited@example.com",
            "first_name": "Ivy",
            "role": "recruiter",
        },
    ),
    # The candidate and the client in the loop (outreach/).
    "outreach:request_link": Url(
        kwargs={"pk": "stumbled"},
        roles=RECORDERS,
        get=None,
        post=lambda w, u: {"job": w.job.pk, "email": "on"},
    ),
    "outreach:link_revoke": Url(
        kwargs={"pk": "link"}, roles=RECORDERS, get=None, post=lambda w, u: {}
    ),
    "outreach:brief_make": Url(
        kwargs={"pk": "requested"},
        query=lambda w: {"job": w.job.pk, "show": "notes"},
        names=True,
    ),
    "outreach:brief_share": Url(
        kwargs={"pk": "requested"},
        roles=(HEADHUNTER, MANAGER, ADMIN),
        get=None,
        post=lambda w, u: {"job": w.job.pk},
        names=True,
    ),
    # Not a decision: refused with a message, and nothing written.
    "outreach:decision_email": Url(
        kwargs={"pk": "plain", "event_pk": "event"}, get=None, post=lambda w, u: {}
    ),
    "outreach:templates": Url(roles=DECIDERS),
    "candidates:member_edit": Url(
        kwargs={"pk": "member"},
        roles=ADMINS,
        post=lambda w, u: {"role": "headhunter", "is_active": "on"},
    ),
    # Webhooks out: the organization's admins'.
    "webhooks:list": Url(roles=ADMINS, post=lambda w, u: webhook_form()),
    "webhooks:detail": Url(
        kwargs={"pk": "endpoint"}, roles=ADMINS, post=lambda w, u: webhook_form()
    ),
    "webhooks:delete": Url(kwargs={"pk": "endpoint"}, roles=ADMINS, get=None, post=lambda w, u: {}),
    "webhooks:secret_roll": Url(
        kwargs={"pk": "endpoint"}, roles=ADMINS, get=None, post=lambda w, u: {}
    ),
    "webhooks:test": Url(kwargs={"pk": "endpoint"}, roles=ADMINS, get=None, post=lambda w, u: {}),
    # Not a delivery that gave up: refused with a message, and nothing written.
    "webhooks:redeliver": Url(
        kwargs={"pk": "delivery"}, roles=ADMINS, get=None, post=lambda w, u: {}
    ),
    # Every member's own API tokens: the new one is shown on the answer (200, no redirect).
    "api_tokens:list": Url(post=lambda w, u: {"name": "My script", "scope": "read"}, posted=200),
    # The world's token is the recruiter's: nobody else's to revoke, nor to know it exists.
    "api_tokens:revoke": Url(
        kwargs={"pk": "token"},
        roles=(RECRUITER,),
        object_rule=True,
        refused=404,
        get=None,
        post=lambda w, u: {},
    ),
    # Rejections from an ATS (ats/): the endpoints are the admins', the reasons table the
    # deciders', the review list whoever records events. A new endpoint is shown on the
    # answer (200, no redirect: its URL and secret are shown once and stored nowhere).
    "ats:sources": Url(
        roles=ADMINS,
        post=lambda w, u: {"vendor": "greenhouse", "name": "New ATS", "client_name": "Acme"},
        posted=200,
    ),
    "ats:source_revoke": Url(
        kwargs={"pk": "ats_source"}, roles=ADMINS, get=None, post=lambda w, u: {}
    ),
    "ats:mappings": Url(
        roles=DECIDERS,
        post=lambda w, u: {
            "vendor": "",
            "external_reason": "Brand new reason",
            "kind": "rejected",
            "reason": "fit",
        },
    ),
    "ats:mapping_edit": Url(
        kwargs={"pk": "ats_mapping"},
        roles=DECIDERS,
        post=lambda w, u: {
            "vendor": "greenhouse",
            "external_reason": "Renamed reason",
            "kind": "withdrew",
            "reason": "unknown",
        },
    ),
    "ats:mapping_defaults": Url(roles=DECIDERS, get=None, post=lambda w, u: {}),
    "ats:mapping_delete": Url(
        kwargs={"pk": "ats_mapping"}, roles=DECIDERS, get=None, post=lambda w, u: {}
    ),
    "ats:review": Url(roles=RECORDERS),
    "ats:resolve": Url(
        kwargs={"pk": "ats_item"},
        roles=RECORDERS,
        get=None,
        post=lambda w, u: {
            f"i{w.ats_item.pk}-candidate_email": w.plain.email,
            f"i{w.ats_item.pk}-kind": "rejected",
            f"i{w.ats_item.pk}-reason": "fit",
        },
    ),
    "ats:dismiss": Url(kwargs={"pk": "ats_item"}, roles=RECORDERS, get=None, post=lambda w, u: {}),
}

# Not walked, on purpose.
SKIPPED_PREFIXES = {
    "admin/": "the admin site is for platform superusers; tests/test_admin.py covers it",
    "static/": "static files hold no data",
    "media/": "uploaded files are not served by Django",
    "api/v1/": "the API answers bearer tokens, not logins: tests/test_api_authorization.py "
    "walks each of its URL patterns as every role, both token scopes and another organization",
}
SKIPPED_NAMES = {
    "outreach:request": "a public page opened by a private token: tests/test_outreach.py "
    "answers every wrong, expired, used and revoked token with the same 404",
    "outreach:brief": "a public page opened by a private token: tests/test_outreach.py",
    "outreach:opt_out": "a public page opened by a signed token: tests/test_outreach.py",
    "outreach:template_edit": "names no object (one of four fixed kinds, of the member's own "
    "organization): tests/test_outreach.py tries it as every role",
    "password_reset_confirm": "needs a one-time token from an email: "
    "test_password_reset_confirm_answers_every_requester_as_it_should below walks it",
    "ats:inbound": "an ATS's webhook endpoint: no login, a secret token in the path and the "
    "vendor's signature; tests/test_ats.py answers a made-up and a revoked token alike (404), "
    "refuses missing and wrong signatures, and stores nothing for any refusal",
    "calendar_feed": "takes a secret token, not an object id, and no login: "
    "test_calendar_feed_answers_every_requester_as_it_should below walks it",
}


# --- Walking the URLconf ------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    route: str
    name: str | None
    arguments: frozenset[str]


def walk(resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""):
    """Every URL pattern, recursively through includes, with its full name and arguments."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from walk(entry, route, inner)
        elif isinstance(entry, URLPattern):
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            converters = getattr(entry.pattern, "converters", None)
            arguments = set(converters) if converters else set(entry.pattern.regex.groupindex)
            yield Pattern(route, name, frozenset(arguments))


def skipped(pattern: Pattern) -> bool:
    return pattern.route.startswith(tuple(SKIPPED_PREFIXES)) or pattern.name in SKIPPED_NAMES


def walked() -> list[Pattern]:
    return [p for p in walk() if not skipped(p)]


def test_every_url_pattern_is_in_the_table():
    patterns = walked()
    unnamed = [p.route for p in patterns if not p.name]
    assert not unnamed, f"Name these URL patterns and add them to TABLE: {unnamed}"
    names = {p.name for p in patterns}
    missing = sorted(names - set(TABLE))
    assert not missing, (
        f"New URLs: add them to TABLE in {__file__} (who may use them, what they answer, "
        f"which objects fill them): {missing}"
    )
    stale = sorted(set(TABLE) - names)
    assert not stale, f"TABLE names URLs that no longer exist: {stale}"
    for pattern in patterns:
        assert set(TABLE[pattern.name].kwargs) == pattern.arguments, (
            f"{pattern.name} ({pattern.route}) takes {sorted(pattern.arguments)}, "
            f"TABLE fills {sorted(TABLE[pattern.name].kwargs)}"
        )


# --- The requests -------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    requester: str  # "anonymous", a role, or "outsider"
    method: str
    world: str  # whose objects the URL, query and form name: "own" or "foreign"

    def __str__(self) -> str:
        return f"{self.method} {self.name} as {self.requester} with {self.world} ids"


def login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def body_of(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    headers = " ".join(f"{k}: {v}" for k, v in response.items())
    return (headers + "\n" + content.decode("utf-8", "replace")).lower()


def expected(url: Url, requester: str, role: str | None, method: str, world: str) -> set | str:
    """The answers the table allows; "login" for a redirect to the login page."""
    takes = url.get is not None if method == "GET" else url.post is not None
    if url.roles == PUBLIC:
        if not takes:
            return {405}
        return {url.get} if method == "GET" else {url.posted}
    if requester == "anonymous":
        return "login" if takes else {405, "login"}
    allowed = url.roles == LOGGED_IN or role in url.roles
    foreign_object = world == "foreign" and bool(url.kwargs)
    if not takes:
        # A view that is not a form may answer a POST as it answers a GET; a role check may
        # come before the method's.
        answers = {405}
        if method == "POST" and url.get:
            answers.add(404 if foreign_object else url.get)
        return answers | ({url.refused} if not allowed else set())
    if foreign_object and (allowed or url.object_rule):
        return {404}
    if not allowed:
        return {url.refused}
    if world == "foreign":
        return {url.foreign.get(method, 404)}
    return {url.get} if method == "GET" else {url.posted}


def fill(url: Url, world: World) -> dict:
    return {arg: getattr(world, key).pk for arg, key in url.kwargs.items()}


@pytest.fixture
def worlds(org, other_org) -> tuple[World, World]:
    return two_worlds(org, other_org)


def test_every_url_answers_every_requester_as_the_table_says(worlds):
    northwind, rival = worlds
    # Who asks, from which organization; Rival's admin is "the user of another organization".
    requesters: list[tuple[str, User | None, World]] = [
        ("anonymous", None, northwind),
        *((role, northwind.users[role], northwind) for role in MEMBERS),
        ("outsider", rival.users[ADMIN], rival),
    ]
    other = {id(northwind): rival, id(rival): northwind}
    # Positive control: the distinctive strings are there to be seen by their own people.
    for user, world in ((northwind.users[RECRUITER], northwind), (rival.users[ADMIN], rival)):
        http = HttpClient()
        http.force_login(user)
        page = http.get(reverse("candidates:list")).content.decode().lower()
        assert world.plain.name.lower() in page

    before = fingerprint()
    failures: list[str] = []
    cases = 0
    patterns = walked()
    for pattern in patterns:
        url = TABLE[pattern.name]
        for requester, user, home in requesters:
            foreign_world = other[id(home)]
            worlds_to_try = [("own", home)]
            if requester == "outsider" and url.kwargs:
                # Their own objects are the mirror image of Northwind's admin's: what matters
                # is Northwind's.
                worlds_to_try = [("foreign", foreign_world)]
            elif requester != "anonymous" and url.names_objects():
                worlds_to_try.append(("foreign", foreign_world))
            for world_name, world in worlds_to_try:
                for method in ("GET", "POST"):
                    case = Case(pattern.name, requester, method, world_name)
                    cases += 1
                    problem = run_case(case, url, user, home, world, foreign_world, before)
                    if problem:
                        failures.append(f"{case}: {problem}")
    print(f"\nauthorization walk: {len(patterns)} URL patterns, {cases} URL x requester x method")
    assert not failures, f"{len(failures)} of {cases} cases failed:\n" + "\n".join(failures)
    assert cases >= 6 * len(patterns)


def run_case(
    case: Case,
    url: Url,
    user: User | None,
    home: World,
    world: World,
    foreign_world: World,
    before: tuple,
) -> str | None:
    """Request one case in a savepoint that is rolled back; returns what went wrong."""
    role = user.role if user is not None else None
    path = reverse(case.name, kwargs=fill(url, world))
    savepoint = transaction.savepoint()
    try:
        http = HttpClient()
        if user is not None:
            http.force_login(user)
        if case.method == "GET":
            response = http.get(path, url.query(world) if url.query else {})
        else:
            data = url.post(world, user or AnonymousUser()) if url.post else {}
            response = http.post(path, data)
        answer = response.status_code
        allowed = expected(url, case.requester, role, case.method, case.world)
        ok = (allowed == "login" and login_redirect(response)) or (
            allowed != "login"
            and (answer in allowed or ("login" in allowed and login_redirect(response)))
        )
        if not ok:
            where = f" → {response['Location']}" if response.has_header("Location") else ""
            return f"answered {answer}{where}, expected {allowed}"
        body = body_of(response)
        # Nobody sees what another organization holds: anonymous sees no one's.
        hidden = foreign_world.secrets + (home.secrets if user is None else [])
        leaked = [secret for secret in hidden if secret.lower() in body]
        if leaked:
            return f"the answer shows another organization's {leaked}"
        refused = answer in (403, 404, 405) or login_redirect(response)
        if (refused or case.world == "foreign") and fingerprint() != before:
            return f"answered {answer} but wrote to the database"
        return None
    except Exception as exc:  # a 500: the test client re-raises the view's exception
        return f"raised {type(exc).__name__}: {exc}"
    finally:
        transaction.savepoint_rollback(savepoint)


def test_the_table_is_read_the_way_the_docstring_says():
    """The rules of `expected()` on a few lines of the table, spelt out."""
    decide = TABLE["candidates:decide"]
    assert expected(decide, "anonymous", None, "POST", "own") == "login"
    assert expected(decide, RECRUITER, RECRUITER, "POST", "own") == {403}
    assert expected(decide, MANAGER, MANAGER, "POST", "own") == {302}
    assert expected(decide, MANAGER, MANAGER, "POST", "foreign") == {404}
    assert expected(decide, MANAGER, MANAGER, "GET", "own") == {405}
    assert expected(decide, RECRUITER, RECRUITER, "GET", "own") == {403, 405}
    create = TABLE["candidates:create"]
    assert expected(create, ADMIN, ADMIN, "POST", "foreign") == {200}
    assert expected(create, MANAGER, MANAGER, "POST", "foreign") == {403}
    note_edit = TABLE["candidates:note_edit"]
    assert expected(note_edit, MANAGER, MANAGER, "GET", "own") == {403}
    assert expected(note_edit, MANAGER, MANAGER, "GET", "foreign") == {404}
    assert expected(TABLE["healthz"], "anonymous", None, "GET", "own") == {200}
    assert expected(TABLE["candidates:detail"], HEADHUNTER, HEADHUNTER, "POST", "own") == {
        405,
        200,
    }


def test_an_import_names_no_other_organization(worlds):
    """The import page has no ids to tamper with: a file naming another organization's
    candidate creates a candidate of the importer's own organization, and leaves theirs."""
    northwind, rival = worlds
    http = HttpClient()
    http.force_login(northwind.users[RECRUITER])
    rows = (
        "candidate_email,candidate_name,client,job_title,kind,occurred_on,reason,notes\n"
        f"{rival.plain.email},Taken Over,Acme,Welder,attended,{today_iso()},,\n"
    )
    response = http.post(
        reverse("candidates:import"),
        {"events": SimpleUploadedFile("e.csv", rows.encode(), "text/csv")},
    )
    assert response.status_code == 302
    assert importer.run_job(ImportJob.objects.get().pk) == "done"
    assert Candidate.objects.get(pk=rival.plain.pk).name == "Zebulon Outsider"
    assert Candidate.objects.get(organization=northwind.org, email=rival.plain.email).name == (
        "Taken Over"
    )
    assert not Event.objects.filter(candidate=rival.plain, job__title="Welder").exists()


# --- The password-reset link, which the walk cannot fill ----------------------------------

SITE = "https://recovery.example.com"


def test_password_reset_confirm_answers_every_requester_as_it_should(worlds, settings):
    """password_reset_confirm, for anonymous, every role and the outsider: a made-up token, a
    real token for another member and an invalid member id are refused with the same page,
    revealing nothing and writing nothing; the real link, mailed from SITE_URL whatever Host
    the reset was asked with (issue 12, finding 7), works once, for its member only."""
    from django.core import mail
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    northwind, rival = worlds
    settings.SITE_URL = SITE
    target = northwind.users[RECRUITER]
    response = HttpClient().post(
        reverse("password_reset"), {"email": target.email}, HTTP_HOST="127.0.0.1:31337"
    )
    assert response.status_code == 302
    (message,) = mail.outbox
    link = next(word for word in message.body.split() if "/accounts/reset/" in word)
    assert link.startswith(SITE + "/accounts/reset/"), link
    real_path = link[len(SITE) :]
    uid, token = real_path.rstrip("/").split("/")[-2:]
    other_uid = urlsafe_base64_encode(force_bytes(rival.users[ADMIN].pk))
    refused_paths = [
        reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": "abc-123"}),
        reverse("password_reset_confirm", kwargs={"uidb64": other_uid, "token": token}),
        reverse("password_reset_confirm", kwargs={"uidb64": "not-an-id", "token": token}),
    ]
    requesters = [
        ("anonymous", None),
        *((role, northwind.users[role]) for role in MEMBERS),
        ("outsider", rival.users[ADMIN]),
    ]
    before = fingerprint()
    failures = []
    for requester, user in requesters:
        for path in refused_paths:
            for method in ("GET", "POST"):
                http = HttpClient()
                if user is not None:
                    http.force_login(user)
                data = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
                response = (
                    http.get(path, follow=True)
                    if method == "GET"
                    else http.post(path, data, follow=True)
                )
                body = body_of(response)
                if response.status_code != 200 or "this link no longer works" not in body:
                    failures.append(f"{method} {path} as {requester}: {response.status_code}")
                leaked = [s for s in rival.secrets + northwind.secrets if s.lower() in body]
                if leaked:
                    failures.append(f"{method} {path} as {requester} shows {leaked}")
                if fingerprint() != before:
                    failures.append(f"{method} {path} as {requester} wrote to the database")
    assert not failures, "\n".join(failures)

    # The real link, asked for again (logging the member in above changed their last login,
    # which ends any earlier token): for its member, once.
    mail.outbox.clear()
    HttpClient().post(reverse("password_reset"), {"email": target.email}, HTTP_HOST="localhost")
    (message,) = mail.outbox
    link = next(word for word in message.body.split() if "/accounts/reset/" in word)
    assert link.startswith(SITE + "/accounts/reset/"), link
    real_path = link[len(SITE) :]
    http = HttpClient()
    response = http.get(real_path, follow=True)
    form_path = response.redirect_chain[-1][0]
    assert "choose a new password" in body_of(response)
    data = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    assert http.post(form_path, data).status_code == 302
    target.refresh_from_db()
    assert target.check_password(NEW_PASSWORD)
    assert not rival.users[ADMIN].check_password(NEW_PASSWORD)
    assert "this link no longer works" in body_of(HttpClient().get(real_path, follow=True))


# --- The calendar feed, which the walk cannot fill either ---------------------------------


def test_calendar_feed_answers_every_requester_as_it_should(worlds):
    """calendar_feed (/calendar/<token>.ics), for anonymous, every role and the outsider,
    with GET and POST: the session is ignored, the token decides. A made-up token, a revoked
    one, a deactivated member's, a member's moved to another organization (Rival) and one of
    the wrong shape get the same plain 404, writing nothing; the real one answers its
    member's calendar to whoever asks with it, never with Rival's data; POST is refused."""
    from reminders import calendars

    northwind, rival = worlds
    recruiter = northwind.users[RECRUITER]
    # Rival's candidates have coming second chances and their people feeds of their own.
    services.second_chance_decide(
        candidate=rival.requested,
        grant=True,
        decided_by=rival.users[MANAGER],
        interview_at=timezone.now() + timedelta(days=3),
    )
    for user in rival.users.values():
        calendars.feed_create(user)
    revoked = calendars.feed_create(recruiter)
    real = calendars.feed_create(recruiter)  # revokes the first
    deactivated = calendars.feed_create(northwind.users[HEADHUNTER])
    services.member_update(member=northwind.users[HEADHUNTER], role=HEADHUNTER, is_active=False)
    moved_member = northwind.member
    moved = calendars.feed_create(moved_member)
    moved_member.organization = rival.org
    moved_member.save()
    refused = {
        "made-up": "x" * 43,
        "revoked": revoked,
        "deactivated": deactivated,
        "moved": moved,
        "short": "x",
        "long": "x" * 300,
        "dotted": real + ".ics",
    }
    requesters = [
        ("anonymous", None),
        *((role, northwind.users[role]) for role in MEMBERS if role != HEADHUNTER),
        ("outsider", rival.users[ADMIN]),
    ]
    before = fingerprint()
    failures = []
    for requester, user in requesters:
        http = HttpClient()
        if user is not None:
            http.force_login(user)
        for what, token in refused.items():
            path = reverse("calendar_feed", kwargs={"token": token})
            response = http.get(path)
            if response.status_code != 404 or response.content != b"Not found.\n":
                failures.append(f"GET {what} as {requester}: {response.status_code}")
            if http.post(path).status_code != 405:
                failures.append(f"POST {what} as {requester} was not refused")
        path = reverse("calendar_feed", kwargs={"token": real})
        response = http.get(path)
        body = body_of(response)
        if response.status_code != 200 or "begin:vcalendar" not in body:
            failures.append(f"GET the real feed as {requester}: {response.status_code}")
        if northwind.secrets[0].lower() not in body:  # positive control: the plain candidate
            failures.append(f"the real feed as {requester} misses the member's reminder")
        leaked = [secret for secret in rival.secrets if secret.lower() in body]
        if leaked:
            failures.append(f"the real feed as {requester} shows {leaked}")
        if http.post(path).status_code != 405:
            failures.append(f"POST the real feed as {requester} was not refused")
        if fingerprint() != before:
            failures.append(f"the feed as {requester} wrote to the database")
    assert not failures, "\n".join(failures)


# --- What an upload may hold --------------------------------------------------------------
# The import page lets recorders in (the walk above); what their file holds needs rights of
# its own: a decision on a second chance is a decider's, a risk note is its author's. Each
# role uploads each content; an allowed one becomes a job that a worker writes, a refused one
# is a page naming the line, with nothing written and no job.

EVENTS_HEADER = "candidate_email,candidate_name,client,job_title,kind,occurred_on,reason,notes\n"
NOTES_HEADER = "candidate_email,dimension,level,author_email,noted_on,note\n"


def decision_file(world: World, user: User) -> dict:
    rows = EVENTS_HEADER + (
        f"{world.requested.email},,{world.client.name},{world.job.title},"
        f"second_chance_granted,{today_iso()},,Imported decision\n"
    )
    return {"events": SimpleUploadedFile("events.csv", rows.encode(), "text/csv")}


def note_file(author_email: str):
    def upload(world: World, user: User) -> dict:
        events = EVENTS_HEADER + (
            f"{world.plain.email},,{world.client.name},{world.job.title},attended,"
            f"{today_iso()},,Imported event\n"
        )
        author = author_email or user.email
        notes = NOTES_HEADER + (
            f"{world.plain.email},trust,4,{author},{today_iso()},Imported note\n"
        )
        return {
            "events": SimpleUploadedFile("events.csv", events.encode(), "text/csv"),
            "risk_notes": SimpleUploadedFile("notes.csv", notes.encode(), "text/csv"),
        }

    return upload


# content: (the upload, the roles who may import it, what the refusal says)
UPLOADS = {
    "a decision on a second chance": (
        decision_file,
        (ADMIN,),
        "only a manager or an admin may record a decision",
    ),
    "a risk note in their own name": (note_file(""), RECORDERS, None),
    "a risk note in a colleague's name": (
        note_file("member@northwind.test"),
        (),
        "must be your own address",
    ),
}


@pytest.mark.parametrize("content", UPLOADS)
def test_an_upload_holds_only_what_its_uploader_may_record(worlds, content):
    northwind, _rival = worlds
    make_files, may, refusal = UPLOADS[content]
    before = fingerprint()
    failures = []
    for role in MEMBERS:
        user = northwind.users[role]
        savepoint = transaction.savepoint()
        try:
            http = HttpClient()
            http.force_login(user)
            response = http.post(reverse("candidates:import"), make_files(northwind, user))
            if role not in RECORDERS:
                answer = {403}
            elif role in may:
                answer = {302}
            else:
                answer = {200}
            if response.status_code not in answer:
                failures.append(f"{role}: answered {response.status_code}, expected {answer}")
                continue
            if response.status_code == 302:
                job = ImportJob.objects.get()
                state = importer.run_job(job.pk)
                job.refresh_from_db()
                if state != "done" or job.events_created + job.notes_created == 0:
                    failures.append(f"{role}: the job ended {state}: {job.error}")
                if RiskNote.objects.filter(note="Imported note").exclude(author=user).exists():
                    failures.append(f"{role}: a note was written in someone else's name")
                continue
            if fingerprint() != before or ImportJob.objects.exists():
                failures.append(f"{role}: answered {response.status_code} but wrote")
            page = response.content.decode().lower()
            if response.status_code == 200 and refusal and refusal not in page:
                failures.append(f"{role}: the page does not say {refusal!r}")
        finally:
            transaction.savepoint_rollback(savepoint)
    assert not failures, failures
