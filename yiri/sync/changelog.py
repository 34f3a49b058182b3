"""Appending to the change log. Only record service functions call this."""

from __future__ import annotations

import uuid

from django.conf import settings

from yiri.lib.hlc import HybridLogicalClock, Timestamp
from yiri.network.services import next_numbers

from .models import Operation

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
