"""An upload holds only what its uploader may record through the forms, and cannot hold a
worker: the trust findings 1 to 3 of issue 12.

1. A decision on a second chance (`second_chance_granted`, `second_chance_refused`) is a
   manager's or an admin's: a recruiter's or a headhunter's upload naming one is refused
   with that line, like any other bad line.
2. Through the web, a risk note's author is the uploader: a row naming someone else as
   `author_email` is a bad line. (The command line, the operator's tool, imports anyone's.)
3. A hostile file is answered fast and small: every physical line counts towards the row
   limit, and only the first problems are listed, with the total.
"""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from candidates import importer
from candidates.models import Candidate, Event, RiskNote

pytestmark = pytest.mark.django_db

IMPORT = reverse("candidates:import")
HEADER = "candidate_email,candidate_name,client,job_title,kind,occurred_on,reason,notes\n"
NOTES_HEADER = "candidate_email,dimension,level,author_email,noted_on,note\n"


def upload(name: str, content: bytes | str) -> SimpleUploadedFile:
    if isinstance(content, str):
        content = content.encode()
    return SimpleUploadedFile(name, content, content_type="text/csv")


def page(response) -> str:
    return response.content.decode()


def events(*rows: str) -> SimpleUploadedFile:
    return upload("events.csv", HEADER + "".join(f"{row}\n" for row in rows))


def notes(*rows: str) -> SimpleUploadedFile:
    return upload("notes.csv", NOTES_HEADER + "".join(f"{row}\n" for row in rows))


REQUEST = "ann@example.com,Ann Lee,Acme,Picker,second_chance_requested,2026-03-02,,Please"
GRANT = "ann@example.com,,Acme,Picker,second_chance_granted,2026-03-03,,"
REFUSE = "ann@example.com,,Acme,Picker,second_chance_refused,2026-03-04,,Not now"


# --- 1. Decisions are the deciders' ---------------------------------------------------------


@pytest.mark.parametrize("role", ["recruiter", "headhunter"])
def test_a_recorder_cannot_import_a_decision_on_a_second_chance(client, request, role):
    client.force_login(request.getfixturevalue(role))
    response = client.post(IMPORT, {"events": events(REQUEST, GRANT, REFUSE)})
    assert response.status_code == 200
    text = page(response)
    assert "Nothing was imported" in text
    for line in (3, 4):
        assert f'<td data-label="Line" class="num">{line}</td>' in text
    assert "only a manager or an admin may record a decision" in text
    assert not Candidate.objects.exists() and not Event.objects.exists()


def test_the_importer_refuses_a_members_decision_rows_with_their_lines(org, recruiter):
    result = importer.import_history(
        organization=org,
        events=events(REQUEST, GRANT).open("rb"),
        recorded_by=recruiter,
    )
    assert [(e.line, e.message) for e in result.errors] == [
        (
            3,
            'only a manager or an admin may record a decision ("second_chance_granted"); '
            "ask one of them to import this row",
        )
    ]
    assert not Event.objects.exists()


def test_the_command_line_still_imports_decisions(org):
    result = importer.import_history(organization=org, events=events(REQUEST, GRANT).open("rb"))
    assert result.ok, result.errors
    assert Event.objects.filter(kind="second_chance_granted").count() == 1


# --- 2. A note is its uploader's ------------------------------------------------------------


def test_through_the_web_a_note_in_a_colleagues_name_is_a_bad_line(client, recruiter, headhunter):
    client.force_login(recruiter)
    response = client.post(
        IMPORT,
        {
            "events": events(REQUEST),
            "risk_notes": notes(
                f"ann@example.com,trust,2,{recruiter.email},2026-03-03,Mine",
                f"ann@example.com,trust,5,{headhunter.email},2026-03-03,Not mine",
            ),
        },
    )
    assert response.status_code == 200
    text = page(response)
    assert '<td data-label="File">risk notes</td>' in text
    assert '<td data-label="Line" class="num">3</td>' in text
    assert f"author_email must be your own address ({recruiter.email})" in text
    assert not RiskNote.objects.exists() and not Candidate.objects.exists()


# --- 3. A hostile file is answered fast and small --------------------------------------------


def test_two_hundred_thousand_unreadable_lines_are_answered_fast_and_listed_briefly(
    client, recruiter
):
    hostile = upload("events.csv", HEADER + '"a"b\n' * 200_000)  # 1 MB
    client.force_login(recruiter)
    started = time.monotonic()
    response = client.post(IMPORT, {"events": hostile})
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    text = page(response)
    # Every physical line counts towards the limit: reading stops after line 50,001.
    assert text.count('<td data-label="Line" class="num">') == 100
    assert "and 49,901 more problems" in text
    assert len(response.content) < 200_000
    assert elapsed < 5, f"{elapsed:.1f} s"
    assert not Candidate.objects.exists()
