"""A record's field change history, cut down to what the reader may see."""

from __future__ import annotations

from collections.abc import Iterable

from yiri.cases import history
from yiri.formconfig.schema import FormSchema
from yiri.sync.models import Operation


def readable_history(user, schema: FormSchema, operations: Iterable[Operation],
                     record=None) -> list[dict]:
    """The API's shape of ``cases.history.readable_history``."""
    return [
        {"id": e.operation.id, "at": e.at, "kind": e.operation.kind, "author": e.author,
         "changes": [{"field": c.path, "section": c.section, "value": c.new, "old_value": c.old}
                     for c in e.changes]}
        for e in history.readable_history(user, schema, operations, record)
    ]
