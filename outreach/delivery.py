"""The outbox of emails to candidates, sent exactly once in effect.

The protocol is the reminders' (reminders/delivery.py, where each step is argued): claim a
batch with a lease (`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, then a conditional
UPDATE), send each one in a transaction whose conditional UPDATE to `sent` holds the row, back
off on failure (`RETRY_DELAYS`), give up after `MAX_ATTEMPTS`. A worker killed mid-send leaves
a claim that expires; the next run sends it, with the same Message-ID.

A grant with an interview time carries it as an iCalendar invitation (`invite.ics`); every
email ends with the candidate's opt-out link. The private link's token is put into the body
only here (tokens.py): it is never stored.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from reminders.delivery import MAX_ATTEMPTS, RETRY_DELAYS, NothingSent, _reset, claim_rows
from reminders.emails import invitation_part

from . import invitations, tokens
from .models import CandidateEmail, EmailKind, EmailState, OptOut
from .services import link_url

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BATCH_SIZE = 50

FOOTER = "\n\n--\nTo receive no more emails from {organization} about this: {url}\n"


def send_due(
    *, now: datetime | None = None, lease: timedelta = LEASE, batch_size: int = BATCH_SIZE
) -> int:
    """Claim and send due candidate emails until none is left; how many were sent."""
    token = uuid.uuid4().hex
    sent = 0
    mail = get_connection()
    try:
        while claimed := claim_batch(
            token, now=now or timezone.now(), lease=lease, size=batch_size
        ):
            mail.open()
            for email in claimed:
                sent += send_one(email, token, mail)
    finally:
        mail.close()
    return sent


def _due(now: datetime):
    return CandidateEmail.objects.filter(state=EmailState.PENDING, next_attempt_at__lte=now)


def claim_batch(
    token: str, *, now: datetime, lease: timedelta, size: int = BATCH_SIZE
) -> list[CandidateEmail]:
    with transaction.atomic():
        rows = claim_rows(_due, token, now=now, size=size, lease=lease)
        pks = [pk for pk, _ in rows]
        return list(
            CandidateEmail.objects.filter(pk__in=pks, claim_token=token)
            .select_related("candidate__organization", "link", "event__job")
            .order_by("pk")
        )


def message_for(email: CandidateEmail) -> EmailMultiAlternatives:
    body = email.body
    if email.link is not None:
        body = body.replace("{link}", link_url(email.link))
    opt_out = settings.SITE_URL + reverse(
        "outreach:opt_out", args=[tokens.opt_out_token(email.candidate_id)]
    )
    body += FOOTER.format(organization=email.candidate.organization.name, url=opt_out)
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        headers={"Message-ID": email.message_id, "List-Unsubscribe": f"<{opt_out}>"},
    )
    if email.kind == EmailKind.GRANT and email.event and email.event.interview_at:
        message.attach(invitation_part(invitations.for_grant(email)))
    return message


def _no_longer_wanted(email: CandidateEmail, now: datetime) -> str:
    """Why a queued email must not go now ("" when it may): the candidate opted out since,
    or the link it carries was revoked, used or replaced before it went."""
    if OptOut.objects.filter(candidate_id=email.candidate_id).exists():
        return "The candidate opted out of emails before it was sent."
    if email.link is not None and not email.link.live(now):
        return "The link was revoked, used or replaced before it was sent."
    return ""


def send_one(email: CandidateEmail, token: str, mail: BaseEmailBackend) -> int:
    if email.attempts >= MAX_ATTEMPTS:
        return _fail(email, token, f"Gave up after {email.attempts} attempts.", give_up=True)
    started = timezone.now()
    if why := _no_longer_wanted(email, started):
        return _fail(email, token, why, give_up=True)
    try:
        message = message_for(email)
        with transaction.atomic():
            taken = CandidateEmail.objects.filter(
                pk=email.pk, claim_token=token, state=EmailState.PENDING
            ).update(state=EmailState.SENT, sent_at=started, claim_token="", last_error="")
            if not taken:
                return 0
            if mail.send_messages([message]) != 1:
                raise NothingSent("The email backend sent nothing.")
    except Exception as exc:
        logger.warning("Candidate email %s: sending failed: %r", email.pk, exc)
        _reset(mail)
        _fail(email, token, f"{type(exc).__name__}: {exc}")
        return 0
    return 1


def _fail(email: CandidateEmail, token: str, error: str, *, give_up: bool = False) -> int:
    now = timezone.now()
    attempts = email.attempts + 1
    changes = {"attempts": F("attempts") + 1, "last_error": error[:2000], "claim_token": ""}
    if give_up or attempts >= MAX_ATTEMPTS:
        changes["state"] = EmailState.FAILED
    else:
        changes["next_attempt_at"] = now + RETRY_DELAYS[attempts - 1]
    CandidateEmail.objects.filter(pk=email.pk, claim_token=token, state=EmailState.PENDING).update(
        **changes
    )
    return 0
