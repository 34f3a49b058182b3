"""One copy of the key store kept next to the backups, for a restore on another machine.

``manage.py backup`` writes (and overwrites) ``keys.ykeys`` in the folder it writes the
archive to: the key store's rows (data keys already wrapped by the master key, and the ids
of forgotten ones), the whole sealed again with the current master key. It holds no master
key: a restore elsewhere needs the master key file too (``keys/master``, or the file named
by ``YIRI_KEY_FILE``), kept apart from the backups (another medium, a safe).

There is one copy, never a history of copies: when a record's key is forgotten, every copy
this node wrote is rewritten without it (the folders are remembered in ``keys/copies``),
so an older backup restored anywhere cannot reveal that record.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

from nacl.exceptions import CryptoError

from . import keys

COPY_NAME = "keys.ykeys"
_FORMAT = "yiri-keys-1"


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


def _ad(master_id: str) -> bytes:
    return f"{_FORMAT}:{master_id}".encode()


def export_bytes() -> bytes:
    """The key store's rows, sealed with the current master key."""
    m = keys.masters()
    rows = keys.connect().execute(
        "SELECT key_id, record_id, master_id, wrapped, created, forgotten FROM data_key").fetchall()
    body = json.dumps([[r[0].hex(), r[1], r[2], r[3].hex() if r[3] is not None else None,
                        r[4], r[5]] for r in rows]).encode()
    sealed = keys.aead_encrypt(m.keys[m.current], body, _ad(m.current))
    return json.dumps({"format": _FORMAT, "master": m.current}).encode() + b"\n" + sealed


def write(folder: Path) -> Path:
    """Write (or overwrite) the copy in ``folder``; the file appears whole."""
    folder = Path(folder)
    path = folder / COPY_NAME
    temp = folder / f".{COPY_NAME}.{uuid.uuid4().hex}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(export_bytes())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    _remember(folder)
    return path


def drop_forgotten() -> None:
    """Rewrite every copy this node wrote: forgotten keys leave them too."""
    for folder in _known_folders():
        if (folder / COPY_NAME).exists():
            write(folder)


def read(path: Path) -> list[list]:
    try:
        head, sealed = Path(path).read_bytes().split(b"\n", 1)
        header = json.loads(head)
        if header.get("format") != _FORMAT:
            raise ValueError(header.get("format"))
    except (ValueError, OSError) as exc:
        raise keys.KeyMissing(f"Copie du magasin de clés illisible ({Path(path).name}).") from exc
    master = keys.masters().keys.get(header["master"])
    if master is None:
        raise keys.KeyMissing(
            f"Cette copie du magasin de clés est scellée par la clé maîtresse {header['master']}, "
            "absente du fichier de clé maîtresse de ce nœud : copiez d'abord le fichier "
            "keys/master du nœud d'origine (ou nommez-le par YIRI_KEY_FILE).")
    try:
        return json.loads(keys.aead_decrypt(master, sealed, _ad(header["master"])))
    except CryptoError as exc:
        raise keys.KeyMissing("Copie du magasin de clés altérée : elle ne s'ouvre pas.") from exc


def import_copy(path: Path) -> tuple[int, int]:
    """Add the copy's keys this key store lacks; a key forgotten here or there stays
    forgotten. Returns (added, forgotten here now)."""
    rows = read(path)
    conn = keys.connect()
    added = forgotten = 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        for kid_hex, rid, master, wrapped_hex, created, gone in rows:
            kid = bytes.fromhex(kid_hex)
            here = conn.execute("SELECT wrapped FROM data_key WHERE key_id=?", (kid,)).fetchone()
            if here is None:
                conn.execute("INSERT INTO data_key (key_id, record_id, master_id, wrapped, created, "
                             "forgotten) VALUES (?, ?, ?, ?, ?, ?)",
                             (kid, rid, master, bytes.fromhex(wrapped_hex) if wrapped_hex else None,
                              created, gone))
                added += 1
            elif wrapped_hex is None and here[0] is not None:
                conn.execute("UPDATE data_key SET wrapped=NULL, forgotten=? WHERE key_id=?",
                             (gone or time.time(), kid))
                forgotten += 1
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    keys._touch_generation()
    return added, forgotten
