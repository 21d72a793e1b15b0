import pytest

from candidates import services

pytestmark = pytest.mark.django_db


def test_logging_a_no_show_stores_stumbled(org, recruiter):
    candidate = services.candidate_create(organization=org, email="A@B.com", name="Al")
    assert candidate.email == "a@b.com"
    services.event_log(
        candidate=candidate, kind="no_show", occurred_on=services.today(), reason="commute"
    )
    candidate.refresh_from_db()
    assert candidate.status == "stumbled"
    assert candidate.risk_score == 30
