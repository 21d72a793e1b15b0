"""The Reminders page, done / snooze / cancel, the manual form, the nav count and the
partials the candidate and Today pages include."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reminders import selectors
from reminders.models import Reminder, State

from .factories import CandidateFactory, ReminderFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
LIST = reverse("reminders:list")


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def candidate(org, recruiter):
    return CandidateFactory(organization=org, owner=recruiter, name="Sam Carter")


@pytest.fixture
def mine(recruiter, candidate):
    return ReminderFactory(
        user=recruiter, candidate=candidate, title="Call Sam", due_at=NOW - timedelta(hours=1)
    )


def act(client, reminder, action, **data):
    return client.post(reverse(f"reminders:{action}", args=[reminder.pk]), data)


def state_of(reminder) -> str:
    reminder.refresh_from_db()
    return reminder.state


# --- The page -------------------------------------------------------------------------------


def test_my_page_shows_what_is_due_and_what_is_coming_not_my_colleagues(
    client, recruiter, headhunter, mine, candidate
):
    ReminderFactory(
        user=recruiter, candidate=candidate, title="Prepare Sam", due_at=NOW + timedelta(days=2)
    )
    ReminderFactory(user=headhunter, candidate=candidate, title="Hugo's own", due_at=NOW)
    ReminderFactory(user=recruiter, candidate=candidate, title="Old news", state=State.DONE)
    client.force_login(recruiter)
    response = client.get(LIST)
    assert response.status_code == 200
    assert [r.title for r in response.context["due"]] == ["Call Sam"]
    assert [r.title for r in response.context["upcoming"]] == ["Prepare Sam"]
    page = response.content.decode()
    assert "Hugo&#x27;s own" not in page and "Hugo's own" not in page
    assert "Old news" not in page
    assert f'href="{candidate.get_absolute_url()}"' in page


def test_managers_see_the_teams_reminders(client, manager, headhunter, mine):
    ReminderFactory(user=headhunter, candidate=mine.candidate, title="Hugo's own", due_at=NOW)
    client.force_login(manager)
    assert list(client.get(LIST).context["due"]) == []
    team = client.get(LIST, {"who": "team"})
    assert {r.title for r in team.context["due"]} == {"Call Sam", "Hugo's own"}


def test_a_recruiter_asking_for_the_team_still_sees_only_their_own(
    client, recruiter, headhunter, mine
):
    ReminderFactory(user=headhunter, candidate=mine.candidate, title="Hugo's own", due_at=NOW)
    client.force_login(recruiter)
    assert [r.title for r in client.get(LIST, {"who": "team"}).context["due"]] == ["Call Sam"]


def test_the_closed_list_shows_done_and_cancelled_ones(client, recruiter, mine):
    ReminderFactory(user=recruiter, title="Old news", state=State.DONE, closed_at=NOW)
    client.force_login(recruiter)
    assert [r.title for r in client.get(LIST, {"show": "closed"}).context["reminders"]] == [
        "Old news"
    ]


def test_times_are_shown_in_the_users_time_zone(client, recruiter, mine):
    recruiter.time_zone = "Asia/Tokyo"
    recruiter.save()
    client.force_login(recruiter)
    page = client.get(LIST).content.decode()
    assert "Mon 2 Mar 2026, 23:00" in page  # 14:00 UTC
    assert "Asia/Tokyo" in page


def test_a_failed_reminder_says_the_email_failed(client, recruiter, mine):
    Reminder.objects.filter(pk=mine.pk).update(state=State.FAILED, last_error="SMTP down")
    client.force_login(recruiter)
    page = client.get(LIST).content.decode()
    assert "Email failed" in page and "SMTP down" in page


def test_the_page_needs_a_login(client):
    assert client.get(LIST).status_code == 302


def test_the_page_costs_the_same_queries_for_five_reminders_or_fifty(
    client, manager, org, candidate
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST, {"who": "team"}).status_code == 200
        return len(captured)

    client.force_login(manager)
    ReminderFactory.create_batch(5, user__organization=org, candidate=candidate, due_at=NOW)
    five = queries()
    ReminderFactory.create_batch(45, user__organization=org, candidate=candidate, due_at=NOW)
    assert queries() == five


# --- Done, snooze, cancel -------------------------------------------------------------------


def test_done_from_the_page(client, recruiter, mine):
    client.force_login(recruiter)
    response = act(client, mine, "done")
    assert response.status_code == 302
    assert response.url == LIST
    assert state_of(mine) == State.DONE


def test_snooze_for_a_day_or_a_week(client, recruiter, mine):
    client.force_login(recruiter)
    act(client, mine, "snooze", **{"for": "1w"})
    mine.refresh_from_db()
    assert (mine.state, mine.due_at) == (State.SNOOZED, NOW + timedelta(weeks=1))
    act(client, mine, "snooze", **{"for": "1d"})
    mine.refresh_from_db()
    assert mine.due_at == NOW + timedelta(days=1)


def test_snooze_for_another_length_changes_nothing(client, recruiter, mine):
    client.force_login(recruiter)
    act(client, mine, "snooze", **{"for": "1y"})
    assert state_of(mine) == State.PENDING


def test_cancel_from_the_candidate_page_goes_back_there(client, recruiter, mine, candidate):
    client.force_login(recruiter)
    response = act(client, mine, "cancel", next=candidate.get_absolute_url())
    assert response.url == candidate.get_absolute_url()
    assert state_of(mine) == State.CANCELLED


def test_a_next_address_on_another_site_is_ignored(client, recruiter, mine):
    client.force_login(recruiter)
    assert act(client, mine, "done", next="https://evil.example/").url == LIST


def test_acting_twice_says_it_is_already_done(client, recruiter, mine):
    client.force_login(recruiter)
    act(client, mine, "done")
    response = client.post(reverse("reminders:cancel", args=[mine.pk]), follow=True)
    assert "already done" in response.content.decode()
    assert state_of(mine) == State.DONE


def test_actions_are_post_only(client, recruiter, mine):
    client.force_login(recruiter)
    assert client.get(reverse("reminders:done", args=[mine.pk])).status_code == 405
    assert state_of(mine) == State.PENDING


def test_another_organizations_reminder_is_not_found(client, outsider, mine):
    client.force_login(outsider)
    for action in ("done", "snooze", "cancel"):
        assert act(client, mine, action, **{"for": "1d"}).status_code == 404
    assert state_of(mine) == State.PENDING


def test_a_colleague_cannot_act_on_my_reminder_but_a_manager_can(client, headhunter, manager, mine):
    client.force_login(headhunter)
    assert act(client, mine, "done").status_code == 403
    # Refused for who they are, before the form is read: a bad snooze is still a 403.
    assert act(client, mine, "snooze", **{"for": "forever"}).status_code == 403
    client.force_login(manager)
    act(client, mine, "done")
    assert state_of(mine) == State.DONE


# --- Adding one -----------------------------------------------------------------------------


def test_add_a_reminder_for_a_colleague_in_my_own_time_zone(client, recruiter, manager, candidate):
    recruiter.time_zone = "Asia/Tokyo"
    recruiter.save()
    client.force_login(recruiter)
    url = reverse("reminders:add", args=[candidate.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"title": "Ask about Acme", "due_at": "2026-03-04T09:00", "user": manager.pk, "body": ""},
    )
    assert response.status_code == 302
    assert response.url == candidate.get_absolute_url()
    reminder = Reminder.objects.get()
    assert (reminder.title, reminder.user, reminder.created_by) == (
        "Ask about Acme",
        manager,
        recruiter,
    )
    assert reminder.due_at == datetime(2026, 3, 4, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo


def test_a_reminder_cannot_be_given_to_another_organization(client, recruiter, outsider, candidate):
    client.force_login(recruiter)
    response = client.post(
        reverse("reminders:add", args=[candidate.pk]),
        {"title": "x", "due_at": "2026-03-04T09:00", "user": outsider.pk},
    )
    assert response.status_code == 200
    assert "user" in response.context["form"].errors
    assert not Reminder.objects.exists()


def test_a_time_long_past_is_refused(client, recruiter, candidate):
    client.force_login(recruiter)
    response = client.post(
        reverse("reminders:add", args=[candidate.pk]),
        {"title": "x", "due_at": "2026-02-01T09:00", "user": recruiter.pk},
    )
    assert "That time has passed" in response.content.decode()
    assert not Reminder.objects.exists()


def test_no_reminder_about_another_organizations_candidate(client, outsider, candidate):
    client.force_login(outsider)
    assert client.get(reverse("reminders:add", args=[candidate.pk])).status_code == 404


# --- The nav count and the partials ---------------------------------------------------------


def test_the_nav_counts_my_open_reminders_that_are_due(client, recruiter, mine, candidate):
    ReminderFactory(user=recruiter, candidate=candidate, due_at=NOW, state=State.FAILED)
    ReminderFactory(user=recruiter, candidate=candidate, due_at=NOW + timedelta(minutes=1))
    ReminderFactory(user=recruiter, candidate=candidate, due_at=NOW, state=State.DONE)
    client.force_login(recruiter)
    response = client.get(LIST)
    assert response.context["reminders_due"] == 2
    assert str(response.context["reminders_due"]) == "2"


def test_the_candidate_partial_lists_open_reminders_with_their_actions(
    rf: RequestFactory, recruiter, mine, candidate
):
    request = rf.get(candidate.get_absolute_url())
    request.user = recruiter
    html = render_to_string(
        "reminders/partials/candidate_reminders.html",
        {
            "candidate": candidate,
            "reminders": selectors.for_candidate(candidate),
            "user": recruiter,
        },
        request=request,
    )
    assert "Call Sam" in html
    assert reverse("reminders:done", args=[mine.pk]) in html
    assert reverse("reminders:snooze", args=[mine.pk]) in html
    assert f'name="next" value="{candidate.get_absolute_url()}"' in html
    assert reverse("reminders:add", args=[candidate.pk]) in html


def test_the_today_selector_lists_what_is_due_by_the_end_of_my_day(recruiter, mine, candidate):
    recruiter.time_zone = "Europe/London"
    later_today = ReminderFactory(
        user=recruiter, candidate=candidate, due_at=datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    )
    ReminderFactory(
        user=recruiter, candidate=candidate, due_at=datetime(2026, 3, 3, 0, 30, tzinfo=UTC)
    )
    assert list(selectors.due_for_user(recruiter, NOW)) == [mine, later_today]


def test_the_candidate_page_shows_its_reminders_and_acting_there_comes_back(
    client, recruiter, mine, candidate
):
    client.force_login(recruiter)
    page = client.get(candidate.get_absolute_url()).content.decode()
    assert 'id="reminders-heading"' in page
    assert "Call Sam" in page
    assert reverse("reminders:snooze", args=[mine.pk]) in page
    response = act(client, mine, "snooze", **{"for": "1d", "next": candidate.get_absolute_url()})
    assert response.url == candidate.get_absolute_url()
    assert "Call Sam" in client.get(response.url).content.decode()  # snoozed, still open


def test_the_today_page_shows_my_reminders_due_today(client, recruiter, mine, candidate):
    ReminderFactory(
        user=recruiter, candidate=candidate, title="Next week", due_at=NOW + timedelta(days=7)
    )
    client.force_login(recruiter)
    page = client.get(reverse("candidates:today")).content.decode()
    assert "My reminders due today" in page
    assert "Call Sam" in page
    assert "Next week" not in page


# --- Never stale: the nav's count, Today's "due today", the candidate page's reminders -----


def due_badge(page: str) -> str | None:
    found = re.search(r'aria-label="(\d+) due"', page)
    return found.group(1) if found else None


def test_done_on_a_today_page_takes_it_off_at_once(client, recruiter, mine):
    client.force_login(recruiter)
    today = reverse("candidates:today")
    before = client.get(today).content.decode()
    assert "Call Sam" in before and due_badge(before) == "1"

    act(client, mine, "done", next=today)

    after = client.get(today).content.decode()
    assert "Nothing is due today." in after  # ("Done: Call Sam." flashes above)
    assert due_badge(after) is None


def test_a_reminder_added_or_cancelled_shows_on_a_candidate_page(client, recruiter, candidate):
    client.force_login(recruiter)
    url = candidate.get_absolute_url()
    assert "No open reminder about Sam Carter" in client.get(url).content.decode()

    added = ReminderFactory(
        user=recruiter, candidate=candidate, title="Ring back", due_at=NOW + timedelta(days=1)
    )
    assert "Ring back" in client.get(url).content.decode()

    act(client, added, "cancel", next=url)
    assert "No open reminder about Sam Carter" in client.get(url).content.decode()


def test_the_nav_count_takes_in_a_reminder_falling_due_within_the_minute(
    client, clock, recruiter, mine, candidate
):
    ReminderFactory(user=recruiter, candidate=candidate, due_at=NOW + timedelta(seconds=90))
    client.force_login(recruiter)
    assert due_badge(client.get(LIST).content.decode()) == "1"
    clock.shift(timedelta(seconds=60))
    assert due_badge(client.get(LIST).content.decode()) == "1"  # not due yet
    clock.shift(timedelta(seconds=60))
    assert due_badge(client.get(LIST).content.decode()) == "2"


def test_an_email_that_failed_shows_on_a_candidate_page_seen_before(
    client, manager, headhunter, candidate
):
    from reminders import delivery

    ReminderFactory(user=headhunter, candidate=candidate, title="Call Sam", due_at=NOW)
    headhunter.is_active = False  # the dispatcher gives up on a deactivated member at once
    headhunter.save()
    client.force_login(manager)
    url = candidate.get_absolute_url()
    assert "Email failed" not in client.get(url).content.decode()

    assert delivery.dispatch_due(now=NOW).failed == 1

    assert "Email failed" in client.get(url).content.decode()
