"""Calendars: the iCalendar module, the interview invitation on preparation and check-in
reminder emails, and each member's private calendar feed (the page that makes it, the feed
itself, what it lists, for whom, and what it refuses). The feed's answers to every requester
and token: tests/test_authorization.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from candidates import calendar
from candidates import services as candidate_services
from candidates.engine import Kind, Reason, Status
from candidates.models import Candidate, Role
from reminders import calendars, delivery
from reminders.models import CalendarFeed, Reminder, State, StoredEmail
from reminders.rules import ReminderKind

from .factories import (
    CandidateFactory,
    ClientFactory,
    EventFactory,
    JobFactory,
    ReminderFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SITE = "https://recovery.example.com"
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # a Monday
LONDON = ZoneInfo("Europe/London")
PARIS = ZoneInfo("Europe/Paris")
INTERVIEW = datetime(2026, 3, 12, 14, 30, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = SITE
    settings.DEFAULT_FROM_EMAIL = "Recovery <recovery@recovery.example.com>"
    settings.EMAIL_BACKEND = "reminders.backends.DatabaseEmailBackend"


def parse(ics: bytes) -> Calendar:
    return Calendar.from_ical(ics)


def events_of(cal: Calendar) -> dict[str, object]:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def granted(candidate: Candidate, *, by, manager, job=None, interview_at=INTERVIEW):
    """A no-show, a request and a grant with an interview: the candidate has a second chance."""
    candidate_services.event_log(
        candidate=candidate,
        kind=Kind.NO_SHOW,
        occurred_on=date(2026, 2, 27),
        reason=Reason.COMMUTE,
        job=job,
        recorded_by=by,
    )
    candidate_services.second_chance_request(
        candidate=candidate, pitch="Please", recorded_by=by, job=job
    )
    return candidate_services.second_chance_decide(
        candidate=candidate, grant=True, decided_by=manager, interview_at=interview_at, job=job
    )


# --- candidates/calendar.py -------------------------------------------------------------------


def test_an_interview_is_written_in_utc_with_a_stable_uid_and_its_people():
    event = calendar.interview_event(
        uid=calendar.interview_uid(42),
        start=datetime(2026, 7, 1, 10, 0, tzinfo=PARIS),
        summary="Second-chance interview: Sam Carter",
        description="Bring the CV; ask about dates",
        location="Acme",
        organizer_email="recovery@recovery.example.com",
        attendee_email="sam@example.com",
        sequence=2,
    )
    ics = calendar.calendar_bytes([event])
    assert b"DTSTART:20260701T080000Z" in ics  # 10:00 in Paris, summer time
    cal = parse(ics)
    assert str(cal["METHOD"]) == "REQUEST"
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]) == calendar.PRODID
    (vevent,) = cal.walk("VEVENT")
    assert str(vevent["UID"]) == "interview-42@recovery.example.com"
    assert vevent.decoded("DTSTART") == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert vevent.decoded("DTEND") - vevent.decoded("DTSTART") == timedelta(hours=1)
    assert vevent.decoded("DTSTAMP") == NOW
    assert vevent.decoded("SEQUENCE") == 2
    assert str(vevent["ORGANIZER"]) == "mailto:recovery@recovery.example.com"
    assert str(vevent["ATTENDEE"]) == "mailto:sam@example.com"
    assert str(vevent["SUMMARY"]) == "Second-chance interview: Sam Carter"
    assert str(vevent["LOCATION"]) == "Acme"


def test_a_feed_calendar_has_no_method_and_a_name():
    reminder = calendar.reminder_event(
        uid=calendar.reminder_uid(7), due=datetime(2026, 3, 3, 9, 0, tzinfo=LONDON), summary="Call"
    )
    cal = parse(calendar.calendar_bytes([reminder], method=None, name="Recovery: Rita"))
    assert "METHOD" not in cal
    assert str(cal["X-WR-CALNAME"]) == "Recovery: Rita"
    (vevent,) = cal.walk("VEVENT")
    assert str(vevent["UID"]) == "reminder-7@recovery.example.com"
    assert str(vevent["TRANSP"]) == "TRANSPARENT"
    assert vevent.decoded("DTSTART") == datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError, match="aware"):
        calendar.interview_event(uid="x", start=datetime(2026, 3, 3, 9, 0), summary="x")


# --- The invitation on reminder emails --------------------------------------------------------


def invitation_of(stored: StoredEmail) -> Calendar:
    (attachment,) = stored.attachments
    assert attachment["filename"] == "invite.ics"
    assert attachment["content_type"] == "text/calendar; method=REQUEST; charset=utf-8"
    return parse(attachment["content"].encode())


def test_preparation_and_check_in_emails_carry_the_interview_and_others_do_not(
    clock, org, recruiter, manager
):
    job = JobFactory(client=ClientFactory(organization=org, name="Acme"), title="Welder")
    candidate = CandidateFactory(organization=org, owner=recruiter, name="Sam Carter")
    grant = granted(candidate, by=recruiter, manager=manager, job=job)
    kinds = set(Reminder.objects.filter(candidate=candidate).values_list("kind", flat=True))
    assert kinds >= {ReminderKind.FOLLOW_UP, ReminderKind.PREPARATION, ReminderKind.CHECK_IN}
    uid = f"interview-{grant.pk}@recovery.example.com"

    # The day before the interview: the follow-up (cancelled by the request, so not sent),
    # the decision reminders (done) and the preparation.
    ReminderFactory(user=recruiter, candidate=candidate, title="A manual one")
    clock.move_to(datetime(2026, 3, 11, 9, 1, tzinfo=LONDON))
    delivery.dispatch_due()
    sent = {e.subject: e for e in StoredEmail.objects.all()}
    assert sent["A manual one"].attachments == []
    prep = sent["Prepare Sam Carter for the second interview"]
    assert "attached as a calendar invitation" in prep.body
    (vevent,) = invitation_of(prep).walk("VEVENT")
    assert str(vevent["UID"]) == uid
    assert vevent.decoded("DTSTART") == INTERVIEW.astimezone(UTC)
    assert str(vevent["ATTENDEE"]) == f"mailto:{recruiter.email}"
    assert str(vevent["ORGANIZER"]) == "mailto:recovery@recovery.example.com"
    assert "Sam Carter" in str(vevent["SUMMARY"])
    assert "Welder at Acme" in str(vevent["SUMMARY"])
    assert f"{SITE}/candidates/{candidate.pk}/" in str(vevent["DESCRIPTION"])

    clock.move_to(datetime(2026, 3, 13, 9, 1, tzinfo=LONDON))
    delivery.dispatch_due()
    check_in = StoredEmail.objects.get(subject="How did Sam Carter's second interview go?")
    (again,) = invitation_of(check_in).walk("VEVENT")
    assert str(again["UID"]) == uid  # the same entry, updated rather than duplicated
    assert again.decoded("DTSTART") == INTERVIEW.astimezone(UTC)


def test_a_moved_interview_goes_out_with_a_higher_sequence(clock, org, recruiter, manager):
    candidate = CandidateFactory(organization=org, owner=recruiter, name="Sam Carter")
    grant = granted(candidate, by=recruiter, manager=manager)
    first = Reminder.objects.select_related("user", "candidate", "event", "job__client").get(
        candidate=candidate, kind=ReminderKind.PREPARATION
    )
    (before,) = parse(calendars.reminder_invitation(first)).walk("VEVENT")
    moved = INTERVIEW + timedelta(days=7)
    candidate_services.event_update(
        event=grant, updated_by=manager, change_reason="Rebooked", interview_at=moved
    )
    second = Reminder.objects.select_related("user", "candidate", "event", "job__client").get(
        candidate=candidate, kind=ReminderKind.PREPARATION, state=State.PENDING
    )
    (after,) = parse(calendars.reminder_invitation(second)).walk("VEVENT")
    assert str(after["UID"]) == str(before["UID"])
    assert after.decoded("SEQUENCE") > before.decoded("SEQUENCE")
    assert after.decoded("DTSTART") == moved.astimezone(UTC)


def test_no_invitation_when_the_event_is_gone(org, recruiter):
    reminder = ReminderFactory(user=recruiter, kind=ReminderKind.PREPARATION, event=None)
    assert calendars.reminder_invitation(reminder) is None


# --- The feed: making and revoking it ----------------------------------------------------------


def feed_path(token: str) -> str:
    return reverse("calendar_feed", kwargs={"token": token})


def make_feed(client, user) -> str:
    """Makes a feed through the page, as the member would; returns the URL's path."""
    client.force_login(user)
    response = client.post(reverse("reminders:calendar"))
    assert response.status_code == 200
    url = response.context["new_url"]
    assert url.startswith(f"{SITE}/calendar/") and url.endswith(".ics")
    assert url in response.content.decode()
    client.logout()
    return url[len(SITE) :]


def test_the_page_shows_the_url_once_and_stores_only_its_hash(client, recruiter):
    path = make_feed(client, recruiter)
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    feed = CalendarFeed.objects.get()
    assert feed.token_hash != token and len(feed.token_hash) == 64
    assert not CalendarFeed.objects.filter(token_hash__contains=token).exists()
    client.force_login(recruiter)
    page = client.get(reverse("reminders:calendar"))
    assert page.status_code == 200
    assert token not in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    assert "Revoke the feed" in page.content.decode()
    listing = client.get(reverse("reminders:list")).content.decode()
    assert reverse("reminders:calendar") in listing


def test_a_new_url_revokes_the_old_and_revoking_ends_it(client, recruiter):
    old = make_feed(client, recruiter)
    assert client.get(old).status_code == 200
    new = make_feed(client, recruiter)
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert CalendarFeed.objects.live().count() == 1
    client.force_login(recruiter)
    assert client.post(reverse("reminders:calendar_revoke")).status_code == 302
    client.logout()
    assert client.get(new).status_code == 404
    assert CalendarFeed.objects.live().count() == 0


# --- The feed: what it answers -------------------------------------------------------------------


def test_the_feed_is_a_private_uncached_calendar(client, recruiter):
    path = make_feed(client, recruiter)
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert "Set-Cookie" not in response
    cal = parse(response.content)
    assert "METHOD" not in cal
    assert recruiter.email in str(cal["X-WR-CALNAME"]) or recruiter.first_name in str(
        cal["X-WR-CALNAME"]
    )
    assert CalendarFeed.objects.get().last_fetched_at == NOW


@pytest.mark.parametrize("how", ["made-up", "revoked", "deactivated", "moved", "other org"])
def test_a_refused_token_is_the_same_plain_404(client, recruiter, outsider, how):
    path = make_feed(client, recruiter)
    refused = path
    if how == "made-up":
        refused = feed_path("A" * 43)
    elif how == "revoked":
        calendars.feed_revoke(recruiter)
    elif how == "deactivated":
        recruiter.is_active = False
        recruiter.save()
    elif how == "moved":
        recruiter.organization = outsider.organization
        recruiter.save()
    elif how == "other org":
        # Another organization's member asks with their own session: the token decides, and
        # a made-up one is refused whoever asks.
        client.force_login(outsider)
        refused = feed_path("B" * 43)
    response = client.get(refused)
    assert response.status_code == 404
    assert response.content == b"Not found.\n"
    assert response["Content-Type"].startswith("text/plain")
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"


def test_a_member_sees_their_interviews_and_coming_reminders_only(
    clock, client, org, other_org, recruiter, headhunter, manager
):
    job = JobFactory(client=ClientFactory(organization=org, name="Acme"), title="Welder")
    mine = CandidateFactory(organization=org, owner=recruiter, name="Mine Owned")
    reminded = CandidateFactory(organization=org, owner=headhunter, name="Reminded About")
    theirs = CandidateFactory(organization=org, owner=headhunter, name="Not Mine")
    past = CandidateFactory(organization=org, owner=recruiter, name="Already Interviewed")
    grant_mine = granted(mine, by=recruiter, manager=manager, job=job)
    grant_reminded = granted(
        reminded, by=headhunter, manager=manager, interview_at=INTERVIEW + timedelta(days=1)
    )
    grant_theirs = granted(theirs, by=headhunter, manager=manager)
    granted(past, by=recruiter, manager=manager, interview_at=NOW + timedelta(hours=2))
    ReminderFactory(user=recruiter, candidate=reminded, title="Ask about the interview")
    coming = ReminderFactory(
        user=recruiter, candidate=mine, title="Call Mine", due_at=NOW + timedelta(days=2)
    )
    earlier_today = ReminderFactory(
        user=recruiter, candidate=mine, title="Earlier today", due_at=NOW - timedelta(hours=5)
    )
    ReminderFactory(user=recruiter, candidate=mine, title="Yesterday", due_at=NOW - timedelta(1))
    ReminderFactory(
        user=recruiter,
        candidate=mine,
        title="Done already",
        due_at=NOW + timedelta(days=1),
        state=State.DONE,
    )
    ReminderFactory(user=headhunter, candidate=mine, title="Not my reminder")
    # Another organization's second chance, owned by someone of that organization.
    rival = UserFactory(organization=other_org, role=Role.RECRUITER)
    rival_candidate = CandidateFactory(organization=other_org, owner=rival, name="Zed Rival")
    rival_manager = UserFactory(organization=other_org, role=Role.MANAGER)
    granted(rival_candidate, by=rival, manager=rival_manager)

    clock.move_to(NOW + timedelta(hours=3))  # `past`'s interview is over
    path = make_feed(client, recruiter)
    cal = parse(client.get(path).content)
    entries = events_of(cal)
    host = "recovery.example.com"
    assert set(entries) == {
        f"interview-{grant_mine.pk}@{host}",
        f"interview-{grant_reminded.pk}@{host}",
        f"reminder-{coming.pk}@{host}",
        f"reminder-{earlier_today.pk}@{host}",
        # the reminders the rules made for the recruiter (preparations, check-ins) are open
        *(
            f"reminder-{pk}@{host}"
            for pk in Reminder.objects.filter(
                user=recruiter, kind__in=[ReminderKind.PREPARATION, ReminderKind.CHECK_IN]
            )
            .open()
            .values_list("pk", flat=True)
        ),
        # ... and the one about the reminded candidate
        *(
            f"reminder-{pk}@{host}"
            for pk in Reminder.objects.filter(user=recruiter, title="Ask about the interview")
            .open()
            .values_list("pk", flat=True)
        ),
    }
    interview = entries[f"interview-{grant_mine.pk}@{host}"]
    assert interview.decoded("DTSTART") == INTERVIEW.astimezone(UTC)
    assert str(interview["SUMMARY"]) == "Second-chance interview: Mine Owned, Welder at Acme"
    assert str(interview["LOCATION"]) == "Acme"
    call = entries[f"reminder-{coming.pk}@{host}"]
    assert str(call["SUMMARY"]) == "Reminder: Call Mine"
    assert call.decoded("DTSTART") == NOW + timedelta(days=2)
    body = client.get(path).content.decode()
    for hidden in ("Not Mine", "Yesterday", "Done already", "Not my reminder", "Zed Rival"):
        assert hidden not in body
    assert f"interview-{grant_theirs.pk}@" not in body


def test_a_manager_sees_every_coming_interview_of_the_organization(
    client, org, recruiter, headhunter, manager
):
    mine = CandidateFactory(organization=org, owner=recruiter)
    theirs = CandidateFactory(organization=org, owner=headhunter)
    grants = [granted(c, by=c.owner, manager=manager) for c in (mine, theirs)]
    cal = parse(client.get(make_feed(client, manager)).content)
    uids = {uid for uid in events_of(cal) if uid.startswith("interview-")}
    assert uids == {f"interview-{g.pk}@recovery.example.com" for g in grants}


def second_chances(org, owner, n: int) -> None:
    """`n` candidates with a standing second chance, an interview to come and an open
    reminder each, written directly (the feed reads what services.reevaluate stores)."""
    job = JobFactory(client=ClientFactory(organization=org))
    for i in range(n):
        candidate = CandidateFactory(organization=org, owner=owner)
        grant = EventFactory(
            candidate=candidate,
            kind=Kind.SECOND_CHANCE_GRANTED,
            occurred_on=NOW.date(),
            job=job,
            interview_at=NOW + timedelta(days=3, hours=i),
        )
        Candidate.objects.filter(pk=candidate.pk).update(
            status=Status.SECOND_CHANCE,
            next_interview=grant,
            next_interview_at=grant.interview_at,
        )
        ReminderFactory(user=owner, candidate=candidate, due_at=NOW + timedelta(days=1, hours=i))


@pytest.mark.parametrize("role", [Role.RECRUITER, Role.MANAGER])
def test_the_feed_costs_the_same_few_queries_whatever_its_size(
    client, org, django_assert_max_num_queries, role
):
    member = UserFactory(organization=org, role=role)
    path = make_feed(client, member)
    # The token and its member, its last fetch, the interviews, the reminders.
    for n in (1, 30):
        second_chances(org, member, n)
        with django_assert_max_num_queries(4):
            response = client.get(path)
        assert response.status_code == 200
        cal = parse(response.content)
        total = Candidate.objects.filter(organization=org, status=Status.SECOND_CHANCE).count()
        assert len(cal.walk("VEVENT")) == 2 * total


def test_a_feed_token_is_masked_in_the_logs(client, recruiter, caplog):
    from recovery.gunicorn_logging import private_path

    path = make_feed(client, recruiter)
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    assert private_path(path) == "/calendar/********.ics"
    calendars.feed_revoke(recruiter)
    with caplog.at_level("WARNING"):
        assert client.get(path).status_code == 404
    assert "path=/calendar/********.ics" in caplog.text  # recovery.security's line
    assert "Not Found: /calendar/********.ics" in caplog.text  # django.request's
    assert token not in caplog.text
