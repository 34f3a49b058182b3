"""Synchronisation over HTTP: one exchange carries a chunk each way.

The child calls its parent (``POST /sync/v1/exchange``); the parent never calls down (an
office behind a telecentre's connection cannot be reached). One exchange:

- request: the child's cursor on the parent's log ("I hold yours up to seq N"), a chunk
  of the child's operations after what the parent acknowledged last, and the chunk size;
- response: the parent's acknowledgement (the highest seq of the child it holds), a
  chunk of the parent's operations after the cursor, and whether more wait.

Each chunk is applied in one transaction and only then acknowledged, so a cut connection
costs at most the chunk in flight: the next attempt sends it again and the duplicates
are ignored. A sync with nothing to do is one exchange of a few hundred bytes.

Bodies are JSON compressed with gzip (``pack``/``unpack``), then sealed to the receiving
node's encryption key (``identity.seal``): traffic captured on plain HTTP shows no name.
Every request is signed with the sending node's Ed25519 key over the method, path, both
node ids, a timestamp, a nonce and the SHA-256 of the sealed body, and checked with the
key recorded at enrolment (``Peer.sign_key``, ``sync/enrol.py``); a nonce is accepted
once, a timestamp within 5 minutes, so a captured request cannot be replayed. The answer
is signed by the parent over the request's nonce and its sealed body, and checked by the
child. HTTPS in production; the signatures hold over plain HTTP too.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from . import identity, restore, scope
from .apply import BadOperation, apply_operations, from_wire_many
from .enrol import is_revoked
from .models import ContactWay, Nonce, Peer, PeerRole

PATH = "/sync/v1/exchange"
PROTOCOL = 1
MAX_BODY = 64 * 1024 * 1024  # decompressed
MAX_SKEW_S = 300
DEFAULT_CHUNK = 500


class SyncError(Exception):
    """An exchange that failed; the message says what to do."""


def _body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def request_message(sender: str, receiver: str, stamp: str, nonce: str, body: bytes,
                    method: str = "POST", path: str = PATH) -> bytes:
    """What the sending node signs for one request (``body`` as sent: sealed)."""
    return "\n".join(["yiri-request", method, path, sender, receiver, stamp, nonce,
                      _body_hash(body)]).encode()


def response_message(nonce: str, sender: str, receiver: str, body: bytes) -> bytes:
    """What the parent signs for its answer to the request of ``nonce``."""
    return "\n".join(["yiri-response", nonce, sender, receiver, _body_hash(body)]).encode()


def _identity() -> identity.Identity:
    try:
        return identity.load()
    except identity.IdentityError as exc:
        raise SyncError(str(exc)) from exc


def seal_body(box_key: str, packed: bytes) -> bytes:
    """A packed message sealed to the node whose encryption key is ``box_key``."""
    return identity.seal(box_key, packed)


def open_body(sealed: bytes) -> bytes:
    """A message sealed to this node, as ``pack`` made it (``SyncError`` if unreadable)."""
    try:
        return _identity().unseal(sealed)
    except identity.IdentityError as exc:
        raise SyncError(str(exc)) from exc


def pack(payload: dict) -> bytes:
    return gzip.compress(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode(),
                         compresslevel=6, mtime=0)


def unpack(body: bytes) -> dict:
    try:
        with gzip.GzipFile(fileobj=__import__("io").BytesIO(body)) as fh:
            raw = fh.read(MAX_BODY + 1)
    except (OSError, EOFError) as exc:
        raise SyncError("Message illisible (compression invalide).") from exc
    if len(raw) > MAX_BODY:
        raise SyncError("Message trop volumineux.")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise SyncError("Message illisible (JSON invalide).") from exc
    if not isinstance(data, dict) or data.get("v") != PROTOCOL:
        raise SyncError("Version du protocole de synchronisation inconnue : mettez Yiri à jour.")
    return data


# ----------------------------------------------------------------------- server


@dataclass
class Refusal(Exception):
    status: int
    message: str


def check_request(headers, body: bytes, path: str = PATH) -> Peer:
    """The peer that signed this request (to ``path``), or ``Refusal``."""
    node = headers.get("X-Yiri-Node", "")
    stamp = headers.get("X-Yiri-Time", "")
    nonce = headers.get("X-Yiri-Nonce", "")
    signature = headers.get("X-Yiri-Signature", "")
    if node and is_revoked(node):
        raise Refusal(403, "Ce nœud a été révoqué : ses échanges sont refusés.")
    peer = Peer.objects.filter(node_id=node, role=PeerRole.CHILD).first() if node else None
    if peer is None or not signature:
        raise Refusal(403, "Nœud inconnu : enrôlez-le d'abord comme nœud enfant "
                           "(manage.py node enrol).")
    if not peer.sign_key:
        raise Refusal(403, "Ce nœud n'a pas de clé enregistrée ici : enrôlez-le à nouveau "
                           "(manage.py node enrol).")
    if not identity.verify(peer.sign_key, request_message(node, settings.YIRI_NODE_ID, stamp,
                                                          nonce, body, path=path), signature):
        raise Refusal(403, "Signature invalide : ce nœud n'est pas celui qui a été enrôlé.")
    try:
        skew = abs(time.time() - int(stamp))
    except ValueError:
        raise Refusal(400, "Horodatage illisible.") from None
    if skew > MAX_SKEW_S:
        raise Refusal(403, "Requête trop ancienne ou horloge décalée de plus de 5 minutes : "
                           "vérifiez la date et l'heure des deux ordinateurs.")
    if not (16 <= len(nonce) <= 64):
        raise Refusal(400, "Nonce invalide.")
    try:
        with transaction.atomic():
            Nonce.objects.create(value=nonce, seen_at=timezone.now())
    except IntegrityError:
        raise Refusal(403, "Requête rejouée : refusée.") from None
    Nonce.objects.filter(seen_at__lt=timezone.now() - timezone.timedelta(seconds=2 * MAX_SKEW_S)).delete()
    return peer


def serve_exchange(peer: Peer, data: dict) -> dict:
    """The parent's side of one exchange (``data`` already authenticated and unpacked)."""
    cursor = data.get("cursor", 0)
    limit = data.get("limit", DEFAULT_CHUNK)
    push = data.get("push") or {}
    if not isinstance(cursor, int) or not isinstance(limit, int) or not isinstance(push, dict):
        raise Refusal(400, "Requête de synchronisation mal formée.")
    limit = max(1, min(limit, 5000))
    pushed = push.get("ops") or []
    start, upto = push.get("from", 0), push.get("upto", 0)
    if not isinstance(pushed, list) or not isinstance(start, int) or not isinstance(upto, int):
        raise Refusal(400, "Envoi mal formé.")
    try:
        me = restore.read_me(data.get("me"))
    except ValueError:
        raise Refusal(400, "Requête de synchronisation mal formée (état du nœud).") from None
    # A cursor beyond this node's log (this node restored from an old backup): the child
    # starts again from 0 rather than skip what this node writes next (duplicates are
    # ignored).
    rewound = cursor > restore.log_end()
    if rewound:
        cursor = 0
    applied = 0
    ack = None
    # The child restored from a backup older than its last sync (``sync.restore``)?
    restored = restore.behind(peer, me, pushed) if me is not None else None
    if restored is not None:
        pass  # nothing of the chunk is applied: the child renumbers it first
    elif start > peer.received_upto:
        pass  # a gap (this node lost state): refuse the chunk, the ack says where to resume
    else:
        try:
            ops = from_wire_many(pushed, received_from=peer.node_id)
        except BadOperation as exc:
            raise Refusal(400, f"Opération refusée : {exc}.") from exc
        try:
            with transaction.atomic():
                # A child that does not send its clock (an older version) would not
                # understand the answer: its chunk is taken as before.
                report = apply_operations(ops, received_from=peer.node_id,
                                          collisions_of=peer.node_id if me is not None else None)
                if report.collisions:
                    raise restore.Collided(report.collisions)
                scope.purge_out_of_scope(report.records)
                scope.child_holds(peer, report.records)
                applied = report.applied
                Peer.objects.filter(pk=peer.pk, received_upto__lt=upto).update(received_upto=upto)
                # What the child sent, not more: an acknowledgement ahead of its push (a
                # child restored from a backup) would make it skip operations.
                ack = upto
        except restore.Collided as exc:
            restored = restore.found(peer, collisions=exc.ids, pushed=pushed)
        except BadOperation as exc:
            restored = restore.refused(peer, pushed) if me is not None else None
            if restored is None:
                raise Refusal(400, f"Opération refusée : {exc}. Rien de ce lot n'a été "
                                   "enregistré.") from exc
        except IntegrityError as exc:  # a link to a row this node does not hold
            restored = restore.refused(peer, pushed) if me is not None else None
            if restored is None:
                raise Refusal(400, "Lot refusé : une opération désigne une fiche ou une ligne "
                                   "inconnue de ce nœud. Rien de ce lot n'a été enregistré.") from exc
    peer.refresh_from_db()
    if restored is not None:
        Peer.objects.filter(pk=peer.pk).update(last_contact=timezone.now(), last_error="")
        return {"v": PROTOCOL, "node": settings.YIRI_NODE_ID, "ack": peer.received_upto,
                "ops": [], "upto": cursor, "restored": restored}
    out, out_upto, more, gone = scope.outgoing(peer, cursor, limit, own=data.get("own") is True)
    # The child's cursor is what it holds of this node's log: its ``sent_upto`` here, so the
    # status page can count what waits for it.
    Peer.objects.filter(pk=peer.pk).update(last_contact=timezone.now(), last_error="",
                                           sent_upto=cursor, last_way=ContactWay.HTTP)
    answer = {"v": PROTOCOL, "node": settings.YIRI_NODE_ID,
              "ack": peer.received_upto if ack is None else min(ack, peer.received_upto),
              "applied": applied, "ops": out, "upto": out_upto, "more": more, "gone": gone,
              "left": scope.pending_count(peer, out_upto) if more else 0, "rewound": rewound}
    # Nothing, false and zero go unsaid (the child reads them so): a sync with nothing to
    # do stays under a kilobyte with its HTTP headers.
    return {k: v for k, v in answer.items() if v or k in ("v", "ack", "ops", "upto")}


# ----------------------------------------------------------------------- client


@dataclass
class Progress:
    sent: int = 0
    received: int = 0
    to_send: int = 0
    to_receive: int = 0
    exchanges: int = 0
    bytes_out: int = 0
    bytes_in: int = 0
    # What the operator must read (this node found restored from an old backup).
    notices: list[str] = field(default_factory=list)


def _post(peer: Peer, body: bytes, timeout: float) -> bytes:
    return post(peer, body, timeout)


def post(peer: Peer, body: bytes, timeout: float, path: str = PATH) -> bytes:
    """Send ``body`` (packed, or a backup upload) to the parent ``peer`` at ``path``, sealed
    to it and signed; return its answer, checked and opened (packed)."""
    me = _identity()
    if not peer.sign_key or not peer.box_key:
        raise SyncError("Les clés du nœud parent ne sont pas connues ici : rattachez ce nœud "
                        "avec « manage.py node join ».")
    if not peer.url.lower().startswith(("https://", "http://")):
        raise SyncError("L'adresse du nœud parent doit commencer par https:// (ou http://).")
    body = seal_body(peer.box_key, body)
    stamp, nonce = str(int(time.time())), secrets.token_urlsafe(16)
    signature = me.sign(request_message(settings.YIRI_NODE_ID, peer.node_id, stamp, nonce, body,
                                        path=path))
    req = urllib.request.Request(
        peer.url.rstrip("/") + path, data=body, method="POST",
        headers={"Content-Type": "application/octet-stream", "User-Agent": "Yiri",
                 "X-Yiri-Node": settings.YIRI_NODE_ID, "X-Yiri-Time": stamp,
                 "X-Yiri-Nonce": nonce, "X-Yiri-Signature": signature})
    try:
        # Bandit B310 answered: the scheme is checked above (never file: nor ftp:).
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # nosec B310
            answer = resp.read(MAX_BODY + 1)
            signature = resp.headers.get("X-Yiri-Signature", "")
            length = resp.headers.get("Content-Length", "")
        if length.isdigit() and len(answer) < int(length):
            # The line closed in the middle of the answer: tried again, not taken for a
            # forged answer.
            raise http.client.IncompleteRead(answer, int(length) - len(answer))
    except urllib.error.HTTPError as exc:
        detail = exc.read(4096)
        try:
            message = json.loads(detail).get("error", "")
        except ValueError:
            message = ""
        raise SyncError(message or f"Le nœud parent a répondu {exc.code}.") from exc
    except (urllib.error.URLError, OSError, TimeoutError, http.client.HTTPException) as exc:
        raise SyncError(f"Connexion au nœud parent impossible ({exc.__class__.__name__}) : "
                        "nouvel essai plus tard.") from exc
    if not identity.verify(peer.sign_key, response_message(nonce, peer.node_id,
                                                           settings.YIRI_NODE_ID, answer), signature):
        raise SyncError("Réponse non authentifiée : refusée (elle ne vient pas du nœud parent "
                        "enrôlé, ou elle a été modifiée en chemin).")
    return open_body(answer)


def response_signature(peer: Peer, nonce: str, body: bytes) -> str:
    """This node's signature of its answer ``body`` (sealed) to ``peer``'s request."""
    return _identity().sign(response_message(nonce, settings.YIRI_NODE_ID, peer.node_id, body))


class _ReadAhead:
    """The next chunk to push, read in a thread while the parent applies this one: the
    two nodes then work at the same time (on two cores) instead of in turn. Reading what
    goes to the parent writes nothing (a parent's scope is not filtered), so the thread
    only reads, on its own connection."""

    def __init__(self, peer: Peer, after: int, chunk: int) -> None:
        self.after = after
        self.result: tuple | None = None
        self.thread = threading.Thread(target=self._read, args=(peer.pk, after, chunk),
                                       name="yiri-sync-read-ahead", daemon=True)
        self.thread.start()

    def _read(self, peer_pk: str, after: int, chunk: int) -> None:
        try:
            self.result = scope.outgoing(Peer.objects.get(pk=peer_pk), after, chunk)
        except Exception:  # noqa: BLE001 — read again in turn by the caller
            self.result = None
        finally:
            connection.close()  # this thread's own connection

    def take(self, after: int) -> tuple | None:
        """What was read, if it starts where the next push starts."""
        self.thread.join()
        return self.result if after == self.after else None


def client_request(peer: Peer, chunk: int = DEFAULT_CHUNK,
                   ready: tuple | None = None) -> tuple[dict, int, bool]:
    """The child's half before an exchange: the request for its parent ``peer`` (its
    cursor and the next chunk of its operations, or ``ready``, that chunk read already).
    Returns (payload, the arrival number the pushed chunk covers, whether more operations
    wait to be pushed)."""
    ops, push_upto, push_more, _ = ready or scope.outgoing(peer, peer.sent_upto, chunk)
    payload = {"v": PROTOCOL, "cursor": peer.received_upto, "limit": chunk,
               "push": {"from": peer.sent_upto, "upto": push_upto, "ops": ops},
               # This node's own clock, read after the chunk: the parent finds this node
               # restored from an old backup if it holds more of it (``sync.restore``).
               "me": restore.clock_state()}
    if peer.recover_own_until > peer.received_upto:
        payload["own"] = True  # restored: this node's own operations back too
    return payload, push_upto, push_more


def take_response(peer: Peer, data: dict) -> tuple[int, int]:
    """The child's half after an exchange: apply the parent's chunk, purge what left this
    node's scope and move the cursors. Returns (the parent's acknowledgement, how many
    operations came down).

    What left is the parent's word (``gone``), never this node's reading of a chunk: a
    record's operations arrive in the parent's order, and a record may come in before the
    write that brings it into this node's scope (its entry is sent from the first
    operation the parent meets); purged then, the operations that follow would land on
    a record this node no longer holds."""
    ack = data.get("ack", 0)
    try:
        pulled = from_wire_many(data.get("ops"), received_from=peer.node_id)
    except BadOperation as exc:
        raise SyncError(f"Opération reçue refusée : {exc}.") from exc
    upto = data.get("upto", 0)
    try:
        with transaction.atomic():
            restore.take_own_back(peer, pulled)
            apply_operations(pulled, received_from=peer.node_id)
            Peer.objects.filter(pk=peer.pk).update(
                # ``rewound``: the parent's log ends before this node's cursor (it was
                # restored from a backup): the cursor goes back with it.
                sent_upto=ack, received_upto=upto if data.get("rewound") is True
                else max(upto, peer.received_upto),
                last_contact=timezone.now(), last_error="", last_way=ContactWay.HTTP)
            scope.purge_gone(data.get("gone") or [])
    except (BadOperation, IntegrityError) as exc:
        raise SyncError(f"Opération reçue refusée : {exc}. Rien de ce lot n'a été "
                        "enregistré.") from exc
    scope.forwarded(ack)
    return ack, len(pulled)


def sync_with(peer: Peer, *, chunk: int = DEFAULT_CHUNK, timeout: float = 60,
              retries: int = 5, backoff: float = 1.0,
              progress: Callable[[Progress], None] | None = None) -> Progress:
    """Push and pull with ``peer`` (this node's parent) until both sides are up to date."""
    if peer.role != PeerRole.PARENT:
        raise SyncError("Seul le nœud parent est appelé ; un nœud enfant appelle celui-ci.")
    from yiri.audit import chain

    chain.checkpoint()  # when due: the audit chain's signed head travels with this sync
    state = Progress(to_send=scope.pending_count(peer, peer.sent_upto))
    ahead: _ReadAhead | None = None
    restored_last = False
    while True:
        peer.refresh_from_db()
        ready = ahead.take(peer.sent_upto) if ahead else None
        payload, push_upto, push_more = client_request(peer, chunk, ready)
        pushed = len(payload["push"]["ops"])
        body = pack(payload)
        # While the parent applies this chunk, read the next (used if the parent takes this
        # one, as it does unless something is refused).
        ahead = _ReadAhead(peer, push_upto, chunk) if push_more else None
        answer = None
        for attempt in range(retries + 1):
            try:
                answer = _post(peer, body, timeout)
                break
            except SyncError as exc:
                if attempt == retries or "Connexion" not in str(exc):
                    Peer.objects.filter(pk=peer.pk).update(last_error=str(exc),
                                                           last_error_at=timezone.now())
                    raise
                time.sleep(backoff * (2 ** attempt))
        data = unpack(answer)
        state.exchanges += 1
        state.bytes_out += len(body)
        state.bytes_in += len(answer)
        if "restored" in data:
            if ahead is not None:
                ahead.thread.join()  # read before the renumbering: dropped
                ahead = None
            restored_last = _recovered(peer, data["restored"], state, restored_last)
            continue
        restored_last = False
        ack, received = take_response(peer, data)
        state.sent += pushed if ack >= push_upto else 0
        state.received += received
        state.to_receive = state.received + int(data.get("left") or 0)
        if progress:
            progress(state)
        if not push_more and not data.get("more"):
            return state
        if ack < push_upto and not data.get("more") and ack == peer.sent_upto:
            raise SyncError("Le nœud parent n'accepte pas la suite des envois : "
                            "vérifiez son journal.")


def _recovered(peer: Peer, info, state: Progress, again: bool) -> bool:
    """The parent found this node restored from an old backup (``sync.restore``):
    recover, tell the operator, and go on. Each further such answer names operations or
    records made since the restore under numbers already taken (one chunk at a time); one
    that names none right after a recovery would loop: stopped with a message."""
    if again and isinstance(info, dict) and not (info.get("collisions") or info.get("renamed")):
        raise SyncError("Le nœud parent signale encore ce nœud comme restauré depuis une "
                        "sauvegarde après l'avancement de ses compteurs : vérifiez qu'aucun "
                        "autre ordinateur n'utilise le même identifiant de nœud.")
    notice = restore.recover(peer, info)
    if notice not in state.notices:
        state.notices.append(notice)
    return True
