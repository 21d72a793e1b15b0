"""Accounts: login throttling that cannot lock a member out everywhere, password rules, a new
session on login, the idle timeout, deactivation ending every session, and the logs."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.forms import SetPasswordForm
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from candidates import services
from candidates.models import MemberSession

from .factories import CandidateFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # tests/factories.py
LOGIN = "/accounts/login/"


def attempt(client: Client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def is_logged_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def test_five_failed_logins_lock_that_username_from_that_address_with_a_clear_429(
    client, recruiter
):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = attempt(client, recruiter.username, "guess")
        assert response.status_code == 200

    response = attempt(client, recruiter.username, "guess")

    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed logins" in page
    assert "15 minutes" in page
    # Now even the right password is refused from there.
    assert attempt(client, recruiter.username, PASSWORD).status_code == 429
    assert not is_logged_in(client)


def test_an_attacker_cannot_lock_the_member_out_from_their_own_address(recruiter):
    attacker, member = Client(), Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(attacker, recruiter.username, "guess", ip="203.0.113.9")

    response = attempt(member, recruiter.username, PASSWORD, ip="198.51.100.7")

    assert response.status_code == 302
    assert is_logged_in(member)


def test_the_lockout_counts_a_username_in_any_case(client, recruiter):
    for i in range(settings.AXES_FAILURE_LIMIT):
        name = recruiter.username.upper() if i % 2 else recruiter.username
        response = attempt(client, f" {name} ", "guess")

    assert response.status_code == 429


def test_the_lockout_lifts_by_itself_after_the_cool_off(client, recruiter):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, recruiter.username, "guess")
    assert attempt(client, recruiter.username, PASSWORD).status_code == 429

    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(minutes=1)):
        response = attempt(client, recruiter.username, PASSWORD)

    assert response.status_code == 302
    assert is_logged_in(client)


def test_a_successful_login_resets_the_count(client, recruiter):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, recruiter.username, "guess")
    assert attempt(client, recruiter.username, PASSWORD).status_code == 302
    client.post(reverse("logout"))

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, recruiter.username, "guess").status_code == 200


def test_weak_passwords_are_refused(recruiter):
    for weak in ["12345678", "password", "rita", recruiter.username]:
        form = SetPasswordForm(recruiter, {"new_password1": weak, "new_password2": weak})
        assert not form.is_valid(), weak
    strong = "Plum-orchard-at-dusk-77"
    form = SetPasswordForm(recruiter, {"new_password1": strong, "new_password2": strong})
    assert form.is_valid()


def test_logging_in_starts_a_new_session(client, recruiter):
    session = client.session
    session["visited"] = True
    session.save()
    before = session.session_key

    assert attempt(client, recruiter.username, PASSWORD).status_code == 302

    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert not MemberSession.objects.filter(session_key=before).exists()
    assert MemberSession.objects.get(session_key=after).user_id == recruiter.pk


def test_an_idle_session_ends_and_activity_keeps_it_alive(client, recruiter):
    idle = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client.force_login(recruiter)
        assert client.get(reverse("candidates:today")).status_code == 200

        # Active every so often: still logged in long after the idle limit from login.
        for _ in range(3):
            clock.shift(idle - timedelta(minutes=5))
            assert client.get(reverse("candidates:today")).status_code == 200

        clock.shift(idle + timedelta(minutes=1))
        response = client.get(reverse("candidates:today"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_deactivating_a_member_ends_every_session_of_theirs_and_no_one_elses(recruiter, headhunter):
    laptop, phone, colleague = Client(), Client(), Client()
    laptop.force_login(recruiter)
    phone.force_login(recruiter)
    colleague.force_login(headhunter)
    assert MemberSession.objects.filter(user_id=recruiter.pk).count() == 2

    services.member_update(member=recruiter, role=recruiter.role, is_active=False)

    assert not MemberSession.objects.filter(user_id=recruiter.pk).exists()
    for device in (laptop, phone):
        response = device.get(reverse("candidates:today"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    assert colleague.get(reverse("candidates:today")).status_code == 200


def test_deactivating_through_a_plain_save_as_the_admin_site_does_also_ends_sessions(
    client, recruiter
):
    client.force_login(recruiter)

    recruiter.is_active = False
    recruiter.save()

    assert not MemberSession.objects.filter(user_id=recruiter.pk).exists()


def test_an_inactive_member_with_a_surviving_session_is_refused_anyway(client, recruiter):
    client.force_login(recruiter)
    # A write that bypasses signals leaves the session; Django still refuses the member.
    type(recruiter).objects.filter(pk=recruiter.pk).update(is_active=False)

    response = client.get(reverse("candidates:today"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    # And they cannot log in again.
    assert attempt(client, recruiter.username, PASSWORD).status_code == 200
    assert client.get(reverse("candidates:today")).status_code == 302


def test_a_failed_login_is_logged_with_username_and_address_never_the_password(
    client, recruiter, caplog
):
    with caplog.at_level(logging.INFO):
        attempt(client, recruiter.username, "hunter2-secret", ip="192.0.2.44")

    lines = [r.getMessage() for r in caplog.records if r.name == "recovery.security"]
    assert any(
        "login failed" in line and recruiter.username in line and "192.0.2.44" in line
        for line in lines
    ), lines
    assert "hunter2-secret" not in caplog.text


def test_a_lockout_is_logged(client, recruiter, caplog):
    with caplog.at_level(logging.WARNING, logger="recovery.security"):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            attempt(client, recruiter.username, "guess", ip="192.0.2.45")

    messages = [r.getMessage() for r in caplog.records if r.name == "recovery.security"]
    assert any("locked out" in m and "192.0.2.45" in m for m in messages), messages
    assert any("status=429" in m for m in messages), messages


def test_refused_requests_are_logged_with_user_path_and_address(
    client, org, headhunter, outsider, caplog
):
    candidate = CandidateFactory(organization=org)
    detail = reverse("candidates:detail", args=[candidate.pk])

    with caplog.at_level(logging.WARNING, logger="recovery.security"):
        client.force_login(outsider)
        assert client.get(detail, REMOTE_ADDR="192.0.2.50").status_code == 404
        client.force_login(headhunter)
        assert (
            client.get(reverse("candidates:members"), REMOTE_ADDR="192.0.2.51").status_code == 403
        )

    messages = [r.getMessage() for r in caplog.records if r.name == "recovery.security"]
    assert f"refused status=404 method=GET path={detail} user={outsider.pk} ip=192.0.2.50" in (
        messages
    )
    members = reverse("candidates:members")
    assert f"refused status=403 method=GET path={members} user={headhunter.pk} ip=192.0.2.51" in (
        messages
    )


def test_behind_the_proxy_the_address_is_the_one_the_proxy_saw(client, recruiter, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXY_COUNT = 1  # one proxy in front, appending X-Forwarded-For
    # The client may send its own X-Forwarded-For; the proxy appends the real address last.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            LOGIN,
            {"username": recruiter.username, "password": "guess"},
            REMOTE_ADDR="172.18.0.2",
            HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9",
        )

    other_client_same_proxy = client.post(
        LOGIN,
        {"username": recruiter.username, "password": PASSWORD},
        REMOTE_ADDR="172.18.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )

    assert other_client_same_proxy.status_code == 302


def test_a_forged_address_that_is_not_an_address_falls_back_to_the_socket(
    client, recruiter, settings
):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXY_COUNT = 1  # one proxy in front, appending X-Forwarded-For
    statuses = [
        client.post(
            LOGIN,
            {"username": recruiter.username, "password": "guess"},
            REMOTE_ADDR="172.18.0.9",
            HTTP_X_FORWARDED_FOR=f"'; DROP TABLE axes_accessattempt; -- {n}",
        ).status_code
        for n in range(settings.AXES_FAILURE_LIMIT)
    ]

    assert statuses[-1] == 429
    assert set(statuses[:-1]) == {200}


def test_a_session_naming_a_member_who_is_gone_is_logged_out(client, recruiter):
    client.force_login(recruiter)
    session = client.session
    session[SESSION_KEY] = str(recruiter.pk + 1000)
    session.save()
    response = client.get(reverse("candidates:today"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_session_ended_by_a_deactivation_stays_ended_after_reactivation(recruiter):
    """Sessions live in the database (never only in Redis): ending them is one DELETE that
    commits with the deactivation, and nothing can bring them back."""
    laptop = Client()
    laptop.force_login(recruiter)
    assert laptop.get(reverse("candidates:today")).status_code == 200

    services.member_update(member=recruiter, role=recruiter.role, is_active=False)
    recruiter.is_active = True
    recruiter.save()

    response = laptop.get(reverse("candidates:today"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    phone = Client()  # a new login works as ever
    phone.force_login(recruiter)
    assert phone.get(reverse("candidates:today")).status_code == 200
