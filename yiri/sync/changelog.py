"""Appending to the change log. Only record service functions call this."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.db import models

from yiri.lib.hlc import HybridLogicalClock, Timestamp
from yiri.network.services import next_numbers

from .models import Operation, OpKind

_clock: HybridLogicalClock | None = None


def clock() -> HybridLogicalClock:
    """This node's clock, started past the newest stamp already in the log."""
    global _clock
    if _clock is None or _clock.node != settings.YIRI_NODE_ID:
        c = HybridLogicalClock(settings.YIRI_NODE_ID)
        newest = Operation.objects.order_by("-hlc").values_list("hlc", flat=True).first()
        if newest:
            c.observe(Timestamp.parse(newest))
        _clock = c
    return _clock


def new_operations(count: int) -> list[tuple[int, str]]:
    """Reserve ``count`` (counter, hlc) pairs for operations written in this transaction."""
    numbers = next_numbers("oplog", count)
    c = clock()
    return [(n, str(c.now())) for n in numbers]


def build_operation(
    *, counter: int, hlc: str, entity: str, entity_id: uuid.UUID, kind: str,
    author_id: uuid.UUID | None, changes: dict, sealed_changes: str = "",
) -> Operation:
    return Operation(
        origin_node=settings.YIRI_NODE_ID, counter=counter, hlc=hlc, entity=entity,
        entity_id=entity_id, kind=kind, author_id=author_id, changes=changes,
        sealed_changes=sealed_changes,
    )


_SKIP = {"id", "origin_node"}


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _values(obj: models.Model) -> dict[str, Any]:
    return {f.name: _plain(getattr(obj, f.attname)) for f in obj._meta.concrete_fields
            if f.name not in _SKIP}


def _stamps(entity_id) -> dict[str, str]:
    """Field → stamp of the last operation that wrote it."""
    from yiri.cases import identity

    stamps: dict[str, str] = {}
    for hlc, changes, sealed in (Operation.objects.filter(entity_id=entity_id).order_by("hlc")
                                 .values_list("hlc", "changes", "sealed_changes")):
        for path in list(changes) + list(identity.unseal(sealed) if sealed else {}):
            stamps[path] = hlc
    return stamps


def save_logged(
    user, obj: models.Model, *, entity: str, created: bool = False, sealed_fields=frozenset()
) -> Operation | None:
    """Save a synchronised row that is not a record and append the fields that changed to
    the change log (call inside the caller's transaction). Values of ``sealed_fields``
    (free text a person typed) are sealed like identifying answers. Returns the
    operation, or ``None`` when nothing changed (the row is saved all the same)."""
    from yiri.cases import identity  # the one codec for sealed values

    if created:
        before: dict[str, Any] = {}
        stamps: dict[str, str] = {}
    else:
        before = type(obj).objects.filter(pk=obj.pk).values(*[
            f.attname for f in obj._meta.concrete_fields if f.name not in _SKIP]).first() or {}
        before = {f.name: _plain(before.get(f.attname)) for f in obj._meta.concrete_fields
                  if f.name not in _SKIP}
        stamps = _stamps(obj.pk)
    obj.save(force_insert=created)
    after = _values(obj)  # after saving: auto_now_add fields are set by then
    changes: dict[str, list] = {}
    sealed: dict[str, list] = {}
    for name, value in after.items():
        old = before.get(name)
        if created and value in (None, "", False) and name not in ("active",):
            continue  # a new row's empty fields are its defaults
        if value != old:
            (sealed if name in sealed_fields else changes)[name] = [value, old, stamps.get(name)]
    if not created and not changes and not sealed:
        return None
    (counter, hlc), = new_operations(1)
    op = build_operation(
        counter=counter, hlc=hlc, entity=entity, entity_id=obj.pk,
        kind=OpKind.CREATE if created else OpKind.UPDATE,
        author_id=user.pk if user is not None and getattr(user, "pk", None) else None,
        changes=changes, sealed_changes=identity.seal(sealed) if sealed else "",
    )
    op.save(force_insert=True)
    return op
