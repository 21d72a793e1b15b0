"""The guards (docs/recovery-model.md, "Guards"), through every door: the service itself, the
candidate page's forms as every role, the import, and the admin. One rule: a candidate whose
advice is do_not_resubmit is not submitted, scheduled or given a new second-chance request
(an admin may override one such action, with a reason); a filled or closed job takes none of
them; an on-hold job warns. Judged as of the action's own date.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from candidates import services
from candidates.engine import human_date
from candidates.importer import import_history
from candidates.models import Candidate, JobState

from .factories import ClientFactory, JobFactory

pytestmark = pytest.mark.django_db

HEADER = "candidate_email,candidate_name,client,job_title,kind,occurred_on,reason,notes\n"
GUARDED = ["submitted", "scheduled", "second_chance_requested"]


def days_ago(n: int):
    return services.today() - timedelta(days=n)


@pytest.fixture
def job(org):
    return JobFactory(client=ClientFactory(organization=org, name="Acme"), title="Picker")


def log(candidate, kind, on, **kw):
    return services.event_log(candidate=candidate, kind=kind, occurred_on=on, **kw)


@pytest.fixture
def burned(org, job) -> Candidate:
    """A no-show after the second chance granted: the chance was spent."""
    c = services.candidate_create(organization=org, email="bo@example.com", name="Bo Brand")
    log(c, "no_show", days_ago(40), reason="commute", job=job)
    log(c, "second_chance_granted", days_ago(30), job=job)
    log(c, "no_show", days_ago(20), reason="commute", job=job)
    c.refresh_from_db()
    assert c.advice == "do_not_resubmit"
    return c


def burned_words() -> str:
    return (
        f"Burned: no-show on {human_date(days_ago(20))} (Acme, Picker) after a second chance "
        f"granted on {human_date(days_ago(30))}: the second chance was spent."
    )


def kinds(candidate) -> list[str]:
    return list(candidate.events.order_by("occurred_on", "id").values_list("kind", flat=True))


# --- The service: the one place it is enforced ---------------------------------------------


@pytest.mark.parametrize("kind", GUARDED)
def test_the_service_refuses_a_burned_candidate_in_the_explanations_words(burned, job, kind):
    with pytest.raises(services.GuardRefused) as refused:
        log(burned, kind, days_ago(1), job=job, notes="pitch")
    assert burned_words() in refused.value.messages[0]
    assert refused.value.overridable
    assert len(kinds(burned)) == 3


def test_an_admin_override_is_recorded_just_before_the_action(burned, job, org_admin):
    event = log(
        burned, "submitted", days_ago(1), job=job, recorded_by=org_admin,
        override_reason="The client asked for Bo by name.",
    )  # fmt: skip
    assert kinds(burned)[-2:] == ["override", "submitted"]
    override = burned.events.get(kind="override")
    assert (override.occurred_on, override.notes, override.recorded_by, override.job) == (
        days_ago(1),
        "The client asked for Bo by name.",
        org_admin,
        job,
    )
    assert override.pk < event.pk
    burned.refresh_from_db()
    assert burned.status == "burned"  # an override changes no status rule


@pytest.mark.parametrize("role", ["recruiter", "headhunter", "manager"])
def test_only_an_admin_may_override(burned, job, role, request):
    with pytest.raises(ValidationError, match="Only an admin"):
        log(
            burned, "submitted", days_ago(1), job=job,
            recorded_by=request.getfixturevalue(role), override_reason="Please",
        )  # fmt: skip
    assert "override" not in kinds(burned)


def test_a_guard_is_judged_as_of_the_actions_date(burned, job):
    # Before the spent chance, the same candidate could be submitted: a backdated entry.
    log(burned, "submitted", days_ago(35), job=job)
    assert "submitted" in kinds(burned)


def test_other_kinds_go_through_for_a_burned_candidate(burned, job):
    log(burned, "attended", days_ago(1), job=job)
    log(burned, "rejected", days_ago(1), job=job, reason="fit")


@pytest.mark.parametrize("state", [JobState.FILLED, JobState.CLOSED])
@pytest.mark.parametrize("kind", GUARDED)
def test_a_filled_or_closed_job_takes_no_guarded_action(org, job, state, kind, org_admin):
    c = services.candidate_create(organization=org, email="cy@example.com", name="Cy")
    job.state = state
    job.save()
    with pytest.raises(services.GuardRefused) as refused:
        log(c, kind, services.today(), job=job, recorded_by=org_admin, override_reason="x")
    assert refused.value.messages == [
        f"Picker (Acme) is {state}: it takes no new {kind_label(kind)}."
    ]
    assert not refused.value.overridable
    assert kinds(c) == []


def kind_label(kind: str) -> str:
    from candidates.engine import Kind

    return Kind(kind).label.lower()


def test_a_job_filled_later_took_the_action_when_it_was_open(org, job):
    c = services.candidate_create(organization=org, email="cy@example.com", name="Cy")
    job.history.update(history_date=timezone.now() - timedelta(days=60))
    services.job_update(job=job, client=job.client, title=job.title, state=JobState.FILLED)
    log(c, "submitted", days_ago(10), job=job)  # open on that date
    with pytest.raises(services.GuardRefused):
        log(c, "submitted", services.today(), job=job)


def test_a_correction_cannot_turn_an_event_into_a_refused_action(burned, job):
    attended = log(burned, "attended", days_ago(1), job=job)
    with pytest.raises(services.GuardRefused):
        services.event_update(event=attended, change_reason="typo", kind="scheduled")


# --- The candidate page, as every role ----------------------------------------------------


def post_event(client, candidate, **data):
    data.setdefault("occurred_on", services.today().isoformat())
    return client.post(reverse("candidates:log_event", args=[candidate.pk]), data)


@pytest.mark.parametrize("role", ["recruiter", "headhunter", "org_admin"])
@pytest.mark.parametrize("kind", ["submitted", "scheduled"])
def test_the_event_form_refuses_a_burned_candidate_for_every_role(
    client, burned, job, role, kind, request
):
    client.force_login(request.getfixturevalue(role))
    response = post_event(client, burned, kind=kind, job=job.pk)
    assert response.status_code == 200
    assert burned_words() in response.content.decode()
    assert len(kinds(burned)) == 3


def test_a_manager_cannot_log_events_at_all(client, burned, job, manager):
    client.force_login(manager)
    assert post_event(client, burned, kind="submitted", job=job.pk).status_code == 403
    assert len(kinds(burned)) == 3


@pytest.mark.parametrize("role", ["recruiter", "headhunter", "org_admin"])
def test_the_request_form_refuses_a_burned_candidate_for_every_role(
    client, burned, job, role, request
):
    client.force_login(request.getfixturevalue(role))
    response = client.post(
        reverse("candidates:request", args=[burned.pk]),
        {"pitch": "Once more", "job": job.pk, "occurred_on": services.today().isoformat()},
    )
    assert response.status_code == 200
    assert "cannot ask for a new second chance" in response.content.decode()
    assert burned_words() in response.content.decode()
    assert len(kinds(burned)) == 3


def test_only_an_admin_sees_the_override_field(client, burned, recruiter, org_admin):
    url = reverse("candidates:detail", args=[burned.pk])
    client.force_login(recruiter)
    assert "override_reason" not in client.get(url).content.decode()
    client.force_login(org_admin)
    assert "override_reason" in client.get(url).content.decode()


def test_an_admin_overrides_on_the_page_and_the_override_shows_beside_the_status(
    client, burned, job, org_admin
):
    client.force_login(org_admin)
    response = post_event(
        client, burned, kind="submitted", job=job.pk, override_reason="Asked for by name."
    )
    assert response.status_code == 302
    assert kinds(burned)[-2:] == ["override", "submitted"]
    page = client.get(reverse("candidates:detail", args=[burned.pk])).content.decode()
    assert "Let through the guard by an admin" in page
    assert "Asked for by name." in page


def test_a_recruiters_override_reason_is_ignored_field_and_all(client, burned, job, recruiter):
    client.force_login(recruiter)
    response = post_event(client, burned, kind="submitted", job=job.pk, override_reason="Me")
    assert response.status_code == 200
    assert "override" not in kinds(burned)


def test_a_closed_job_is_a_form_error(client, org, job, recruiter):
    c = services.candidate_create(organization=org, email="cy@example.com", name="Cy")
    job.state = JobState.CLOSED
    job.save()
    client.force_login(recruiter)
    response = post_event(client, c, kind="submitted", job=job.pk)
    assert response.status_code == 200
    assert "Picker (Acme) is closed: it takes no new submitted." in response.content.decode()


def test_an_on_hold_job_warns_and_records(client, org, job, recruiter):
    c = services.candidate_create(organization=org, email="cy@example.com", name="Cy")
    job.state = JobState.ON_HOLD
    job.save()
    client.force_login(recruiter)
    response = post_event(client, c, kind="submitted", job=job.pk)
    assert response.status_code == 302
    assert kinds(c) == ["submitted"]
    page = client.get(response.url).content.decode()
    assert "Picker (Acme) is on hold" in page


# --- The import: each row as of its own date ----------------------------------------------


def run(org, *rows):
    return import_history(
        organization=org, events=io.StringIO(HEADER + "".join(r + "\n" for r in rows))
    )


def test_an_imported_row_after_a_spent_chance_is_a_bad_line(org):
    result = run(
        org,
        "dee@example.com,Dee,Acme,Picker,no_show,2026-01-05,commute,",
        "dee@example.com,,Acme,Picker,second_chance_granted,2026-01-10,,",
        "dee@example.com,,Acme,Picker,no_show,2026-01-20,illness,",
        "dee@example.com,,Acme,Picker,submitted,2026-02-01,,",
    )
    assert [(e.line, e.message) for e in result.errors] == [
        (
            5,
            "The candidate cannot be submitted: the advice is do not resubmit. Burned: no-show "
            "on 20 Jan 2026 (Acme, Picker) after a second chance granted on 10 Jan 2026: the "
            "second chance was spent.",
        )
    ]
    assert not Candidate.objects.exists()


def test_a_history_legitimate_when_it_happened_imports_as_it_is(org):
    rows = [
        "dee@example.com,Dee,Acme,Picker,submitted,2026-01-02,,",
        "dee@example.com,,Acme,Picker,scheduled,2026-01-03,,",
        "dee@example.com,,Acme,Picker,no_show,2026-01-05,commute,",
        "dee@example.com,,Acme,Picker,second_chance_requested,2026-01-06,,Please",
        "dee@example.com,,Acme,Picker,second_chance_granted,2026-01-10,,",
        "dee@example.com,,Acme,Picker,no_show,2026-01-20,illness,",
    ]
    result = run(org, *rows)
    assert result.ok, result.errors
    assert Candidate.objects.get().status == "burned"
    assert run(org, *rows).duplicates_skipped == 6  # and again: nothing to judge, nothing added


def test_the_guard_counts_the_organizations_own_events(org, burned):
    result = run(org, f"{burned.email},,Acme,Picker,scheduled,{services.today()},,")
    assert not result.ok
    assert burned_words() in result.errors[0].message


def test_an_override_row_lets_the_next_row_of_that_candidate_through(org, burned):
    today = services.today()
    result = run(
        org,
        f"{burned.email},,Acme,Picker,override,{today},,The client insisted",
        f"{burned.email},,Acme,Picker,submitted,{today},,",
    )
    assert result.ok, result.errors
    assert kinds(burned)[-2:] == ["override", "submitted"]


def test_a_closed_job_in_the_file_is_a_bad_line(org, job):
    job.state = JobState.CLOSED
    job.save()
    result = run(org, f"eve@example.com,Eve,Acme,Picker,submitted,{services.today()},,")
    assert [e.message for e in result.errors] == [
        "Picker (Acme) is closed: it takes no new submitted."
    ]


def test_an_imported_row_on_a_job_closed_later_was_fine_on_its_date(org, job):
    job.history.update(history_date=timezone.now() - timedelta(days=60))
    services.job_update(job=job, client=job.client, title=job.title, state=JobState.CLOSED)
    result = run(org, f"eve@example.com,Eve,Acme,Picker,submitted,{days_ago(10)},,")
    assert result.ok, result.errors


@pytest.mark.parametrize(
    "kind,reason,message",
    [
        ("rejected", "", 'reason is required for kind "rejected" (use one of: skills,'),
        ("rejected", "commute", 'reason "commute" is not an employer\'s reason (use one of:'),
        ("left_early", "fit", 'reason "fit" is not a reason (use one of: commute,'),
        ("submitted", "fit", 'reason must be empty for kind "submitted"'),
    ],
)
def test_imported_reasons_follow_the_kind(org, kind, reason, message):
    result = run(org, f"eve@example.com,Eve,Acme,Picker,{kind},2026-01-02,{reason},")
    assert len(result.errors) == 1
    assert result.errors[0].message.startswith(message)


def test_rejected_and_left_early_import_with_their_reasons(org):
    result = run(
        org,
        "eve@example.com,Eve,Acme,Picker,rejected,2026-01-02,another_candidate,",
        "fay@example.com,Fay,Acme,Picker,left_early,2026-01-02,personal,",
    )
    assert result.ok, result.errors


# --- The admin ----------------------------------------------------------------------------


def admin_event(candidate, job, **changes):
    data = {
        "candidate": candidate.pk,
        "kind": "submitted",
        "occurred_on": services.today().isoformat(),
        "reason": "",
        "job": job.pk,
        "notes": "",
        "interview_at_0": "",
        "interview_at_1": "",
        "recorded_by": "",
        "override_reason": "",
    }
    data.update(changes)
    return data


def test_the_admin_refuses_a_burned_candidate(admin_client, burned, job):
    response = admin_client.post(reverse("admin:candidates_event_add"), admin_event(burned, job))
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert burned_words() in errors[0]
    assert len(kinds(burned)) == 3


def test_the_admin_overrides_with_a_reason(admin_client, burned, job, admin_user):
    response = admin_client.post(
        reverse("admin:candidates_event_add"),
        admin_event(burned, job, override_reason="Platform support: agreed with the client."),
    )
    assert response.status_code == 302
    assert kinds(burned)[-2:] == ["override", "submitted"]
    assert burned.events.get(kind="override").recorded_by == admin_user


def test_the_admin_refuses_a_closed_job_even_with_a_reason(admin_client, org, job):
    c = services.candidate_create(organization=org, email="cy@example.com", name="Cy")
    job.state = JobState.FILLED
    job.save()
    response = admin_client.post(
        reverse("admin:candidates_event_add"), admin_event(c, job, override_reason="Please")
    )
    assert response.status_code == 200
    assert kinds(c) == []


# --- Interview times ----------------------------------------------------------------------


def test_an_interview_more_than_18_months_ahead_is_refused(client, org, recruiter):
    c = services.candidate_create(organization=org, email="cy@example.com", name="Cy")
    client.force_login(recruiter)
    far = timezone.localtime() + timedelta(days=30 * 19)
    response = post_event(client, c, kind="scheduled", interview_at=far.strftime("%Y-%m-%dT%H:%M"))
    assert response.status_code == 200
    assert "more than 18 months ahead" in response.content.decode()
    with pytest.raises(ValidationError, match="18 months"):
        log(c, "scheduled", services.today(), interview_at=far)
    near = timezone.localtime() + timedelta(days=30 * 17)
    assert log(c, "scheduled", services.today(), interview_at=near).pk


def test_only_an_admin_may_import_an_override(org, burned, recruiter, org_admin):
    today = services.today()
    rows = (
        f"{burned.email},,Acme,Picker,override,{today},,The client insisted\n"
        f"{burned.email},,Acme,Picker,submitted,{today},,\n"
    )
    by_recruiter = import_history(
        organization=org, events=io.StringIO(HEADER + rows), recorded_by=recruiter
    )
    assert [e.line for e in by_recruiter.errors] == [2, 3]
    assert "only an admin may let a refused action through" in by_recruiter.errors[0].message
    by_admin = import_history(
        organization=org, events=io.StringIO(HEADER + rows), recorded_by=org_admin
    )
    assert by_admin.ok, by_admin.errors
