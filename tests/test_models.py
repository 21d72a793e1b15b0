"""The database's own guards: rows written directly (as a bulk import or a careless script
would) must still obey the contract's one-row rules."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from candidates.models import Candidate, Client, Event, Job, RiskNote

from .factories import CandidateFactory, ClientFactory, JobFactory

pytestmark = pytest.mark.django_db


def refused(write) -> None:
    """The write raises IntegrityError (inside its own savepoint, so the test goes on)."""
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


# --- Candidates ---------------------------------------------------------------------------


def test_a_candidates_email_is_unique_per_organization_whatever_its_case(org):
    Candidate.objects.create(organization=org, email="ana@example.com", name="Ana")
    refused(lambda: Candidate.objects.create(organization=org, email="ana@example.com", name="X"))
    # bulk_create skips save(), which lowercases: the database's constraint still holds.
    refused(
        lambda: Candidate.objects.bulk_create(
            [Candidate(organization=org, email="ANA@Example.COM", name="X")]
        )
    )
    assert Candidate.objects.count() == 1


def test_the_same_email_is_allowed_in_another_organization(org, other_org):
    Candidate.objects.create(organization=org, email="ana@example.com", name="Ana")
    Candidate.objects.bulk_create(
        [Candidate(organization=other_org, email="Ana@Example.com", name="Ana")]
    )
    assert Candidate.objects.filter(email__iexact="ana@example.com").count() == 2


def test_saving_a_candidate_lowercases_its_email(org):
    candidate = Candidate.objects.create(organization=org, email=" Ana@Example.COM ", name="Ana")
    candidate.refresh_from_db()
    assert candidate.email == "ana@example.com"


@pytest.mark.parametrize("rating", [0, 6])
def test_a_rating_outside_1_to_5_is_refused(org, rating):
    refused(
        lambda: Candidate.objects.create(
            organization=org, email="a@b.test", name="A", rating=rating
        )
    )


@pytest.mark.parametrize("rating", [None, 1, 5])
def test_a_rating_from_1_to_5_or_none_is_accepted(org, rating):
    candidate = Candidate.objects.create(
        organization=org, email="a@b.test", name="A", rating=rating
    )
    assert candidate.pk


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "lost"), ("advice", "maybe"), ("risk_score", 101)],
)
def test_a_candidates_stored_result_must_be_a_known_value(org, field, value):
    refused(
        lambda: Candidate.objects.create(
            organization=org, email="a@b.test", name="A", **{field: value}
        )
    )


# --- Events -------------------------------------------------------------------------------


def event(candidate: Candidate, **fields) -> Event:
    return Event(candidate=candidate, occurred_on=date(2026, 3, 2), **fields)


def test_a_misstep_without_a_reason_is_refused(org):
    candidate = CandidateFactory(organization=org)
    refused(
        lambda: Event.objects.create(
            candidate=candidate, kind="no_show", reason="", occurred_on=date(2026, 3, 2)
        )
    )
    refused(lambda: Event.objects.bulk_create([event(candidate, kind="reneged", reason="")]))


def test_a_misstep_with_a_reason_not_on_the_list_is_refused(org):
    candidate = CandidateFactory(organization=org)
    refused(lambda: Event.objects.bulk_create([event(candidate, kind="late", reason="traffic")]))


def test_a_reason_on_an_event_that_is_not_a_misstep_is_refused(org):
    candidate = CandidateFactory(organization=org)
    refused(
        lambda: Event.objects.bulk_create([event(candidate, kind="attended", reason="commute")])
    )
    refused(
        lambda: Event.objects.bulk_create(
            [event(candidate, kind="do_not_resubmit", reason="other")]
        )
    )


def test_an_unknown_event_kind_is_refused(org):
    candidate = CandidateFactory(organization=org)
    refused(lambda: Event.objects.bulk_create([event(candidate, kind="ghosted", reason="")]))
    refused(lambda: Event.objects.bulk_create([event(candidate, kind="ghosted", reason="other")]))


def test_valid_events_are_accepted(org):
    candidate = CandidateFactory(organization=org)
    Event.objects.bulk_create(
        [
            event(candidate, kind="no_show", reason="commute"),
            event(candidate, kind="attended", reason=""),
            event(candidate, kind="do_not_resubmit", reason="", notes="Rude"),
        ]
    )
    assert candidate.events.count() == 3


# --- Risk notes ---------------------------------------------------------------------------


def risk_note(candidate: Candidate, **fields) -> RiskNote:
    values = {
        "dimension": "flakiness",
        "level": 3,
        "author_email": "rita@northwind.test",
        "noted_on": date(2026, 3, 2),
    }
    return RiskNote(candidate=candidate, **{**values, **fields})


@pytest.mark.parametrize("level", [0, 6])
def test_a_risk_note_level_outside_1_to_5_is_refused(org, level):
    candidate = CandidateFactory(organization=org)
    refused(lambda: RiskNote.objects.bulk_create([risk_note(candidate, level=level)]))
    refused(lambda: risk_note(candidate, level=level).save())


def test_an_unknown_risk_dimension_is_refused(org):
    candidate = CandidateFactory(organization=org)
    refused(lambda: RiskNote.objects.bulk_create([risk_note(candidate, dimension="punctuality")]))


def test_valid_risk_notes_are_accepted(org):
    candidate = CandidateFactory(organization=org)
    RiskNote.objects.bulk_create(
        [risk_note(candidate, level=1), risk_note(candidate, level=5, dimension="trust")]
    )
    assert candidate.risk_notes.count() == 2


# --- Clients and jobs ---------------------------------------------------------------------


def test_a_jobs_state_must_be_one_of_the_four(org):
    client = ClientFactory(organization=org)
    refused(
        lambda: Job.objects.create(organization=org, client=client, title="Picker", state="paused")
    )
    for state in ("open", "on_hold", "filled", "closed"):
        Job.objects.create(organization=org, client=client, title=f"Picker {state}", state=state)
    assert client.jobs.count() == 4


def test_a_client_name_is_unique_per_organization_whatever_its_case(org, other_org):
    ClientFactory(organization=org, name="Acme")
    refused(lambda: Client.objects.create(organization=org, name="ACME"))
    Client.objects.create(organization=other_org, name="acme")


def test_a_job_title_is_unique_per_client_whatever_its_case(org):
    job = JobFactory(client=ClientFactory(organization=org), title="Forklift operator")
    refused(
        lambda: Job.objects.create(organization=org, client=job.client, title="FORKLIFT OPERATOR")
    )
    other_client = ClientFactory(organization=org)
    Job.objects.create(organization=org, client=other_client, title="Forklift operator")
