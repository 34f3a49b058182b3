"""The audit log as a hash chain, its signed checkpoints, and its verification.

Every event takes the next place in the chain (``seq`` 1, 2, …) under a lock on the one
``AuditHead`` row, and stores ``digest = SHA-256(previous digest, the event's content)``.
Changing an event's content, removing one or moving one changes every digest after it:
``verify`` recomputes the chain and names the first event that no longer matches.

An attacker who can write to the database can also recompute the digests after an edit;
checkpoints stop that: the head's digest signed with the node's Ed25519 key
(``sync/identity.py``, kept out of the database), synchronised to the nodes above. A
rewritten chain no longer matches the checkpoints the relay and the national node hold,
and nobody without the key can sign new ones. On both databases, triggers refuse UPDATE
and DELETE on the audit table (migration ``0005_audit_chain``): the application itself
cannot change its history.

Why our own code: the chain is about twenty lines over ``hashlib`` and the node keys;
the audit packages for Django (django-auditlog, django-simple-history) keep histories of
models, not a chain, and none signs checkpoints with a key held outside the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import AuditCheckpoint, AuditEvent, AuditHead

GENESIS = "0" * 64


def content(event: AuditEvent) -> bytes:
    """What the digest covers: every column of the event but the digest itself."""
    at = event.at.astimezone(dt.UTC).isoformat(timespec="microseconds") if event.at else ""
    return json.dumps(
        [event.seq, at, str(event.user_id or ""), event.action, event.record_type,
         str(event.record_id or ""), event.ip or "", event.details],
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def link(previous: str, event: AuditEvent) -> str:
    return hashlib.sha256(previous.encode() + b"\n" + content(event)).hexdigest()


def append(event: AuditEvent) -> AuditEvent:
    """Save a new event at the end of the chain (in the caller's transaction if any)."""
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None:  # (made by the migration; gone only from an emptied database)
            try:
                with transaction.atomic():
                    AuditHead.objects.create(pk=1, seq=0, digest=GENESIS)
            except IntegrityError:
                pass  # another writer made it first
            head = AuditHead.objects.select_for_update().get(pk=1)
        event.seq = head.seq + 1
        if event.at is None:
            event.at = timezone.now()
        event.digest = link(head.digest or GENESIS, event)
        event.save(force_insert=True)
        AuditHead.objects.filter(pk=1).update(seq=event.seq, digest=event.digest)
    return event


# ------------------------------------------------------------------- checkpoints


def checkpoint(*, force: bool = False) -> AuditCheckpoint | None:
    """Sign the head of this node's chain (if the node has keys and the chain moved since
    the last checkpoint; ``force`` for the first one or on request). The checkpoint is a
    synchronised row: it travels with the next sync."""
    from yiri.sync import identity

    head = AuditHead.objects.filter(pk=1).first()
    if head is None or head.seq == 0 or not identity.has_keys():
        return None
    node = settings.YIRI_NODE_ID
    last = AuditCheckpoint.objects.filter(node_id=node).order_by("-seq").first()
    if last is not None and last.seq >= head.seq:
        return None
    if not force and not due(last, head):
        return None
    keys = identity.load()
    made = timezone.now()
    point = AuditCheckpoint(node_id=node, seq=head.seq, digest=head.digest, made_at=made,
                            sign_key=keys.sign_key)
    point.signature = keys.sign(_signed(point))
    point.save()
    return point


def due(last: AuditCheckpoint | None, head: AuditHead) -> bool:
    """Whether a checkpoint is due: every ``YIRI_AUDIT_CHECKPOINT_EVERY`` events, or once a
    day when the chain moved."""
    every = getattr(settings, "YIRI_AUDIT_CHECKPOINT_EVERY", 1000)
    since = head.seq - (last.seq if last else 0)
    if since >= every:
        return True
    if last is None:
        first = AuditEvent.objects.filter(seq=1).values_list("at", flat=True).first()
        return bool(first and first < timezone.now() - dt.timedelta(days=1))
    return since > 0 and last.made_at < timezone.now() - dt.timedelta(days=1)


def _signed(point: AuditCheckpoint) -> bytes:
    return "\n".join(["yiri-audit-checkpoint", point.node_id, str(point.seq), point.digest,
                      point.made_at.astimezone(dt.UTC).isoformat(timespec="microseconds")]).encode()


def signature_holds(point: AuditCheckpoint, sign_key: str | None = None) -> bool:
    """Whether ``point`` is signed by ``sign_key`` (by default the key it names; a node
    checking another's uses the key it knows for that node)."""
    from yiri.sync import identity

    key = sign_key or point.sign_key
    return bool(key and point.signature and identity.verify(key, _signed(point), point.signature))


# ------------------------------------------------------------------- verification


@dataclass
class Finding:
    seq: int | None
    message: str


def verify() -> tuple[int, int, list[Finding]]:
    """Check this node's chain against itself and its checkpoints (wherever they are held:
    here, or received back from the nodes above). Returns (events, checkpoints, findings),
    the first finding being the first event altered, removed or moved."""
    from yiri.sync import identity
    from yiri.sync.models import Peer

    findings: list[Finding] = []
    node = settings.YIRI_NODE_ID
    points = {p.seq: p for p in AuditCheckpoint.objects.filter(node_id=node, deleted=False)}
    own_key = identity.load().sign_key if identity.has_keys() else ""
    previous, expected, count = GENESIS, 1, 0
    events = AuditEvent.objects.filter(seq__isnull=False).order_by("seq")
    for event in events.iterator(chunk_size=2000):
        count += 1
        if event.seq != expected and not findings:
            if event.seq > expected:
                findings.append(Finding(expected, f"Entrée n° {expected} supprimée (la chaîne "
                                                  f"passe de {expected - 1} à {event.seq})."))
            else:
                findings.append(Finding(event.seq, f"Entrée n° {event.seq} en double ou déplacée."))
        digest = link(previous, event)
        if digest != event.digest and not findings:
            findings.append(Finding(event.seq, f"Entrée n° {event.seq} modifiée ou déplacée "
                                               f"({event.at:%Y-%m-%d %H:%M}, {event.action})."))
        point = points.get(event.seq)
        if point is not None and point.digest != event.digest and not findings:
            findings.append(Finding(event.seq, f"La chaîne ne correspond plus au point de "
                                               f"contrôle n° {event.seq} signé le "
                                               f"{point.made_at:%Y-%m-%d %H:%M} : historique "
                                               "réécrit avant cette entrée."))
        previous = event.digest  # what is stored: one finding, not one per later event
        expected = event.seq + 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and head.seq != expected - 1 and not findings:
        findings.append(Finding(expected, f"Entrées n° {expected} à {head.seq} supprimées "
                                          "(la fin de la chaîne manque)."))
    for point in points.values():
        if not signature_holds(point, own_key or None):
            findings.append(Finding(point.seq, f"Point de contrôle n° {point.seq} : signature "
                                               "invalide."))
        if point.seq > expected - 1 and not any(f.seq == point.seq for f in findings):
            findings.append(Finding(point.seq, f"Le point de contrôle n° {point.seq} désigne "
                                               "des entrées qui n'existent plus."))
    # Other nodes' checkpoints held here: signed by the key this node knows for them.
    known = {p.node_id: p.sign_key for p in Peer.objects.exclude(sign_key="")}
    for point in AuditCheckpoint.objects.exclude(node_id=node).filter(deleted=False):
        key = known.get(point.node_id)
        if key and not signature_holds(point, key):
            findings.append(Finding(None, f"Point de contrôle du nœud {point.node_id} "
                                          f"(n° {point.seq}) : signature invalide."))
    return count, len(points), findings
