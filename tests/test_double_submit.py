"""A form posted twice stores once: a double click, the back button, or a retry after an
answer that never arrived sends the same submission key again, and nothing is stored twice
(forms.SubmittedOnce, services.claim_submission)."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from candidates import services
from candidates.models import Event, RiskNote, Submission

from .factories import JobFactory

pytestmark = pytest.mark.django_db


def key_of(client, url: str, action: str) -> str:
    html = client.get(url).content.decode()
    form = re.search(rf'<form[^>]*action="{re.escape(action)}".*?</form>', html, re.S).group(0)
    return re.search(r'name="submission" value="([^"]+)"', form).group(1)


def stumbled(org):
    c = services.candidate_create(organization=org, email="sam@x.test", name="Sam Stone")
    services.event_log(
        candidate=c,
        kind="no_show",
        occurred_on=services.today() - timedelta(days=4),
        reason="commute",
    )
    return c


def test_an_event_posted_twice_is_logged_once(client, org, recruiter):
    c = stumbled(org)
    client.force_login(recruiter)
    url, action = (
        reverse("candidates:detail", args=[c.pk]),
        reverse("candidates:log_event", args=[c.pk]),
    )
    data = {
        "submission": key_of(client, url, action),
        "kind": "late",
        "occurred_on": timezone.localdate().isoformat(),
        "reason": "commute",
    }
    first, second = client.post(action, data), client.post(action, data)
    assert first.status_code == second.status_code == 302
    assert Event.objects.filter(candidate=c, kind="late").count() == 1
    assert "Already saved" in client.get(url).content.decode()


def test_a_risk_note_posted_twice_is_added_once_and_a_new_form_adds_another(client, org, recruiter):
    c = stumbled(org)
    client.force_login(recruiter)
    url, action = (
        reverse("candidates:detail", args=[c.pk]),
        reverse("candidates:add_note", args=[c.pk]),
    )
    data = {"dimension": "trust", "level": "3", "noted_on": timezone.localdate().isoformat()}
    key = key_of(client, url, action)
    for _ in range(3):
        client.post(action, {**data, "submission": key})
    assert RiskNote.objects.filter(candidate=c).count() == 1
    # The page shown again carries a new key: a second note on purpose is a second note.
    client.post(action, {**data, "submission": key_of(client, url, action)})
    assert RiskNote.objects.filter(candidate=c).count() == 2


def test_a_form_with_errors_keeps_its_key_and_saves_once_corrected(client, org, recruiter):
    c = stumbled(org)
    client.force_login(recruiter)
    url, action = (
        reverse("candidates:detail", args=[c.pk]),
        reverse("candidates:add_note", args=[c.pk]),
    )
    key = key_of(client, url, action)
    wrong = client.post(action, {"submission": key, "dimension": "trust", "level": "9"})
    assert wrong.status_code == 200 and f'value="{key}"' in wrong.content.decode()
    right = {"dimension": "trust", "level": "2", "noted_on": timezone.localdate().isoformat()}
    assert client.post(action, {**right, "submission": key}).status_code == 302
    assert client.post(action, {**right, "submission": key}).status_code == 302
    assert RiskNote.objects.filter(candidate=c).count() == 1


def test_a_request_and_its_decision_posted_twice_are_each_recorded_once(
    client, org, recruiter, manager
):
    c = stumbled(org)
    job = JobFactory(client__organization=org)
    client.force_login(recruiter)
    url = reverse("candidates:detail", args=[c.pk])
    action = reverse("candidates:request", args=[c.pk])
    request = {
        "submission": key_of(client, url, action),
        "pitch": "The bus broke down; I have a car now.",
        "job": str(job.pk),
        "occurred_on": timezone.localdate().isoformat(),
    }
    assert client.post(action, request).status_code == 302
    again = client.post(action, request, follow=True)
    assert "Already saved" in again.content.decode()
    assert Event.objects.filter(candidate=c, kind="second_chance_requested").count() == 1

    client.force_login(manager)
    action = reverse("candidates:decide", args=[c.pk])
    decision = {"submission": key_of(client, url, action), "decision": "grant", "job": str(job.pk)}
    assert client.post(action, decision).status_code == 302
    assert client.post(action, decision).status_code == 302
    assert Event.objects.filter(candidate=c, kind="second_chance_granted").count() == 1


def test_a_decision_posted_twice_from_the_review_queue_is_recorded_once(client, org, manager):
    c = stumbled(org)
    services.second_chance_request(candidate=c, pitch="Please.")
    client.force_login(manager)
    queue = reverse("candidates:review")
    html = client.get(queue).content.decode()
    key = re.search(r'name="submission" value="([^"]+)"', html).group(1)
    decision = {"candidate": str(c.pk), "submission": key, "decision": "refuse", "note": "No."}
    assert client.post(queue, decision).status_code == 302
    second = client.post(queue, decision, follow=True)
    assert "already been decided" in second.content.decode()
    assert Event.objects.filter(candidate=c, kind="second_chance_refused").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_posts_of_one_form_at_the_same_moment_store_once(org, recruiter):
    """Both requests in flight together: the second waits on the key's unique index until
    the first commits, then stores nothing (PostgreSQL; SQLite serializes writers anyway)."""
    c = stumbled(org)
    action = reverse("candidates:add_note", args=[c.pk])
    data = {
        "submission": "6f1c1f7e-8d0e-4a55-9a3b-0c4f4a2b7d10",
        "dimension": "commute",
        "level": "4",
        "noted_on": timezone.localdate().isoformat(),
    }
    barrier, statuses = threading.Barrier(2), []

    def post() -> None:
        browser = Client()
        browser.force_login(recruiter)
        barrier.wait()
        statuses.append(browser.post(action, data).status_code)
        connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert statuses == [302, 302]
    assert RiskNote.objects.filter(candidate=c).count() == 1
    assert Submission.objects.count() == 1
