"""Conflicts made in-process: a local write and a concurrent operation "from another
node", built as the wire carries it and applied like a received chunk."""

from __future__ import annotations

from django.db.models import Max

from yiri.cases.services import update_record
from yiri.sync import clock as node_clock
from yiri.sync.apply import apply_operations, from_wire
from yiri.sync.fieldclock import FieldClock
from yiri.sync.log import save_logged
from yiri.sync.models import Conflict, Operation

REMOTE = "noeud-bobo"


def remote_op(entity: str, entity_id, changes: dict, *, stamp: int, record=None, author=None,
              origin: str = REMOTE, meta: dict | None = None, sealed: bool = False) -> Operation:
    """An operation of node ``origin``, read back from its wire form (``sealed``: its
    values are identifying, carried as that node would send them: in the clear inside the
    sealed transport, sealed here under this node's keys)."""
    last = Operation.objects.filter(origin_node=origin).aggregate(n=Max("counter"))["n"] or 0
    wire = {"o": origin, "c": last + 1, "h": stamp, "e": entity, "i": str(entity_id), "k": "u"}
    if sealed:
        wire["s"] = changes
    else:
        wire["x"] = changes
    if record is not None:
        record_type, record_id = (record if isinstance(record, tuple)
                                  else (record.RECORD_TYPE, record.pk))
        wire["t"] = record_type
        if record_id != entity_id:
            wire["r"] = str(record_id)
    if author is not None:
        wire["a"] = str(author.pk)
    if meta:
        wire["m"] = meta
    return from_wire(wire, received_from=origin)


def clash(user, record, path: str, local, remote, *, remote_wins: bool = True, author=None,
          answers: dict | None = None, write=None, sealed: bool = False) -> Conflict:
    """``user`` writes ``local`` on ``path`` here while another node wrote ``remote`` from
    the same starting point; the later stamp wins (the remote one if ``remote_wins``).
    ``answers``: what to write here when ``path`` is a subform row field; ``write``: a
    function making the local write instead (metadata)."""
    before = FieldClock(record.field_clock).get(path)
    node_clock.observe(node_clock.current() + 1000)  # room for an earlier concurrent stamp
    if write is not None:
        write()
    else:
        update_record(user, record, answers or {path: local})
    record = type(record).objects.get(pk=record.pk)
    mine = FieldClock(record.field_clock).get(path)
    stamp = mine + 1 if remote_wins else mine - 1
    op = remote_op(record.RECORD_TYPE, record.pk, {path: [remote, None, before]}, stamp=stamp,
                   record=record, author=author, sealed=sealed)
    apply_operations([op], received_from=REMOTE)
    return Conflict.objects.get(entity_id=record.pk, path=path, resolved=False)


def row_clash(user, obj, column: str, local, remote, *, remote_wins: bool = True,
              author=None) -> Conflict:
    """The same for a column of another synchronised row (configuration, a share…)."""
    before = FieldClock(obj.field_clock).get(column)
    node_clock.observe(node_clock.current() + 1000)
    setattr(obj, column, local)
    save_logged(user, obj)
    obj = type(obj)._base_manager.get(pk=obj.pk)
    mine = FieldClock(obj.field_clock).get(column)
    stamp = mine + 1 if remote_wins else mine - 1
    op = remote_op(obj.sync_entity(), obj.pk, {column: [remote, None, before]}, stamp=stamp,
                   record=obj.sync_parent(), author=author)
    apply_operations([op], received_from=REMOTE)
    return Conflict.objects.get(entity_id=obj.pk, path=column, resolved=False)
