"""A record's change history, cut down to what the reader may see."""

from __future__ import annotations

from collections.abc import Iterable

from yiri.formconfig.schema import FormSchema
from yiri.sync.models import Operation
from yiri.workflow import history


def readable_history(user, record, schema: FormSchema, operations: Iterable[Operation]) -> list[dict]:
    """The API's shape of ``workflow.history.record_history`` (field changes and, for a
    case, its workflow steps as ``event``)."""
    return [
        {"id": e.operation.id, "at": e.at, "kind": e.operation.kind, "author": e.author,
         "changes": [{"field": c.path, "section": c.section, "value": c.new, "old_value": c.old}
                     for c in e.changes],
         "event": {"code": e.event.code, "label": e.event.label, "comment": e.event.comment}
         if e.event else None}
        for e in history.record_history(user, record, schema, operations)
    ]
