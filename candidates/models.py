"""Recovery's records: organizations and their members, clients, jobs, candidates, their
events and risk notes.

One-row rules live on the model, many-row rules on the QuerySet; writes that touch several
models are in `services.py`. The recovery rules themselves are in `engine.py`: a candidate
stores the engine's last result (status, risk, advice) so that lists can filter and sort on
it with an index; `services.reevaluate()` keeps it in step on every write.
"""

from __future__ import annotations

import zoneinfo
from datetime import date

from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .engine import (
    LEVEL_MAX,
    LEVEL_MIN,
    MISSTEPS,
    Advice,
    Dimension,
    EventFact,
    Kind,
    NoteFact,
    Reason,
    RejectionReason,
    Status,
)


def _choices(enum_cls) -> list[tuple[str, str]]:
    return [
        (m.value, getattr(m, "label", m.value.replace("_", " ").capitalize())) for m in enum_cls
    ]


KIND_CHOICES = _choices(Kind)
MISSTEP_REASON_CHOICES = _choices(Reason)
REJECTION_REASON_CHOICES = _choices(RejectionReason)
# One column for both lists (they share `compensation` and `other`); which list a reason comes
# from depends on the kind (engine.reasons_for, and the constraint on Event).
REASON_CHOICES = [
    *MISSTEP_REASON_CHOICES,
    *(c for c in REJECTION_REASON_CHOICES if c[0] not in {r.value for r in Reason}),
]
DIMENSION_CHOICES = _choices(Dimension)
STATUS_CHOICES = _choices(Status)
ADVICE_CHOICES = _choices(Advice)
MISSTEP_VALUES = sorted(k.value for k in MISSTEPS)


# An interview further ahead than this is a typing mistake in the year (the contract's
# "interview times are sane"); every way in checks it through Event.clean().
INTERVIEW_HORIZON_MONTHS = 18
INTERVIEW_TOO_FAR = (
    f"The interview time is more than {INTERVIEW_HORIZON_MONTHS} months ahead: check the year."
)


# Before this is a typing mistake too (year 0001 from a date picker, "26" for 2026), and one
# the pages could not even show in a time zone west of UTC.
INTERVIEW_EARLIEST_YEAR = 2000
INTERVIEW_TOO_EARLY = f"The interview time is before {INTERVIEW_EARLIEST_YEAR}: check the year."


def interview_horizon():
    return timezone.now() + relativedelta(months=INTERVIEW_HORIZON_MONTHS)


def validate_time_zone(value: str) -> None:
    # Not `choices`: the zone list follows the installed tzdata, and must not churn migrations.
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a time zone (e.g. Europe/London).")


class Organization(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    RECRUITER = "recruiter", "Recruiter"
    HEADHUNTER = "headhunter", "Headhunter"
    MANAGER = "manager", "Manager"
    ADMIN = "admin", "Admin"


class MemberHistoricalRecords(HistoricalRecords):
    """History of members (organization, role, active) without a row for every login:
    a save that touches only untracked fields (`last_login`, `password`) records nothing."""

    def post_save(self, instance, created, using=None, **kwargs):
        update_fields = kwargs.get("update_fields")
        if not created and update_fields and set(update_fields) <= set(self.excluded_fields):
            return
        super().post_save(instance, created, using=using, **kwargs)


class User(AbstractUser):
    """A member of exactly one organization (platform superusers may have none)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="members"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.RECRUITER)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone], default="UTC")

    objects = UserManager()
    # Who joined, changed role or was deactivated, by whom (see candidates/audit.py).
    history = MemberHistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="user_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email or self.username

    @property
    def is_manager(self) -> bool:
        return self.role in (Role.MANAGER, Role.ADMIN)

    @property
    def can_record(self) -> bool:
        """Recruiters and headhunters log events, notes, requests and flags."""
        return self.role in (Role.RECRUITER, Role.HEADHUNTER, Role.ADMIN)


class Client(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="clients")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "organization", Lower("name"), name="client_name_unique_per_org"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class JobState(models.TextChoices):
    OPEN = "open", "Open"
    ON_HOLD = "on_hold", "On hold"
    FILLED = "filled", "Filled"
    CLOSED = "closed", "Closed"


class Job(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="jobs")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="jobs")
    title = models.CharField(max_length=200)
    hiring_manager = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=20, choices=JobState.choices, default=JobState.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["client__name", "title"]
        constraints = [
            models.UniqueConstraint("client", Lower("title"), name="job_title_unique_per_client"),
            models.CheckConstraint(
                condition=models.Q(state__in=JobState.values), name="job_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.client.name})"

    @property
    def is_open(self) -> bool:
        return self.state == JobState.OPEN


# The candidate list's sorts: (descending?, keys). Each sort reads all its keys in one
# direction, so that "the rows after this one" is a single row comparison
# `(k1, k2, k3) > (v1, v2, v3)` that seeks into an index on the same keys (the indexes below,
# candidates/pagination.py): highest risk first, then by name; by name; latest event first
# (never an event: last), then the most recently added.
NO_EVENT = date(1, 1, 1)
SORT_KEYS: dict[str, tuple[bool, tuple]] = {
    "risk": (False, (-F("risk_score"), F("name"), F("id"))),
    "name": (False, (F("name"), F("id"))),
    "latest": (True, (Coalesce(F("last_event_on"), Value(NO_EVENT)), F("id"))),
}


# The engine's result as stored on a candidate: written only by services.reevaluate().
STORED_RESULT_FIELDS = (
    "status",
    "risk_score",
    "advice",
    "live_missteps",
    "explanation",
    "last_event_on",
    "status_as_of",
    "status_changes_on",
    "requested_on",
    "next_interview",
    "next_interview_at",
)


# What a person types about a candidate (forms, admin): what `Candidate.save()` writes.
# (And the keys the duplicate rule reads, derived from them: `save()` keeps them in step.)
TYPED_FIELDS = ("email", "name", "phone", "owner", "rating", "updated_at", "phone_key", "name_key")


class CandidateQuerySet(models.QuerySet):
    def for_org(self, organization: Organization) -> CandidateQuerySet:
        return self.filter(organization=organization)

    def due_for_reevaluation(self, today: date) -> CandidateQuerySet:
        """Candidates whose stored result may have changed by the passing of time."""
        return self.filter(status_changes_on__lte=today)

    def delete(self) -> tuple[int, dict[str, int]]:
        """Delete, keeping the counts per status (StatusCount) in step, in one transaction."""
        with transaction.atomic(using=self.db):
            counted = list(
                self.select_for_update()
                .order_by("pk")
                .values_list("organization_id", "counted_status")
            )
            result = super().delete()
            changes: dict[tuple[int, str], int] = {}
            for organization_id, status in counted:
                if status:
                    changes[organization_id, status] = changes.get((organization_id, status), 0) - 1
            StatusCount.objects.using(self.db).move(changes)
        return result


class Candidate(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="candidates"
    )
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=50, blank=True)
    owner = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_candidates",
        help_text="The recruiter who looks after this candidate.",
    )
    rating = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="The recruiter's rating of how strong the candidate is, 1 (weak) to 5 (strong).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The engine's result, stored so that lists filter and sort by index (see services).
    status = models.CharField(max_length=20, choices=STATUS_CHOICES, default=Status.CLEAN)
    risk_score = models.PositiveSmallIntegerField(default=0)
    advice = models.CharField(max_length=20, choices=ADVICE_CHOICES, default=Advice.RESUBMIT)
    live_missteps = models.PositiveSmallIntegerField(default=0)
    explanation = models.JSONField(default=list, blank=True)
    last_event_on = models.DateField(null=True, blank=True)
    status_as_of = models.DateField(null=True, blank=True)
    status_changes_on = models.DateField(null=True, blank=True)
    # Status `requested` only: the date of the request waiting for a decision (Today and the
    # review queue list the oldest first).
    requested_on = models.DateField(null=True, blank=True)
    # Status `second_chance` only: the latest grant and its interview time (Today lists the
    # coming interviews soonest first, from an index).
    next_interview = models.ForeignKey(
        "Event", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    next_interview_at = models.DateTimeField(null=True, blank=True)
    # The status this candidate is counted under in StatusCount ("" until first evaluated):
    # services.reevaluate moves the count from this status to the new one.
    counted_status = models.CharField(max_length=20, blank=True, default="", editable=False)
    # "Probably the same person" (candidates/duplicates.py) compares these, by index: the
    # phone's last 9 digits and the name without case, accents or word order. Set by save().
    phone_key = models.CharField(max_length=9, blank=True, default="", editable=False)
    name_key = models.CharField(max_length=200, blank=True, default="", editable=False)

    objects = CandidateQuerySet.as_manager()
    # Every earlier version of what people typed; the engine's stored result is derived
    # (re-computed on every write and nightly), so it is left out of the history.
    history = HistoricalRecords(
        excluded_fields=[
            "updated_at",
            "counted_status",
            "phone_key",
            "name_key",
            *STORED_RESULT_FIELDS,
        ]
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "organization", Lower("email"), name="candidate_email_unique_per_org"
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="candidate_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in Status]),
                name="candidate_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(advice__in=[a.value for a in Advice]),
                name="candidate_advice_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(risk_score__lte=100), name="candidate_risk_0_to_100"
            ),
        ]
        indexes = [
            # One index per sort of the list (and per common filter), on the sort's own keys,
            # so that any page is an index seek (see SORT_KEYS); the trigram indexes for
            # search are PostgreSQL-only and live in migration 0003.
            models.Index(F("organization"), *SORT_KEYS["risk"][1], name="candidate_risk_idx"),
            models.Index(
                F("organization"), F("status"), *SORT_KEYS["risk"][1], name="candidate_status_idx"
            ),
            models.Index(
                F("organization"), F("advice"), *SORT_KEYS["risk"][1], name="candidate_advice_idx"
            ),
            models.Index(fields=["organization", "name", "id"]),
            models.Index(F("organization"), *SORT_KEYS["latest"][1], name="candidate_latest_idx"),
            # Today's "second-chance requests to decide", oldest first.
            models.Index(
                F("organization"),
                F("requested_on"),
                F("name"),
                F("id"),
                condition=models.Q(status=Status.REQUESTED.value),
                name="candidate_requested_idx",
            ),
            # Today's "stumbled, no follow-up for a week", oldest first, and its count.
            models.Index(
                F("organization"),
                F("last_event_on"),
                F("name"),
                F("id"),
                condition=models.Q(status=Status.STUMBLED.value),
                name="candidate_stumbled_idx",
            ),
            # Today's "second-chance interviews coming up", soonest first.
            models.Index(
                F("organization"),
                F("next_interview_at"),
                F("id"),
                condition=models.Q(status=Status.SECOND_CHANCE.value),
                name="candidate_interview_idx",
            ),
            models.Index(fields=["organization", "owner"]),
            models.Index(fields=["status_changes_on"]),
            # Probable duplicates (candidates/duplicates.py); the trigram index on name_key
            # is PostgreSQL-only and lives in migration 0010.
            models.Index(
                fields=["organization", "phone_key"],
                condition=~models.Q(phone_key=""),
                name="candidate_phone_key_idx",
            ),
            models.Index(fields=["organization", "name_key"], name="candidate_name_key_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def save(self, *args, **kwargs) -> None:
        # Emails are case-insensitive: keep one spelling so lookups and exports agree.
        self.email = self.email.strip().lower()
        from .duplicates import name_key, phone_key  # the rule's module reads this model

        self.phone_key = phone_key(self.phone)
        self.name_key = name_key(self.name)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "phone_key", "name_key"}
        if not self._state.adding:
            # What people typed, never the engine's result: that is services.reevaluate's
            # alone, and a copy loaded before a colleague's write must not put it back (nor
            # the status it is counted under in StatusCount).
            if kwargs.get("update_fields") is None:
                kwargs["update_fields"] = TYPED_FIELDS
            super().save(*args, **kwargs)
            return
        # A new row is counted under its status at once (StatusCount); rows inserted in bulk
        # are counted by services.reevaluate, which every bulk insert is followed by.
        with transaction.atomic():
            self.counted_status = self.status
            super().save(*args, **kwargs)
            StatusCount.objects.move({(self.organization_id, self.status): 1})

    def get_absolute_url(self) -> str:
        return reverse("candidates:detail", args=[self.pk])

    def delete(self, using=None, keep_parents=False) -> tuple[int, dict[str, int]]:
        # Through the queryset, which keeps the counts per status in step.
        return type(self).objects.using(using or self._state.db).filter(pk=self.pk).delete()


class CandidateAddress(models.Model):
    """Another email address of a candidate: the primary one is `Candidate.email`, these are
    the others (a merge keeps the merged candidate's). An address belongs to one candidate of
    the organization, primaries and others alike: unique here by the database, and against
    the primaries by services.email_taken (every door checks it)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="addresses")
    email = models.EmailField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(
                "organization", Lower("email"), name="candidate_address_unique_per_org"
            ),
        ]
        indexes = [models.Index(fields=["candidate", "email"])]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


class Merge(models.Model):
    """Two records of one person made one (services.candidates_merge): everything the merged
    candidate had now belongs to `kept`. What is needed to undo it is kept here: the merged
    candidate's row as it was and the ids of what moved (services.merge_undo, within
    MERGE_UNDO_DAYS)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    kept = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="merges")
    merged_id = models.BigIntegerField(help_text="The merged candidate's id, restored by undo.")
    merged = models.JSONField(help_text="The merged candidate's row as it was.")
    moved = models.JSONField(help_text="Ids of what moved: events, notes, reminders, ...")
    reason = models.TextField()
    merged_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    merged_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-merged_at", "-id"]
        indexes = [models.Index(fields=["kept", "merged_at"])]

    def __str__(self) -> str:
        return f"{self.merged.get('email', '?')} merged into {self.kept_id}"

    @property
    def merged_label(self) -> str:
        return f"{self.merged.get('name', '')} <{self.merged.get('email', '')}>"


MERGE_UNDO_DAYS = 30


class StatusCountQuerySet(models.QuerySet):
    def move(self, changes: dict[tuple[int, str], int]) -> None:
        """Apply {(organization id, status): change} in one statement, whatever the number of
        rows (an upsert that adds to the stored count; PostgreSQL and SQLite alike), in one
        fixed order so that two writers never wait on each other's rows in opposite orders."""
        rows = [(org, status, n) for (org, status), n in sorted(changes.items()) if n]
        if not rows:
            return
        connection = connections[self.db]
        quote = connection.ops.quote_name
        table, count = quote(self.model._meta.db_table), quote("count")
        keys = f"{quote('organization_id')}, {quote('status')}"
        # Identifiers from the model, quoted; every value a parameter.
        sql = (
            f"INSERT INTO {table} ({keys}, {count}) VALUES "  # noqa: S608
            + ", ".join(["(%s, %s, %s)"] * len(rows))
            + f" ON CONFLICT ({keys}) DO UPDATE SET {count} = {table}.{count} + excluded.{count}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [value for row in rows for value in row])


class StatusCount(models.Model):
    """How many candidates of an organization have each status (Today, the list's "page 3 of
    362"): kept by services.reevaluate in the writer's own transaction, which knows each
    candidate's old and new status, so that reading the counts costs the same at any size."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="status_counts"
    )
    status = models.CharField(max_length=20, choices=STATUS_CHOICES)
    count = models.IntegerField(default=0)

    objects = StatusCountQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "status"], name="status_count_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.status}: {self.count}"


class EventSource(models.TextChoices):
    MEMBER = "", "A member or an import"
    CANDIDATE = "candidate", "The candidate, by private link"
    CLIENT = "client", "The client, by private link"
    ATS = "ats", "An applicant tracking system, by webhook"


class Event(models.Model):
    """One dated thing in a candidate's process; history order is (occurred_on, id)."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="events")
    job = models.ForeignKey(
        Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    kind = models.CharField(max_length=32, choices=KIND_CHOICES)
    occurred_on = models.DateField()
    reason = models.CharField(
        max_length=32,
        choices=REASON_CHOICES,
        blank=True,
        help_text="Required for missteps (the misstep list) and rejections (the employer's "
        "list), empty for every other kind.",
    )
    notes = models.TextField(blank=True)
    # For a scheduled interview or a granted second chance: when the interview is.
    interview_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="recorded_events"
    )
    # Who wrote it when it came through a private link rather than a member (outreach/).
    source = models.CharField(max_length=20, choices=EventSource.choices, blank=True, default="")
    source_name = models.CharField(
        max_length=300,
        blank=True,
        default="",
        help_text="For a client's decision by link: the name and the client they gave; for an "
        "event from an applicant tracking system: which one (ats/).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # An edit keeps the earlier version; a deletion keeps its reason (services.event_delete).
    history = HistoricalRecords()

    class Meta:
        ordering = ["occurred_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in Kind]), name="event_kind_valid"
            ),
            # The contract: a reason from the misstep list for missteps, from the employer's
            # list for `rejected`, empty otherwise.
            models.CheckConstraint(
                condition=(
                    models.Q(kind__in=MISSTEP_VALUES, reason__in=[r.value for r in Reason])
                    | models.Q(
                        kind=Kind.REJECTED.value,
                        reason__in=[r.value for r in RejectionReason],
                    )
                    | (
                        ~models.Q(kind__in=[*MISSTEP_VALUES, Kind.REJECTED.value])
                        & models.Q(reason="")
                    )
                ),
                name="event_reason_by_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["candidate", "occurred_on", "id"]),
            models.Index(fields=["job", "candidate"]),
            models.Index(fields=["kind", "occurred_on"]),
            # Today's "second-chance interviews coming up".
            models.Index(
                fields=["interview_at", "id"],
                condition=models.Q(kind=Kind.SECOND_CHANCE_GRANTED.value),
                name="event_second_chance_at_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.occurred_on}"

    def clean(self) -> None:
        super().clean()
        if self.interview_at is not None and self.interview_at > interview_horizon():
            raise ValidationError({"interview_at": INTERVIEW_TOO_FAR})
        if self.interview_at is not None and self.interview_at.year < INTERVIEW_EARLIEST_YEAR:
            raise ValidationError({"interview_at": INTERVIEW_TOO_EARLY})

    @property
    def is_misstep(self) -> bool:
        return self.kind in MISSTEPS

    def as_fact(self) -> EventFact:
        job = self.job
        return EventFact(
            kind=Kind(self.kind),
            occurred_on=self.occurred_on,
            seq=self.pk or 0,
            reason=self.reason,
            client=job.client.name if job else "",
            job=job.title if job else "",
        )


class RiskNote(models.Model):
    """A recruiter's judgement of one risk dimension; the author is kept by email so that
    imported notes from people without an account still count once per author."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="risk_notes")
    dimension = models.CharField(max_length=20, choices=DIMENSION_CHOICES)
    level = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(LEVEL_MIN), MaxValueValidator(LEVEL_MAX)],
        help_text="1 (no concern) to 5 (serious concern).",
    )
    author = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="risk_notes"
    )
    author_email = models.EmailField(max_length=254)
    noted_on = models.DateField()
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["noted_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=LEVEL_MIN, level__lte=LEVEL_MAX),
                name="risk_note_level_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(dimension__in=[d.value for d in Dimension]),
                name="risk_note_dimension_valid",
            ),
        ]
        indexes = [models.Index(fields=["candidate", "dimension", "noted_on", "id"])]

    def __str__(self) -> str:
        return f"{self.get_dimension_display()} {self.level} by {self.author_email}"

    def save(self, *args, **kwargs) -> None:
        self.author_email = self.author_email.strip().lower()
        super().save(*args, **kwargs)

    def as_fact(self) -> NoteFact:
        return NoteFact(
            dimension=Dimension(self.dimension),
            level=self.level,
            author=self.author_email,
            noted_on=self.noted_on,
            seq=self.pk or 0,
        )


class Submission(models.Model):
    """A form submission already saved: each form of the candidate page carries a key made
    when it was shown, and the service that saves it claims the key in the same transaction.
    A double click, the back button or a retry after a lost answer sends the same key
    again, and stores nothing twice (services.claim_submission)."""

    key = models.UUIDField(primary_key=True)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.key)


class MemberSession(AbstractBaseSession):
    """Django's database session with the member it belongs to, so that deactivating a
    member can end every one of their sessions with one indexed DELETE (candidates/sessions.py
    fills `user_id`; settings.SESSION_ENGINE points there)."""

    user_id = models.BigIntegerField(null=True, blank=True, db_index=True)

    @classmethod
    def get_session_store_class(cls):
        from .sessions import SessionStore

        return SessionStore


class ImportState(models.TextChoices):
    PENDING = "pending", "Waiting for a worker"
    RUNNING = "running", "Importing"
    DONE = "done", "Imported"
    FAILED = "failed", "Failed"


class ImportJob(models.Model):
    """One upload checked by the web page and written by a worker (candidates/importer.py,
    "Jobs"). `done` counts the rows written so far, in the transaction that wrote them, so a
    job taken over after a crash goes on from there; the counts are the whole job's."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="import_jobs"
    )
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="import_jobs"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(
        max_length=20, choices=ImportState.choices, default=ImportState.PENDING
    )
    events_name = models.CharField(max_length=255, blank=True)
    notes_name = models.CharField(max_length=255, blank=True)
    # The files as uploaded (checked text), emptied when the job ends: personal data is kept
    # no longer than it takes to import it. No risk-notes file: "" (an empty one is refused).
    events_csv = models.TextField(blank=True)
    notes_csv = models.TextField(blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    candidates_created = models.PositiveIntegerField(default=0)
    clients_created = models.PositiveIntegerField(default=0)
    jobs_created = models.PositiveIntegerField(default=0)
    events_created = models.PositiveIntegerField(default=0)
    notes_created = models.PositiveIntegerField(default=0)
    duplicates_skipped = models.PositiveIntegerField(default=0)
    # The claim: a worker holds the job until `lease_until`, renewed with every batch; one
    # that dies lets the lease run out and the sweep hands the job to another.
    claim_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # When the file no longer passes its checks at write time: [[file, line, message], ...]
    # (the first ones) and how many there were.
    problems = models.JSONField(default=list, blank=True)
    problem_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="importjob_org_idx"),
            # The sweep's question: which jobs wait for a worker?
            models.Index(
                fields=["state", "lease_until"],
                condition=models.Q(state__in=["pending", "running"]),
                name="importjob_open_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=ImportState.values), name="importjob_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.state}, {self.done}/{self.total})"

    @property
    def is_open(self) -> bool:
        return self.state in (ImportState.PENDING, ImportState.RUNNING)

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)

    @property
    def summary(self) -> str:
        """What it added, in words: "Imported: 2 candidates, ..., 1 risk note." """
        parts = [
            (self.candidates_created, "candidate", "candidates"),
            (self.clients_created, "client", "clients"),
            (self.jobs_created, "job", "jobs"),
            (self.events_created, "event", "events"),
            (self.notes_created, "risk note", "risk notes"),
        ]
        added = ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in parts)
        text = f"Imported: {added}."
        skipped = self.duplicates_skipped
        if skipped:
            were = "row was" if skipped == 1 else "rows were"
            text += f" {skipped} {were} already there: skipped."
        return text
