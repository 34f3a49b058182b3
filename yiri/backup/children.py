"""Backups of its child nodes that a parent keeps: an office sends its backup to its relay
cell (``manage.py backup send``, over the signed channel of sync), or someone carries the
file there on a USB stick (``manage.py backup receive FILE`` on the relay).

A backup is already encrypted to its office and to the office's parent (``services.make``
seals its data key to both), and so is the copy of the key store written beside it
(``keys.ykeys``): the relay keeps both as they are, checks that the backup comes from one
of its child nodes (not revoked) and that it opens with the relay's own keys, then verifies
it — restored into a scratch database, counts and digest against its manifest — exactly
as ``backup verify`` does. The verdict is written beside the file (``<name>.check.json``);
no ``BackupReport`` is written here, that row is the office's own (it travels up by sync).

The relay keeps the ``YIRI_CHILD_BACKUPS_KEEP`` latest backups of each child (3) under
``<data folder>/child_backups/<node id>/``, owner-only. Restoring an office from there:
``manage.py restore FILE`` on a new office installation, with the relay's ``node_keys``
(``--key-file``) and that folder's ``keys.ykeys`` (``--keys``); see README, Backups.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from yiri.sync import identity

from . import archive, dumps, services
from .archive import BackupError

FOLDER = "child_backups"
CHECK_SUFFIX = ".check.json"
FRAME = 8  # bytes of the archive's length at the head of an upload


def root() -> Path:
    return services.private_folder(Path(settings.DATA_DIR) / FOLDER)


def keep() -> int:
    return max(1, int(os.environ.get("YIRI_CHILD_BACKUPS_KEEP", "3")))


@dataclass
class Received:
    node_id: str
    path: Path
    ok: bool
    differences: list[str]
    created: str


def _child(node_id: str, sender: str | None):
    from yiri.sync.enrol import is_revoked
    from yiri.sync.models import Peer, PeerRole

    if sender is not None and sender != node_id:
        raise BackupError("Cette sauvegarde est celle d'un autre nœud que celui qui l'envoie : "
                          "refusée.")
    if is_revoked(node_id):
        raise BackupError("Ce nœud a été révoqué : ses sauvegardes sont refusées.")
    peer = Peer.objects.filter(node_id=node_id, role=PeerRole.CHILD).first()
    if peer is None:
        raise BackupError("Cette sauvegarde n'est pas celle d'un nœud enfant de ce nœud : "
                          "enrôlez d'abord le bureau (manage.py node enrol), ou portez-la à "
                          "son nœud parent.")
    return peer


def receive(data: Path, keys_copy: bytes | None = None, *, sender: str | None = None) -> Received:
    """Take the backup file ``data`` of a child node (and its key store copy) into this
    node's keeping, verified. ``sender``: the node that sent it over the network."""
    with open(data, "rb") as fh:
        header, _raw = archive.read_header(fh)
    node_id = str(header.get("node_id", ""))
    _child(node_id, sender)
    mine = identity.load()
    archive.data_key(header, mine)  # BackupError if it was not encrypted for this node
    folder = services.private_folder(root() / _safe(node_id))
    name = services.backup_name(node_id, dt.datetime.fromisoformat(header["created"])
                                .astimezone(dt.UTC))
    target = folder / name
    temp = folder / f".{name}.part"
    shutil.copyfile(data, temp)
    os.chmod(temp, 0o600)
    # Checked before it takes its place: a damaged copy never replaces a good one.
    # A backup made on another kind of database (an office on SQLite, a relay on
    # PostgreSQL) is checked whole — every block's authentication, the manifest and the
    # files' checksums — but cannot be restored into a scratch database here.
    work = services.work_folder("verify")
    try:
        if header.get("vendor") == dumps.vendor():
            checked = services.check(temp, work, mine)
            differences, restored = checked.differences, True
        else:
            services.unpack(temp, work, mine)
            differences, restored = [], False
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    os.replace(temp, target)
    if keys_copy:
        from yiri.cases import keycopy

        copy = folder / keycopy.COPY_NAME
        temp = folder / f".{keycopy.COPY_NAME}.part"
        temp.write_bytes(keys_copy)
        os.chmod(temp, 0o600)
        os.replace(temp, copy)
    verdict = {"backup_id": header["backup_id"], "node_id": node_id, "created": header["created"],
               "verified_at": timezone.now().isoformat(), "ok": not differences,
               "restored": restored, "differences": differences,
               "size": target.stat().st_size}
    check_file = folder / (name + CHECK_SUFFIX)
    check_file.write_text(json.dumps(verdict, sort_keys=True))
    os.chmod(check_file, 0o600)
    _rotate(folder)
    return Received(node_id, target, verdict["ok"], differences, header["created"])


def _safe(node_id: str) -> str:
    cleaned = "".join(c for c in node_id if c.isalnum() or c in "-_")
    if not cleaned or cleaned != node_id:
        raise BackupError("Identifiant de nœud invalide dans l'en-tête de la sauvegarde.")
    return cleaned


def _rotate(folder: Path) -> None:
    files = sorted(folder.glob(f"*{services.SUFFIX}"))
    for old in files[:-keep()]:
        old.unlink(missing_ok=True)
        (folder / (old.name + CHECK_SUFFIX)).unlink(missing_ok=True)


def held(node_ids) -> dict[str, dict]:
    """The latest backup this node keeps of each of ``node_ids``: ``{node id: verdict}``
    (``created``, ``verified_at``, ``ok``, ``size``, ``path``)."""
    out: dict[str, dict] = {}
    base = Path(settings.DATA_DIR) / FOLDER
    for node_id in node_ids:
        folder = base / node_id
        if not folder.is_dir():
            continue
        checks = sorted(folder.glob(f"*{services.SUFFIX}{CHECK_SUFFIX}"))
        if not checks:
            continue
        try:
            verdict = json.loads(checks[-1].read_text())
        except (OSError, ValueError):
            continue
        verdict["path"] = str(checks[-1])[: -len(CHECK_SUFFIX)]
        for key in ("created", "verified_at"):
            verdict[key] = dt.datetime.fromisoformat(verdict[key])
        out[node_id] = verdict
    return out


# ------------------------------------------------------------- over the network


def frame(data: Path, keys_copy: bytes | None) -> bytes:
    """The body of an upload: the archive's length, the archive, the key store copy."""
    blob = data.read_bytes()
    return len(blob).to_bytes(FRAME, "big") + blob + (keys_copy or b"")


def unframe(body: bytes) -> tuple[bytes, bytes]:
    if len(body) < FRAME:
        raise BackupError("Envoi de sauvegarde incomplet.")
    n = int.from_bytes(body[:FRAME], "big")
    if n <= 0 or n > len(body) - FRAME:
        raise BackupError("Envoi de sauvegarde incomplet (fichier tronqué en route ?).")
    return body[FRAME:FRAME + n], body[FRAME + n:]


def latest_own(folder: Path | None = None) -> Path:
    folder = Path(folder) if folder else services.default_folder()
    mine = sorted(folder.glob(f"yiri-backup-{settings.YIRI_NODE_ID}-*{services.SUFFIX}"))
    if not mine:
        raise BackupError("Aucune sauvegarde de ce nœud à envoyer : lancez d'abord "
                          "« manage.py backup ».")
    return mine[-1]


def send(path: Path, *, timeout: float = 600) -> dict:
    """Send the backup ``path`` (and the key store copy beside it) to this node's parent."""
    from yiri.cases import keycopy
    from yiri.sync import transport
    from yiri.sync.models import Peer, PeerRole

    parent = Peer.objects.filter(role=PeerRole.PARENT).first()
    if parent is None:
        raise BackupError("Ce nœud n'a pas de nœud parent : rattachez-le d'abord "
                          "(manage.py node join).")
    copy = path.parent / keycopy.COPY_NAME
    body = frame(path, copy.read_bytes() if copy.exists() else None)
    if len(body) > upload_limit():
        raise BackupError("Sauvegarde trop volumineuse pour l'envoi par le réseau : portez le "
                          "fichier à la cellule de relais (manage.py backup receive).")
    try:
        answer = transport.unpack(transport.post(parent, body, timeout, path=UPLOAD_PATH))
    except transport.SyncError as exc:
        raise BackupError(str(exc)) from exc
    return answer


UPLOAD_PATH = "/sync/v1/backup"


def upload_limit() -> int:
    return int(os.environ.get("YIRI_BACKUP_UPLOAD_MAX_MB", "256")) * 1024 * 1024
