from django.db import migrations

# The trigram GIN indexes (search: 0003; probable duplicates: 0011) take each new entry into
# the index at once instead of a pending list. With PostgreSQL's default (fastupdate on) the
# entries of every changed candidate row (a status change is a new row version in every
# index) wait in a list that each search reads in full until a vacuum or 4 MB flushes it:
# after a few hundred writes the bench's searches took half as long again. Writes cost no
# more measurably (benchmarks/web.py). PostgreSQL only; the pending entries there now are
# moved into the index.
TRIGRAM_INDEXES = (
    "candidate_name_trgm_idx",
    "candidate_email_trgm_idx",
    "candidate_name_key_trgm_idx",
)


def write_through(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"ALTER INDEX {name} SET (fastupdate = off)")
        schema_editor.execute(f"SELECT gin_clean_pending_list('{name}'::regclass)")


def pending_list_again(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"ALTER INDEX {name} RESET (fastupdate)")


class Migration(migrations.Migration):
    dependencies = [
        ("candidates", "0014_event_source_ats"),
    ]

    operations = [migrations.RunPython(write_through, pending_list_again)]
