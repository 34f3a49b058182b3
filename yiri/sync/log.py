"""The one write path of synchronised rows: every change becomes an operation.

``SyncedModel.save`` (and ``User.save``) call ``save_logged_row``: inside the caller's
transaction it reads the row as stored, saves it, compares, and appends one operation
with the fields that changed, each stamped, replacing the stamps the row's field clock
held (so a merge elsewhere can tell concurrent writes). Many-to-many changes are logged
by the ``m2m_changed`` handler below as the full list of ids of the field. Records log
their answers through ``cases.services``, which hands its operation to ``append``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from . import clock as node_clock
from .fieldclock import FieldClock
from .models import (
    Operation,
    OpKind,
    Synced,
    is_applying,
    is_genesis,
    is_record_write,
    operation_id,
    raw_allowed,
)


def plain(value: Any) -> Any:
    """A column value as the log carries it (JSON)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def logged_fields(model: type[models.Model]) -> list[models.Field]:
    """The columns an operation carries (not the key, origin, clock or local fields)."""
    skip = {"id", "origin_node", "field_clock"} | set(getattr(model, "SYNC_LOCAL", ()))
    return [f for f in model._meta.concrete_fields if f.name not in skip and not f.primary_key]


def m2m_fields(model: type[models.Model]) -> list[models.ManyToManyField]:
    local = set(getattr(model, "SYNC_LOCAL", ()))
    return [f for f in model._meta.many_to_many if f.name not in local]


def row_values(obj: models.Model) -> dict[str, Any]:
    return {f.name: plain(getattr(obj, f.attname)) for f in logged_fields(type(obj))}


def _author(obj) -> uuid.UUID | None:
    user = getattr(obj, "_sync_author", None)
    if user is None:
        from yiri.audit.context import current_actor

        user = current_actor()
    pk = getattr(user, "pk", None)
    return pk if isinstance(pk, uuid.UUID) else None


def _stored(obj: models.Model) -> dict[str, Any]:
    from yiri.cases.sealed import open_stored

    model = type(obj)
    fields = logged_fields(model)
    row = model._base_manager.filter(pk=obj.pk).values(*[f.attname for f in fields]).first()
    if row is None:
        return {}
    return {f.name: plain(open_stored(obj, f, row[f.attname])) for f in fields}


def append(*, entity: str, entity_id, kind: str, author_id, changes: dict, sealed: dict,
           record: tuple[str, Any] | None, meta: dict | None = None,
           allocated: tuple[int, int, int] | None = None) -> Operation:
    """Build and store one operation of this node (inside the caller's transaction)."""
    counter, stamp, seq = allocated or node_clock.allocate(1)[0]
    op = build(counter=counter, stamp=stamp, seq=seq, entity=entity, entity_id=entity_id,
               kind=kind, author_id=author_id, changes=changes, sealed=sealed, record=record,
               meta=meta)
    op.save(force_insert=True)
    return op


def build(*, counter: int, stamp: int, seq: int, entity: str, entity_id, kind: str, author_id,
          changes: dict, sealed: dict, record, meta) -> Operation:
    """An operation of this node; ``sealed`` (values a person typed) is encrypted under
    its record's key, bound to the operation (``identity.seal_changes``)."""
    from yiri.cases import identity  # the one codec for sealed values

    node = settings.YIRI_NODE_ID
    op_id = operation_id(node, counter)
    return Operation(
        id=op_id, origin_node=node, counter=counter, hlc=stamp, seq=seq,
        entity=entity, entity_id=entity_id, kind=kind, author_id=author_id, changes=changes,
        sealed_changes=identity.seal_changes(op_id, record[1] if record else None, sealed),
        record_type=record[0] if record else "",
        record_id=record[1] if record else None, meta=meta or {},
    )


def _set_clock(obj: models.Model, paths, stamp: int) -> None:
    clock = FieldClock(obj.field_clock)
    clock.set(paths, stamp)
    obj.field_clock = clock.encoded()
    type(obj)._base_manager.filter(pk=obj.pk).update(field_clock=obj.field_clock)


def save_logged_row(obj: Synced, do_save: Callable[[], None]) -> Operation | None:
    """Save ``obj`` and log the fields that changed (the ``save`` of every synced row)."""
    from yiri.cases.models import Record

    if isinstance(obj, Record) and not raw_allowed():
        from .models import RawWriteRefused

        raise RawWriteRefused("Records change only through yiri.cases.services.")
    if is_genesis():
        do_save()
        return None
    with transaction.atomic():
        created = obj._state.adding or not type(obj)._base_manager.filter(pk=obj.pk).exists()
        before = {} if created else _stored(obj)
        do_save()
        after = row_values(obj)
        clock = FieldClock(obj.field_clock)
        changes: dict[str, list] = {}
        sealed: dict[str, list] = {}
        for name, value in after.items():
            old = before.get(name)
            if created and value in (None, "", False, [], {}):
                continue  # a new row's empty fields are its defaults
            if value != old or (created and name not in before):
                target = sealed if name in obj.SYNC_SEALED else changes
                target[name] = [value, old, clock.get(name)]
        meta = getattr(obj, "_sync_meta", None) or {}
        if not created and not changes and not sealed and not meta.get("resolves"):
            return None
        kind = OpKind.CREATE if created else (
            OpKind.DELETE if after.get("deleted") and not before.get("deleted") else OpKind.UPDATE)
        op = append(entity=obj.sync_entity(), entity_id=obj.pk, kind=kind,
                    author_id=_author(obj), changes=changes, sealed=sealed,
                    record=obj.sync_parent(), meta=meta)
        _set_clock(obj, list(changes) + list(sealed), op.hlc)
    obj._last_operation = op
    return op


def save_logged(user, obj: Synced, *, created: bool = False, **_ignored) -> Operation | None:
    """Save a synchronised row as ``user`` (the author of its operation)."""
    obj._sync_author = user
    try:
        obj.save(force_insert=created) if created else obj.save()
    finally:
        obj._sync_author = None
    return getattr(obj, "_last_operation", None)


def tombstone(user, obj: Synced, **extra) -> None:
    """Remove a row everywhere: ``deleted`` (and ``extra`` fields) set, synchronised."""
    obj.deleted = True
    for name, value in extra.items():
        setattr(obj, name, value)
    save_logged(user, obj)


def m2m_value(obj: models.Model, name: str) -> list[str]:
    return sorted(str(pk) for pk in getattr(obj, name).values_list("pk", flat=True))


@receiver(m2m_changed)
def _log_m2m(sender, instance, action, reverse, model, pk_set, **kwargs):
    """Log a many-to-many change as the new full list on the owning row."""
    if action not in ("post_add", "post_remove", "post_clear", "pre_clear"):
        return
    if is_applying() or is_genesis() or is_record_write():
        return
    if reverse:
        if action == "pre_clear":  # the rows losing this link, known only before
            accessor = next((r.get_accessor_name() for r in type(instance)._meta.related_objects
                             if r.through is sender), None) if hasattr(type(instance)._meta, "related_objects") else None
            instance._m2m_cleared = list(getattr(instance, accessor).all()) if accessor else []
            return
        owners = (getattr(instance, "_m2m_cleared", []) if action == "post_clear"
                  else list(model._base_manager.filter(pk__in=pk_set or [])))
        for owner in owners:
            _log_m2m_for(owner, sender)
        return
    if action != "pre_clear":
        _log_m2m_for(instance, sender)


def _log_m2m_for(owner, through) -> None:
    if not isinstance(owner, Synced):
        return
    field = next((f for f in m2m_fields(type(owner)) if f.remote_field.through is through), None)
    if field is None:
        return
    clock = FieldClock(owner.field_clock)
    new = m2m_value(owner, field.name)
    with transaction.atomic():
        op = append(entity=owner.sync_entity(), entity_id=owner.pk, kind=OpKind.UPDATE,
                    author_id=_author(owner), changes={field.name: [new, None, clock.get(field.name)]},
                    sealed={}, record=owner.sync_parent())
        _set_clock(owner, [field.name], op.hlc)
