"""Rejections flowing in from an applicant tracking system (ATS).

- `InboundSource`: one webhook endpoint of an organization for one vendor (Greenhouse or
  Lever). Its URL carries a token of which only the SHA-256 is stored (as outreach's links
  do); the Greenhouse secret key is derived from the source's salt and the site's secret key
  (never stored); Lever's signature token, which Lever makes and the admin pastes in, has to
  be stored to check signatures with.
- `ReasonMapping`: the organization's table from an ATS's reason text (or Lever's archive
  reason id) to one of our kinds and reasons. The rule a row must follow lives in `clean()`,
  so the form, the review list's "remember" and the admin all meet it.
- `LeverToken`: each Lever delivery's `token`, taken once per source and kept as long as its
  signed `triggeredAt` could be accepted (Lever signs nothing else: this is what refuses a
  captured delivery sent again).
- `InboundItem`: one delivery that carried a rejection or an archive: what was read from it,
  what became of it (recorded, waiting for review, dismissed), and its raw payload while it
  waits (dropped once it is recorded or dismissed: only what was read from it is kept).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from candidates.engine import MISSTEPS, Kind, reasons_for
from candidates.models import Candidate, Event, Organization, User


class Vendor(models.TextChoices):
    GREENHOUSE = "greenhouse", "Greenhouse"
    LEVER = "lever", "Lever"


def reason_key(text: str) -> str:
    """How external reasons are compared: trimmed, inner spaces collapsed, without case."""
    return " ".join((text or "").split()).casefold()


# The kinds an ATS's reason may map to: the employer's no, or one of the candidate's
# missteps. Never a guarded kind (submitted, scheduled, a request): nothing from outside
# may put a candidate forward.
MAPPABLE_KINDS = (Kind.REJECTED, *sorted(MISSTEPS, key=lambda k: list(Kind).index(k)))
MAPPABLE_KIND_CHOICES = [(k.value, k.value.replace("_", " ").capitalize()) for k in MAPPABLE_KINDS]


def check_kind_and_reason(kind: str, reason: str) -> None:
    """The one rule for what an ATS's reason may become (the mapping table and the review
    list alike): `rejected` with a reason from the employer's list, or a misstep with a
    reason from the misstep list."""
    if kind not in {k.value for k in MAPPABLE_KINDS}:
        raise ValidationError(
            {"kind": "Choose “rejected” or one of the missteps: nothing else comes from an ATS."}
        )
    allowed = reasons_for(Kind(kind))
    if reason not in allowed:
        which = "the employer's" if kind == Kind.REJECTED else "the misstep"
        raise ValidationError(
            {"reason": f"For {kind}, choose one of {which} reasons: {', '.join(sorted(allowed))}."}
        )


class InboundSource(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    vendor = models.CharField(max_length=20, choices=Vendor.choices)
    name = models.CharField(max_length=100)
    # The URL token is HMAC(SECRET_KEY, salt) (ats/secrets.py); only its SHA-256 is kept.
    salt = models.CharField(max_length=32)
    token_hash = models.CharField(max_length=64, unique=True)
    # Lever only: the signature token Lever shows for the webhook (needed to check every
    # delivery, so it is kept; never shown again, never logged).
    signature_token = models.CharField(max_length=200, blank=True, default="")
    # Lever only, optional: an API key to read the opportunity a webhook names (its email,
    # name and archive reason's text: the webhook carries ids only). Kept as typed, like the
    # signature token; never shown again, never logged.
    lever_api_key = models.CharField(max_length=200, blank=True, default="")
    client_name = models.CharField(
        max_length=200,
        help_text="The client the ATS's jobs are at: a job is matched by title under this "
        "client (without case), and created open when it is new.",
    )
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_vendor_display()} · {self.name}"

    @property
    def live(self) -> bool:
        return self.revoked_at is None


class LeverToken(models.Model):
    """A Lever delivery's `token`, once used. Lever signs only `token` + `triggeredAt`, so a
    captured delivery could be sent again with other data: a token is taken once per source,
    and a `triggeredAt` older than `services.LEVER_WINDOW` is refused, so rows older than
    that window can go (`services.receive` prunes them)."""

    source = models.ForeignKey(InboundSource, on_delete=models.CASCADE, related_name="+")
    # SHA-256 of the token as Lever sent it (any length in, a fixed width stored).
    token_hash = models.CharField(max_length=64)
    triggered_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "token_hash"], name="ats_lever_token_once"),
        ]
        indexes = [models.Index(fields=["triggered_at"])]

    def __str__(self) -> str:
        return f"Lever token {self.token_hash[:12]}…"


class ReasonMapping(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    vendor = models.CharField(
        max_length=20,
        choices=Vendor.choices,
        blank=True,
        default="",
        help_text="Leave empty for a reason of any ATS.",
    )
    external_reason = models.CharField(
        max_length=200,
        help_text="The reason as the ATS says it (Greenhouse: the rejection reason's name; "
        "Lever: the archive reason's text with an API key, its id without). Compared without "
        "case or extra spaces.",
    )
    key = models.CharField(max_length=200, editable=False)
    kind = models.CharField(max_length=32, choices=MAPPABLE_KIND_CHOICES)
    reason = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    # A row decides how every later delivery is recorded: who changed it, and when, is kept
    # (the request's member, by simple-history's middleware).
    history = HistoricalRecords()

    class Meta:
        ordering = ["vendor", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "vendor", "key"], name="ats_mapping_unique_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.external_reason} → {self.kind} ({self.reason})"

    def clean(self) -> None:
        super().clean()
        self.external_reason = " ".join((self.external_reason or "").split())
        self.key = reason_key(self.external_reason)
        if not self.key:
            raise ValidationError({"external_reason": "Say which reason of the ATS this is."})
        # Compared without case, a reason can grow ("ß" is "ss"): what is looked up must fit
        # its column, whichever door the row comes through.
        limit = self._meta.get_field("key").max_length
        if len(self.key) > limit:
            raise ValidationError(
                {
                    "external_reason": f"This reason is too long to be in the table: compared "
                    f"without case it takes {len(self.key)} characters, and at most {limit} "
                    "fit. Shorten it."
                }
            )
        check_kind_and_reason(self.kind, self.reason)
        if self.organization_id is not None:
            clash = ReasonMapping.objects.filter(
                organization_id=self.organization_id, vendor=self.vendor or "", key=self.key
            ).exclude(pk=self.pk)
            if clash.exists():
                raise ValidationError({"external_reason": "This reason is in the table already."})


class ItemState(models.TextChoices):
    RECORDED = "recorded", "Recorded"
    NEEDS_REVIEW = "needs_review", "Needs review"
    DISMISSED = "dismissed", "Dismissed"


class InboundItem(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(InboundSource, on_delete=models.CASCADE, related_name="items")
    vendor = models.CharField(max_length=20, choices=Vendor.choices)
    # What makes a replay the same delivery (ats/vendors.py): a second delivery with the same
    # key, through any source of the organization for this vendor, is acknowledged and writes
    # nothing.
    key = models.CharField(max_length=200)
    payload = models.JSONField()
    candidate_email = models.CharField(max_length=254, blank=True, default="")
    candidate_name = models.CharField(max_length=200, blank=True, default="")
    job_title = models.CharField(max_length=200, blank=True, default="")
    external_reason = models.CharField(max_length=200, blank=True, default="")
    reason_detail = models.CharField(max_length=200, blank=True, default="")
    occurred_on = models.DateField()
    state = models.CharField(max_length=20, choices=ItemState.choices)
    message = models.CharField(max_length=500, blank=True, default="")
    # What Lever's API said when it was asked about the opportunity (ats/lever_api.py).
    lookup_note = models.CharField(max_length=300, blank=True, default="")
    event = models.ForeignKey(
        Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Whom it was recorded on (whatever address the ATS sent): erasing them finds the item
    # by this even after its event is deleted (services.erase_mentions).
    candidate = models.ForeignKey(
        Candidate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # Per organization and vendor, not per source: a source made again (after a
            # SECRET_KEY rotation) receives the same rejections, which stay replays.
            models.UniqueConstraint(
                fields=["organization", "vendor", "key"], name="ats_item_unique_delivery_org"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=ItemState.values), name="ats_item_state_valid"
            ),
        ]
        indexes = [models.Index(fields=["organization", "state", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_vendor_display()} item {self.key}"
