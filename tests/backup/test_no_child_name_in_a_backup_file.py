"""A backup file never shows a child's name: not as it is typed, JSON-escaped, in base64 or
compressed (gzip, zlib) — while the same name is inside once the file is decrypted with the
node's key, so the test would see it if the encryption were missing."""

from __future__ import annotations

import base64
import json
import re
import zlib

from yiri.backup import archive, services

from .conftest import CANARY_FIRST, CANARY_LAST


def forms(name: str) -> list[bytes]:
    raw = name.encode()
    out = [raw, raw.lower(), raw.upper(), json.dumps(name).encode(),
           name.encode("utf-16-le")]
    for shift in range(3):  # base64 of the name at each alignment, edges dropped
        encoded = base64.b64encode(b"\0" * shift + raw)
        out.append(encoded[4 if shift else 0:-4])
        out.append(base64.urlsafe_b64encode(b"\0" * shift + raw)[4 if shift else 0:-4])
    return out


def inflated(blob: bytes) -> list[bytes]:
    """Whatever decompresses from any offset that starts like a gzip or zlib stream."""
    out = []
    for m in re.finditer(rb"\x1f\x8b|\x78[\x01\x5e\x9c\xda]", blob):
        z = zlib.decompressobj(wbits=47)  # gzip or zlib, from the header
        try:
            out.append(z.decompress(blob[m.start():], 50_000_000))
        except zlib.error:
            continue
    return out


def found(name: str, blob: bytes) -> bool:
    return any(form in part for part in [blob, *inflated(blob)] for form in forms(name))


def test_the_canary_child_is_in_the_backup_but_nowhere_readable_in_its_file(office, made_backup):
    path, _ = made_backup
    data = path.read_bytes()
    for name in (CANARY_FIRST, CANARY_LAST):
        assert not found(name, data), name
    # The check can fail: decrypted with the office's key, the names are there.
    with open(path, "rb") as fh:
        header, lines = archive.read_header(fh)
        key = archive.data_key(header, services.load_keys(office.dir / "node_keys"))
        plain = archive.Reader(fh, key, lines).read()
    # Decrypted, the archive holds the database as the node keeps it: names encrypted at
    # rest, search tokens keyed; no name in clear even there.
    assert not found(CANARY_FIRST, plain) and not found(CANARY_LAST, plain)
    # The attached file is in the archive as the node keeps it: encrypted at rest.
    assert f"acte de naissance de {CANARY_FIRST}".encode() not in plain
    kept = [p.read_bytes() for p in (office.dir / "attachments").rglob("*") if p.is_file()]
    assert kept and all(blob in plain for blob in kept)


def test_the_backup_carries_no_key_of_the_data_folder(office, made_backup):
    path, _ = made_backup
    with open(path, "rb") as fh:
        header, lines = archive.read_header(fh)
        key = archive.data_key(header, services.load_keys(office.dir / "node_keys"))
        plain = archive.Reader(fh, key, lines).read()
    keys = json.loads((office.dir / "node_keys").read_text())
    secret = (office.dir / "secret_key").read_text().strip()
    for value in (keys["signing"], keys["box"], secret):
        assert value.encode() not in plain
        assert value.encode() not in path.read_bytes()
