"""The candidate and the client in the loop (outreach/): the candidate's own request by
private link, the decision emailed with its invitation, the client-safe brief and the
client's decision by link, the templates, the opt-out; every bad token the same plain 404."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from candidates import services
from candidates.engine import Kind, Reason
from candidates.models import EventSource, JobState, User
from outreach import delivery
from outreach import services as outreach
from outreach.models import CandidateEmail, EmailState, LinkPurpose, OptOut, PrivateLink
from reminders.models import Reminder

from .factories import ClientFactory, JobFactory, RiskNoteFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """The public pages' rate limit counts per address in the cache: each test starts at 0."""
    cache.clear()


@pytest.fixture
def job(org):
    return JobFactory(
        client=ClientFactory(organization=org, name="Acme Logistics"), title="Forklift operator"
    )


@pytest.fixture
def stumbled(org, recruiter, job):
    candidate = services.candidate_create(
        organization=org, email="sam.cole@example.com", name="Sam Cole", owner=recruiter, rating=3
    )
    services.event_log(
        candidate=candidate,
        kind=Kind.NO_SHOW,
        occurred_on=services.today() - timedelta(days=10),
        reason=Reason.COMMUTE,
        job=job,
        notes="Said the bus never came (INTERNAL-EVENT-NOTE)",
        recorded_by=recruiter,
    )
    candidate.refresh_from_db()
    return candidate


def logged_in(user: User) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


def send_all() -> list:
    """Run the outbox as the worker does; the messages it sent."""
    before = len(mail.outbox)
    delivery.send_due()
    return mail.outbox[before:]


def url_in(body: str, prefix: str) -> str:
    match = re.search(rf"https?://[^/\s]+(/{prefix}/[^/\s]+/)", body)
    assert match, body
    return match.group(1)


def ask(recruiter, candidate, job, *, email: bool = True) -> str:
    """The recruiter makes the link from the candidate page; its path."""
    data = {"job": job.pk, **({"email": "on"} if email else {})}
    page = logged_in(recruiter)
    response = page.post(reverse("outreach:request_link", args=[candidate.pk]), data)
    assert response.status_code == 302
    shown = page.get(candidate.get_absolute_url()).content.decode()
    return url_in(shown, "r")


# --- The candidate's own request ------------------------------------------------------------


def test_the_candidate_asks_in_their_own_words_and_it_reaches_the_review_queue(
    stumbled, recruiter, manager, job, org
):
    manager.email = "mia@northwind.test"
    manager.save()
    path = ask(recruiter, stumbled, job)
    [invite] = send_all()
    assert invite.to == [stumbled.email]
    assert url_in(invite.body, "r") == path  # the emailed link is the page's
    assert "/o/" in invite.body  # every email can be stopped

    browser = HttpClient()  # no login
    page = browser.get(path)
    assert page.status_code == 200
    text = page.content.decode()
    assert org.name in text and job.title in text
    # Nothing beyond the organization's name and the job's title.
    for secret in ("Sam Cole", "Acme Logistics", "INTERNAL-EVENT-NOTE", recruiter.email):
        assert secret not in text
    assert page["Cache-Control"].startswith("max-age=0") or "no-cache" in page["Cache-Control"]
    assert page["Referrer-Policy"] == "same-origin"  # the token never leaves the site

    key = str(uuid.uuid4())
    words = "I missed it because of the bus. I have a car now and I really want this job."
    data = {"words": words, "availability": "Weekday mornings", "submission": key}
    assert browser.post(path, data).status_code == 200
    # Posted twice (a double click): stored once, the same thanks.
    again = browser.post(path, data)
    assert again.status_code == 200 and b"Thank you" in again.content

    [request] = stumbled.events.filter(kind=Kind.SECOND_CHANCE_REQUESTED)
    assert request.source == EventSource.CANDIDATE
    assert request.notes.startswith(words) and "Weekday mornings" in request.notes
    assert request.job == job and request.recorded_by is None
    stumbled.refresh_from_db()
    assert stumbled.status == "requested"
    # The review queue's reminder, as for a member's request.
    assert Reminder.objects.filter(candidate=stumbled, kind="decision").exists()
    queue = logged_in(manager).get(reverse("candidates:review")).content.decode()
    assert "In the candidate's own words" in queue and words in queue
    # The acknowledgement.
    [ack] = send_all()
    assert ack.to == [stumbled.email] and "we have your request" in ack.subject
    # Used: the link is gone.
    assert browser.get(path).status_code == 404


def test_a_request_link_copied_instead_of_emailed(stumbled, recruiter, job):
    path = ask(recruiter, stumbled, job, email=False)
    assert not CandidateEmail.objects.exists()
    assert HttpClient().get(path).status_code == 200


CASES = ["wrong", "expired", "used", "revoked", "replaced", "burned", "closed"]


@pytest.mark.parametrize("purpose", [LinkPurpose.REQUEST, LinkPurpose.BRIEF])
@pytest.mark.parametrize("case", CASES)
def test_every_unusable_link_gets_the_same_plain_404(
    case, purpose, stumbled, recruiter, manager, job, outsider
):
    """As anonymous, as a member of the organization and as another organization's member,
    GET and POST: the same 404 page as a made-up token, and nothing written."""
    from outreach.tokens import token_for

    if purpose == LinkPurpose.BRIEF:
        requested(stumbled, recruiter, job)
    link = outreach.link_create(candidate=stumbled, job=job, purpose=purpose, by=recruiter)
    token = token_for(link.salt)
    name = "outreach:request" if purpose == LinkPurpose.REQUEST else "outreach:brief"
    post = (
        {"words": "Please"}
        if purpose == LinkPurpose.REQUEST
        else {
            "decision": "grant",
            "name": "Dana",
        }
    )
    if case == "wrong":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif case == "used":
        if purpose == LinkPurpose.REQUEST:
            outreach.request_by_link(token=token, words="Please")
        else:
            outreach.decide_by_link(token=token, grant=False, name="Dana", note="No")
    elif case == "revoked":
        outreach.link_revoke(link=link, by=recruiter)
    elif case == "replaced":
        outreach.link_create(candidate=stumbled, job=job, purpose=purpose, by=recruiter)
    elif case == "burned":
        services.flag_set(candidate=stumbled, reason="Do not", recorded_by=recruiter)
        stumbled.refresh_from_db()
        assert stumbled.status == "burned"
    elif case == "closed":
        job.state = JobState.CLOSED
        job.save()
    before = (stumbled.events.count(), CandidateEmail.objects.count())
    path = reverse(name, args=[token])
    baseline = HttpClient().get(reverse(name, args=["x" * 43])).content
    at = timezone.now() + timedelta(days=14, seconds=1) if case == "expired" else timezone.now()
    with time_machine.travel(at):
        for requester in (None, manager, outsider):
            browser = logged_in(requester) if requester else HttpClient()
            for answer in (browser.get(path), browser.post(path, post)):
                assert answer.status_code == 404
                assert answer.content == baseline  # nothing says which case it was
    assert (stumbled.events.count(), CandidateEmail.objects.count()) == before


def test_no_link_for_a_burned_candidate_or_a_closed_job(stumbled, recruiter, job):
    job.state = JobState.FILLED
    job.save()
    with pytest.raises(ValidationError, match="filled"):
        outreach.link_create(candidate=stumbled, job=job, purpose=LinkPurpose.REQUEST, by=recruiter)
    page = logged_in(recruiter)
    page.post(reverse("outreach:request_link", args=[stumbled.pk]), {"job": job.pk, "email": "on"})
    assert not PrivateLink.objects.exists()


def test_the_public_pages_are_rate_limited(stumbled, recruiter, job):
    browser = HttpClient()
    answers = [
        browser.get(reverse("outreach:request", args=["y" * 43])).status_code for _ in range(31)
    ]
    assert answers[:30] == [404] * 30
    assert answers[30] == 429


def test_a_revoked_link_from_the_candidate_page(stumbled, recruiter, job, headhunter):
    path = ask(recruiter, stumbled, job, email=False)
    link = PrivateLink.objects.get()
    response = logged_in(recruiter).post(reverse("outreach:link_revoke", args=[link.pk]))
    assert response.status_code == 302
    assert HttpClient().get(path).status_code == 404


# --- The decision, emailed ------------------------------------------------------------------


def requested(candidate, recruiter, job):
    services.second_chance_request(
        candidate=candidate, pitch="Please", job=job, recorded_by=recruiter
    )
    candidate.refresh_from_db()
    return candidate


def test_a_grant_is_emailed_with_its_invitation_and_the_checklist(
    stumbled, recruiter, manager, job
):
    requested(stumbled, recruiter, job)
    at = timezone.localtime(timezone.now() + timedelta(days=3)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    response = logged_in(manager).post(
        reverse("candidates:decide", args=[stumbled.pk]),
        {
            "decision": "grant",
            "job": job.pk,
            "interview_at": at.strftime("%Y-%m-%dT%H:%M"),
            "email_candidate": "on",
            "place": "12 Dock Road",
        },
    )
    assert response.status_code == 302
    [grant] = send_all()
    assert grant.to == [stumbled.email]
    assert "Be in reception 10 minutes early" in grant.body
    assert "12 Dock Road" in grant.body
    [part] = grant.attachments
    assert part.get_filename() == "invite.ics"
    assert part["Content-Type"] == "text/calendar; method=REQUEST; charset=utf-8"
    calendar = Calendar.from_ical(part.get_payload(decode=True))
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == at
    assert str(event["location"]) == "12 Dock Road"
    assert str(calendar["method"]) == "REQUEST"
    # Recorded on the candidate page.
    page = logged_in(manager).get(stumbled.get_absolute_url()).content.decode()
    assert "Grant sent to the candidate" in page
    # Sent once, however often the outbox runs.
    assert send_all() == []


def test_a_refusal_is_emailed_in_respectful_words_without_an_invitation(
    stumbled, recruiter, manager, job
):
    requested(stumbled, recruiter, job)
    logged_in(manager).post(
        reverse("candidates:decide", args=[stumbled.pk]),
        {"decision": "refuse", "job": job.pk, "note": "Second no-show", "email_candidate": "on"},
    )
    [refusal] = send_all()
    assert "not about you" in refusal.body
    assert "Second no-show" not in refusal.body  # the internal note stays internal
    assert refusal.attachments == []


def test_an_opted_out_candidate_is_not_emailed(stumbled, recruiter, manager, job):
    path = ask(recruiter, stumbled, job)
    [invite] = send_all()
    opt_out = url_in(invite.body, "o")
    browser = HttpClient()
    assert browser.get(opt_out).status_code == 200
    assert browser.post(opt_out).status_code == 200
    assert OptOut.objects.filter(candidate=stumbled).exists()
    HttpClient().post(path, {"words": "Please, once more"})  # no acknowledgement now
    response = logged_in(manager).post(
        reverse("candidates:decide", args=[stumbled.pk]),
        {"decision": "grant", "job": job.pk, "email_candidate": "on"},
        follow=True,
    )
    assert "asked for no more emails" in response.content.decode()
    assert send_all() == []
    assert "Opted out of emails" in response.content.decode()


def test_a_forged_opt_out_link_is_a_404(stumbled):
    assert HttpClient().post(reverse("outreach:opt_out", args=["1:forged"])).status_code == 404
    assert not OptOut.objects.exists()


def test_a_decision_not_emailed_at_once_can_be_later(stumbled, recruiter, manager, job):
    requested(stumbled, recruiter, job)
    event = services.second_chance_decide(
        candidate=stumbled, grant=False, decided_by=manager, note="No"
    )
    page = logged_in(recruiter)
    assert (
        "was not emailed to the candidate" in page.get(stumbled.get_absolute_url()).content.decode()
    )
    url = reverse("outreach:decision_email", args=[stumbled.pk, event.pk])
    page.post(url)
    page.post(url)  # twice: one email
    assert len(send_all()) == 1


def test_the_outbox_resends_after_a_worker_died_holding_a_claim(stumbled, recruiter, job):
    ask(recruiter, stumbled, job)
    email = CandidateEmail.objects.get()
    now = timezone.now()
    # A worker claimed it and died: its lease runs out, the next run sends it, once.
    assert delivery.claim_batch("dead-worker", now=now, lease=timedelta(minutes=5))
    assert delivery.send_due(now=now) == 0
    with time_machine.travel(now + timedelta(minutes=6)):
        assert delivery.send_due() == 1
        assert delivery.send_due() == 0
    email.refresh_from_db()
    assert email.state == EmailState.SENT


def test_a_failing_mail_server_is_retried_then_shown(stumbled, recruiter, job, settings):
    settings.EMAIL_BACKEND = "tests.test_outreach.BrokenBackend"
    ask(recruiter, stumbled, job)
    assert delivery.send_due() == 0
    email = CandidateEmail.objects.get()
    assert email.state == EmailState.PENDING and email.attempts == 1
    assert "refused" in email.last_error


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        pass

    def close(self):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("refused")


# --- Templates ------------------------------------------------------------------------------


def test_a_manager_edits_the_wording_with_a_preview(stumbled, recruiter, manager, job, org):
    page = logged_in(manager)
    url = reverse("outreach:template_edit", args=["link"])
    body = "Hi {{ first_name|upper }}, write to us: {{ link }}"
    preview = page.post(url, {"subject": "{{ organization }} asks", "body": body, "preview": ""})
    assert preview.status_code == 200 and "Hi SAM, write to us" in preview.content.decode()
    assert (
        page.post(url, {"subject": "{{ organization }} asks", "body": body, "save": ""}).status_code
        == 302
    )
    ask(recruiter, stumbled, job)
    [invite] = send_all()
    assert invite.subject == f"{org.name} asks"
    assert invite.body.startswith("Hi SAM, write to us: http")


@pytest.mark.parametrize(
    "body, problem",
    [
        ("{% load static %}", "not allowed"),
        ("{% include 'base.html' %}", "not allowed"),
        ("{{ candidate.organization.members }}", "not one of the variables"),
        ("{{ settings.SECRET_KEY }}", "not one of the variables"),
        ("{{ first_name|safe }}", "filter |safe"),
        ("{% if first_name %}never closed", "does not read"),
        # An if's conditions are held to the same rules (these crashed or ate memory).
        ("{% if 1|divisibleby:0 %}x{% endif %}", "filter |divisibleby"),
        ('{% if first_name|ljust:"300000000" %}x{% endif %}', "filter |ljust"),
        ("{% if settings.DEBUG %}x{% endif %}", "not one of the variables"),
    ],
)
def test_templates_are_limited_to_the_safe_variables(manager, body, problem):
    response = logged_in(manager).post(
        reverse("outreach:template_edit", args=["grant"]),
        {"subject": "Hi", "body": body, "save": ""},
    )
    assert response.status_code == 200 and problem in response.content.decode()
    with pytest.raises(ValidationError):
        outreach.template_save(
            organization_id=manager.organization_id,
            kind="grant",
            subject="Hi",
            body=body,
            by=manager,
        )


@pytest.mark.parametrize("role", ["recruiter", "headhunter"])
def test_only_deciders_edit_the_templates(org, role):
    member = UserFactory(organization=org, role=role)
    page = logged_in(member)
    assert page.get(reverse("outreach:template_edit", args=["grant"])).status_code == 403
    assert page.get(reverse("outreach:templates")).status_code == 403


def test_an_unknown_template_kind_is_a_404(manager):
    assert (
        logged_in(manager).get(reverse("outreach:template_edit", args=["nope"])).status_code == 404
    )


# --- The client-safe brief and the client's decision --------------------------------------


@pytest.fixture
def other_job(org):
    return JobFactory(
        client=ClientFactory(organization=org, name="Zeta Secret Client"), title="Packer"
    )


def brief_of(response) -> str:
    """The brief itself (the member's page around it also lists every job to choose from)."""
    html = response.content.decode()
    return html[html.index('<article class="brief') : html.index("</article>")]


def test_the_brief_leaves_out_what_is_internal_unless_ticked(
    stumbled, recruiter, headhunter, job, other_job
):
    RiskNoteFactory(
        candidate=stumbled, note="RISK-NOTE-TEXT", author=recruiter, author_email=recruiter.email
    )
    services.event_log(
        candidate=stumbled,
        kind=Kind.DECLINED_OFFER,
        occurred_on=services.today(),
        reason=Reason.COMPENSATION,
        job=other_job,
        recorded_by=recruiter,
    )
    requested(stumbled, recruiter, job)
    services.flag_set(candidate=stumbled, reason="FLAG-REASON", recorded_by=recruiter)
    page = logged_in(headhunter)
    url = reverse("outreach:brief_make", args=[stumbled.pk])
    plain = brief_of(page.get(url, {"job": job.pk}))
    assert "Sam Cole" in plain and "No-show" in plain
    for secret in ("RISK-NOTE-TEXT", "Zeta Secret Client", "INTERNAL-EVENT-NOTE", "FLAG-REASON"):
        assert secret not in plain
    ticked = brief_of(page.get(url, {"job": job.pk, "show": ["notes", "other_clients"]}))
    assert "RISK-NOTE-TEXT" in ticked and "Zeta Secret Client" in ticked
    assert "INTERNAL-EVENT-NOTE" not in ticked and "FLAG-REASON" not in ticked


def test_a_client_decides_from_the_brief_link(stumbled, recruiter, headhunter, manager, job):
    requested(stumbled, recruiter, job)
    page = logged_in(headhunter)
    page.post(reverse("outreach:brief_share", args=[stumbled.pk]), {"job": job.pk})
    path = url_in(page.get(stumbled.get_absolute_url()).content.decode(), "b")
    client = HttpClient()
    shown = client.get(path).content.decode()
    assert "Sam Cole" in shown and "INTERNAL-EVENT-NOTE" not in shown
    at = timezone.localtime(timezone.now() + timedelta(days=5)).replace(second=0, microsecond=0)
    key = str(uuid.uuid4())
    data = {
        "decision": "grant",
        "name": "Dana Reyes",
        "interview_at": at.strftime("%Y-%m-%dT%H:%M"),
        "submission": key,
    }
    assert client.post(path, data).status_code == 200
    assert client.post(path, data).status_code == 200  # twice: once
    [grant] = stumbled.events.filter(kind=Kind.SECOND_CHANCE_GRANTED)
    assert grant.source == EventSource.CLIENT and grant.recorded_by is None
    assert grant.source_name == "Dana Reyes, Acme Logistics"
    assert grant.interview_at == at
    # The same reminders as a member's grant: preparation and check-in.
    kinds = set(Reminder.objects.filter(candidate=stumbled).values_list("kind", flat=True))
    assert {"preparation", "check_in"} <= kinds
    history = logged_in(manager).get(stumbled.get_absolute_url()).content.decode()
    assert "Decided by Dana Reyes, Acme Logistics, by link" in history
    assert client.get(path).status_code == 404  # used


def test_a_client_refusal_needs_a_reason(stumbled, recruiter, headhunter, job):
    requested(stumbled, recruiter, job)
    link = outreach.link_create(
        candidate=stumbled, job=job, purpose=LinkPurpose.BRIEF, by=headhunter
    )
    from outreach.tokens import token_for

    path = reverse("outreach:brief", args=[token_for(link.salt)])
    response = HttpClient().post(path, {"decision": "refuse", "name": "Dana"})
    assert response.status_code == 200 and "Say why" in response.content.decode()
    assert not stumbled.events.filter(kind=Kind.SECOND_CHANCE_REFUSED).exists()


@pytest.mark.parametrize(
    "role, answer", [("recruiter", 403), ("headhunter", 302), ("manager", 302)]
)
def test_who_may_share_a_brief(org, stumbled, job, role, answer):
    member = UserFactory(organization=org, role=role)
    response = logged_in(member).post(
        reverse("outreach:brief_share", args=[stumbled.pk]), {"job": job.pk}
    )
    assert response.status_code == answer


def test_a_private_links_token_is_masked_in_the_logs(stumbled, recruiter, job, caplog):
    path = ask(recruiter, stumbled, job, email=False)
    token = path.split("/")[2]
    PrivateLink.objects.update(revoked_at=timezone.now())
    with caplog.at_level("WARNING"):
        assert HttpClient().get(path).status_code == 404
    assert "path=/r/********/" in caplog.text  # recovery.security's line
    assert "Not Found: /r/********/" in caplog.text  # django.request's
    assert token not in caplog.text


def test_the_template_preview_escapes_markup(manager):
    """Security: the preview once showed a template's markup raw (Django's render() returns a
    SafeString), so a manager's template could run script in the settings page."""
    response = logged_in(manager).post(
        reverse("outreach:template_edit", args=["grant"]),
        {"subject": "<b>hi</b>", "body": "<script>alert(1)</script>", "preview": ""},
    )
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_link_email_must_keep_its_link(manager):
    url = reverse("outreach:template_edit", args=["link"])
    response = logged_in(manager).post(url, {"subject": "Hi", "body": "Write to us", "save": ""})
    assert response.status_code == 200 and "must contain" in response.content.decode()
    with pytest.raises(ValidationError):
        outreach.template_save(
            organization_id=manager.organization_id,
            kind="link",
            subject="Hi",
            body="Write to us",
            by=manager,
        )


# --- Found in review (each failed before its fix) --------------------------------------------


def token_of(link) -> str:
    from outreach.tokens import token_for

    return token_for(link.salt)


def test_a_brief_for_another_job_cannot_decide_the_request(
    stumbled, recruiter, headhunter, job, org
):
    requested(stumbled, recruiter, job)  # asked about Acme's job
    other = JobFactory(client=ClientFactory(organization=org, name="OtherCo"), title="Driver")
    link = outreach.link_create(
        candidate=stumbled, job=other, purpose=LinkPurpose.BRIEF, by=headhunter
    )
    path = reverse("outreach:brief", args=[token_of(link)])
    assert "Send my decision" not in HttpClient().get(path).content.decode()
    response = HttpClient().post(path, {"decision": "refuse", "name": "Bob", "note": "No"})
    assert response.status_code == 200 and "no request for this job" in response.content.decode()
    assert not stumbled.events.filter(kind=Kind.SECOND_CHANCE_REFUSED).exists()


def test_a_key_already_used_elsewhere_is_not_a_500(stumbled, recruiter, job, org):
    key = uuid.uuid4()
    services.claim_submission(organization_id=org.pk, key=key)
    link = outreach.link_create(
        candidate=stumbled, job=job, purpose=LinkPurpose.REQUEST, by=recruiter
    )
    path = reverse("outreach:request", args=[token_of(link)])
    response = HttpClient().post(path, {"words": "Please", "submission": str(key)})
    assert response.status_code == 200 and b"Thank you" in response.content
    assert stumbled.events.filter(kind=Kind.SECOND_CHANCE_REQUESTED).count() == 1


def test_an_interview_before_2000_is_refused_from_the_brief(stumbled, recruiter, headhunter, job):
    requested(stumbled, recruiter, job)
    link = outreach.link_create(
        candidate=stumbled, job=job, purpose=LinkPurpose.BRIEF, by=headhunter
    )
    path = reverse("outreach:brief", args=[token_of(link)])
    data = {"decision": "grant", "name": "Bob", "interview_at": "0001-01-01T00:00"}
    response = HttpClient().post(path, data)
    assert response.status_code == 200 and "before 2000" in response.content.decode()
    assert not stumbled.events.filter(kind=Kind.SECOND_CHANCE_GRANTED).exists()


def test_an_email_queued_before_an_opt_out_is_not_sent(stumbled, recruiter, job):
    ask(recruiter, stumbled, job)
    outreach.opt_out(candidate_id=stumbled.pk)
    assert send_all() == []
    email = CandidateEmail.objects.get()
    assert email.state == EmailState.FAILED and "opted out" in email.last_error


def test_a_link_email_whose_link_was_revoked_is_not_sent(stumbled, recruiter, job):
    ask(recruiter, stumbled, job)
    outreach.link_revoke(link=PrivateLink.objects.get(), by=recruiter)
    assert send_all() == []


def test_merging_keeps_the_opt_out_and_undo_gives_it_back(stumbled, recruiter, org):
    twin = services.candidate_create(organization=org, email="sam.c@example.com", name="Sam Cole")
    outreach.opt_out(candidate_id=twin.pk)
    merge = services.candidates_merge(
        kept=stumbled, merged=twin, reason="Same", merged_by=recruiter
    )
    assert OptOut.objects.filter(candidate=stumbled).exists()
    services.merge_undo(merge=merge, undone_by=recruiter)
    assert OptOut.objects.filter(candidate_id=twin.pk).exists()
    assert not OptOut.objects.filter(candidate=stumbled).exists()


def test_the_link_form_posted_twice_makes_one_link_and_one_email(stumbled, recruiter, job):
    page = logged_in(recruiter)
    data = {"job": job.pk, "email": "on", "submission": str(uuid.uuid4())}
    url = reverse("outreach:request_link", args=[stumbled.pk])
    page.post(url, data)
    page.post(url, data)
    assert PrivateLink.objects.count() == 1
    assert len(send_all()) == 1


def test_the_session_never_holds_a_links_token(stumbled, recruiter, job):
    page = logged_in(recruiter)
    page.post(reverse("outreach:request_link", args=[stumbled.pk]), {"job": job.pk})
    token = token_of(PrivateLink.objects.get())
    from candidates.models import MemberSession

    assert all(token not in row.session_data for row in MemberSession.objects.all())
    assert all(token not in str(row.get_decoded()) for row in MemberSession.objects.all())


def test_only_the_latest_decision_is_emailed(stumbled, recruiter, manager, job):
    requested(stumbled, recruiter, job)
    old = services.second_chance_decide(
        candidate=stumbled, grant=False, decided_by=manager, note="No"
    )
    stumbled.refresh_from_db()
    services.event_log(
        candidate=stumbled,
        kind=Kind.DECLINED_INTERVIEW,
        occurred_on=services.today(),
        reason=Reason.COMMUTE,
        job=job,
        recorded_by=recruiter,
    )
    stumbled.refresh_from_db()
    requested(stumbled, recruiter, job)
    services.second_chance_decide(candidate=stumbled, grant=False, decided_by=manager, note="No")
    with pytest.raises(ValidationError, match="latest decision"):
        outreach.decision_email_queue(event=old, by=manager)


def test_the_link_form_offers_the_last_missteps_job(stumbled, recruiter, job, org):
    JobFactory(client=ClientFactory(organization=org, name="Aardvark Ltd"), title="Aardvark")
    page = logged_in(recruiter).get(stumbled.get_absolute_url()).content.decode()
    select = page[page.index('id="ask-job"') : page.index("</select>", page.index('id="ask-job"'))]
    assert f'<option value="{job.pk}" selected>' in select
