"""The bytes of attached files, kept in the data folder rather than the database.

One file per attachment (and one per thumbnail) under ``<YIRI_DATA_DIR>/attachments/``,
named by the attachment's id only (never by the uploaded file name), in folders readable
by their owner only and files readable by their owner only. Everything written or read
passes through ``cases.identity.seal_bytes``/``unseal_bytes``: encrypted under the data key
of the attachment's record and bound to its id and part (a file moved onto another
attachment does not decrypt); once the record's key is forgotten it reads as erased.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from django.conf import settings

from yiri.cases import identity

THUMBNAIL = "thumb"
ORIGINAL = "file"


def root() -> Path:
    return Path(settings.YIRI_ATTACHMENTS_DIR)


def path_of(attachment_id: uuid.UUID, part: str = ORIGINAL) -> Path:
    hexid = uuid.UUID(str(attachment_id)).hex
    return root() / hexid[:2] / f"{hexid}.{part}"


def _folder(path: Path) -> None:
    for folder in (root(), path.parent):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)  # mkdir's mode is cut by the umask


def write(attachment_id: uuid.UUID, data: bytes, part: str = ORIGINAL, *,
          record_id: uuid.UUID | None = None) -> Path:
    """Store ``data`` sealed (under ``record_id``'s key, bound to the attachment and part),
    readable by its owner only. The file appears whole or not at all (written aside,
    flushed, then renamed into place)."""
    path = path_of(attachment_id, part)
    _folder(path)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(identity.seal_bytes(data, attachment_id=uuid.UUID(str(attachment_id)),
                                             part=part, record_id=record_id))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path


def read(attachment_id: uuid.UUID, part: str = ORIGINAL) -> bytes:
    """The bytes as they were given to ``write``; ``FileNotFoundError`` if erased (the file
    removed, or its record's key forgotten)."""
    blob = path_of(attachment_id, part).read_bytes()
    try:
        return identity.unseal_bytes(blob, attachment_id=uuid.UUID(str(attachment_id)), part=part)
    except identity.RecordKeyForgotten:
        raise FileNotFoundError(f"pièce jointe effacée ({part})") from None


def erase(attachment_id: uuid.UUID) -> None:
    for part in (ORIGINAL, THUMBNAIL):
        path_of(attachment_id, part).unlink(missing_ok=True)
