"""Forms of the web pages. They check what a person typed and say exactly what is wrong;
the writes themselves happen in `services.py`.

Every choice of another object (a job, an owner) is limited to the user's organization.
A tampered form naming another organization's job answers 404, as a URL would (the
contract: never its data, never a 403), rather than an error that confirms it exists.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.http import Http404
from django.utils import timezone

from . import services
from .clock import latest_date
from .duplicates import duplicates_for_new
from .engine import MISSTEPS, Kind, Status, human_date, reasons_for
from .models import (
    ADVICE_CHOICES,
    DIMENSION_CHOICES,
    INTERVIEW_EARLIEST_YEAR,
    INTERVIEW_TOO_EARLY,
    INTERVIEW_TOO_FAR,
    MISSTEP_REASON_CHOICES,
    REJECTION_REASON_CHOICES,
    STATUS_CHOICES,
    Candidate,
    Client,
    Job,
    JobState,
    Role,
    User,
    interview_horizon,
)
from .services import EMAIL_TAKEN, email_taken

# Dates further back than this are typing mistakes (and would upset the calendar maths).
EARLIEST_DATE = date(1990, 1, 1)

# Kinds logged with the general "log an event" form. Second-chance requests, decisions and
# flags have their own forms because they carry their own rules and permissions (only a
# manager decides a second chance).
MISSTEP_KINDS = [k for k in Kind if k in MISSTEPS]
PROGRESS_KINDS = [Kind.SUBMITTED, Kind.SCHEDULED, Kind.ATTENDED, Kind.OFFER_MADE, Kind.HIRED]
EMPLOYER_KINDS = [Kind.REJECTED]
LOGGABLE_KINDS = {k.value for k in MISSTEP_KINDS + PROGRESS_KINDS + EMPLOYER_KINDS}
EVENT_KIND_CHOICES = [
    ("", "Choose what happened…"),
    ("Missteps", [(k.value, k.label) for k in MISSTEP_KINDS]),
    ("Progress", [(k.value, k.label) for k in PROGRESS_KINDS]),
    ("The employer's no (not a misstep)", [(k.value, k.label) for k in EMPLOYER_KINDS]),
]
# The commonest missteps, one click away on the candidate page (the event form, pre-filled).
QUICK_LOG_KINDS = {
    Kind.NO_SHOW.value: "No-show",
    Kind.LATE.value: "Late",
    Kind.DECLINED_INTERVIEW.value: "Declined interview",
}
# Kinds whose event may carry the time of an interview.
INTERVIEW_KINDS = {Kind.SCHEDULED.value, Kind.SECOND_CHANCE_GRANTED.value}

LEVEL_CHOICES = [
    (1, "1 — no concern"),
    (2, "2 — slight concern"),
    (3, "3 — some concern"),
    (4, "4 — real concern"),
    (5, "5 — serious concern"),
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _not_too_far(form: forms.Form, data: dict) -> None:
    """The contract: an interview time more than 18 months ahead is refused (Event.clean
    says the same to every other way in)."""
    interview_at = data.get("interview_at")
    if interview_at is not None and interview_at > interview_horizon():
        form.add_error("interview_at", INTERVIEW_TOO_FAR)
    if interview_at is not None and interview_at.year < INTERVIEW_EARLIEST_YEAR:
        form.add_error("interview_at", INTERVIEW_TOO_EARLY)


class OverrideMixin:
    """An admin may let one action the guard refuses through, saying why (recorded as an
    `override` event just before it). The field exists only for admins (`can_override`)."""

    def __init__(self, *args, can_override: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if can_override:
            self.fields["override_reason"] = forms.CharField(
                label="Override the guard (admins only)",
                widget=forms.Textarea(attrs={"rows": 2}),
                required=False,
                max_length=1000,
                help_text="Only if this is refused because the candidate must not be "
                "resubmitted: why let this one action through. Kept in the history.",
            )


def _past_or_today(value: date | None, what: str = "The date") -> date | None:
    """An event's or a risk note's date: not after today (`clock.latest_date`, the rule the
    import applies too), nor before EARLIEST_DATE."""
    if value is None:
        return value
    if value > latest_date():
        raise forms.ValidationError(f"{what} cannot be in the future.")
    if value < EARLIEST_DATE:
        raise forms.ValidationError(f"{what} must be after {human_date(EARLIEST_DATE)}.")
    return value


def job_label(job: Job) -> str:
    """A job wherever one is picked: "Forklift operator — Acme" (titles repeat across
    clients), with its state when it is not open. Needs the job's client loaded."""
    label = f"{job.title} — {job.client.name}"
    return label if job.is_open else f"{label} ({job.get_state_display().lower()})"


class OrgJobField(forms.ChoiceField):
    """A job of the organization, from a list loaded once per request (no query per
    render). An id that is not one of them is a 404: see the module docstring."""

    def __init__(self, *, jobs: Iterable[Job] = (), **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.set_jobs(jobs)

    def set_jobs(self, jobs: Iterable[Job]) -> None:
        self.jobs = {str(job.pk): job for job in jobs}
        self.choices = [
            ("", "No particular job"),
            *((pk, job_label(job)) for pk, job in self.jobs.items()),
        ]

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        job = self.jobs.get(value)
        if job is None:
            raise Http404("No job here.")
        return job

    def validate(self, value) -> None:
        if value is None and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")

    def prepare_value(self, value):
        return str(value.pk) if isinstance(value, Job) else value


class JobFormMixin:
    """Forms with a `job` field take the organization's jobs as `jobs=`."""

    def __init__(self, *args, jobs: Iterable[Job] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["job"].set_jobs(jobs)


# --- Candidates ---------------------------------------------------------------------------


class CandidateForm(forms.Form):
    name = forms.CharField(max_length=200)
    email = forms.EmailField(max_length=254, help_text="One candidate per email address.")
    phone = forms.CharField(max_length=50, required=False)
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="Nobody yet",
        help_text="The recruiter who looks after this candidate.",
    )
    rating = forms.TypedChoiceField(
        choices=[("", "Not rated"), *[(i, str(i)) for i in range(1, 6)]],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="How strong the candidate is, 1 (weak) to 5 (strong).",
    )
    # Shown (as a checkbox) only once a new candidate was found to be probably the same
    # person as an existing one: ticking it says they are not.
    different_person = forms.BooleanField(
        label="This is a different person",
        required=False,
        widget=forms.HiddenInput,
        help_text="Tick only after checking the candidates above: otherwise open their record.",
    )

    def __init__(self, *args, organization, instance: Candidate | None = None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name,
                "email": instance.email,
                "phone": instance.phone,
                "owner": instance.owner_id,
                "rating": instance.rating,
            }
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.instance = instance
        self.duplicates: list = []
        if instance is not None:
            del self.fields["different_person"]
        self.fields["owner"].queryset = User.objects.filter(
            organization=organization, is_active=True
        ).order_by("first_name", "last_name", "username")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Enter the candidate's name.")
        return name

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        # The contract: unique per organization, case-insensitive, primaries and other
        # addresses alike.
        exclude = self.instance.pk if self.instance is not None else None
        if email_taken(self.organization.pk, email, exclude=exclude):
            raise forms.ValidationError(EMAIL_TAKEN)
        return email

    def clean(self):
        cleaned = super().clean()
        if self.instance is not None or self.errors:
            return cleaned
        # One person, one history: a new candidate who is probably someone already here is
        # shown with that record (its status and advice) before anything is saved.
        self.duplicates = duplicates_for_new(
            self.organization,
            name=cleaned["name"],
            email=cleaned["email"],
            phone=cleaned.get("phone") or "",
        )
        if self.duplicates and not cleaned.get("different_person"):
            self.fields["different_person"].widget = forms.CheckboxInput()
            count = len(self.duplicates)
            raise forms.ValidationError(
                f"Probably the same person as {count} candidate{'s' if count > 1 else ''} "
                "already here (listed above): open their record, or tick “This is a different "
                "person” to add this one."
            )
        return cleaned

    def candidate_fields(self) -> dict:
        """What the services take (the confirmation is the form's own)."""
        return {k: v for k, v in self.cleaned_data.items() if k != "different_person"}


# --- Events, notes, second chances, flags -------------------------------------------------


class SubmittedOnce(forms.Form):
    """A form saved at most once however often it is posted: a key made when the form is
    shown travels with it (services.claim_submission). Optional: a post without one (a
    script, an old page) is simply not protected."""

    submission = forms.CharField(required=False, widget=forms.HiddenInput, initial=uuid.uuid4)

    def clean_submission(self) -> uuid.UUID | None:
        # A damaged key is no key (the form is then simply not protected): an error on a
        # hidden field would leave the member with a form that fails for no visible reason.
        try:
            return uuid.UUID(self.cleaned_data["submission"])
        except ValueError:
            return None


class EventForm(OverrideMixin, JobFormMixin, SubmittedOnce):
    # Required or not depending on the kind: the template does not call them optional.
    conditional_fields = ("reason", "interview_at")

    kind = forms.ChoiceField(label="What happened", choices=EVENT_KIND_CHOICES)
    occurred_on = forms.DateField(label="On", widget=DateInput())
    reason = forms.ChoiceField(
        choices=[
            ("", "—"),
            ("A misstep's reason", MISSTEP_REASON_CHOICES),
            ("The employer's reason", REJECTION_REASON_CHOICES),
        ],
        required=False,
        help_text="Required for a misstep (a misstep's reason) and for a rejection (the "
        "employer's reason); leave empty otherwise.",
    )
    job = OrgJobField(label="Job")
    interview_at = forms.DateTimeField(
        label="Interview on",
        required=False,
        widget=DateTimeInput(),
        help_text="Only for a scheduled interview.",
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def clean_occurred_on(self) -> date:
        return _past_or_today(self.cleaned_data["occurred_on"])

    def clean(self):
        data = super().clean()
        kind, reason = data.get("kind"), data.get("reason")
        if kind:
            allowed = reasons_for(Kind(kind))
            label = Kind(kind).label
            if Kind(kind) in MISSTEPS and not reason:
                self.add_error("reason", f"Choose a reason: “{label}” is a misstep.")
            elif kind == Kind.REJECTED and not reason:
                self.add_error("reason", "Choose the employer's reason for the rejection.")
            elif not allowed and reason:
                self.add_error(
                    "reason",
                    f"Leave the reason empty: “{label}” is not a misstep.",
                )
            elif reason and reason not in allowed:
                which = "a misstep's" if Kind(kind) in MISSTEPS else "the employer's"
                self.add_error("reason", f"Choose one of {which} reasons for “{label}”.")
            if data.get("interview_at") and kind not in INTERVIEW_KINDS:
                self.add_error("interview_at", "Only a scheduled interview has an interview time.")
        _not_too_far(self, data)
        return data


class RiskNoteForm(SubmittedOnce):
    dimension = forms.ChoiceField(label="Risk", choices=DIMENSION_CHOICES)
    level = forms.TypedChoiceField(
        choices=LEVEL_CHOICES, coerce=int, initial=1, help_text="Your judgement today."
    )
    noted_on = forms.DateField(label="On", widget=DateInput())
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="What makes you say so.",
    )

    def clean_noted_on(self) -> date:
        return _past_or_today(self.cleaned_data["noted_on"])


# Where a new second-chance request makes sense: after a misstep with nothing in motion,
# after a refusal (they may ask again), or after the employer's no (a reconsideration).
# Granted, pending, clean, recovered: not. Burned: the guard refuses it in the service, in
# the explanation's words (and an admin may override it).


class SecondChanceRequestForm(OverrideMixin, JobFormMixin, SubmittedOnce):
    pitch = forms.CharField(
        label="Their pitch",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="In the candidate's words: why they deserve another chance.",
    )
    job = OrgJobField(label="For the job")
    occurred_on = forms.DateField(label="Asked on", widget=DateInput())

    def __init__(self, *args, candidate: Candidate, **kwargs):
        # Own ids: the candidate page shows this form beside the event form (`job`, ...),
        # and a label must point at its own field.
        kwargs.setdefault("auto_id", "id_request_%s")
        super().__init__(*args, **kwargs)
        self.candidate = candidate

    def clean_pitch(self) -> str:
        pitch = self.cleaned_data["pitch"].strip()
        if not pitch:
            raise forms.ValidationError("Write the candidate's pitch.")
        return pitch

    def clean_occurred_on(self) -> date:
        return _past_or_today(self.cleaned_data["occurred_on"])

    def clean(self):
        data = super().clean()
        # A burned candidate goes on to the guard, which an admin may override.
        if self.candidate.status != Status.BURNED and (
            problem := services.request_refusal(self.candidate)
        ):
            raise forms.ValidationError(problem)
        return data


class SecondChanceDecideForm(JobFormMixin, SubmittedOnce):
    conditional_fields = ("note", "interview_at")

    decision = forms.ChoiceField(
        choices=[("grant", "Grant a second chance"), ("refuse", "Refuse")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Required when refusing: say why.",
    )
    # A decision made on the phone yesterday is recorded as of yesterday (the event form's
    # date rule: not in the future); an empty date is today.
    occurred_on = forms.DateField(
        label="Decided on",
        required=False,
        widget=DateInput(),
        initial=timezone.localdate,
        help_text="Today unless the decision was made earlier.",
    )
    interview_at = forms.DateTimeField(
        label="Interview on",
        required=False,
        widget=DateTimeInput(),
        help_text="When granting: the date and time of the second-chance interview, if known "
        "(past or coming).",
    )
    job = OrgJobField(label="For the job")
    email_candidate = forms.BooleanField(
        label="Email the decision to the candidate",
        required=False,
        initial=True,
        help_text="A grant goes with the interview as a calendar invitation and the "
        "preparation checklist; a refusal in your organization's respectful words.",
    )
    place = forms.CharField(
        label="Where",
        required=False,
        max_length=300,
        help_text="When granting with an email: the address or the video link.",
    )

    def __init__(self, *args, candidate: Candidate, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidate = candidate
        # Unique ids: the review queue shows one decide form per candidate on one page.
        self.auto_id = f"id_decide_{candidate.pk}_%s"

    @property
    def grant(self) -> bool:
        return self.cleaned_data.get("decision") == "grant"

    def service_arguments(self) -> dict:
        """The valid form as services.second_chance_decide's arguments (the candidate page and
        the review queue record a decision the same way)."""
        data = self.cleaned_data
        return {
            "grant": self.grant,
            "note": data["note"].strip(),
            "job": data["job"],
            "occurred_on": data["occurred_on"],
            "interview_at": data["interview_at"],
            "submission": data["submission"],
        }

    def clean_occurred_on(self) -> date:
        decided_on = _past_or_today(self.cleaned_data["occurred_on"], "The decision's date")
        return decided_on or timezone.localdate()

    def clean(self):
        data = super().clean()
        if self.candidate.status != Status.REQUESTED:
            raise forms.ValidationError("There is no second-chance request waiting for a decision.")
        decision = data.get("decision")
        if decision == "refuse":
            if not data.get("note", "").strip():
                self.add_error("note", "Say why the second chance is refused.")
            if data.get("interview_at"):
                self.add_error("interview_at", "A refused second chance has no interview.")
        asked_on = self.candidate.requested_on
        decided_on = data.get("occurred_on")
        if asked_on and decided_on and decided_on < asked_on:
            # Dated before the request, the decision would not answer it (history order).
            self.add_error(
                "occurred_on",
                f"The decision cannot come before the request ({human_date(asked_on)}).",
            )
        _not_too_far(self, data)
        return data


class FlagForm(forms.Form):
    # Own ids: the candidate page also shows the event form's `reason` (see above).
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_flag_%s")
        super().__init__(*args, **kwargs)

    reason = forms.CharField(
        label="Why not resubmit",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required: the next person to read this candidate needs to know.",
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why this candidate must not be resubmitted.")
        return reason


class ClearFlagForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_clear_%s")
        super().__init__(*args, **kwargs)

    reason = forms.CharField(
        label="Why lift the flag",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


# --- The candidate list's filters ---------------------------------------------------------

SORTS = {
    # The default: the closest matches first when searching, else the highest risk first.
    "": "Best match",
    "risk": "Highest risk",
    "name": "Name",
    "latest": "Latest event",
}


class CandidateFilterForm(forms.Form):
    """GET filters. Every field is optional; a value that is not valid is reported on the
    field and ignored by the list, never a 500."""

    q = forms.CharField(label="Search", required=False, max_length=200)
    status = forms.ChoiceField(choices=[("", "Any status"), *STATUS_CHOICES], required=False)
    advice = forms.ChoiceField(choices=[("", "Any advice"), *ADVICE_CHOICES], required=False)
    owner = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    client = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    job = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    sort = forms.ChoiceField(choices=list(SORTS.items()), required=False)

    def __init__(self, data=None, *, owners=(), clients=(), jobs=(), **kwargs):
        super().__init__(data, **kwargs)
        self.fields["q"].widget.attrs.update({"type": "search", "placeholder": "Name or email"})
        self.fields["owner"].choices = [
            ("", "Anyone"),
            *((str(u.pk), str(u)) for u in owners),
        ]
        self.fields["client"].choices = [
            ("", "Any client"),
            *((str(c.pk), c.name) for c in clients),
        ]
        self.fields["job"].choices = [("", "Any job"), *((str(j.pk), job_label(j)) for j in jobs)]

    def filters(self) -> dict:
        """The valid filters only: an invalid field is dropped, the rest still apply."""
        self.is_valid()
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if value not in (None, "") and name not in self.errors
        }


# --- Logging in, members -------------------------------------------------------------------


class LoginForm(AuthenticationForm):
    """Members log in with their email address (it is their username): the form says email,
    never "username"."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "Please enter a correct email address and password. "
            "Note that the password is case-sensitive."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email"
        self.fields["username"].widget.attrs.update({"autocomplete": "email"})


# --- Members ------------------------------------------------------------------------------


class MemberAddForm(forms.Form):
    # 150: the email is also the login name (User.username).
    email = forms.EmailField(max_length=150, help_text="They log in with it.")
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150, required=False)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.RECRUITER)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        # Accounts are global (one login per person), so this check is global too.
        if (
            User.objects.filter(username__iexact=email).exists()
            or User.objects.filter(email__iexact=email).exists()
        ):
            raise forms.ValidationError("An account with this email address already exists.")
        return email


class MemberEditForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    is_active = forms.BooleanField(
        label="Active",
        required=False,
        help_text="An inactive member cannot log in; their records stay.",
    )

    def __init__(self, *args, member: User, acting: User, **kwargs):
        kwargs.setdefault("initial", {"role": member.role, "is_active": member.is_active})
        super().__init__(*args, **kwargs)
        self.member = member
        self.acting = acting
        self.auto_id = f"id_member_{member.pk}_%s"

    def clean(self):
        data = super().clean()
        if self.member.pk == self.acting.pk:
            # An admin locking themselves out would leave the organization without one.
            if data.get("role") and data["role"] != Role.ADMIN:
                self.add_error("role", "You cannot remove your own admin role.")
            if not data.get("is_active"):
                self.add_error("is_active", "You cannot deactivate your own account.")
        return data


# --- Resubmit?, clients and jobs, import ------------------------------------------------


class ResubmitForm(JobFormMixin, forms.Form):
    """GET form: find a candidate, pick them and a job. Every field is optional, so that the
    page also shows an empty form; an id that is not the organization's is a form error."""

    q = forms.CharField(label="Find a candidate", required=False, max_length=200)
    candidate = forms.ModelChoiceField(
        queryset=Candidate.objects.none(),
        required=False,
        empty_label="Choose a candidate…",
        error_messages={"invalid_choice": "Choose a candidate from the list."},
    )
    job = OrgJobField(label="For the job")

    def __init__(self, data=None, *, organization, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["q"].widget.attrs.update(
            {"type": "search", "placeholder": "Name or email", "autocomplete": "off"}
        )
        self.fields["candidate"].queryset = Candidate.objects.filter(
            organization=organization
        ).select_related("owner")
        self.set_options(())

    def set_options(self, options: Iterable[Candidate]) -> None:
        """The select lists these candidates only (a search's matches), not the whole
        organization; any candidate of the organization is still accepted, so that a link to
        the page can name one."""
        self.fields["candidate"].widget.choices = [
            ("", "Choose a candidate…"),
            *((str(c.pk), f"{c.name} <{c.email}>") for c in options),
        ]


class ClientForm(forms.Form):
    name = forms.CharField(max_length=200)

    def __init__(self, *args, organization, instance=None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {"name": instance.name}
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.instance = instance

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Enter the client's name.")
        # Unique per organization, case-insensitive (as the database constraint says).
        taken = Client.objects.filter(organization=self.organization, name__iexact=name)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError("There is already a client with this name.")
        return name


class JobForm(forms.Form):
    client = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        empty_label="Choose a client…",
        error_messages={"invalid_choice": "Choose one of your clients."},
    )
    title = forms.CharField(max_length=200)
    hiring_manager = forms.CharField(
        max_length=200, required=False, help_text="Who decides at the client."
    )
    state = forms.ChoiceField(choices=JobState.choices, initial=JobState.OPEN)

    def __init__(self, *args, organization, instance: Job | None = None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "client": instance.client_id,
                "title": instance.title,
                "hiring_manager": instance.hiring_manager,
                "state": instance.state,
            }
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.instance = instance
        self.fields["client"].queryset = Client.objects.filter(organization=organization)

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("Enter the job's title.")
        return title

    def clean(self):
        data = super().clean()
        client, title = data.get("client"), data.get("title")
        if client is not None and title:
            # Unique per client, case-insensitive (as the database constraint says).
            taken = Job.objects.filter(client=client, title__iexact=title)
            if self.instance is not None:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("title", f"{client.name} already has a job with this title.")
        return data


IMPORT_MAX_BYTES = 10 * 1024 * 1024


def _decoded_upload(upload, what: str) -> str:
    """The uploaded CSV as text: UTF-8, with or without the byte-order mark spreadsheets add."""
    if upload.size > IMPORT_MAX_BYTES:
        raise forms.ValidationError(
            f"The {what} file is {upload.size / 1024 / 1024:.1f} MB; the limit is "
            f"{IMPORT_MAX_BYTES // 1024 // 1024} MB. Split it into smaller files."
        )
    data = upload.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise forms.ValidationError(
            f"The {what} file is not UTF-8 text: line {line} has a character that cannot be "
            "read. In your spreadsheet, save it again as “CSV UTF-8” and upload that."
        ) from exc


class ImportForm(forms.Form):
    events = forms.FileField(
        label="Events CSV",
        help_text="Columns: candidate_email, candidate_name, client, job_title, kind, "
        "occurred_on, reason, notes.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    risk_notes = forms.FileField(
        label="Risk notes CSV (optional)",
        required=False,
        help_text="Columns: candidate_email, dimension, level, author_email, noted_on, note.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_events(self) -> str:
        return _decoded_upload(self.cleaned_data["events"], "events")

    def clean_risk_notes(self) -> str | None:
        upload = self.cleaned_data.get("risk_notes")
        return _decoded_upload(upload, "risk notes") if upload else None


# --- Corrections, export and erasure ------------------------------------------------------
# Events and risk notes are never silently rewritten: a correction or a deletion says why,
# and the services keep the earlier version and the reason in the audit trail.

# Kinds whose text is what the event is about (a flag's reason, a pitch, a refusal's why).
TEXT_REQUIRED_KINDS = {
    Kind.DO_NOT_RESUBMIT.value: "Say why this candidate must not be resubmitted.",
    Kind.SECOND_CHANCE_REQUESTED.value: "Write the candidate's pitch.",
    Kind.SECOND_CHANCE_REFUSED.value: "Say why the second chance is refused.",
}
CHANGE_REASON_MAX = 1000


def _reason_field(label: str, help_text: str, required: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=CHANGE_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=help_text,
        error_messages={"required": required},
    )


class EventEditForm(EventForm):
    """Correct an event. A logged kind may become another logged kind; a second-chance
    request or decision and a flag keep their kind (they have their own forms and rules)."""

    submission = None  # a correction is idempotent by nature
    change_reason = _reason_field(
        "Why the correction",
        "Kept in the history beside the earlier version.",
        required="Say why you correct it.",
    )

    def __init__(self, *args, event, jobs: Iterable[Job] = (), **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "kind": event.kind,
                "occurred_on": event.occurred_on,
                "reason": event.reason,
                "job": event.job_id,
                "interview_at": event.interview_at,
                "notes": event.notes,
            },
        )
        kwargs.setdefault("auto_id", "id_edit_%s")
        super().__init__(*args, jobs=jobs, **kwargs)
        self.event = event
        if event.kind not in LOGGABLE_KINDS:
            self.fields["kind"].choices = [(event.kind, Kind(event.kind).label)]
            if event.kind not in INTERVIEW_KINDS and not event.interview_at:
                del self.fields["interview_at"]

    def clean(self):
        data = super().clean()
        message = TEXT_REQUIRED_KINDS.get(data.get("kind", ""))
        if message and not data.get("notes", "").strip():
            self.add_error("notes", message)
        return data

    def changes(self) -> dict:
        """The fields whose value differs from the event's, ready for services.event_update."""
        data = self.cleaned_data
        changed = {}
        for name in ("kind", "occurred_on", "reason", "notes", "interview_at"):
            if name in data and data[name] != getattr(self.event, name):
                changed[name] = data[name]
        job = data.get("job")
        if (job.pk if job else None) != self.event.job_id:
            changed["job"] = job
        return changed


class RiskNoteEditForm(RiskNoteForm):
    submission = None  # a correction is idempotent by nature
    change_reason = _reason_field(
        "Why the correction",
        "Kept in the history beside the earlier version.",
        required="Say why you correct it.",
    )

    def __init__(self, *args, risk_note, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "dimension": risk_note.dimension,
                "level": risk_note.level,
                "noted_on": risk_note.noted_on,
                "note": risk_note.note,
            },
        )
        kwargs.setdefault("auto_id", "id_edit_%s")
        super().__init__(*args, **kwargs)
        self.risk_note = risk_note

    def changes(self) -> dict:
        data = self.cleaned_data
        return {
            name: data[name]
            for name in ("dimension", "level", "noted_on", "note")
            if data[name] != getattr(self.risk_note, name)
        }


class DeleteForm(forms.Form):
    reason = _reason_field(
        "Why delete it",
        "Required: the deletion and its reason are kept.",
        required="Say why you delete it.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_delete_%s")
        super().__init__(*args, **kwargs)


class EraseForm(forms.Form):
    reason = _reason_field(
        "Why erase this candidate",
        "For example: “The candidate asked us to erase their data (email of 2 May).” "
        "It is recorded, without their name.",
        required="Say why the candidate is erased.",
    )


class MergeForm(forms.Form):
    """Merge another candidate into this one: which, and why (kept in the audit trail)."""

    other = forms.IntegerField(
        label="The candidate to merge into this one",
        widget=forms.Select,
        help_text="Their events, notes, reminders and addresses move here; their record goes "
        "(a merge can be undone from the history of changes for 30 days).",
    )
    reason = forms.CharField(
        label="Why they are one person",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "Say why these are one person (it is recorded)."},
    )

    def __init__(self, *args, options: Iterable[Candidate] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["other"].widget.choices = [("", "Choose…")] + [
            (c.pk, f"{c.name} <{c.email}>: {c.get_status_display()}, {c.get_advice_display()}")
            for c in options
        ]

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why these are one person (it is recorded).")
        return reason
