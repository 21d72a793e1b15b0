"""Deliveries stored before keys were normalised get the key they would get now (ats/vendors.py:
Greenhouse's `rejected_at` as a UTC moment, not as written; Lever's `archivedAt` as an
integer), so that a retry of one of them stays a replay. A key that cannot be read back (a
hashed one) or whose new form is taken already is left as it is."""

from django.db import migrations


def normalise(apps, schema_editor):
    from ats import vendors

    InboundItem = apps.get_model("ats", "InboundItem")
    for item in InboundItem.objects.order_by("id").only("id", "organization_id", "vendor", "key"):
        key = item.key
        try:
            if item.vendor == "greenhouse" and key.startswith("application:"):
                head, sep, written = key.rpartition(":rejected:")
                if not sep:
                    continue
                new = vendors.greenhouse_key(
                    head.removeprefix("application:"), vendors._iso_moment(written)
                )
            elif item.vendor == "lever" and key.startswith("opportunity:"):
                head, sep, written = key.rpartition(":archived:")
                if not sep:
                    continue
                new = vendors.lever_key(head.removeprefix("opportunity:"), int(float(written)))
            else:
                continue
        except (vendors.Malformed, ValueError, OverflowError):
            continue
        if new == key:
            continue
        taken = InboundItem.objects.filter(
            organization_id=item.organization_id, vendor=item.vendor, key=new
        ).exists()
        if not taken:
            item.key = new
            item.save(update_fields=["key"])


class Migration(migrations.Migration):
    dependencies = [("ats", "0003_item_key_per_organization")]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop)]
