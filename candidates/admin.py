"""The Django admin: the platform staff's view of every organization's data.

The stored recovery status of a candidate (status, risk score, advice, explanation, ...) is
the engine's result, kept in step by `services.reevaluate()`. So here it is read-only, and
every admin write that can change it (saving an event or a risk note, inline or on its own
page; renaming or deleting a client or a job that explanations name) re-evaluates the
candidates it touched, in the same transaction. Events and risk notes are not deleted here:
a deletion needs a reason kept in the history, which the candidate page asks for.
Changelists select their related rows in the one query, so a page costs the same number of
queries whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models, transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from . import services
from .duplicates import duplicates_for_new
from .models import Candidate, Client, Event, Job, Organization, RiskNote, User

REEVALUATE_BATCH = 2000


def _reevaluate(candidate_ids: Iterable[int | None]) -> int:
    ids = sorted({pk for pk in candidate_ids if pk is not None})
    done = 0
    for start in range(0, len(ids), REEVALUATE_BATCH):
        done += services.reevaluate(ids[start : start + REEVALUATE_BATCH])
    return done


def _count_of(model: type[models.Model], fk: str) -> Coalesce:
    """How many `model` rows point at the outer row, as one subquery (no query per row)."""
    counted = (
        model._default_manager.filter(**{fk: OuterRef("pk")})
        .order_by()
        .values(fk)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


# --- Organizations and their members ----------------------------------------------------


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "member_count", "candidate_count", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organization]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                member_count=_count_of(User, "organization"),
                candidate_count=_count_of(Candidate, "organization"),
            )
        )

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, obj: Organization) -> int:
        return obj.member_count

    @admin.display(description="Candidates", ordering="candidate_count")
    def candidate_count(self, obj: Organization) -> int:
        return obj.candidate_count


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Organization", {"fields": ("organization", "role", "time_zone")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("Personal info", {"classes": ("wide",), "fields": ("first_name", "last_name", "email")}),
        ("Organization", {"classes": ("wide",), "fields": ("organization", "role", "time_zone")}),
    )
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "organization",
        "role",
        "is_staff",
        "is_active",
    )
    list_filter = ("role", "organization", "is_staff", "is_superuser", "is_active")
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)


# --- Clients and jobs ---------------------------------------------------------------------


class ReevaluatesMentions(admin.ModelAdmin):
    """Stored explanations name the client and the job ("No-show on 2026-03-02 (Acme,
    Forklift operator)"): renaming or deleting one re-evaluates the candidates whose
    history mentions it, so that no explanation names a job that is gone."""

    event_lookup = "job"  # how an event reaches this model

    def _mentioned_by(self, objs) -> set[int]:
        events = Event.objects.filter(**{f"{self.event_lookup}__in": objs})
        return set(events.values_list("candidate_id", flat=True).distinct())

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and form.changed_data:
            _reevaluate(self._mentioned_by([obj]))

    def delete_model(self, request: HttpRequest, obj) -> None:
        candidate_ids = self._mentioned_by([obj])
        super().delete_model(request, obj)
        _reevaluate(candidate_ids)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        with transaction.atomic(using=queryset.db):
            candidate_ids = self._mentioned_by(queryset)
            super().delete_queryset(request, queryset)
            _reevaluate(candidate_ids)


class ClientAdminForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = ("organization", "name")

    def clean(self) -> dict:
        cleaned = super().clean()
        organization = cleaned.get("organization") or getattr(self.instance, "organization", None)
        name = cleaned.get("name")
        # As for candidates: the read-only organization leaves the unique name unchecked.
        if organization is not None and name:
            same = Client.objects.filter(organization=organization, name__iexact=name)
            if same.exclude(pk=self.instance.pk).exists():
                self.add_error("name", "This organization already has a client with this name.")
        return cleaned


@admin.register(Client)
class ClientAdmin(ReevaluatesMentions):
    form = ClientAdminForm
    event_lookup = "job__client"
    list_display = ("name", "organization", "job_count", "created_at")
    list_filter = ("organization",)
    search_fields = ("name",)
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)
    readonly_fields = ("created_at",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Client]:
        return super().get_queryset(request).annotate(job_count=_count_of(Job, "client"))

    def get_readonly_fields(self, request: HttpRequest, obj: Client | None = None) -> tuple:
        # Moving a client to another organization would take its jobs' history along.
        return (*self.readonly_fields, "organization") if obj else self.readonly_fields

    @admin.display(description="Jobs", ordering="job_count")
    def job_count(self, obj: Client) -> int:
        return obj.job_count


class JobAdminForm(forms.ModelForm):
    class Meta:
        model = Job
        fields = ("client", "title", "hiring_manager", "state")

    def clean_client(self) -> Client:
        client = self.cleaned_data["client"]
        if self.instance.pk and client.organization_id != self.instance.organization_id:
            raise forms.ValidationError("A job can only move to a client of its organization.")
        return client


@admin.register(Job)
class JobAdmin(ReevaluatesMentions):
    form = JobAdminForm
    list_display = ("title", "client", "organization", "hiring_manager", "state", "created_at")
    list_filter = ("state", "organization")
    search_fields = ("title", "client__name", "hiring_manager")
    list_select_related = ("client", "organization")
    autocomplete_fields = ("client",)
    readonly_fields = ("organization", "created_at")

    def save_model(self, request: HttpRequest, obj: Job, form, change: bool) -> None:
        # The job's organization is its client's: never chosen separately, never different.
        obj.organization_id = obj.client.organization_id
        super().save_model(request, obj, form, change)


# --- Candidates, events and risk notes ----------------------------------------------------


def _candidate_of(form: forms.ModelForm) -> Candidate | None:
    """The candidate an event or note form is about: chosen in the form, or (inline) the
    parent candidate, which the inline formset puts in `cleaned_data` too."""
    candidate = form.cleaned_data.get("candidate")
    return candidate if isinstance(candidate, Candidate) else None


def _same_org_errors(form: forms.ModelForm, candidate: Candidate, **related) -> None:
    """Add an error to each of `related` (field name -> object) from another organization."""
    for field_name, obj in related.items():
        if obj is not None and obj.organization_id not in (None, candidate.organization_id):
            form.add_error(field_name, "This belongs to another organization than the candidate.")


class EventAdminForm(forms.ModelForm):
    """An event, as the admin adds or corrects it. The guards apply here as on every way in
    (services.guard_verdict to say so in the form, services.guard_enforce on save); an admin
    may let one refused action through by saying why (`override_reason`), which records an
    `override` event just before it."""

    override_reason = forms.CharField(
        label="Override the guard",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only when the guard refuses this because the candidate must not be "
        "resubmitted: why let this one action through (kept as an override event).",
    )
    # Set by the admin before saving: who overrides.
    acting_user: User | None = None

    class Meta:
        model = Event
        fields = (
            "candidate",
            "kind",
            "occurred_on",
            "reason",
            "job",
            "notes",
            "interview_at",
            "recorded_by",
        )

    def clean(self) -> dict:
        cleaned = super().clean()
        candidate = _candidate_of(self)
        if candidate is not None:
            job, recorded_by = cleaned.get("job"), cleaned.get("recorded_by")
            _same_org_errors(self, candidate, job=job, recorded_by=recorded_by)
            self._check_guard(candidate, cleaned)
        return cleaned

    def _guarded_change(self) -> bool:
        return self.instance.pk is None or bool(
            {"kind", "occurred_on", "job", "candidate"} & set(self.changed_data)
        )

    def _check_guard(self, candidate: Candidate, cleaned: dict) -> None:
        kind, occurred_on = cleaned.get("kind"), cleaned.get("occurred_on")
        if not kind or occurred_on is None or not self._guarded_change():
            return
        verdict = services.guard_verdict(
            candidate=candidate,
            kind=kind,
            occurred_on=occurred_on,
            job=cleaned.get("job"),
            event=self.instance if self.instance.pk else None,
        )
        if verdict.allowed:
            return
        if verdict.overridable and cleaned.get("override_reason", "").strip():
            return
        hint = " To let it through, say why in “Override the guard”." if verdict.overridable else ""
        self.add_error(None, verdict.message + hint)

    def enforce_guard(self, event: Event) -> None:
        """On save: the service's guard, which records the override, if any, just before."""
        if not self._guarded_change() or getattr(self, "_guard_enforced", False):
            return
        self._guard_enforced = True
        services.guard_enforce(
            candidate=event.candidate,
            kind=event.kind,
            occurred_on=event.occurred_on,
            job=event.job,
            event=event if event.pk else None,
            override_reason=self.cleaned_data.get("override_reason", ""),
            by=self.acting_user,
        )

    def save(self, commit: bool = True) -> Event:
        if commit:  # an inline's rows are saved here; the Event page's in save_model
            self.enforce_guard(self.instance)
        return super().save(commit)


class RiskNoteAdminForm(forms.ModelForm):
    class Meta:
        model = RiskNote
        fields = ("candidate", "dimension", "level", "author", "author_email", "noted_on", "note")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["author_email"].required = False
        self.fields["author_email"].help_text = "Left empty: the author's email."

    def clean(self) -> dict:
        cleaned = super().clean()
        author = cleaned.get("author")
        if not cleaned.get("author_email"):
            if author is None or not author.email:
                self.add_error("author_email", "Give an author with an email, or an email.")
            else:
                cleaned["author_email"] = author.email
                self.instance.author_email = author.email
        candidate = _candidate_of(self)
        if candidate is not None:
            _same_org_errors(self, candidate, author=author)
        return cleaned


class NoDeletionWithoutReason:
    """Events and risk notes are never deleted without a reason kept in the history: that is
    done on the candidate page ("Correct or delete", which asks why). The admin may add and
    correct them (the history keeps every earlier version), not delete them; so a candidate or
    an organization that has some cannot be deleted here either (erase a candidate instead)."""

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class EventInline(NoDeletionWithoutReason, admin.TabularInline):
    model = Event
    form = EventAdminForm
    fields = (
        "occurred_on",
        "kind",
        "reason",
        "job",
        "notes",
        "interview_at",
        "recorded_by",
        "override_reason",
    )
    autocomplete_fields = ("job", "recorded_by")
    extra = 0
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Event]:
        return super().get_queryset(request).select_related("job__client", "recorded_by")


class RiskNoteInline(NoDeletionWithoutReason, admin.TabularInline):
    model = RiskNote
    form = RiskNoteAdminForm
    fields = ("noted_on", "dimension", "level", "author", "author_email", "note")
    autocomplete_fields = ("author",)
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[RiskNote]:
        return super().get_queryset(request).select_related("author")


class CandidateAdminForm(forms.ModelForm):
    # Adding only: a candidate who is probably someone already here is shown (with that
    # record's status and advice) and saved only once this is ticked.
    different_person = forms.BooleanField(
        label="This is a different person",
        required=False,
        help_text="Tick only if the probable duplicates named above are someone else.",
    )

    class Meta:
        model = Candidate
        fields = ("organization", "name", "email", "phone", "owner", "rating")

    def clean(self) -> dict:
        cleaned = super().clean()
        organization = cleaned.get("organization") or getattr(self.instance, "organization", None)
        if organization is None:
            return cleaned
        owner, email = cleaned.get("owner"), cleaned.get("email")
        if owner is not None and owner.organization_id != organization.pk:
            self.add_error("owner", "The owner must be a member of the candidate's organization.")
        # The organization is read-only on change, so the form leaves the per-organization
        # unique email constraint out of its checks: check it here rather than hit the database.
        # Primary addresses and other addresses alike.
        if email and services.email_taken(organization.pk, email, exclude=self.instance.pk):
            self.add_error("email", "This organization already has a candidate with this email.")
        if self.instance.pk is None and not self.errors and cleaned.get("name"):
            self._warn_of_duplicates(organization, cleaned)
        return cleaned

    def _warn_of_duplicates(self, organization: Organization, cleaned: dict) -> None:
        matches = duplicates_for_new(
            organization,
            name=cleaned["name"],
            email=cleaned.get("email") or "",
            phone=cleaned.get("phone") or "",
        )
        if matches and not cleaned.get("different_person"):
            named = "; ".join(
                f"{m.candidate.name} <{m.candidate.email}> ({m.candidate.get_status_display()}, "
                f"advice: {m.candidate.get_advice_display()}): {m.why}"
                for m in matches
            )
            self.add_error(
                None,
                f"Probably the same person as: {named}. Open that record (and merge from the "
                "candidate page), or tick “This is a different person” to add this one.",
            )


@admin.register(Candidate)
class CandidateAdmin(admin.ModelAdmin):
    form = CandidateAdminForm
    list_display = (
        "name",
        "email",
        "organization",
        "status_badge",
        "risk_score",
        "advice",
        "owner",
        "last_event_on",
    )
    list_filter = ("status", "advice", "organization")
    search_fields = ("name", "email")
    list_select_related = ("organization", "owner")
    autocomplete_fields = ("organization", "owner")
    # The engine's result: never typed in, always re-evaluated from the history.
    readonly_fields = (
        "status",
        "risk_score",
        "advice",
        "live_missteps",
        "explanation_text",
        "last_event_on",
        "status_as_of",
        "status_changes_on",
        "created_at",
        "updated_at",
        "other_addresses",
    )
    fieldsets = (
        (None, {"fields": ("organization", "name", "email", "phone", "owner", "rating")}),
        (
            "Recovery status (computed from the history on every save)",
            {
                "fields": (
                    ("status", "advice", "risk_score", "live_missteps"),
                    "explanation_text",
                    ("last_event_on", "status_as_of", "status_changes_on"),
                    ("created_at", "updated_at"),
                )
            },
        ),
    )
    inlines = (EventInline, RiskNoteInline)
    actions = ("reevaluate_status",)
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Candidate | None = None) -> tuple:
        # Moving a candidate to another organization would hand its history to strangers.
        return (*self.readonly_fields, "organization") if obj else self.readonly_fields

    def get_fieldsets(self, request: HttpRequest, obj: Candidate | None = None):
        if obj is not None:
            return (
                *self.fieldsets,
                ("One person, one history", {"fields": ("other_addresses",)}),
            )
        # Adding: the confirmation that a probable duplicate is someone else.
        (title, options), *rest = self.fieldsets
        return ((title, {"fields": (*options["fields"], "different_person")}), *rest)

    @admin.display(description="Other addresses")
    def other_addresses(self, obj: Candidate) -> str:
        return ", ".join(a.email for a in obj.addresses.all()) or "—"

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj: Candidate) -> str:
        return obj.get_status_display()

    @admin.display(description="Explanation")
    def explanation_text(self, obj: Candidate) -> str:
        return "\n".join(obj.explanation or [])

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        if formset.model is Event:
            for event_form in formset.forms:
                event_form.acting_user = request.user  # who overrides a guard, if anyone
        super().save_formset(request, form, formset, change)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        # Inline events and notes (added, changed or deleted) are saved by now.
        super().save_related(request, form, formsets, change)
        _reevaluate([form.instance.pk])
        for formset in formsets:
            if formset.model is Event:
                _follow_up(formset.new_objects, formset.changed_objects, request)

    @admin.action(description="Re-evaluate status", permissions=["change"])
    def reevaluate_status(self, request: HttpRequest, queryset: QuerySet[Candidate]) -> None:
        done = _reevaluate(queryset.values_list("pk", flat=True))
        self.message_user(request, f"Re-evaluated {done} candidates.", messages.SUCCESS)

    # Deleting (allowed for a candidate with no history) keeps the counts per status right.
    def delete_model(self, request: HttpRequest, obj: Candidate) -> None:
        services.candidates_delete(candidates=[obj])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Candidate]) -> None:
        services.candidates_delete(candidates=list(queryset))


class ReevaluatesCandidate(admin.ModelAdmin):
    """For rows that are part of a candidate's history: every save and delete re-evaluates
    the candidates concerned (both, when a row moves from one candidate to another)."""

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        before = form.initial.get("candidate") if change else None
        if isinstance(form, EventAdminForm):
            form.acting_user = request.user
            form.enforce_guard(obj)
        super().save_model(request, obj, form, change)
        _reevaluate([obj.candidate_id, before])
        if isinstance(obj, Event):
            _follow_up(
                [] if change else [obj], [(obj, form.changed_data)] if change else [], request
            )

    def delete_model(self, request: HttpRequest, obj) -> None:
        candidate_id = obj.candidate_id
        super().delete_model(request, obj)
        _reevaluate([candidate_id])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        # The bulk delete action does not run in a transaction of its own.
        with transaction.atomic(using=queryset.db):
            candidate_ids = set(queryset.values_list("candidate_id", flat=True))
            super().delete_queryset(request, queryset)
            _reevaluate(candidate_ids)


def _follow_up(added: Iterable[Event], changed: Iterable[tuple[Event, list]], request) -> None:
    """Events written here are followed as the same event logged or corrected on the
    candidate page is (services.event_log / event_update call the same hooks): reminders,
    webhooks."""
    for event in added:
        services.event_recorded(event)
    for event, fields in changed:
        services.event_corrected(event, by=request.user, kind_changed="kind" in fields)


def _correct_on_the_page(url_name: str, obj) -> str:
    if obj is None or obj.pk is None:
        return "-"
    url = reverse(f"candidates:{url_name}", args=[obj.candidate_id, obj.pk])
    return format_html(
        '<a href="{}">Correct or delete it on the candidate page</a> (a deletion needs a '
        "reason, kept in the history)",
        url,
    )


@admin.register(Event)
class EventAdmin(NoDeletionWithoutReason, ReevaluatesCandidate):
    form = EventAdminForm
    list_display = (
        "occurred_on",
        "candidate",
        "organization",
        "kind",
        "reason",
        "job",
        "recorded_by",
    )
    list_filter = ("kind", "reason", "candidate__organization")
    search_fields = ("candidate__name", "candidate__email", "notes")
    list_select_related = ("candidate__organization", "job__client", "recorded_by")
    autocomplete_fields = ("candidate", "job", "recorded_by")
    date_hierarchy = "occurred_on"
    readonly_fields = ("created_at", "deleting")
    show_full_result_count = False

    @admin.display(description="Organization", ordering="candidate__organization__name")
    def organization(self, obj: Event) -> Organization:
        return obj.candidate.organization

    @admin.display(description="Deleting")
    def deleting(self, obj: Event | None) -> str:
        return _correct_on_the_page("event_edit", obj)


@admin.register(RiskNote)
class RiskNoteAdmin(NoDeletionWithoutReason, ReevaluatesCandidate):
    form = RiskNoteAdminForm
    list_display = ("noted_on", "candidate", "organization", "dimension", "level", "author_email")
    list_filter = ("dimension", "level", "candidate__organization")
    search_fields = ("candidate__name", "candidate__email", "author_email", "note")
    list_select_related = ("candidate__organization",)
    autocomplete_fields = ("candidate", "author")
    readonly_fields = ("created_at", "deleting")
    show_full_result_count = False

    @admin.display(description="Organization", ordering="candidate__organization__name")
    def organization(self, obj: RiskNote) -> Organization:
        return obj.candidate.organization

    @admin.display(description="Deleting")
    def deleting(self, obj: RiskNote | None) -> str:
        return _correct_on_the_page("note_edit", obj)
