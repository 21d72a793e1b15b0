"""Typed factory-boy factories for every model a test needs."""

from __future__ import annotations

from datetime import date

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from candidates.engine import Kind, Reason
from candidates.models import Candidate, Client, Event, Job, Organization, RiskNote, Role, User
from reminders.models import Reminder


class OrganizationFactory(DjangoModelFactory[Organization]):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Agency {n}")
    slug = factory.Sequence(lambda n: f"agency-{n}")


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.SelfAttribute("username")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.RECRUITER
    password = factory.django.Password("correct-horse-battery")


class ClientFactory(DjangoModelFactory[Client]):
    class Meta:
        model = Client

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Client {n}")


class JobFactory(DjangoModelFactory[Job]):
    class Meta:
        model = Job

    client = factory.SubFactory(ClientFactory)
    organization = factory.SelfAttribute("client.organization")
    title = factory.Sequence(lambda n: f"Forklift operator {n}")
    hiring_manager = factory.Faker("name")


class CandidateFactory(DjangoModelFactory[Candidate]):
    class Meta:
        model = Candidate

    organization = factory.SubFactory(OrganizationFactory)
    email = factory.Sequence(lambda n: f"candidate{n}@example.com")
    name = factory.Faker("name")
    rating = 3


class EventFactory(DjangoModelFactory[Event]):
    """Writes the row directly; use services.event_log() when the stored status matters."""

    class Meta:
        model = Event

    candidate = factory.SubFactory(CandidateFactory)
    kind = Kind.NO_SHOW
    occurred_on = date(2026, 3, 2)
    reason = factory.LazyAttribute(lambda o: Reason.COMMUTE if Kind(o.kind).is_misstep else "")


class RiskNoteFactory(DjangoModelFactory[RiskNote]):
    class Meta:
        model = RiskNote

    candidate = factory.SubFactory(CandidateFactory)
    dimension = "flakiness"
    level = 3
    author_email = factory.Sequence(lambda n: f"author{n}@example.com")
    noted_on = date(2026, 3, 2)


class ReminderFactory(DjangoModelFactory[Reminder]):
    """A manual reminder, due now unless told; the candidate is in the user's organization."""

    class Meta:
        model = Reminder

    user = factory.SubFactory(UserFactory)
    organization = factory.SelfAttribute("user.organization")
    candidate = factory.SubFactory(
        CandidateFactory, organization=factory.SelfAttribute("..organization")
    )
    kind = "manual"
    title = factory.Sequence(lambda n: f"Call candidate {n}")
    due_at = factory.LazyFunction(timezone.now)
    next_attempt_at = factory.SelfAttribute("due_at")
