"""The append-only change log that every synchronised write produces and sync replays."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class OpKind(models.TextChoices):
    CREATE = "create", _("Création")
    UPDATE = "update", _("Modification")
    DELETE = "delete", _("Suppression")


class Operation(models.Model):
    """One write to one entity, carrying all the fields it changed.

    ``(origin_node, counter)`` numbers each node's operations 1, 2, 3… so a peer's
    "what I have" is a version vector {origin_node: highest counter}. ``hlc`` orders
    operations across nodes; every field in ``changes`` is stamped with it.

    ``changes`` maps a field path (``"sex"``, ``"services/<row uuid>/implemented"``,
    ``"@owner"`` for record metadata) to ``[new value, old value, replaced hlc]``:
    the replaced hlc is the stamp of the operation whose value this one overwrote
    (``None`` for a first write), which lets a merge detect concurrent edits.
    Identifying values (names, phone, narratives) are kept out of ``changes`` and
    sealed in ``sealed_changes`` with the same codec as the record's identity.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    origin_node = models.CharField(max_length=64)
    counter = models.BigIntegerField()
    hlc = models.CharField(max_length=96, db_index=True)
    entity = models.CharField(max_length=30)
    entity_id = models.UUIDField(db_index=True)
    kind = models.CharField(max_length=10, choices=OpKind.choices)
    author_id = models.UUIDField(null=True, blank=True)
    changes = models.JSONField(default=dict)
    sealed_changes = models.TextField(blank=True, default="")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["origin_node", "counter"]
        constraints = [
            models.UniqueConstraint(fields=["origin_node", "counter"], name="op_origin_counter_unique")
        ]
        verbose_name = _("opération")
        verbose_name_plural = _("journal des modifications")

    def __str__(self) -> str:
        return f"{self.origin_node[:8]}#{self.counter} {self.kind} {self.entity}"
