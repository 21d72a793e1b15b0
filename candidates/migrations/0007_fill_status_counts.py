import django.utils.timezone
from django.db import migrations, models


def fill(apps, schema_editor):
    """Count the candidates per status as they stand, and store each standing second
    chance's coming interview (what services.reevaluate keeps from now on)."""
    Candidate = apps.get_model("candidates", "Candidate")
    Event = apps.get_model("candidates", "Event")
    StatusCount = apps.get_model("candidates", "StatusCount")
    counts = (
        Candidate.objects.values("organization_id", "status")
        .annotate(n=models.Count("id"))
        .order_by()
    )
    StatusCount.objects.bulk_create(
        StatusCount(organization_id=r["organization_id"], status=r["status"], count=r["n"])
        for r in counts
    )
    Candidate.objects.update(counted_status=models.F("status"))
    latest = {}
    today = django.utils.timezone.localdate(
        timezone=django.utils.timezone.get_default_timezone()
    )
    grants = Event.objects.filter(
        kind="second_chance_granted", candidate__status="second_chance", occurred_on__lte=today
    ).order_by("candidate_id", "occurred_on", "id")
    for event in grants.iterator():
        latest[event.candidate_id] = event
    for candidate_id, event in latest.items():
        if event.interview_at is not None:
            Candidate.objects.filter(pk=candidate_id).update(
                next_interview=event, next_interview_at=event.interview_at
            )


class Migration(migrations.Migration):
    # Its own migration: the index on next_interview is created at the end of 0006, and
    # PostgreSQL refuses to create an index on a table with pending (deferred FK) trigger
    # events, which the updates below leave until commit.

    dependencies = [
        ("candidates", "0006_status_counts_and_next_interview"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
