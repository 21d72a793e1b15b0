"""Probably the same person (candidates/duplicates.py): the contract's rule at its edges, and
its cost, which does not grow with the organization."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.db import connection

from candidates import duplicates, services
from candidates.duplicates import (
    Person,
    duplicates_for_new,
    duplicates_of,
    name_key,
    phone_key,
    probable_duplicates,
    similarity,
)
from candidates.models import CandidateAddress

from .factories import CandidateFactory, ClientFactory, JobFactory

pytestmark = pytest.mark.django_db

POSTGRES = connection.vendor == "postgresql"


def make(org, email, name, **kwargs):
    return services.candidate_create(organization=org, email=email, name=name, **kwargs)


def attended(candidate, job):
    services.event_log(
        candidate=candidate,
        kind="attended",
        occurred_on=services.today() - timedelta(days=3),
        job=job,
    )


def names(matches) -> list[str]:
    return [m.candidate.name for m in matches]


# --- The keys -----------------------------------------------------------------------------


def test_phone_key_is_the_last_nine_digits():
    assert phone_key("+44 (0)7700 900-123") == "700900123"
    assert phone_key("07700900123") == "700900123"
    assert phone_key("12345678") == ""  # too short to tell a person
    assert phone_key("") == ""


def test_name_key_ignores_case_accents_and_word_order():
    assert name_key("José  GARCÍA") == name_key("garcia jose") == "garcia jose"
    assert name_key("Zoë O'Brien") == "brien o zoe"
    assert name_key("Ana María") != name_key("Ana Marian")


# --- Rule 1: the phone --------------------------------------------------------------------


def test_the_same_last_nine_digits_are_the_same_person(org):
    make(org, "a@example.com", "Alice Archer", phone="+44 7700 900123")
    found = duplicates_for_new(org, name="Bob Baker", email="b@other.com", phone="07700900123")
    assert names(found) == ["Alice Archer"]
    assert found[0].reasons == [duplicates.SAME_PHONE]


def test_a_different_ninth_digit_from_the_end_is_not(org):
    make(org, "a@example.com", "Alice Archer", phone="+44 7700 900123")
    assert duplicates_for_new(org, name="Bob", email="b@x.com", phone="+44 7710 900123") == []


def test_short_numbers_never_match(org):
    make(org, "a@example.com", "Alice Archer", phone="12345678")
    assert duplicates_for_new(org, name="Bob", email="b@x.com", phone="12345678") == []


# --- Rule 2: the name and the part before the @ --------------------------------------------


def test_same_name_in_any_order_and_accents_with_the_same_local_part(org):
    make(org, "jose.garcia@gmail.com", "José García")
    found = duplicates_for_new(org, name="GARCIA Jose", email="Jose.Garcia@hotmail.com")
    assert names(found) == ["José García"]
    assert found[0].reasons == [duplicates.SAME_NAME_AND_ADDRESS]


def test_same_name_with_another_local_part_is_not(org):
    make(org, "jose.garcia@gmail.com", "José García")
    assert duplicates_for_new(org, name="José García", email="jgarcia@hotmail.com") == []


def test_same_local_part_with_another_name_is_not(org):
    make(org, "jose.garcia@gmail.com", "José García")
    assert duplicates_for_new(org, name="José Garcez", email="jose.garcia@hotmail.com") == []


def test_the_local_part_of_another_address_counts(org):
    jose = make(org, "jose.garcia@gmail.com", "José García")
    CandidateAddress.objects.create(organization=org, candidate=jose, email="pepe@work.com")
    found = duplicates_for_new(org, name="Jose Garcia", email="pepe@home.com")
    assert names(found) == ["José García"]


def test_other_organizations_are_never_compared(org, other_org):
    make(other_org, "jose.garcia@gmail.com", "José García", phone="07700900123")
    assert duplicates_for_new(org, name="José García", email="jose.garcia@x.com") == []
    assert duplicates_for_new(org, name="X", email="x@x.com", phone="07700900123") == []


# --- Rule 3: very similar names at a shared client ------------------------------------------


def test_similarity_is_pg_trgms():
    assert similarity("abc", "abc") == 1.0
    assert similarity("", "abc") == 0.0
    if POSTGRES:
        pairs = [
            ("katarzyna kowalska", "katarzyna kowalski"),
            ("alexandria montgomery", "alexandria montgomary"),
            ("maximilian oberhauser", "maximillian oberhauser"),
            ("jon smith", "john smith"),
        ]
        with connection.cursor() as cursor:
            for a, b in pairs:
                cursor.execute("SELECT similarity(%s, %s)", [a, b])
                assert similarity(a, b) == pytest.approx(cursor.fetchone()[0], abs=1e-6)


@pytest.fixture
def acme_job(org):
    return JobFactory(client=ClientFactory(organization=org, name="Acme"))


def test_very_similar_names_at_a_shared_client(org, acme_job):
    """ "Maximilian Oberhauser" and "Maximillian Oberhauser": similarity 0.875 by trigrams
    (PostgreSQL); on SQLite only equal names count, so the spelling must be the same."""
    existing = make(org, "max@one.com", "Maximilian Oberhauser")
    attended(existing, acme_job)
    spelling = "Maximillian Oberhauser" if POSTGRES else "oberhauser MAXIMILIAN"
    found = duplicates_for_new(
        org, name=spelling, email="mo@two.com", client_ids=[acme_job.client_id]
    )
    assert names(found) == ["Maximilian Oberhauser"]
    assert found[0].reasons == [duplicates.SIMILAR_NAME_AT.format(client="Acme")]


def test_similar_names_without_a_shared_client_are_not(org, acme_job):
    existing = make(org, "max@one.com", "Maximilian Oberhauser")
    attended(existing, acme_job)
    other_client = ClientFactory(organization=org, name="Globex")
    found = duplicates_for_new(
        org, name="Maximilian Oberhauser", email="mo@two.com", client_ids=[other_client.pk]
    )
    assert found == []


@pytest.mark.skipif(not POSTGRES, reason="trigram similarity is PostgreSQL's")
def test_the_trigram_threshold_is_0_8(org, acme_job):
    """Exactly 0.8 counts; 0.76 does not. Both at Acme."""
    at, below = "Katarzyna Kowalska", "Alexandria Montgomery"
    assert similarity(name_key(at), name_key("Katarzyna Kowalski")) == pytest.approx(0.8)
    assert similarity(name_key(below), name_key("Alexandria Montgomary")) == pytest.approx(0.76)
    for name in (at, below):
        attended(make(org, f"{name.split()[0].lower()}@one.com", name), acme_job)
    clients = [acme_job.client_id]
    near = duplicates_for_new(org, name="Katarzyna Kowalski", email="k@two.com", client_ids=clients)
    far = duplicates_for_new(
        org, name="Alexandria Montgomary", email="a@two.com", client_ids=clients
    )
    assert names(near) == [at]
    assert far == []


def test_an_existing_candidate_finds_its_twin_through_its_own_clients(org, acme_job):
    first = make(org, "max@one.com", "Maximilian Oberhauser")
    second = make(org, "mo@two.com", "Oberhauser Maximilian")
    attended(first, acme_job)
    assert duplicates_of(second) == []  # no shared client yet
    attended(second, acme_job)
    assert names(duplicates_of(second)) == ["Maximilian Oberhauser"]
    assert names(duplicates_of(first)) == ["Oberhauser Maximilian"]


def test_several_reasons_are_all_given(org):
    make(org, "jose.garcia@gmail.com", "José García", phone="07700900123")
    (match,) = duplicates_for_new(
        org, name="Jose Garcia", email="jose.garcia@x.com", phone="+447700900123"
    )
    assert match.reasons == [duplicates.SAME_PHONE, duplicates.SAME_NAME_AND_ADDRESS]


# --- Cost -----------------------------------------------------------------------------------


def unique_name(i: int) -> str:
    """Names that share few trigrams with each other."""
    letters = (
        hashlib.sha256(str(i).encode())
        .hexdigest()
        .translate(str.maketrans("0123456789", "ghijklmnop"))
    )
    return f"{letters[:7].title()} {letters[7:15].title()}"


@pytest.mark.parametrize("size", [5, 60])
def test_the_check_costs_the_same_queries_whatever_the_size(
    org, acme_job, size, django_assert_num_queries
):
    for i in range(size):
        candidate = CandidateFactory(
            organization=org,
            email=f"person{i}@example.com",
            name=unique_name(i),
            phone=f"0770090{i:04d}",
        )
        if i % 3 == 0:
            attended(candidate, acme_job)
    people = [
        Person(name="Someone Else", emails=("person1@other.com",), phone="07700900001"),
        Person(
            name=unique_name(3),
            emails=("x@y.com",),
            client_ids=frozenset({acme_job.client_id}),
        ),
        Person(name="Nobody Here", emails=("n@h.com",)),
    ]
    # The candidates by key, their other addresses, their clients.
    with django_assert_num_queries(3):
        found = probable_duplicates(org, people)
    assert names(found[0]) == [unique_name(1)]
    assert names(found[1]) == [unique_name(3)]
    assert found[2] == []
