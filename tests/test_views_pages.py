"""Issue 15, the pages: job menus with their client, dates in sentences, names everywhere,
why no reminder, decisions recorded after the fact, long notes, quick actions."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from candidates import services
from candidates.engine import human_date
from candidates.models import Candidate, JobState
from candidates.templatetags.notes import preview

from .factories import ClientFactory, JobFactory, UserFactory
from .query_counts import DETAIL_FIRST

pytestmark = pytest.mark.django_db


def days_ago(n: int):
    return services.today() - timedelta(days=n)


def make(org, email, name=None, **kwargs) -> Candidate:
    return services.candidate_create(
        organization=org, email=email, name=name or email.split("@")[0].title(), **kwargs
    )


def fresh(candidate) -> Candidate:
    return Candidate.objects.get(pk=candidate.pk)


def detail(client, candidate, query: str = "") -> str:
    return client.get(reverse("candidates:detail", args=[candidate.pk]) + query).content.decode()


@pytest.fixture
def acme_job(org):
    return JobFactory(client=ClientFactory(organization=org, name="Acme"), title="Picker")


# --- Job menus with their client -------------------------------------------------------------


def test_every_job_menu_says_the_title_and_the_client(client, org, recruiter, manager, acme_job):
    JobFactory(
        client=ClientFactory(organization=org, name="Globex"), title="Picker", state=JobState.FILLED
    )
    ann = make(org, "ann@example.com")
    services.event_log(
        candidate=ann, kind="no_show", occurred_on=days_ago(3), reason="commute", job=acme_job
    )
    services.second_chance_request(candidate=ann, pitch="Please", job=acme_job)
    client.force_login(recruiter)
    for page in (
        detail(client, ann),  # the event and request forms
        client.get(reverse("candidates:list")).content.decode(),  # the job filter
        client.get(reverse("candidates:resubmit")).content.decode(),
    ):
        assert ">Picker — Acme</option>" in page
        assert ">Picker — Globex (filled)</option>" in page
    client.force_login(manager)
    for page in (detail(client, ann), client.get(reverse("candidates:review")).content.decode()):
        assert "Picker — Acme</option>" in page  # the decision forms


# --- Dates in sentences ----------------------------------------------------------------------


def test_pages_say_dates_as_people_do_and_the_report_and_export_keep_iso(
    client, org, recruiter, acme_job
):
    ann = make(org, "ann@example.com", "Ann Lee")
    services.event_log(
        candidate=ann,
        kind="blew_interview",
        occurred_on=days_ago(14),
        reason="illness",
        job=acme_job,
    )
    services.event_log(candidate=ann, kind="attended", occurred_on=days_ago(2), job=acme_job)
    human = (
        f"Attended interview on {human_date(days_ago(2))} (Acme, Picker) after a blown "
        f"interview on {human_date(days_ago(14))} (Acme, Picker), reason: illness"
    )
    iso = (
        f"Attended interview on {days_ago(2).isoformat()} (Acme, Picker) after a blown "
        f"interview on {days_ago(14).isoformat()} (Acme, Picker), reason: illness"
    )
    client.force_login(recruiter)
    assert human in detail(client, ann)
    resubmit = client.get(reverse("candidates:resubmit"), {"candidate": ann.pk}).content.decode()
    assert human in resubmit

    assert fresh(ann).explanation == [iso]
    out = io.StringIO()
    call_command("recovery_report", "--org", org.slug, "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["candidates"][0]["explanation"] == [iso]
    export = b"".join(client.get(reverse("candidates:export")).streaming_content).decode()
    assert next(csv.DictReader(io.StringIO(export)))["explanation"] == iso


# --- Names everywhere ------------------------------------------------------------------------


def test_risk_note_authors_are_named_on_every_page_without_a_query_per_note(
    client, org, manager, recruiter
):
    rita = UserFactory(organization=org, first_name="Rita", last_name="Moreno")
    ann = make(org, "ann@example.com", "Ann Lee")
    services.event_log(candidate=ann, kind="late", occurred_on=days_ago(5), reason="commute")
    services.second_chance_request(candidate=ann, pitch="Please")
    services.risk_note_add(candidate=ann, dimension="commute", level=4, author=rita, note="Far")
    services.risk_note_add(candidate=ann, dimension="trust", level=2, author=recruiter)
    client.force_login(manager)
    review = client.get(reverse("candidates:review")).content.decode()
    resubmit = client.get(reverse("candidates:resubmit"), {"candidate": ann.pk}).content.decode()
    for page in (review, resubmit, detail(client, ann)):
        assert "Rita Moreno" in page and str(recruiter) in page
        assert rita.email not in page and recruiter.email not in page
    # Names come with the notes (select_related), not one query per note.
    with CaptureQueriesContext(connection) as two_notes:
        client.get(reverse("candidates:review"))
    for _ in range(5):
        author = UserFactory(organization=org)
        services.risk_note_add(candidate=ann, dimension="flakiness", level=3, author=author)
    with CaptureQueriesContext(connection) as seven_notes:
        client.get(reverse("candidates:review"))
    assert len(seven_notes) == len(two_notes)


# --- Why no reminder? ------------------------------------------------------------------------


def test_a_misstep_logged_a_month_late_says_why_it_has_no_follow_up(client, org, recruiter):
    ann = make(org, "ann@example.com", "Ann Lee", owner=recruiter)
    client.force_login(recruiter)
    response = client.post(
        reverse("candidates:log_event", args=[ann.pk]),
        {"kind": "no_show", "reason": "commute", "occurred_on": days_ago(30).isoformat()},
        follow=True,
    )
    page = response.content.decode()
    assert "“No-show” logged for Ann Lee. No follow-up: this was logged 30 days after it" in page
    assert not ann.reminders.exists()
    # Where the reminder would be, the candidate page says why there is none.
    assert f'No-show on <time datetime="{days_ago(30).isoformat()}">' in detail(client, ann)
    assert "No follow-up: this was logged 30 days after it happened" in detail(client, ann)


def test_a_misstep_logged_in_time_gets_its_follow_up_and_no_excuse(client, org, recruiter):
    ann = make(org, "ann@example.com", "Ann Lee", owner=recruiter)
    client.force_login(recruiter)
    response = client.post(
        reverse("candidates:log_event", args=[ann.pk]),
        {"kind": "no_show", "reason": "commute", "occurred_on": days_ago(3).isoformat()},
        follow=True,
    )
    assert "No follow-up" not in response.content.decode()
    assert ann.reminders.filter(kind="follow_up").exists()
    assert "no-follow-up" not in detail(client, ann)


def test_no_excuse_once_the_follow_up_no_longer_matters(client, org, recruiter):
    ann = make(org, "ann@example.com", "Ann Lee")
    services.event_log(candidate=ann, kind="late", occurred_on=days_ago(40), reason="commute")
    client.force_login(recruiter)
    assert "no-follow-up" in detail(client, ann)
    services.event_log(candidate=ann, kind="attended", occurred_on=days_ago(1))
    assert "no-follow-up" not in detail(client, ann)  # recovered: nothing to follow up


# --- Long notes ------------------------------------------------------------------------------

LONG = "The candidate explained at length. " * 150  # about 5,000 characters


def test_long_notes_show_their_first_lines_and_the_rest_behind_more(
    client, org, manager, recruiter
):
    ann = make(org, "ann@example.com")
    services.event_log(
        candidate=ann, kind="late", occurred_on=days_ago(5), reason="commute", notes=LONG
    )
    services.risk_note_add(candidate=ann, dimension="trust", level=3, author=recruiter, note=LONG)
    services.second_chance_request(candidate=ann, pitch="Short pitch")
    client.force_login(manager)
    pages = {
        "candidate": detail(client, ann),
        "review": client.get(reverse("candidates:review")).content.decode(),
    }
    for name, page in pages.items():
        # Every long text (event notes, risk note: history, side panel, missteps) folded.
        folded = page.count('<details class="more">')
        assert folded >= 2, name
        assert page.count(LONG.strip()) == folded, name  # the whole text, inside each one
        assert "The candidate explained at length. The candidate explained at length." in page
    assert "Short pitch" in pages["review"]  # a short text is shown as it is
    assert '<details class="more"><summary><span class="preview">Short' not in pages["review"]


def test_preview_keeps_short_texts_whole_and_cuts_long_ones_by_lines_and_length():
    assert preview("Two lines\nonly") == ""
    assert preview("\n".join(f"line {i}" for i in range(10))) == "line 0\nline 1\nline 2\nline 3…"
    cut = preview(LONG)
    assert len(cut) <= 281 and cut.endswith("…") and LONG.startswith(cut[:-1])


# --- Quick actions ---------------------------------------------------------------------------


def test_quick_actions_open_the_event_form_with_the_kind_today_and_the_latest_job(
    client, org, recruiter, acme_job, django_assert_num_queries
):
    ann = make(org, "ann@example.com")
    services.event_log(candidate=ann, kind="scheduled", occurred_on=days_ago(9), job=acme_job)
    services.event_log(candidate=ann, kind="attended", occurred_on=days_ago(8))
    client.force_login(recruiter)
    page = detail(client, ann)
    for kind in ("no_show", "late", "declined_interview"):
        assert f'href="?log={kind}#log-event"' in page
    assert '<details class="action" id="log-event">' in page  # closed: there is a history

    with django_assert_num_queries(DETAIL_FIRST):  # the page's queries do not grow
        page = detail(client, ann, "?log=late")
    assert '<details class="action" id="log-event" open>' in page
    assert '<option value="late" selected>' in page
    assert f'<option value="{acme_job.pk}" selected>Picker — Acme</option>' in page
    assert f'value="{services.today().isoformat()}"' in page
    # Anything else is ignored: the plain page.
    page = detail(client, ann, "?log=hired")
    assert '<details class="action" id="log-event">' in page
    assert '<option value="" selected>Choose what happened…</option>' in page
