"""What the candidate page shows of the loop: three queries whatever the history's size."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from candidates.clock import today
from candidates.engine import Kind, Status
from candidates.models import Candidate, Event

from .models import CandidateEmail, EmailKind, OptOut, PrivateLink
from .services import link_url

SHORT_NAMES = {
    EmailKind.LINK: "The link to ask",
    EmailKind.ACKNOWLEDGEMENT: "The acknowledgement",
    EmailKind.GRANT: "Grant",
    EmailKind.REFUSAL: "Refusal",
}
RECENT_EMAILS = 10
OFFER_FOR = timedelta(days=14)


# The session holds the id of a link just made (never its token), for the candidate page to
# show its address once.
NEW_LINK = "outreach_new_link"


def new_link(session, candidate: Candidate) -> str | None:
    """The address of the link just made for this candidate, once; None otherwise (no query
    when there is none)."""
    pk = session.get(NEW_LINK)
    if pk is None:
        return None
    link = PrivateLink.objects.filter(pk=pk, candidate=candidate).first()
    if link is None:
        return None
    del session[NEW_LINK]
    return link_url(link)


@dataclass
class Loop:
    links: list[PrivateLink]
    emails: list[CandidateEmail]
    opted_out: OptOut | None
    # The latest decision, when it was never emailed: the page offers to email it.
    unsent_decision: Event | None
    # The key of the page's "Ask them to write" form (one link however often it is sent).
    submission: uuid.UUID = field(default_factory=uuid.uuid4)


def for_candidate(candidate: Candidate, events: Sequence[Event]) -> Loop:
    """Two queries (the live links, the recent emails); the opt-out comes with the candidate
    when it was loaded with select_related("opt_out"), else a third."""
    now = timezone.now()
    links = list(
        PrivateLink.objects.filter(
            candidate=candidate, used_at=None, revoked_at=None, expires_at__gt=now
        )
        .select_related("job__client", "created_by")
        .order_by("-created_at")
    )
    emails = list(
        CandidateEmail.objects.filter(candidate=candidate).order_by("-created_at", "-id")[
            :RECENT_EMAILS
        ]
    )
    for email in emails:
        email.short_name = SHORT_NAMES[email.kind]
    try:
        opted_out = candidate.opt_out
    except OptOut.DoesNotExist:
        opted_out = None
    decisions = [
        e for e in events if e.kind in (Kind.SECOND_CHANCE_GRANTED, Kind.SECOND_CHANCE_REFUSED)
    ]
    latest = decisions[-1] if decisions else None
    emailed = {e.event_id for e in emails}
    # Only a decision that still stands (the candidate's status is its outcome) and is
    # recent: a grant spent months ago is no news to send. Among the recent emails: an older
    # one is refused by the service ("already emailed").
    offer = (
        latest
        and candidate.status in (Status.SECOND_CHANCE, Status.REFUSED)
        and latest.occurred_on >= today() - OFFER_FOR
        and latest.pk not in emailed
        and not opted_out
        and candidate.email
    )
    unsent = latest if offer else None
    return Loop(links=links, emails=emails, opted_out=opted_out, unsent_decision=unsent)
