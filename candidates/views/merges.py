"""One person, one history: merging a candidate into another, and undoing a merge.

Both are the recruiters' and admins' (access.MERGERS); both load every object through
access.get_for_org, so another organization's candidate or merge is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from .. import services
from ..access import MERGERS, get_for_org, member_required
from ..duplicates import duplicates_of
from ..forms import MergeForm
from ..models import Candidate, Merge


def _other(request: HttpRequest, candidate: Candidate) -> Candidate | None:
    other_id = request.POST.get("other") or request.GET.get("other")
    if not other_id:
        return None
    other = get_for_org(Candidate, request, pk=other_id)
    if other.pk == candidate.pk:
        raise Http404("A candidate is not merged with itself.")
    return other


@member_required(*MERGERS)
@require_http_methods(["GET", "POST"])
def candidate_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge another candidate (a probable duplicate, or one named by ?other=) into this one."""
    candidate = get_for_org(Candidate, request, pk=pk)
    other = _other(request, candidate)
    options = [match.candidate for match in duplicates_of(candidate)]
    if other is not None and other.pk not in {c.pk for c in options}:
        options.append(other)
    form = MergeForm(
        request.POST if request.method == "POST" else None,
        options=options,
        initial={"other": other.pk if other else None},
    )
    if request.method == "POST" and form.is_valid() and other is not None:
        try:
            services.candidates_merge(
                kept=candidate,
                merged=other,
                reason=form.cleaned_data["reason"],
                merged_by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(
                request,
                f"{other.name} <{other.email}> is merged into {candidate.name}: one history. "
                "It can be undone from the history of changes for 30 days.",
            )
            return redirect(candidate)
    return render(
        request,
        "candidates/candidate_merge.html",
        {"candidate": candidate, "other": other, "form": form},
    )


@require_POST
@member_required(*MERGERS)
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    merge = get_for_org(Merge.objects.select_related("kept"), request, pk=pk)
    try:
        restored = services.merge_undo(merge=merge, undone_by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"The merge is undone: {restored.name} <{restored.email}> has their own record "
            "and history again.",
        )
    return redirect(reverse("candidates:audit", args=[merge.kept_id]))
