"""Fixed actors for every test: one organization with a recruiter, a headhunter, a manager
and an admin, and an outsider who belongs to another organization."""

from __future__ import annotations

import os

import pytest
from django.conf import settings

from candidates.models import Organization, Role, User

from .factories import OrganizationFactory, UserFactory

# In CI (.ci/run) every test that needs PostgreSQL, Redis or Chromium must run: a missing
# service is a failure, never a skip.
REQUIRE_SERVICES = os.environ.get("RECOVERY_REQUIRE_SERVICES") == "1"


def pytest_sessionstart(session: pytest.Session) -> None:
    if REQUIRE_SERVICES:
        engine = settings.DATABASES["default"]["ENGINE"]
        assert engine == "django.db.backends.postgresql", f"CI must run on PostgreSQL, not {engine}"
        assert settings.REDIS_URL, "CI must run with REDIS_URL set"


@pytest.fixture
def org(db) -> Organization:
    return OrganizationFactory(name="Northwind Staffing", slug="northwind")


@pytest.fixture
def other_org(db) -> Organization:
    return OrganizationFactory(name="Rival Recruiting", slug="rival")


@pytest.fixture
def recruiter(org) -> User:
    return UserFactory(organization=org, role=Role.RECRUITER, username="rita@northwind.test")


@pytest.fixture
def headhunter(org) -> User:
    return UserFactory(organization=org, role=Role.HEADHUNTER, username="hugo@northwind.test")


@pytest.fixture
def manager(org) -> User:
    return UserFactory(organization=org, role=Role.MANAGER, username="mona@northwind.test")


@pytest.fixture
def org_admin(org) -> User:
    return UserFactory(organization=org, role=Role.ADMIN, username="ada@northwind.test")


@pytest.fixture
def outsider(other_org) -> User:
    return UserFactory(organization=other_org, role=Role.MANAGER, username="oscar@rival.test")
