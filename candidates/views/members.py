"""Members of the organization (admins only): who they are, their role, whether they can
log in, and inviting someone new.

A new member gets a random password nobody knows and an email with a link to choose their
own (Django's password-reset token, sent through the configured email backend): no
password ever travels in an email or through the admin's hands.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .. import services
from ..access import ADMINS, get_for_org, member_required, scoped
from ..forms import MemberAddForm, MemberEditForm
from ..models import User
from ..password_reset import SitePasswordResetForm


def _send_invitation(request: HttpRequest, member: User) -> None:
    # The link is built from SITE_URL, never from the request's Host header.
    form = SitePasswordResetForm({"email": member.email})
    form.is_valid()
    form.save(
        request=request,
        subject_template_name="registration/member_invite_subject.txt",
        email_template_name="registration/member_invite_email.txt",
        extra_email_context={"organization": member.organization, "invited_by": request.user},
    )


@member_required(*ADMINS)
def member_list(request: HttpRequest) -> HttpResponse:
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.member_add(
                organization=request.user.organization, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            _send_invitation(request, member)
            messages.success(
                request,
                f"{member} is a member now. We emailed {member.email} a link to choose a password.",
            )
            return redirect("candidates:members")
    members = scoped(User, request).order_by("-is_active", "first_name", "last_name", "username")
    return render(request, "candidates/member_list.html", {"form": form, "members": members})


@member_required(*ADMINS)
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_for_org(User, request, pk=pk)
    form = MemberEditForm(request.POST or None, member=member, acting=request.user)
    if request.method == "POST" and form.is_valid():
        services.member_update(
            member=member, role=form.cleaned_data["role"], is_active=form.cleaned_data["is_active"]
        )
        state = "active" if member.is_active else "deactivated: they can no longer log in"
        messages.success(request, f"{member} is now {member.get_role_display().lower()}, {state}.")
        return redirect("candidates:members")
    return render(request, "candidates/member_edit.html", {"form": form, "member": member})
