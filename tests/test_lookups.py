"""`field__any` (candidates/lookups.py): what `__in` finds, sent on PostgreSQL as one array
parameter instead of one placeholder per value; and the importer's email check, Django's
validator with its patterns compiled once, which says what Django's says of any address."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from candidates import importer
from candidates.models import Candidate, Event

from .factories import CandidateFactory, EventFactory

WANTED = [
    [],
    [None],
    ["a@x.test"],
    ["a@x.test", "a@x.test", None, "nobody@x.test"],
    ["a@x.test", "b@x.test", "c@x.test", "A@X.TEST"],
]


@pytest.mark.django_db
@pytest.mark.parametrize("emails", WANTED)
def test_any_finds_what_in_finds(emails):
    for email in ("a@x.test", "b@x.test", "c@x.test"):
        EventFactory(candidate=CandidateFactory(email=email))
    ids = [*Candidate.objects.values_list("pk", flat=True), None, 0]

    def found(**lookup):
        return sorted(Candidate.objects.filter(**lookup).values_list("pk", flat=True))

    assert found(email__any=emails) == found(email__in=emails)
    assert sorted(Event.objects.filter(candidate_id__any=ids).values_list("pk", flat=True)) == (
        sorted(Event.objects.values_list("pk", flat=True))
    )
    assert found(pk__any=ids[:2]) == found(pk__in=ids[:2])
    rows = list(Candidate.objects.order_by("pk")[:2])  # the rows themselves, as __in takes them
    assert sorted(Event.objects.filter(candidate__any=rows).values_list("pk", flat=True)) == (
        sorted(Event.objects.filter(candidate__in=rows).values_list("pk", flat=True))
    )


@pytest.mark.django_db
def test_any_sends_one_parameter_on_postgresql_however_many_values():
    emails = [f"p{i}@x.test" for i in range(3000)]
    with CaptureQueriesContext(connection) as captured:
        assert not Candidate.objects.filter(email__any=emails).exists()
    (query,) = captured.captured_queries
    if connection.vendor == "postgresql":
        assert "= ANY(" in query["sql"]
        assert query["sql"].count("p1@x.test") == 1  # the array, as one literal
    else:
        assert " IN (" in query["sql"]


def django_says(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


ADDRESS_PARTS = st.text(alphabet='aZ0.-_+@"[]:é ', max_size=30)


@settings(max_examples=400, deadline=None)
@given(st.one_of(ADDRESS_PARTS, st.emails().map(str), st.text(max_size=30)))
def test_the_importers_email_check_says_what_djangos_validator_says(address):
    importer._is_email.cache_clear()
    assert importer._is_email(address) == (
        len(address) <= importer.MAX_EMAIL and django_says(address)
    )
