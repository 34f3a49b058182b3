"""Retention of closed cases and the erasure of a child's identifying data.

**Four eyes.** A person whose role has ``erase_records`` (supervisors, relay-cell data
managers, the national coordination, administrators) and who holds the record in their own
scope asks for its erasure with a reason (a code: never free text, which could name the
child); a *different* person with the same right approves it, and the erasure runs at
once; either of them, or another holder of the right, may refuse it instead. Every step
writes an audit row with ids and codes only.

**What the execution removes on this node** (``execute``), for the record and, for a
case, the incidents and tracing requests linked to it:

- its identifying answers (the identity blob rewritten empty through
  ``identity.write_answers``) and its search tokens (``NameToken``);
- the sealed values of every operation of the change log that belongs to it
  (``Operation.sealed_changes`` of the operations whose ``record_id`` is the record):
  the one sanctioned rewrite of the log, counted in the audit row;
- the sealed text of every row that belongs to it (notes, flag reasons, workflow comments
  and reasons, attached file names), the attached files' bytes and rows, the conflicts
  kept on it (their values are sealed answers) and the sealed values of operations on it
  waiting in quarantine;
- its per-record key (``identity.forget_record_key``): with the encrypting codec, the
  copies of its ciphertexts in older backups can no longer be read.

What stays: the record's non-identifying answers and columns (sex, age, stage, concerns,
dates, place), so counts and reports still add up; the record is read-only and shown as
"effacé". Exports are streamed to the person who asks and never stored on the node, so
there is no export waiting to be downloaded to erase.

**Propagation.** ``Erasure`` is a synchronised row attached to the record: it travels
wherever the record's operations go, and each node that applies an executed erasure runs
the same execution (``after_apply``, called by ``sync.apply``). An operation arriving
later for an erased record (from an office that had not heard yet) loses its sealed
values before it is stored (``scrub_incoming``); its other values merge as usual, and the
execution runs again over what it brought (a note, a file). Erasure cannot be undone.

**Retention.** ``settings.YIRI_RETENTION_YEARS`` (default 10): a case closed (its
closure date, else its last change) that many years ago is past retention;
``manage.py retention`` counts them and ``--propose`` asks for their erasure, which a
person must still approve.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yiri.audit.models import AuditAction
from yiri.audit.services import record_event
from yiri.formconfig.schema import get_schema
from yiri.sync.log import save_logged
from yiri.sync.models import Operation, Quarantine, raw_writes, record_writes

from . import identity
from .access import forget_rights, rights_for
from .models import (
    RECORD_MODELS,
    Case,
    CaseStatus,
    Erasure,
    ErasureReason,
    ErasureStatus,
    Incident,
    NameToken,
    Record,
    TracingRequest,
)

RIGHT = "erase_records"


class ErasureRefused(Exception):
    """A request or decision that cannot be made (the message says why, in French)."""


# ------------------------------------------------------------------------ who may


def has_right(user) -> bool:
    return bool(user and user.is_authenticated and user.can(RIGHT, "system"))


def may_erase(user, record: Record) -> bool:
    """Whether ``user`` may ask for or approve the erasure of ``record``: the right, and
    the record in the user's own scope (not reached through a referral or a transfer)."""
    return has_right(user) and rights_for(user, record).full


def _check(user, record: Record) -> None:
    if not may_erase(user, record):
        raise PermissionDenied(_("Votre rôle ne permet pas d'effacer ce dossier."))


def pending(record: Record) -> Erasure | None:
    return (Erasure.objects.filter(record_id=record.pk, status=ErasureStatus.REQUESTED,
                                   deleted=False).order_by("requested_at").first())


def record_of(erasure: Erasure) -> Record | None:
    model = RECORD_MODELS.get(erasure.record_type)
    return model._base_manager.filter(pk=erasure.record_id).first() if model else None


# -------------------------------------------------------------------- the steps


def request_erasure(user, record: Record, reason: str, *, request=None) -> Erasure:
    """Ask for the erasure of ``record`` (fetched through ``access_record``)."""
    _check(user, record)
    if reason not in ErasureReason.values:
        raise ErasureRefused(_("Choisissez le motif de l'effacement."))
    if record.erased:
        raise ErasureRefused(_("Ce dossier est déjà effacé."))
    with transaction.atomic():
        if pending(record) is not None:
            raise ErasureRefused(_("Un effacement de ce dossier attend déjà une approbation."))
        erasure = Erasure(record_type=record.RECORD_TYPE, record_id=record.pk,
                          short_id=record.short_id, reason=reason, requested_by=user,
                          requested_at=timezone.now())
        save_logged(user, erasure, created=True)
        record_event(AuditAction.ERASURE_REQUEST, user=user, request=request,
                     record_type=record.RECORD_TYPE, record_id=record.pk,
                     erasure=str(erasure.pk), reason=reason)
    return erasure


def approve_erasure(user, erasure: Erasure, *, request=None) -> ErasureReport:
    """The second pair of eyes: approve, and the erasure runs on this node at once (and on
    the others as the approval reaches them)."""
    record = record_of(erasure)
    if record is None:
        raise ErasureRefused(_("Ce dossier n'est pas sur ce nœud."))
    _check(user, record)
    if erasure.requested_by_id == user.pk:
        raise PermissionDenied(_("Vous ne pouvez pas approuver votre propre demande "
                                 "d'effacement : une autre personne habilitée doit le faire."))
    with transaction.atomic():
        locked = Erasure.objects.select_for_update().get(pk=erasure.pk)
        if locked.status != ErasureStatus.REQUESTED:
            raise ErasureRefused(_("Cette demande d'effacement a déjà été traitée."))
        locked.status = ErasureStatus.EXECUTED
        locked.decided_by = user
        locked.decided_at = timezone.now()
        save_logged(user, locked)
        return execute(locked, user=user, request=request)


def refuse_erasure(user, erasure: Erasure, *, request=None) -> Erasure:
    """Refuse (or, for the requester, withdraw) a pending erasure."""
    record = record_of(erasure)
    if record is None:
        raise ErasureRefused(_("Ce dossier n'est pas sur ce nœud."))
    _check(user, record)
    with transaction.atomic():
        locked = Erasure.objects.select_for_update().get(pk=erasure.pk)
        if locked.status != ErasureStatus.REQUESTED:
            raise ErasureRefused(_("Cette demande d'effacement a déjà été traitée."))
        locked.status = ErasureStatus.REFUSED
        locked.decided_by = user
        locked.decided_at = timezone.now()
        save_logged(user, locked)
        record_event(AuditAction.ERASURE_REFUSE, user=user, request=request,
                     record_type=locked.record_type, record_id=locked.record_id,
                     erasure=str(locked.pk))
    return locked


# --------------------------------------------------------------- the execution


@dataclass
class ErasureReport:
    records: int = 0
    operations: int = 0  # operations whose sealed values were blanked
    rows: int = 0  # rows whose sealed text was blanked
    files: int = 0  # attached files removed


def _targets(record: Record) -> list[Record]:
    """The record and, for a case, the incidents and tracing requests linked to it."""
    out = [record]
    if isinstance(record, Case):
        for model in (Incident, TracingRequest):
            out += list(model._base_manager.filter(case_id=record.pk))
    return out


def execute(erasure: Erasure, *, user=None, request=None) -> ErasureReport:
    """Remove the identifying data of ``erasure``'s record from this node (idempotent:
    run again, it removes whatever arrived since)."""
    report = ErasureReport()
    record = record_of(erasure)
    if record is None:
        return report  # not held here: nothing to remove
    with transaction.atomic():
        for target in _targets(record):
            _erase_one(target, report)
        record_event(AuditAction.ERASURE, user=user, request=request,
                     record_type=erasure.record_type, record_id=erasure.record_id,
                     erasure=str(erasure.pk), reason=erasure.reason,
                     requested_by=str(erasure.requested_by_id or ""),
                     approved_by=str(erasure.decided_by_id or ""),
                     records=report.records, log_rewritten=report.operations,
                     rows=report.rows, files=report.files)
        transaction.on_commit(_flush_sqlite)
        transaction.on_commit(_discard_waiting_exports)
    return report


def _discard_waiting_exports() -> None:
    """Exports not yet downloaded may hold the child: their archives go (jobs.exports)."""
    from yiri.jobs.exports import discard_waiting

    discard_waiting()


def _flush_sqlite() -> None:
    """On SQLite (``secure_delete`` on: what the erasure overwrote is zeroed in the
    database file), copy the write-ahead log back into the file and empty it, so the old
    pages it held, the name among them, leave the disk's files. PostgreSQL keeps old row
    versions until it reuses their space: there, the per-record key destroyed by
    ``forget_record_key`` is what makes them unreadable."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _erase_one(record: Record, report: ErasureReport) -> None:
    from yiri.attachments import storage
    from yiri.attachments.models import Attachment
    from yiri.sync.apply import entity_models, is_record_entity
    from yiri.sync.models import Conflict

    schema = get_schema(record.RECORD_TYPE)
    # ``data`` holds exactly the answers that are not identifying: written back alone,
    # the identity blob is left empty, through the one codec.
    identity.write_answers(record, schema, copy.deepcopy(record.data or {}))
    record.erased = True
    with record_writes():
        record.save(update_fields=["identity_blob", "data", "erased"])
    forget_rights(record)
    report.records += 1
    with raw_writes():  # each node runs the same execution: nothing here is synchronised
        NameToken.objects.filter(record_id=record.pk).delete()
        # The one sanctioned rewrite of the change log (counted in the audit row).
        ops = Operation.objects.filter(record_id=record.pk).exclude(sealed_changes="")
        report.operations += ops.update(sealed_changes="")
        for model_ in (m for e, m in entity_models().items() if not is_record_entity(e)):
            names = {f.name for f in model_._meta.concrete_fields}
            if "record_id" in names:
                rows = model_._base_manager.filter(record_id=record.pk)
            elif "case" in names and isinstance(record, Case):
                rows = model_._base_manager.filter(case_id=record.pk)
            else:
                continue
            sealed = [n for n in model_.SYNC_SEALED if n in names]
            if sealed:
                report.rows += rows.filter(~Q(**{s: "" for s in sealed})).update(
                    **{s: "" for s in sealed})
        for pk in Attachment._base_manager.filter(record_id=record.pk).values_list("pk", flat=True):
            storage.erase(pk)
            report.files += 1
        Attachment._base_manager.filter(record_id=record.pk).delete()
        Conflict.objects.filter(record_id=record.pk).delete()
        key = str(record.pk)
        for held in Quarantine.objects.all():
            payload = held.payload or {}
            if "s" in payload and key in (payload.get("r"), payload.get("i")):
                payload = {k: v for k, v in payload.items() if k != "s"}
                Quarantine.objects.filter(pk=held.pk).update(payload=payload)
    identity.forget_record_key(record.pk)


# ------------------------------------------------------- what sync calls


def erased_ids(record_ids) -> set[uuid.UUID]:
    """Those of ``record_ids`` erased here, or linked to a case erased here."""
    ids = {uuid.UUID(str(r)) for r in record_ids if r}
    if not ids:
        return set()
    found: set[uuid.UUID] = set()
    wanted = list(ids)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        found |= set(Erasure.objects.filter(record_id__in=chunk, status=ErasureStatus.EXECUTED)
                     .values_list("record_id", flat=True))
        for model in RECORD_MODELS.values():
            q = Q(erased=True)
            if model is not Case:
                q |= Q(case__erased=True)
            found |= set(model._base_manager.filter(q, pk__in=chunk).values_list("pk", flat=True))
    return found


def scrub_incoming(ops: list[Operation]) -> int:
    """Drop the sealed values of incoming operations on records erased here, before they
    are stored: a late edit cannot bring a name back. Returns how many were scrubbed."""
    gone = erased_ids({op.record_id for op in ops if op.sealed_changes})
    n = 0
    for op in ops:
        if op.sealed_changes and op.record_id in gone:
            op.sealed_changes = ""
            n += 1
    return n


def after_apply(ops: list[Operation]) -> None:
    """After a batch of operations from another node: run every executed erasure they
    brought, and run again the erasure of any erased record they touched."""
    touched = {op.record_id for op in ops if op.record_id}
    if not touched:
        return
    erasures = {}
    for op in ops:
        if op.entity == Erasure.sync_entity():
            e = Erasure.objects.filter(pk=op.entity_id, status=ErasureStatus.EXECUTED).first()
            if e is not None:
                erasures[e.record_id] = e
    for rid in erased_ids(touched):
        if rid in erasures:
            continue
        e = (Erasure.objects.filter(record_id=rid, status=ErasureStatus.EXECUTED).first())
        if e is None:  # an incident or tracing request of an erased case
            linked = [m._base_manager.filter(pk=rid).values_list("case_id", flat=True).first()
                      for m in (Incident, TracingRequest)]
            e = Erasure.objects.filter(record_id__in=[c for c in linked if c],
                                       status=ErasureStatus.EXECUTED).first()
        if e is not None:
            erasures.setdefault(e.record_id, e)
    for e in erasures.values():
        execute(e)


# ------------------------------------------------------------------ retention


def retention_cutoff(today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    years = settings.YIRI_RETENTION_YEARS
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def past_retention(today: dt.date | None = None) -> models.QuerySet:
    """Closed cases, not erased, closed before the retention cutoff (their closure date,
    else their last change), without an erasure waiting."""
    cutoff = retention_cutoff(today)
    start = timezone.make_aware(dt.datetime.combine(cutoff, dt.time.min))
    waiting = Erasure.objects.filter(status=ErasureStatus.REQUESTED, deleted=False).values("record_id")
    return (Case._base_manager.filter(status=CaseStatus.CLOSED, erased=False, deleted=False)
            .filter(Q(closure_date__lt=cutoff) | Q(closure_date__isnull=True, updated_at__lt=start))
            .exclude(pk__in=waiting))


def propose_past_retention(user, today: dt.date | None = None) -> int:
    """Ask for the erasure of every case past retention that ``user`` may erase."""
    done = 0
    for case in past_retention(today).iterator(chunk_size=500):
        if may_erase(user, case):
            request_erasure(user, case, ErasureReason.RETENTION)
            done += 1
    return done
