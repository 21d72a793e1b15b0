"""The one way views reach data: every page needs a member of an organization, and every
object is loaded through `get_for_org`, so another organization's object is a 404 (never a
403, never its data) whatever the URL or form field says."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from .models import (
    Candidate,
    CandidateAddress,
    Client,
    Event,
    ImportJob,
    Job,
    Merge,
    Organization,
    RiskNote,
    Role,
    User,
)

M = TypeVar("M", bound=Model)

# How each model reaches its organization.
ORG_PATHS: dict[type[Model], str] = {
    Candidate: "organization",
    Client: "organization",
    Job: "organization",
    Event: "candidate__organization",
    RiskNote: "candidate__organization",
    User: "organization",
    ImportJob: "organization",
    CandidateAddress: "organization",
    Merge: "organization",
}


def register_org_path(model: type[Model], path: str) -> None:
    """Another app's model of an organization (ats/ registers its own in its AppConfig),
    so that `get_for_org` and `scoped` serve it too."""
    ORG_PATHS[model] = path


def org_of(request: HttpRequest) -> Organization:
    organization = getattr(request.user, "organization", None)
    if organization is None:
        # A platform superuser without an organization has no pages here (the admin is theirs).
        raise PermissionDenied("Your account does not belong to an organization.")
    return organization


def scoped(model: type[M], request: HttpRequest) -> QuerySet[M]:
    """All rows of `model` that belong to the requesting user's organization."""
    return model._default_manager.filter(**{ORG_PATHS[model]: org_of(request)})


def get_for_org(model_or_qs: type[M] | QuerySet[M], request: HttpRequest, **lookup) -> M:
    """One object of the user's organization, or 404. Pass a QuerySet to select_related."""
    qs = model_or_qs if isinstance(model_or_qs, QuerySet) else model_or_qs._default_manager.all()
    qs = qs.filter(**{ORG_PATHS[qs.model]: org_of(request)})
    try:
        return qs.get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(f"No {qs.model._meta.verbose_name} here.") from exc


def member_required(*roles: str) -> Callable:
    """Login, an organization, and (when roles are given) one of those roles, else 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            org_of(request)
            if roles and request.user.role not in roles:
                raise PermissionDenied("Your role cannot do this.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


RECORDERS = (Role.RECRUITER, Role.HEADHUNTER, Role.ADMIN)
DECIDERS = (Role.MANAGER, Role.ADMIN)
ADMINS = (Role.ADMIN,)
# Merging two candidates into one (and undoing it): the contract's "admin or recruiter".
MERGERS = (Role.RECRUITER, Role.ADMIN)


# Who may correct or delete a record: whoever may record it. Decisions on second chances
# are the deciders'; every other event is the recorders'. A risk note is one person's
# judgement: its author corrects it (an admin too), never a colleague in their name.
DECISION_KINDS = ("second_chance_granted", "second_chance_refused")


def may_record_kind(user: User, kind: str) -> bool:
    """Whether this member may record an event of this kind: through a form, a correction or
    an upload alike (the import checks every row with it)."""
    allowed = DECIDERS if kind in DECISION_KINDS else RECORDERS
    return user.role in allowed


def may_correct_event(user: User, event: Event) -> bool:
    return may_record_kind(user, event.kind)


def may_write_note_as(user: User, author_email: str) -> bool:
    """A member writes risk notes in their own name only: the form takes no author, and an
    upload's `author_email` must be the uploader's. (Colleagues' historical notes come in
    through the command line, which is the operator's.)"""
    own = (user.email or "").strip().lower()
    return user.role in RECORDERS and bool(own) and author_email.strip().lower() == own


def may_correct_note(user: User, note: RiskNote) -> bool:
    if user.role == Role.ADMIN:
        return True
    return user.role in RECORDERS and note.author_id is not None and note.author_id == user.pk


def correctable(user: User, events, notes) -> dict[str, set[int]]:
    """The ids of the events and notes this user may correct (for the candidate page)."""
    return {
        "events": {e.pk for e in events if may_correct_event(user, e)},
        "notes": {n.pk for n in notes if may_correct_note(user, n)},
    }
