"""Re-encrypting every value sealed at rest under new data keys (``manage.py keys rotate
--data``).

Where sealed values live (each is listed here; a new kind of sealed storage must be added
to ``STORES``, and ``tests/cases/test_data_key_rotation.py`` fails for a sealed column it
does not reach):

* ``identity_blob`` of every record type (cases, incidents, tracing requests);
* every ``SealedTextField`` column (notes, flags, workflow comments and reasons, attachment
  names), found through the models;
* the change log's ``sealed_changes`` and the sealed values of sync conflicts;
* attached files' bytes, in the data folder.

A rotation: (1) ``keys.begin_data_rotation`` and ``keys.renew_data_keys`` give every record
a new data key — from then on every write seals with it; (2) every stored value whose key
id (in its header) is not its record's current key is decrypted and sealed again, bound to
the same place; each row is written back only if it still holds what was read (a compare
and swap: a page saving the row at the same moment is not overwritten; the next pass takes
it); (3) a last count finds nothing left under an old key, and ``finish_data_rotation``
closes the rotation, keeping the old keys for older backups unless ``destroy_old``.

These writes change only the ciphertext, not the values: they are local (each node seals
with its own keys), so they go through ``raw_writes`` and make no sync operation. Values
whose record was erased (key forgotten) stay as they are: nothing can read them.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db import transaction

from . import identity, keys
from .sealed import SealedTextField, Stored, binding_of

BATCH = 500


def key_id_of(blob) -> bytes | None:
    """The data key id in a stored ciphertext's header (``None``: not sealed)."""
    if isinstance(blob, str):
        if not blob.startswith(identity.TEXT_PREFIX):
            return None
        try:
            head = base64.urlsafe_b64decode(blob[len(identity.TEXT_PREFIX):][:24])
        except (ValueError, TypeError):
            return None
    else:
        head = bytes(blob or b"")
    if len(head) < 1 + keys.KEY_ID_BYTES or head[0] != identity.VERSION:
        return None
    return head[1:1 + keys.KEY_ID_BYTES]


def _stale(blob) -> bool:
    kid = key_id_of(blob)
    if kid is None:
        return False
    try:
        return not keys.is_current(kid)
    except keys.RecordKeyForgotten:
        return False  # erased: nothing to re-encrypt
    except keys.KeyMissing:
        return False  # not this node's key: left for ``audit``/restore to report


@dataclass(frozen=True)
class Item:
    """One stored value: how to read it, where it is bound, how to write it back."""

    blob: str | bytes
    where: identity.Binding
    write: Callable[[str | bytes, str | bytes], bool]  # (old, new) -> written


@dataclass(frozen=True)
class Store:
    label: str  # French, for the progress lines
    count: Callable[[], int]
    items: Callable[[int], Iterator[tuple[int, list[Item]]]]  # (rows, items) per batch


def _cas(model, pk, column: str) -> Callable[[str, str], bool]:
    def write(old, new) -> bool:
        from yiri.sync.models import raw_writes

        with raw_writes():
            return model._base_manager.filter(**{"pk": pk, column: old}).update(**{column: new}) == 1
    return write


def _paged(qs, batch: int) -> Iterator[list]:
    """Rows of ``qs`` by primary key, ``batch`` at a time (keyset pagination)."""
    last = None
    while True:
        page = qs.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        rows = list(page[:batch])
        if not rows:
            return
        last = rows[-1].pk if hasattr(rows[-1], "pk") else rows[-1]["pk"]
        yield rows


def _record_store(model) -> Store:
    table = model._meta.db_table
    qs = model._base_manager.filter(identity_blob__startswith=identity.TEXT_PREFIX)

    def items(batch):
        for rows in _paged(qs.values("pk", "identity_blob"), batch):
            yield len(rows), [Item(r["identity_blob"], identity.Binding(
                table, r["pk"], "identity", r["pk"]), _cas(model, r["pk"], "identity_blob"))
                for r in rows]
    return Store(f"{model._meta.verbose_name_plural} (identité)", qs.count, items)


def _sealed_column_store(model, fields: list) -> Store:
    from django.db.models import Q

    q = Q()
    for f in fields:
        q |= Q(**{f"{f.attname}__startswith": identity.TEXT_PREFIX})
    qs = model._base_manager.filter(q)

    def items(batch):
        for rows in _paged(qs, batch):
            out = []
            for row in rows:
                for f in fields:
                    raw = row.__dict__.get(f.attname)
                    if isinstance(raw, Stored) and raw:
                        out.append(Item(str(raw), binding_of(row, f), _cas(model, row.pk, f.attname)))
            yield len(rows), out
    names = ", ".join(f.attname for f in fields)
    return Store(f"{model._meta.verbose_name_plural} ({names})", qs.count, items)


def _operation_store() -> Store:
    from yiri.sync.models import Operation

    qs = Operation.objects.filter(sealed_changes__startswith=identity.TEXT_PREFIX)

    def items(batch):
        for rows in _paged(qs.values("pk", "record_id", "sealed_changes"), batch):
            yield len(rows), [Item(r["sealed_changes"], identity.op_binding(r["pk"], r["record_id"]),
                                   _cas(Operation, r["pk"], "sealed_changes")) for r in rows]
    return Store("journal des modifications", qs.count, items)


def _conflict_store() -> Store:
    from yiri.sync.models import Conflict

    qs = Conflict.objects.filter(values_blob__startswith=identity.TEXT_PREFIX)

    def items(batch):
        for rows in _paged(qs.values("pk", "entity_id", "path", "loser_stamp", "record_id",
                                     "values_blob"), batch):
            yield len(rows), [Item(r["values_blob"], identity.conflict_binding(
                r["entity_id"], r["path"], r["loser_stamp"], r["record_id"]),
                _cas(Conflict, r["pk"], "values_blob")) for r in rows]
    return Store("conflits de synchronisation", qs.count, items)


def _file_store() -> Store:
    from yiri.attachments import storage
    from yiri.attachments.models import Attachment

    qs = Attachment.objects.all()

    def write_file(att_id, part, record_id):
        def write(old, new) -> bool:
            path = storage.path_of(att_id, part)
            if not path.exists() or path.read_bytes() != old:
                return False
            storage.write(att_id, identity.unseal_bytes(old, attachment_id=att_id, part=part),
                          part, record_id=record_id)
            return True
        return write

    def items(batch):
        for rows in _paged(qs.values("pk", "record_id"), batch):
            out = []
            for r in rows:
                for part in (storage.ORIGINAL, storage.THUMBNAIL):
                    path = storage.path_of(r["pk"], part)
                    if path.exists():
                        out.append(Item(path.read_bytes(),
                                        identity.attachment_binding(r["pk"], part, r["record_id"]),
                                        write_file(r["pk"], part, r["record_id"])))
            yield len(rows), out
    return Store("fichiers joints", qs.count, items)


def stores() -> list[Store]:
    from .models import Record

    found = []
    for model in apps.get_models():
        if issubclass(model, Record) and not model._meta.abstract:
            found.append(_record_store(model))
        sealed = [f for f in model._meta.concrete_fields if isinstance(f, SealedTextField)]
        if sealed:
            found.append(_sealed_column_store(model, sealed))
    return found + [_operation_store(), _conflict_store(), _file_store()]


def _reseal(item: Item) -> str | bytes:
    codec = identity.CODEC
    if isinstance(item.blob, str):
        return codec.seal_text(codec.open_text(item.blob, item.where), item.where)
    return codec.encrypt(codec.decrypt(item.blob, item.where), item.where)


def reencrypt(batch: int = BATCH) -> Iterator[tuple[str, int, int, int]]:
    """Re-encrypt every stale value; yields ``(store label, seen, total, rewritten)`` after
    each batch. Returns once a pass rewrote nothing left stale."""
    for store in stores():
        total = store.count()
        seen = rewritten = 0
        yield store.label, seen, total, rewritten
        for rows, items in store.items(batch):
            with transaction.atomic():
                for item in items:
                    if _stale(item.blob):
                        try:
                            new = _reseal(item)
                        except keys.RecordKeyForgotten:
                            continue
                        rewritten += item.write(item.blob, new)
            seen += rows
            yield store.label, seen, total, rewritten


def stale_count() -> int:
    """How many stored values are still sealed under a key that is not current."""
    left = 0
    for store in stores():
        for _rows, items in store.items(BATCH):
            left += sum(1 for item in items if _stale(item.blob))
    return left


def run_job(job, progress) -> dict:
    """The ``reencrypt`` kind of background job (``yiri.jobs``): a whole rotation of the
    data keys (``manage.py keys rotate --data``), its progress over every stored value.
    ``job.params``: ``batch``, ``destroy_old``."""
    from django.utils.translation import gettext as _

    from yiri.audit.models import AuditAction
    from yiri.audit.services import record_event
    from yiri.jobs.services import JobFailed

    batch = max(1, int(job.params.get("batch", BATCH)))
    started, resumed = keys.begin_data_rotation()
    renewed = 0
    for done, total in keys.renew_data_keys(started, batch=batch):
        progress(done, total, _("nouvelles clés de dossier"))
        renewed = total
    grand_total = sum(store.count() for store in stores())
    offset = rewritten = 0
    current, store_total, store_rewritten = None, 0, 0
    for label, seen, total, count in reencrypt(batch=min(batch, 1000)):
        if label != current:
            offset += store_total
            rewritten += store_rewritten
            current, store_total = label, total
        store_rewritten = count
        progress(min(offset + seen, grand_total), max(grand_total, offset + total), label)
    rewritten += store_rewritten
    left = stale_count()
    if left:
        raise JobFailed(_("%(n)d valeur(s) encore sous une ancienne clé (modifiées pendant la "
                          "rotation) : relancez « manage.py keys rotate --data ».") % {"n": left})
    destroy_old = bool(job.params.get("destroy_old"))
    destroyed = keys.finish_data_rotation(destroy_old=destroy_old)
    record_event(AuditAction.KEY_ROTATION, data_keys=True, rewritten=rewritten, destroyed=destroyed)
    return {"resumed": resumed, "renewed": renewed, "rewritten": rewritten,
            "destroyed": destroyed, "destroy_old": destroy_old}
