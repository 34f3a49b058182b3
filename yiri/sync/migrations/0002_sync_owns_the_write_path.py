"""The change log as sync needs it: integer stamps, an arrival number, the parent record
of every operation, metadata; this node's clock in one row; peers, holdings, conflicts."""

import uuid

from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion

RECORD_TYPES = {"case", "incident", "tracing_request"}


def old_stamp(text):
    """"<13-digit ms>.<5-digit logical>.<node>" -> (ms << 16) | logical."""
    if text is None:
        return None
    if isinstance(text, int):
        return text
    try:
        wall, logical, _node = str(text).split(".", 2)
        return (int(wall) << 16) | int(logical)
    except ValueError:
        return None


def convert(apps, schema_editor):
    Operation = apps.get_model("sync", "Operation")
    ClockState = apps.get_model("sync", "ClockState")
    parents = {}
    seq = 0
    newest = 0
    own_counter = 0
    for op in Operation.objects.order_by("hlc", "origin_node", "counter").iterator():
        seq += 1
        stamp = old_stamp(op.hlc) or 0
        newest = max(newest, stamp)
        if op.origin_node == settings.YIRI_NODE_ID:
            own_counter = max(own_counter, op.counter)
        changes = {p: [v[0], v[1], old_stamp(v[2])] if isinstance(v, list) and len(v) == 3 else v
                   for p, v in (op.changes or {}).items()}
        if op.entity in RECORD_TYPES:
            parent = (op.entity, op.entity_id)
        else:
            rt = (op.changes or {}).get("record_type", [None])[0]
            rid = (op.changes or {}).get("record_id", [None])[0]
            case = (op.changes or {}).get("case", [None])[0]
            parent = parents.get(op.entity_id) or ((rt, rid) if rt and rid else (("case", case) if case else None))
        if parent:
            parents[op.entity_id] = parent
        Operation.objects.filter(pk=op.pk).update(
            stamp=stamp, seq=seq, changes=changes,
            record_type=parent[0] if parent else "", record_id=parent[1] if parent else None)
    ClockState.objects.update_or_create(pk=1, defaults={"stamp": newest, "counter": own_counter, "seq": seq})
    # The counter used to live in the network sequence table.
    Sequence = apps.get_model("network", "Sequence")
    old = Sequence.objects.filter(name="oplog").values_list("value", flat=True).first()
    if old and old > own_counter:
        ClockState.objects.filter(pk=1).update(counter=old)


class Migration(migrations.Migration):

    dependencies = [
        ("sync", "0001_initial"),
        ("network", "0003_french_labels"),
    ]

    operations = [
        migrations.CreateModel(
            name="ClockState",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("stamp", models.BigIntegerField(default=0)),
                ("counter", models.BigIntegerField(default=0)),
                ("seq", models.BigIntegerField(default=0)),
            ],
            options={"verbose_name": "horloge du nœud", "verbose_name_plural": "horloge du nœud"},
        ),
        migrations.AddField("operation", "stamp", models.BigIntegerField(null=True)),
        migrations.AddField("operation", "seq", models.BigIntegerField(null=True)),
        migrations.AddField("operation", "record_type", models.CharField(blank=True, default="", max_length=20)),
        migrations.AddField("operation", "record_id", models.UUIDField(blank=True, null=True, db_index=True)),
        migrations.AddField("operation", "meta", models.JSONField(blank=True, default=dict)),
        migrations.AddField("operation", "received_from", models.CharField(blank=True, default="", max_length=64)),
        migrations.RunPython(convert, migrations.RunPython.noop),
        migrations.RemoveField("operation", "hlc"),
        migrations.RenameField("operation", "stamp", "hlc"),
        migrations.AlterField("operation", "hlc", models.BigIntegerField(db_index=True)),
        migrations.AlterField("operation", "seq", models.BigIntegerField(unique=True)),
        migrations.AlterField("operation", "id", models.UUIDField(editable=False, primary_key=True, serialize=False)),
        migrations.AlterModelOptions("operation", options={
            "ordering": ["seq"], "verbose_name": "opération",
            "verbose_name_plural": "journal des modifications"}),
        migrations.AddIndex("operation", models.Index(fields=["entity_id", "hlc"], name="op_entity_hlc")),
        migrations.CreateModel(
            name="Peer",
            fields=[
                ("node_id", models.CharField(max_length=64, primary_key=True, serialize=False, verbose_name="identifiant du nœud")),
                ("name", models.CharField(blank=True, max_length=200, verbose_name="nom")),
                ("role", models.CharField(choices=[("parent", "Nœud parent"), ("child", "Nœud enfant")], max_length=8, verbose_name="rôle")),
                ("code", models.CharField(blank=True, max_length=12, verbose_name="code")),
                ("url", models.URLField(blank=True, verbose_name="adresse")),
                ("secret", models.CharField(editable=False, max_length=128)),
                ("organisations", models.JSONField(blank=True, default=list, verbose_name="organisations")),
                ("sent_upto", models.BigIntegerField(default=0)),
                ("received_upto", models.BigIntegerField(default=0)),
                ("last_contact", models.DateTimeField(blank=True, null=True, verbose_name="dernier contact")),
                ("last_error", models.TextField(blank=True, default="", verbose_name="dernière erreur")),
                ("last_error_at", models.DateTimeField(blank=True, null=True)),
                ("revoked", models.BooleanField(default=False, verbose_name="révoqué")),
            ],
            options={"verbose_name": "nœud pair", "verbose_name_plural": "nœuds pairs", "ordering": ["role", "name"]},
        ),
        migrations.CreateModel(
            name="Holding",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("entity_id", models.UUIDField()),
                ("since", models.BigIntegerField(default=0)),
                ("left", models.BigIntegerField(blank=True, null=True)),
                ("peer", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="sync.peer")),
            ],
            options={"constraints": [models.UniqueConstraint(fields=("peer", "entity_id"), name="holding_unique")]},
        ),
        migrations.CreateModel(
            name="Nonce",
            fields=[
                ("value", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("seen_at", models.DateTimeField(db_index=True)),
            ],
        ),
        migrations.CreateModel(
            name="Quarantine",
            fields=[
                ("id", models.UUIDField(primary_key=True, serialize=False)),
                ("origin_node", models.CharField(max_length=64)),
                ("received_from", models.CharField(max_length=64)),
                ("payload", models.JSONField()),
                ("reason", models.TextField()),
                ("received_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={"verbose_name": "opération en quarantaine", "verbose_name_plural": "opérations en quarantaine", "ordering": ["received_at"]},
        ),
        migrations.CreateModel(
            name="PendingPurge",
            fields=[
                ("record_type", models.CharField(max_length=20)),
                ("record_id", models.UUIDField(primary_key=True, serialize=False)),
                ("after_seq", models.BigIntegerField()),
                ("purged_at", models.DateTimeField(auto_now_add=True)),
            ],
        ),
        migrations.CreateModel(
            name="Conflict",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("entity", models.CharField(max_length=30)),
                ("entity_id", models.UUIDField()),
                ("record_type", models.CharField(blank=True, default="", max_length=20)),
                ("record_id", models.UUIDField(blank=True, db_index=True, null=True)),
                ("path", models.CharField(max_length=200)),
                ("values_blob", models.TextField(editable=False)),
                ("winner_stamp", models.BigIntegerField()),
                ("winner_origin", models.CharField(max_length=64)),
                ("winner_author_id", models.UUIDField(blank=True, null=True)),
                ("loser_stamp", models.BigIntegerField()),
                ("loser_origin", models.CharField(max_length=64)),
                ("loser_author_id", models.UUIDField(blank=True, null=True)),
                ("detected_at", models.DateTimeField(auto_now_add=True)),
                ("resolved", models.BooleanField(default=False)),
                ("resolved_at", models.DateTimeField(blank=True, null=True)),
                ("resolved_by_id", models.UUIDField(blank=True, null=True)),
                ("resolved_stamp", models.BigIntegerField(blank=True, null=True)),
            ],
            options={
                "verbose_name": "conflit de synchronisation", "verbose_name_plural": "conflits de synchronisation",
                "ordering": ["-detected_at"],
                "indexes": [models.Index(fields=["resolved", "-detected_at"], name="conflict_open")],
                "constraints": [models.UniqueConstraint(fields=("entity_id", "path", "loser_stamp"), name="conflict_unique")],
            },
        ),
    ]
