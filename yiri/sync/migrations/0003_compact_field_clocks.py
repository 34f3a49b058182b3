"""Field clocks in their compact form (``sync.fieldclock``), with integer stamps: records
convert their flat map of string stamps; other synchronised rows get theirs from the log,
so a save no longer reads the row's history."""

from django.db import migrations

from yiri.sync.fieldclock import encode

TABLES = [
    ("cases", "Case", "case"), ("cases", "Incident", "incident"),
    ("cases", "TracingRequest", "tracing_request"), ("cases", "Note", "note"),
    ("cases", "Flag", "flag"), ("cases", "RecordShare", "record_share"),
    ("attachments", "Attachment", "attachment"), ("workflow", "Approval", "approval"),
    ("workflow", "Referral", "referral"), ("workflow", "Notification", "notification"),
]


def old_stamp(text):
    if isinstance(text, int):
        return text
    try:
        wall, logical, _node = str(text).split(".", 2)
        return (int(wall) << 16) | int(logical)
    except ValueError:
        return None


def convert(apps, schema_editor):
    Operation = apps.get_model("sync", "Operation")
    for app, name, entity in TABLES:
        model = apps.get_model(app, name)
        for row in model.objects.all().iterator():
            raw = row.field_clock or {}
            if raw and "t" not in raw:
                flat = {p: old_stamp(s) for p, s in raw.items()}
            else:
                flat = {}
                for stamp, changes in (Operation.objects.filter(entity_id=row.pk)
                                       .order_by("hlc").values_list("hlc", "changes")):
                    for path in changes or {}:
                        flat[path] = stamp
            flat = {p: s for p, s in flat.items() if s is not None}
            if flat:
                model.objects.filter(pk=row.pk).update(field_clock=encode(flat))


class Migration(migrations.Migration):

    dependencies = [
        ("sync", "0002_sync_owns_the_write_path"),
        ("cases", "0006_field_clocks"),
        ("attachments", "0002_field_clock"),
        ("workflow", "0004_field_clocks"),
    ]

    operations = [migrations.RunPython(convert, migrations.RunPython.noop)]
