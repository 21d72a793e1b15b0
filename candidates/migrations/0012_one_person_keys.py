"""The duplicate keys of the candidates already there (Candidate.save sets them from now on):
a data update of its own, after 0010's indexes (PostgreSQL refuses an index on a table with
pending deferred-FK trigger events in the same transaction)."""

import re
import unicodedata

from django.db import migrations

# A copy of candidates/duplicates.py's keys as they are today: a migration must not change
# when the app's code does.


def _phone_key(phone):
    digits = re.sub(r"\D", "", phone or "")
    return digits[-9:] if len(digits) >= 9 else ""


def _name_key(name):
    decomposed = unicodedata.normalize("NFKD", name or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(sorted(re.findall(r"[^\W_]+", plain)))


def fill_keys(apps, schema_editor):
    Candidate = apps.get_model("candidates", "Candidate")
    batch = []
    for candidate in Candidate.objects.only("pk", "name", "phone").iterator(chunk_size=5000):
        candidate.phone_key = _phone_key(candidate.phone)
        candidate.name_key = _name_key(candidate.name)
        batch.append(candidate)
        if len(batch) >= 5000:
            Candidate.objects.bulk_update(batch, ["phone_key", "name_key"])
            batch = []
    if batch:
        Candidate.objects.bulk_update(batch, ["phone_key", "name_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("candidates", "0011_one_person"),
    ]

    operations = [
        migrations.RunPython(fill_keys, migrations.RunPython.noop, elidable=True),
    ]
