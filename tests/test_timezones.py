"""Each member works in their own time zone: an interview typed as 10:00 by a manager in
London is 10:00 London time, stored as an aware datetime, and shown back as 10:00."""

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from candidates import services
from candidates.models import Event

pytestmark = pytest.mark.django_db


def test_interview_time_is_read_and_shown_in_the_members_time_zone(client, org, manager):
    manager.time_zone = "Europe/London"
    manager.save()
    candidate = services.candidate_create(organization=org, email="k@example.com", name="Kim")
    services.event_log(
        candidate=candidate, kind="no_show", occurred_on=services.today(), reason="commute"
    )
    services.second_chance_request(candidate=candidate, pitch="The bus strike is over.")
    # A summer date: London is UTC+1, so 10:00 there is 09:00 UTC.
    day = date(services.today().year + 1, 7, 1)
    client.force_login(manager)
    response = client.post(
        reverse("candidates:decide", args=[candidate.pk]),
        {"decision": "grant", "interview_at": f"{day.isoformat()}T10:00", "note": "Go on"},
    )
    assert response.status_code == 302
    grant = Event.objects.get(candidate=candidate, kind="second_chance_granted")
    assert grant.interview_at == datetime(day.year, 7, 1, 9, 0, tzinfo=UTC)

    page = client.get(reverse("candidates:detail", args=[candidate.pk])).content.decode()
    shown = re.search(r'Interview on <time datetime="([^"]+)">([^<]+)</time>', page)
    assert shown is not None
    assert shown[1] == f"{day.isoformat()}T10:00:00+01:00"
    assert shown[2].endswith(", 10:00")


def test_a_member_in_another_zone_sees_the_same_instant_in_their_own_time(client, org, manager):
    manager.time_zone = "America/New_York"
    manager.save()
    candidate = services.candidate_create(organization=org, email="j@example.com", name="Jo")
    services.event_log(
        candidate=candidate, kind="no_show", occurred_on=services.today(), reason="commute"
    )
    services.second_chance_request(candidate=candidate, pitch="Please")
    when = datetime.now(UTC).replace(hour=15, minute=0, second=0, microsecond=0)
    when += timedelta(days=30)
    services.second_chance_decide(candidate=candidate, grant=True, interview_at=when)
    client.force_login(manager)
    page = client.get(reverse("candidates:detail", args=[candidate.pk])).content.decode()
    local = when.astimezone(ZoneInfo("America/New_York"))
    assert local.strftime("%H:%M") in page


def test_the_date_a_form_offers_is_the_members_today_and_is_accepted(client, org, recruiter):
    """8 p.m. in New York is already tomorrow in UTC: the event form must offer (and accept)
    the New York date, not the server's."""
    recruiter.time_zone = "America/New_York"
    recruiter.save()
    candidate = services.candidate_create(organization=org, email="n@example.com", name="Ny")
    client.force_login(recruiter)
    evening = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)  # 20:00 on 2 March in New York
    with time_machine.travel(evening, tick=False):
        page = client.get(reverse("candidates:detail", args=[candidate.pk]))
        offered = page.context["event_form"].initial["occurred_on"]
        assert offered == date(2026, 3, 2)
        response = client.post(
            reverse("candidates:log_event", args=[candidate.pk]),
            {"kind": "late", "occurred_on": offered.isoformat(), "reason": "commute"},
        )
    assert response.status_code == 302
    assert Event.objects.get(candidate=candidate).occurred_on == date(2026, 3, 2)
