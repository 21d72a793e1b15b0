"""The REST API (/api/v1/). Each view loads through candidates.access (another
organization's object is a 404), checks the input with the page's own form, and calls one
selector or service: the same reads, rules, guards and audit trail as the pages.

Who may do what is the pages' rule, named by the same tuples (candidates.access): recording
is for RECORDERS, deciding a second chance for DECIDERS, everything else for every member.
A read-only token reads (api.permissions.TokenScope)."""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from candidates import selectors, services
from candidates.access import (
    DECIDERS,
    RECORDERS,
    get_for_org,
    may_record_kind,
    may_write_note_as,
    org_of,
    scoped,
)
from candidates.models import Candidate, Client, Event, Job, User
from reminders import selectors as reminder_selectors
from reminders import services as reminder_services
from reminders.models import Reminder
from reminders.rules import SNOOZES

from . import serializers as s
from .errors import django_errors
from .models import ApiToken


class AlreadySavedConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Already saved: this submission key was used before, nothing was stored."
    default_code = "already_saved"


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(s.ErrorOut, description=description)


VALIDATION = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Invalid input: {field: [reasons]} (`non_field_errors` for the whole request).",
)
READ_ERRORS = {
    401: _error("No valid token (unknown, revoked, or its member deactivated)."),
    403: _error("Not a member of an organization, or the role may not do this."),
    429: _error("Too many requests for this token: wait and retry (Retry-After)."),
}
OBJECT_ERRORS = {**READ_ERRORS, 404: _error("No such object in your organization.")}
WRITE_ERRORS = {
    **OBJECT_ERRORS,
    400: VALIDATION,
    403: _error("Read-only token, or the role may not do this."),
    409: _error("Already saved: the same `submission` key was sent before."),
}


def write(call):
    """Run one service: its refusals (validation, the guard, a name taken a moment ago)
    become a 400 with the field and the reason, a repeated submission key a 409."""
    try:
        with transaction.atomic():
            return call()
    except services.AlreadySaved:
        raise AlreadySavedConflict from None
    except ValidationError as exc:  # GuardRefused is one
        raise exceptions.ValidationError(django_errors(exc)) from None
    except IntegrityError:
        raise exceptions.ValidationError(
            {"non_field_errors": ["Someone saved the same thing a moment ago: check and retry."]}
        ) from None


class ApiView(APIView):
    """Every API view: the member's own time zone while it runs (the pages' middleware sees
    no token, so it is activated here once the member is known)."""

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        try:
            timezone.activate(zoneinfo.ZoneInfo(request.user.time_zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, AttributeError):
            timezone.deactivate()

    def finalize_response(self, request, response, *args, **kwargs):
        timezone.deactivate()
        return super().finalize_response(request, response, *args, **kwargs)

    def query(self, serializer_class, request: Request):
        # A plain dict, not the QueryDict: DRF would take `?status=` for no status at all;
        # here an empty value is refused like any other that is not one of the choices.
        serializer = serializer_class(data=request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        return serializer

    def candidate(self, request: Request, pk: int) -> Candidate:
        return get_for_org(Candidate.objects.select_related("owner"), request, pk=pk)

    def jobs(self, request: Request) -> list[Job]:
        return list(scoped(Job, request).select_related("client").order_by("client__name", "title"))


def _valid(serializer_class, request: Request, **form_kwargs) -> dict:
    """The body, checked for types by the serializer and for the rules by the page's form:
    the form's cleaned data, as the page passes it to the service."""
    serializer = serializer_class(data=request.data, context={"form_kwargs": form_kwargs})
    serializer.is_valid(raise_exception=True)
    return serializer.form.cleaned_data


def _can_override(request: Request) -> bool:
    return services.may_override(request.user)


# --- Who am I -----------------------------------------------------------------------------


class MeView(ApiView):
    @extend_schema(
        operation_id="me",
        summary="The member this token acts as",
        responses={200: s.MeOut, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        user = request.user
        token = request.auth if isinstance(request.auth, ApiToken) else None
        return Response(
            s.MeOut(
                {
                    "id": user.pk,
                    "name": str(user),
                    "email": user.email,
                    "role": user.role,
                    "organization": org_of(request).name,
                    "token_scope": token.scope if token else None,
                }
            ).data
        )


# --- Candidates ---------------------------------------------------------------------------


class CandidateListView(ApiView):
    @extend_schema(
        operation_id="candidates_list",
        summary="Candidates: the list page's filters, search, sort and pagination",
        description="Browsing is keyset-paginated: follow `next` / `previous` (they carry the "
        "cursor). A search (`q`) is paginated by page number and counted up to its cap.",
        parameters=[s.CandidateQuery],
        responses={200: s.CandidatePageOut, 400: VALIDATION, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = self.query(s.CandidateQuery, request)
        params = query.validated_data
        listing = selectors.candidate_list(
            scoped(Candidate, request),
            scoped(Event, request),
            organization=org_of(request),
            filters=query.filters(),
            page=params.get("page"),
            after=params.get("after"),
            before=params.get("before"),
            per_page=params["per_page"],
        )
        page = listing.page
        return Response(
            {
                "count": page.count,
                "capped": page.capped,
                "close_spellings": listing.close_spellings,
                "page": page.number,
                "num_pages": page.num_pages,
                "per_page": page.per_page,
                "next": self._link(request, page, forward=True),
                "previous": self._link(request, page, forward=False),
                "results": s.CandidateOut(page.object_list, many=True).data,
            }
        )

    @staticmethod
    def _link(request: Request, page, *, forward: bool) -> str | None:
        if not (page.has_next() if forward else page.has_previous()):
            return None
        params = request.query_params.copy()
        for name in ("page", "after", "before"):
            params.pop(name, None)
        params["page"] = page.number + (1 if forward else -1)
        cursor = page.next_after if forward else page.previous_before
        if cursor:
            params["after" if forward else "before"] = cursor
        return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


class CandidateDetailView(ApiView):
    @extend_schema(
        operation_id="candidates_retrieve",
        summary="A candidate: status, explanation, risk, advice (and the hiring questions)",
        parameters=[s.CandidateDetailQuery],
        responses={200: s.CandidateDetailOut, 400: VALIDATION, **OBJECT_ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        query = self.query(s.CandidateDetailQuery, request)
        candidate = self.candidate(request, pk)
        job = None
        if job_id := query.validated_data.get("job"):
            job = get_for_org(Job.objects.select_related("client"), request, pk=job_id)
        answer = selectors.resubmit_answer(
            candidate, job, scoped(Event, request), today=services.today()
        )
        data = s.CandidateOut(candidate).data
        data.update(
            explanation=answer.explanation,
            advice_reasons=answer.advice_reasons,
            risk=s.DimensionOut(answer.dimensions, many=True).data,
            questions=s.QuestionsOut(answer.questions).data if answer.questions else None,
        )
        return Response(data)


class CandidateEventsView(ApiView):
    write_roles = RECORDERS

    @extend_schema(
        operation_id="candidates_events_list",
        summary="A candidate's events, oldest first",
        responses={200: s.EventOut(many=True), **OBJECT_ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        page = selectors.candidate_page(self.candidate(request, pk))
        return Response(s.EventOut(page.events, many=True).data)

    @extend_schema(
        operation_id="candidates_events_create",
        summary="Log an event (a misstep, progress, the employer's no)",
        description="Recruiters, headhunters and admins, as on the candidate page. Decisions "
        "on second chances have their own endpoint.",
        request=s.EventInput,
        responses={201: s.EventCreated, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        candidate = self.candidate(request, pk)
        data = _valid(
            s.EventInput,
            request,
            jobs=self.jobs(request),
            can_override=_can_override(request),
        )
        if not may_record_kind(request.user, data["kind"]):
            raise exceptions.PermissionDenied("Your role cannot record this kind of event.")
        event = write(
            lambda: services.event_log(candidate=candidate, recorded_by=request.user, **data)
        )
        return Response(s.EventCreated(event).data, status=status.HTTP_201_CREATED)


class CandidateRiskNotesView(ApiView):
    write_roles = RECORDERS

    @extend_schema(
        operation_id="candidates_risk_notes_list",
        summary="A candidate's risk notes, oldest first",
        responses={200: s.RiskNoteOut(many=True), **OBJECT_ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        page = selectors.candidate_page(self.candidate(request, pk))
        return Response(s.RiskNoteOut(page.notes, many=True).data)

    @extend_schema(
        operation_id="candidates_risk_notes_create",
        summary="Add a risk note, in your own name",
        request=s.RiskNoteInput,
        responses={201: s.RiskNoteOut, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        candidate = self.candidate(request, pk)
        data = _valid(s.RiskNoteInput, request)
        if not may_write_note_as(request.user, request.user.email or ""):
            raise exceptions.PermissionDenied("Your role cannot write risk notes.")
        note = write(
            lambda: services.risk_note_add(candidate=candidate, author=request.user, **data)
        )
        return Response(s.RiskNoteOut(note).data, status=status.HTTP_201_CREATED)


class SecondChanceRequestView(ApiView):
    write_roles = RECORDERS

    @extend_schema(
        operation_id="candidates_second_chance_request",
        summary="Ask for a second chance (after a misstep, a refusal or the employer's no)",
        request=s.SecondChanceRequestInput,
        responses={201: s.EventCreated, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        candidate = self.candidate(request, pk)
        data = _valid(
            s.SecondChanceRequestInput,
            request,
            candidate=candidate,
            jobs=self.jobs(request),
            can_override=_can_override(request),
        )
        event = write(
            lambda: services.second_chance_request(
                candidate=candidate, recorded_by=request.user, **data
            )
        )
        return Response(s.EventCreated(event).data, status=status.HTTP_201_CREATED)


class SecondChanceDecisionView(ApiView):
    write_roles = DECIDERS

    @extend_schema(
        operation_id="candidates_second_chance_decide",
        summary="Grant or refuse the waiting second-chance request (managers and admins)",
        request=s.SecondChanceDecisionInput,
        responses={201: s.EventCreated, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        candidate = self.candidate(request, pk)
        serializer = s.SecondChanceDecisionInput(
            data=request.data,
            context={"form_kwargs": {"candidate": candidate, "jobs": self.jobs(request)}},
        )
        serializer.is_valid(raise_exception=True)
        arguments = serializer.form.service_arguments()
        event = write(
            lambda: services.second_chance_decide(
                candidate=candidate,
                decided_by=request.user,
                answering_request=True,
                **arguments,
            )
        )
        return Response(s.EventCreated(event).data, status=status.HTTP_201_CREATED)


# --- Clients and jobs ---------------------------------------------------------------------


class ClientListView(ApiView):
    @extend_schema(
        operation_id="clients_list",
        summary="Clients by name, each with its jobs",
        responses={200: s.ClientOut(many=True), **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        clients = selectors.clients_with_jobs(scoped(Client, request))
        return Response(s.ClientOut(clients, many=True).data)

    @extend_schema(
        operation_id="clients_create",
        summary="Add a client",
        request=s.ClientInput,
        responses={201: s.ClientOut, **WRITE_ERRORS},
    )
    def post(self, request: Request) -> Response:
        organization = org_of(request)
        data = _valid(s.ClientInput, request, organization=organization)
        client = write(lambda: services.client_create(organization=organization, **data))
        client.job_list = []
        return Response(s.ClientOut(client).data, status=status.HTTP_201_CREATED)


class JobListView(ApiView):
    @extend_schema(
        operation_id="jobs_list",
        summary="Jobs, by client and title",
        responses={200: s.JobOut(many=True), **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        return Response(s.JobOut(self.jobs(request), many=True).data)

    @extend_schema(
        operation_id="jobs_create",
        summary="Add a job for one of your clients",
        request=s.JobInput,
        responses={201: s.JobOut, **WRITE_ERRORS},
    )
    def post(self, request: Request) -> Response:
        organization = org_of(request)
        data = _valid(s.JobInput, request, organization=organization)
        job = write(lambda: services.job_create(organization=organization, **data))
        return Response(s.JobOut(job).data, status=status.HTTP_201_CREATED)


class JobDetailView(ApiView):
    @extend_schema(
        operation_id="jobs_retrieve",
        summary="A job, with its candidates (latest first) and how many are still active",
        responses={200: s.JobDetailOut, **OBJECT_ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        job = get_for_org(Job.objects.select_related("client"), request, pk=pk)
        candidates = list(
            selectors.job_candidates(job, scoped(Candidate, request), scoped(Event, request))
        )
        data = s.JobOut(job).data
        data.update(
            active_count=sum(1 for c in candidates if c.is_active),
            candidates=s.JobCandidateOut(candidates, many=True).data,
        )
        return Response(data)


# --- Reminders ----------------------------------------------------------------------------


class ReminderListView(ApiView):
    @extend_schema(
        operation_id="reminders_list",
        summary="Your reminders (or your team's), as on the Reminders page",
        parameters=[s.ReminderQuery],
        responses={200: s.ReminderOut(many=True), 400: VALIDATION, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        params = self.query(s.ReminderQuery, request).validated_data
        closed = params["show"] == "closed"
        reminders = reminder_selectors.for_page(
            request.user, team=params["who"] == "team", closed=closed
        )
        if closed:
            reminders = reminders[:100]
        return Response(s.ReminderOut(reminders, many=True).data)


class CandidateRemindersView(ApiView):
    @extend_schema(
        operation_id="candidates_reminders_create",
        summary="Remind yourself or a colleague about a candidate",
        request=s.ReminderInput,
        responses={201: s.ReminderOut, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        candidate = get_for_org(Candidate, request, pk=pk)
        members = scoped(User, request).filter(is_active=True).order_by("first_name", "username")
        data = _valid(s.ReminderInput, request, members=members)
        reminder = write(
            lambda: reminder_services.reminder_create(
                candidate=candidate,
                user=data["user"],
                title=data["title"],
                body=data["body"],
                due_at=data["due_at"],
                created_by=request.user,
            )
        )
        return Response(s.ReminderOut(reminder).data, status=status.HTTP_201_CREATED)


class ReminderActionView(ApiView):
    """Done, snooze, cancel: the person reminded and their managers (403 for anyone else of
    the organization, 404 for another organization's reminder), as on the Reminders page."""

    action = ""

    def post(self, request: Request, pk: int) -> Response:
        reminder = get_for_org(
            Reminder.objects.select_related("user", "candidate", "job__client"), request, pk=pk
        )
        if not reminder.can_act(request.user):
            raise exceptions.PermissionDenied(
                "Only the person reminded and their managers can do this."
            )
        arguments = {"reminder": reminder, "by": request.user}
        if self.action == "snooze":
            serializer = s.SnoozeInput(data=request.data)
            serializer.is_valid(raise_exception=True)
            arguments["delay"] = SNOOZES[serializer.validated_data["for"]]
        act = getattr(reminder_services, f"reminder_{self.action}")
        try:
            reminder = act(**arguments)
        except reminder_services.NotOpen as exc:
            raise ReminderClosed(str(exc)) from None
        return Response(s.ReminderOut(reminder).data)


class ReminderClosed(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This reminder is already closed."
    default_code = "not_open"


ACT_ERRORS = {**WRITE_ERRORS, 409: _error("The reminder is already done or cancelled.")}


class ReminderDoneView(ReminderActionView):
    action = "done"

    @extend_schema(
        operation_id="reminders_done",
        summary="Mark a reminder done",
        request=None,
        responses={200: s.ReminderOut, **ACT_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class ReminderSnoozeView(ReminderActionView):
    action = "snooze"

    @extend_schema(
        operation_id="reminders_snooze",
        summary="Put a reminder off for a day or a week",
        request=s.SnoozeInput,
        responses={200: s.ReminderOut, **ACT_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class ReminderCancelView(ReminderActionView):
    action = "cancel"

    @extend_schema(
        operation_id="reminders_cancel",
        summary="Cancel a reminder",
        request=None,
        responses={200: s.ReminderOut, **ACT_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)
