"""Bundles: synchronisation carried in a file (a USB stick, an e-mail, a driver going to
the relay cell) for nodes that are online once a week, or never.

``export`` writes one file holding what the receiver lacks: everything of this node's log
after what the receiver acknowledged last (``Peer.sent_upto``), as an HTTP exchange would
send it (``scope.outgoing``: a child only receives its scope, records entering it with
their whole history, and the records that left it named ``gone``). ``import_bundle``
checks a file whole, then applies it in one transaction; ``write_ack`` answers with an
acknowledgement file that the sender imports to learn what arrived.

Bundles are cumulative: a later bundle holds everything an earlier unacknowledged one
held, so several bundles in flight, a lost bundle or bundles imported out of order are
all fine. A data bundle older than one already imported from the same node brings
nothing and changes nothing; one whose operations all arrived since over HTTP is not
applied again (a record in it may have left this node's scope and been purged since);
the same bundle twice is refused as a replay. Every
bundle also carries the sender's acknowledgement of what it holds of the receiver (the
way back of an HTTP exchange), so two nodes exchanging bundles need no separate ack.

Whoever carries the file can neither read it, change it nor replay it: each frame is
signed by the sender (Ed25519) then sealed to the receiver's key (X25519 sealed box,
``sync/identity.py``, PyNaCl), and both ids, the bundle's number and the frame's index
are bound inside every signed frame.

File format (version ``FORMAT``; integers big-endian)::

    prefix   MAGIC (8 bytes: 89 'YIRI' 0D 0A 1A)
             format version (u16)
             header length (u32), the same XOR 0xFFFFFFFF (u32), header (UTF-8 JSON, in
             clear):
                 {"kind": "data" | "ack", "from": sender node id, "to": receiver node id,
                  "number": bundle number (per sender and receiver, from 1),
                  "written": ISO time}
             SHA-256 of everything above (32 bytes: a damaged header is told apart from
             one addressed elsewhere; not a protection, the frames are)
    frames   each: length (u32), the same length XOR 0xFFFFFFFF (u32: a damaged length is
             not taken for a truncated file), then the sealed frame.

The prefix keeps this layout in every future version, so an older Yiri can tell "newer
version" from "damaged". The header is in clear so that the importer says "addressed to
another node", "unknown node" or "newer version" before decrypting anything.

A sealed frame is ``seal(receiver's box key, signature + "\\n" + body)``, the signature
(base64url) being the sender's over ``body``, and ``body`` gzip-compressed JSON::

    {"v": FORMAT, "k": kind, "s": sender id, "r": receiver id, "n": bundle number,
     "i": frame index (from 0), "h": SHA-256 of the prefix (hex), ...}

A data frame adds ``"ops"`` (at most ``FRAME_OPS`` operations as ``apply.to_wire`` writes
them, plus the whole history of a record entering the receiver's scope) and ``"gone"``.
The last frame adds ``"end": true``, ``"frames"`` (how many frames precede it),
``"digest"`` (SHA-256 over every preceding frame as written, length fields included),
``"from"`` and ``"upto"`` (the sender's log covered: after ``from``, up to ``upto``),
``"count"`` (operations), ``"ack"`` (the highest number of the receiver's log the sender
holds) and, in an acknowledgement, ``"of"`` (the number of the bundle it answers). A
missing last frame is a truncated file; a frame moved, dropped or taken from another
bundle breaks the index, the digest or the header hash.

Memory stays flat whatever the size: frames are written as ``scope.outgoing`` yields them
and read one at a time. Import reads the file twice: first everything is checked (nothing
is written), then the frames are checked again and applied in one transaction, rolled
back on any failure. A refused bundle changes nothing.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import os
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format

from . import identity, scope
from .apply import BadOperation, apply_operations, from_wire_many
from .models import BundleReceipt, ContactWay, Operation, Peer, PeerRole

MAGIC = b"\x89YIRI\r\n\x1a"
FORMAT = 1
FRAME_OPS = 500
MAX_HEADER = 4096
MAX_FRAME = 32 * 1024 * 1024  # a sealed frame, compressed
MAX_FRAME_JSON = 256 * 1024 * 1024  # a frame's body once decompressed
DATA, ACK = "data", "ack"
SUFFIX = ".yiri"

_PREFIX = struct.Struct(">HII")
_LENGTH = struct.Struct(">II")
_SIG_LEN = 86  # an Ed25519 signature in base64url without padding

Progress = Callable[[str, int, int], None]  # (stage, done, total)


class BundleRefused(Exception):  # noqa: N818 (a refusal, told to the operator)
    """A bundle that cannot be written or imported; the message (French) says why and
    what to do. Nothing was changed."""


NOTHING = " Rien n'a changé."
NOT_A_BUNDLE = "Ce fichier n'est pas un paquet Yiri (ou il est vide)." + NOTHING
TAMPERED = ("Ce paquet a été modifié ou abîmé en route : il est refusé. Demandez à "
            "l'expéditeur d'en exporter un nouveau." + NOTHING)
TRUNCATED = ("Ce paquet est incomplet (fichier tronqué : copie interrompue ?). Copiez-le "
             "à nouveau depuis l'original ou demandez-en un nouveau." + NOTHING)
NEWER = ("Ce paquet vient d'une version plus récente de Yiri : mettez Yiri à jour avant de "
         "l'importer." + NOTHING)


def _kind_label(kind: str) -> str:
    return "Cet accusé de réception" if kind == ACK else "Ce paquet"


# ---------------------------------------------------------------------- header


@dataclass(frozen=True)
class Header:
    version: int
    kind: str
    sender: str
    receiver: str
    number: int
    written: str
    prefix: bytes  # every byte of the prefix, as read

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.prefix).hexdigest()

    @property
    def written_at(self):
        try:
            return dt.datetime.fromisoformat(self.written)
        except ValueError:
            return None


def _prefix(kind: str, sender: str, receiver: str, number: int) -> bytes:
    header = json.dumps({"kind": kind, "from": sender, "to": receiver, "number": number,
                         "written": timezone.now().isoformat(timespec="seconds")},
                        separators=(",", ":")).encode()
    head = MAGIC + _PREFIX.pack(FORMAT, len(header), len(header) ^ 0xFFFFFFFF) + header
    return head + hashlib.sha256(head).digest()


def _read_exact(fh: BinaryIO, n: int) -> bytes:
    data = fh.read(n)
    if len(data) < n:
        raise BundleRefused(TRUNCATED)
    return data


def read_header(fh: BinaryIO) -> Header:
    """The clear header of a bundle (``BundleRefused`` if it is not one, damaged, or
    from a newer Yiri)."""
    magic = fh.read(len(MAGIC))
    if magic != MAGIC:
        if magic and len(magic) < len(MAGIC) and MAGIC.startswith(magic):
            raise BundleRefused(TRUNCATED)
        if len(magic) == len(MAGIC) and sum(a != b for a, b in zip(magic, MAGIC, strict=True)) == 1:
            raise BundleRefused(TAMPERED)  # one damaged byte, not another kind of file
        raise BundleRefused(NOT_A_BUNDLE)
    fixed = _read_exact(fh, _PREFIX.size)
    version, length, inverse = _PREFIX.unpack(fixed)
    if length ^ 0xFFFFFFFF != inverse or length > MAX_HEADER:
        raise BundleRefused(TAMPERED)
    raw = _read_exact(fh, length)
    check = _read_exact(fh, 32)
    head = MAGIC + fixed + raw
    if hashlib.sha256(head).digest() != check:
        raise BundleRefused(TAMPERED)
    if version > FORMAT:
        raise BundleRefused(NEWER)
    try:
        data = json.loads(raw)
        header = Header(version=version, kind=data["kind"], sender=data["from"],
                        receiver=data["to"], number=data["number"], written=data["written"],
                        prefix=head + check)
    except (ValueError, KeyError, TypeError) as exc:
        raise BundleRefused(TAMPERED) from exc
    if (version < 1 or header.kind not in (DATA, ACK) or not isinstance(header.number, int)
            or header.number < 1 or not all(isinstance(x, str) and 0 < len(x) <= 64
                                            for x in (header.sender, header.receiver))
            or not isinstance(header.written, str)):
        raise BundleRefused(TAMPERED)
    return header


# ---------------------------------------------------------------------- frames


def _frame(me: identity.Identity, box_key: str, header: Header, index: int, content: dict) -> bytes:
    """One frame as written in the file: its length fields and the sealed, signed body."""
    body = gzip.compress(json.dumps(
        {"v": FORMAT, "k": header.kind, "s": header.sender, "r": header.receiver,
         "n": header.number, "i": index, "h": header.hash, **content},
        separators=(",", ":"), ensure_ascii=False).encode(), compresslevel=6)
    sealed = identity.seal(box_key, me.sign(body).encode() + b"\n" + body)
    return _LENGTH.pack(len(sealed), len(sealed) ^ 0xFFFFFFFF) + sealed


def _decompress(body: bytes) -> bytes:
    inflater = zlib.decompressobj(wbits=31)
    try:
        raw = inflater.decompress(body, MAX_FRAME_JSON + 1)
    except zlib.error as exc:
        raise BundleRefused(TAMPERED) from exc
    if len(raw) > MAX_FRAME_JSON or not inflater.eof:
        raise BundleRefused(TAMPERED)
    return raw


def _frames(fh: BinaryIO, header: Header, me: identity.Identity, sign_key: str) -> Iterator[dict]:
    """The frames of a bundle, each opened, its signature and its place checked; the last
    one (``"end"``) checks that none is missing. ``BundleRefused`` on the first fault."""
    digest = hashlib.sha256()
    index = 0
    while True:
        lengths = fh.read(_LENGTH.size)
        if len(lengths) < _LENGTH.size:
            raise BundleRefused(TRUNCATED)  # the last frame never came
        length, check = _LENGTH.unpack(lengths)
        if length ^ 0xFFFFFFFF != check or length > MAX_FRAME or length <= _SIG_LEN:
            raise BundleRefused(TAMPERED)
        sealed = _read_exact(fh, length)
        try:
            plain = me.unseal(sealed)
        except identity.IdentityError as exc:
            raise BundleRefused(TAMPERED) from exc
        signature, _, body = plain.partition(b"\n")
        if len(signature) != _SIG_LEN or not identity.verify(
                sign_key, body, signature.decode("ascii", "replace")):
            raise BundleRefused(TAMPERED)
        try:
            data = json.loads(_decompress(body))
        except (ValueError, RecursionError) as exc:
            raise BundleRefused(TAMPERED) from exc
        if not isinstance(data, dict) or (
                data.get("v"), data.get("k"), data.get("s"), data.get("r"), data.get("n"),
                data.get("i"), data.get("h")) != (
                FORMAT, header.kind, header.sender, header.receiver, header.number, index,
                header.hash):
            raise BundleRefused(TAMPERED)
        if data.get("end"):
            if data.get("frames") != index or data.get("digest") != digest.hexdigest():
                raise BundleRefused(TAMPERED)
            if fh.read(1):
                raise BundleRefused(TAMPERED)  # something after the last frame
            if not all(isinstance(data.get(k), int) and data[k] >= 0
                       for k in ("from", "upto", "ack", "count")):
                raise BundleRefused(TAMPERED)
            yield data
            return
        if not isinstance(data.get("ops", []), list) or not isinstance(data.get("gone", []), list):
            raise BundleRefused(TAMPERED)
        digest.update(lengths + sealed)
        index += 1
        yield data


# ---------------------------------------------------------------------- export


@dataclass
class Written:
    peer: Peer
    kind: str
    number: int
    operations: int = 0
    gone: int = 0
    frames: int = 0
    size: int = 0
    start: int = 0
    upto: int = 0


def _keys_of(peer: Peer) -> None:
    if not peer.box_key or not peer.sign_key:
        raise BundleRefused(f"Les clés du nœud {peer} ne sont pas connues ici : terminez son "
                            "enrôlement avant d'échanger des paquets avec lui." + NOTHING)


def _me() -> identity.Identity:
    try:
        return identity.load()
    except identity.IdentityError as exc:
        raise BundleRefused(str(exc)) from exc


def _next_number(peer: Peer) -> int:
    with transaction.atomic():
        Peer.objects.filter(pk=peer.pk).update(bundle_number=F("bundle_number") + 1)
        return Peer.objects.values_list("bundle_number", flat=True).get(pk=peer.pk)


def _write(peer: Peer, kind: str, out: Path, frames: Callable[[Header, Callable[[dict], None]], dict],
           ) -> Written:
    """Write a bundle for ``peer`` to ``out`` (through a ``.part`` file renamed at the
    end: a failed export leaves no half bundle). ``frames(header, emit)`` emits the data
    frames' contents and returns the last frame's."""
    if _is_revoked(peer):
        raise BundleRefused(f"Le nœud {peer} a été révoqué : aucun paquet ne lui est écrit.")
    _keys_of(peer)
    me = _me()
    number = _next_number(peer)
    prefix = _prefix(kind, settings.YIRI_NODE_ID, peer.node_id, number)
    header = read_header(io.BytesIO(prefix))
    written = Written(peer=peer, kind=kind, number=number)
    part = Path(out).with_name(Path(out).name + ".part")
    digest = hashlib.sha256()
    try:
        with open(part, "wb") as fh:
            fh.write(prefix)

            def emit(content: dict) -> None:
                frame = _frame(me, peer.box_key, header, written.frames, content)
                fh.write(frame)
                digest.update(frame)
                written.frames += 1
                written.operations += len(content.get("ops") or [])
                written.gone += len(content.get("gone") or [])

            last = frames(header, emit)
            fh.write(_frame(me, peer.box_key, header, written.frames, {
                "end": True, "frames": written.frames, "digest": digest.hexdigest(),
                "count": written.operations, **last}))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(part, out)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    written.size = Path(out).stat().st_size
    return written


def export(peer: Peer, out: Path | str, *, progress: Progress | None = None) -> Written:
    """Write to ``out`` a bundle of everything ``peer`` has not acknowledged."""
    peer.refresh_from_db()
    start = peer.sent_upto
    last_seq = Operation.objects.order_by("-seq").values_list("seq", flat=True).first() or start
    state = {"upto": start}

    def frames(header: Header, emit) -> dict:
        after = start
        while True:
            # As ``transport.client_request`` and ``serve_exchange`` read what to send: the
            # same function for a parent and a child (a child's scope is applied there).
            ops, upto, more, gone = scope.outgoing(peer, after, FRAME_OPS)
            if ops or gone:
                emit({"ops": ops, "gone": gone})
            stuck, after = upto == after, upto
            if progress:
                progress("export", after - start, max(last_seq - start, after - start))
            if not more or stuck:
                break
        state["upto"] = after
        return {"from": start, "upto": after, "ack": peer.received_upto}

    written = _write(peer, DATA, Path(out), frames)
    written.start, written.upto = start, state["upto"]
    return written


def write_ack(peer: Peer, out: Path | str, *, of: int = 0) -> Written:
    """Write to ``out`` an acknowledgement for ``peer``: what this node holds of its log
    (``of``: the number of the bundle just imported from it)."""
    peer.refresh_from_db()

    def frames(header: Header, emit) -> dict:
        return {"from": 0, "upto": 0, "ack": peer.received_upto, "of": of}

    return _write(peer, ACK, Path(out), frames)


# ---------------------------------------------------------------------- import


@dataclass
class Imported:
    peer: Peer
    kind: str
    number: int
    written: str
    operations: int = 0  # carried by the bundle
    applied: int = 0  # new here
    duplicates: int = 0
    gone: int = 0
    acknowledged: int = 0  # the peer's acknowledgement of this node's log, after import
    of: int = 0
    superseded_by: BundleReceipt | None = None  # a newer bundle imported held all this one holds
    stale: bool = False  # everything it carries had arrived otherwise (over HTTP)


def _is_revoked(peer: Peer) -> bool:
    """Whether bundles from ``peer`` are refused: revoked here, or named in the network's
    revocation list that sync brought (``enrol.is_revoked``)."""
    from .enrol import is_revoked

    return peer.revoked or is_revoked(peer.node_id)


def _sender(header: Header) -> Peer:
    """The peer a bundle comes from, if it is addressed to this node and its sender may
    send (``BundleRefused`` otherwise, naming which)."""
    me = settings.YIRI_NODE_ID
    if header.receiver != me:
        other = Peer.objects.filter(node_id=header.receiver).first()
        raise BundleRefused(
            f"Ce paquet est destiné à un autre nœud ({other or header.receiver}), pas à "
            "celui-ci : importez-le sur le nœud auquel il est adressé." + NOTHING)
    peer = Peer.objects.filter(node_id=header.sender).first()
    if peer is None or header.sender == me:
        raise BundleRefused(
            f"Ce paquet vient d'un nœud inconnu ici ({header.sender}) : seul un nœud parent "
            "ou enfant enrôlé (manage.py node enrol / join) peut en envoyer."
            + NOTHING)
    if _is_revoked(peer):
        raise BundleRefused(f"Ce paquet vient du nœud {peer}, qui a été révoqué : il est "
                            "refusé." + NOTHING)
    _keys_of(peer)
    return peer


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT") if moment else "?"


def check(path: Path | str, *, progress: Progress | None = None,
          ) -> tuple[Header, Peer, dict, BundleReceipt | None]:
    """Read a bundle whole and check everything, writing nothing: (its header, its
    sender, its last frame, the newer data bundle already imported from the same node that
    held everything this one holds, if any). ``BundleRefused`` if it may not be
    imported."""
    path = Path(path)
    try:
        size = path.stat().st_size
        fh = open(path, "rb")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise BundleRefused(f"Fichier illisible : {path.name} ({exc.strerror})." + NOTHING) from exc
    with fh:
        header = read_header(fh)
        peer = _sender(header)
        me = _me()
        end: dict = {}
        for data in _frames(fh, header, me, peer.sign_key):
            if data.get("end"):
                end = data
            if progress:
                progress("check", fh.tell(), size)
    peer.refresh_from_db()
    receipt = BundleReceipt.objects.filter(peer=peer, number=header.number).first()
    label = _kind_label(header.kind)
    if receipt is not None:
        raise BundleRefused(f"{label} (n° {header.number} de {peer}) a déjà été importé le "
                            f"{_when(receipt.imported_at)} : rien n'a changé.")
    newer = None
    if header.kind == DATA:
        # Bundles are cumulative (each starts at what the receiver acknowledged): a newer
        # one imported held everything this one holds, or this node acknowledged it.
        newer = (BundleReceipt.objects.filter(peer=peer, kind=DATA, number__gt=header.number)
                 .order_by("-number").first())
        if newer is None and end["from"] > peer.received_upto:
            raise BundleRefused(
                f"Ce paquet fait suite à des envois de {peer} que ce nœud n'a pas reçus "
                "(une sauvegarde a-t-elle été restaurée ?) : synchronisez par HTTP ou "
                "signalez-le à l'équipe technique." + NOTHING)
    return header, peer, end, newer


def import_bundle(path: Path | str, *, progress: Progress | None = None) -> Imported:
    """Check the bundle at ``path`` whole, then apply it in one transaction. Returns what
    happened; ``BundleRefused`` (nothing changed) if it may not be imported."""
    path = Path(path)
    header, peer, end, newer = check(path, progress=progress)
    result = Imported(peer=peer, kind=header.kind, number=header.number, written=header.written,
                      operations=end["count"], of=int(end.get("of") or 0), superseded_by=newer)
    if newer is not None:
        result.acknowledged = peer.sent_upto
        return result  # nothing to do, nothing changed
    # Everything it carries is already here (a later exchange over HTTP brought it): its
    # operations are not applied again. A record it carries may have left this node's
    # scope since, and been purged: applying them would bring it back.
    result.stale = header.kind == DATA and end["count"] > 0 and end["upto"] <= peer.received_upto
    size = path.stat().st_size
    try:
        with transaction.atomic(), open(path, "rb") as fh:
            if read_header(fh) != header:
                raise BundleRefused(TAMPERED)  # the file changed since it was checked
            for data in _frames(fh, header, _me(), peer.sign_key):
                if not data.get("end") and not result.stale:
                    _apply_frame(peer, data, result)
                if progress:
                    progress("apply", fh.tell(), size)
            _take_end(peer, header, end, result)
    except BadOperation as exc:
        raise BundleRefused(f"Opération refusée : {exc}. Rien de ce paquet n'a été "
                            "enregistré.") from exc
    except IntegrityError as exc:
        if BundleReceipt.objects.filter(peer=peer, number=header.number).exists():
            raise BundleRefused(f"Ce paquet (n° {header.number} de {peer}) vient d'être importé "
                                "par ailleurs : rien n'a changé.") from exc
        raise BundleRefused("Paquet refusé : une opération désigne une fiche ou une ligne "
                            "inconnue de ce nœud. Rien de ce paquet n'a été enregistré.") from exc
    if peer.role == PeerRole.CHILD and result.applied:
        from . import runs

        runs.forward()  # a relay passes on at once what came in by stick, as over HTTP
    return result


def _apply_frame(peer: Peer, data: dict, result: Imported) -> None:
    """Apply one data frame. Mirrors what one HTTP exchange does with a chunk
    (``transport.serve_exchange`` on a parent, ``transport.take_response`` on a child):
    keep the two in step."""
    ops = from_wire_many(data.get("ops"), received_from=peer.node_id)
    report = apply_operations(ops, received_from=peer.node_id)
    result.applied += report.applied
    result.duplicates += report.duplicates
    if peer.role == PeerRole.CHILD:
        scope.purge_out_of_scope(report.records)
        scope.child_holds(peer, report.records)
    else:
        result.gone += scope.purge_gone(data.get("gone") or [])


def _take_end(peer: Peer, header: Header, end: dict, result: Imported) -> None:
    """Move the cursors as an exchange would (never backwards: bundles may come in any
    order), and remember the bundle."""
    ack = end["ack"]
    updates = {"last_contact": timezone.now(), "last_way": ContactWay.BUNDLE, "last_error": ""}
    Peer.objects.filter(pk=peer.pk).update(**updates)
    Peer.objects.filter(pk=peer.pk, sent_upto__lt=ack).update(sent_upto=ack)
    if header.kind == DATA:
        Peer.objects.filter(pk=peer.pk, received_upto__lt=end["upto"]).update(received_upto=end["upto"])
    peer.refresh_from_db()
    if peer.role == PeerRole.CHILD:
        # What left the child's scope before its cursor is confirmed gone (as
        # ``scope.outgoing`` does when a child asks from its cursor).
        scope.confirm_holdings(peer, peer.sent_upto)
    else:
        scope.forwarded(peer.sent_upto)
    result.acknowledged = peer.sent_upto
    BundleReceipt.objects.create(peer=peer, number=header.number, kind=header.kind,
                                 written_at=header.written_at)


def describe(result: Imported) -> str:
    """What an import did, in French, for the operator."""
    if result.kind == ACK:
        answered = f" (réponse au paquet n° {result.of})" if result.of else ""
        return (f"Accusé de réception n° {result.number} de {result.peer}{answered} importé : "
                f"{result.peer} détient le journal de ce nœud jusqu'au n° {result.acknowledged}.")
    if result.superseded_by is not None:
        newer = result.superseded_by
        return (f"Le paquet n° {result.number} de {result.peer} est plus ancien que le paquet "
                f"n° {newer.number} importé le {_when(newer.imported_at)}, qui contenait déjà tout "
                "ce qu'il apporte : rien n'a changé.")
    if result.stale:
        return (f"Paquet n° {result.number} de {result.peer} importé : ce nœud avait déjà reçu "
                f"tout ce qu'il contient ({result.operations} opération(s), arrivées depuis par "
                "HTTP), rien n'a été appliqué à nouveau.")
    text = (f"Paquet n° {result.number} de {result.peer} importé : {result.operations} "
            f"opération(s), dont {result.applied} nouvelle(s)")
    if result.duplicates:
        text += f" et {result.duplicates} déjà présente(s)"
    text += "."
    if result.gone:
        text += f" {result.gone} dossier(s) sorti(s) de la portée de ce nœud retiré(s)."
    return text


def describe_written(written: Written, out: Path | str) -> str:
    if written.kind == ACK:
        return (f"Accusé de réception n° {written.number} pour {written.peer} écrit dans "
                f"{Path(out).name} ({written.size} octets) : à rapporter à {written.peer}.")
    return (f"Paquet n° {written.number} pour {written.peer} écrit dans {Path(out).name} : "
            f"{written.operations} opération(s), {written.size} octets.")


def find_peer(name: str) -> Peer:
    """A peer by node id, name or code (``BundleRefused`` if none or several)."""
    found = list(Peer.objects.filter(node_id=name)) or list(Peer.objects.filter(name=name)) \
        or list(Peer.objects.filter(code=name).exclude(code=""))
    if len(found) != 1:
        known = ", ".join(f"{p.name or p.node_id}" for p in Peer.objects.all()) or "aucun"
        raise BundleRefused(f"Nœud « {name} » introuvable ou ambigu parmi les nœuds pairs "
                            f"({known}).")
    return found[0]
