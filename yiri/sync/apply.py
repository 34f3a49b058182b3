"""Applying operations that come from other nodes.

An operation is stored unchanged (same id, origin, counter, stamp, author) with this
node's next arrival number, then merged into its entity field by field against the field
clock (``merge_fields``):

- the field's stamp here is the one the operation replaced (or the field was never
  written here): the operation follows what this node holds, its value is taken;
- otherwise the two writes were concurrent: the later stamp wins (the same winner on
  every node, ``clock.later``) and, if the values differ, a ``Conflict`` keeps the loser
  for a person to decide (``sync.conflicts``).

Applying an operation already held changes nothing, so a chunk sent twice, or an old
operation after a newer one, is harmless. Records rebuild their indexed columns and
search tokens locally. A stamp too far in the future is quarantined, not applied.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, models, transaction
from django.utils import timezone

from . import clock as node_clock
from .fieldclock import FieldClock
from .log import plain
from .merge import same
from .models import (
    Conflict,
    Operation,
    PendingPurge,
    Quarantine,
    Synced,
    applying,
    operation_id,
)

# ------------------------------------------------------------------ wire format

_KINDS = {"c": "create", "u": "update", "d": "delete"}


def to_wire(op: Operation) -> dict:
    """An operation as it travels: short keys, nothing that follows from the rest."""
    out: dict[str, Any] = {"o": op.origin_node, "c": op.counter, "h": op.hlc, "e": op.entity,
                           "i": str(op.entity_id), "k": op.kind[0]}
    if op.author_id:
        out["a"] = str(op.author_id)
    if op.record_type:
        out["t"] = op.record_type
        if op.record_id and op.record_id != op.entity_id:
            out["r"] = str(op.record_id)
    if op.changes:
        out.update(_packed(op.changes))
    if op.sealed_changes:
        # In the clear inside the sealed transport; the receiver seals with its own keys.
        from yiri.cases import identity

        sealed = identity.changes_of(op)
        if sealed:
            out["s"] = sealed
    if op.meta:
        out["m"] = op.meta
    return out


def _kept_wire(op: Operation) -> dict:
    """``to_wire`` for keeping in this node's database (quarantine): the sealed values stay
    sealed under this node's keys (``from_wire`` takes them back as they are)."""
    out = to_wire(op)
    if op.sealed_changes:
        out["s"] = op.sealed_changes
    return out


def _packed(changes: dict[str, list]) -> dict[str, dict]:
    """``changes`` as they travel. A first write (no old value, no stamp replaced: every
    field of a new case) goes without its two nulls, in ``n`` (``{path: value}``), or in
    ``w`` for subform rows (``{subform: {row id: {field: value}}}``, each row id once);
    the other changes stay in ``x`` (``{path: [new, old, replaced stamp]}``)."""
    out: dict[str, dict] = {}
    for path, change in changes.items():
        new, old, replaced = change
        if old is not None or replaced is not None:
            out.setdefault("x", {})[path] = change
            continue
        parts = path.split("/")
        if len(parts) == 3:
            out.setdefault("w", {}).setdefault(parts[0], {}).setdefault(parts[1], {})[parts[2]] = new
        else:
            out.setdefault("n", {})[path] = new
    return out


def _unpacked(data: dict) -> dict[str, list]:
    """The changes of an operation from their travelling form (``_packed``)."""
    changes = data.get("x") or {}
    fresh = data.get("n") or {}
    rows = data.get("w") or {}
    if not isinstance(changes, dict) or any(
            not isinstance(v, list) or len(v) != 3 for v in changes.values()):
        raise BadOperation("modifications illisibles")
    if not isinstance(fresh, dict) or not isinstance(rows, dict) or any(
            not isinstance(by_row, dict) or any(not isinstance(f, dict) for f in by_row.values())
            for by_row in rows.values()):
        raise BadOperation("modifications illisibles")
    out = dict(changes)
    for path, value in fresh.items():
        out[path] = [value, None, None]
    for code, by_row in rows.items():
        for row_id, fields in by_row.items():
            for name, value in fields.items():
                out[f"{code}/{row_id}/{name}"] = [value, None, None]
    return out


class BadOperation(ValueError):
    """An operation that cannot be read: refused with a message naming what is wrong."""


def from_wire(data: Any, *, received_from: str) -> Operation:
    """Read and check one operation from a peer (never trusted blindly)."""
    if not isinstance(data, dict):
        raise BadOperation("une opération doit être un objet")
    try:
        origin = data["o"]
        counter = int(data["c"])
        stamp = int(data["h"])
        entity = data["e"]
        entity_id = uuid.UUID(str(data["i"]))
        kind = _KINDS[data["k"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise BadOperation(f"opération incomplète ou illisible ({exc.__class__.__name__})") from exc
    if not isinstance(origin, str) or not origin or len(origin) > 64:
        raise BadOperation("nœud d'origine invalide")
    if entity not in entity_models() or counter <= 0 or stamp <= 0:
        raise BadOperation(f"opération invalide ({entity!r}, n° {counter})")
    changes = _unpacked(data)
    record_type = data.get("t") or ""
    record_id = data.get("r") or (str(entity_id) if record_type else None)
    try:
        record_id = uuid.UUID(str(record_id)) if record_id else None
        author = uuid.UUID(str(data["a"])) if data.get("a") else None
    except ValueError as exc:
        raise BadOperation("identifiant illisible") from exc
    meta = data.get("m") or {}
    sealed = data.get("s") or {}
    from yiri.cases import identity

    op_id = operation_id(origin, counter)
    if identity.is_sealed(sealed):  # kept here sealed (a quarantined operation released)
        try:
            identity.unseal(sealed, identity.op_binding(op_id, record_id))
        except identity.Unreadable as exc:
            raise BadOperation("valeurs scellées illisibles") from exc
        return Operation(
            id=op_id, origin_node=origin, counter=counter, hlc=stamp, entity=entity,
            entity_id=entity_id, kind=kind, author_id=author, changes=changes,
            sealed_changes=sealed, record_type=record_type, record_id=record_id,
            meta=meta if isinstance(meta, dict) else {}, received_from=received_from)
    if isinstance(sealed, str):  # a node from before encryption at rest: plain JSON
        try:
            sealed = json.loads(sealed) if sealed else {}
        except ValueError:
            raise BadOperation("valeurs scellées illisibles") from None
    if not isinstance(meta, dict) or not isinstance(sealed, dict) or any(
            not isinstance(v, list) or len(v) != 3 for v in sealed.values()):
        raise BadOperation("métadonnées illisibles")
    return Operation(
        id=op_id, origin_node=origin, counter=counter, hlc=stamp,
        entity=entity, entity_id=entity_id, kind=kind, author_id=author, changes=changes,
        sealed_changes=identity.seal_changes(op_id, record_id, sealed), record_type=record_type,
        record_id=record_id, meta=meta,
        received_from=received_from,
    )


def from_wire_many(items: Any, *, received_from: str) -> list[Operation]:
    """``from_wire`` for a chunk: the data keys of its new records are made at once (one
    write to the key store rather than one per record)."""
    from yiri.cases import keys

    items = list(items or [])
    wanted = set()
    for o in items:
        if isinstance(o, dict) and o.get("s") and (o.get("r") or o.get("t")):
            wanted.add(o.get("r") or o.get("i"))
    try:
        keys.ensure_many(uuid.UUID(str(r)) for r in wanted if r)
    except ValueError:
        pass  # an unreadable id: ``from_wire`` names it
    return [from_wire(o, received_from=received_from) for o in items]


# ---------------------------------------------------------------- entity lookup

_ENTITIES: dict[str, type[models.Model]] | None = None


def entity_models() -> dict[str, type[models.Model]]:
    """Entity name in the log -> model, for every synchronised table."""
    global _ENTITIES
    if _ENTITIES is None:
        from yiri.cases.models import RECORD_MODELS

        found: dict[str, type[models.Model]] = dict(RECORD_MODELS)
        for model in apps.get_models():
            if issubclass(model, Synced) and model not in RECORD_MODELS.values():
                found[model.sync_entity()] = model
        _ENTITIES = found
    return _ENTITIES


def is_record_entity(entity: str) -> bool:
    from yiri.cases.models import RECORD_MODELS

    return entity in RECORD_MODELS


# ---------------------------------------------------------------------- merging


@dataclass
class Decision:
    take: dict[str, Any] = field(default_factory=dict)  # path -> value to write
    stamps: dict[str, int] = field(default_factory=dict)  # path -> stamp to record
    conflicts: list[Conflict] = field(default_factory=list)
    # (path, stamp) of writes this one overwrote: a conflict they lost is moot now.
    superseded: list[tuple[str, int]] = field(default_factory=list)


def _writer_of(entity_id, stamp: int) -> tuple[str, uuid.UUID | None]:
    op = (Operation.objects.filter(entity_id=entity_id, hlc=stamp)
          .values_list("origin_node", "author_id").first())
    return op if op else ("", None)


def merge_fields(op: Operation, changes: dict[str, list], clock: FieldClock,
                 current: dict[str, Any]) -> Decision:
    """Decide, for each path the operation writes, whether its value is taken."""
    from yiri.cases import identity

    out = Decision()
    for path, (new, _old, replaced) in changes.items():
        if replaced is not None:
            out.superseded.append((path, replaced))
        local = clock.get(path)
        if local is None or local == replaced:
            out.take[path] = new
            out.stamps[path] = op.hlc
            continue
        if local == op.hlc:
            continue  # this very write (held before a purge): nothing new
        origin, author = _writer_of(op.entity_id, local)
        op_wins = node_clock.later(op.hlc, op.origin_node, local, origin)
        here = current.get(path)
        if op_wins:
            out.take[path] = new
            out.stamps[path] = op.hlc
        # Two writes that did not see each other are a conflict even when they agree: it
        # sleeps (``dormant``) while the value held is the loser's, and wakes if a later
        # write that did not see the loser changes it — the same conflicts on every node,
        # whatever order the writes came in.
        winner, loser = (new, here) if op_wins else (here, new)
        w = (op.hlc, op.origin_node, op.author_id) if op_wins else (local, origin, author)
        lo = (local, origin, author) if op_wins else (op.hlc, op.origin_node, op.author_id)
        out.conflicts.append(Conflict(
            entity=op.entity, entity_id=op.entity_id, record_type=op.record_type,
            record_id=op.record_id, path=path,
            values_blob=identity.seal({"winner": winner, "loser": loser}, identity.conflict_binding(
                op.entity_id, path, lo[0], op.record_id)),
            winner_stamp=w[0], winner_origin=w[1], winner_author_id=w[2],
            loser_stamp=lo[0], loser_origin=lo[1], loser_author_id=lo[2],
            dormant=same(here, new),
        ))
    return out


def _all_changes(op: Operation) -> dict[str, list]:
    from yiri.cases import identity

    changes = dict(op.changes or {})
    changes.update(identity.changes_of(op))
    return changes


_CURRENT = threading.local()  # whether the entity being merged has open conflicts


def _store_conflicts(conflicts: Iterable[Conflict], taken: dict[str, Any] | None = None,
                     entity_id=None, superseded: Iterable[tuple[str, int]] = (),
                     op: Operation | None = None) -> bool:
    """Keep new conflicts. A conflict whose losing write was since overwritten by a write
    that saw it (``superseded``) is moot: settled the same way on every node. One whose
    losing value is the value held now sleeps (``dormant``), and wakes when the value
    held changes to another."""
    disputed = getattr(_CURRENT, "disputed", True)
    if disputed:
        for path, stamp in superseded:
            Conflict.objects.filter(entity_id=entity_id, path=path, loser_stamp=stamp,
                                    resolved=False).update(resolved=True, resolved_at=timezone.now())
    created = False
    for c in conflicts:
        if not Conflict.objects.filter(entity_id=c.entity_id, path=c.path,
                                       loser_stamp=c.loser_stamp).exists():
            c.save(force_insert=True)
            created = True
    if taken and entity_id is not None and (disputed or created):
        from yiri.cases import identity

        for c in Conflict.objects.filter(entity_id=entity_id, path__in=list(taken), resolved=False):
            where = identity.conflict_binding(c.entity_id, c.path, c.loser_stamp, c.record_id)
            values = identity.unseal(c.values_blob, where)
            dormant = same(values.get("loser"), taken[c.path])
            newer = op is not None and op.hlc > c.winner_stamp
            if dormant != c.dormant or newer or not same(values.get("winner"), taken[c.path]):
                # What a person compares is the value held now, and who wrote it, against
                # the loser's.
                c.dormant = dormant
                c.values_blob = identity.seal({"winner": taken[c.path],
                                               "loser": values.get("loser")}, where)
                if newer:
                    c.winner_stamp, c.winner_origin = op.hlc, op.origin_node
                    c.winner_author_id = op.author_id
                c.save(update_fields=["dormant", "values_blob", "winner_stamp",
                                      "winner_origin", "winner_author_id"])
    return created


def settle_conflicts(op: Operation) -> None:
    """The conflicts this write settles (a person chose on some node)."""
    for path, loser_stamp in (op.meta or {}).get("resolves", []):
        Conflict.objects.filter(entity_id=op.entity_id, path=path, loser_stamp=loser_stamp,
                                resolved=False).update(
            resolved=True, resolved_at=timezone.now(), resolved_by_id=op.author_id,
            resolved_stamp=op.hlc)


# ----------------------------------------------------------- applying to rows


def _set_column(obj: models.Model, name: str, value: Any, m2m: dict) -> None:
    try:
        f = obj._meta.get_field(name)
    except Exception:  # a column this version does not have (a newer node): kept in the log
        return
    if f.many_to_many:
        m2m[name] = value or []
        return
    if not f.concrete:
        return
    if value is not None and not f.is_relation:
        value = f.to_python(value)
    setattr(obj, f.attname, value)


def _apply_row(op: Operation, model: type[Synced]) -> bool:
    from yiri.sync.log import m2m_value, row_values

    obj = model._base_manager.filter(pk=op.entity_id).first()
    created = obj is None
    if created:
        obj = model(pk=op.entity_id)
        obj.origin_node = op.origin_node
    clock = FieldClock(obj.field_clock)
    current = {} if created else row_values(obj)
    if not created:
        for f in model._meta.many_to_many:
            current[f.name] = m2m_value(obj, f.name)
    decision = merge_fields(op, _all_changes(op), clock, current)
    m2m: dict[str, list] = {}
    for name, value in decision.take.items():
        _set_column(obj, name, value, m2m)
    for path, stamp in decision.stamps.items():
        clock.set([path], stamp)
    obj.field_clock = clock.encoded()
    if created or decision.take:
        with applying():
            _fill_required(obj)
            obj.save(force_insert=created)
            stamped = {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields
                       if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)}
            kept = {k: v for k, v in stamped.items() if k in decision.take or
                    model._meta.get_field(k).name in decision.take}
            if kept:  # the value the writer's node set, not this node's clock
                for k in kept:
                    _set_column(obj, k, decision.take.get(k, decision.take.get(
                        model._meta.get_field(k).name)), {})
                model._base_manager.filter(pk=obj.pk).update(
                    **{k: getattr(obj, k) for k in kept})
            for name, ids in m2m.items():
                getattr(obj, name).set(ids)
    return _store_conflicts(decision.conflicts, decision.take, op.entity_id, decision.superseded,
                            op)


def _fill_required(obj: models.Model) -> None:
    """A row created from an operation whose first write left out empty values: fields
    without a default get their empty value."""
    for f in obj._meta.concrete_fields:
        if getattr(obj, f.attname) is None and not f.null and not f.has_default():
            if isinstance(f, models.DateTimeField):
                setattr(obj, f.attname, timezone.now())
            elif isinstance(f, models.CharField | models.TextField):
                setattr(obj, f.attname, "")


# -------------------------------------------------------- applying to records


def _unflatten(schema, flat: dict[str, Any], before: dict, clock: FieldClock,
               order: dict[str, list[str]]) -> dict:
    from yiri.formconfig.models import FieldType

    answers: dict[str, Any] = {}
    rows: dict[str, dict[str, dict]] = {}
    for path, value in flat.items():
        parts = path.split("/")
        if len(parts) == 3:
            rows.setdefault(parts[0], {}).setdefault(parts[1], {})[parts[2]] = value
        elif value is not None:
            answers[path] = value
    for code, by_id in rows.items():
        f = schema.fields.get(code)
        if f is None or f.type != FieldType.SUBFORM:
            continue
        known = [r.get("_id") for r in before.get(code) or []]
        ids = [i for i in known if i in by_id]
        ids += [i for i in order.get(code, []) if i in by_id and i not in ids]
        ids += sorted(i for i in by_id if i not in ids)
        # Rows are ordered by the write that created them, then as that write listed them:
        # the same order on every node whatever order the writes arrived in.
        ids.sort(key=lambda i: clock.get(f"{code}/{i}/_id") or 0)
        out_rows = []
        for i in ids:
            row = {k: v for k, v in by_id[i].items() if v is not None}
            row["_id"] = i
            out_rows.append(row)
        if out_rows:
            answers[code] = out_rows
    return answers


def _apply_record(op: Operation, model) -> bool:
    from yiri.cases import identity
    from yiri.cases.columns import derive_columns, search_tokens
    from yiri.cases.services import META_FIELDS, _store_tokens, flatten, meta_path
    from yiri.formconfig.schema import get_schema

    schema = get_schema(op.entity)
    batch: _Batch | None = getattr(_CURRENT, "batch", None)
    unsaved = batch is not None and op.entity_id in batch.unsaved
    if unsaved:
        record = batch.unsaved[op.entity_id][0]  # created earlier in this batch
    elif batch is not None and op.entity_id in batch.absent:
        record = None  # not held when the batch began, not created since: no query
        batch.absent.discard(op.entity_id)
    else:
        record = model._base_manager.filter(pk=op.entity_id).first()
    created = record is None
    if created:
        record = model(id=op.entity_id, origin_node=op.origin_node, short_id=f"~{op.entity_id.hex[:20]}",
                       created_at=node_clock.stamp_time(op.hlc), updated_at=timezone.now())
    before = {} if created else identity.read_answers(record, schema)
    flat = flatten(schema, before)
    meta_names = {meta_path(n): n for n in META_FIELDS if hasattr(record, n)}
    current = dict(flat)
    for path, name in meta_names.items():
        current[path] = plain(getattr(record, name))
    clock = FieldClock(record.field_clock)
    decision = merge_fields(op, _all_changes(op), clock, current)
    if not decision.take and not created:
        return _store_conflicts(decision.conflicts, {}, op.entity_id, decision.superseded)
    for path, value in decision.take.items():
        if path in meta_names:
            _set_meta(record, meta_names[path], value)
        elif path.startswith("@"):
            continue  # metadata this version does not know
        elif value is None:
            flat.pop(path, None)
        else:
            flat[path] = value
    for path, stamp in decision.stamps.items():
        clock.set([path], stamp)
    record.field_clock = clock.encoded()
    answers = _unflatten(schema, flat, before, clock, (op.meta or {}).get("order") or {})
    identity.write_answers(record, schema, answers)
    if batch is not None:
        derive_columns(record, answers, batch.locations)
        for code in [c for c, loc in batch.locations.items() if loc is None]:
            del batch.locations[code]  # a place unknown now may arrive later in the batch
    else:
        derive_columns(record, answers)
    record.updated_at = timezone.now()
    record.version += 1
    if batch is not None and (created or unsaved):
        # Inserted with the batch's other new records (``_Batch.finish``).
        batch.unsaved.setdefault(record.pk, (record, op))
    else:
        with applying():
            record.save(force_insert=created)
    if batch is not None:
        batch.keep_tokens(record, search_tokens(schema, answers), created)
    else:
        _store_tokens(record, search_tokens(schema, answers))
    return _store_conflicts(decision.conflicts, decision.take, op.entity_id, decision.superseded,
                            op)


def _set_meta(record, name: str, value: Any) -> None:
    f = record._meta.get_field(name)  # the column or its attname ("owner_id")
    if f.is_relation:
        target = f.related_model
        batch: _Batch | None = getattr(_CURRENT, "batch", None)
        if value is not None and not (batch is not None and batch.holds(target, value)):
            if not target._base_manager.filter(pk=value).exists():
                # A linked row this node does not hold (a case outside its scope): no link.
                value = None
            elif batch is not None:
                batch.present.add((target, value))  # rows are not deleted while applying
        setattr(record, f.attname, value)
        return
    if name == "deleted_at" and value:
        value = dt.datetime.fromisoformat(value)
    setattr(record, name, value)


# ------------------------------------------------------------------ the batch


@dataclass
class ApplyReport:
    applied: int = 0
    duplicates: int = 0
    quarantined: int = 0
    records: set = field(default_factory=set)  # (record_type, record_id) touched
    # Ids held here with another stamp (``collisions_of``): nothing was applied.
    collisions: list = field(default_factory=list)


def apply_operations(ops: list[Operation], *, received_from: str,
                     collisions_of: str | None = None) -> ApplyReport:
    """Store and merge operations from ``received_from``, in order, in one transaction.

    ``collisions_of``: a node whose operations, held here under the same id with another
    stamp, are not duplicates but new work under reused numbers (a node restored from an
    old backup, ``sync.restore``): if any, nothing is applied and the report lists them."""
    report = ApplyReport()
    with transaction.atomic():
        held = dict(Operation.objects.filter(id__in=[o.id for o in ops]).values_list("id", "hlc"))
        fresh = []
        for op in ops:
            if op.id in held:  # (an operation of this node's own, purged since, is not)
                if op.origin_node == collisions_of and held[op.id] != op.hlc:
                    report.collisions.append(op.id)
                report.duplicates += 1
                continue
            held[op.id] = op.hlc
            try:
                node_clock.check_remote(op.hlc, op.origin_node)
            except node_clock.ClockAhead as exc:
                Quarantine.objects.get_or_create(id=op.id, defaults={
                    "origin_node": op.origin_node, "received_from": received_from,
                    "payload": _kept_wire(op), "reason": str(exc)})
                report.quarantined += 1
                continue
            fresh.append(op)
        if not fresh or report.collisions:
            return report
        for op, seq in zip(fresh, node_clock.allocate_seq(len(fresh)), strict=True):
            op.seq = seq
            op.received_from = received_from
        node_clock.observe(max(op.hlc for op in fresh))
        from yiri.cases import erasure

        # A late operation on a record erased here keeps no identifying value.
        erasure.scrub_incoming(fresh)
        insert_rows(Operation, fresh)
        ids = {op.entity_id for op in fresh}
        batch = _Batch(
            purged=set(PendingPurge.objects.filter(
                record_id__in={op.record_id for op in fresh if op.record_id})
                .values_list("record_id", flat=True)),
            disputed=set(Conflict.objects.filter(entity_id__in=ids, resolved=False)
                         .values_list("entity_id", flat=True)),
            absent=_absent_records(fresh))
        for op in fresh:
            # No savepoint per operation: a failure refuses the whole chunk (the caller's
            # transaction rolls back), so there is nothing to keep of the others.
            try:
                apply_one(op, store=False, batch=batch)
            except _UNAPPLICABLE as exc:
                # Nothing of the chunk is kept (the caller's transaction rolls back): the
                # sender is told which operation and why, and sends it again once mended.
                raise _refusal(op, exc) from exc
            if op.record_id:
                report.records.add((op.record_type, op.record_id))
        batch.finish()
        # The erasures this batch brought run here too (``cases.erasure``).
        erasure.after_apply(fresh)
        report.applied = len(fresh)
    return report


_UNAPPLICABLE = (ValueError, TypeError, KeyError, AttributeError, ValidationError, IntegrityError)


def insert_rows(model: type[models.Model], objs: list[models.Model]) -> None:
    """Insert new rows of ``model`` (primary keys set) in one prepared statement run for
    each row: what ``bulk_create`` does, without the cost of building a statement of many
    rows out of query expressions (about half the time of applying a chunk of new cases).
    Values go through the fields' own ``pre_save`` and ``get_db_prep_save``, as Django's
    insert compiles them, so every database gets what it would from ``bulk_create``."""
    if not objs:
        return
    fields = [f for f in model._meta.concrete_fields if f.column]
    # The thread's own connection, not the ``connection`` proxy: each attribute read
    # through the proxy costs a thread-local lookup, and there are 20,000 a chunk.
    db = connections[DEFAULT_DB_ALIAS]
    quote = db.ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    holes = ", ".join(["%s"] * len(fields))
    rows = [tuple(f.get_db_prep_save(f.pre_save(obj, True), db) for f in fields)
            for obj in objs]
    # Bandit B608 is a false alarm: names from the model, quoted; values are parameters.
    with db.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {quote(model._meta.db_table)} ({names}) "  # nosec B608
                           f"VALUES ({holes})", rows)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = db.alias


def _refusal(op: Operation, exc: Exception) -> BadOperation:
    return BadOperation(f"l'opération n° {op.counter} du nœud {op.origin_node} ({op.entity}) "
                        f"ne peut pas être appliquée : {exc.__class__.__name__}")


def _absent_records(ops: list[Operation]) -> set:
    """The records the operations write that this node does not hold (one query a type)."""
    from yiri.cases.models import RECORD_MODELS

    by_type: dict[str, set] = {}
    for op in ops:
        if op.entity in RECORD_MODELS:
            by_type.setdefault(op.entity, set()).add(op.entity_id)
    absent: set = set()
    for entity, ids in by_type.items():
        held: set = set()
        pending = list(ids)
        for start in range(0, len(pending), 500):
            held |= set(RECORD_MODELS[entity]._base_manager.filter(
                pk__in=pending[start:start + 500]).values_list("pk", flat=True))
        absent |= ids - held
    return absent


@dataclass
class _Batch:
    """What a batch looks up once instead of for every operation."""

    purged: set = field(default_factory=set)  # records purged here whose operations wait
    disputed: set = field(default_factory=set)  # entities with open conflicts
    absent: set = field(default_factory=set)  # records not held here, not created yet
    present: set = field(default_factory=set)  # (model, pk) of linked rows seen to exist
    locations: dict = field(default_factory=dict)  # place code -> Location (derive_columns)
    # Records created by the batch are inserted at once when it ends (linked rows point to
    # them through deferred foreign keys), with their search tokens, a local index nothing
    # reads while applying.
    unsaved: dict = field(default_factory=dict)  # record pk -> (record, operation creating it)
    tokens: dict = field(default_factory=dict)  # record pk -> (record, tokens, created)

    def holds(self, model, pk) -> bool:
        """Whether a linked row is known to exist (rows are not deleted while applying)."""
        if (model, pk) in self.present:
            return True
        try:
            key = uuid.UUID(str(pk))
        except ValueError:
            return False
        return key in self.unsaved and isinstance(self.unsaved[key][0], model)

    def finish(self) -> None:
        """Insert the records the batch created, then their search tokens."""
        by_model: dict[type, list] = {}
        for record, op in self.unsaved.values():
            by_model.setdefault(type(record), []).append((record, op))
        with applying():
            for model, pairs in by_model.items():
                try:
                    with transaction.atomic():
                        insert_rows(model, [r for r, _ in pairs])
                except _UNAPPLICABLE:
                    for record, op in pairs:  # the record refused names its operation
                        try:
                            with transaction.atomic():
                                record.save(force_insert=True)
                        except _UNAPPLICABLE as exc:
                            raise _refusal(op, exc) from exc
                    raise
        self.unsaved.clear()
        self.store_tokens()

    def keep_tokens(self, record, tokens: set[str], created: bool) -> None:
        earlier = self.tokens.get(record.pk)
        self.tokens[record.pk] = (record, tokens, created or bool(earlier and earlier[2]))

    def store_tokens(self) -> None:
        from yiri.cases.models import NameToken

        if not self.tokens:
            return
        known = [pk for pk, (_, _, created) in self.tokens.items() if not created]
        for start in range(0, len(known), 500):
            NameToken.objects.filter(record_id__in=known[start:start + 500]).delete()
        # Thousands of three-column rows: one prepared statement run for each, without a
        # model object each (bulk_create's cost per row is most of the batch's).
        column = NameToken._meta.get_field("record_id")
        rows = [(record.RECORD_TYPE, column.get_db_prep_value(record.pk, connection), t)
                for record, tokens, _ in self.tokens.values() for t in sorted(tokens)]
        quote = connection.ops.quote_name
        names = ", ".join(quote(NameToken._meta.get_field(n).column)
                          for n in ("record_type", "record_id", "token"))
        # Bandit B608 is a false alarm: names from the model, quoted; values are parameters.
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {quote(NameToken._meta.db_table)} ({names}) "  # nosec B608
                               "VALUES (%s, %s, %s)", rows)
        self.tokens.clear()


def apply_one(op: Operation, *, store: bool = True, batch: _Batch | None = None) -> None:
    """Store one operation (already numbered) and merge it into its entity."""
    if store:
        try:
            with transaction.atomic():
                op.save(force_insert=True)
        except IntegrityError:
            return  # held already (raced with another exchange)
    alone = batch is None
    if batch is None:
        batch = _Batch(purged=set(PendingPurge.objects.filter(record_id=op.record_id)
                                  .values_list("record_id", flat=True)) if op.record_id else set(),
                       disputed={op.entity_id})
    if op.record_id and op.record_id in batch.purged:
        batch.purged.discard(op.record_id)
        batch.absent.discard(op.record_id)  # rebuilt now
        rebuild(op.record_type, op.record_id)
        return
    model = entity_models()[op.entity]
    if op.entity == "location":
        batch.locations.clear()
    _CURRENT.disputed = op.entity_id in batch.disputed
    _CURRENT.batch = batch
    try:
        created = (_apply_record if is_record_entity(op.entity) else _apply_row)(op, model)
    finally:
        _CURRENT.disputed = True
        _CURRENT.batch = None
    if alone:
        batch.finish()
    if created:
        batch.disputed.add(op.entity_id)
    if op.meta and op.meta.get("resolves"):
        settle_conflicts(op)


def rebuild(record_type: str, record_id) -> None:
    """A record back in this node's scope after a purge: replay every operation still
    held for it (those not yet forwarded), then the new ones."""
    PendingPurge.objects.filter(record_id=record_id).delete()
    for op in Operation.objects.filter(record_id=record_id).order_by("seq"):
        model = entity_models()[op.entity]
        if is_record_entity(op.entity):
            _apply_record(op, model)
        else:
            _apply_row(op, model)
