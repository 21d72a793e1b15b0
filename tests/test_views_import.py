"""The import page: the importer behind an upload, all or nothing, readable errors; good files
become an import job, written here by calling the worker's service (`importer.run_job`)
directly (tests/test_import_jobs.py runs a real worker)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from candidates import importer, services
from candidates.engine import Kind, Reason, RejectionReason
from candidates.forms import IMPORT_MAX_BYTES
from candidates.models import Candidate, Client, Event, ImportJob, Job, RiskNote

from .factories import UserFactory

pytestmark = pytest.mark.django_db

IMPORT = reverse("candidates:import")
TEMPLATE = reverse("candidates:import_template")
ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
HEADER = "candidate_email,candidate_name,client,job_title,kind,occurred_on,reason,notes\n"
NOTES_HEADER = "candidate_email,dimension,level,author_email,noted_on,note\n"


def upload(name: str, content: bytes | str) -> SimpleUploadedFile:
    if isinstance(content, str):
        content = content.encode()
    return SimpleUploadedFile(name, content, content_type="text/csv")


def data_file(name: str) -> SimpleUploadedFile:
    return upload(name, (DATA / name).read_bytes())


def text_of(response) -> str:
    return response.content.decode()


def import_files(client, files: dict):
    """Upload, let "the worker" write the job, and show the job's page."""
    response = client.post(IMPORT, files)
    assert response.status_code == 302, text_of(response)
    assert response["Location"].startswith(f"{IMPORT}?job=")
    for job in ImportJob.objects.filter(state="pending"):
        assert importer.run_job(job.pk) == "done"
    return client.get(response["Location"])


def nothing_written():
    return not (
        Candidate.objects.exists()
        or Event.objects.exists()
        or RiskNote.objects.exists()
        or Client.objects.exists()
        or Job.objects.exists()
    )


GOOD_EVENTS = HEADER + (
    "ann@example.com,Ann Lee,Acme,Forklift operator,scheduled,2026-02-20,,\n"
    'ann@example.com,,Acme,Forklift operator,no_show,2026-03-02,commute,"Bus strike, again"\n'
    "bob@example.com,Bob Stone,Globex,Picker,attended,2026-03-04,,\n"
)
GOOD_NOTES = NOTES_HEADER + "ann@example.com,commute,4,rita@example.com,2026-03-03,Two buses\n"


# --- Who may import -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["recruiter", "headhunter", "org_admin"])
def test_recorders_and_admins_import_a_history(client, request, org, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get(IMPORT).status_code == 200
    user = request.getfixturevalue(role)
    notes = GOOD_NOTES.replace("rita@example.com", user.email)  # a note is its uploader's
    response = import_files(
        client,
        {"events": upload("events.csv", GOOD_EVENTS), "risk_notes": upload("n.csv", notes)},
    )
    assert "Imported: 2 candidates, 2 clients, 2 jobs, 3 events, 1 risk note." in text_of(response)
    ann = Candidate.objects.get(organization=org, email="ann@example.com")
    assert ann.status == "stumbled"
    assert ann.events.get(kind="no_show").notes == "Bus strike, again"
    assert ann.events.first().recorded_by == request.getfixturevalue(role)
    note = ann.risk_notes.get()
    assert (note.level, note.author, note.author_email) == (4, user, user.email)


def test_managers_cannot_import(client, manager):
    client.force_login(manager)
    assert client.get(IMPORT).status_code == 403
    assert client.post(IMPORT, {"events": upload("e.csv", GOOD_EVENTS)}).status_code == 403
    assert nothing_written()


def test_anonymous_is_sent_to_login(client):
    response = client.get(IMPORT)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_import_goes_into_the_importers_organization_only(client, org, other_org):
    client.force_login(UserFactory(organization=other_org, role="recruiter"))
    import_files(client, {"events": upload("events.csv", GOOD_EVENTS)})
    assert Candidate.objects.filter(organization=other_org).count() == 2
    assert not Candidate.objects.filter(organization=org).exists()


def test_importing_the_same_file_twice_adds_nothing_and_says_so(client, recruiter):
    client.force_login(recruiter)
    import_files(client, {"events": upload("events.csv", GOOD_EVENTS)})
    response = import_files(client, {"events": upload("events.csv", GOOD_EVENTS)})
    page = text_of(response)
    assert "Imported: 0 candidates, 0 clients, 0 jobs, 0 events, 0 risk notes." in page
    assert "3 rows were already there: skipped." in page
    assert Event.objects.count() == 3


def test_the_repositorys_sample_events_import(client, org_admin):
    # The sample holds a decision on a second chance: an admin's to import.
    client.force_login(org_admin)
    import_files(client, {"events": data_file("events_good.csv")})
    assert Candidate.objects.count() == 4 and Event.objects.count() == 9


# --- Bad files ----------------------------------------------------------------------------


def test_a_bad_file_lists_every_bad_line_and_writes_nothing(client, recruiter):
    client.force_login(recruiter)
    response = client.post(IMPORT, {"events": data_file("events_bad.csv")})
    assert response.status_code == 200
    page = text_of(response)
    assert "Nothing was imported" in page
    rows = page.split("<tbody>")[1].split("</tbody>")[0].count("<tr>")
    assert rows >= 10  # every bad line of the sample, each in its own row
    for line in (3, 4, 5, 6, 7, 8, 9):
        assert f'<td data-label="Line" class="num">{line}</td>' in page
    assert nothing_written()


def test_bad_risk_notes_keep_good_events_out_too(client, recruiter):
    client.force_login(recruiter)
    response = client.post(
        IMPORT,
        {"events": upload("e.csv", GOOD_EVENTS), "risk_notes": data_file("risk_notes_bad.csv")},
    )
    page = text_of(response)
    assert '<td data-label="File">risk notes</td>' in page
    assert nothing_written()


def test_a_wrong_header_is_reported(client, recruiter):
    client.force_login(recruiter)
    response = client.post(IMPORT, {"events": upload("e.csv", "email,name\na@b.c,A\n")})
    assert '<td data-label="Line" class="num">1</td>' in text_of(response)
    assert nothing_written()


def test_a_file_that_is_not_utf8_gives_a_clear_error_and_writes_nothing(client, recruiter):
    latin1 = (HEADER + "jose@example.com,José Núñez,Acme,Picker,attended,2026-03-02,,\n").encode(
        "latin-1"
    )
    client.force_login(recruiter)
    response = client.post(IMPORT, {"events": upload("events.csv", latin1)})
    assert response.status_code == 200
    page = text_of(response)
    assert "The events file is not UTF-8 text: line 2 has a character that cannot be read." in page
    assert "CSV UTF-8" in page
    assert nothing_written()


def test_a_risk_notes_file_that_is_not_utf8_is_named(client, recruiter):
    client.force_login(recruiter)
    response = client.post(
        IMPORT,
        {
            "events": upload("e.csv", GOOD_EVENTS),
            "risk_notes": upload("n.csv", b"\xff\xfe" + GOOD_NOTES.encode("utf-16-le")),
        },
    )
    assert "The risk notes file is not UTF-8 text" in text_of(response)
    assert nothing_written()


def test_a_byte_order_mark_is_fine(client, recruiter):
    client.force_login(recruiter)
    response = import_files(client, {"events": upload("events.csv", "\ufeff" + GOOD_EVENTS)})
    assert "Imported: 2 candidates" in text_of(response)


def test_windows_line_endings_are_fine(client, recruiter):
    client.force_login(recruiter)
    response = import_files(
        client, {"events": upload("events.csv", GOOD_EVENTS.replace("\n", "\r\n"))}
    )
    assert "Imported: 2 candidates" in text_of(response)
    assert Event.objects.get(kind="no_show").notes == "Bus strike, again"


def test_a_file_over_the_limit_is_refused(client, recruiter):
    client.force_login(recruiter)
    big = GOOD_EVENTS + "x" * IMPORT_MAX_BYTES
    response = client.post(IMPORT, {"events": upload("events.csv", big)})
    assert response.status_code == 200
    assert "the limit is 10 MB" in text_of(response)
    assert nothing_written()


def test_an_empty_or_missing_file_is_a_form_error(client, recruiter):
    client.force_login(recruiter)
    response = client.post(IMPORT, {})
    assert "This field is required." in text_of(response)
    response = client.post(IMPORT, {"events": upload("events.csv", b"")})
    assert "The submitted file is empty." in text_of(response)
    assert nothing_written()


def test_a_file_with_only_a_header_imports_nothing_without_error(client, recruiter):
    client.force_login(recruiter)
    response = client.post(IMPORT, {"events": upload("events.csv", HEADER)}, follow=True)
    assert response.status_code == 200
    assert nothing_written()


def test_binary_junk_is_reported_not_a_500(client, recruiter):
    client.force_login(recruiter)
    response = client.post(IMPORT, {"events": upload("events.csv", bytes(range(256)) * 4)})
    assert response.status_code == 200
    assert "not UTF-8 text" in text_of(response)
    assert nothing_written()


def test_a_nul_byte_in_utf8_text_is_reported_not_a_500(client, recruiter):
    client.force_login(recruiter)
    response = client.post(IMPORT, {"events": upload("events.csv", GOOD_EVENTS + "\x00,,\n")})
    assert response.status_code == 200
    assert nothing_written()


# --- What the page says about the files ------------------------------------------------------


def format_section(page: str) -> str:
    return page.split('id="import-format-heading"')[1].split("</section>")[0]


def test_the_page_lists_every_kind_with_its_label_and_every_reason(client, recruiter):
    """From the engine's enums: a kind or a reason added there appears here."""
    client.force_login(recruiter)
    section = format_section(text_of(client.get(IMPORT))).replace("&#x27;", "'")
    for kind in Kind:
        assert f"<li><code>{kind.value}</code> {kind.label}</li>" in section
    listed = sum(len(group.kinds) for group in importer.kind_groups())
    assert listed == len(Kind) == len({k for g in importer.kind_groups() for k in g.kinds})
    misstep_line = section.split("a misstep's reason:")[1].split("</li>")[0]
    assert re.findall(r"<code>(\w+)</code>", misstep_line) == [r.value for r in Reason]
    employer_line = section.split("for <code>rejected</code>:")[1].split("</li>")[0]
    assert re.findall(r"<code>(\w+)</code>", employer_line) == [r.value for r in RejectionReason]


def test_the_example_lines_are_shown_whole_and_wrap(client, recruiter):
    """Every example line is on the page in full, and the box wraps them rather than hiding
    their end behind a scroll bar."""
    client.force_login(recruiter)
    page = text_of(client.get(IMPORT))
    samples = re.findall(r'<pre class="small import-sample">(.*?)</pre>', page, re.S)
    assert samples[0].splitlines() == importer.events_template().splitlines()
    assert samples[1].splitlines() == importer.notes_example().splitlines()
    css = (ROOT / "static/css/pages.css").read_text()
    rule = css.split(".import-sample {")[1].split("}")[0]
    assert "white-space: pre-wrap" in rule and "overflow-wrap: anywhere" in rule
    assert "overflow-x" not in rule


def test_the_page_states_the_date_rule(client, recruiter):
    client.force_login(recruiter)
    section = format_section(text_of(client.get(IMPORT)))
    today = services.today()
    assert f"no date may be after today</strong> ({today.day} {today:%b %Y})" in section


def test_the_template_downloads_with_its_header_and_good_rows(client, recruiter):
    client.force_login(recruiter)
    response = client.get(TEMPLATE)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="recovery-events-template.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert tuple(rows[0]) == importer.EVENT_COLUMNS
    assert 2 <= len(rows) - 1 <= 3
    assert f'href="{TEMPLATE}"' in text_of(client.get(IMPORT))
    # Its rows are good ones: uploaded as they are, they import.
    page = text_of(import_files(client, {"events": upload("template.csv", response.content)}))
    assert "Imported: 2 candidates, 2 clients, 2 jobs, 3 events, 0 risk notes." in page


def test_the_template_is_for_those_who_may_import(client, manager):
    assert client.get(TEMPLATE).status_code == 302  # to the login page
    client.force_login(manager)
    assert client.get(TEMPLATE).status_code == 403


def test_the_error_table_quotes_the_file_exactly(client, recruiter):
    """What the file said, as it said it: no capital letter added, no address lowercased."""
    client.force_login(recruiter)
    events = HEADER + (
        ",Ann Lee,Acme,Picker,attended,2026-03-02,,\n"
        "Ben@Example,Ben,Acme,Picker,attended,2026-03-02,,\n"
        "Cy@Example.com,,Acme,Picker,attended,2026-03-02,,\n"
    )
    notes = NOTES_HEADER + f"Nobody@Example.com,trust,2,{recruiter.email},2026-03-03,\n"
    response = client.post(
        IMPORT, {"events": upload("e.csv", events), "risk_notes": upload("n.csv", notes)}
    )
    cells = re.findall(r'<td data-label="What is wrong">(.*?)</td>', text_of(response))
    assert cells == [
        "candidate_email is empty",
        "candidate_email &quot;Ben@Example&quot; is not an email address",
        "candidate_name is empty and Cy@Example.com is a new candidate: give a name",
        f"Nobody@Example.com is neither in the events file nor a candidate of "
        f"{recruiter.organization.name}",
    ]
    assert nothing_written()


@pytest.mark.parametrize("days_ahead,accepted", [(0, True), (1, False)])
def test_an_upload_may_be_dated_today_not_tomorrow(client, recruiter, days_ahead, accepted):
    """The forms' rule (clock.latest_date), for the events and the risk notes alike."""
    client.force_login(recruiter)
    day = services.today() + timedelta(days=days_ahead)
    events = HEADER + f"ann@example.com,Ann Lee,Acme,Picker,attended,{day},,\n"
    notes = NOTES_HEADER + f"ann@example.com,trust,2,{recruiter.email},{day},\n"
    files = {"events": upload("e.csv", events), "risk_notes": upload("n.csv", notes)}
    if accepted:
        page = text_of(import_files(client, files))
        assert "Imported: 1 candidate, 1 client, 1 job, 1 event, 1 risk note." in page
        return
    cells = re.findall(
        r'<td data-label="What is wrong">(.*?)</td>', text_of(client.post(IMPORT, files))
    )
    today = services.today()
    assert cells == [
        f"occurred_on {day} is in the future: no date may be after today ({today})",
        f"noted_on {day} is in the future: no date may be after today ({today})",
    ]
    assert nothing_written()
