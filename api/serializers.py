"""What the API reads and answers. Input serializers check the types (and document them in
the schema); the rules are the pages' own: each write's data is then checked by the same
Django form the page uses (`FormInput`), so the API and the pages refuse the same things
with the same words."""

from __future__ import annotations

import re
from datetime import date, datetime

from django import forms
from rest_framework import serializers

from candidates.forms import (
    EVENT_KIND_CHOICES,
    LEVEL_CHOICES,
    SORTS,
    ClientForm,
    EventForm,
    JobForm,
    RiskNoteForm,
    SecondChanceDecideForm,
    SecondChanceRequestForm,
)
from candidates.models import (
    ADVICE_CHOICES,
    DIMENSION_CHOICES,
    KIND_CHOICES,
    REASON_CHOICES,
    STATUS_CHOICES,
    Candidate,
    Client,
    Event,
    Job,
    JobState,
    RiskNote,
    User,
)
from candidates.pagination import MAX_PER_PAGE
from reminders.forms import ReminderForm
from reminders.models import Reminder
from reminders.rules import SNOOZES, ReminderKind

from .models import ApiToken, Scope

BIGINT_MAX = 2**63 - 1
# A lone UTF-16 surrogate decodes from JSON ("\ud800") but cannot be stored (a 500 in the
# database driver): refused as the invalid text it is.
SURROGATES = re.compile("[\ud800-\udfff]")


def _flat(choices) -> list[str]:
    """The values of (possibly grouped) Django choices, without the empty one."""
    values = []
    for value, label in choices:
        if isinstance(label, list | tuple):
            values.extend(v for v, _ in label)
        elif value != "":
            values.append(value)
    return values


# Named once, for the schema's enums (settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
EVENT_KINDS = [v for v, _ in KIND_CHOICES]
LOGGABLE_KINDS = _flat(EVENT_KIND_CHOICES)
EVENT_REASONS = REASON_CHOICES
REMINDER_KINDS = [k.value for k in ReminderKind]


class Text(serializers.CharField):
    """A JSON string (not a number DRF would make one of), holding valid text."""

    default_error_messages = {
        "surrogate": "This text holds a character that is not valid.",
        "not_text": "Give text (a JSON string).",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text")
        value = super().to_internal_value(data)
        if SURROGATES.search(value):
            self.fail("surrogate")
        return value


class Whole(serializers.IntegerField):
    """A JSON integer: not "3", not 3.0, not true (which DRF's IntegerField takes). Query
    parameters, which are text by nature, use DRF's own."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class Key(serializers.UUIDField):
    """A UUID as a JSON string (DRF's also takes an integer)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class Level(serializers.ChoiceField):
    """1 to 5, as a JSON integer."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


def Id(**kwargs) -> serializers.IntegerField:  # a field type, named as one
    """An id in a JSON body."""
    return Whole(min_value=1, max_value=BIGINT_MAX, **kwargs)


def QueryId(**kwargs) -> serializers.IntegerField:
    """An id in the query string."""
    return serializers.IntegerField(min_value=1, max_value=BIGINT_MAX, **kwargs)


def form_errors(form: forms.Form) -> dict[str, list[str]]:
    return {
        ("non_field_errors" if name == "__all__" else name): [e["message"] for e in errors]
        for name, errors in form.errors.get_json_data().items()
    }


def _as_form_value(value):
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


class FormInput(serializers.Serializer):
    """Types checked here, rules by `form_class` (the page's form), built with the view's
    `context["form_kwargs"]`. After `is_valid()`, `self.form` holds the valid form."""

    form_class: type[forms.Form]

    def validate(self, attrs):
        data = {name: _as_form_value(value) for name, value in attrs.items()}
        form = self.form_class(data, **self.context.get("form_kwargs", {}))
        if not form.is_valid():
            raise serializers.ValidationError(form_errors(form))
        self.form = form
        return attrs


# --- Inputs -------------------------------------------------------------------------------

SUBMISSION_HELP = (
    "Optional idempotency key (a UUID): a second request with the same key stores nothing "
    "and answers 409."
)
OVERRIDE_HELP = (
    "Admins only (ignored for others): let one action the guard refuses through, saying why."
)


class EventInput(FormInput):
    form_class = EventForm

    kind = serializers.ChoiceField(choices=LOGGABLE_KINDS)
    occurred_on = serializers.DateField()
    reason = serializers.ChoiceField(
        choices=EVENT_REASONS,
        required=False,
        allow_blank=True,
        help_text="Required for a misstep and a rejection; empty otherwise.",
    )
    job = Id(required=False, allow_null=True, help_text="A job of your organization.")
    interview_at = serializers.DateTimeField(required=False, allow_null=True)
    notes = Text(required=False, allow_blank=True, max_length=10_000)
    submission = Key(required=False, allow_null=True, help_text=SUBMISSION_HELP)
    override_reason = Text(
        required=False, allow_blank=True, max_length=1000, help_text=OVERRIDE_HELP
    )


class RiskNoteInput(FormInput):
    form_class = RiskNoteForm

    dimension = serializers.ChoiceField(choices=[v for v, _ in DIMENSION_CHOICES])
    level = Level(choices=[v for v, _ in LEVEL_CHOICES])
    noted_on = serializers.DateField()
    note = Text(required=False, allow_blank=True, max_length=10_000)
    submission = Key(required=False, allow_null=True, help_text=SUBMISSION_HELP)


class SecondChanceRequestInput(FormInput):
    form_class = SecondChanceRequestForm

    pitch = Text(max_length=10_000, help_text="In the candidate's words.")
    occurred_on = serializers.DateField()
    job = Id(required=False, allow_null=True, help_text="A job of your organization.")
    submission = Key(required=False, allow_null=True, help_text=SUBMISSION_HELP)
    override_reason = Text(
        required=False, allow_blank=True, max_length=1000, help_text=OVERRIDE_HELP
    )


class SecondChanceDecisionInput(FormInput):
    form_class = SecondChanceDecideForm

    decision = serializers.ChoiceField(choices=["grant", "refuse"])
    note = Text(
        required=False, allow_blank=True, max_length=10_000, help_text="Required when refusing."
    )
    occurred_on = serializers.DateField(
        required=False, allow_null=True, help_text="Default: today."
    )
    interview_at = serializers.DateTimeField(required=False, allow_null=True)
    job = Id(
        required=False,
        allow_null=True,
        help_text="Default: the job the request was made for.",
    )
    submission = Key(required=False, allow_null=True, help_text=SUBMISSION_HELP)


class ClientInput(FormInput):
    form_class = ClientForm

    name = Text(max_length=200)


class JobInput(FormInput):
    form_class = JobForm

    client = Id(help_text="A client of your organization.")
    title = Text(max_length=200)
    hiring_manager = Text(required=False, allow_blank=True, max_length=200)
    state = serializers.ChoiceField(choices=JobState.values, required=False, default="open")


class ReminderInput(FormInput):
    form_class = ReminderForm

    title = Text(max_length=200, help_text="What to do: “Call back about the Acme offer”.")
    due_at = serializers.DateTimeField(help_text="When; not more than an hour ago.")
    user = Id(help_text="Who is reminded: an active member of your organization (you, often).")
    body = Text(required=False, allow_blank=True, max_length=10_000)


# {"for": "1d" | "1w"}, as the Reminders page posts it ("for" is a Python keyword, hence
# the class built by type()).
SnoozeInput = type(
    "SnoozeInput",
    (serializers.Serializer,),
    {
        "for": serializers.ChoiceField(
            choices=list(SNOOZES), help_text="For a day (`1d`) or a week (`1w`)."
        ),
        "__module__": __name__,
    },
)


class CandidateQuery(serializers.Serializer):
    """The candidate list's filters, sort and pagination: the list page's."""

    q = Text(required=False, allow_blank=True, max_length=200, help_text="Name or email.")
    status = serializers.ChoiceField(choices=[v for v, _ in STATUS_CHOICES], required=False)
    advice = serializers.ChoiceField(choices=[v for v, _ in ADVICE_CHOICES], required=False)
    owner = QueryId(required=False, help_text="A member's id.")
    client = QueryId(required=False, help_text="Candidates with an event for this client.")
    job = QueryId(required=False, help_text="Candidates with an event on this job.")
    sort = serializers.ChoiceField(
        choices=[s for s in SORTS if s],
        required=False,
        help_text="Default: highest risk first (best match first when searching).",
    )
    page = QueryId(required=False)
    after = QueryId(required=False, help_text="The `next` link's cursor: the last row's id.")
    before = QueryId(required=False, help_text="The `previous` link's cursor: the first row's id.")
    per_page = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PER_PAGE, default=25
    )

    def filters(self) -> dict:
        """The list's filters (`q`, `sort` included) as candidates.selectors take them."""
        names = ("q", "status", "advice", "owner", "client", "job", "sort")
        return {
            name: value
            for name, value in self.validated_data.items()
            if name in names and value not in (None, "")
        }


class CandidateDetailQuery(serializers.Serializer):
    job = QueryId(
        required=False,
        help_text="A job of your organization: the answer then includes the three hiring "
        "questions for it.",
    )


class ReminderQuery(serializers.Serializer):
    who = serializers.ChoiceField(
        choices=["me", "team"],
        required=False,
        default="me",
        help_text="`team`: everyone's (managers and admins; others get their own).",
    )
    show = serializers.ChoiceField(
        choices=["open", "closed"],
        required=False,
        default="open",
        help_text="`closed`: the latest 100 done or cancelled.",
    )


# --- Outputs ------------------------------------------------------------------------------


class MemberOut(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "name", "email"]

    def get_name(self, user: User) -> str:
        return str(user)


class CandidateOut(serializers.ModelSerializer):
    owner = MemberOut(allow_null=True, read_only=True)
    # Declared: a model field's own range follows the database (SQLite has none), and the
    # schema must not.
    risk_score = serializers.IntegerField(read_only=True, min_value=0, max_value=100)
    live_missteps = serializers.IntegerField(read_only=True, min_value=0)

    class Meta:
        model = Candidate
        fields = [
            "id",
            "name",
            "email",
            "phone",
            "owner",
            "rating",
            "status",
            "advice",
            "risk_score",
            "live_missteps",
            "last_event_on",
            "requested_on",
            "next_interview_at",
            "created_at",
            "updated_at",
        ]


class CandidatePageOut(serializers.Serializer):
    count = serializers.IntegerField(help_text="Matching candidates (a search: up to its cap).")
    capped = serializers.BooleanField(help_text="More than `count` match (a vague search).")
    close_spellings = serializers.BooleanField(
        help_text="Nothing contains the search text: these are the closest spellings."
    )
    page = serializers.IntegerField()
    num_pages = serializers.IntegerField()
    per_page = serializers.IntegerField()
    next = serializers.CharField(allow_null=True, help_text="The next page's URL.")
    previous = serializers.CharField(allow_null=True, help_text="The previous page's URL.")
    results = CandidateOut(many=True)


class JobRef(serializers.ModelSerializer):
    client = serializers.CharField(source="client.name")

    class Meta:
        model = Job
        fields = ["id", "title", "client", "state"]


class QuestionsOut(serializers.Serializer):
    job = JobRef()
    rating = serializers.IntegerField(allow_null=True, help_text="Is the candidate strong?")
    rating_words = serializers.CharField()
    is_solid = serializers.BooleanField(allow_null=True)
    job_open = serializers.BooleanField(allow_null=True, help_text="Is the job still open?")
    other_active = serializers.IntegerField(
        allow_null=True, help_text="How many other candidates are active on the job."
    )


class DimensionOut(serializers.Serializer):
    dimension = serializers.CharField()
    label = serializers.CharField()
    authors = serializers.SerializerMethodField()
    average = serializers.FloatField(allow_null=True)
    points = serializers.FloatField(allow_null=True, help_text="What it adds to the risk score.")

    def get_authors(self, summary) -> int:
        return len(summary.authors)


class CandidateDetailOut(CandidateOut):
    explanation = serializers.ListField(child=serializers.CharField())
    advice_reasons = serializers.ListField(child=serializers.CharField())
    risk = DimensionOut(many=True)
    questions = QuestionsOut(allow_null=True)

    class Meta(CandidateOut.Meta):
        fields = [*CandidateOut.Meta.fields, "explanation", "advice_reasons", "risk", "questions"]


class EventOut(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=EVENT_KINDS)
    job = JobRef(allow_null=True, read_only=True)
    recorded_by = MemberOut(allow_null=True, read_only=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "candidate",
            "kind",
            "occurred_on",
            "reason",
            "notes",
            "job",
            "interview_at",
            "recorded_by",
            "created_at",
        ]


class EventCreated(EventOut):
    warning = serializers.CharField(
        source="guard_warning", default="", help_text="What the guard warned of, if anything."
    )

    class Meta(EventOut.Meta):
        fields = [*EventOut.Meta.fields, "warning"]


class RiskNoteOut(serializers.ModelSerializer):
    author = MemberOut(allow_null=True, read_only=True)

    class Meta:
        model = RiskNote
        fields = [
            "id",
            "candidate",
            "dimension",
            "level",
            "author",
            "author_email",
            "noted_on",
            "note",
            "created_at",
        ]


class JobOut(serializers.ModelSerializer):
    client = serializers.PrimaryKeyRelatedField(read_only=True)
    client_name = serializers.CharField(source="client.name", read_only=True)

    class Meta:
        model = Job
        fields = ["id", "client", "client_name", "title", "hiring_manager", "state", "created_at"]


class ClientJobOut(serializers.ModelSerializer):
    candidate_count = serializers.IntegerField(help_text="Candidates with an event on it.")

    class Meta:
        model = Job
        fields = ["id", "title", "hiring_manager", "state", "candidate_count"]


class ClientOut(serializers.ModelSerializer):
    jobs = ClientJobOut(many=True, source="job_list", required=False)

    class Meta:
        model = Client
        fields = ["id", "name", "created_at", "jobs"]


class ReminderOut(serializers.ModelSerializer):
    user = MemberOut(read_only=True)
    candidate = serializers.PrimaryKeyRelatedField(read_only=True)
    candidate_name = serializers.CharField(source="candidate.name", read_only=True)
    job = JobRef(allow_null=True, read_only=True)

    class Meta:
        model = Reminder
        fields = [
            "id",
            "kind",
            "title",
            "body",
            "due_at",
            "state",
            "user",
            "candidate",
            "candidate_name",
            "job",
            "closed_at",
            "created_at",
        ]


class JobCandidateOut(serializers.ModelSerializer):
    latest_kind = serializers.ChoiceField(
        choices=EVENT_KINDS, help_text="Their latest event on it."
    )
    latest_on = serializers.DateField()
    is_active = serializers.BooleanField(help_text="Still in the running for this job.")

    class Meta:
        model = Candidate
        fields = ["id", "name", "status", "advice", "latest_kind", "latest_on", "is_active"]


class JobDetailOut(JobOut):
    active_count = serializers.IntegerField(help_text="Candidates still active on it.")
    candidates = JobCandidateOut(many=True)

    class Meta(JobOut.Meta):
        fields = [*JobOut.Meta.fields, "active_count", "candidates"]


class MeOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.CharField()
    role = serializers.CharField()
    organization = serializers.CharField()
    token_scope = serializers.ChoiceField(
        choices=Scope.values, allow_null=True, help_text="Null when logged in by session."
    )


class TokenOut(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "scope", "prefix", "created_at", "last_used_at", "revoked_at"]


class ErrorOut(serializers.Serializer):
    detail = serializers.CharField()
