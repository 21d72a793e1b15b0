"""The CSV importer under random and hostile files, fuzzed with hypothesis.

Files are built from cells that are sometimes right and often not: unknown kinds, impossible
dates, reasons where none belongs, huge and empty cells, NUL and control characters, HTML and
script tags, right-to-left text, quotes that never close, rows too short or too long, headers
shuffled, missing or doubled. For each file:

- the importer never raises;
- either it succeeds, and then exactly what it says it created is in the database (with its
  "created" rows in the audit trail), every candidate's stored status is the engine's, and
  importing the same files again adds nothing;
- or it reports errors, each on a line that exists in the file (the header is line 1), and
  nothing at all is written.

Through the upload page, random bytes (not UTF-8, a byte-order mark, NUL…) are answered with
a page (200: nothing written) or a redirect (302: an import job), never a 500, and what the
file said is never shown unescaped. Hostile files of the largest size the form takes
(unreadable quotes, huge lines, many columns, binary, 50,000 good rows and one bad…) are
answered in under 5 seconds with under 100 MB of memory added (tracemalloc), listing at most
`importer.MAX_LISTED` problems. `FUZZ_EXAMPLES` (default 40) sets the examples per test (the
importer itself gets four times as many: it is fast); the module prints the counts.
"""

from __future__ import annotations

import csv
import gc
import io
import os
import time
import tracemalloc
from collections import Counter
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client as HttpClient
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from candidates import importer, services
from candidates.engine import FLAG_KINDS, MISSTEPS, Dimension, Kind, Reason, evaluate
from candidates.forms import IMPORT_MAX_BYTES
from candidates.importer import EVENT_COLUMNS, NOTE_COLUMNS, import_history
from candidates.models import Candidate, Client, Event, Job, Organization, RiskNote

from .factories import UserFactory

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
TRIED: Counter[str] = Counter()
MODELS = (Candidate, Client, Job, Event, RiskNote)

XSS = ("<script>alert('xss')</script>", "<img src=x onerror=alert(1)>", '"><svg onload=alert(1)>')
HOSTILE = (
    *XSS,
    "",
    " ",
    "\x00",
    "a\x00b",
    "x" * 300,
    "x" * 12_000,
    "\u202eevil",
    "مرحبا",
    "Robert'); DROP TABLE candidates_event;--",
    '"',
    'say "hi"',
    "a,b",
    "line\nbreak",
    "\r",
    "9" * 40,
    "-1",
    "2026-02-30",
    "20260302",
    "2026-W10-1",
    "9999-12-31",
    "NULL",
)
no_nul = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
anything = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40))


def past_dates() -> st.SearchStrategy[str]:
    return st.dates(min_value=date(2020, 1, 1), max_value=services.today()).map(date.isoformat)


def maybe(valid: st.SearchStrategy[str], spoil: float) -> st.SearchStrategy[str]:
    """Mostly `valid`, sometimes anything at all."""
    return st.one_of(valid, anything) if spoil else valid


@st.composite
def event_row(draw, spoil: bool) -> list[str]:
    kind = draw(
        st.sampled_from([k.value for k in Kind] + (["No_Show", "ghosted"] if spoil else []))
    )
    known = kind in {k.value for k in Kind}
    misstep = known and Kind(kind) in MISSTEPS
    flag = known and Kind(kind) in FLAG_KINDS
    reason = draw(st.sampled_from([r.value for r in Reason])) if misstep else ""
    client, job = "", ""
    if not flag or draw(st.booleans()):
        client = draw(st.sampled_from(["Acme", "acme", "Globex", XSS[1], "Zoë & Søn"]))
        job = draw(st.sampled_from(["Welder", "Picker", "\u202eRTL job", XSS[0]]))
    cells = {
        "candidate_email": draw(
            st.sampled_from(["ann@example.com", "BOB@example.com", "carl@example.org"])
        ),
        "candidate_name": draw(st.sampled_from(["Ann Lee", "", XSS[2], "Zoë Ångström"])),
        "client": client,
        "job_title": job,
        "kind": kind,
        "occurred_on": draw(past_dates()),
        "reason": reason,
        "notes": draw(st.text(alphabet=no_nul, max_size=60)),
    }
    if spoil:
        for column in draw(st.sets(st.sampled_from(EVENT_COLUMNS), max_size=3)):
            cells[column] = draw(anything)
    return [cells[c] for c in EVENT_COLUMNS]


@st.composite
def note_row(draw, spoil: bool) -> list[str]:
    cells = {
        "candidate_email": draw(st.sampled_from(["ann@example.com", "dora@example.com"])),
        "dimension": draw(st.sampled_from([d.value for d in Dimension])),
        "level": str(draw(st.integers(1, 5))),
        "author_email": draw(st.sampled_from(["rita@northwind.test", "x@example.com"])),
        "noted_on": draw(past_dates()),
        "note": draw(st.text(alphabet=no_nul, max_size=60)),
    }
    if spoil:
        for column in draw(st.sets(st.sampled_from(NOTE_COLUMNS), max_size=3)):
            cells[column] = draw(anything)
    return [cells[c] for c in NOTE_COLUMNS]


@st.composite
def csv_file(draw, columns: tuple[str, ...], row) -> str:
    """A CSV file: a header (usually right, sometimes shuffled, short or padded) and rows
    (usually well-formed, sometimes cut short, padded or with broken quoting)."""
    header = list(columns)
    header_fault = draw(st.sampled_from(["none"] * 6 + ["shuffled", "missing", "extra", "upper"]))
    if header_fault == "shuffled":
        header = draw(st.permutations(header))
    elif header_fault == "missing":
        header.pop(draw(st.integers(0, len(header) - 1)))
    elif header_fault == "extra":
        header.append(draw(st.sampled_from(["extra", "candidate_email", ""])))
    elif header_fault == "upper":
        header = [f" {name.upper()} " for name in header]
    spoil = draw(st.booleans())
    rows = draw(st.lists(row(spoil), max_size=12))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(header)
    for cells in rows:
        if header_fault == "shuffled":
            cells = [cells[list(columns).index(name)] for name in header]
        shape = draw(st.sampled_from(["ok"] * 8 + ["short", "long", "raw", "blank"]))
        if shape == "short":
            cells = cells[: draw(st.integers(0, len(cells) - 1))]
        elif shape == "long":
            cells = [*cells, "surplus"]
        elif shape == "blank":
            cells = [""] * len(cells)
        if shape == "raw":
            # Written without quoting: commas, quotes and line breaks in cells break the row.
            out.write(",".join(cells) + "\n")
        else:
            writer.writerow(cells)
    return out.getvalue()


def state() -> tuple:
    return tuple(m.objects.count() for m in (Organization, *MODELS)) + tuple(
        m.history.count() for m in MODELS
    )


def assert_stored_status_is_the_engines(org) -> None:
    candidates = list(Candidate.objects.filter(organization=org))
    facts = services.facts_for(c.pk for c in candidates)
    for c in candidates:
        result = evaluate(*facts[c.pk], as_of=c.status_as_of or services.today())
        assert (c.status, c.risk_score, c.advice) == (
            result.status,
            result.risk_score,
            result.advice,
        ), c.email


def lines_in(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n") + 1


@pytest.fixture(scope="module", autouse=True)
def report_examples(request):
    yield
    if TRIED:
        total = TRIED["importer, events and risk notes files"] + TRIED["upload page, random bytes"]
        lines = [f"fuzzed imports: {total} files"]
        lines += [
            f"  {TRIED[name]:4d}  {name}"
            for name in (
                "importer, events and risk notes files",
                "  of which imported",
                "  of which refused",
                "upload page, random bytes",
                "  of which uploaded",
                "  of which refused (page)",
            )
        ]
        capture = request.config.pluginmanager.getplugin("capturemanager")
        with capture.global_and_fixture_disabled():
            print("\n" + "\n".join(lines))


@settings(
    max_examples=EXAMPLES * 4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    events=csv_file(EVENT_COLUMNS, event_row),
    notes=st.one_of(st.none(), csv_file(NOTE_COLUMNS, note_row)),
)
def test_a_random_file_imports_completely_or_not_at_all(org, recruiter, events, notes):
    TRIED["importer, events and risk notes files"] += 1
    savepoint = transaction.savepoint()
    try:
        before = state()
        counts_before = {m: m.objects.count() for m in MODELS}

        def run():
            return import_history(
                organization=org,
                events=io.StringIO(events, newline=""),
                risk_notes=io.StringIO(notes, newline="") if notes is not None else None,
                recorded_by=recruiter,
            )

        result = run()
        TRIED["  of which imported" if result.ok else "  of which refused"] += 1
        if not result.ok:
            assert state() == before, "a refused import wrote something"
            files = {"events": lines_in(events), "risk notes": lines_in(notes or "")}
            for error in result.errors:
                assert error.file in files, error
                assert 1 <= error.line <= files[error.file], (error, files[error.file])
                assert error.message.strip(), error
            return
        created = {
            Candidate: result.candidates_created,
            Client: result.clients_created,
            Job: result.jobs_created,
            Event: result.events_created,
            RiskNote: result.notes_created,
        }
        for model, count in created.items():
            assert model.objects.count() - counts_before[model] == count, model.__name__
            assert model.history.filter(history_type="+").count() == model.objects.count()
        assert_stored_status_is_the_engines(org)
        again = run()
        assert again.ok
        assert (again.candidates_created, again.events_created, again.notes_created) == (0, 0, 0)
    finally:
        transaction.savepoint_rollback(savepoint)


BYTES = st.one_of(
    st.binary(max_size=400),
    st.builds(
        lambda head, body, tail: head + body + tail,
        st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe"]),
        st.sampled_from(
            [
                (",".join(EVENT_COLUMNS) + "\n").encode(),
                (",".join(EVENT_COLUMNS) + "\r\n").encode("utf-16"),
                b"candidate_email;candidate_name;client\n",
            ]
        ),
        st.one_of(
            st.binary(max_size=200),
            st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
            st.sampled_from(
                [
                    f"ann@example.com,Ann,{XSS[0]},{XSS[1]},no_show,2026-03-02,,\n".encode(),
                    f"ann@example.com,Ann,Acme,Welder,{XSS[2]},2026-03-02,,\n".encode(),
                    b"ann@example.com,Ann,Acme,Welder,no_show,2026-03-02,commute,\xc3\x28\n",
                    b"ann@example.com,Ann,Acme,Welder,attended,2026-03-02,,a\x00b\n",
                ]
            ),
        ),
    ),
)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(events=BYTES, notes=st.one_of(st.none(), st.binary(max_size=200)))
def test_random_bytes_uploaded_never_break_the_import_page(org, events, notes):
    TRIED["upload page, random bytes"] += 1
    headhunter = UserFactory.build(organization=org, role="headhunter")
    savepoint = transaction.savepoint()
    try:
        headhunter.save()
        http = HttpClient()
        http.force_login(headhunter)
        before = state()
        files = {"events": SimpleUploadedFile("events.csv", events, "text/csv")}
        if notes is not None:
            files["risk_notes"] = SimpleUploadedFile("notes.csv", notes, "text/csv")

        response = http.post(reverse("candidates:import"), files)
        TRIED[
            "  of which uploaded" if response.status_code == 302 else "  of which refused (page)"
        ] += 1

        assert response.status_code in (200, 302)
        page = response.content.decode()
        for payload in XSS:
            assert payload not in page
        if response.status_code == 200:
            assert state() == before
        else:
            assert_stored_status_is_the_engines(org)
    finally:
        transaction.savepoint_rollback(savepoint)


def test_a_file_of_a_thousand_rows_with_one_bad_line_names_it_and_writes_nothing(org):
    today = services.today()
    rows = [",".join(EVENT_COLUMNS)]
    for i in range(1000):
        day = (today - timedelta(days=i % 300 + 1)).isoformat()
        rows.append(f"p{i % 97}@example.com,Person {i % 97},Acme,Welder,attended,{day},,")
    rows[731] = rows[731].replace("attended", "atended")
    before = state()

    result = import_history(organization=org, events=io.StringIO("\n".join(rows) + "\n"))

    assert [(e.file, e.line) for e in result.errors] == [("events", 732)]
    assert state() == before


# --- Size and time bounds -----------------------------------------------------------------
# A hostile upload of the largest size the form takes is answered in under 5 seconds, with
# under 100 MB of memory added, listing at most MAX_LISTED problems and counting the rest.

SECONDS = 5
MEMORY = 100 * 1024 * 1024
LARGEST = IMPORT_MAX_BYTES - 4096
HEADER_LINE = ",".join(EVENT_COLUMNS) + "\n"


def filled(unit: str | bytes, prefix: str | bytes = b"") -> bytes:
    unit = unit.encode() if isinstance(unit, str) else unit
    prefix = prefix.encode() if isinstance(prefix, str) else prefix
    body = unit * ((LARGEST - len(prefix)) // len(unit))
    return prefix + body


def good_rows_then_a_bad_one() -> bytes:
    today = services.today()
    rows = [
        f"p{i}@example.com,Person {i},Acme,Welder,attended,"
        f"{(today - timedelta(days=i % 300 + 1)).isoformat()},,\n"
        for i in range(importer.MAX_ROWS - 1)
    ]
    return (
        HEADER_LINE + "".join(rows) + "p1@example.com,,Acme,Welder,atended,2026-01-01,,\n"
    ).encode()


HOSTILE_FILES = {
    "unparseable quotes": lambda: filled('"a"b\n', HEADER_LINE),
    "a quote never closed": lambda: filled("x\n", HEADER_LINE + 'a@b.co,"'),
    "one huge line": lambda: filled("x"),
    "a huge row": lambda: filled("x", HEADER_LINE),
    "many columns per row": lambda: filled("x," * 2500 + "\n", HEADER_LINE),
    "a line of many columns": lambda: filled("x,", HEADER_LINE),
    "a header of many columns": lambda: filled("kind,"),
    "blank lines": lambda: filled("\n", HEADER_LINE),
    "carriage returns": lambda: filled("\r", HEADER_LINE),
    "two-byte letters": lambda: filled("é,", HEADER_LINE),
    "astral characters": lambda: filled("😀,\n", HEADER_LINE),
    "binary": lambda: filled(bytes(range(256))),
    "NUL bytes": lambda: filled("\x00,\n", HEADER_LINE),
    "50,000 good rows and a bad one": good_rows_then_a_bad_one,
}


def hostile_upload(http, content: bytes):
    return http.post(
        reverse("candidates:import"),
        {"events": SimpleUploadedFile("events.csv", content, "text/csv")},
    )


@pytest.mark.parametrize("kind", HOSTILE_FILES)
def test_a_hostile_file_of_the_largest_size_is_answered_fast_and_briefly(org, kind):
    http = HttpClient()
    http.force_login(UserFactory(organization=org, role="recruiter"))
    content = HOSTILE_FILES[kind]()
    assert len(content) <= IMPORT_MAX_BYTES
    before = state()

    started = time.monotonic()
    response = hostile_upload(http, content)
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    page = response.content.decode()
    listed = page.count('<td data-label="Line" class="num">')
    assert listed <= importer.MAX_LISTED
    assert len(response.content) < 300_000
    assert elapsed < SECONDS, f"{kind}: {elapsed:.1f} s"
    assert state() == before
    TRIED[f"hostile 10 MB file: {kind} ({elapsed:.1f} s, {listed} listed)"] += 1


@pytest.mark.parametrize("kind", HOSTILE_FILES)
def test_a_hostile_file_of_the_largest_size_costs_under_100_mb(org, kind):
    http = HttpClient()
    http.force_login(UserFactory(organization=org, role="recruiter"))
    content = HOSTILE_FILES[kind]()
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        response = hostile_upload(http, content)
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert response.status_code == 200
    assert peak < MEMORY, f"{kind}: {peak / 1024 / 1024:.0f} MB"
    TRIED[f"hostile 10 MB file: {kind} (peak {peak / 1024 / 1024:.0f} MB)"] += 1


def test_only_the_first_problems_are_kept_with_the_count_of_all(org):
    lines = [HEADER_LINE] + [f"bad{i},,,,,,,\n" for i in range(3000)]
    result = import_history(organization=org, events=io.StringIO("".join(lines)))
    assert len(result.errors) == importer.MAX_LISTED
    # Each line has several problems; the first ones listed are those of the first lines.
    assert result.errors[0].line == 2
    assert [e.line for e in result.errors] == sorted(e.line for e in result.errors)
    assert result.problem_count > 3000
    assert result.more_problems == result.problem_count - importer.MAX_LISTED


def test_every_physical_line_counts_towards_the_row_limit(org):
    blank = ",,,,,,,\n" * importer.MAX_ROWS
    row = "ana@example.com,Ana,Acme,Picker,attended,2026-10-01,,\n"
    result = import_history(organization=org, events=io.StringIO(HEADER_LINE + blank + row))
    assert [(e.line, e.message) for e in result.errors] == [
        (50_002, "the file has more than 50,000 rows; split it into smaller files")
    ]
    assert not Candidate.objects.exists()
