"""A record's field change history, cut down to what the reader may see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth import get_user_model

from yiri.cases import identity
from yiri.cases.access import readable_sections
from yiri.formconfig.schema import FormSchema
from yiri.lib.hlc import Timestamp
from yiri.sync.models import Operation


def _section(schema: FormSchema, path: str) -> str | None:
    f = schema.fields.get(path.split("/", 1)[0])
    return f.section if f else None


def _when(op: Operation) -> dt.datetime:
    try:
        wall_ms = Timestamp.parse(op.hlc).wall_ms
    except ValueError:
        return op.received_at
    return dt.datetime.fromtimestamp(wall_ms / 1000, tz=dt.UTC)


def readable_history(user, schema: FormSchema, operations: Iterable[Operation]) -> list[dict]:
    """Entries for ``operations`` (one record's, in order) as ``user`` may read them.

    A field change is shown only when its section is readable; this holds for the sealed
    identifying values too, which are unsealed only to be shown to such a reader. Metadata
    changes (``@owner``, ``@status``…) are shown to everyone who may open the record. A field
    no longer in the form has no section and is not shown.
    """
    operations = list(operations)
    readable = set(readable_sections(user, schema))
    author_ids = {op.author_id for op in operations if op.author_id}
    authors = {u.pk: u for u in get_user_model().objects.filter(pk__in=author_ids)}
    entries = []
    for op in operations:
        changes = dict(op.changes)
        if op.sealed_changes:
            changes.update(identity.unseal(op.sealed_changes))
        shown = []
        for path in sorted(changes):
            section = None if path.startswith("@") else _section(schema, path)
            if not path.startswith("@") and section not in readable:
                continue
            new, old = (list(changes[path]) + [None, None])[:2]
            shown.append({"field": path, "section": section, "value": new, "old_value": old})
        entries.append({
            "id": op.id, "at": _when(op), "kind": op.kind,
            "author": authors.get(op.author_id), "changes": shown,
        })
    return entries
