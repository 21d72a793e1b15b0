"""Clients and jobs: list, create, edit, the job page; every role manages them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from candidates import services
from candidates.models import Candidate, Client, Job

from .factories import ClientFactory, JobFactory

pytestmark = pytest.mark.django_db

ROLES = ["recruiter", "headhunter", "manager", "org_admin"]
CLIENTS = reverse("candidates:clients")
CLIENT_CREATE = reverse("candidates:client_create")
JOB_CREATE = reverse("candidates:job_create")


def days_ago(n: int):
    return services.today() - timedelta(days=n)


def text_of(response) -> str:
    return response.content.decode()


def make(org, email, name=None) -> Candidate:
    return services.candidate_create(
        organization=org, email=email, name=name or email.split("@")[0].title()
    )


@pytest.fixture
def acme(org) -> Client:
    return ClientFactory(organization=org, name="Acme Logistics")


@pytest.fixture
def job(acme) -> Job:
    return JobFactory(client=acme, title="Forklift operator", hiring_manager="Hana Park")


def job_data(of_client, **overrides) -> dict:
    data = {
        "client": of_client.pk,
        "title": "Picker",
        "hiring_manager": "Sam Lee",
        "state": "open",
    }
    data.update(overrides)
    return data


# --- Who may do what ----------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, job):
    for url in (
        CLIENTS,
        CLIENT_CREATE,
        JOB_CREATE,
        reverse("candidates:client_edit", args=[job.client.pk]),
        reverse("candidates:job_detail", args=[job.pk]),
        reverse("candidates:job_edit", args=[job.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_clients_and_jobs(client, request, job, role):
    client.force_login(request.getfixturevalue(role))
    page = text_of(client.get(CLIENTS))
    assert "Acme Logistics" in page and "Forklift operator" in page and "Hana Park" in page
    assert client.get(reverse("candidates:job_detail", args=[job.pk])).status_code == 200
    assert client.get(CLIENT_CREATE).status_code == 200
    assert client.get(JOB_CREATE).status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_every_role_adds_a_client_then_a_job(client, request, org, role):
    client.force_login(request.getfixturevalue(role))
    response = client.post(CLIENT_CREATE, {"name": "  Globex  "})
    globex = Client.objects.get(organization=org, name="Globex")
    assert response["Location"] == f"{JOB_CREATE}?client={globex.pk}"
    response = client.post(JOB_CREATE, job_data(globex, state="on_hold"), follow=True)
    job = Job.objects.get(client=globex, title="Picker")
    assert job.organization == org and job.state == "on_hold" and job.hiring_manager == "Sam Lee"
    assert response.redirect_chain[-1][0] == reverse("candidates:job_detail", args=[job.pk])
    assert "Job Picker (Globex) added." in text_of(response)


def test_outsiders_see_only_their_own_clients(client, job, other_org, outsider):
    ClientFactory(organization=other_org, name="Rival Client")
    client.force_login(outsider)
    page = text_of(client.get(CLIENTS))
    assert "Rival Client" in page
    assert "Acme Logistics" not in page


def test_another_organizations_client_and_job_are_404_and_unchanged(client, job, outsider):
    client.force_login(outsider)
    urls = [
        reverse("candidates:client_edit", args=[job.client.pk]),
        reverse("candidates:job_detail", args=[job.pk]),
        reverse("candidates:job_edit", args=[job.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404
    assert client.post(urls[0], {"name": "Hacked"}).status_code == 404
    assert client.post(urls[2], job_data(job.client, title="Hacked")).status_code == 404
    job.refresh_from_db()
    assert job.title == "Forklift operator" and job.client.name == "Acme Logistics"


def test_a_job_for_another_organizations_client_is_a_form_error(client, acme, other_org, recruiter):
    theirs = ClientFactory(organization=other_org, name="Rival Client")
    client.force_login(recruiter)
    response = client.post(JOB_CREATE, job_data(theirs))
    assert response.status_code == 200
    assert "Choose one of your clients." in text_of(response)
    assert not Job.objects.filter(title="Picker").exists()


def test_moving_a_job_to_another_organizations_client_is_a_form_error(
    client, job, other_org, recruiter
):
    theirs = ClientFactory(organization=other_org)
    client.force_login(recruiter)
    response = client.post(
        reverse("candidates:job_edit", args=[job.pk]), job_data(theirs, title="Forklift operator")
    )
    assert "Choose one of your clients." in text_of(response)
    job.refresh_from_db()
    assert job.client.organization_id == job.organization_id


def test_the_client_select_lists_only_the_organizations_clients(client, acme, other_org, recruiter):
    ClientFactory(organization=other_org, name="Rival Client")
    client.force_login(recruiter)
    page = text_of(client.get(JOB_CREATE))
    assert "Acme Logistics" in page and "Rival Client" not in page


# --- Bad input ----------------------------------------------------------------------------


def test_a_client_name_is_unique_per_organization_whatever_the_case(
    client, acme, other_org, recruiter
):
    ClientFactory(organization=other_org, name="Globex")  # another org's name is free
    client.force_login(recruiter)
    response = client.post(CLIENT_CREATE, {"name": "acme LOGISTICS"})
    assert response.status_code == 200
    page = text_of(response)
    assert "There is already a client with this name." in page
    assert 'value="acme LOGISTICS"' in page  # what they typed is kept
    assert Client.objects.filter(name__iexact="acme logistics").count() == 1
    assert client.post(CLIENT_CREATE, {"name": "Globex"}).status_code == 302


def test_renaming_a_client_to_its_own_name_in_another_case_is_fine(client, acme, recruiter):
    client.force_login(recruiter)
    response = client.post(
        reverse("candidates:client_edit", args=[acme.pk]), {"name": "ACME Logistics"}
    )
    assert response["Location"] == f"{CLIENTS}#client-{acme.pk}"
    acme.refresh_from_db()
    assert acme.name == "ACME Logistics"


def test_renaming_a_client_to_another_clients_name_is_refused(client, acme, org, recruiter):
    globex = ClientFactory(organization=org, name="Globex")
    client.force_login(recruiter)
    response = client.post(
        reverse("candidates:client_edit", args=[globex.pk]), {"name": "acme logistics"}
    )
    assert "There is already a client with this name." in text_of(response)
    globex.refresh_from_db()
    assert globex.name == "Globex"


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_a_client_needs_a_sensible_name(client, recruiter, name):
    client.force_login(recruiter)
    response = client.post(CLIENT_CREATE, {"name": name})
    assert response.status_code == 200
    assert 'class="errorlist' in text_of(response)
    assert not Client.objects.exists()


def test_a_job_title_is_unique_per_client_whatever_the_case(client, job, recruiter):
    client.force_login(recruiter)
    response = client.post(JOB_CREATE, job_data(job.client, title="FORKLIFT operator"))
    assert response.status_code == 200
    page = text_of(response)
    assert "Acme Logistics already has a job with this title." in page
    assert 'value="FORKLIFT operator"' in page and 'value="Sam Lee"' in page
    assert Job.objects.count() == 1


@pytest.mark.parametrize(
    "overrides,error",
    [
        ({"state": "archived"}, "Select a valid choice."),
        ({"title": ""}, "This field is required."),
        ({"client": ""}, "This field is required."),
        ({"client": "abc"}, "Choose one of your clients."),
        ({"client": "99999999999999999999"}, "Choose one of your clients."),
    ],
)
def test_bad_job_input_is_a_form_error(client, acme, recruiter, overrides, error):
    client.force_login(recruiter)
    response = client.post(JOB_CREATE, job_data(acme, **overrides))
    assert response.status_code == 200
    assert error in text_of(response)
    assert not Job.objects.exists()


@pytest.mark.parametrize("junk", ["abc", "-1", "99999999999999999999", ""])
def test_junk_client_preselection_is_ignored(client, acme, recruiter, junk):
    client.force_login(recruiter)
    assert client.get(JOB_CREATE, {"client": junk}).status_code == 200


def test_the_job_form_preselects_the_client(client, acme, recruiter):
    client.force_login(recruiter)
    page = text_of(client.get(JOB_CREATE, {"client": acme.pk}))
    assert f'<option value="{acme.pk}" selected>Acme Logistics</option>' in page


def test_adding_a_job_without_clients_points_to_adding_a_client(client, recruiter):
    client.force_login(recruiter)
    assert "Add a client first" in text_of(client.get(JOB_CREATE))


def test_huge_ids_in_urls_are_404(client, recruiter):
    client.force_login(recruiter)
    huge = 99999999999999999999
    for name in ("client_edit", "job_detail", "job_edit"):
        assert client.get(reverse(f"candidates:{name}", args=[huge])).status_code == 404


# --- Editing, and what the job page shows -------------------------------------------------


def test_editing_a_job_changes_state_and_renames_it_in_explanations(client, job, recruiter):
    ann = make(job.organization, "ann@example.com")
    services.event_log(
        candidate=ann, kind="no_show", occurred_on=days_ago(5), reason="commute", job=job
    )
    client.force_login(recruiter)
    response = client.post(
        reverse("candidates:job_edit", args=[job.pk]),
        job_data(job.client, title="Reach-truck driver", state="filled", hiring_manager=""),
    )
    assert response["Location"] == reverse("candidates:job_detail", args=[job.pk])
    job.refresh_from_db()
    assert (job.title, job.state, job.hiring_manager) == ("Reach-truck driver", "filled", "")
    ann.refresh_from_db()
    assert "Reach-truck driver" in ann.explanation[0]


def test_renaming_a_client_renames_it_in_explanations(client, job, recruiter):
    ann = make(job.organization, "ann@example.com")
    services.event_log(
        candidate=ann, kind="late", occurred_on=days_ago(5), reason="commute", job=job
    )
    client.force_login(recruiter)
    client.post(reverse("candidates:client_edit", args=[job.client.pk]), {"name": "Acme Ltd"})
    ann.refresh_from_db()
    assert "(Acme Ltd, Forklift operator)" in ann.explanation[0]


def test_the_job_page_lists_its_candidates_with_status_and_who_is_active(client, job, recruiter):
    org = job.organization
    ann = make(org, "ann@example.com", "Ann Lee")
    services.event_log(candidate=ann, kind="scheduled", occurred_on=days_ago(9), job=job)
    services.event_log(
        candidate=ann, kind="no_show", occurred_on=days_ago(5), reason="commute", job=job
    )
    bob = make(org, "bob@example.com", "Bob Stone")
    services.event_log(candidate=bob, kind="hired", occurred_on=days_ago(2), job=job)
    make(org, "cid@example.com", "Cid Elsewhere")
    client.force_login(recruiter)
    page = text_of(client.get(reverse("candidates:job_detail", args=[job.pk])))
    assert "Ann Lee" in page and "Bob Stone" in page and "Cid Elsewhere" not in page
    assert page.index("Bob Stone") < page.index("Ann Lee")  # latest event here first
    assert "badge-stumbled" in page and "No-show" in page
    assert "2 candidates with events on this job; 1 still active" in page
    assert "Hana Park" in page and "job-state-open" in page


def test_a_job_without_candidates_says_so(client, job, recruiter):
    client.force_login(recruiter)
    page = text_of(client.get(reverse("candidates:job_detail", args=[job.pk])))
    assert "No candidates on this job yet." in page


def test_an_empty_client_list_says_what_to_do(client, recruiter):
    client.force_login(recruiter)
    assert "No clients yet" in text_of(client.get(CLIENTS))


def test_a_hostile_client_name_is_escaped_everywhere(client, org, recruiter):
    hostile = ClientFactory(organization=org, name="<script>alert(1)</script>")
    job = JobFactory(client=hostile, title="<img src=x onerror=alert(2)>")
    client.force_login(recruiter)
    for url in (CLIENTS, reverse("candidates:job_detail", args=[job.pk])):
        page = text_of(client.get(url))
        assert "<script>alert(1)" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- Query counts -------------------------------------------------------------------------


def test_client_list_and_job_page_run_a_fixed_number_of_queries(client, org, recruiter):
    def grow(n):
        for _ in range(n):
            acme = ClientFactory(organization=org)
            for _ in range(2):
                job = JobFactory(client=acme)
                candidate = make(org, f"c{Candidate.objects.count()}@example.com")
                services.event_log(
                    candidate=candidate, kind="scheduled", occurred_on=days_ago(3), job=job
                )
        return job

    client.force_login(recruiter)
    job = grow(1)
    with CaptureQueriesContext(connection) as few_list:
        client.get(CLIENTS)
    with CaptureQueriesContext(connection) as few_job:
        client.get(reverse("candidates:job_detail", args=[job.pk]))
    grow(8)
    for _ in range(10):
        candidate = make(org, f"x{Candidate.objects.count()}@example.com")
        services.event_log(candidate=candidate, kind="attended", occurred_on=days_ago(1), job=job)
    with CaptureQueriesContext(connection) as many_list:
        client.get(CLIENTS)
    with CaptureQueriesContext(connection) as many_job:
        response = client.get(reverse("candidates:job_detail", args=[job.pk]))
    assert "11 candidates with events on this job" in text_of(response)
    assert len(many_list) == len(few_list)
    assert len(many_job) == len(few_job)


def test_an_empty_post_says_what_is_missing(client, job, recruiter):
    client.force_login(recruiter)
    for url in (
        CLIENT_CREATE,
        JOB_CREATE,
        reverse("candidates:client_edit", args=[job.client.pk]),
        reverse("candidates:job_edit", args=[job.pk]),
    ):
        response = client.post(url, {})
        assert response.status_code == 200
        assert "This field is required." in text_of(response)
