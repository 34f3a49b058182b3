"""One copy of the key store kept next to the backups, for a restore on another machine.

``manage.py backup`` writes (and overwrites) ``keys.ykeys`` in the folder it writes the
archive to: every record's data key (and the ids of forgotten ones), encrypted with a
random file key that is sealed, like the archive's own key, to the backup's recipients —
this node and its parent (``backup.services.recipients``). So the node itself, or its relay
cell when the office's computer is lost, restores with its ``node_keys`` alone; the restoring
node wraps the keys it imports under its own master key. The copy holds no master key.

There is one copy, never a history of copies: when a record's key is forgotten, or the
master key rotated, every copy this node wrote is rewritten (the folders are remembered in
``keys/copies``), so an older backup restored anywhere cannot reveal an erased record.
"""

from __future__ import annotations

import json
import os
import secrets
import time
import uuid
from pathlib import Path

from nacl.exceptions import CryptoError

from . import keys

COPY_NAME = "keys.ykeys"
_FORMAT = "yiri-keys-2"
_AD = _FORMAT.encode()


def _copies_file() -> Path:
    return keys.folder() / "copies"


def _known_folders() -> list[Path]:
    try:
        return [Path(p) for p in json.loads(_copies_file().read_text())]
    except (FileNotFoundError, ValueError):
        return []


def _remember(folder: Path) -> None:
    known = {str(p) for p in _known_folders()} | {str(folder.resolve())}
    path = _copies_file()
    temp = path.with_name(f".copies.{uuid.uuid4().hex}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(sorted(known), fh)
    os.replace(temp, path)


def export_bytes(recipients: list[dict]) -> bytes:
    """The data keys (forgotten ones as ids only), sealed to ``recipients``."""
    from yiri.sync import identity as node_identity

    rows = keys.connect().execute(
        "SELECT key_id, record_id, master_id, wrapped, created, forgotten FROM data_key").fetchall()
    out = []
    for kid, rid, master, wrapped, created, gone in rows:
        key = keys.unwrap(master, kid, rid, wrapped).hex() if wrapped is not None else None
        out.append([kid.hex(), rid, key, created, gone])
    file_key = secrets.token_bytes(keys.KEY_BYTES)
    sealed = keys.aead_encrypt(file_key, json.dumps(out).encode(), _AD)
    header = {"format": _FORMAT, "recipients": [
        {"node_id": r["node_id"], "role": r["role"],
         "sealed": node_identity.b64(node_identity.seal(r["box_key"], file_key))}
        for r in recipients]}
    return json.dumps(header).encode() + b"\n" + sealed


def write(folder: Path, recipients: list[dict] | None = None) -> Path:
    """Write (or overwrite) the copy in ``folder``; the file appears whole."""
    if recipients is None:
        from yiri.backup.services import recipients as backup_recipients

        recipients = backup_recipients()
    folder = Path(folder)
    path = folder / COPY_NAME
    temp = folder / f".{COPY_NAME}.{uuid.uuid4().hex}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(export_bytes(recipients))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    _remember(folder)
    return path


def refresh_copies() -> None:
    """Rewrite every copy this node wrote: forgotten keys leave them."""
    folders = [f for f in _known_folders() if (f / COPY_NAME).exists()]
    if not folders:
        return
    from yiri.sync.identity import IdentityError

    try:
        for folder in folders:
            write(folder)
    except IdentityError:  # a node without node keys writes no backup: its copies go
        for folder in folders:
            (folder / COPY_NAME).unlink(missing_ok=True)


def read(path: Path, node_keys) -> list[list]:
    """The rows of the copy at ``path``, opened with ``node_keys`` (a ``sync.identity.
    Identity``: this node's, or the parent's for an office's backup)."""
    from yiri.sync.identity import IdentityError, unb64

    try:
        head, sealed = Path(path).read_bytes().split(b"\n", 1)
        header = json.loads(head)
        if header.get("format") != _FORMAT:
            raise ValueError(header.get("format"))
    except (ValueError, OSError) as exc:
        raise keys.KeyMissing(f"Copie du magasin de clés illisible ({Path(path).name}).") from exc
    file_key = None
    for r in header.get("recipients", []):
        try:
            file_key = node_keys.unseal(unb64(r["sealed"]))
            break
        except (IdentityError, KeyError, TypeError):
            continue
    if file_key is None:
        raise keys.KeyMissing("Cette copie du magasin de clés n'est pas scellée pour les clés "
                              "de ce nœud (ni celles du nœud sauvegardé, ni celles de son "
                              "nœud parent).")
    try:
        return json.loads(keys.aead_decrypt(file_key, sealed, _AD))
    except CryptoError as exc:
        raise keys.KeyMissing("Copie du magasin de clés altérée : elle ne s'ouvre pas.") from exc


def import_copy(path: Path, node_keys) -> tuple[int, int]:
    """Add the copy's keys this key store lacks (wrapped under this node's master key); a
    key forgotten here or there stays forgotten. Returns (added, newly forgotten here)."""
    rows = read(path, node_keys)
    master = keys.masters().current
    conn = keys.connect()
    added = forgotten = 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        for kid_hex, rid, key_hex, created, gone in rows:
            kid = bytes.fromhex(kid_hex)
            here = conn.execute("SELECT wrapped FROM data_key WHERE key_id=?", (kid,)).fetchone()
            if here is None:
                wrapped = (keys.wrap(master, kid, rid, bytes.fromhex(key_hex))
                           if key_hex else None)
                conn.execute("INSERT INTO data_key (key_id, record_id, master_id, wrapped, created, "
                             "forgotten) VALUES (?, ?, ?, ?, ?, ?)",
                             (kid, rid, master, wrapped, created, gone))
                added += 1
            elif key_hex is None and here[0] is not None:
                conn.execute("UPDATE data_key SET wrapped=NULL, forgotten=? WHERE key_id=?",
                             (gone or time.time(), kid))
                forgotten += 1
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    keys._touch_generation()
    return added, forgotten
