"""The cases of this node in an exchange file, and back: export, match, look up.

- ``export_cases``: the cases a user's role reaches (the same scope as the CSV export),
  encoded (``pprl``) into an exchange file under the shared secret, each with an opaque
  reference made for this exchange only. Audited (an export: the count, no id).
- ``match_files``: their file against ours (or against the cases of a user's scope,
  encoded on the fly): probable pairs of references with a score.
- ``lookup``: which of our cases a reference of our own file stands for — on this node
  only (the reference key never leaves it) and only among the cases the user may see.

References. A reference is ``r`` + base64url of a 12-byte tag and the case's 16-byte id
encrypted (SIV construction from HMAC-SHA256: ``tag = HMAC(k, exchange ‖ id)``, the id
XOR ``HMAC(k', exchange ‖ tag)``) under a **reference key** that only this node holds
(``pprl_reference_key`` in the data folder, created owner-only on first use). Another
node cannot read it; the same case has unrelated references in two exchanges, so two
files cannot be linked through them; a reference altered or made up is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied

from . import pprl

REFERENCE_KEY_FILE = "pprl_reference_key"
_TAG = 12


class ReferenceError_(pprl.PprlError):
    pass


def _reference_key_path() -> Path:
    named = getattr(settings, "YIRI_PPRL_REFERENCE_KEY_FILE", None)
    return Path(named) if named else Path(settings.DATA_DIR) / REFERENCE_KEY_FILE


def reference_key() -> bytes:
    """This node's reference key, created owner-only on first use (never shared)."""
    path = _reference_key_path()
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode() + "\n")
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass  # another process made it first: its key stays
        finally:
            tmp.unlink(missing_ok=True)
    try:
        key = base64.urlsafe_b64decode(path.read_text().strip())
    except (OSError, ValueError, binascii.Error) as exc:
        raise ReferenceError_(f"Clé des références illisible ({REFERENCE_KEY_FILE}).") from exc
    if len(key) != 32:
        raise ReferenceError_(f"Clé des références illisible ({REFERENCE_KEY_FILE}).")
    return key


def _prf(key: bytes, label: bytes, *parts: bytes) -> bytes:
    return hmac.new(key, label + b"\x00" + b"\x00".join(parts), hashlib.sha256).digest()


def make_reference(record_id: uuid.UUID, exchange: str, key: bytes) -> str:
    ex = exchange.encode()
    tag = _prf(key, b"tag", ex, record_id.bytes)[:_TAG]
    pad = _prf(key, b"pad", ex, tag)[:16]
    return "r" + base64.urlsafe_b64encode(tag + bytes(a ^ b for a, b in zip(record_id.bytes, pad,
                                                                           strict=True))).rstrip(b"=").decode()


def read_reference(ref: str, exchange: str, key: bytes) -> uuid.UUID | None:
    """The case id of one of our references, or ``None`` if it is not one (made up,
    altered, from another node or another exchange)."""
    try:
        raw = base64.urlsafe_b64decode(ref[1:] + "=" * (-len(ref[1:]) % 4)) if ref[:1] == "r" else b""
    except (ValueError, binascii.Error):
        return None
    if len(raw) != _TAG + 16:
        return None
    ex, tag = exchange.encode(), raw[:_TAG]
    pad = _prf(key, b"pad", ex, tag)[:16]
    rid = bytes(a ^ b for a, b in zip(raw[_TAG:], pad, strict=True))
    if not hmac.compare_digest(tag, _prf(key, b"tag", ex, rid)[:_TAG]):
        return None
    return uuid.UUID(bytes=rid)


# --- our cases ----------------------------------------------------------------------------


def _exportable(user):
    """The cases ``user``'s role reaches (not through a share), alive, not erased; refused
    when the role may not export or may not read the children's names."""
    from yiri.cases.access import field_limits, readable_sections, scope_q
    from yiri.cases.identity import name_readable
    from yiri.cases.models import Case
    from yiri.formconfig.schema import get_schema

    if not user.is_active or not user.can("export", "case"):
        raise PermissionDenied("Votre rôle ne permet pas d'exporter des dossiers.")
    schema = get_schema("case")
    if not name_readable(readable_sections(user, schema), schema, field_limits(user, "case")):
        raise PermissionDenied("Votre rôle ne lit pas les noms des enfants : il ne peut pas en "
                               "exporter les encodages.")
    return (Case.objects.filter(scope_q(user, Case, shares=False))
            .filter(deleted=False, erased=False).select_related("owning_agency").order_by("pk"), schema)


def encode_scope(user, secret: pprl.SharedSecret, params: dict = pprl.PARAMETERS):
    """``(case ids, encodings)`` of the cases ``user`` may export (in memory only)."""
    from .person import person_from_record

    qs, schema = _exportable(user)
    enc = pprl.Encoder(secret, params)
    ids, filters = [], []
    for case in qs.iterator(chunk_size=500):
        ids.append(case.pk)
        filters.append(enc.encode(pprl.child_from_person(person_from_record(case, schema))))
    return ids, filters


@dataclass(frozen=True)
class ExportSummary:
    count: int
    exchange: str


def export_cases(user, path, secret: pprl.SharedSecret, params: dict = pprl.PARAMETERS) -> ExportSummary:
    """Write the exchange file of ``user``'s cases at ``path`` (audited)."""
    from yiri.audit.models import AuditAction
    from yiri.audit.services import record_event

    ids, filters = encode_scope(user, secret, params)
    exchange = pprl.new_exchange_id()
    key = reference_key()
    refs = [make_reference(uuid.UUID(str(i)), exchange, key) for i in ids]
    matrix = pprl.blip(pprl.as_matrix(filters, pprl.array_bits(params)), params.get("flip", 0.0))
    rows = [row.tobytes() for row in matrix]
    pprl.write_exchange(path, secret, refs, rows, exchange, params)
    record_event(AuditAction.EXPORT, user=user, record_type="case", kind="pprl", count=len(refs),
                 exchange=exchange)
    return ExportSummary(len(refs), exchange)


@dataclass(frozen=True)
class Pair:
    theirs: str  # their reference
    ours: str  # our reference (with --ours) or our case's number (without)
    score: float
    level: str


def match_files(their_path, secret: pprl.SharedSecret, *, our_path=None, user=None,
                threshold: float | None = None) -> list[Pair]:
    """Probable pairs between their file and ours (``our_path``), or the cases ``user`` may
    export, encoded now (then ``ours`` is our case's number, for this node's eyes only).
    The layout is the one their file names; ours must use the same."""
    theirs = pprl.read_exchange(their_path, secret)
    params = pprl.LAYOUTS[theirs.params["layout"]]
    if our_path is not None:
        ours = pprl.read_exchange(our_path, secret, params)
        if ours.exchange == theirs.exchange:
            raise pprl.ExchangeFileError("Les deux fichiers sont le même échange : donnez le "
                                         "fichier de l'autre réseau et le vôtre.")
        our_labels, our_matrix = ours.refs, ours.matrix
    else:
        if user is None:
            raise pprl.PprlError("Donnez --ours VOTRE_FICHIER, ou --user NOM pour comparer aux "
                                 "dossiers de ce nœud.")
        from yiri.cases.models import Case

        ids, filters = encode_scope(user, secret, params)
        numbers = dict(Case.objects.filter(pk__in=ids).values_list("pk", "short_id"))
        our_labels = [numbers[i] for i in ids]
        our_matrix = pprl.as_matrix(filters, pprl.array_bits(params))
    found = pprl.match(theirs.matrix, our_matrix, params, threshold)
    return [Pair(theirs.refs[m.theirs], our_labels[m.ours], m.score, m.level) for m in found]


@dataclass(frozen=True)
class Found:
    reference: str
    case_id: uuid.UUID | None  # None: not one of ours, or out of the user's scope
    number: str


def lookup(user, our_path, secret: pprl.SharedSecret, refs: list[str]) -> list[Found]:
    """Our cases behind ``refs`` (references of our own file ``our_path``), among those
    ``user`` may see; audited."""
    from yiri.audit.models import AuditAction
    from yiri.audit.services import record_event
    from yiri.cases.models import Case

    ours = pprl.read_exchange(our_path, secret)
    key = reference_key()
    in_file = set(ours.refs)
    ids = {ref: (read_reference(ref, ours.exchange, key) if ref in in_file else None) for ref in refs}
    visible = dict(Case.objects.visible_to(user).filter(
        pk__in=[i for i in ids.values() if i is not None], deleted=False).values_list("pk", "short_id"))
    out = [Found(ref, rid if rid in visible else None, visible.get(rid, "")) for ref, rid in ids.items()]
    record_event(AuditAction.SEARCH, user=user, record_type="case", kind="pprl_lookup",
                 count=len(refs), found=sum(1 for f in out if f.case_id))
    return out
