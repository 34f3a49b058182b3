"""What a node may hold, what it sends each peer, and what it purges.

A node's scope is a set of member organisations (``None``: every one, the national
node). A record is in scope when its owning organisation is in the set, or an active
share (assignment, referral, pending transfer) gives it to someone of the set. The
operations of a record — its answers, notes, flags, shares, referrals, approvals,
attachments — travel with it; configuration (places, organisations, relay cells, forms,
lookups, roles, user groups) goes everywhere; users go everywhere so that records can
name them, but a user's password hash, e-mail and phone only go to nodes whose scope
holds the user's organisation (or relay cell).

Sending (``outgoing``): operations after the peer's cursor, in arrival order. When a
record enters a child's scope, its whole history goes first (``Holding`` remembers what
the child holds); the operation that takes it out still goes, so the child purges it.

Receiving: after applying, a record no longer in this node's scope is purged
(``purge``): its rows and search data go at once; its operations stay only until the
parent has acknowledged them, so nothing is lost on the way up.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q

from .apply import entity_models, is_record_entity, to_wire
from .log import logged_fields, m2m_fields, m2m_value, plain, row_values
from .models import Holding, Operation, Peer, PeerRole, PendingPurge, raw_writes

USER_PRIVATE = ("password", "email", "phone")


def agency_ids(codes: Iterable[str]) -> set[uuid.UUID]:
    from yiri.network.models import Agency

    return set(Agency.objects.filter(code__in=list(codes)).values_list("pk", flat=True))


def parent_peer() -> Peer | None:
    return Peer.objects.filter(role=PeerRole.PARENT, revoked=False).first()


def local_scope() -> set[uuid.UUID] | None:
    """This node's organisations (as its parent granted them); ``None``: all of them."""
    parent = parent_peer()
    if settings.YIRI_NODE_KIND == "national" or parent is None:
        return None
    return agency_ids(parent.organisations)


def peer_scope(peer: Peer) -> set[uuid.UUID] | None:
    if peer.role == PeerRole.PARENT:
        return None
    return agency_ids(peer.organisations)


def records_in_scope(pairs: Iterable[tuple[str, uuid.UUID]], orgs: set | None) -> set[uuid.UUID]:
    """The record ids among ``pairs`` that a node with organisations ``orgs`` may hold."""
    from yiri.cases.models import RECORD_MODELS, RecordShare

    by_type: dict[str, set] = {}
    for record_type, record_id in pairs:
        by_type.setdefault(record_type, set()).add(record_id)
    everything = {rid for ids in by_type.values() for rid in ids}
    if orgs is None:
        return everything
    inside: set[uuid.UUID] = set()
    for record_type, ids in by_type.items():
        model = RECORD_MODELS.get(record_type)
        if model is None:
            continue
        inside |= set(model._base_manager.filter(pk__in=ids, owning_agency_id__in=orgs)
                      .values_list("pk", flat=True))
    inside |= set(RecordShare._base_manager.filter(
        record_id__in=everything - inside, active=True, deleted=False)
        .filter(Q(agency_id__in=orgs) | Q(user__agency_id__in=orgs))
        .values_list("record_id", flat=True))
    return inside


def _user_visible(user_id, orgs: set | None) -> bool:
    from django.contrib.auth import get_user_model

    if orgs is None:
        return True
    row = get_user_model()._base_manager.filter(pk=user_id).values("agency_id", "relay_cell_id").first()
    if row is None:
        return False
    if row["agency_id"] in orgs:
        return True
    if row["relay_cell_id"]:
        from yiri.network.models import RelayCell

        members = set(RelayCell.objects.get(pk=row["relay_cell_id"]).members.values_list("pk", flat=True))
        return bool(members & orgs)
    return False


def _redacted(op: Operation, orgs: set | None) -> dict:
    """A user's password hash, e-mail and phone stay off nodes outside their organisation."""

    wire = to_wire(op)
    if op.entity == "user" and wire.get("s") and not _user_visible(op.entity_id, orgs):
        kept = {k: v for k, v in wire["s"].items() if k not in USER_PRIVATE}
        if kept:
            wire["s"] = kept
        else:
            wire.pop("s", None)
    return wire


def confirm_holdings(peer: Peer, cursor: int) -> None:
    """The peer asks from ``cursor``: what left before it is confirmed gone. A record sent
    after it stays held: its answer may have been lost (``outgoing`` sends it again), or
    this is a late request and the peer holds it (it must hear when the record leaves)."""
    Holding.objects.filter(peer=peer, left__isnull=False, left__lte=cursor).delete()


def child_holds(peer: Peer, records: set[tuple[str, uuid.UUID]]) -> None:
    """Records a child sent are records it holds: when one later leaves its scope, the
    operation that takes it out must reach it."""
    if not records:
        return
    orgs = peer_scope(peer)
    inside = records_in_scope(records, orgs) if orgs is not None else set()
    known = set(Holding.objects.filter(peer=peer, entity_id__in=inside).values_list("entity_id", flat=True))
    Holding.objects.bulk_create([Holding(peer=peer, entity_id=rid, since=0)
                                 for rid in inside - known])


def outgoing(peer: Peer, after: int, limit: int,
             own: bool = False) -> tuple[list[dict], int, bool, list]:
    """Up to ``limit`` operations for ``peer`` after arrival number ``after``.

    ``own``: the peer's own operations too, those it sent (a child restored from an old
    backup gets back what it lost, ``sync.restore``); otherwise never sent back.

    Returns (operations as they travel, the arrival number covered, whether more wait,
    the records that left the peer's scope: ``[[record_type, record_id]]``, which it
    purges). Memory stays flat: operations are read in blocks, never all at once.
    """
    gone: dict = {}
    orgs = peer_scope(peer)
    if orgs is not None:
        confirm_holdings(peer, after)
    out: list[dict] = []
    upto = after
    block = max(limit, 100)
    entered: set = set()  # records whose whole history this answer carries
    while len(out) < limit:
        ops = _block(peer, upto, block, own)
        if not ops:
            break
        records = {(o.record_type, o.record_id) for o in ops if o.record_id}
        inside: set = set()
        holdings: dict = {}
        if orgs is not None:
            inside = records_in_scope(records, orgs)
            holdings = {h.entity_id: h for h in Holding.objects.filter(
                peer=peer, entity_id__in=[r for _, r in records])}
        for op in ops:
            if len(out) >= limit:
                break
            upto = op.seq
            from_peer = not own and (op.origin_node == peer.node_id
                                     or op.received_from == peer.node_id)
            if orgs is None or not op.record_id:
                if not from_peer:
                    out.append(_redacted(op, orgs))
                continue
            held = holdings.get(op.record_id)
            if op.record_id in inside:
                unconfirmed = held is not None and held.since > after and op.record_id not in entered
                if held is None or held.left is not None or unconfirmed:
                    # Entering the child's scope (or an entry the child has not confirmed):
                    # the record's whole state, in order (the child may have purged even
                    # what it wrote itself).
                    out.extend(to_wire(h) for h in Operation.objects.filter(
                        record_id=op.record_id, seq__lte=op.seq).order_by("seq"))
                    entered.add(op.record_id)
                    Holding.objects.filter(peer=peer, entity_id=op.record_id).delete()
                    holdings[op.record_id] = Holding.objects.create(
                        peer=peer, entity_id=op.record_id, since=op.seq)
                elif not from_peer:
                    out.append(to_wire(op))
            elif held is not None:
                # Out of the child's scope now: it purges the record. Confirmed (and the
                # holding dropped) once its cursor passes the last operation of the record
                # met here (an answer to a late request may start before the child's cursor).
                gone[op.record_id] = [op.record_type, str(op.record_id)]
                if held.left is None or held.left < op.seq:
                    held.left = op.seq
                    held.save(update_fields=["left"])
            elif own:
                # A child restored from a backup may hold a record that left its scope
                # since (it purges it if it does; nothing happens if not).
                gone[op.record_id] = [op.record_type, str(op.record_id)]
        if len(ops) < block:
            break
    more = Operation.objects.filter(seq__gt=upto).exists()
    return out, upto, more, list(gone.values())


def _block(peer: Peer, after: int, size: int, own: bool = False) -> list[Operation]:
    """The next ``size`` operations after ``after``, in order; those that came from
    ``peer`` (never sent back to it, unless ``own``) without their changes, which are not
    read."""
    if own:
        return list(Operation.objects.filter(seq__gt=after).order_by("seq")[:size])
    light = list(Operation.objects.filter(seq__gt=after).order_by("seq")
                 .defer("changes", "sealed_changes", "meta")[:size])
    if not light:
        return light
    full = {op.seq: op for op in Operation.objects.filter(seq__gt=after, seq__lte=light[-1].seq)
            .exclude(origin_node=peer.node_id).exclude(received_from=peer.node_id)}
    return [full.get(op.seq, op) for op in light]


def pending_count(peer: Peer, after: int) -> int:
    """How many operations wait after ``after`` (before scope filtering): for progress."""
    return Operation.objects.filter(seq__gt=after).exclude(received_from=peer.node_id).count()


# ---------------------------------------------------------------------- purge


def _children(record_id) -> list:
    """Querysets of every row that belongs to the record, dependants first."""
    order = ["notification", "referral", "approval"]
    models_ = sorted((m for e, m in entity_models().items() if not is_record_entity(e)),
                     key=lambda m: order.index(m.sync_entity()) if m.sync_entity() in order else 99)
    out = []
    for model in models_:
        names = {f.name for f in model._meta.concrete_fields}
        if "record_id" in names:
            out.append(model._base_manager.filter(record_id=record_id))
        elif "case" in names:
            out.append(model._base_manager.filter(case_id=record_id))
    return out


def purge(record_type: str, record_id) -> None:
    """Remove a record that left this node's scope, keeping nothing that identifies a
    child; its operations stay until the parent acknowledged them."""
    from yiri.attachments import storage
    from yiri.attachments.models import Attachment
    from yiri.audit.models import AuditAction
    from yiri.audit.services import record_event
    from yiri.cases.models import RECORD_MODELS, Incident, NameToken, TracingRequest

    from .models import Conflict

    with transaction.atomic(), raw_writes():
        for att in Attachment._base_manager.filter(record_id=record_id).values_list("pk", flat=True):
            storage.erase(att)
        for qs in _children(record_id):
            qs.delete()
        for linked in (Incident, TracingRequest):
            linked._base_manager.filter(case_id=record_id).update(case=None)
        NameToken.objects.filter(record_id=record_id).delete()
        Conflict.objects.filter(record_id=record_id).delete()
        Holding.objects.filter(entity_id=record_id).delete()
        RECORD_MODELS[record_type]._base_manager.filter(pk=record_id).delete()
        parent = parent_peer()
        # What the parent may still lack: operations it did not send us.
        last = (Operation.objects.filter(record_id=record_id)
                .exclude(received_from=parent.node_id if parent else "")
                .order_by("-seq").values_list("seq", flat=True).first() or 0)
        if parent is None or parent.sent_upto >= last:
            Operation.objects.filter(record_id=record_id).delete()
        else:
            PendingPurge.objects.update_or_create(
                record_id=record_id, defaults={"record_type": record_type, "after_seq": last})
        record_event(AuditAction.PURGE, record_type=record_type, record_id=record_id)


def purge_out_of_scope(records: set[tuple[str, uuid.UUID]]) -> int:
    """Purge those of ``records`` (touched by an exchange) this node may no longer hold."""
    orgs = local_scope()
    if orgs is None or not records:
        return 0
    inside = records_in_scope(records, orgs)
    gone = [(rt, rid) for rt, rid in records if rid not in inside]
    for rt, rid in gone:
        purge(rt, rid)
    return len(gone)


def purge_gone(gone: list) -> int:
    """Purge the records the parent says left this node's scope."""
    done = 0
    for item in gone or []:
        try:
            record_type, record_id = item[0], uuid.UUID(str(item[1]))
        except (TypeError, ValueError, IndexError):
            continue
        from yiri.cases.models import RECORD_MODELS

        if record_type in RECORD_MODELS and (
                RECORD_MODELS[record_type]._base_manager.filter(pk=record_id).exists()
                or Operation.objects.filter(record_id=record_id).exists()):
            purge(record_type, record_id)
            done += 1
    return done


def forwarded(acked_upto: int) -> None:
    """The parent acknowledged up to ``acked_upto``: purged records' operations may go."""
    done = list(PendingPurge.objects.filter(after_seq__lte=acked_upto).values_list("record_id", flat=True))
    if done:
        with raw_writes():
            Operation.objects.filter(record_id__in=done).delete()
            PendingPurge.objects.filter(record_id__in=done).delete()


# --------------------------------------------------------------------- digest

# Columns a node computes for itself: not part of the state nodes must agree on.
_DERIVED = {"updated_at", "created_at", "version", "location", "location_path",
            "sex", "date_of_birth", "age_estimated", "registration_date", "concerns", "urgent",
            "consent_for_services", "consent_disclosure", "closure_date", "risk_level",
            "incident_date", "identity_blob", "data",
            # cases.services.DASHBOARD_COLUMNS: worked out on each node from the answers it
            # holds when it writes them (an erasure's node and a late edit's differ), never sent.
            "identified_by", "services", "next_due", "missing_required"}


def _line(entity: str, pk, state: dict) -> bytes:
    return (f"{entity}|{pk}|" + json.dumps(state, sort_keys=True, ensure_ascii=False,
                                         default=str) + "\n").encode()


def version_vector() -> dict[str, tuple[int, int]]:
    """What this node holds of each origin's operations: ``{origin: (highest counter,
    operations held)}`` — a difference between the two is a gap (operations of that origin
    that did not reach this node, or were purged with a record that left its scope).

    The exchanges themselves go by each peer's cursor on the other's log (``Peer.sent_upto``
    / ``received_upto``): on a tree, where a node only talks to its parent, that one number
    per peer says what each side has, and stays one number however many offices there are.
    The vector is for people comparing two nodes (``manage.py sync vector``) and for a node
    restored from an old backup, whose parent holds more of its own operations than it does.
    """
    rows = (Operation.objects.values("origin_node")
            .annotate(highest=models.Max("counter"), held=models.Count("id")))
    return {r["origin_node"]: (r["highest"], r["held"]) for r in rows}


# Not the records' state: each node's audit checkpoints, made when it syncs, reach the
# others one sync later.
NOT_DIGESTED = {"audit_checkpoint", "backup_report"}


def digest(orgs: set | None = None, parts: dict | None = None) -> tuple[str, int]:
    """A fingerprint of every synchronised row in the scope ``orgs`` (``None``: all):
    two nodes holding the same state print the same digest. Returns (hex, rows); with
    ``parts``, fills it with ``{entity: [hex, rows]}`` to find what differs."""
    from yiri.cases import identity
    from yiri.cases.models import RECORD_MODELS
    from yiri.formconfig.schema import get_schema

    h = hashlib.sha256()
    count = 0
    in_scope: set = set()
    for record_type, model in sorted(RECORD_MODELS.items()):
        schema = get_schema(record_type)
        qs = model._base_manager.all()
        if orgs is not None:
            ids = records_in_scope(((record_type, pk) for pk in qs.values_list("pk", flat=True)), orgs)
            qs = qs.filter(pk__in=ids)
        for record in qs.order_by("pk").iterator(chunk_size=500):
            in_scope.add(record.pk)
            state = {f.name: plain(getattr(record, f.attname)) for f in model._meta.concrete_fields
                     if f.name not in _DERIVED and f.name not in ("field_clock", "origin_node")}
            state["answers"] = identity.read_answers(record, schema)
            line = _line(record_type, record.pk, state)
            h.update(line)
            _part(parts, record_type, line)
            count += 1
    for entity, model in sorted(entity_models().items()):
        if is_record_entity(entity) or entity in NOT_DIGESTED:
            continue
        names = {f.name for f in model._meta.concrete_fields}
        qs = model._base_manager.all()
        if "record_id" in names:
            qs = qs.filter(record_id__in=in_scope) if orgs is not None else qs
        elif "case" in names:
            qs = qs.filter(Q(case_id__in=in_scope) | Q(case__isnull=True)) if orgs is not None else qs
        skip = set(USER_PRIVATE) if entity == "user" else set()
        for obj in qs.order_by("pk").iterator(chunk_size=500):
            state = {k: v for k, v in row_values(obj).items() if k not in skip}
            for f in m2m_fields(type(obj)):
                state[f.name] = m2m_value(obj, f.name)
            line = _line(entity, obj.pk, state)
            h.update(line)
            _part(parts, entity, line)
            count += 1
    if parts is not None:
        for entity, (part, n) in list(parts.items()):
            parts[entity] = [part.hexdigest()[:16], n]
    return h.hexdigest(), count


def _part(parts: dict | None, entity: str, line: bytes) -> None:
    if parts is not None:
        entry = parts.setdefault(entity, [hashlib.sha256(), 0])
        entry[0].update(line)
        entry[1] += 1


__all__ = ["digest", "logged_fields", "outgoing", "purge", "purge_out_of_scope"]
