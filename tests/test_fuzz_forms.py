"""Hostile input, fuzzed with hypothesis, into every form of the app.

For every form (each POST endpoint, and the GET forms: filters, search, pickers), hypothesis
builds a submission that is either valid (with awkward but legal text: HTML and script tags,
right-to-left and combining characters, emoji, SQL fragments), valid but for one field, or a
mess: very long strings, NUL and control characters, wrong types, huge and negative numbers,
repeated or missing fields, and ids of the other organization's objects. Each submission is
posted as the role that may use the form, in a savepoint rolled back afterwards, and:

- never a 500 (the test client re-raises a view's exception, which fails the example);
- the answer is a page (200), a redirect (302) or a 404 (another organization's object);
- never a partial write: an answer other than a redirect leaves the database as it was (the
  audit trail's row counts, the members, the reminders), and after any answer every
  candidate's stored status, risk and advice equal what the engine computes from its events;
- never unescaped HTML: a posted `<script>…` or `<img onerror=…>` never appears raw in the
  answer, nor in the pages that show what was saved (the candidate page, the lists…);
- never another organization's names or notes in the answer;
- a `next` parameter never redirects off the site.

`FUZZ_EXAMPLES` (default 40) sets the examples per form; the module prints how many each form
was tried with. NUL characters deserve their own word: PostgreSQL refuses them in text, so a
form that let one through would answer 500 there; Django's CharField refuses them
(ProhibitNullCharactersValidator) and the importer refuses them per line.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from candidates import services
from candidates.engine import MISSTEPS, Dimension, Kind, Reason, evaluate
from candidates.models import Candidate
from candidates.models import Role as Roles
from outreach.tokens import token_for

from .worlds import ADMIN, HEADHUNTER, MANAGER, PASSWORD, RECRUITER, World, fingerprint, two_worlds

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
TRIED: Counter[str] = Counter()

# --- Values ---------------------------------------------------------------------------------

# Markup that must never come back raw: each would run or inject if a template forgot to escape.
XSS = (
    "<script>alert('xss')</script>",
    '"><svg onload=alert(1)>',
    "<img src=x onerror=alert(1)>",
    "</textarea><script>alert(2)</script>",
    "<a href='javascript:alert(3)'>click</a>",
)
AWKWARD = (
    "Robert'); DROP TABLE candidates_candidate;--",
    "' OR '1'='1",
    "1; SELECT pg_sleep(5)--",
    "\u202egnp.exe",  # right-to-left override
    "مرحبا بالعالم",
    "שלום עולם",
    "Zoë Ångström-Łukasiewicz",
    "e\u0301\u0301\u0301",  # stacked combining accents
    "🙂🙃" * 20,
    "{{ request.user }}{% debug %}",
    "%(name)s %s %n",
    "\ufeffBOM",
    "line one\r\nline two\ttab",
    "\x01\x02\x1b[31m",
)
HOSTILE = (
    *XSS,
    *AWKWARD,
    "",
    "   ",
    "\x00",
    "a\x00b",
    "x" * 20_000,
    "9" * 40,
    "-1",
    "0",
    "1.5",
    "1e309",
    "NaN",
    "null",
    "[]",
    "{}",
    "true",
    "2026-02-30",
    "0001-01-01",
    "9999-12-31",
    "2026-13-01T25:61",
    "²",  # a digit to str.isdigit(), not to int()
    "١٢",  # Arabic-Indic digits: int() reads them
    "1 ",
    "0x1F",
)
MISSING = object()

no_nul = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
words = st.text(alphabet=no_nul, max_size=40)


def text(max_size: int = 200, *, required: bool = True) -> st.SearchStrategy[str]:
    """Text a person could type: legal, awkward, with markup to be escaped."""
    legal = st.one_of(
        st.sampled_from(XSS),
        st.sampled_from(AWKWARD),
        st.builds(lambda a, p, b: a + p + b, words, st.sampled_from(XSS), words),
        st.text(alphabet=no_nul, min_size=1, max_size=max_size),
    ).map(lambda s: s[:max_size])
    if required:
        return legal.filter(lambda s: s.strip())
    return st.one_of(st.just(""), legal)


hostile = st.one_of(
    st.sampled_from(HOSTILE),
    st.builds(lambda a, b: a + "\x00" + b, words, words),  # PostgreSQL refuses NUL in text
    st.text(max_size=300),  # anything, NUL and control characters included
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.lists(st.text(max_size=8), min_size=2, max_size=3),  # a field sent twice
)


def past_dates() -> st.SearchStrategy[str]:
    return st.dates(min_value=date(1990, 1, 2), max_value=services.today()).map(date.isoformat)


def future_moments() -> st.SearchStrategy[str]:
    now = timezone.localtime(timezone.now())
    return st.integers(min_value=2, max_value=24 * 400).map(
        lambda hours: (now + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")
    )


def pk(obj) -> st.SearchStrategy[str]:
    return st.just(str(obj.pk))


def optional(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.just(""), strategy)


LOGGABLE = [k.value for k in Kind if k in MISSTEPS] + [
    Kind.SCHEDULED.value,
    Kind.ATTENDED.value,
    Kind.OFFER_MADE.value,
    Kind.HIRED.value,
]
REASONS = [r.value for r in Reason]
NEXT_URLS = (
    "/candidates/",
    "https://evil.example/steal",
    "//evil.example/",
    "javascript:alert(1)",
    "/\\evil.example",
    "http://testserver@evil.example/",
)


@st.composite
def event_fields(draw, world: World) -> dict:
    kind = draw(st.sampled_from(LOGGABLE))
    misstep = Kind(kind) in MISSTEPS
    return {
        "kind": kind,
        "occurred_on": draw(past_dates()),
        "reason": draw(st.sampled_from(REASONS)) if misstep else "",
        "job": draw(optional(pk(world.job))),
        "interview_at": draw(optional(future_moments())) if kind == "scheduled" else "",
        "notes": draw(text(2000, required=False)),
    }


def note_fields(world: World) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries(
        {
            "dimension": st.sampled_from([d.value for d in Dimension]),
            "level": st.integers(1, 5).map(str),
            "noted_on": past_dates(),
            "note": text(2000, required=False),
        }
    )


def candidate_fields(world: World) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries(
        {
            "name": text(200),
            "email": st.emails().filter(lambda e: len(e) <= 254),
            "phone": text(50, required=False),
            "owner": optional(pk(world.users[RECRUITER])),
            "rating": optional(st.integers(1, 5).map(str)),
        }
    )


def decision_fields(world: World) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries(
        {
            "decision": st.sampled_from(["grant", "refuse"]),
            "note": text(1000, required=False),
            "interview_at": optional(future_moments()),
            "job": optional(pk(world.job)),
        }
    )


def job_fields(world: World) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries(
        {
            "client": pk(world.client),
            "title": text(200),
            "hiring_manager": text(200, required=False),
            "state": st.sampled_from(["open", "on_hold", "filled", "closed"]),
        }
    )


def with_next(fields: st.SearchStrategy[dict]) -> st.SearchStrategy[dict]:
    return st.builds(lambda d, n: {**d, "next": n}, fields, st.sampled_from(NEXT_URLS))


def strong_password() -> st.SearchStrategy[str]:
    return st.text(alphabet=no_nul, min_size=12, max_size=60).filter(
        lambda p: len(set(p)) > 6 and not p.isdigit()
    )


# --- The forms ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    """A form: where it posts, who posts it, what a valid submission looks like, and which
    pages show what it saved."""

    url: Callable[[World], str]
    fields: Callable[[World], st.SearchStrategy[dict]]
    user: str | None = RECRUITER  # None: anonymous
    method: str = "post"
    pages: Callable[[World], list[str]] = field(default=lambda w: [])
    # The answer to a submission that was recorded (the public pages answer with a page).
    writes_on: int = 302


def candidate_url(name: str, key: str = "plain") -> Callable[[World], str]:
    return lambda w: reverse(f"candidates:{name}", args=[getattr(w, key).pk])


def candidate_pages(key: str = "plain") -> Callable[[World], list[str]]:
    return lambda w: [
        reverse("candidates:detail", args=[getattr(w, key).pk]),
        reverse("candidates:list"),
        reverse("candidates:today"),
    ]


FORMS: dict[str, Form] = {
    "candidate create": Form(
        lambda w: reverse("candidates:create"),
        candidate_fields,
        pages=lambda w: [reverse("candidates:list")],
    ),
    "candidate edit": Form(
        candidate_url("edit"), candidate_fields, user=HEADHUNTER, pages=candidate_pages()
    ),
    "log event": Form(
        candidate_url("log_event"),
        lambda w: with_next(event_fields(w)),
        user=HEADHUNTER,
        pages=candidate_pages(),
    ),
    "add risk note": Form(
        candidate_url("add_note"), lambda w: with_next(note_fields(w)), pages=candidate_pages()
    ),
    "second-chance request": Form(
        candidate_url("request", "stumbled"),
        lambda w: with_next(
            st.fixed_dictionaries(
                {
                    "pitch": text(2000),
                    "job": optional(pk(w.job)),
                    "occurred_on": past_dates(),
                }
            )
        ),
        pages=candidate_pages("stumbled"),
    ),
    "second-chance decision": Form(
        candidate_url("decide", "requested"),
        lambda w: with_next(decision_fields(w)),
        user=MANAGER,
        pages=candidate_pages("requested"),
    ),
    "review queue decision": Form(
        lambda w: reverse("candidates:review"),
        lambda w: st.builds(lambda d: {**d, "candidate": str(w.requested.pk)}, decision_fields(w)),
        user=MANAGER,
        pages=lambda w: [reverse("candidates:review"), reverse("candidates:today")],
    ),
    "flag": Form(
        candidate_url("flag"),
        lambda w: with_next(st.fixed_dictionaries({"reason": text(1000)})),
        pages=candidate_pages(),
    ),
    "clear flag": Form(
        candidate_url("clear_flag", "flagged"),
        lambda w: with_next(st.fixed_dictionaries({"reason": text(1000, required=False)})),
        user=HEADHUNTER,
        pages=candidate_pages("flagged"),
    ),
    "event edit": Form(
        lambda w: reverse("candidates:event_edit", args=[w.plain.pk, w.event.pk]),
        lambda w: st.builds(lambda d, r: {**d, "change_reason": r}, event_fields(w), text(1000)),
        pages=candidate_pages(),
    ),
    "event delete": Form(
        lambda w: reverse("candidates:event_delete", args=[w.plain.pk, w.event.pk]),
        lambda w: st.fixed_dictionaries({"reason": text(1000)}),
        user=HEADHUNTER,
        pages=candidate_pages(),
    ),
    "risk note edit": Form(
        lambda w: reverse("candidates:note_edit", args=[w.plain.pk, w.note.pk]),
        lambda w: st.builds(lambda d, r: {**d, "change_reason": r}, note_fields(w), text(1000)),
        pages=candidate_pages(),
    ),
    "risk note delete": Form(
        lambda w: reverse("candidates:note_delete", args=[w.plain.pk, w.note.pk]),
        lambda w: st.fixed_dictionaries({"reason": text(1000)}),
        user=ADMIN,
        pages=candidate_pages(),
    ),
    "erase": Form(
        candidate_url("erase"),
        lambda w: st.fixed_dictionaries({"reason": text(1000)}),
        user=ADMIN,
        pages=candidate_pages(),
    ),
    "client create": Form(
        lambda w: reverse("candidates:client_create"),
        lambda w: st.fixed_dictionaries({"name": text(200)}),
        user=HEADHUNTER,
        pages=lambda w: [reverse("candidates:clients")],
    ),
    "client edit": Form(
        lambda w: reverse("candidates:client_edit", args=[w.client.pk]),
        lambda w: st.fixed_dictionaries({"name": text(200)}),
        user=MANAGER,
        pages=lambda w: [reverse("candidates:clients"), reverse("candidates:list")],
    ),
    "job create": Form(
        lambda w: reverse("candidates:job_create"),
        job_fields,
        pages=lambda w: [reverse("candidates:clients")],
    ),
    "job edit": Form(
        lambda w: reverse("candidates:job_edit", args=[w.job.pk]),
        job_fields,
        user=ADMIN,
        pages=lambda w: [
            reverse("candidates:job_detail", args=[w.job.pk]),
            reverse("candidates:detail", args=[w.plain.pk]),
        ],
    ),
    "member add": Form(
        lambda w: reverse("candidates:members"),
        lambda w: st.fixed_dictionaries(
            {
                "email": st.emails().filter(lambda e: len(e) <= 150),
                "first_name": text(150),
                "last_name": text(150, required=False),
                "role": st.sampled_from(Roles.values),
            }
        ),
        user=ADMIN,
        pages=lambda w: [reverse("candidates:members")],
    ),
    "member edit": Form(
        lambda w: reverse("candidates:member_edit", args=[w.member.pk]),
        lambda w: st.fixed_dictionaries(
            {"role": st.sampled_from(Roles.values), "is_active": st.sampled_from(["on", ""])}
        ),
        user=ADMIN,
        pages=lambda w: [reverse("candidates:members")],
    ),
    "reminder add": Form(
        lambda w: reverse("reminders:add", args=[w.plain.pk]),
        lambda w: st.fixed_dictionaries(
            {
                "title": text(200),
                "due_at": future_moments(),
                "user": st.sampled_from([str(w.users[RECRUITER].pk), str(w.users[MANAGER].pk)]),
                "body": text(2000, required=False),
            }
        ),
        pages=lambda w: [
            reverse("reminders:list"),
            reverse("candidates:detail", args=[w.plain.pk]),
        ],
    ),
    "reminder snooze": Form(
        lambda w: reverse("reminders:snooze", args=[w.reminder.pk]),
        lambda w: with_next(st.fixed_dictionaries({"for": st.sampled_from(["1d", "1w"])})),
        pages=lambda w: [reverse("reminders:list")],
    ),
    "reminder done": Form(
        lambda w: reverse("reminders:done", args=[w.reminder.pk]),
        lambda w: with_next(st.fixed_dictionaries({})),
        user=MANAGER,
    ),
    "login": Form(
        lambda w: reverse("login"),
        lambda w: st.fixed_dictionaries(
            {
                "username": st.sampled_from(
                    [w.users[RECRUITER].username, w.users[RECRUITER].username.upper()]
                ),
                "password": st.just(PASSWORD),
                "next": st.sampled_from(NEXT_URLS),
            }
        ),
        user=None,
    ),
    "password change": Form(
        lambda w: reverse("password_change"),
        lambda w: strong_password().map(
            lambda p: {"old_password": PASSWORD, "new_password1": p, "new_password2": p}
        ),
    ),
    "password reset": Form(
        lambda w: reverse("password_reset"),
        lambda w: st.fixed_dictionaries({"email": st.just(w.users[HEADHUNTER].email)}),
        user=None,
    ),
    # GET forms: filters, search and pickers.
    "candidate list filters": Form(
        lambda w: reverse("candidates:list"),
        lambda w: st.fixed_dictionaries(
            {
                "q": optional(text(200)),
                "status": optional(st.sampled_from(["clean", "stumbled", "burned", "requested"])),
                "advice": optional(st.sampled_from(["resubmit", "caution", "do_not_resubmit"])),
                "owner": optional(pk(w.users[RECRUITER])),
                "client": optional(pk(w.client)),
                "job": optional(pk(w.job)),
                "sort": st.sampled_from(["", "risk", "name", "latest"]),
                "page": optional(st.integers(0, 5).map(str)),
                "after": st.just(""),
                "before": st.just(""),
                "per_page": optional(st.sampled_from(["10", "25", "100"])),
            }
        ),
        method="get",
    ),
    "candidate export filters": Form(
        lambda w: reverse("candidates:export"),
        lambda w: st.fixed_dictionaries(
            {
                "q": optional(text(200)),
                "status": optional(st.just("stumbled")),
                "job": optional(pk(w.job)),
            }
        ),
        method="get",
    ),
    "resubmit picker": Form(
        lambda w: reverse("candidates:resubmit"),
        lambda w: st.fixed_dictionaries(
            {
                "q": optional(text(200)),
                "candidate": optional(pk(w.plain)),
                "job": optional(pk(w.job)),
                "find": optional(st.just("1")),
            }
        ),
        user=HEADHUNTER,
        method="get",
    ),
    "job create client picker": Form(
        lambda w: reverse("candidates:job_create"),
        lambda w: st.fixed_dictionaries({"client": pk(w.client)}),
        method="get",
    ),
    "reminder list switches": Form(
        lambda w: reverse("reminders:list"),
        lambda w: st.fixed_dictionaries(
            {"who": optional(st.just("team")), "show": optional(st.just("closed"))}
        ),
        user=MANAGER,
        method="get",
    ),
    "review queue page": Form(
        lambda w: reverse("candidates:review"),
        lambda w: st.fixed_dictionaries({"page": optional(st.integers(1, 3).map(str))}),
        user=MANAGER,
        method="get",
    ),
    # The loop's public forms (no login): the candidate's request and the client's decision,
    # each by its private link. They answer a recorded submission with a page (200).
    "the candidate's request by link": Form(
        lambda w: reverse("outreach:request", args=[token_for(w.link.salt)]),
        lambda w: st.fixed_dictionaries(
            {"words": text(4000), "availability": text(500, required=False)}
        ),
        user=None,
        writes_on=200,
    ),
    "the client's decision by link": Form(
        lambda w: reverse("outreach:brief", args=[token_for(w.brief.salt)]),
        lambda w: st.fixed_dictionaries(
            {
                "decision": st.sampled_from(["grant", "refuse"]),
                "name": text(200),
                "note": text(2000, required=False),
                "interview_at": optional(future_moments()),
            }
        ),
        user=None,
        writes_on=200,
    ),
    "candidate email template": Form(
        lambda w: reverse("outreach:template_edit", args=["grant"]),
        lambda w: st.builds(
            lambda d, button: {**d, button: ""},
            st.fixed_dictionaries({"subject": text(300), "body": text(4000)}),
            st.sampled_from(["save", "preview"]),
        ),
        user=MANAGER,
    ),
    "request link": Form(
        lambda w: reverse("outreach:request_link", args=[w.stumbled.pk]),
        lambda w: st.fixed_dictionaries({"job": pk(w.job), "email": optional(st.just("on"))}),
        pages=candidate_pages("stumbled"),
    ),
    "brief": Form(
        lambda w: reverse("outreach:brief_make", args=[w.requested.pk]),
        lambda w: st.fixed_dictionaries(
            {"job": pk(w.job), "show": st.lists(st.sampled_from(["notes", "other_jobs", "x"]))}
        ),
        user=HEADHUNTER,
        method="get",
    ),
}


MODES = ("valid", "one bad field", "mess", "NUL in every value", "oversized values")


@st.composite
def submissions(draw, form: Form, world: World, foreign: World) -> dict:
    """Valid (with awkward text), valid but for one field, a mess of hostile values and other
    organizations' ids, NUL characters slipped into every value, or every value oversized."""
    data = dict(draw(form.fields(world)))
    foreign_ids = [
        str(obj.pk)
        for obj in (
            foreign.plain,
            foreign.requested,
            foreign.job,
            foreign.client,
            foreign.event,
            foreign.note,
            foreign.reminder,
            foreign.users[RECRUITER],
            foreign.member,
        )
    ]
    bad = st.one_of(st.just(MISSING), hostile, st.sampled_from(foreign_ids))
    mode = draw(st.sampled_from(MODES), label="mode")
    names = sorted(data) or ["junk"]
    if mode == "NUL in every value":
        for name in names:
            value = str(data.get(name, ""))
            at = draw(st.integers(0, len(value)))
            data[name] = value[:at] + "\x00" + value[at:]
        return data
    if mode == "oversized values":
        for name in names:
            data[name] = draw(
                st.sampled_from(["x" * 20_000, "9" * 40, "-" + "9" * 30, "\u202e" * 5_000])
            )
        return data
    if mode == "one bad field":
        spoilt = {draw(st.sampled_from(names))}
    elif mode == "mess":
        spoilt = {name for name in names if draw(st.booleans())}
        if draw(st.booleans()):
            spoilt.add(draw(st.sampled_from(["csrfmiddlewaretoken", "organization", "id", "pk"])))
    else:
        spoilt = set()
    for name in spoilt:
        value = draw(bad)
        if value is MISSING:
            data.pop(name, None)
        else:
            data[name] = value
    return data


# --- The checks -----------------------------------------------------------------------------


def body_of(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def posted_markup(data: dict) -> set[str]:
    values = []
    for value in data.values():
        values.extend(value if isinstance(value, list) else [value])
    return {payload for payload in XSS for value in values if payload in str(value)}


def assert_escaped(page: str, markup: set[str], where: str) -> None:
    for payload in markup:
        assert payload not in page, f"{payload!r} is shown unescaped in {where}"


def assert_stored_status_is_the_engines(org) -> None:
    candidates = list(Candidate.objects.filter(organization=org).order_by("pk"))
    facts = services.facts_for(c.pk for c in candidates)
    for candidate in candidates:
        events, notes = facts[candidate.pk]
        result = evaluate(events, notes, as_of=candidate.status_as_of or services.today())
        stored = (candidate.status, candidate.risk_score, candidate.advice, candidate.live_missteps)
        engine = (result.status, result.risk_score, result.advice, result.live_missteps)
        assert stored == engine, f"{candidate.email}: stored {stored}, engine {engine}"


def assert_stays_on_site(response) -> None:
    if response.status_code in (301, 302) and response.has_header("Location"):
        parts = urlsplit(response["Location"])
        assert parts.netloc in ("", "testserver"), response["Location"]
        assert parts.scheme in ("", "http", "https"), response["Location"]
        assert not response["Location"].startswith(("//", "/\\")), response["Location"]


def submit(form_name: str, form: Form, world: World, foreign: World, data: dict) -> None:
    TRIED[form_name] += 1
    user = world.users[form.user] if form.user else None
    before = fingerprint()
    savepoint = transaction.savepoint()
    cache.clear()  # the public pages' rate limit: each example starts at 0
    try:
        http = HttpClient()
        if user is not None:
            http.force_login(user)
        url = form.url(world)
        response = getattr(http, form.method)(url, data)
        answer = response.status_code
        assert answer in (200, 302, 404), f"{form_name} answered {answer}"
        page = body_of(response)
        markup = posted_markup(data)
        assert_escaped(page, markup, f"the answer to {form_name}")
        leaked = [s for s in foreign.secrets if s.lower() in page.lower()]
        assert not leaked, f"{form_name} shows another organization's {leaked}"
        assert_stays_on_site(response)
        if form.method == "post" and answer != form.writes_on:
            assert fingerprint() == before, f"{form_name} answered {answer} but wrote"
        assert_stored_status_is_the_engines(world.org)
        if answer == 302 and markup:
            location = response["Location"]
            pages = form.pages(world)
            if urlsplit(location).netloc in ("", "testserver"):
                pages.append(location)
            for later in pages:
                shown = http.get(later)
                assert shown.status_code in (200, 302, 404), f"{later} answered {shown.status_code}"
                assert_escaped(body_of(shown), markup, later)
    finally:
        transaction.savepoint_rollback(savepoint)


class Seeded:
    """Both organizations, shown in a failing example as one short line."""

    def __init__(self, org, other_org):
        self.northwind, self.rival = two_worlds(org, other_org)

    def __repr__(self) -> str:
        return "<Northwind and Rival, seeded>"


@pytest.fixture
def worlds(org, other_org) -> Seeded:
    return Seeded(org, other_org)


@pytest.fixture(scope="module", autouse=True)
def report_examples(request):
    yield
    if not TRIED:
        return
    lines = [f"fuzzed forms: {sum(TRIED.values())} submissions to {len(TRIED)} forms"]
    lines += [f"  {count:4d}  {name}" for name, count in sorted(TRIED.items())]
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n" + "\n".join(lines))


@pytest.mark.parametrize("form_name", sorted(FORMS))
@FUZZ
@given(data=st.data())
def test_hostile_input_never_breaks_a_form(worlds, form_name, data):
    northwind, rival = worlds.northwind, worlds.rival
    form = FORMS[form_name]
    submission = data.draw(submissions(form, northwind, rival), label="submission")
    submit(form_name, form, northwind, rival, submission)


@pytest.mark.parametrize(
    "path",
    [
        "/candidates/{id}/",
        "/candidates/{id}/edit/",
        "/candidates/{id}/events/{id}/",
        "/jobs/{id}/",
        "/clients/{id}/edit/",
        "/members/{id}/",
        "/reminders/candidates/{id}/new/",
    ],
)
@pytest.mark.parametrize("number", ["0", str(2**63), "9" * 40])
def test_out_of_range_ids_in_urls_are_404(client, org_admin, path, number):
    client.force_login(org_admin)
    assert client.get(path.replace("{id}", number)).status_code == 404


# --- What the fuzzers found, kept as plain tests ---------------------------------------------


@pytest.mark.parametrize("next_url", ["candidates", "evil", "<svg onload=alert(1)>"])
def test_a_next_that_is_not_a_path_redirects_relatively_instead_of_failing(
    client, org, recruiter, next_url
):
    # redirect() took a `next` without "/" or "." for a view name: NoReverseMatch, a 500.
    candidate = services.candidate_create(organization=org, email="a@example.com", name="A")
    client.force_login(recruiter)
    response = client.post(
        reverse("candidates:flag", args=[candidate.pk]), {"reason": "No", "next": next_url}
    )
    assert response.status_code == 302
    assert urlsplit(response["Location"]).netloc == ""


def test_a_reminder_action_with_a_next_that_is_not_a_path_redirects(client, org, recruiter):
    from .factories import ReminderFactory

    reminder = ReminderFactory(user=recruiter)
    client.force_login(recruiter)
    response = client.post(reverse("reminders:done", args=[reminder.pk]), {"next": "list"})
    assert response.status_code == 302


def test_a_username_longer_than_the_throttle_stores_is_a_failed_login_not_a_500(client, recruiter):
    # django-axes stored it whole in a 255-character column: PostgreSQL refused (a 500).
    response = client.post(reverse("login"), {"username": "x" * 20_000, "password": "guess"})
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated


def test_a_nul_in_the_resubmit_search_is_ignored_not_sent_to_the_database(client, headhunter):
    # PostgreSQL refuses NUL in a query's text: the search sent it as typed (a 500).
    client.force_login(headhunter)
    assert client.get(reverse("candidates:resubmit"), {"q": "ann\x00"}).status_code == 200


def test_a_client_id_of_unicode_digits_is_ignored_on_the_new_job_page(client, recruiter):
    # "²".isdigit() is true but int("²") fails: the preselected client was a 500.
    client.force_login(recruiter)
    for value in ("²", "١٢", "¹²³"):
        assert client.get(reverse("candidates:job_create"), {"client": value}).status_code == 200
