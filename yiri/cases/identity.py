"""The one accessor for a record's answers, identifying ones included, and the codec that
encrypts identifying data at rest.

Identifying answers (names, phone, address, narratives: fields marked ``identifying``)
are stored apart from the rest in ``identity_blob``; free text a person typed on rows tied
to a record (notes, flags, attachment names, workflow comments and reasons: the
``SYNC_SEALED`` columns, ``SealedTextField``) and the change log's ``sealed_changes`` are
encrypted the same way; attached files' bytes through ``seal_bytes``/``unseal_bytes``.

The codec (``Codec``): XChaCha20-Poly1305 (libsodium through PyNaCl), under the data key of
the record the value belongs to (``cases.keys``: random per record, wrapped by the node's
master key, both outside the database). Every ciphertext is
``version (1 byte) | data key id (16) | nonce (24) | ciphertext and tag``; text columns hold
it in base64 after the prefix ``~Y``. The associated data binds it to where it is kept,
``yiri:<table>:<row id>:<purpose>`` (``Binding``), so a ciphertext copied onto another row,
column or purpose does not decrypt: ``Unreadable`` (a clear error, never garbage). A value
whose record key was destroyed (``forget_record_key``, an erasure) reads as erased: an
empty identity, an empty text, ``{}`` for sealed changes.

Between nodes: each node seals at rest with its own keys; keys never travel. On sending,
``sync.apply.to_wire`` unseals an operation's sealed changes into its wire form (plain JSON),
which travels only inside the transport that issue 8 protects (HTTP bodies and bundles
sealed to the receiving node's X25519 key and signed by the sender); the receiver seals them
with its own keys when it stores the operation (``from_wire``), and its rows get its own
ciphertexts when applied.

Values written before encryption (plain JSON or text, no ``~Y`` prefix) are read as they
are until rewritten.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from nacl.exceptions import CryptoError

from yiri.formconfig.models import FieldType
from yiri.formconfig.schema import FormSchema

from . import keys
from .keys import RecordKeyForgotten

__all__ = ["RecordKeyForgotten", "Unreadable", "Binding", "CODEC"]

VERSION = 1
TEXT_PREFIX = "~Y"
_HEADER = 1 + keys.KEY_ID_BYTES


class Unreadable(ValueError):
    """A ciphertext that does not decrypt where it is: moved from another row or purpose,
    altered, or made with a key this node does not have."""


@dataclass(frozen=True)
class Binding:
    """Where a value is kept: its table, row and purpose (the associated data), and the
    record whose key seals it (``None``: this node's own key, for values of no record)."""

    table: str
    row: Any
    purpose: str
    record_id: Any = None

    def ad(self, kid: bytes) -> bytes:
        return bytes([VERSION]) + kid + f"yiri:{self.table}:{self.row}:{self.purpose}".encode()


_OPAQUE = threading.local()


@contextmanager
def opaque():
    """Inside: nothing is decrypted; ``read_identity`` gives a fingerprint of the stored
    ciphertext and sealed columns their stored form (a backup's digest, which must not
    change when a record's key is later forgotten)."""
    before = getattr(_OPAQUE, "on", False)
    _OPAQUE.on = True
    try:
        yield
    finally:
        _OPAQUE.on = before


def is_opaque() -> bool:
    return getattr(_OPAQUE, "on", False)


class Codec:
    """Authenticated encryption bound to a ``Binding`` (see the module docstring)."""

    def encrypt(self, plain: bytes, where: Binding) -> bytes:
        kid, key = keys.key_for(where.record_id)
        return bytes([VERSION]) + kid + keys.aead_encrypt(key, plain, where.ad(kid))

    def decrypt(self, sealed: bytes, where: Binding) -> bytes:
        """The plain bytes; ``RecordKeyForgotten`` if erased, ``Unreadable`` otherwise."""
        if len(sealed) < _HEADER or sealed[0] != VERSION:
            raise Unreadable("Donnée chiffrée illisible (format inconnu).")
        kid = sealed[1:_HEADER]
        try:
            _rid, key = keys.key_by_id(kid)
        except RecordKeyForgotten:
            raise
        except keys.KeyMissing as exc:
            raise Unreadable(str(exc)) from exc
        try:
            return keys.aead_decrypt(key, sealed[_HEADER:], where.ad(kid))
        except CryptoError as exc:
            raise Unreadable(
                f"Donnée chiffrée illisible à sa place ({where.table}, {where.purpose}) : "
                "elle a été déplacée d'une autre ligne ou altérée.") from exc

    def encode(self, value: dict, where: Binding) -> str:
        if not value:
            return ""
        return self.seal_text(json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                                         sort_keys=True), where)

    def decode(self, blob: str, where: Binding) -> dict:
        if not blob:
            return {}
        text = self.open_text(blob, where)
        return json.loads(text) if text else {}

    def seal_text(self, text: str, where: Binding) -> str:
        if not text:
            return ""
        return TEXT_PREFIX + base64.urlsafe_b64encode(
            self.encrypt(text.encode(), where)).decode()

    def open_text(self, blob: str, where: Binding) -> str:
        if not blob:
            return ""
        if not blob.startswith(TEXT_PREFIX):
            return blob  # written before encryption
        try:
            raw = base64.urlsafe_b64decode(blob[len(TEXT_PREFIX):])
        except (ValueError, TypeError) as exc:
            raise Unreadable("Donnée chiffrée illisible (encodage).") from exc
        return self.decrypt(raw, where).decode()


CODEC = Codec()


def is_sealed(blob) -> bool:
    return isinstance(blob, str) and blob.startswith(TEXT_PREFIX)


def record_binding(record) -> Binding:
    return Binding(record._meta.db_table, record.pk, "identity", record.pk)


def read_identity(record) -> dict:
    """``{"fields": {code: value}, "rows": {subform: {row_id: {code: value}}}}``; empty
    for a record whose key was forgotten (erased)."""
    cached = getattr(record, "_identity_cache", None)
    if cached is None:
        if is_opaque():
            import hashlib

            return {"fields": {"_sealed": hashlib.sha256(
                (record.identity_blob or "").encode()).hexdigest()}} if record.identity_blob else {}
        try:
            cached = CODEC.decode(record.identity_blob, record_binding(record))
        except RecordKeyForgotten:
            cached = {}
        record._identity_cache = cached
    return cached


def read_answers(record, schema: FormSchema) -> dict[str, Any]:
    """All answers of ``record``, identifying ones merged back in place."""
    identity = read_identity(record)
    answers = copy.deepcopy(record.data or {})
    answers.update(identity.get("fields", {}))
    for sub_code, rows_identity in identity.get("rows", {}).items():
        for row in answers.get(sub_code, []):
            row.update(rows_identity.get(row.get("_id"), {}))
    return answers


def write_answers(record, schema: FormSchema, answers: dict[str, Any]) -> None:
    """Store ``answers`` on ``record``, splitting identifying values into the blob."""
    data: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    rows: dict[str, dict[str, dict]] = {}
    for code, value in answers.items():
        f = schema.fields.get(code)
        if value is None or value == [] or value == "":
            continue
        if f is not None and f.type == FieldType.SUBFORM and isinstance(value, list):
            row_defs = schema.subform_fields(f)
            public_rows = []
            for row in value:
                public, secret = {}, {}
                for key, v in row.items():
                    sub = row_defs.get(key)
                    if v is None:
                        continue
                    (secret if sub is not None and sub.identifying else public)[key] = v
                public_rows.append(public)
                if secret:
                    rows.setdefault(code, {})[row["_id"]] = secret
            data[code] = public_rows
        elif f is not None and f.identifying:
            fields[code] = value
        else:
            data[code] = value
    identity = {k: v for k, v in (("fields", fields), ("rows", rows)) if v}
    record.data = data
    record.identity_blob = CODEC.encode(identity, record_binding(record))
    record._identity_cache = identity


def seal(values: dict, where: Binding) -> str:
    return CODEC.encode(values, where)


def unseal(blob: str, where: Binding) -> dict:
    """The values sealed at ``where``; ``{}`` if their record's key was forgotten."""
    try:
        return CODEC.decode(blob, where)
    except RecordKeyForgotten:
        return {}


def op_binding(op_id, record_id) -> Binding:
    return Binding("sync_operation", op_id, "sealed_changes", record_id)


def seal_changes(op_id, record_id, values: dict) -> str:
    """An operation's ``sealed_changes`` (``op_id``: its id, ``record_id``: its record)."""
    return seal(values, op_binding(op_id, record_id)) if values else ""


def changes_of(op) -> dict:
    """An operation's sealed changes, in the clear (``{}`` if erased or none)."""
    return unseal(op.sealed_changes, op_binding(op.id, op.record_id)) if op.sealed_changes else {}


def conflict_binding(entity_id, path: str, loser_stamp, record_id) -> Binding:
    return Binding("sync_conflict", f"{entity_id}/{path}/{loser_stamp}", "values", record_id)


def forget_record_key(record_id) -> None:
    """Destroy ``record_id``'s own key (crypto-shredding, called by an erasure).

    Afterwards no ciphertext of that record — identity, notes, flags, comments, attachment
    names and bytes, sealed change-log values, conflicts — can be read, here or from any
    copy (older backups, the key store copy next to them, which is rewritten). Reading such
    a record gives an erased one (empty identity, empty texts).
    """
    keys.forget(record_id)


def attachment_binding(attachment_id, part: str, record_id) -> Binding:
    return Binding("attachment_file", str(attachment_id), part, record_id)


def seal_bytes(data: bytes, *, attachment_id, part: str, record_id=None) -> bytes:
    """The stored form of an attached file's bytes (``attachments.storage`` only)."""
    return CODEC.encrypt(bytes(data), attachment_binding(attachment_id, part, record_id))


def unseal_bytes(blob: bytes, *, attachment_id, part: str) -> bytes:
    """The bytes of a stored file; ``RecordKeyForgotten`` if its record was erased. A file
    written before encryption (its first byte is not the version: no image or PDF starts
    with 0x01) is read as it is."""
    blob = bytes(blob)
    if blob[:1] != bytes([VERSION]):
        return blob
    return CODEC.decrypt(blob, attachment_binding(attachment_id, part, None))


# The fields ``display_name`` reads: who may see the name must read their sections.
NAME_FIELDS = ("name_first", "name_middle", "name_last", "inquirer_name_first",
               "inquirer_name_last")


def name_readable(sections, schema, limits=None) -> bool:
    """Whether reading ``sections`` covers every name field ``schema`` has (and, with the
    role's ``limits``, none of them is a field the role may not read)."""
    present = [c for c in NAME_FIELDS if c in schema.fields]
    needed = {schema.fields[c].section for c in present}
    if limits is not None and any(not limits.shows(c) for c in present):
        return False
    return bool(needed) and needed <= set(sections)


def display_name(record) -> str:
    fields = read_identity(record).get("fields", {})
    parts = [fields.get(k) for k in ("name_first", "name_middle", "name_last")]
    name = " ".join(p for p in parts if p)
    if not name:
        parts = [fields.get(k) for k in ("inquirer_name_first", "inquirer_name_last")]
        name = " ".join(p for p in parts if p)
    return name
