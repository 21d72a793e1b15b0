"""The recovery report (`candidates.reports`) and `manage.py recovery_report`.

The contract: one JSON object `{"as_of": "YYYY-MM-DD", "candidates": [...]}`, one entry per
candidate sorted by email, computed as of a date; `--format csv` prints the same as CSV.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from django.core.management import CommandError, call_command

from candidates import services
from candidates.models import Candidate
from candidates.reports import FIELDS, recovery_report

from .factories import CandidateFactory, JobFactory
from .test_import_history import manage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to(datetime(2026, 11, 25, 12, tzinfo=UTC), tick=False)


@pytest.fixture
def people(org, recruiter, other_org):
    """Ana's no-show has expired by today; Cara was flagged in September; Ben is clean."""
    job = JobFactory(
        organization=org, client__organization=org, client__name="Acme", title="Picker"
    )
    ana = services.candidate_create(organization=org, email="Ana@Example.com", name="Ana Lima")
    services.event_log(
        candidate=ana, kind="no_show", occurred_on=date(2024, 6, 10), reason="commute", job=job
    )
    ben = services.candidate_create(
        organization=org, email="ben@example.com", name="Ben Okafor", owner=recruiter, rating=4
    )
    services.event_log(candidate=ben, kind="attended", occurred_on=date(2026, 10, 1), job=job)
    cara = services.candidate_create(organization=org, email="cara@example.com", name="Cara Diaz")
    services.flag_set(candidate=cara, reason="Abusive", occurred_on=date(2026, 9, 1))
    # Another organization's candidate never shows.
    services.candidate_create(organization=other_org, email="aaron@example.com", name="Aaron")
    return ana, ben, cara


def report(*args: str) -> str:
    out = io.StringIO()
    call_command("recovery_report", "--org", "northwind", *args, stdout=out)
    return out.getvalue()


def by_email(data: dict) -> dict[str, dict]:
    return {c["email"]: c for c in data["candidates"]}


def test_json_report_lists_every_candidate_sorted_by_email(people):
    data = json.loads(report("--format", "json"))

    assert data["as_of"] == "2026-11-25"
    assert [c["email"] for c in data["candidates"]] == [
        "ana@example.com",
        "ben@example.com",
        "cara@example.com",
    ]
    assert data["candidates"][1] == {
        "email": "ben@example.com",
        "name": "Ben Okafor",
        "status": "clean",
        "risk_score": 0,
        "advice": "resubmit",
        "missteps": 0,
        "explanation": ["No missteps recorded"],
        "owner_email": "rita@northwind.test",
        "rating": 4,
        "last_event_on": "2026-10-01",
        "last_misstep_on": None,
    }
    cara = by_email(data)["cara@example.com"]
    assert (cara["status"], cara["advice"]) == ("burned", "do_not_resubmit")
    assert cara["explanation"] == [
        "Flagged do not resubmit on 2026-09-01: a do-not-resubmit flag stands"
    ]


def test_json_is_the_default_format(people):
    assert json.loads(report()) == json.loads(report("--format", "json"))


def test_an_expired_misstep_is_clean_today(people):
    ana = by_email(json.loads(report()))["ana@example.com"]
    assert (ana["status"], ana["missteps"], ana["risk_score"], ana["advice"]) == (
        "clean",
        0,
        0,
        "resubmit",
    )
    assert ana["explanation"] == [
        "No misstep in the last 24 months; the latest, a no-show on 2024-06-10 (Acme, Picker), "
        "has expired"
    ]


def test_as_of_an_earlier_date_shows_the_misstep_live_then(people):
    data = json.loads(report("--as-of", "2025-06-01"))

    assert data["as_of"] == "2025-06-01"
    ana = by_email(data)["ana@example.com"]
    # Live on 2025-06-01, older than 6 months: 3 x 10 x 0.5.
    assert (ana["status"], ana["missteps"], ana["risk_score"], ana["advice"]) == (
        "stumbled",
        1,
        15,
        "caution",
    )
    assert ana["last_misstep_on"] == "2024-06-10"
    assert ana["explanation"] == [
        "No-show on 2024-06-10 (Acme, Picker), reason: commute; no second chance in motion"
    ]
    # What happened after the as-of date is left out.
    cara = by_email(data)["cara@example.com"]
    assert (cara["status"], cara["last_event_on"]) == ("clean", None)
    assert by_email(data)["ben@example.com"]["last_event_on"] is None


def test_the_report_is_computed_from_the_history_not_the_stored_columns(people):
    Candidate.objects.filter(email="ben@example.com").update(
        status="burned", risk_score=99, advice="do_not_resubmit", explanation=["stale"]
    )
    ben = by_email(json.loads(report()))["ben@example.com"]
    assert (ben["status"], ben["risk_score"], ben["explanation"]) == (
        "clean",
        0,
        ["No missteps recorded"],
    )


def test_csv_report_has_the_same_fields_with_the_explanation_joined(people, org):
    ana = Candidate.objects.get(email="ana@example.com")
    services.event_log(candidate=ana, kind="late", occurred_on=date(2026, 11, 1), reason="illness")
    services.event_log(
        candidate=ana, kind="no_show", occurred_on=date(2026, 11, 2), reason="commute"
    )
    services.event_log(
        candidate=ana, kind="reneged", occurred_on=date(2026, 11, 3), reason="competing_offer"
    )

    rows = list(csv.DictReader(io.StringIO(report("--format", "csv"))))

    assert tuple(rows[0]) == FIELDS
    assert [r["email"] for r in rows] == ["ana@example.com", "ben@example.com", "cara@example.com"]
    assert rows[0]["status"] == "burned"
    assert rows[0]["missteps"] == "3"
    assert rows[0]["explanation"] == (
        "Missteps of the last 24 months weigh 8 (6 or more burns a candidate) | "
        "Late to interview on 2026-11-01, reason: illness | "
        "No-show on 2026-11-02, reason: commute | "
        "Reneged on offer on 2026-11-03, reason: competing offer"
    )
    assert (rows[1]["rating"], rows[1]["owner_email"], rows[1]["last_misstep_on"]) == (
        "4",
        "rita@northwind.test",
        "",
    )
    assert rows[2]["rating"] == ""


def test_an_organization_without_candidates_gives_an_empty_list(org):
    assert json.loads(report()) == {"as_of": "2026-11-25", "candidates": []}
    assert report("--format", "csv") == ",".join(FIELDS) + "\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "nowhere"], 'No organization with the slug "nowhere"'),
        (["--org", "northwind", "--as-of", "2026-02-30"], '--as-of "2026-02-30" is not a date'),
        (["--org", "northwind", "--as-of", "yesterday"], '--as-of "yesterday" is not a date'),
        (["--org", "northwind", "--as-of", "20261125"], '--as-of "20261125" is not a date'),
        (["--org", "northwind", "--format", "xml"], "invalid choice: 'xml'"),
    ],
)
def test_bad_arguments_are_clear_errors(org, args, message):
    out = io.StringIO()
    with pytest.raises(CommandError, match=message):
        call_command("recovery_report", *args, stdout=out)
    assert out.getvalue() == ""


@pytest.mark.parametrize("count", [3, 30])
def test_the_report_takes_a_fixed_number_of_queries(org, count, django_assert_num_queries):
    for i in range(count):
        candidate = CandidateFactory(organization=org)
        services.event_log(
            candidate=candidate, kind="late", occurred_on=date(2026, 10, 1 + i % 28), reason="other"
        )
    # The candidates (with owners), their events (with jobs and clients), their notes.
    with django_assert_num_queries(3):
        rows = recovery_report(organization=org, as_of=date(2026, 11, 25))
    assert len(rows) == count
    assert {r.status for r in rows} == {"stumbled"}


@pytest.mark.django_db(transaction=True)
def test_stdout_of_a_real_run_is_pure_json_and_bad_org_exits_non_zero(org):
    CandidateFactory(organization=org, email="zoe@example.com", name="Zoë")

    done = manage("recovery_report", "--org", "northwind", "--as-of", "2026-11-25")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "as_of": "2026-11-25",
        "candidates": [
            {
                "email": "zoe@example.com",
                "name": "Zoë",
                "status": "clean",
                "risk_score": 0,
                "advice": "resubmit",
                "missteps": 0,
                "explanation": ["No missteps recorded"],
                "owner_email": "",
                "rating": 3,
                "last_event_on": None,
                "last_misstep_on": None,
            }
        ],
    }

    done = manage("recovery_report", "--org", "nowhere")
    assert done.returncode != 0
    assert 'No organization with the slug "nowhere"' in done.stderr
    assert done.stdout == ""
