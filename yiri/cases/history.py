"""A record's change history as a given user may read it — the one place that decides.

The change log keeps identifying values sealed; they are unsealed here and only for a
field whose section the reader may read. Metadata changes (``@owner``, ``@status``…) are
shown to everyone who may open the record. A field no longer in the form is not shown.
A case's workflow (approvals, referrals, closure) is added to these entries by
``yiri.workflow.history``, which the web page and the API read cases through.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model

from yiri.formconfig.schema import FieldDef, FormSchema
from yiri.sync.clock import stamp_time
from yiri.sync.models import Operation

from . import identity
from .access import field_limits, path_shown, readable_sections


@dataclass
class FieldChange:
    path: str
    section: str | None  # None for metadata
    field: FieldDef | None  # the field, or the row field for a subform path
    label: str
    new: Any
    old: Any

    @property
    def is_meta(self) -> bool:
        return self.path.startswith("@")


@dataclass
class Event:
    """A step of a record's workflow (approval, referral, closure…), told in words.

    ``comment`` is the free text typed with it, or ``None`` when there is none or the
    reader may not read it (``yiri.workflow.history`` decides)."""

    code: str  # "approval_requested", "referral_accepted", "case_closed"…
    label: str
    comment: str | None = None


@dataclass
class HistoryEntry:
    operation: Operation
    at: dt.datetime
    author: Any  # a user or None
    changes: list[FieldChange]
    event: Event | None = None


def operation_time(op: Operation) -> dt.datetime:
    return stamp_time(op.hlc)


def _describe(schema: FormSchema, path: str) -> tuple[str | None, FieldDef | None, str] | None:
    parts = path.split("/")
    top = schema.fields.get(parts[0])
    if top is None:
        return None
    if len(parts) == 3:
        sub = schema.subform_fields(top).get(parts[2])
        return (top.section, sub, f"{top.label} › {sub.label}") if sub else None
    return top.section, top, top.label


def readable_history(user, schema: FormSchema, operations: Iterable[Operation],
                     record=None) -> list[HistoryEntry]:
    """Entries for ``operations`` (one record's, ``record`` when given so its shares
    apply) with only the changes ``user`` may read."""
    operations = list(operations)
    readable = set(readable_sections(user, schema, record))
    limits = field_limits(user, schema.record_type)
    author_ids = {op.author_id for op in operations if op.author_id}
    authors = {u.pk: u for u in get_user_model().objects.filter(pk__in=author_ids)}
    entries = []
    for op in operations:
        merged = dict(op.changes)
        merged.update(identity.changes_of(op))
        shown = []
        for path in sorted(merged):
            new, old = (list(merged[path]) + [None, None])[:2]
            if path.startswith("@"):
                shown.append(FieldChange(path, None, None, path, new, old))
                continue
            described = _describe(schema, path)
            if described is None or described[0] not in readable or not path_shown(limits, path):
                continue
            section, field, label = described
            shown.append(FieldChange(path, section, field, label, new, old))
        entries.append(HistoryEntry(op, operation_time(op), authors.get(op.author_id), shown))
    return entries
