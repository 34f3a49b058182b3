"""The only writers of records, their change log, search index and audit rows.

Every function takes the acting user, checks what that user may do, validates, writes
the record and its indexed columns, appends one operation to the change log carrying
the field changes, refreshes the search tokens and writes the audit row, all in one
transaction. ``bulk_create_records`` does the same for many records at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiri.audit.models import AuditAction
from yiri.audit.services import record_event
from yiri.formconfig.models import FieldType
from yiri.formconfig.schema import FormSchema, get_schema
from yiri.formconfig.validation import AnswersInvalid, validate_answers
from yiri.lib.ids import short_id
from yiri.network.services import next_numbers
from yiri.sync.changelog import build_operation, new_operations, save_logged
from yiri.sync.models import Operation, OpKind

from . import identity
from .access import check_writable
from .columns import derive_columns, search_tokens
from .models import RECORD_MODELS, CaseStatus, NameToken, Record, RecordShare, ShareKind

# Record metadata that travels in the change log beside the answers ("@" paths).
META_FIELDS = ("owner_id", "owning_agency_id", "status", "workflow_stage", "deleted", "case_id")
# What ``bulk_create_records`` lets an import set besides the answers.
_BULK_META = {"status", "workflow_stage", "owning_agency_id", "case_id"}


class StaleRecord(Exception):
    """The record changed since the user loaded it."""


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
    *, user, kind: str, counter: int, hlc: str, location_cache: dict | None = None,
) -> _Prepared | None:
    """Compute the change, stamp it, and update the record in memory (not saved)."""
    old_flat, new_flat = flatten(schema, current), flatten(schema, new)
    changes: dict[str, list] = {}
    sealed: dict[str, list] = {}
    for path in sorted(old_flat.keys() | new_flat.keys()):
        old, value = old_flat.get(path), new_flat.get(path)
        if old != value:
            target = sealed if _is_identifying(schema, path) else changes
            target[path] = [value, old, record.field_clock.get(path)]
    for name in META_FIELDS:
        old, value = _json(meta_old.get(name)), _json(getattr(record, name, None))
        if old != value:
            changes[f"@{name.removesuffix('_id')}"] = [value, old, record.field_clock.get(f"@{name}")]
    if not changes and not sealed and kind == OpKind.UPDATE:
        return None
    clock = dict(record.field_clock)
    for path in list(changes) + list(sealed):
        clock[path] = hlc
    record.field_clock = clock
    identity.write_answers(record, schema, new)
    derive_columns(record, new, location_cache)
    now = timezone.now()
    record.updated_at = now
    if kind == OpKind.CREATE:
        record.created_at = now
    record.version += 1
    op = build_operation(
        counter=counter, hlc=hlc, entity=record.RECORD_TYPE, entity_id=record.pk, kind=kind,
        author_id=user.pk if user else None, changes=changes,
        sealed_changes=identity.seal(sealed) if sealed else "",
    )
    fields = sorted({p.split("/")[0] for p in list(changes) + list(sealed)})
    return _Prepared(record, op, search_tokens(schema, new), fields)


def _meta(record: Record) -> dict:
    return {name: getattr(record, name, None) for name in META_FIELDS}


def _store_tokens(record: Record, tokens: set[str]) -> None:
    NameToken.objects.filter(record_id=record.pk).delete()
    NameToken.objects.bulk_create(
        NameToken(record_type=record.RECORD_TYPE, record_id=record.pk, token=t) for t in sorted(tokens)
    )


def _require(user, action: str, record_type: str) -> None:
    if not user.can(action, record_type):
        raise PermissionDenied(_("Votre rôle ne permet pas cette action."))


def _new_record(user, record_type: str, number: int, owner=None, agency=None) -> Record:
    model = RECORD_MODELS[record_type]
    owner = owner or user
    return model(
        id=uuid.uuid4(), short_id=short_id(settings.YIRI_NODE_CODE, number, record_type),
        origin_node=settings.YIRI_NODE_ID, owner=owner, created_by=user,
        owning_agency=agency or getattr(owner, "agency", None), status=CaseStatus.OPEN,
    )


def create_record(user, record_type: str, answers: dict, *, request=None) -> Record:
    """Register a new record owned by ``user`` in ``user``'s agency."""
    if record_type not in RECORD_MODELS:
        raise AnswersInvalid({"record_type": [_("Type de dossier inconnu.")]})
    _require(user, "create", record_type)
    schema = get_schema(record_type)
    check_writable(user, schema, answers.keys() if isinstance(answers, dict) else [])
    first = schema.main_sections[0].code if schema.main_sections else None
    cleaned = validate_answers(schema, answers, check_required_sections={first} if first else None)
    with transaction.atomic():
        (number,) = next_numbers(f"short_id:{record_type}")
        record = _new_record(user, record_type, number)
        new = merge_answers(schema, {}, cleaned)
        (counter, hlc), = new_operations(1)
        prepared = _prepare(schema, record, {}, new, {}, user=user, kind=OpKind.CREATE,
                            counter=counter, hlc=hlc)
        record.save(force_insert=True)
        prepared.operation.save(force_insert=True)
        _store_tokens(record, prepared.tokens)
        record_event(AuditAction.CREATE, user=user, request=request, record_type=record_type,
                     record_id=record.pk, fields=prepared.changed_fields)
    return record


def update_record(
    user, record: Record, answers: dict, *, section: str | None = None,
    expected_version: int | None = None, request=None,
) -> Record:
    """Change some answers of ``record`` (fetched through ``access_record``).

    With ``section``, only fields of that section are accepted. With ``expected_version``,
    a record changed meanwhile by someone else is refused instead of silently overwritten.
    """
    rt = record.RECORD_TYPE
    _require(user, "edit", rt)
    schema = get_schema(rt)
    if not isinstance(answers, dict):
        raise AnswersInvalid({"__all__": [_("Les réponses doivent être un objet.")]})
    if section is not None:
        if section not in schema.sections or schema.sections[section].is_subform:
            raise AnswersInvalid({"section": [_("Section inconnue.")]})
        outside = [c for c in answers if c in schema.fields and schema.fields[c].section != section]
        if outside:
            raise AnswersInvalid({c: [_("Ce champ n'appartient pas à cette section.")] for c in outside})
    check_writable(user, schema, answers.keys())
    with transaction.atomic():
        locked = type(record).objects.select_for_update().get(pk=record.pk)
        if locked.deleted:
            raise PermissionDenied(_("Ce dossier a été supprimé."))
        if expected_version is not None and locked.version != expected_version:
            raise StaleRecord(_("Ce dossier a été modifié par quelqu'un d'autre entre-temps. "
                                "Rechargez la page : vos changements n'ont pas été enregistrés."))
        current = identity.read_answers(locked, schema)
        cleaned = validate_answers(schema, answers, current=current)
        new = merge_answers(schema, current, cleaned)
        (counter, hlc), = new_operations(1)
        prepared = _prepare(schema, locked, current, new, _meta(locked), user=user,
                            kind=OpKind.UPDATE, counter=counter, hlc=hlc)
        if prepared is None:
            return locked
        locked.save()
        prepared.operation.save(force_insert=True)
        _store_tokens(locked, prepared.tokens)
        record_event(AuditAction.UPDATE, user=user, request=request, record_type=rt,
                     record_id=locked.pk, fields=prepared.changed_fields)
    return locked


def set_record_meta(user, record: Record, action: str, audit: str, request=None, **attrs) -> Record:
    """Change record metadata (owner, owning agency, status, stage, tombstone) with a
    change-log entry and an audit row. Callers check the user's right first."""
    schema = get_schema(record.RECORD_TYPE)
    with transaction.atomic():
        locked = type(record).objects.select_for_update().get(pk=record.pk)
        before = _meta(locked)
        for name, value in attrs.items():
            setattr(locked, name, value)
        current = identity.read_answers(locked, schema)
        (counter, hlc), = new_operations(1)
        kind = OpKind.DELETE if attrs.get("deleted") else OpKind.UPDATE
        prepared = _prepare(schema, locked, current, current, before, user=user, kind=kind,
                            counter=counter, hlc=hlc)
        if prepared is None:
            return locked
        locked.save()
        prepared.operation.save(force_insert=True)
        record_event(audit, user=user, request=request, record_type=record.RECORD_TYPE,
                     record_id=locked.pk, action_name=action,
                     **{k: _json(v) for k, v in attrs.items() if k in META_FIELDS and k != "deleted"})
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
                user=assignee, agency=assignee.agency, created_by=user,
            )
            save_logged(user, share, entity="record_share", created=True)
        record_event(AuditAction.ASSIGN, user=user, request=request, record_type=record.RECORD_TYPE,
                     record_id=record.pk, assignee=str(assignee.pk))
    return record


def bulk_create_records(
    user, record_type: str, items: list[dict], *, owners: list | None = None,
    validate: bool = True, created_at: list | None = None, meta: list[dict] | None = None,
) -> list[Record]:
    """Create many records in one transaction through the same preparation as
    ``create_record`` (used by imports and the demo generator).

    ``owners`` gives each record's owner (default: ``user``). With ``validate`` off the
    answers must already be clean (generated data); permission checks always apply.
    ``meta`` gives each record's starting metadata (``status``, ``workflow_stage``, an
    incident's ``case_id``…) for records imported mid-way; it is set before the change is
    computed, so the change log carries it like any other value.
    """
    _require(user, "create", record_type)
    if user.role is None and not user.is_superuser:
        raise PermissionDenied(_("Votre rôle ne permet pas cette action."))
    model = RECORD_MODELS[record_type]
    schema = get_schema(record_type)
    location_cache: dict = {}
    with transaction.atomic():
        numbers = next_numbers(f"short_id:{record_type}", len(items))
        ops = new_operations(len(items))
        records, operations, tokens = [], [], []
        for i, answers in enumerate(items):
            cleaned = validate_answers(schema, answers) if validate else answers
            owner = owners[i] if owners else user
            record = _new_record(user, record_type, numbers[i], owner=owner)
            for name, value in (meta[i] if meta else {}).items():
                if name not in _BULK_META or not hasattr(record, name):
                    raise ValueError(f"bulk_create_records: {name} cannot be set on a {record_type}")
                setattr(record, name, value)
            counter, hlc = ops[i]
            p = _prepare(schema, record, {}, merge_answers(schema, {}, cleaned), {}, user=user,
                         kind=OpKind.CREATE, counter=counter, hlc=hlc, location_cache=location_cache)
            if created_at:
                record.created_at = record.updated_at = created_at[i]
            records.append(record)
            operations.append(p.operation)
            tokens.extend(NameToken(record_type=record_type, record_id=record.pk, token=t) for t in p.tokens)
        model.objects.bulk_create(records, batch_size=1000)
        Operation.objects.bulk_create(operations, batch_size=1000)
        NameToken.objects.bulk_create(tokens, batch_size=5000)
        record_event(AuditAction.IMPORT, user=user, record_type=record_type, count=len(records))
    return records


def rebuild_search_tokens(record_type: str, *, batch_size: int = 2000) -> int:
    """Recompute every record's search tokens (after the indexed fields change).

    Tokens are a local, derived index: no change-log entry, nothing to synchronise.
    """
    model = RECORD_MODELS[record_type]
    schema = get_schema(record_type)
    done = 0
    ids = list(model.objects.order_by("pk").values_list("pk", flat=True))
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
    return done
