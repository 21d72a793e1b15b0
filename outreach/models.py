"""The people a second chance is about, in the loop without a login.

- `PrivateLink`: a link for one candidate and one job, by which the candidate asks for a
  second chance in their own words (`REQUEST`) or a client's hiring manager reads a brief and
  decides (`BRIEF`). Only a hash of its token is stored; the token itself is derived from the
  link's id and a random salt with the site's secret key (`tokens.py`), so an email can be
  (re)built from the row while a copy of the database alone opens nothing. Used once, expires,
  revocable.
- `CandidateEmail`: the outbox of what is emailed to candidates (the link, the
  acknowledgement, the decision), sent exactly once in effect by the same claim / send /
  back-off protocol as reminders (`delivery.py`).
- `EmailTemplate`: an organization's own words for those emails (defaults in `wording.py`).
- `OptOut`: a candidate who asked for no more email.
"""

from __future__ import annotations

from django.db import models

from candidates.models import Candidate, Event, Job, Organization, User
from reminders.models import OutboxRow


class LinkPurpose(models.TextChoices):
    REQUEST = "request", "The candidate's request"
    BRIEF = "brief", "The client's brief"


class PrivateLink(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=10, choices=LinkPurpose.choices)
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="private_links")
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="private_links")
    salt = models.CharField(max_length=32)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The brief: what the headhunter ticked in beyond the defaults (briefs.SHOWABLE).
    shows = models.JSONField(default=list, blank=True)
    # The event the link's use recorded (the request, or the client's decision), and the
    # key of the form that used it (a second post of that form is answered "thanks").
    event = models.ForeignKey(
        Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submission = models.UUIDField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["candidate", "purpose", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} link for candidate {self.candidate_id}"

    def live(self, now) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > now


class EmailKind(models.TextChoices):
    LINK = "link", "The link to ask for a second chance"
    ACKNOWLEDGEMENT = "acknowledgement", "Request received"
    GRANT = "grant", "Second chance granted"
    REFUSAL = "refusal", "Second chance refused"


class EmailState(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Could not be sent"


class CandidateEmail(OutboxRow):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=20, choices=EmailKind.choices)
    # One email per thing it is about: "grant.<event id>", "link.<link id>"... A second
    # queueing of the same thing (a double click, a retried task) hits this and stores nothing.
    key = models.CharField(max_length=100, unique=True)
    event = models.ForeignKey(
        Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    link = models.ForeignKey(
        PrivateLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=300)
    # The body as rendered when queued, with "{link}" where a private link goes: the token
    # is put in only when the email is sent (tokens.py), never stored.
    body = models.TextField()
    # For a grant with an interview time: where, for the invitation (.ics).
    place = models.CharField(max_length=300, blank=True)
    queued_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=10, choices=EmailState.choices, default="pending")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(state="pending"),
                name="candidate_email_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to}"

    @property
    def message_id(self) -> str:
        from reminders.models import make_message_id

        return make_message_id(f"candidate-email.{self.pk}")


class EmailTemplate(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="email_templates"
    )
    kind = models.CharField(max_length=20, choices=EmailKind.choices)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "kind"], name="one_template_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.organization_id})"


class OptOut(models.Model):
    candidate = models.OneToOneField(Candidate, on_delete=models.CASCADE, related_name="opt_out")
    opted_out_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Candidate {self.candidate_id} opted out"
