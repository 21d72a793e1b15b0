"""Logging in and out, changing and resetting a password, and the layout every page shares."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from candidates.models import User

pytestmark = pytest.mark.django_db


def logs_in(client, username: str, password: str) -> bool:
    """Log in through the login page, as a person does (and as the login throttle sees it)."""
    client.logout()
    response = client.post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302 and "_auth_user_id" in client.session


PASSWORD = "correct-horse-battery"  # tests/factories.py


def test_login_page_has_labelled_fields(client):
    page = client.get(reverse("login")).content.decode()
    assert '<label for="id_username"' in page and '<label for="id_password"' in page
    assert reverse("password_reset") in page


def test_login_with_the_right_password_opens_today(client, recruiter):
    response = client.post(
        reverse("login"), {"username": recruiter.username, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("candidates:today")
    assert "<h1>Today</h1>" in response.content.decode()


def test_login_goes_back_to_the_page_asked_for(client, recruiter):
    target = reverse("candidates:list")
    response = client.get(target)
    assert response["Location"] == f"{reverse('login')}?next={target}"
    response = client.post(
        reverse("login"),
        {"username": recruiter.username, "password": PASSWORD, "next": target},
    )
    assert response["Location"] == target


def test_wrong_password_says_so_and_keeps_the_username(client, recruiter):
    response = client.post(reverse("login"), {"username": recruiter.username, "password": "nope"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Please enter a correct email address and password" in page
    assert "correct username" not in page  # they log in with an email, not a "username"
    assert f'value="{recruiter.username}"' in page


def test_logout_is_a_post_and_ends_the_session(client, recruiter):
    client.force_login(recruiter)
    page = client.get(reverse("candidates:today")).content.decode()
    assert f'action="{reverse("logout")}"' in page
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("candidates:today")).status_code == 302


def test_password_change(client, recruiter):
    client.force_login(recruiter)
    assert client.get(reverse("password_change")).status_code == 200
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-secret-7",
            "new_password2": "another-long-secret-7",
        },
        follow=True,
    )
    assert "Password changed" in response.content.decode()
    client.logout()
    assert logs_in(client, recruiter.username, "another-long-secret-7")


def test_password_change_with_a_wrong_old_password_is_refused(client, recruiter):
    client.force_login(recruiter)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "nope",
            "new_password1": "x-long-one-99",
            "new_password2": "x-long-one-99",
        },
    )
    assert response.status_code == 200
    assert "old password was entered incorrectly" in response.content.decode()
    assert logs_in(client, recruiter.username, PASSWORD)


def test_password_reset_by_email(client, recruiter):
    response = client.post(reverse("password_reset"), {"email": recruiter.email}, follow=True)
    assert "Check your email" in response.content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [recruiter.email]
    assert message.subject == "Reset your Recovery password"
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", message.body).group(1)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    assert "Choose a new password" in response.content.decode()
    response = client.post(
        form_url,
        {"new_password1": "brand-new-secret-5", "new_password2": "brand-new-secret-5"},
        follow=True,
    )
    assert "Your password is set" in response.content.decode()
    assert logs_in(client, recruiter.username, "brand-new-secret-5")
    # The link works once.
    assert "This link no longer works" in client.get(link, follow=True).content.decode()


def test_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)
    assert "Check your email" in response.content.decode()
    assert not mail.outbox


def test_a_user_without_an_organization_has_no_pages(client):
    root = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    client.force_login(root)
    assert client.get(reverse("candidates:today")).status_code == 403
    assert client.get(reverse("candidates:list")).status_code == 403


# --- The shared layout ---------------------------------------------------------------------


def nav_of(client, user) -> str:
    client.force_login(user)
    page = client.get(reverse("candidates:today")).content.decode()
    return page[page.index('<nav class="main-nav"') : page.index("</nav>")]


def test_navigation_follows_the_role(client, recruiter, manager, org_admin):
    nav = nav_of(client, recruiter)
    assert reverse("candidates:list") in nav
    assert reverse("candidates:review") not in nav
    assert reverse("candidates:members") not in nav
    nav = nav_of(client, manager)
    assert reverse("candidates:review") in nav
    assert reverse("candidates:members") not in nav
    nav = nav_of(client, org_admin)
    assert reverse("candidates:review") in nav and reverse("candidates:members") in nav


def test_layout_has_a_skip_link_landmarks_and_marks_the_current_page(client, recruiter):
    client.force_login(recruiter)
    page = client.get(reverse("candidates:list")).content.decode()
    assert '<a class="skip-link" href="#main">' in page
    assert '<main id="main"' in page
    assert '<nav class="main-nav" aria-label="Main">' in page
    assert f'<a href="{reverse("candidates:list")}" aria-current="page">' in page


def test_the_header_follows_a_renamed_member_and_organization_at_once(client, org, recruiter):
    client.force_login(recruiter)
    today = reverse("candidates:today")
    assert org.name in client.get(today).content.decode()
    org.name = "Second Wind Staffing"
    org.save()
    assert "Second Wind Staffing" in client.get(today).content.decode()
    recruiter.first_name, recruiter.last_name = "Rita", "Renamed"
    recruiter.save()
    assert "Rita Renamed" in client.get(today).content.decode()


def test_log_out_from_the_header_uses_this_sessions_token(recruiter, headhunter):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(recruiter)
    second.force_login(recruiter)  # the same member in two browsers
    first.get(reverse("candidates:today"))
    page = second.get(reverse("candidates:today")).content.decode()
    header = page[: page.index("</header>")]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', header).group(1)
    response = second.post(reverse("logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302  # logged out, not refused
    assert second.get(reverse("candidates:today")).status_code == 302


def test_a_logged_out_visitor_gets_a_header_without_the_navigation(client):
    page = client.get(reverse("login")).content.decode()
    assert 'class="brand"' in page and "main-nav" not in page and "Log out" not in page


def test_messages_are_shown_after_an_action(client, org, recruiter):
    client.force_login(recruiter)
    response = client.post(
        reverse("candidates:create"),
        {"name": "Ann Archer", "email": "ann@example.com"},
        follow=True,
    )
    assert '<p class="message message-success">Ann Archer added.</p>' in response.content.decode()
