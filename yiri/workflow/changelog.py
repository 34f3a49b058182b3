"""Saving workflow rows (and the shares they open) with an entry in the change log.

Records write their own change log in ``cases.services``; approvals, referrals,
notifications and record shares are synchronised rows too, so every write of them goes
through ``log_change``: one ``Operation`` per save, with the per-field new value, the old
value and the stamp of the operation that wrote the old value, like a record's entries.
Free-text fields are sealed (``identity.seal``) rather than logged in clear.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import models

from yiri.cases import identity
from yiri.cases.models import RecordShare
from yiri.sync.changelog import build_operation, new_operations
from yiri.sync.models import Operation, OpKind

from .models import Approval, Notification, Referral

ENTITIES: dict[type[models.Model], str] = {
    Approval: "approval",
    Referral: "referral",
    Notification: "notification",
    RecordShare: "record_share",
}
# Free text a person typed: may name people, so it is sealed like identifying answers.
SEALED = {"comment", "decision_comment", "reason", "response_comment"}
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
    stamps: dict[str, str] = {}
    for hlc, changes, sealed in (Operation.objects.filter(entity_id=entity_id).order_by("hlc")
                                 .values_list("hlc", "changes", "sealed_changes")):
        for path in list(changes) + list(identity.unseal(sealed) if sealed else {}):
            stamps[path] = hlc
    return stamps


def log_change(user, obj: models.Model, *, created: bool = False) -> Operation | None:
    """Save ``obj`` and append the fields that changed to the change log (call inside the
    caller's transaction). Returns the operation, or ``None`` when nothing changed (the
    row is saved all the same)."""
    entity = ENTITIES[type(obj)]
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
            (sealed if name in SEALED else changes)[name] = [value, old, stamps.get(name)]
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
