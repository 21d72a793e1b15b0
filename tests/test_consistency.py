"""What the pages count and decide stays true under concurrent members: an edit made from a
copy loaded before a colleague's write, two managers deciding one request, counts repaired
whatever bypassed the services, form keys forgotten after a week."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from candidates import services
from candidates.models import Candidate, Event, StatusCount, Submission

pytestmark = pytest.mark.django_db


def counted(org) -> dict[str, int]:
    rows = StatusCount.objects.filter(organization=org).values_list("status", "count")
    return {status: n for status, n in rows if n}


def truth(org) -> dict[str, int]:
    return dict(
        Candidate.objects.filter(organization=org)
        .values("status")
        .annotate(n=Count("*"))
        .values_list("status", "n")
    )


def test_an_edit_from_a_stale_copy_keeps_the_status_and_its_count(org):
    c = services.candidate_create(organization=org, email="sam@x.test", name="Sam Stone")
    stale = Candidate.objects.get(pk=c.pk)  # a member opens the edit form
    services.event_log(
        candidate=c, kind="no_show", occurred_on=services.today(), reason="commute"
    )  # meanwhile a colleague logs a no-show
    services.candidate_update(candidate=stale, name="Sam Stone-Smith", phone="0123")

    fresh = Candidate.objects.get(pk=c.pk)
    assert (fresh.name, fresh.status) == ("Sam Stone-Smith", "stumbled")
    assert counted(org) == truth(org) == {"stumbled": 1}
    services.reevaluate([c.pk])
    assert counted(org) == truth(org) == {"stumbled": 1}


def test_recounting_repairs_counts_that_something_bypassed(org, other_org):
    for i in range(3):
        services.candidate_create(organization=org, email=f"c{i}@x.test", name=f"C {i}")
    services.candidate_create(organization=other_org, email="o@x.test", name="O")
    # A write that went round the services (a shell, an old process during a rollout).
    StatusCount.objects.filter(organization=org).update(count=-5)
    Candidate.objects.filter(organization=org, email="c0@x.test").update(
        status="stumbled", counted_status="stumbled"
    )

    assert services.recount_statuses() == 1
    assert counted(org) == truth(org) == {"clean": 2, "stumbled": 1}
    assert counted(other_org) == {"clean": 1}
    assert services.recount_statuses() == 0


def test_the_hourly_task_repairs_the_counts_and_forgets_old_form_keys(org, time_machine):
    from candidates.tasks import reevaluate_due_candidates

    services.candidate_create(organization=org, email="c@x.test", name="C")
    StatusCount.objects.filter(organization=org).update(count=7)
    old = Submission.objects.create(key="3f1c1f7e-8d0e-4a55-9a3b-0c4f4a2b7d10", organization=org)
    time_machine.move_to(timezone.now() + timedelta(days=8))
    recent = Submission.objects.create(key="4f1c1f7e-8d0e-4a55-9a3b-0c4f4a2b7d10", organization=org)

    reevaluate_due_candidates()

    assert counted(org) == {"clean": 1}
    assert [str(k) for k in Submission.objects.values_list("key", flat=True)] == [str(recent.key)]
    assert str(old.key) != str(recent.key)


def _requested(org):
    c = services.candidate_create(organization=org, email="r@x.test", name="Rae Request")
    services.event_log(
        candidate=c,
        kind="late",
        occurred_on=services.today() - timedelta(days=3),
        reason="commute",
    )
    services.second_chance_request(candidate=c, pitch="Please.")
    return Candidate.objects.get(pk=c.pk)


def test_a_request_already_decided_is_not_decided_again_from_a_stale_page(org, manager):
    c = _requested(org)
    stale = Candidate.objects.get(pk=c.pk)  # two tabs, two managers: both see "requested"
    services.second_chance_decide(candidate=c, grant=True, answering_request=True)
    with pytest.raises(ValidationError, match="no second-chance request waiting"):
        services.second_chance_decide(
            candidate=stale, grant=False, note="No.", answering_request=True
        )
    kinds = {"second_chance_granted", "second_chance_refused"}
    assert Event.objects.filter(candidate=c, kind__in=kinds).count() == 1


def test_the_second_managers_decision_from_the_candidate_page_is_not_recorded(
    client, org, manager, org_admin
):
    c = _requested(org)
    url = reverse("candidates:decide", args=[c.pk])
    client.force_login(manager)
    page = client.get(reverse("candidates:detail", args=[c.pk]))
    assert page.status_code == 200
    services.second_chance_decide(candidate=c, grant=False, note="Not now.", answering_request=True)
    # The manager's form was shown before the admin's decision; it is sent after.
    response = client.post(url, {"decision": "grant"}, follow=True)
    assert response.status_code == 200
    kinds = {"second_chance_granted", "second_chance_refused"}
    assert list(
        Event.objects.filter(candidate=c, kind__in=kinds).values_list("kind", flat=True)
    ) == ["second_chance_refused"]


def test_a_damaged_form_key_is_no_key_and_the_form_still_saves(client, org, recruiter):
    c = services.candidate_create(organization=org, email="k@x.test", name="Kay Key")
    client.force_login(recruiter)
    response = client.post(
        reverse("candidates:add_note", args=[c.pk]),
        {
            "submission": "not-a-uuid",
            "dimension": "trust",
            "level": "2",
            "noted_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    assert c.risk_notes.count() == 1
