"""The one accessor for a record's answers, identifying ones included.

Identifying answers (names, phone, address, narratives: fields marked ``identifying``)
are stored apart from the rest in ``identity_blob`` through ``CODEC``. Today the codec
writes plain JSON; encrypting them at rest means replacing ``CODEC`` and nothing else.
Nobody else reads ``identity_blob`` or the change log's ``sealed_changes``.

Files attached to a record (a child's photo, a scanned birth certificate) are as
identifying as the names: ``attachments.storage`` writes and reads their bytes only
through ``seal_bytes``/``unseal_bytes`` (``BYTES_CODEC``), so the same change encrypts
them too.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from yiri.formconfig.models import FieldType
from yiri.formconfig.schema import FormSchema


class JsonCodec:
    def encode(self, value: dict) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True) if value else ""

    def decode(self, blob: str) -> dict:
        return json.loads(blob) if blob else {}


CODEC = JsonCodec()


class PlainBytesCodec:
    """Bytes as they are. An encrypting codec replaces it (and ``CODEC``) in one place."""

    def encode(self, data: bytes) -> bytes:
        return bytes(data)

    def decode(self, blob: bytes) -> bytes:
        return bytes(blob)


BYTES_CODEC = PlainBytesCodec()


def read_identity(record) -> dict:
    """``{"fields": {code: value}, "rows": {subform: {row_id: {code: value}}}}``."""
    cached = getattr(record, "_identity_cache", None)
    if cached is None:
        cached = CODEC.decode(record.identity_blob)
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
    record.identity_blob = CODEC.encode(identity)
    record._identity_cache = identity


def seal(values: dict) -> str:
    return CODEC.encode(values)


def unseal(blob: str) -> dict:
    return CODEC.decode(blob)


def forget_record_key(record_id) -> None:
    """Destroy ``record_id``'s own key (crypto-shredding, called by an erasure).

    With the plain codec there is no key to destroy: the erasure itself removes the
    values. The encrypting codec replaces this with the destruction of the record's key,
    after which no copy of its ciphertexts (older backups included) can be read.
    """


def seal_bytes(data: bytes) -> bytes:
    """The stored form of an attached file's bytes (``attachments.storage`` only)."""
    return BYTES_CODEC.encode(data)


def unseal_bytes(blob: bytes) -> bytes:
    return BYTES_CODEC.decode(blob)


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
