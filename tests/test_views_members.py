"""Members (admins only): list, add with an emailed link, change role, deactivate."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from candidates.models import User

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def logs_in(client, username: str, password: str) -> bool:
    """Log in through the login page, as a person does (and as the login throttle sees it)."""
    client.logout()
    response = client.post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302 and "_auth_user_id" in client.session


LIST = reverse("candidates:members")


def edit_url(member) -> str:
    return reverse("candidates:member_edit", args=[member.pk])


def test_anonymous_is_sent_to_login(client, recruiter):
    for url in (LIST, edit_url(recruiter)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["recruiter", "headhunter", "manager"])
def test_only_admins_manage_members(client, org, role, request, org_admin):
    user = request.getfixturevalue(role)
    client.force_login(user)
    assert client.get(LIST).status_code == 403
    assert client.post(LIST, {"email": "x@example.com", "first_name": "X"}).status_code == 403
    response = client.post(edit_url(org_admin), {"role": "recruiter", "is_active": ""})
    assert response.status_code == 403
    org_admin.refresh_from_db()
    assert (org_admin.role, org_admin.is_active) == ("admin", True)
    assert not User.objects.filter(email="x@example.com").exists()


def test_admin_sees_the_members_of_their_organization_only(
    client, org_admin, recruiter, manager, outsider
):
    client.force_login(org_admin)
    response = client.get(LIST)
    page = response.content.decode()
    assert response.status_code == 200
    assert recruiter.email in page and manager.email in page
    assert outsider.email not in page


def test_admin_adds_a_member_who_sets_a_password_from_the_emailed_link(client, org, org_admin):
    client.force_login(org_admin)
    response = client.post(
        LIST,
        {
            "email": "New.Person@Example.com",
            "first_name": "Nina",
            "last_name": "New",
            "role": "headhunter",
        },
        follow=True,
    )
    assert "We emailed new.person@example.com a link to choose a password." in (
        response.content.decode()
    )
    member = User.objects.get(email="new.person@example.com")
    assert (member.organization, member.role, member.username) == (org, "headhunter", member.email)
    assert member.is_active

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@example.com"]
    assert "Northwind Staffing" in message.body
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", message.body).group(1)

    client.logout()
    response = client.get(link, follow=True)
    assert response.status_code == 200
    set_password_url = response.redirect_chain[-1][0]
    response = client.post(
        set_password_url,
        {"new_password1": "a-long-fresh-secret-42", "new_password2": "a-long-fresh-secret-42"},
    )
    assert response.status_code == 302
    assert logs_in(client, "new.person@example.com", "a-long-fresh-secret-42")


def test_adding_an_existing_email_is_a_form_error(client, org_admin, outsider):
    client.force_login(org_admin)
    response = client.post(
        LIST, {"email": outsider.email.upper(), "first_name": "Copy", "role": "recruiter"}
    )
    assert response.status_code == 200
    assert "An account with this email address already exists." in response.content.decode()
    assert User.objects.filter(email__iexact=outsider.email).count() == 1
    assert not mail.outbox


@pytest.mark.parametrize(
    "data,field",
    [
        ({"email": "not-an-email", "first_name": "X", "role": "recruiter"}, "email"),
        ({"email": "x@example.com", "first_name": "", "role": "recruiter"}, "first_name"),
        ({"email": "x@example.com", "first_name": "X", "role": "overlord"}, "role"),
    ],
)
def test_bad_member_input_is_shown_and_nothing_is_written(client, org_admin, data, field):
    client.force_login(org_admin)
    before = User.objects.count()
    response = client.post(LIST, data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert User.objects.count() == before


def test_admin_changes_a_role(client, org_admin, recruiter):
    client.force_login(org_admin)
    assert client.get(edit_url(recruiter)).status_code == 200
    response = client.post(edit_url(recruiter), {"role": "manager", "is_active": "on"}, follow=True)
    assert "is now manager, active" in response.content.decode()
    recruiter.refresh_from_db()
    assert recruiter.role == "manager"


def test_a_deactivated_member_cannot_log_in_and_can_be_reactivated(client, org_admin, org):
    member = UserFactory(organization=org, username="gone@example.com")
    client.force_login(org_admin)
    client.post(edit_url(member), {"role": "recruiter"})  # unchecked box: inactive
    member.refresh_from_db()
    assert not member.is_active
    assert not logs_in(client, "gone@example.com", "correct-horse-battery")
    client.force_login(org_admin)
    client.post(edit_url(member), {"role": "recruiter", "is_active": "on"})
    assert logs_in(client, "gone@example.com", "correct-horse-battery")


def test_admin_cannot_lock_themselves_out(client, org_admin):
    client.force_login(org_admin)
    response = client.post(edit_url(org_admin), {"role": "recruiter"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "You cannot remove your own admin role." in page
    assert "You cannot deactivate your own account." in page
    org_admin.refresh_from_db()
    assert (org_admin.role, org_admin.is_active) == ("admin", True)


def test_another_organizations_member_is_404(client, org_admin, outsider):
    client.force_login(org_admin)
    assert client.get(edit_url(outsider)).status_code == 404
    response = client.post(edit_url(outsider), {"role": "recruiter"})
    assert response.status_code == 404
    outsider.refresh_from_db()
    assert (outsider.role, outsider.is_active) == ("manager", True)
