"""Every write of the candidate's and the client's loop: private links, the request and the
decision made through them, the emails to the candidate, the templates, the opt-out.

The rules hold here, whichever door calls: a link only for a candidate who may ask (not
burned, not already waiting) and an open job; a link used once, within 14 days, unless
revoked; no email to a candidate who opted out; one email per thing it is about. The request
and the decision themselves are `candidates.services`' (the same guards, audit trail and
reminders as a member's), marked with who wrote them.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from candidates import services as candidate_services
from candidates.engine import Kind, Status
from candidates.models import Candidate, Event, EventSource, Job, JobState, User
from reminders.rules import zone

from . import tokens, wording
from .models import (
    CandidateEmail,
    EmailKind,
    EmailTemplate,
    LinkPurpose,
    OptOut,
    PrivateLink,
)

logger = logging.getLogger(__name__)

LINK_LIFETIME = timedelta(days=14)
DECISION_KINDS = (Kind.SECOND_CHANCE_GRANTED, Kind.SECOND_CHANCE_REFUSED)
WORDS_MAX = 4000


class LinkGone(Exception):
    """Wrong, expired, used or revoked, or the candidate or job no longer allows it. Every
    case gets the same plain page: nothing tells a guesser which one it was."""


# --- Links ----------------------------------------------------------------------------------


def link_url(link: PrivateLink) -> str:
    name = "outreach:request" if link.purpose == LinkPurpose.REQUEST else "outreach:brief"
    return settings.SITE_URL + reverse(name, args=[tokens.token_for(link.salt)])


def link_refusal(candidate: Candidate, job: Job, purpose: str) -> str:
    """Why no link of this purpose may be made or used now ("" when it may)."""
    if candidate.status == Status.BURNED:
        return "The candidate is burned: no second chance by link."
    if job.state in (JobState.FILLED, JobState.CLOSED):
        return f"The job is {job.get_state_display().lower()}."
    if purpose == LinkPurpose.REQUEST:
        return candidate_services.request_refusal(candidate)
    return ""


@transaction.atomic
def link_create(
    *,
    candidate: Candidate,
    job: Job,
    purpose: str,
    by: User | None,
    shows: list[str] | None = None,
    now: datetime | None = None,
) -> PrivateLink:
    """A new link; the same candidate's live links of the same purpose and job stop working
    (the newest one is the one that was sent)."""
    if job.organization_id != candidate.organization_id:
        raise ValidationError("The job belongs to another organization.")
    if problem := link_refusal(candidate, job, purpose):
        raise ValidationError(problem)
    now = now or timezone.now()
    PrivateLink.objects.filter(
        candidate=candidate, job=job, purpose=purpose, used_at=None, revoked_at=None
    ).update(revoked_at=now, revoked_by=by)
    salt = tokens.new_salt()
    return PrivateLink.objects.create(
        organization_id=candidate.organization_id,
        purpose=purpose,
        candidate=candidate,
        job=job,
        salt=salt,
        token_hash=tokens.hash_of(tokens.token_for(salt)),
        created_by=by,
        expires_at=now + LINK_LIFETIME,
        shows=list(shows or []),
    )


def link_revoke(*, link: PrivateLink, by: User) -> bool:
    return bool(
        PrivateLink.objects.filter(pk=link.pk, used_at=None, revoked_at=None).update(
            revoked_at=timezone.now(), revoked_by=by
        )
    )


def link_open(token: str, purpose: str, *, lock: bool = False) -> PrivateLink:
    """The live link of this token, or LinkGone. `lock` (inside a transaction): hold the
    link's row, so that two posts of one link record one request."""
    if not isinstance(token, str) or not 20 <= len(token) <= 64:
        raise LinkGone
    links = PrivateLink.objects.select_related("candidate", "job__client", "organization")
    if lock:
        links = links.select_for_update(of=("self",))
    link = links.filter(token_hash=tokens.hash_of(token), purpose=purpose).first()
    if link is None or not link.live(timezone.now()):
        raise LinkGone
    if link_refusal(link.candidate, link.job, purpose):
        raise LinkGone
    return link


def posted_before(token: str, purpose: str, submission: uuid.UUID | None) -> bool:
    """A second post of the form that used this link (a double click, a retry after a
    timeout): the first one stored it, so the poster sees its answer again, not an error."""
    if submission is None or not isinstance(token, str):
        return False
    return PrivateLink.objects.filter(
        token_hash=tokens.hash_of(token),
        purpose=purpose,
        used_at__isnull=False,
        submission=submission,
    ).exists()


def _locked_candidate(link: PrivateLink) -> Candidate:
    """The link's candidate, locked and read again: what `link_open` read may have changed
    since (another link of theirs used at the same moment)."""
    return Candidate.objects.select_for_update().get(pk=link.candidate_id)


def pending_request(candidate: Candidate) -> Event | None:
    """The request waiting for a decision, if the candidate's status says one waits."""
    if candidate.status != Status.REQUESTED:
        return None
    return (
        candidate.events.filter(kind=Kind.SECOND_CHANCE_REQUESTED)
        .order_by("-occurred_on", "-id")
        .first()
    )


def brief_decides(link: PrivateLink, request: Event | None) -> bool:
    """A brief's link decides only a request made for its own job (or for no job): a
    client never answers a request about another client's job."""
    return request is not None and request.job_id in (None, link.job_id)


def _used(link: PrivateLink, event: Event, submission: uuid.UUID | None) -> None:
    link.used_at = timezone.now()
    link.event = event
    link.submission = submission
    link.save(update_fields=["used_at", "event", "submission"])


def request_by_link(
    *, token: str, words: str, availability: str = "", submission: uuid.UUID | None = None
) -> Event:
    """The candidate's own request: recorded as a `second_chance_requested` for the link's
    job, in their words, marked as theirs; it goes to the review queue and its reminders.
    The candidate is emailed an acknowledgement."""
    words = (words or "").strip()
    if not words:
        raise ValidationError({"words": "Write your request: a few lines are enough."})
    if len(words) > WORDS_MAX:
        raise ValidationError({"words": f"Keep it under {WORDS_MAX} characters."})
    availability = (availability or "").strip()[:500]
    with transaction.atomic():
        link = link_open(token, LinkPurpose.REQUEST, lock=True)
        candidate = _locked_candidate(link)
        if link_refusal(candidate, link.job, LinkPurpose.REQUEST):
            raise LinkGone
        pitch = words + (f"\n\nWhen I am free: {availability}" if availability else "")
        try:
            # The link is used once: its own row keeps the form's key (posted_before), so
            # the candidate's key never meets the members' ones.
            event = candidate_services.second_chance_request(
                candidate=candidate, pitch=pitch, job=link.job, source=EventSource.CANDIDATE
            )
        except candidate_services.GuardRefused as exc:
            raise LinkGone from exc
        _used(link, event, submission)
        email_queue(candidate=link.candidate, kind=EmailKind.ACKNOWLEDGEMENT, event=event)
    return event


def decide_by_link(
    *,
    token: str,
    grant: bool,
    name: str,
    note: str = "",
    interview_at: datetime | None = None,
    submission: uuid.UUID | None = None,
) -> Event:
    """The client's hiring manager decides from the brief's link: recorded as a member's
    decision is (the same reminders), "by <name>, <client>, by link"."""
    name = (name or "").strip()[:200]
    if not name:
        raise ValidationError({"name": "Write your name: it is recorded with the decision."})
    if not grant and not (note or "").strip():
        raise ValidationError({"note": "Say why, in a line: the recruiter will pass it on."})
    with transaction.atomic():
        link = link_open(token, LinkPurpose.BRIEF, lock=True)
        candidate = _locked_candidate(link)
        if not brief_decides(link, pending_request(candidate)):
            raise ValidationError("There is no request for this job waiting for a decision.")
        event = candidate_services.second_chance_decide(
            candidate=candidate,
            grant=grant,
            note=(note or "").strip(),
            job=link.job,
            interview_at=interview_at if grant else None,
            answering_request=True,
            source=EventSource.CLIENT,
            source_name=f"{name}, {link.job.client.name}",
        )
        _used(link, event, submission)
    return event


# --- Emails to the candidate ----------------------------------------------------------------


def opted_out(candidate: Candidate) -> bool:
    return OptOut.objects.filter(candidate=candidate).exists()


def opt_out(*, candidate_id: int) -> None:
    OptOut.objects.get_or_create(candidate_id=candidate_id)


def _when(at: datetime | None, zone_name: str) -> str:
    """For the candidate, in words and with its zone: "Tuesday 8 December 2026 at 10:00
    (Europe/London)" (the reminders' zone(): a bad name is UTC, never an error)."""
    if at is None:
        return ""
    tz = zone(zone_name)
    local = at.astimezone(tz)
    return f"{local:%A} {local.day} {local:%B %Y at %H:%M} ({tz.key})"


def _variables(
    candidate: Candidate,
    job: Job | None,
    by: User | None,
    event: Event | None,
    place: str,
) -> dict[str, str]:
    organization = candidate.organization.name
    zone = by.time_zone if by else settings.TIME_ZONE
    return {
        "first_name": candidate.name.split()[0] if candidate.name.split() else candidate.name,
        "candidate_name": candidate.name,
        "organization": organization,
        "job_title": job.title if job else "",
        "link": "{link}",
        "interview_time": _when(event.interview_at if event else None, zone),
        "place": place,
        "checklist": "\n".join(f"- {item}" for item in wording.CHECKLIST),
        "sender_name": by.get_full_name() or organization if by else organization,
    }


def email_queue(
    *,
    candidate: Candidate,
    kind: str,
    event: Event | None = None,
    link: PrivateLink | None = None,
    by: User | None = None,
    place: str = "",
) -> CandidateEmail | None:
    """Queue one email to the candidate, rendered from the organization's template now and
    sent by the outbox (delivery.py) after the commit. None when the candidate opted out or
    has no address; the same email queued twice (same kind, same event or link) is one."""
    if not candidate.email or opted_out(candidate):
        return None
    about = link.pk if link else event.pk if event else None
    key = f"{kind}.{about}"
    if CandidateEmail.objects.filter(key=key).exists():
        return None
    job = link.job if link else event.job if event else None
    variables = _variables(candidate, job, by, event, place)
    text = wording.wording_for(candidate.organization_id, kind)
    try:
        subject, body = (
            wording.render(text.subject, variables),
            wording.render(text.body, variables),
        )
    except Exception:  # a template saved under older rules: the default wording, not a 500
        logger.exception("Organization %s: the %s template fails.", candidate.organization_id, kind)
        default_subject, default_body = wording.DEFAULTS[kind]
        subject = wording.render(default_subject, variables)
        body = wording.render(default_body, variables)
    now = timezone.now()
    try:
        with transaction.atomic():
            email = CandidateEmail.objects.create(
                organization_id=candidate.organization_id,
                candidate=candidate,
                kind=kind,
                key=key,
                event=event,
                link=link,
                to=candidate.email,
                subject=" ".join(subject.split())[:300],
                body=body,
                place=place[:300],
                queued_by=by,
                next_attempt_at=now,
            )
    except IntegrityError:
        return None
    _kick()
    return email


def decision_email_queue(*, event: Event, by: User | None, place: str = "") -> CandidateEmail:
    """Email a grant (with its invitation) or a refusal to the candidate; ValidationError
    says why not (opted out, no address, already sent, not a decision)."""
    if event.kind not in DECISION_KINDS:
        raise ValidationError("Only a decision on a second chance is emailed to the candidate.")
    candidate = event.candidate
    if not candidate.email:
        raise ValidationError(f"{candidate.name} has no email address.")
    if opted_out(candidate):
        raise ValidationError(f"{candidate.name} asked for no more emails.")
    latest = (
        candidate.events.filter(kind__in=DECISION_KINDS).order_by("-occurred_on", "-id").first()
    )
    if latest is None or latest.pk != event.pk:
        raise ValidationError("Only the latest decision is emailed to the candidate.")
    kind = EmailKind.GRANT if event.kind == Kind.SECOND_CHANCE_GRANTED else EmailKind.REFUSAL
    email = email_queue(candidate=candidate, kind=kind, event=event, by=by, place=place)
    if email is None:
        raise ValidationError("This decision was already emailed to the candidate.")
    return email


def decision_told(*, event: Event, by: User | None, wanted: bool, place: str = "") -> str:
    """The decide forms' "Email the decision to the candidate": queue it when ticked, and
    say in a sentence what happened (for the page's message)."""
    if not wanted:
        return ""
    try:
        decision_email_queue(event=event, by=by, place=place)
    except ValidationError as exc:
        return " Not emailed: " + " ".join(exc.messages)
    return " The candidate is emailed."


def request_link_send(
    *, candidate: Candidate, job: Job, by: User, email: bool, submission: uuid.UUID | None = None
) -> tuple[PrivateLink, CandidateEmail | None]:
    """The recruiter's "ask them to write": a new request link, emailed when asked (and
    allowed); the page shows its address to copy either way. The form's `submission` key
    makes a second post of it (a double click) raise AlreadySaved: one link, one email."""
    with transaction.atomic():
        candidate_services.claim_submission(
            organization_id=candidate.organization_id, key=submission
        )
        link = link_create(candidate=candidate, job=job, purpose=LinkPurpose.REQUEST, by=by)
        sent = (
            email_queue(candidate=candidate, kind=EmailKind.LINK, link=link, by=by)
            if email
            else None
        )
    return link, sent


def _kick() -> None:
    from .tasks import send_candidate_emails  # tasks import delivery: import late

    transaction.on_commit(send_candidate_emails.delay, robust=True)


# --- Templates ------------------------------------------------------------------------------


def template_save(*, organization_id: int, kind: str, subject: str, body: str, by: User):
    if problems := wording.check_template(kind, subject, body):
        raise ValidationError(problems)
    row, _ = EmailTemplate.objects.update_or_create(
        organization_id=organization_id,
        kind=kind,
        defaults={"subject": subject.strip(), "body": body, "updated_by": by},
    )
    return row


def template_reset(*, organization_id: int, kind: str) -> None:
    EmailTemplate.objects.filter(organization_id=organization_id, kind=kind).delete()
