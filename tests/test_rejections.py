"""The employer's no and its company through the app: the event form's kinds and reasons,
the report, the review queue's reconsiderations, Insights, and the candidate page."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from candidates import selectors, services
from candidates.models import Event

from .factories import ClientFactory, JobFactory

pytestmark = pytest.mark.django_db


def days_ago(n: int):
    return services.today() - timedelta(days=n)


@pytest.fixture
def job(org):
    return JobFactory(client=ClientFactory(organization=org, name="Acme"), title="Analyst")


def make(org, email="nia@example.com", name="Nia Campbell"):
    return services.candidate_create(organization=org, email=email, name=name)


def log(candidate, kind, ago, **kw):
    return services.event_log(candidate=candidate, kind=kind, occurred_on=days_ago(ago), **kw)


def post_event(client, candidate, **data):
    data.setdefault("occurred_on", services.today().isoformat())
    return client.post(reverse("candidates:log_event", args=[candidate.pk]), data)


# --- The event form -----------------------------------------------------------------------


def test_a_recruiter_logs_a_rejection_with_the_employers_reason(client, org, job, recruiter):
    c = make(org)
    client.force_login(recruiter)
    response = post_event(client, c, kind="rejected", reason="another_candidate", job=job.pk)
    assert response.status_code == 302
    c.refresh_from_db()
    assert (c.status, c.advice, c.risk_score, c.live_missteps) == ("rejected", "resubmit", 0, 0)
    page = client.get(response.url).content.decode()
    assert "Rejected by the employer" in page
    assert "reason: another candidate" in page


@pytest.mark.parametrize(
    "kind,reason,error",
    [
        ("rejected", "", "Choose the employer&#x27;s reason for the rejection."),
        ("rejected", "commute", "Choose one of the employer&#x27;s reasons"),
        ("left_early", "fit", "Choose one of a misstep&#x27;s reasons"),
        ("left_early", "", "Choose a reason: “Left early” is a misstep."),
        ("submitted", "fit", "Leave the reason empty"),
    ],
)
def test_the_reason_must_come_from_the_kinds_own_list(
    client, org, job, recruiter, kind, reason, error
):
    c = make(org)
    client.force_login(recruiter)
    response = post_event(client, c, kind=kind, reason=reason, job=job.pk)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Event.objects.exists()


def test_left_early_is_a_misstep_of_weight_4(client, org, job, headhunter):
    c = make(org)
    client.force_login(headhunter)
    assert (
        post_event(client, c, kind="left_early", reason="personal", job=job.pk).status_code == 302
    )
    c.refresh_from_db()
    assert (c.status, c.risk_score, c.live_missteps) == ("stumbled", 40, 1)


def test_the_database_refuses_a_misstep_reason_on_a_rejection(org):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        log(make(org), "rejected", 1, reason="commute")


# --- The report ---------------------------------------------------------------------------


def test_the_report_shows_the_rejected_status(org, job):
    c = make(org)
    log(c, "submitted", 10, job=job)
    log(c, "rejected", 5, job=job, reason="skills")
    out = io.StringIO()
    call_command("recovery_report", "--org", org.slug, "--format", "json", stdout=out)
    (entry,) = json.loads(out.getvalue())["candidates"]
    assert (entry["status"], entry["advice"], entry["missteps"], entry["risk_score"]) == (
        "rejected",
        "resubmit",
        0,
        0,
    )
    assert "reason: skills" in entry["explanation"][0]


# --- Reconsiderations in the review queue -------------------------------------------------


def reconsidering(org, job):
    c = make(org)
    log(c, "rejected", 10, job=job, reason="another_candidate")
    services.second_chance_request(
        candidate=c,
        pitch="I respect your decision, but I'd love another chance.",
        job=job,
        occurred_on=days_ago(8),
    )
    c.refresh_from_db()
    assert c.status == "requested"
    return c


def test_a_reconsideration_waits_in_the_review_queue_and_is_granted_there(
    client, org, job, manager
):
    c = reconsidering(org, job)
    client.force_login(manager)
    page = client.get(reverse("candidates:review")).content.decode()
    assert "A reconsideration" in page
    assert "I respect your decision" in page
    response = client.post(reverse("candidates:review"), {"candidate": c.pk, "decision": "grant"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.status == "second_chance"
    assert c.events.get(kind="second_chance_granted").job == job


def test_a_recruiter_records_a_reconsideration_request_after_a_rejection(
    client, org, job, recruiter
):
    c = make(org)
    log(c, "rejected", 3, job=job, reason="fit")
    client.force_login(recruiter)
    page = client.get(reverse("candidates:detail", args=[c.pk])).content.decode()
    assert "Record a second-chance request" in page
    response = client.post(
        reverse("candidates:request", args=[c.pk]),
        {"pitch": "Please", "job": job.pk, "occurred_on": services.today().isoformat()},
    )
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.status == "requested"


# --- Insights -----------------------------------------------------------------------------


def test_insights_count_rejections_reconsiderations_and_overrides(
    client, org, job, recruiter, org_admin
):
    granted = reconsidering(org, job)
    services.second_chance_decide(candidate=granted, grant=True, occurred_on=days_ago(6))
    log(granted, "attended", 4, job=job)
    other = make(org, "oli@example.com", "Oli")
    log(other, "rejected", 9, job=job, reason="skills")
    services.second_chance_request(candidate=other, pitch="Again?", occurred_on=days_ago(7))
    services.second_chance_decide(candidate=other, grant=False, note="No", occurred_on=days_ago(5))
    waiting = make(org, "wai@example.com", "Wai")
    log(waiting, "rejected", 9, job=job, reason="fit")
    services.second_chance_request(candidate=waiting, pitch="Please", occurred_on=days_ago(2))
    misstep_first = make(org, "mis@example.com", "Mis")  # a plain second chance: not counted
    log(misstep_first, "no_show", 9, job=job, reason="commute")
    services.second_chance_request(candidate=misstep_first, pitch="Sorry", occurred_on=days_ago(2))
    burned = make(org, "bur@example.com", "Bur")
    services.flag_set(candidate=burned, reason="Lied", occurred_on=days_ago(3))
    log(burned, "submitted", 1, job=job, recorded_by=org_admin, override_reason="Client's call")

    events = Event.objects.filter(candidate__organization=org)
    rejections = {row["reason"]: row["count"] for row in selectors.rejection_reason_counts(events)}
    assert (rejections["another_candidate"], rejections["skills"], rejections["fit"]) == (1, 1, 1)
    assert "commute" not in rejections
    r = selectors.reconsiderations(events, today=services.today())
    assert (r.asked, r.granted, r.recovered, r.refused, r.pending) == (3, 1, 1, 1, 1)
    assert selectors.override_count(events) == 1
    misstep_reasons = {row["reason"] for row in selectors.misstep_reason_counts(events)}
    assert "skills" not in misstep_reasons

    client.force_login(recruiter)
    page = client.get(reverse("candidates:insights")).content.decode()
    assert "Rejections by reason" in page
    assert "What became of reconsiderations" in page
    assert "Guard overrides: <strong>1</strong>" in page


def test_the_request_form_offers_the_rejections_job(client, org, job, recruiter):
    c = make(org)
    log(c, "rejected", 3, job=job, reason="fit")
    client.force_login(recruiter)
    form = client.get(reverse("candidates:detail", args=[c.pk])).context["request_form"]
    assert form.initial["job"] == job.pk
