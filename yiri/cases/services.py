"""The only writers of records, their change log, search index and audit rows.

Every function takes the acting user, checks what that user may do, validates, writes
the record and its indexed columns, appends one operation to the change log carrying
the field changes, refreshes the search tokens and writes the audit row, all in one
transaction. ``bulk_create_records`` does the same for many records at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiri.audit.models import AuditAction
from yiri.audit.services import record_event
from yiri.formconfig.models import FieldType
from yiri.formconfig.schema import FieldDef, FormSchema, get_schema
from yiri.formconfig.validation import AnswersInvalid, validate_answers
from yiri.lib.bulk import insert_many
from yiri.lib.ids import short_id
from yiri.network.services import next_numbers, node_code
from yiri.sync import clock as node_clock
from yiri.sync import log as sync_log
from yiri.sync.fieldclock import FieldClock, stamp_strings
from yiri.sync.log import save_logged
from yiri.sync.merge import three_way
from yiri.sync.models import Operation, OpKind, record_writes

from . import blind_index, identity, keys
from .access import check_writable, forget_rights, rights_for, shares_reaching
from .columns import derive_columns, search_tokens
from .models import (
    RECORD_MODELS,
    Case,
    CaseStatus,
    NameToken,
    Record,
    RecordShare,
    ShareKind,
    assignment_permit,
)

# Record metadata that travels in the change log beside the answers ("@" paths, the name
# without "_id": "@owner", "@owning_agency"…).
META_FIELDS = ("short_id", "owner_id", "owning_agency_id", "created_by_id", "status",
               "workflow_stage", "deleted", "deleted_at", "case_id")


_FOREIGN_KEYS = {"owner_id", "owning_agency_id", "created_by_id", "case_id"}


def meta_path(name: str) -> str:
    return f"@{name.removesuffix('_id')}" if name in _FOREIGN_KEYS else f"@{name}"

# What ``bulk_create_records`` lets an import set besides the answers.
_BULK_META = {"status", "workflow_stage", "owning_agency_id", "case_id"}


class StaleRecord(Exception):
    """The record changed since the user loaded it."""


class EditConflict(StaleRecord):
    """Fields this user changed were also changed by someone else since the form was read.

    ``conflicts`` lists them (``sync.merge.Conflict``: path, base, theirs, mine,
    their_stamp); ``stamps`` are the record's stamps now, to read the form again from.
    Nothing was written.
    """

    def __init__(self, conflicts: list, stamps: dict[str, str | None],
                 kept: list[str] | None = None) -> None:
        super().__init__(_("Quelqu'un d'autre a modifié ces champs depuis que vous avez ouvert "
                           "le formulaire. Rien n'a été enregistré : choisissez la valeur à "
                           "garder pour chacun, puis enregistrez."))
        self.conflicts = conflicts
        self.stamps = stamps
        self.kept = kept or []  # paths others changed that this user left as they were


def _json(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


def flatten(schema: FormSchema, answers: dict) -> dict[str, Any]:
    """``{path: value}`` with subform rows spread as ``code/row_id/field``."""
    flat: dict[str, Any] = {}
    for code, value in answers.items():
        f = schema.fields.get(code)
        if f is not None and f.type == FieldType.SUBFORM and isinstance(value, list):
            for row in value:
                for key, v in row.items():
                    if key != "_id" and v is not None:
                        flat[f"{code}/{row['_id']}/{key}"] = v
                flat[f"{code}/{row['_id']}/_id"] = row["_id"]
        elif value is not None and value != [] and value != "":
            flat[code] = value
    return flat


def submitted_paths(schema: FormSchema, cleaned: dict) -> dict[str, Any]:
    """``{path: value}`` of exactly what a write sends, empty values included (an emptied
    field is a change), rows spread as ``code/row_id/field``."""
    out: dict[str, Any] = {}
    for code, value in cleaned.items():
        f = schema.fields.get(code)
        if f is not None and f.type == FieldType.SUBFORM:
            for row in value or []:
                for key, v in row.items():
                    if key != "_id":
                        out[f"{code}/{row['_id']}/{key}"] = v
        else:
            out[code] = value
    return out


def stamps_of(record: Record, schema: FormSchema, codes=None) -> dict[str, str | None]:
    """The stamps of the fields ``codes`` (default: all) of ``record`` as stored now, with
    every row field of subforms: what a form must send back to be merged (``update_record``
    ``base_stamps``). Paths never written carry ``None``."""
    answers = identity.read_answers(record, schema)
    paths: list[str] = []
    for code in codes if codes is not None else schema.fields:
        f = schema.fields.get(code)
        if f is None or schema.sections.get(f.section) is None:
            continue
        if f.type == FieldType.SUBFORM:
            for row in answers.get(code) or []:
                paths.extend(f"{code}/{row['_id']}/{sub}"
                             for sub in list(schema.subform_fields(f)) + ["_deleted"])
        else:
            paths.append(code)
    return stamp_strings(FieldClock(record.field_clock), paths)


_UNKNOWN_BASE = object()  # a stamp the log does not hold: no known starting value


def _values_at(record: Record, schema: FormSchema, wanted: dict[str, int | None]) -> dict[str, Any]:
    """The value each path had when it carried the stamp ``wanted[path]``, read from the
    change log (``None`` for a path never written)."""
    out: dict[str, Any] = {p: None for p, stamp in wanted.items() if stamp is None}
    by_stamp: dict[str, list[str]] = {}
    for path, stamp in wanted.items():
        if stamp is not None:
            by_stamp.setdefault(stamp, []).append(path)
    if by_stamp:
        ops = Operation.objects.filter(entity_id=record.pk, hlc__in=list(by_stamp))
        for op in ops:
            changes = dict(op.changes)
            changes.update(identity.changes_of(op))
            for path in by_stamp.get(op.hlc, []):
                if path in changes:
                    out[path] = changes[path][0]
    missing = [p for p in wanted if p not in out]
    if missing:
        # A stamp the log does not hold (forged or from another record): no known base,
        # so the field counts as changed by someone else.
        out.update({p: _UNKNOWN_BASE for p in missing})
    return out


def _merge_submission(schema: FormSchema, record: Record, current: dict, cleaned: dict,
                      base_stamps: dict) -> dict:
    """Three-way merge of a submission read at ``base_stamps`` (``sync.merge``): returns
    the part of ``cleaned`` to write, or raises ``EditConflict``."""
    mine = submitted_paths(schema, cleaned)
    theirs = flatten(schema, current)
    clock = FieldClock(record.field_clock)
    # A path the writer sent no stamp for was read as never written: if someone has written
    # it since, a different value is a conflict, never a silent overwrite. A stamp that is
    # not a stamp (-1) matches no operation: its base is unknown, so it conflicts too.
    stamps = {p: (None if base_stamps.get(p) in (None, "")
                  else (node_clock.parse(base_stamps[p]) if node_clock.parse(base_stamps[p]) is not None
                        else -1)) for p in mine}
    stale = {p: stamps[p] for p in mine if stamps[p] != clock.get(p)}
    base = _values_at(record, schema, stale)
    result = three_way(mine, base, stamps, theirs, {p: clock.get(p) for p in mine})
    result.conflicts = [replace(c, their_stamp=str(c.their_stamp) if c.their_stamp is not None else None)
                        for c in result.conflicts]
    result.conflicts = [replace(c, base=None) if c.base is _UNKNOWN_BASE else c
                        for c in result.conflicts]
    if result.conflicts:
        raise EditConflict(result.conflicts, stamps_of(record, schema, list(cleaned)), result.kept)
    keep: dict[str, Any] = {}
    for code, value in cleaned.items():
        f = schema.fields[code]
        if f.type != FieldType.SUBFORM:
            if code in result.apply:
                keep[code] = value
            continue
        rows = []
        for row in value or []:
            picked = {k: v for k, v in row.items()
                      if k == "_id" or f"{code}/{row['_id']}/{k}" in result.apply}
            if len(picked) > 1:
                rows.append(picked)
        if rows:
            keep[code] = rows
    return keep


def _is_identifying(schema: FormSchema, path: str) -> bool:
    parts = path.split("/")
    f = schema.fields.get(parts[0])
    if f is None:
        return False
    if len(parts) == 3:
        sub = schema.subform_fields(f).get(parts[2])
        return bool(sub and sub.identifying)
    return f.identifying


def merge_answers(schema: FormSchema, current: dict, submitted: dict) -> dict:
    """Apply cleaned ``submitted`` answers onto ``current``; rows merge by ``_id``."""
    merged = {k: (list(v) if isinstance(v, list) else v) for k, v in current.items()}
    for code, value in submitted.items():
        f = schema.fields[code]
        if f.type != FieldType.SUBFORM:
            merged[code] = value
            continue
        rows = [dict(r) for r in merged.get(code) or []]
        index = {r["_id"]: r for r in rows}
        for row in value or []:
            if row["_id"] in index:
                index[row["_id"]].update(row)
            else:
                rows.append(dict(row))
        merged[code] = rows
    return merged


@dataclass
class _Prepared:
    record: Record
    operation: Operation
    tokens: set[str]
    changed_fields: list[str]


def _prepare(
    schema: FormSchema, record: Record, current: dict, new: dict, meta_old: dict,
    *, user, kind: str, allocated: tuple[int, int, int], location_cache: dict | None = None,
    extra_meta: dict | None = None,
) -> _Prepared | None:
    """Compute the change, stamp it, and update the record in memory (not saved)."""
    counter, stamp, seq = allocated
    clock = FieldClock(record.field_clock)
    old_flat, new_flat = flatten(schema, current), flatten(schema, new)
    changes: dict[str, list] = {}
    sealed: dict[str, list] = {}
    for path in sorted(old_flat.keys() | new_flat.keys()):
        old, value = old_flat.get(path), new_flat.get(path)
        if old != value:
            target = sealed if _is_identifying(schema, path) else changes
            target[path] = [value, old, clock.get(path)]
    for name in META_FIELDS:
        if not hasattr(record, name):
            continue
        old, value = sync_log.plain(meta_old.get(name)), sync_log.plain(getattr(record, name, None))
        if old != value and not (kind == OpKind.CREATE and value in (None, "", False)):
            changes[meta_path(name)] = [value, old, clock.get(meta_path(name))]
    if not changes and not sealed and kind == OpKind.UPDATE and not (extra_meta or {}).get("resolves"):
        return None  # (a write that settles conflicts is logged even if it keeps the value)
    clock.set(list(changes) + list(sealed), stamp)
    record.field_clock = clock.encoded()
    identity.write_answers(record, schema, new)
    derive_columns(record, new, location_cache)
    now = timezone.now()
    record.updated_at = now
    if kind == OpKind.CREATE:
        record.created_at = now
    record.version += 1
    meta = {"form": schema.version, **(extra_meta or {})}
    order = _new_rows(schema, current, new)
    if order:
        meta["order"] = order
    op = sync_log.build(
        counter=counter, stamp=stamp, seq=seq, entity=record.RECORD_TYPE, entity_id=record.pk,
        kind=kind, author_id=user.pk if user else None, changes=changes,
        sealed=sealed,
        record=(record.RECORD_TYPE, record.pk), meta=meta,
    )
    fields = sorted({p.split("/")[0] for p in list(changes) + list(sealed)})
    return _Prepared(record, op, search_tokens(schema, new), fields)


def _new_rows(schema: FormSchema, current: dict, new: dict) -> dict[str, list[str]]:
    """The ids of the subform rows this write adds, in their order (rows are ordered by the
    stamp that created them, then by this order, on every node)."""
    out: dict[str, list[str]] = {}
    for code, value in new.items():
        f = schema.fields.get(code)
        if f is None or f.type != FieldType.SUBFORM or not isinstance(value, list):
            continue
        before = {r.get("_id") for r in current.get(code) or []}
        added = [r["_id"] for r in value if r.get("_id") not in before]
        if added:
            out[code] = added
    return out


def _meta(record: Record) -> dict:
    return {name: getattr(record, name, None) for name in META_FIELDS}


def _insert_tokens(rows: list[tuple[str, Any, str]]) -> None:
    """Insert ``(record type, record id, token)`` rows in one prepared statement: a bulk
    import has some thirty tokens per record, millions for a large file, and building a
    model instance for each cost more than the insert itself."""
    if not rows:
        return
    from django.db import connection

    table = connection.ops.quote_name(NameToken._meta.db_table)
    id_field = NameToken._meta.get_field("record_id")
    ids: dict = {}
    params = [(rt, ids.get(rid) or ids.setdefault(rid, id_field.get_db_prep_value(rid, connection)), t)
              for rt, rid, t in rows]
    params.sort(key=itemgetter(2))  # in the order of the token index: fewer pages touched
    sql = (f"INSERT INTO {table} (record_type, record_id, token) "  # nosec B608: names from the model
           "VALUES (%s, %s, %s)")
    with connection.cursor() as cursor:
        for start in range(0, len(params), 20000):
            cursor.executemany(sql, params[start:start + 20000])


def _store_tokens(record: Record, tokens: set[str]) -> None:
    NameToken.objects.filter(record_id=record.pk).delete()
    NameToken.objects.bulk_create(
        NameToken(record_type=record.RECORD_TYPE, record_id=record.pk, token=t) for t in sorted(tokens)
    )


def _require(user, action: str, record_type: str) -> None:
    if not user.can(action, record_type):
        raise PermissionDenied(_("Votre rôle ne permet pas cette action."))


def _new_record(user, record_type: str, number: int, owner=None, agency=None,
                prefix: str | None = None) -> Record:
    model = RECORD_MODELS[record_type]
    owner = owner or user
    return model(
        id=uuid.uuid4(), short_id=short_id(prefix or node_code(), number, record_type),
        origin_node=settings.YIRI_NODE_ID, owner=owner, created_by=user,
        owning_agency=agency or getattr(owner, "agency", None), status=CaseStatus.OPEN,
    )


def create_record(user, record_type: str, answers: dict, *, request=None) -> Record:
    """Register a new record owned by ``user`` in ``user``'s agency."""
    if record_type not in RECORD_MODELS:
        raise AnswersInvalid({"record_type": [_("Type de dossier inconnu.")]})
    _require(user, "create", record_type)
    schema = get_schema(record_type)
    check_writable(user, schema, answers.keys() if isinstance(answers, dict) else [],
                   answers=answers if isinstance(answers, dict) else None, current={})
    # Every required field of the form, whichever section it sits in (an incident without
    # its child section is not a record anyone can act on).
    cleaned = validate_answers(schema, answers,
                               check_required_sections={s.code for s in schema.main_sections})
    with transaction.atomic():
        (number,) = next_numbers(f"short_id:{record_type}")
        record = _new_record(user, record_type, number)
        new = merge_answers(schema, {}, cleaned)
        prepared = _prepare(schema, record, {}, new, {}, user=user, kind=OpKind.CREATE,
                            allocated=node_clock.allocate(1)[0])
        with record_writes():
            record.save(force_insert=True)
        prepared.operation.save(force_insert=True)
        _store_tokens(record, prepared.tokens)
        record_event(AuditAction.CREATE, user=user, request=request, record_type=record_type,
                     record_id=record.pk, fields=prepared.changed_fields)
    return record


def update_record(
    user, record: Record, answers: dict, *, section: str | None = None,
    expected_version: int | None = None, base_stamps: dict | None = None, request=None,
    extra_meta: dict | None = None,
) -> Record:
    """Change some answers of ``record`` (fetched through ``access_record``).

    With ``section``, only fields of that section are accepted. The user's rights on this
    record apply (``cases.access.rights_for``: a referral's recipient writes only the rows
    the referral grants; a closed record is read-only).

    ``base_stamps`` (``{path: stamp}`` as ``stamps_of`` gave them when the form was read;
    a path left out counts as read never written) makes the write a three-way merge
    (``sync.merge``): fields the user did not change are not written, a field changed by
    someone else since then and by this user raises ``EditConflict`` (nothing written),
    changes of different fields by two people both survive. Without it,
    ``expected_version`` refuses any write on a record changed since that version
    (``StaleRecord``).
    """
    rt = record.RECORD_TYPE
    _require(user, "edit", rt)
    schema = get_schema(rt)
    if not isinstance(answers, dict):
        raise AnswersInvalid({"__all__": [_("Les réponses doivent être un objet.")]})
    if base_stamps is not None and not isinstance(base_stamps, dict):
        raise AnswersInvalid({"stamps": [_("Les marques de version doivent être un objet.")]})
    if section is not None:
        if section not in schema.sections or schema.sections[section].is_subform:
            raise AnswersInvalid({"section": [_("Section inconnue.")]})
        outside = [c for c in answers if c in schema.fields and schema.fields[c].section != section]
        if outside:
            raise AnswersInvalid({c: [_("Ce champ n'appartient pas à cette section.")] for c in outside})
    with transaction.atomic():
        locked = type(record).objects.select_for_update().get(pk=record.pk)
        if locked.deleted:
            raise PermissionDenied(_("Ce dossier a été supprimé."))
        rights = rights_for(user, locked)
        if not rights.can("edit"):
            raise PermissionDenied(
                _("Vous ne pouvez pas modifier ce dossier.") if rights.is_open
                else _("Ce dossier n'est pas ouvert : rouvrez-le pour le modifier."))
        current = identity.read_answers(locked, schema)
        check_writable(user, schema, answers.keys(), record=locked, answers=answers,
                       current=current)
        if base_stamps is None and expected_version is not None and locked.version != expected_version:
            raise StaleRecord(_("Ce dossier a été modifié par quelqu'un d'autre entre-temps. "
                                "Rechargez la page : vos changements n'ont pas été enregistrés."))
        cleaned = validate_answers(schema, answers, current=current)
        if base_stamps is not None:
            cleaned = _merge_submission(schema, locked, current, cleaned, base_stamps)
        new = merge_answers(schema, current, cleaned)
        prepared = _prepare(schema, locked, current, new, _meta(locked), user=user,
                            kind=OpKind.UPDATE, allocated=node_clock.allocate(1)[0],
                            extra_meta=extra_meta)
        if prepared is None:
            return locked
        with record_writes():
            locked.save()
        prepared.operation.save(force_insert=True)
        _store_tokens(locked, prepared.tokens)
        _grant_added_rows(user, locked, schema, current, cleaned)
        record_event(AuditAction.UPDATE, user=user, request=request, record_type=rt,
                     record_id=locked.pk, fields=prepared.changed_fields)
    return locked


def _grant_added_rows(user, record: Record, schema: FormSchema, current: dict, cleaned: dict) -> None:
    """A share holder who adds a row (a follow-up under a referral) may write that row
    later: the share that allowed adding it now names it."""
    rights = rights_for(user, record)
    if rights.full:
        return
    for code, value in cleaned.items():
        f = schema.fields[code]
        if f.type != FieldType.SUBFORM or code not in rights.add_rows:
            continue
        existing = {r.get("_id") for r in current.get(code) or []}
        added = [r["_id"] for r in value or [] if r["_id"] not in existing]
        if not added:
            continue
        share = next((sh for sh in shares_reaching(user, record.RECORD_TYPE, [record.pk],
                                                   oversight=False)
                      .select_for_update().order_by("created_at")
                      if code in (sh.rows_add or [])), None)
        if share is None:
            continue
        rows = {k: list(v) for k, v in (share.rows_write or {}).items()}
        rows[code] = sorted(set(rows.get(code, [])) | set(added))
        share.rows_write = rows
        save_logged(user, share)


# What an incident or a tracing request starts from when registered from a case: its
# field <- the case's field. A tracing request's child sought is one ``traces`` row.
FROM_CASE = {
    "incident": {"survivor_age": "age", "survivor_sex": "sex",
                 "survivor_nationality": "nationality",
                 "survivor_protection_status": "protection_status"},
    "tracing_request": {"traces": {
        "sought_name_first": "name_first", "sought_name_last": "name_last",
        "sought_name_nickname": "name_nickname", "sought_sex": "sex", "sought_age": "age",
        "sought_date_of_birth": "date_of_birth", "sought_nationality": "nationality",
        "separation_date": "separation_date", "separation_cause": "separation_cause",
        "trace_status": None,
    }},
}


def answers_from_case(user, record_type: str, case) -> dict:
    """Answers to prefill a new ``record_type`` linked to ``case``, from what ``user``
    may read of the case (nothing they may not read is copied)."""
    from .access import visible_answers

    case_schema, schema = get_schema("case"), get_schema(record_type)
    source = visible_answers(user, case_schema, identity.read_answers(case, case_schema), case)

    def value(target: FieldDef, code: str | None):
        v = source.get(code) if code else None
        if isinstance(v, list) and target.type != FieldType.MULTISELECT:
            v = v[0] if v else None  # one nationality where the form takes one
        if isinstance(v, str) and target.type == FieldType.MULTISELECT:
            v = [v]
        if target.lookup and v is not None:
            allowed = schema.lookups[target.lookup].values if target.lookup in schema.lookups else {}
            v = [x for x in v if x in allowed] if isinstance(v, list) else (v if v in allowed else None)
        return v

    out: dict = {}
    for code, mapping in FROM_CASE.get(record_type, {}).items():
        f = schema.fields.get(code)
        if f is None:
            continue
        if isinstance(mapping, dict):
            subs = schema.subform_fields(f)
            row = {k: value(subs[k], src) for k, src in mapping.items() if k in subs}
            if "trace_status" in subs and subs["trace_status"].lookup in schema.lookups:
                row["trace_status"] = next(iter(schema.lookups[subs["trace_status"].lookup].values))
            row = {k: v for k, v in row.items() if v not in (None, "", [])}
            if len(row) > 1:
                out[code] = [row]
        else:
            v = value(f, mapping)
            if v not in (None, "", []):
                out[code] = v
    return out


def set_record_meta(user, record: Record, action: str, audit: str, request=None, *,
                    extra_meta: dict | None = None, **attrs) -> Record:
    """Change record metadata (owner, owning agency, status, stage, tombstone) with a
    change-log entry and an audit row. Callers check the user's right first.
    ``extra_meta`` goes in the operation's meta (``{"resolves": […]}``: the conflicts
    this write settles, ``sync.conflicts``)."""
    return _logged_write(user, record, None, action, audit, request, extra_meta, attrs)


def rewrite_answers(user, record: Record, new_answers: dict, action: str, audit: str,
                    request=None, *, extra_meta: dict | None = None, **attrs) -> Record:
    """Write ``new_answers`` (already clean: answers another record held, or this
    record's own before a merge) as the record's whole answers, with its metadata
    ``attrs``, as one logged operation, refreshed search tokens and one audit row naming
    the fields changed. For merging two records and undoing it (``matching.merge``): the
    caller checks the user's right first, as for ``set_record_meta``; the user's section
    rights do not apply, since nothing of either record may be lost."""
    return _logged_write(user, record, new_answers, action, audit, request, extra_meta, attrs)


def _logged_write(user, record: Record, new_answers: dict | None, action: str, audit: str,
                  request, extra_meta: dict | None, attrs: dict) -> Record:
    """One locked write of ``record``'s metadata ``attrs`` and, unless ``new_answers`` is
    None, of its whole answers: one operation, one audit row (``set_record_meta``,
    ``rewrite_answers``)."""
    schema = get_schema(record.RECORD_TYPE)
    with transaction.atomic():
        locked = type(record).objects.select_for_update().get(pk=record.pk)
        before = _meta(locked)
        for name, value in attrs.items():
            setattr(locked, name, value)
        current = identity.read_answers(locked, schema)
        kind = OpKind.DELETE if attrs.get("deleted") else OpKind.UPDATE
        answers = current if new_answers is None else new_answers
        prepared = _prepare(schema, locked, current, answers, before, user=user, kind=kind,
                            allocated=node_clock.allocate(1)[0], extra_meta=extra_meta)
        if prepared is None:
            return locked
        with record_writes():
            locked.save()
        forget_rights(locked)
        prepared.operation.save(force_insert=True)
        if new_answers is None:
            details = {k: _json(v) for k, v in attrs.items()
                       if k in META_FIELDS and k not in ("deleted", "deleted_at")}
        else:
            _store_tokens(locked, prepared.tokens)
            details = {"fields": prepared.changed_fields}
        record_event(audit, user=user, request=request, record_type=record.RECORD_TYPE,
                     record_id=locked.pk, action_name=action, **details)
    return locked


def delete_record(user, record: Record, *, request=None) -> Record:
    """Tombstone: the record disappears from every list but stays in the database."""
    _require(user, "delete", record.RECORD_TYPE)
    record = set_record_meta(user, record, "delete", AuditAction.DELETE, request, deleted=True,
                          deleted_at=timezone.now())
    return record


def assign_record(user, record: Record, assignee, *, request=None) -> Record:
    """Give ``assignee`` access to ``record`` as an assigned user (supervisor action)."""
    _require(user, "assign", record.RECORD_TYPE)
    if not assignee.is_active or not assignee.can("view", record.RECORD_TYPE):
        raise PermissionDenied(_("Cet utilisateur ne peut pas recevoir de dossiers."))
    with transaction.atomic():
        already = RecordShare.objects.filter(
            record_type=record.RECORD_TYPE, record_id=record.pk, kind=ShareKind.ASSIGNED,
            user=assignee, active=True, deleted=False,
        ).exists()
        if not already:
            share = RecordShare(
                record_type=record.RECORD_TYPE, record_id=record.pk, kind=ShareKind.ASSIGNED,
                user=assignee, agency=assignee.agency, created_by=user, **assignment_permit(),
            )
            save_logged(user, share, created=True)
        record_event(AuditAction.ASSIGN, user=user, request=request, record_type=record.RECORD_TYPE,
                     record_id=record.pk, assignee=str(assignee.pk))
    return record


def bulk_create_records(
    user, record_type: str, items: list[dict], *, owners: list | None = None,
    validate: bool = True, created_at: list | None = None, meta: list[dict] | None = None,
    action: str = "create", audit_details: dict | None = None,
    location_cache: dict | None = None,
) -> list[Record]:
    """Create many records in one transaction through the same preparation as
    ``create_record`` (used by imports and the demo generator).

    ``owners`` gives each record's owner (default: ``user``). With ``validate`` off the
    answers must already be clean (generated data); permission checks always apply.
    ``meta`` gives each record's starting metadata (``status``, ``workflow_stage``, an
    incident's ``case_id``…) for records imported mid-way; it is set before the change is
    computed, so the change log carries it like any other value.
    ``action`` is the right checked (``"import"`` for a file import, ``imports``);
    ``audit_details`` go in the one audit row (the import batch). ``location_cache``
    (``{code: Location}``) may be shared by the calls of one import made in chunks.
    """
    if action not in ("create", "import"):
        raise ValueError(f"bulk_create_records: unknown action {action}")
    _require(user, action, record_type)
    if user.role is None and not user.is_superuser:
        raise PermissionDenied(_("Votre rôle ne permet pas cette action."))
    model = RECORD_MODELS[record_type]
    schema = get_schema(record_type)
    location_cache = {} if location_cache is None else location_cache
    with transaction.atomic():
        numbers = next_numbers(f"short_id:{record_type}", len(items))
        prefix = node_code()
        ops = node_clock.allocate(len(items))
        records, operations, tokens = [], [], []
        for i in range(len(items)):
            owner = owners[i] if owners else user
            record = _new_record(user, record_type, numbers[i], owner=owner, prefix=prefix)
            for name, value in (meta[i] if meta else {}).items():
                if name not in _BULK_META or not hasattr(record, name):
                    raise ValueError(f"bulk_create_records: {name} cannot be set on a {record_type}")
                setattr(record, name, value)
            records.append(record)
        # The records' data keys in one write of the key store, not one (synchronous) write
        # per record when each is first sealed; they and the index keys are then read once.
        with keys.new_records(r.pk for r in records), blind_index.steady_ring():
            for i, (answers, record) in enumerate(zip(items, records, strict=True)):
                cleaned = validate_answers(schema, answers) if validate else answers
                p = _prepare(schema, record, {}, merge_answers(schema, {}, cleaned), {}, user=user,
                             kind=OpKind.CREATE, allocated=ops[i], location_cache=location_cache)
                if created_at:
                    record.created_at = record.updated_at = created_at[i]
                operations.append(p.operation)
                pk = record.pk
                tokens.extend([(record_type, pk, t) for t in p.tokens])
        with record_writes():
            insert_many(model, records)
        insert_many(Operation, operations)
        _insert_tokens(tokens)
        record_event(AuditAction.IMPORT, user=user, record_type=record_type, count=len(records),
                     **(audit_details or {}))
    return records


def rebuild_search_tokens(record_type: str, *, batch_size: int = 2000, ids=None,
                          progress: Callable[[int, int], None] | None = None) -> int:
    """Recompute the search tokens of every record of ``record_type`` (or of ``ids``)
    under the current index key (after the indexed fields or the key change).

    Tokens are a local, derived index: no change-log entry, nothing to synchronise.
    ``progress(done, total)`` is called after each batch.
    """
    model = RECORD_MODELS[record_type]
    schema = get_schema(record_type)
    done = 0
    if ids is None:
        ids = model.objects.order_by("pk").values_list("pk", flat=True)
    ids = list(ids)
    for start in range(0, len(ids), batch_size):
        chunk = ids[start:start + batch_size]
        with transaction.atomic():
            NameToken.objects.filter(record_type=record_type, record_id__in=chunk).delete()
            tokens = [
                NameToken(record_type=record_type, record_id=record.pk, token=t)
                for record in model.objects.filter(pk__in=chunk)
                for t in sorted(search_tokens(schema, identity.read_answers(record, schema)))
            ]
            NameToken.objects.bulk_create(tokens, batch_size=5000)
        done += len(chunk)
        if progress:
            progress(done, len(ids))
    return done


DASHBOARD_COLUMNS = ("identified_by", "services", "next_due", "missing_required")  # columns.dashboard_columns


def rederive_case_columns(*, batch_size: int = 2000, ids=None,
                          progress: Callable[[int, int], None] | None = None) -> int:
    """Recompute the dashboard's derived columns of every case (or of ``ids``) from its
    answers: after the migration that added them, or a form change that made a field
    required. Like the search tokens, a local index of the answers (each node derives
    them itself, no change-log entry): written in bulk under ``raw_writes``."""
    from yiri.sync.models import raw_writes

    from .columns import dashboard_columns

    schema = get_schema("case")
    if ids is None:
        ids = Case.objects.order_by("pk").values_list("pk", flat=True)
    ids = list(ids)
    done = 0
    for start in range(0, len(ids), batch_size):
        chunk = ids[start:start + batch_size]
        cases = list(Case.objects.filter(pk__in=chunk))
        for case in cases:
            try:
                columns = dashboard_columns(identity.read_answers(case, schema))
            except identity.Unreadable:
                # Its key is not on this node (a copied database without its keys): what
                # the clear answers give; the missing-answer count needs the sealed ones.
                columns = dashboard_columns(case.data or {})
                del columns["missing_required"]
            for name, value in columns.items():
                setattr(case, name, value)
        with transaction.atomic(), raw_writes():
            Case.objects.bulk_update(cases, DASHBOARD_COLUMNS, batch_size=500)
        done += len(chunk)
        if progress:
            progress(done, len(ids))
    return done
