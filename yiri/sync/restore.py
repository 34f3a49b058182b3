"""A node restored from a backup older than its last synchronisation.

An office's database copied at time B, the office working and syncing on, then its
database replaced by the copy: its clock restarts at B. Without care three things are lost:

- its counter restarts, so new operations take ids (``uuid5(origin, counter)``) its parent
  already holds for other operations, and the parent drops them as duplicates;
- its arrival numbers restart, and the parent's acknowledgement (ahead) would make it
  skip new operations;
- it lacks its own operations made after B, which the parent holds and never sends a
  node back.

So each request carries the child's own clock (``me``: the highest counter and arrival
number it gave). The parent (``behind``, ``collided``) finds the child behind what it
holds of it (a higher counter of the child's, or an acknowledgement ahead of the child's
arrival numbers), or an operation pushed under an id it holds with another stamp (new
work under reused counters). Then it applies nothing of the chunk and answers
``restored``: its highest counter of the child's, its acknowledgement, its log end and the
colliding ids. The child (``recover``), in one transaction, moves its counter and arrival
number past the parent's, gives the colliding operations new numbers (same stamp,
content and author: ``reoriginate``), renumbers the operations the parent has not
acknowledged above the parent's acknowledgement so that they are pushed, and asks for
its own operations back (``Peer.recover_own_until``) until its cursor passes the
parent's log end. The operator is told (``sync run``, ``sync status``, the status page,
the audit log) and the exchange goes on. Nothing of the backup or of the parent is lost:
re-sent operations are duplicates, ignored.

Written for an office (a leaf): a restored relay cell's children hold cursors on its log,
which the renumbering moves; a child whose cursor is beyond its parent's log end starts
again from 0 (``serve_exchange``), but the restore of a relay with children is not
handled further here.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import clock as node_clock
from .models import ClockState, Operation, Peer, PendingPurge, operation_id

log = logging.getLogger(__name__)

MAX_COLLISIONS = 5000  # the largest chunk a parent takes (``serve_exchange``)


class Collided(Exception):
    """Operations pushed under ids the parent holds with another stamp."""

    def __init__(self, ids: list) -> None:
        super().__init__(len(ids))
        self.ids = ids


# ------------------------------------------------------------------ both sides


def clock_state() -> dict:
    """This node's own clock, as its requests carry it (``me``)."""
    row = ClockState.objects.filter(pk=1).values("counter", "seq").first()
    return {"counter": row["counter"], "seq": row["seq"]} if row else {"counter": 0, "seq": 0}


def log_end() -> int:
    """The highest arrival number this node gave."""
    return ClockState.objects.filter(pk=1).values_list("seq", flat=True).first() or 0


def _number(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def read_me(value) -> dict | None:
    """A request's ``me``, checked: ``None`` if absent, ``ValueError`` if malformed."""
    if value is None:
        return None
    if not isinstance(value, dict) or _number(value.get("counter")) is None \
            or _number(value.get("seq")) is None:
        raise ValueError("me")
    return value


# ---------------------------------------------------------------- the parent


def held_counter(node_id: str) -> int:
    """The highest counter of ``node_id``'s operations this node holds (one index read)."""
    return (Operation.objects.filter(origin_node=node_id).order_by("-counter")
            .values_list("counter", flat=True).first() or 0)


def behind(peer: Peer, me: dict, pushed: list) -> dict | None:
    """The ``restored`` answer if the child ``peer`` is behind what this node holds of it
    (``pushed``: the chunk it sends, not applied then)."""
    held = held_counter(peer.node_id)
    if held > me["counter"] or peer.received_upto > me["seq"]:
        return found(peer, held, pushed=pushed)
    return None


def refused(peer: Peer, pushed: list) -> dict | None:
    """A chunk refused (a readable id already taken here): the ``restored`` answer if
    records of the child's made since a restore took readable ids it had used."""
    return found(peer, pushed=pushed) if short_id_clashes(peer, pushed) else None


def found(peer: Peer, held: int | None = None, collisions: list | None = None,
          pushed: list | None = None) -> dict:
    """What the parent tells a restored child (``pushed``: the chunk it sent, checked for
    readable ids taken here by other records), and what it keeps for its own operator."""
    held = held_counter(peer.node_id) if held is None else held
    if collisions is None:
        collisions = collided(peer, pushed or [])
    renamed = short_id_clashes(peer, pushed or [])
    log.warning("sync: child node restored from an old backup (%d colliding operations, "
                "%d readable ids taken)", len(collisions), len(renamed))
    Peer.objects.filter(pk=peer.pk).update(
        notice="Ce nœud enfant a été restauré depuis une sauvegarde plus ancienne que sa "
               "dernière synchronisation : il avance ses compteurs et reçoit de nouveau ses "
               "propres changements conservés ici. Rien n'est perdu.",
        notice_at=timezone.now())
    return {"counter": held, "seq": peer.received_upto, "end": log_end(),
            "collisions": [str(i) for i in collisions], "numbers": numbers_of(peer),
            "renamed": renamed}


def _own_wire(peer: Peer, pushed: list) -> list[dict]:
    """The operations of ``pushed`` (as they travel) made by ``peer`` itself."""
    return [w for w in pushed if isinstance(w, dict) and w.get("o") == peer.node_id
            and isinstance(w.get("c"), int) and not isinstance(w.get("c"), bool)]


def collided(peer: Peer, pushed: list) -> list:
    """The ids of ``peer``'s operations in ``pushed`` held here with another stamp."""
    stamps = {operation_id(w["o"], w["c"]): w.get("h") for w in _own_wire(peer, pushed)}
    return [pk for pk, hlc in Operation.objects.filter(id__in=list(stamps))
            .values_list("id", "hlc") if hlc != stamps[pk]]


def _short_id_of(wire: dict):
    for key in ("n", "x"):
        value = (wire.get(key) or {}).get("@short_id") if isinstance(wire.get(key), dict) else None
        if value is not None:
            return value[0] if key == "x" and isinstance(value, list) else value
    return None


def short_id_clashes(peer: Peer, pushed: list) -> list[list[str]]:
    """``[[record type, record id]]`` of the records ``peer`` pushed under a readable id
    that another record holds here (made since its restore under a number it had used)."""
    from yiri.cases.models import RECORD_MODELS

    wanted: dict[str, dict[str, str]] = {}
    for w in _own_wire(peer, pushed):
        value = _short_id_of(w)
        if w.get("t") in RECORD_MODELS and w.get("e") == w.get("t") and isinstance(value, str):
            wanted.setdefault(w["t"], {})[value] = str(w.get("i"))
    out = []
    for record_type, by_value in wanted.items():
        for value, pk in RECORD_MODELS[record_type]._base_manager.filter(
                short_id__in=list(by_value)).values_list("short_id", "pk"):
            if str(pk) != by_value[value]:
                out.append([record_type, by_value[value]])
    return out


def _number_of(short: str, prefix: str) -> int | None:
    rest = short[len(prefix):] if short.startswith(prefix) else ""
    return int(rest) if rest.isdigit() else None


def numbers_of(peer: Peer) -> dict[str, int]:
    """The highest readable number of each record type held here under ``peer``'s code."""
    from yiri.cases.models import RECORD_MODELS
    from yiri.lib.ids import MARKERS

    if not peer.code:
        return {}
    out = {}
    for record_type, model in RECORD_MODELS.items():
        prefix = f"{peer.code}-{MARKERS.get(record_type, '')}"
        numbers = [n for n in (_number_of(s, prefix) for s in model._base_manager.filter(
            short_id__startswith=prefix).values_list("short_id", flat=True)) if n is not None]
        if numbers:
            out[record_type] = max(numbers)
    return out


# ----------------------------------------------------------------- the child


def _renumber_unsent(peer: Peer, seq: int) -> tuple[int, int]:
    """Give the operations ``peer`` has not acknowledged arrival numbers above ``seq``, in
    their order, so that they are pushed. Returns (how many, the last number given)."""
    pending = (Operation.objects.filter(seq__gt=peer.sent_upto)
               .exclude(origin_node=peer.node_id).exclude(received_from=peer.node_id))
    top = pending.order_by("-seq").values_list("seq", flat=True).first()
    if top is None:
        return 0, seq
    records = set(pending.exclude(record_id=None).values_list("record_id", flat=True))
    offset = seq - peer.sent_upto
    # One statement: every new number is above every number given, so none clashes with
    # another row's, old or new, whatever order the rows are written in.
    count = pending.update(seq=F("seq") + offset)
    # A record purged here keeps its operations until the parent acknowledged the last.
    for purge in PendingPurge.objects.filter(record_id__in=records):
        last = (Operation.objects.filter(record_id=purge.record_id)
                .exclude(received_from=peer.node_id).order_by("-seq")
                .values_list("seq", flat=True).first() or 0)
        if last > purge.after_seq:
            PendingPurge.objects.filter(pk=purge.pk).update(after_seq=last)
    return count, top + offset


def reoriginate(peer: Peer, ids, counter: int) -> tuple[int, int]:
    """Give this node's operations ``ids`` new counters above ``counter`` (and so new ids,
    by the rule of every new operation), keeping their stamp, content and author: their
    numbers were taken already by other operations the parent holds. Returns (how many,
    the last counter given)."""
    from yiri.cases import identity

    me = settings.YIRI_NODE_ID
    done = 0
    for op in (Operation.objects.filter(id__in=list(ids), origin_node=me)
               .exclude(received_from=peer.node_id).order_by("seq")
               .only("pk", "record_id", "sealed_changes")):
        counter += 1
        new_id = operation_id(me, counter)
        # Sealed values are bound to their operation's id: sealed again for the new one.
        sealed = identity.seal_changes(new_id, op.record_id, identity.changes_of(op))
        Operation.objects.filter(pk=op.pk).update(id=new_id, counter=counter,
                                                  sealed_changes=sealed)
        done += 1
    return done, counter


def _raise_sequences(numbers: dict) -> None:
    """This node's readable numbers go on past ``numbers`` (``{record type: highest}``)."""
    from yiri.cases.models import RECORD_MODELS
    from yiri.network.models import Sequence

    for record_type, top in numbers.items():
        if record_type in RECORD_MODELS and _number(top):
            name = f"short_id:{record_type}"
            Sequence.objects.get_or_create(name=name)
            Sequence.objects.filter(name=name, value__lt=top).update(value=top)


def rename(peer: Peer, records: list) -> list[str]:
    """Give this node's records ``records`` (``[[type, id]]``, made since the restore
    under readable ids its parent holds for other records) the next free readable id,
    in the record and in the operations not yet acknowledged that carry it (the parent
    refused them: nobody else holds them). Returns "old → new" for the operator."""
    from yiri.cases.models import RECORD_MODELS
    from yiri.lib.ids import short_id
    from yiri.network.services import next_numbers, node_code

    from .models import raw_writes

    me = settings.YIRI_NODE_ID
    done = []
    for record_type, pk in records:
        model = RECORD_MODELS.get(record_type)
        record = model._base_manager.filter(pk=pk, origin_node=me).first() if model else None
        if record is None:
            continue
        (number,) = next_numbers(f"short_id:{record_type}")
        old, new = record.short_id, short_id(node_code(), number, record_type)
        with raw_writes():
            model._base_manager.filter(pk=pk).update(short_id=new)
        for op in (Operation.objects.filter(entity_id=pk, origin_node=me, seq__gt=peer.sent_upto)
                   .exclude(received_from=peer.node_id)):
            change = (op.changes or {}).get("@short_id")
            if isinstance(change, list) and change and change[0] == old:
                op.changes["@short_id"] = [new, *change[1:]]
                Operation.objects.filter(pk=op.pk).update(changes=op.changes)
        done.append(f"{old} → {new}")
    return done


def _ids(value) -> list:
    from .transport import SyncError

    if not isinstance(value, list) or len(value) > MAX_COLLISIONS:
        raise SyncError("Réponse du nœud parent illisible (restauration).")
    try:
        return [uuid.UUID(str(i)) for i in value]
    except ValueError:
        raise SyncError("Réponse du nœud parent illisible (restauration).") from None


def recover(peer: Peer, info) -> str:
    """The child's side of a ``restored`` answer from its parent ``peer`` (see the module's
    docstring), in one transaction. Returns the message for the operator."""
    from yiri.audit.models import AuditAction
    from yiri.audit.services import record_event

    from .transport import SyncError

    if not isinstance(info, dict):
        raise SyncError("Réponse du nœud parent illisible (restauration).")
    held, acked, end = (_number(info.get(k)) for k in ("counter", "seq", "end"))
    numbers, renamed = info.get("numbers") or {}, info.get("renamed") or []
    if held is None or acked is None or end is None or not isinstance(numbers, dict) \
            or not isinstance(renamed, list) or any(
                not isinstance(r, list) or len(r) != 2 for r in renamed):
        raise SyncError("Réponse du nœud parent illisible (restauration).")
    ids = _ids(info.get("collisions") or [])
    _ids([r[1] for r in renamed])
    with transaction.atomic():
        state = node_clock._locked()
        peer.refresh_from_db()
        counter = max(state.counter, held, held_counter(settings.YIRI_NODE_ID))
        moved, counter = reoriginate(peer, ids, counter)
        renumbered, seq = _renumber_unsent(peer, max(state.seq, acked))
        ClockState.objects.filter(pk=1).update(counter=counter, seq=seq)
        _raise_sequences(numbers)
        names = rename(peer, renamed)
        if (ids or renamed) and not (moved or names):
            # Nothing to change here: the parent would answer the same again.
            raise SyncError("Le nœud parent signale des opérations ou des dossiers de ce nœud "
                            "sous des numéros déjà pris, que ce nœud ne trouve pas : vérifiez "
                            "qu'aucun autre ordinateur n'utilise le même identifiant de nœud.")
        message = (
            "Ce nœud a été restauré depuis une sauvegarde plus ancienne que sa dernière "
            f"synchronisation : ses compteurs ont été avancés, {renumbered} opération(s) "
            "renumérotée(s)"
            + (f" (dont {moved} faite(s) depuis la restauration sous des numéros déjà pris)"
               if moved else "")
            + (f", {len(names)} dossier(s) créé(s) depuis sous un numéro déjà pris "
               f"renuméroté(s) ({', '.join(names)})" if names else "")
            + " ; ses propres changements conservés par le nœud parent lui sont renvoyés.")
        Peer.objects.filter(pk=peer.pk).update(
            sent_upto=acked, recover_own_until=max(end, peer.recover_own_until),
            notice=message, notice_at=timezone.now())
        record_event(AuditAction.SYNC_RESTORED, parent=peer.node_id,
                     counter_before=state.counter, counter_after=counter,
                     seq_before=state.seq, seq_after=seq, renumbered=renumbered,
                     reoriginated=moved, records_renamed=names)
    peer.refresh_from_db()
    return message


def take_own_back(peer: Peer, pulled: list[Operation]) -> None:
    """Before applying a chunk from the parent (in the caller's transaction): this node's
    own operations coming back (a restore) must not be taken for duplicates of different
    ones made here since under the same numbers, and later writes here must not take
    their numbers again."""
    mine = settings.YIRI_NODE_ID
    own = {op.id: op for op in pulled if op.origin_node == mine}
    if not own:
        return
    clashing = [pk for pk, hlc in Operation.objects.filter(id__in=list(own))
                .values_list("id", "hlc") if hlc != own[pk].hlc]
    top = max(op.counter for op in own.values())
    state = node_clock._locked()
    counter = max(state.counter, top)
    seq = state.seq
    if clashing:
        # Made here since the restore and not acknowledged by the parent (it refuses a
        # chunk that reuses its numbers): a new number, pushed in its turn.
        counter = max(counter, held_counter(mine))
        _, counter = reoriginate(peer, clashing, counter)
        for pk in (Operation.objects.filter(counter__gt=state.counter, origin_node=mine,
                                            seq__lte=peer.sent_upto)
                   .exclude(received_from=peer.node_id).values_list("pk", flat=True)):
            seq += 1  # acknowledged under its old id by a parent of an older version
            Operation.objects.filter(pk=pk).update(seq=seq)
    if counter != state.counter or seq != state.seq:
        ClockState.objects.filter(pk=1).update(counter=counter, seq=seq)
    _take_readable_ids_back(peer, own.values())


def _take_readable_ids_back(peer: Peer, own) -> None:
    """This node's own records coming back: its readable numbers go on past theirs, and
    a record made here since the restore under the same readable id takes another."""
    from yiri.audit.models import AuditAction
    from yiri.audit.services import record_event
    from yiri.cases.models import RECORD_MODELS
    from yiri.lib.ids import MARKERS
    from yiri.network.services import node_code

    code = node_code()
    tops: dict[str, int] = {}
    clashes = []
    for op in own:
        change = (op.changes or {}).get("@short_id")
        if op.entity not in RECORD_MODELS or not isinstance(change, list) or not change \
                or not isinstance(change[0], str):
            continue
        number = _number_of(change[0], f"{code}-{MARKERS.get(op.entity, '')}")
        if number:
            tops[op.entity] = max(tops.get(op.entity, 0), number)
        other = (RECORD_MODELS[op.entity]._base_manager.filter(short_id=change[0])
                 .exclude(pk=op.entity_id).values_list("pk", flat=True).first())
        if other is not None:
            clashes.append([op.entity, str(other)])
    _raise_sequences(tops)
    names = rename(peer, clashes)
    if names:
        message = ("Dossiers créés depuis la restauration sous un numéro déjà pris, "
                   f"renumérotés : {', '.join(names)}.")
        Peer.objects.filter(pk=peer.pk).update(
            notice=(peer.notice + " " if peer.notice else "") + message, notice_at=timezone.now())
        record_event(AuditAction.SYNC_RESTORED, parent=peer.node_id, records_renamed=names)
