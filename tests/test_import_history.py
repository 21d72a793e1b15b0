"""The history importer (`candidates.importer`) and `manage.py import_history`.

The contract: "An import is all or nothing: if any row is bad, nothing is written, every bad
row is reported with its line number and what is wrong, and the command exits non-zero.
Importing the same file twice adds nothing the second time."
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from candidates import importer, services
from candidates.importer import ImportResult, RowError, import_history
from candidates.management.commands.import_history import Command as ImportCommand
from candidates.models import Candidate, Client, Event, Job, Organization, RiskNote

from .factories import ClientFactory, JobFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parent.parent
HEADER = "candidate_email,candidate_name,client,job_title,kind,occurred_on,reason,notes\n"
NOTES_HEADER = "candidate_email,dimension,level,author_email,noted_on,note\n"
TODAY = date(2026, 11, 25)


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    # Statuses depend on "today": the fixtures' dates are read as of 2026-11-25.
    time_machine.move_to(datetime(2026, 11, 25, 12, tzinfo=UTC), tick=False)


def events_csv(*rows: str, header: str = HEADER) -> io.StringIO:
    return io.StringIO(header + "".join(row + "\n" for row in rows))


def notes_csv(*rows: str) -> io.StringIO:
    return events_csv(*rows, header=NOTES_HEADER)


def run(org, events, notes=None, **kwargs) -> ImportResult:
    return import_history(organization=org, events=events, risk_notes=notes, **kwargs)


def table_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Organization, Candidate, Client, Job, Event, RiskNote)
    }


def messages(result: ImportResult) -> list[tuple[str, int, str]]:
    return [(e.file, e.line, e.message) for e in result.errors]


# --- A good file --------------------------------------------------------------------------


def test_good_file_creates_candidates_clients_jobs_and_events(org):
    with (DATA / "events_good.csv").open("rb") as events:
        result = run(org, events)

    assert result.ok, result.errors
    assert (result.candidates_created, result.clients_created, result.jobs_created) == (4, 3, 3)
    assert (result.events_created, result.notes_created, result.duplicates_skipped) == (9, 0, 0)
    assert sorted(Candidate.objects.filter(organization=org).values_list("email", "name")) == [
        ("ana@example.com", "Ana Lima"),
        ("ben@example.com", "Ben Okafor"),
        ("cara@example.com", "Cara Diaz"),
        ("dan@example.com", "Dan Wu"),
    ]
    assert sorted(Client.objects.filter(organization=org).values_list("name", flat=True)) == [
        "Acme",
        "Globex",
        "Initech",
    ]
    assert sorted(Job.objects.filter(organization=org).values_list("title", flat=True)) == [
        "Analyst",
        "Forklift operator",
        "Warehouse lead",
    ]


def test_good_file_stores_each_candidates_recovery_status(org):
    with (DATA / "events_good.csv").open("rb") as events:
        assert run(org, events).ok

    stored = {
        c.email: (c.status, c.risk_score, c.advice, c.live_missteps)
        for c in Candidate.objects.filter(organization=org)
    }
    assert stored == {
        # A no-show, then a granted second chance and an attended interview.
        "ana@example.com": ("recovered", 15, "resubmit", 1),
        # Late and a no-show last month: 10 + 30.
        "ben@example.com": ("stumbled", 40, "caution", 2),
        "cara@example.com": ("burned", 0, "do_not_resubmit", 0),
        "dan@example.com": ("clean", 0, "resubmit", 0),
    }
    ana = Candidate.objects.get(email="ana@example.com")
    assert ana.explanation == [
        "Attended interview on 2026-03-10 (Acme, Forklift operator) after a no-show on "
        "2026-03-02 (Acme, Forklift operator), reason: commute"
    ]
    assert ana.last_event_on == date(2026, 3, 10)


def test_events_keep_their_notes_jobs_and_recorder(org, org_admin):
    recruiter = org_admin  # the file holds a decision: an admin may import it
    with (DATA / "events_good.csv").open("rb") as events:
        assert run(org, events, recorded_by=recruiter).ok

    pitch = Event.objects.get(kind="second_chance_requested")
    assert pitch.notes == "I will take the early train, promise"
    assert (pitch.job.client.name, pitch.job.title) == ("Acme", "Forklift operator")
    flag = Event.objects.get(kind="do_not_resubmit")
    assert (flag.job, flag.reason, flag.notes) == (None, "", "Abusive to reception")
    assert set(Event.objects.values_list("recorded_by", flat=True)) == {recruiter.pk}
    # Same job, whatever the spelling in the file.
    assert (
        len(set(Event.objects.filter(candidate__email="ana@example.com").values_list("job"))) == 1
    )


@pytest.mark.parametrize(
    ("same_day", "status"),
    [
        (["attended,2026-10-03,", "late,2026-10-03,commute"], "stumbled"),
        (["late,2026-10-03,commute", "attended,2026-10-03,"], "recovered"),
    ],
)
def test_history_on_one_date_follows_the_files_order(org, same_day, status):
    result = run(
        org,
        events_csv(
            "ana@example.com,Ana,Acme,Picker,no_show,2026-10-01,illness,",
            *(f"ana@example.com,Ana,Acme,Picker,{row}," for row in same_day),
        ),
    )
    assert result.ok, result.errors
    assert Candidate.objects.get().status == status


def test_a_new_candidate_takes_the_name_of_the_first_row_that_names_it(org):
    result = run(
        org,
        events_csv(
            "ana@example.com,,Acme,Picker,scheduled,2026-10-01,,",
            "ana@example.com,Ana Lima,Acme,Picker,attended,2026-10-02,,",
            "ana@example.com,Ana L.,Acme,Picker,hired,2026-10-03,,",
        ),
    )
    assert result.ok
    assert Candidate.objects.get().name == "Ana Lima"


def test_flag_kinds_need_no_client_or_job(org):
    result = run(
        org,
        events_csv(
            "ana@example.com,Ana,,,do_not_resubmit,2026-10-01,,Shouted at the client",
            "ana@example.com,Ana,,,flag_cleared,2026-10-05,,Apologised",
            "ana@example.com,Ana,Acme,Picker,do_not_resubmit,2026-10-06,,Tied to a job",
        ),
    )
    assert result.ok
    assert result.events_created == 3
    assert Event.objects.filter(job__isnull=True).count() == 2


def test_header_columns_may_come_in_any_order_and_any_case(org):
    result = run(
        org,
        events_csv(
            "no_show,2026-10-01,commute,,Acme,Picker,Ana,ana@example.com",
            header=(
                " Kind,OCCURRED_ON,reason,notes,client,job_title,candidate_name,candidate_email\n"
            ),
        ),
    )
    assert result.ok
    event = Event.objects.get()
    assert (event.kind, event.reason, event.candidate.name) == ("no_show", "commute", "Ana")


def test_blank_rows_are_skipped(org):
    result = run(
        org,
        events_csv(
            "ana@example.com,Ana,Acme,Picker,attended,2026-10-01,,",
            "",
            ",,,,,,,",
            "ben@example.com,Ben,Acme,Picker,attended,2026-10-01,,",
        ),
    )
    assert result.ok
    assert result.events_created == 2


def test_a_header_only_file_imports_nothing(org):
    result = run(org, events_csv())
    assert result.ok
    assert result.events_created == 0


# --- Risk notes ---------------------------------------------------------------------------


def test_risk_notes_are_imported_and_count_in_the_risk_score(org, recruiter, headhunter):
    with (
        (DATA / "events_good.csv").open("rb") as events,
        (DATA / "risk_notes_good.csv").open("rb") as notes,
    ):
        result = run(org, events, notes)

    assert result.ok, result.errors
    assert result.notes_created == 3
    ben = Candidate.objects.get(email="ben@example.com")
    # 40 for the missteps; flakiness: (4 + 2) / 2 = 3, so (3 - 1) x 10 / 3 = 6.67.
    assert ben.risk_score == 47
    ana = Candidate.objects.get(email="ana@example.com")
    assert ana.risk_score == 22  # 15 + 6.67


def test_risk_note_author_is_linked_when_a_member_has_that_email(org, recruiter, outsider):
    with (
        (DATA / "events_good.csv").open("rb") as events,
        (DATA / "risk_notes_good.csv").open("rb") as notes,
    ):
        assert run(org, events, notes).ok

    authors = {n.author_email: n.author for n in RiskNote.objects.all()}
    assert authors == {
        "rita@northwind.test": recruiter,  # "Rita@Northwind.test" in the file
        "hugo@northwind.test": None,  # no such member here
        "ext@agency.test": None,
    }


def test_risk_note_author_from_another_organization_is_not_linked(org, outsider):
    Candidate.objects.create(organization=org, email="ana@example.com", name="Ana")
    result = run(
        org, events_csv(), notes_csv("ana@example.com,trust,2,oscar@rival.test,2026-10-01,")
    )
    assert result.ok
    assert RiskNote.objects.get().author is None


def test_risk_notes_may_concern_a_candidate_already_in_the_organization(org):
    services.candidate_create(organization=org, email="zed@example.com", name="Zed")
    result = run(org, events_csv(), notes_csv("ZED@example.com,trust,5,a@b.test,2026-10-01,x"))
    assert result.ok
    zed = Candidate.objects.get(email="zed@example.com")
    assert zed.risk_score == 13  # (5 - 1) x 10 / 3


def test_bad_risk_notes_file_reports_every_bad_line_and_writes_nothing(org):
    before = table_counts()
    with (
        (DATA / "events_good.csv").open("rb") as events,
        (DATA / "risk_notes_bad.csv").open("rb") as notes,
    ):
        result = run(org, events, notes)

    assert not result.ok
    assert [(e.file, e.line) for e in result.errors] == [
        ("risk notes", 2),
        ("risk notes", 3),
        ("risk notes", 4),
        ("risk notes", 5),
        ("risk notes", 6),
        ("risk notes", 7),
        ("risk notes", 8),
    ]
    text = [str(e) for e in result.errors]
    assert 'level "0" must be a whole number from 1' in text[0]
    assert 'dimension "punctuality" is not a risk dimension' in text[1]
    assert 'level "6"' in text[2]
    assert 'level "high"' in text[3]
    assert 'author_email "rita" is not an email address' in text[4]
    assert "zed@example.com is neither in the events file nor a candidate of" in text[5]
    assert 'noted_on "yesterday" is not a date in YYYY-MM-DD form' in text[6]
    assert table_counts() == before


# --- A bad file ---------------------------------------------------------------------------


def test_bad_file_reports_every_bad_line_with_what_is_wrong(org):
    with (DATA / "events_bad.csv").open("rb") as events:
        result = run(org, events)

    assert not result.ok
    assert messages(result) == [
        ("events", 3, 'candidate_email "ben@example" is not an email address'),
        (
            "events",
            4,
            'kind "noshow" is not an event kind (use one of: declined_interview, late, '
            "declined_offer, withdrew, blew_interview, unprepared, no_show, reneged, left_early, "
            "rejected, submitted, scheduled, attended, offer_made, hired, "
            "second_chance_requested, second_chance_granted, second_chance_refused, "
            "do_not_resubmit, flag_cleared, override)",
        ),
        ("events", 5, 'occurred_on "02/03/2026" is not a date in YYYY-MM-DD form, like 2026-03-02'),
        ("events", 6, 'occurred_on "2026-02-30" is not a real date'),
        (
            "events",
            7,
            'reason is required for kind "no_show" (use one of: commute, illness, change_of_heart, '
            "competing_offer, compensation, personal, unknown, other)",
        ),
        (
            "events",
            8,
            'reason must be empty for kind "attended": only missteps and rejections have a reason '
            "(put any explanation in notes)",
        ),
        (
            "events",
            9,
            'reason "traffic" is not a reason (use one of: commute, illness, change_of_heart, '
            "competing_offer, compensation, personal, unknown, other)",
        ),
        (
            "events",
            10,
            "candidate_name is empty and ivy@example.com is a new candidate: give a name",
        ),
        ("events", 11, 'client is empty (required for kind "attended")'),
        ("events", 11, 'job_title is empty (required for kind "attended")'),
        (
            "events",
            12,
            "occurred_on 2031-01-01 is in the future: no date may be after today (2026-11-25)",
        ),
        (
            "events",
            13,
            "the row has 7 values but the header has 8 columns "
            "(a comma inside a value needs quotes around the value)",
        ),
        ("events", 14, "candidate_email is empty"),
        (
            "events",
            15,
            'reason must be empty for kind "do_not_resubmit": only missteps and rejections '
            "have a reason "
            "(put any explanation in notes)",
        ),
    ]
    assert str(result.errors[0]) == (
        'events line 3: candidate_email "ben@example" is not an email address'
    )


def test_bad_file_writes_nothing_not_even_its_good_rows(org):
    ClientFactory(organization=org, name="Existing client")
    services.candidate_create(organization=org, email="old@example.com", name="Old")
    before = table_counts()

    with (DATA / "events_bad.csv").open("rb") as events:
        result = run(org, events)

    assert not result.ok
    assert table_counts() == before
    assert (result.candidates_created, result.events_created) == (0, 0)


def test_errors_in_both_files_are_all_reported_events_first(org):
    result = run(
        org,
        events_csv("ana@example.com,Ana,Acme,Picker,late,2026-10-01,,"),
        notes_csv("ana@example.com,trust,9,a@b.test,2026-10-01,"),
    )
    assert [(e.file, e.line) for e in result.errors] == [("events", 2), ("risk notes", 2)]
    assert Candidate.objects.count() == 0


def test_one_bad_row_does_not_make_its_candidates_other_rows_look_bad(org):
    # Line 2 names the candidate but has a bad date; line 3 relies on that name.
    result = run(
        org,
        events_csv(
            "ana@example.com,Ana,Acme,Picker,scheduled,2026-13-01,,",
            "ana@example.com,,Acme,Picker,attended,2026-10-02,,",
        ),
        notes_csv("ana@example.com,trust,2,a@b.test,2026-10-01,"),
    )
    assert [(e.file, e.line) for e in result.errors] == [("events", 2)]


def test_a_client_without_a_job_is_an_error_even_for_a_flag(org):
    result = run(org, events_csv("ana@example.com,Ana,Acme,,do_not_resubmit,2026-10-01,,x"))
    assert messages(result) == [
        ("events", 2, "client and job_title go together: give both or neither")
    ]


def test_a_date_today_is_accepted_and_tomorrow_refused_as_by_the_forms(org):
    """The one date rule (clock.latest_date), for events and notes alike."""
    result = run(
        org,
        events_csv("ana@example.com,Ana,Acme,Picker,scheduled,2026-11-25,,"),
        notes_csv("ana@example.com,trust,2,a@b.test,2026-11-25,"),
    )
    assert result.ok, result.errors
    result = run(
        org,
        events_csv("ben@example.com,Ben,Acme,Picker,scheduled,2026-11-26,,"),
        notes_csv("ana@example.com,trust,2,a@b.test,2026-11-26,"),
    )
    assert messages(result) == [
        (
            "events",
            2,
            "occurred_on 2026-11-26 is in the future: no date may be after today (2026-11-25)",
        ),
        (
            "risk notes",
            2,
            "noted_on 2026-11-26 is in the future: no date may be after today (2026-11-25)",
        ),
    ]


def test_the_uploaders_day_counts_as_in_their_forms(org, recruiter, time_machine):
    """At 20:00 UTC it is already tomorrow in Auckland: a recruiter there may import a row
    dated their today (their forms take it), not the day after; the command line (no member)
    keeps to the organization's day."""
    time_machine.move_to(datetime(2026, 11, 25, 20, tzinfo=UTC), tick=False)
    recruiter.time_zone = "Pacific/Auckland"
    recruiter.save()
    theirs = events_csv("ana@example.com,Ana,Acme,Picker,attended,2026-11-26,,")
    plan = importer.check(organization=org, events=theirs, recorded_by=recruiter)
    assert plan.ok, plan.errors
    later = events_csv("ana@example.com,Ana,Acme,Picker,attended,2026-11-27,,")
    plan = importer.check(organization=org, events=later, recorded_by=recruiter)
    assert [e.message for e in plan.errors] == [
        "occurred_on 2026-11-27 is in the future: no date may be after today (2026-11-26)"
    ]
    theirs.seek(0)
    assert not importer.check(organization=org, events=theirs).ok


def test_iso_forms_other_than_yyyy_mm_dd_are_refused(org):
    result = run(org, events_csv("ana@example.com,Ana,Acme,Picker,scheduled,20261001,,"))
    assert messages(result) == [
        ("events", 2, 'occurred_on "20261001" is not a date in YYYY-MM-DD form, like 2026-03-02')
    ]


def test_a_row_spanning_two_lines_is_reported_on_the_line_it_starts(org):
    result = run(
        org,
        events_csv(
            'ana@example.com,Ana,Acme,Picker,attended,2026-10-01,,"first line\nsecond line"',
            "ben@example.com,Ben,Acme,Picker,attended,2026-10-01,illness,",
        ),
    )
    assert [(e.file, e.line) for e in result.errors] == [("events", 4)]


# --- Columns and encodings ----------------------------------------------------------------


def test_an_extra_column_is_an_error_on_line_1(org):
    result = run(
        org,
        events_csv(
            "ana@example.com,Ana,Acme,Picker,attended,2026-10-01,,,London",
            header=HEADER.strip() + ",city\n",
        ),
    )
    assert messages(result) == [
        (
            "events",
            1,
            'unknown column: "city" (the header must have exactly these columns: '
            "candidate_email, candidate_name, client, job_title, kind, occurred_on, reason, notes)",
        )
    ]
    assert Candidate.objects.count() == 0


def test_a_missing_column_is_an_error_on_line_1(org):
    result = run(
        org,
        events_csv(
            "ana@example.com,Ana,Acme,Picker,attended,2026-10-01",
            header="candidate_email,candidate_name,client,job_title,kind,occurred_on\n",
        ),
    )
    assert [(e.line, e.message.split(" (")[0]) for e in result.errors] == [
        (1, "missing columns: reason, notes")
    ]


def test_a_repeated_column_is_an_error(org):
    result = run(org, events_csv(header=HEADER.strip() + ",notes\n"))
    assert [(e.line, e.message.split(" (")[0]) for e in result.errors] == [
        (1, "repeated column: notes")
    ]


def test_an_empty_file_is_an_error(org):
    result = run(org, io.StringIO(""))
    assert messages(result) == [
        (
            "events",
            1,
            "the file is empty; its first line must be the header: candidate_email, "
            "candidate_name, client, job_title, kind, occurred_on, reason, notes",
        )
    ]


@pytest.mark.parametrize("as_bytes", [True, False], ids=["binary", "text"])
def test_a_byte_order_mark_is_tolerated(org, as_bytes):
    content = "\ufeff" + HEADER + "ana@example.com,Ana,Acme,Picker,attended,2026-10-01,,\n"
    stream = io.BytesIO(content.encode("utf-8")) if as_bytes else io.StringIO(content)
    result = run(org, stream)
    assert result.ok, result.errors
    assert Candidate.objects.get().email == "ana@example.com"


def test_utf8_names_are_kept(org):
    content = HEADER + "jose@example.com,José Nuñez,Café Ltd,Barista,attended,2026-10-01,,\n"
    assert run(org, io.BytesIO(content.encode("utf-8"))).ok
    assert Candidate.objects.get().name == "José Nuñez"


def test_bytes_that_are_not_utf8_are_reported_with_their_line(org):
    content = (
        HEADER
        + "ana@example.com,Ana,Acme,Picker,attended,2026-10-01,,\n"
        + "jose@example.com,José,Acme,Picker,attended,2026-10-01,,\n"
    ).encode("latin-1")
    result = run(org, io.BytesIO(content))
    assert messages(result) == [
        (
            "events",
            3,
            "the file is not UTF-8 text (a character on this line cannot be read); "
            'save it again as "CSV UTF-8"',
        )
    ]
    assert Candidate.objects.count() == 0


def test_a_text_stream_that_fails_to_decode_is_an_error_not_a_crash(org, tmp_path):
    path = tmp_path / "events.csv"
    path.write_bytes(
        (HEADER + "jose@example.com,José,Acme,Picker,attended,2026-10-01,,\n").encode("latin-1")
    )
    with path.open(encoding="utf-8") as events:
        result = run(org, events)
    assert [(e.file, e.line) for e in result.errors] == [("events", 1)]
    assert "not UTF-8" in result.errors[0].message


def test_a_semicolon_separated_file_gets_a_hint(org):
    result = run(org, events_csv(header=HEADER.replace(",", ";")))
    assert [e.line for e in result.errors] == [1]
    assert result.errors[0].message.endswith(
        "(the values are separated by semicolons; save the file with commas)"
    )


def test_an_unclosed_quote_is_reported_on_the_line_it_opens(org):
    result = run(
        org,
        events_csv(
            "ana@example.com,Ana,Acme,Picker,attended,2026-10-01,,ok",
            'ben@example.com,Ben,Acme,Picker,attended,2026-10-01,,"never closed',
            "cal@example.com,Cal,Acme,Picker,attended,2026-10-01,,",
        ),
    )
    assert messages(result) == [
        (
            "events",
            3,
            'a quote (") opened in this row is never closed, '
            "so the rest of the file cannot be read",
        )
    ]


def test_a_badly_quoted_line_is_reported_and_the_next_lines_still_checked(org):
    result = run(
        org,
        events_csv(
            'ana@example.com,"Ana" Lima,Acme,Picker,attended,2026-10-01,,',
            "ben@example.com,Ben,Acme,Picker,attended,2026-10-01,illness,",
            'cal@example.com,Cal "The Rock" Diaz,Acme,Picker,attended,2026-10-01,,',
        ),
    )
    assert [(e.line, e.message) for e in result.errors] == [
        (2, "this line cannot be read as CSV (',' expected after '\"')"),
        (
            3,
            'reason must be empty for kind "attended": only missteps and rejections have a reason '
            "(put any explanation in notes)",
        ),
    ]


def test_a_nul_character_is_refused_not_sent_to_the_database(org):
    content = HEADER + "ana@example.com,Ana,Acme,Picker,attended,2026-10-01,,bad\x00note\n"
    result = run(org, io.BytesIO(content.encode()))
    assert messages(result) == [
        ("events", 2, "the row contains a NUL character: is this really a CSV file?")
    ]


# --- Safety limits ------------------------------------------------------------------------


def test_a_file_with_too_many_rows_is_refused(org):
    row = "ana@example.com,Ana,Acme,Picker,attended,2026-10-01,,\n"
    result = run(org, io.StringIO(HEADER + row * (importer.MAX_ROWS + 1)))
    assert messages(result) == [
        ("events", 50_002, "the file has more than 50,000 rows; split it into smaller files")
    ]
    assert Candidate.objects.count() == 0


def test_a_row_that_is_too_long_is_refused(org):
    long_note = "x" * 10_001
    result = run(
        org, events_csv(f"ana@example.com,Ana,Acme,Picker,attended,2026-10-01,,{long_note}")
    )
    assert [(e.line, e.message) for e in result.errors] == [
        (2, "the row is too long (10,047 characters; at most 10,000)")
    ]


def test_a_file_that_is_too_large_is_refused(org):
    result = run(org, io.BytesIO(b"x" * (importer.MAX_FILE_BYTES + 1)))
    assert messages(result) == [
        ("events", 1, "the file is larger than 25 MB; split it into smaller files")
    ]


# --- Importing again ----------------------------------------------------------------------


def test_importing_the_same_files_twice_adds_nothing_the_second_time(org):
    def once() -> ImportResult:
        with (
            (DATA / "events_good.csv").open("rb") as events,
            (DATA / "risk_notes_good.csv").open("rb") as notes,
        ):
            return run(org, events, notes)

    first = once()
    assert first.ok
    after_first = table_counts()

    second = once()
    assert second.ok
    assert table_counts() == after_first
    assert (
        second.candidates_created,
        second.clients_created,
        second.jobs_created,
        second.events_created,
        second.notes_created,
    ) == (0, 0, 0, 0, 0)
    assert second.duplicates_skipped == 9 + 3


def test_a_second_file_adds_only_what_is_new(org):
    assert run(org, events_csv("ana@example.com,Ana,Acme,Picker,no_show,2026-10-01,commute,")).ok
    result = run(
        org,
        events_csv(
            "ana@example.com,Ana,Acme,Picker,no_show,2026-10-01,commute,",
            "ana@example.com,Ana,Acme,Picker,second_chance_requested,2026-10-03,,Sorry",
        ),
    )
    assert (result.events_created, result.duplicates_skipped) == (1, 1)
    assert Candidate.objects.get().status == "requested"


def test_duplicate_rows_inside_one_file_are_added_once(org):
    row = "ana@example.com,Ana,Acme,Picker,late,2026-10-01,commute,Traffic"
    result = run(
        org,
        events_csv(row, "ANA@EXAMPLE.COM,Ana,ACME,PICKER,LATE,2026-10-01,COMMUTE,Traffic"),
        notes_csv(
            "ana@example.com,trust,2,a@b.test,2026-10-01,ok",
            "ana@example.com,TRUST,2,A@B.test,2026-10-01,ok",
        ),
    )
    assert result.ok
    assert (result.events_created, result.notes_created, result.duplicates_skipped) == (1, 1, 2)


def test_same_day_same_kind_with_different_notes_are_two_events(org):
    result = run(
        org,
        events_csv(
            "ana@example.com,Ana,Acme,Picker,scheduled,2026-10-01,,Morning round",
            "ana@example.com,Ana,Acme,Picker,scheduled,2026-10-01,,Afternoon round",
        ),
    )
    assert (result.events_created, result.duplicates_skipped) == (2, 0)


# --- Emails, clients and jobs -------------------------------------------------------------


def test_emails_are_case_insensitive_across_rows(org):
    result = run(
        org,
        events_csv(
            "Ana@Example.com,Ana,Acme,Picker,scheduled,2026-10-01,,",
            "ANA@EXAMPLE.COM,Ana,Acme,Picker,attended,2026-10-02,,",
        ),
    )
    assert result.candidates_created == 1
    assert Candidate.objects.get().email == "ana@example.com"


def test_rows_for_an_existing_candidate_join_it_and_keep_its_name(org):
    existing = services.candidate_create(organization=org, email="Ana@Example.com", name="Ana Lima")
    result = run(org, events_csv("ANA@example.COM,Someone Else,Acme,Picker,attended,2026-10-02,,"))
    assert (result.candidates_created, result.events_created) == (0, 1)
    existing.refresh_from_db()
    assert existing.name == "Ana Lima"
    assert existing.events.count() == 1
    assert existing.last_event_on == date(2026, 10, 2)


def test_a_candidate_of_another_organization_is_not_touched(org, other_org):
    theirs = services.candidate_create(organization=other_org, email="ana@example.com", name="Ana")
    result = run(org, events_csv("ana@example.com,Ana,Acme,Picker,no_show,2026-10-01,illness,"))
    assert result.candidates_created == 1
    assert theirs.events.count() == 0
    assert Candidate.objects.filter(email="ana@example.com").count() == 2


def test_existing_clients_and_jobs_are_reused_whatever_the_case(org, other_org):
    job = JobFactory(client=ClientFactory(organization=org, name="Acme"), title="Forklift operator")
    # Same names in another organization must not be picked up.
    JobFactory(client=ClientFactory(organization=other_org, name="Acme"), title="Forklift operator")

    result = run(
        org,
        events_csv(
            "ana@example.com,Ana,ACME,FORKLIFT OPERATOR,attended,2026-10-01,,",
            "ben@example.com,Ben,acme,Night picker,attended,2026-10-01,,",
            "cal@example.com,Cal,Globex,Night picker,attended,2026-10-01,,",
            "dee@example.com,Dee,globex,night PICKER,attended,2026-10-01,,",
        ),
    )
    assert (result.clients_created, result.jobs_created) == (1, 2)
    assert Event.objects.get(candidate__email="ana@example.com").job == job
    globex = Client.objects.get(organization=org, name="Globex")
    assert globex.jobs.get().title == "Night picker"
    assert Job.objects.filter(organization=org, title="Night picker").count() == 2
    assert set(Job.objects.filter(organization=org).values_list("state", flat=True)) == {"open"}


# --- Query count --------------------------------------------------------------------------


def history(candidates: int, prefix: str) -> list[str]:
    """Ten events per candidate over a few clients and jobs, as real histories look."""
    rows = []
    for i in range(candidates):
        email = f"{prefix}{i}@example.com"
        client = f"Client {i % 3}"
        for j, (kind, reason) in enumerate(
            # Late, not no-show: three no-shows would burn, and the guard would refuse the
            # requests after them.
            [("scheduled", ""), ("late", "commute"), ("second_chance_requested", "")] * 3
            + [("attended", "")]
        ):
            day = f"2026-09-{j + 1:02d}"
            rows.append(f"{email},Person {i},{client},Job {i % 4},{kind},{day},{reason},")
    return rows


def import_of(org, candidates: int) -> ImportResult:
    """`candidates` new candidates' histories, and notes on them and on one already there."""
    note = "trust,3,rita@northwind.test,2026-10-01,"
    return run(
        org,
        events_csv(*history(candidates, "c")),
        notes_csv(
            f"known@{org.slug}.test,{note}",
            *(f"c{i}@example.com,{note}" for i in range(candidates)),
        ),
    )


# Whatever the number of rows in a batch: the check's reads of the candidates already there
# (by primary and by other address), the guards on the guarded rows (the jobs, their history,
# the concerned candidates' events) and the new candidates' probable duplicates (at most
# three, candidates/duplicates.py, and the clients); then per batch a savepoint and its
# release, the organization's lock, reads of its candidates, clients, jobs, events, notes and
# members, one insert per table and one into its history (the audit trail's "created" rows),
# and the re-evaluation (lock, events, notes, update, the counts per status; the last dates
# and the latest grants come from the same events).
QUERY_BUDGET = 32


def statements(queries) -> list[str]:
    """The statements run, with an insert that the database split into several (SQLite caps
    the parameters of one statement at 999: about 60 rows of a history table) counted once."""
    shapes: list[str] = []
    for query in queries:
        sql = query["sql"]
        shape = sql.split("(", 1)[0] if sql.startswith("INSERT") else sql
        if not (shape.startswith("INSERT") and shapes and shapes[-1] == shape):
            shapes.append(shape)
    return shapes


def test_an_imports_query_count_does_not_grow_with_its_rows(org, recruiter):
    small = OrganizationFactory(slug="small")
    for organization in (small, org):
        services.candidate_create(
            organization=organization, email=f"known@{organization.slug}.test", name="Known"
        )
    with CaptureQueriesContext(connection) as ten_rows:
        assert import_of(small, 1).events_created == 10
    with CaptureQueriesContext(connection) as hundred_rows:
        result = import_of(org, 10)
    assert (result.events_created, result.notes_created) == (100, 11)
    assert len(ten_rows) <= QUERY_BUDGET
    assert len(statements(hundred_rows)) == len(statements(ten_rows)) <= QUERY_BUDGET, [
        q["sql"][:70] for q in hundred_rows
    ]


# --- The command --------------------------------------------------------------------------


def call(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_history", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_creates_the_organization_and_prints_a_summary(db):
    out, err = call(
        "--org",
        "acme-staffing",
        str(DATA / "events_good.csv"),
        "--risk-notes",
        str(DATA / "risk_notes_good.csv"),
    )
    org = Organization.objects.get(slug="acme-staffing")
    assert org.name == "Acme Staffing"
    assert "Created organization Acme Staffing (acme-staffing)." in out
    assert (
        "Imported into Acme Staffing (acme-staffing): 4 candidates, 3 clients, 3 jobs, "
        "9 events and 3 risk notes created; 0 rows already there skipped." in out
    )
    # The progress bar is on stderr, stdout keeps the summary alone.
    assert "100%" in err and "12/12" in err and "rows" in err
    assert "%" not in out
    assert Candidate.objects.filter(organization=org).count() == 4


def test_command_without_progress_writes_nothing_on_stderr(org):
    out, err = call("--org", "northwind", "--no-progress", str(DATA / "events_good.csv"))
    assert "9 events" in out and err == ""


def test_command_progress_bar_moves_batch_by_batch(org, monkeypatch):
    monkeypatch.setattr(importer, "BATCH_SIZE", 4)
    _, err = call("--org", "northwind", str(DATA / "events_good.csv"))
    assert [f"{n}/9" in err for n in (0, 4, 8, 9)] == [True] * 4


def test_command_help_says_it_imports_what_the_web_upload_refuses():
    help_text = " ".join(
        ImportCommand().create_parser("manage.py", "import_history").format_help().split()
    )
    assert "decisions on second chances included" in help_text
    assert "risk notes by anyone" in help_text


def test_command_imports_into_an_existing_organization(org):
    out, _ = call("--org", "northwind", str(DATA / "events_good.csv"))
    assert "Created organization" not in out
    assert Candidate.objects.filter(organization=org).count() == 4
    out, _ = call("--org", "northwind", str(DATA / "events_good.csv"))
    assert "0 candidates, 0 clients, 0 jobs, 0 events and 0 risk notes created; 9 rows" in out


def test_command_reports_every_bad_line_and_creates_nothing_not_even_the_org(db):
    before = table_counts()
    err = StringIO()
    with pytest.raises(CommandError, match=r"Nothing was imported: 16 problems"):
        call_command(
            "import_history",
            "--org",
            "newco",
            str(DATA / "events_bad.csv"),
            "--risk-notes",
            str(DATA / "risk_notes_good.csv"),
            stdout=StringIO(),
            stderr=err,
        )
    lines = err.getvalue().splitlines()
    assert lines[0] == 'events line 3: candidate_email "ben@example" is not an email address'
    assert [line.split(":")[0] for line in lines] == [
        f"events line {n}" for n in (3, 4, 5, 6, 7, 8, 9, 10, 11, 11, 12, 13, 14, 15)
    ] + ["risk notes line 2", "risk notes line 3"]
    # The notes' candidate ben@example.com is on a bad events line, so it is unknown.
    assert lines[-1] == (
        "risk notes line 3: ben@example.com is neither in the events file nor a candidate of Newco"
    )
    assert not Organization.objects.filter(slug="newco").exists()
    assert table_counts() == before


def test_command_with_a_missing_file_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match=r"nope\.csv: no such file"):
        call("--org", "newco", str(tmp_path / "nope.csv"))
    with pytest.raises(CommandError, match=r"notes\.csv: no such file"):
        call(
            "--org",
            "newco",
            str(DATA / "events_good.csv"),
            "--risk-notes",
            str(tmp_path / "notes.csv"),
        )
    assert not Organization.objects.exists()


def test_command_refuses_a_bad_slug(db):
    with pytest.raises(CommandError, match="not a valid organization slug"):
        call("--org", "New Co!", str(DATA / "events_good.csv"))


def subprocess_env() -> dict[str, str]:
    """The environment for a real `manage.py` process that uses this test's database."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{settings['NAME']}"
    else:
        auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
        port = f":{settings['PORT']}" if settings["PORT"] else ""
        url = f"postgres://{auth}@{settings['HOST']}{port}/{settings['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "test-only-not-secret"}


def manage(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db(transaction=True)
def test_command_exits_non_zero_with_bad_lines_on_stderr():
    done = manage("import_history", "--org", "newco", str(DATA / "events_bad.csv"))
    assert done.returncode != 0
    assert 'events line 3: candidate_email "ben@example" is not an email address' in done.stderr
    assert 'events line 15: reason must be empty for kind "do_not_resubmit"' in done.stderr
    assert "Nothing was imported: 14 problems" in done.stderr
    assert done.stdout == ""
    assert not Organization.objects.filter(slug="newco").exists()


@pytest.mark.django_db(transaction=True)
def test_command_exits_zero_on_success_and_non_zero_for_a_missing_file(tmp_path):
    done = manage("import_history", "--org", "newco", str(DATA / "events_good.csv"))
    assert done.returncode == 0, done.stderr
    assert "4 candidates" in done.stdout
    assert Candidate.objects.filter(organization__slug="newco").count() == 4

    done = manage("import_history", "--org", "newco", str(tmp_path / "missing.csv"))
    assert done.returncode != 0
    assert "missing.csv: no such file" in done.stderr


def test_row_error_reads_as_a_sentence():
    assert str(RowError("risk notes", 7, 'level "9" must be ...')) == (
        'risk notes line 7: level "9" must be ...'
    )
