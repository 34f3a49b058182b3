"""The backup file: a readable header, then the data compressed and encrypted.

::

    YIRI-BACKUP 1\\n
    {"format": 1, "backup_id": …, "node_id": …, "kind": …, "created": …, "software": …,
     "vendor": …, "manifest": {counts, digest, rows, clock}, "recipients": [...]}\\n
    secretstream header (24 bytes)
    messages: 4-byte big-endian length, then one secretstream message

The data is a tar stream (the database dump, the attached files, ``manifest.json`` last)
compressed with zlib, cut into messages of at most 64 KiB and encrypted with libsodium's
secretstream (XChaCha20-Poly1305, ``nacl.bindings``) under a random data key, so memory
stays flat whatever the size. The data key is sealed (``sync.identity.seal``) to this
node's own encryption key and, when the node has a parent whose key is known, to the
parent's: the relay cell can restore an office whose computer died.

The two header lines are the additional data of the first message: a changed byte
anywhere — header, sealed keys, lengths, data — makes the file unreadable, and a file cut
short lacks the final message (``TAG_FINAL``). Nothing of this is our own cryptography:
PyNaCl does it all.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import BinaryIO

from nacl import bindings as sodium
from nacl.exceptions import CryptoError

from yiri.sync import identity

MAGIC = b"YIRI-BACKUP"
FORMAT = 1
CHUNK = 64 * 1024
MAX_HEADER = 1 << 20
_ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE


class BackupError(Exception):
    """A backup that cannot be read or used; the message says why, in French."""


def new_key() -> bytes:
    return sodium.crypto_secretstream_xchacha20poly1305_keygen()


def header_lines(header: dict) -> bytes:
    return (MAGIC + f" {FORMAT}\n".encode()
            + json.dumps(header, sort_keys=True, separators=(",", ":")).encode() + b"\n")


def read_header(fh: BinaryIO) -> tuple[dict, bytes]:
    """The header (as a dict) and its exact bytes; ``fh`` is left at the encrypted part."""
    first = fh.readline(64)
    if not first.startswith(MAGIC + b" "):
        raise BackupError("Ce fichier n'est pas une sauvegarde Yiri.")
    if first.strip() != MAGIC + f" {FORMAT}".encode():
        raise BackupError("Format de sauvegarde inconnu : faite par une version plus récente "
                          "de Yiri ? Mettez Yiri à jour avant de la lire.")
    second = fh.readline(MAX_HEADER)
    try:
        header = json.loads(second)
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ValueError
    except ValueError:
        raise BackupError("En-tête de la sauvegarde illisible : le fichier a été modifié ou "
                          "abîmé.") from None
    return header, first + second


def data_key(header: dict, keys: identity.Identity) -> bytes:
    """The data key, unsealed with ``keys`` if the backup was encrypted to them."""
    for recipient in header.get("recipients", []):
        if recipient.get("box_key") == keys.box_key:
            try:
                return keys.unseal(identity.unb64(recipient.get("sealed", "")))
            except identity.IdentityError:
                raise BackupError("Clé de la sauvegarde illisible : le fichier a été modifié "
                                  "ou abîmé.") from None
    raise BackupError("Cette sauvegarde n'est pas chiffrée pour ces clés : elle ne se lit "
                      "qu'avec les clés du nœud qui l'a faite ou celles de son nœud parent "
                      "(option --key-file).")


class Writer:
    """A write-only file object: compresses, encrypts and writes what it is given."""

    def __init__(self, fh: BinaryIO, key: bytes, ad: bytes, progress=None) -> None:
        self.fh = fh
        self.state = sodium.crypto_secretstream_xchacha20poly1305_state()
        fh.write(sodium.crypto_secretstream_xchacha20poly1305_init_push(self.state, key))
        self.ad: bytes | None = ad
        self.z = zlib.compressobj(6)
        self.buf = bytearray()
        self.written = 0
        self.progress = progress

    def write(self, data) -> int:
        self.buf += self.z.compress(data)
        while len(self.buf) > CHUNK:
            self._push(bytes(self.buf[:CHUNK]), _MESSAGE)
            del self.buf[:CHUNK]
        return len(data)

    def _push(self, plain: bytes, tag: int) -> None:
        cipher = sodium.crypto_secretstream_xchacha20poly1305_push(self.state, plain, self.ad, tag)
        self.ad = None
        self.fh.write(struct.pack(">I", len(cipher)) + cipher)
        self.written += 4 + len(cipher)
        if self.progress:
            self.progress(self.written)

    def close(self) -> None:
        self.buf += self.z.flush()
        while len(self.buf) > CHUNK:
            self._push(bytes(self.buf[:CHUNK]), _MESSAGE)
            del self.buf[:CHUNK]
        self._push(bytes(self.buf), _FINAL)
        self.buf.clear()


class Reader:
    """A read-only file object giving back what ``Writer`` was given; ``BackupError`` on
    any change, a cut, or bytes after the end."""

    def __init__(self, fh: BinaryIO, key: bytes, ad: bytes) -> None:
        self.fh = fh
        head = fh.read(sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES)
        if len(head) != sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES:
            raise BackupError("Sauvegarde tronquée : le fichier s'arrête avant ses données.")
        self.state = sodium.crypto_secretstream_xchacha20poly1305_state()
        try:
            sodium.crypto_secretstream_xchacha20poly1305_init_pull(self.state, head, key)
        except CryptoError:
            raise BackupError("Sauvegarde illisible : le fichier a été modifié.") from None
        self.ad: bytes | None = ad
        self.z = zlib.decompressobj()
        self.pending = b""  # decrypted, not yet decompressed
        self.out = bytearray()
        self.final = False

    def _pull(self) -> bytes:
        size = self.fh.read(4)
        if len(size) < 4:
            raise BackupError("Sauvegarde tronquée : le fichier a été coupé avant sa fin "
                              "(copie interrompue ?). Elle ne peut pas être utilisée.")
        (length,) = struct.unpack(">I", size)
        if length > CHUNK + _ABYTES:
            raise BackupError("Sauvegarde illisible : le fichier a été modifié.")
        cipher = self.fh.read(length)
        if len(cipher) < length:
            raise BackupError("Sauvegarde tronquée : le fichier a été coupé avant sa fin "
                              "(copie interrompue ?). Elle ne peut pas être utilisée.")
        try:
            plain, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(self.state, cipher, self.ad)
        except CryptoError:
            raise BackupError("Sauvegarde illisible : le fichier a été modifié (une vérification "
                              "cryptographique a échoué). Elle ne peut pas être utilisée.") from None
        self.ad = None
        if tag == _FINAL:
            self.final = True
            if self.fh.read(1):
                raise BackupError("Sauvegarde illisible : des données suivent sa fin.")
        return plain

    def _fill(self, wanted: int) -> None:
        while len(self.out) < wanted:
            if not self.pending and not self.z.unconsumed_tail:
                if self.final:
                    return
                self.pending = self._pull()
            source = self.z.unconsumed_tail or self.pending
            if source is self.pending:
                self.pending = b""
            try:
                self.out += self.z.decompress(source, CHUNK)
            except zlib.error:
                raise BackupError("Sauvegarde illisible : données compressées invalides.") from None

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            chunks = []
            while True:
                block = self.read(CHUNK)
                if not block:
                    return b"".join(chunks)
                chunks.append(block)
        self._fill(size)
        data = bytes(self.out[:size])
        del self.out[:size]
        return data

    def finish(self) -> None:
        """Read to the end: the final message must come, the compressed stream must end."""
        while self.read(CHUNK):
            pass
        if not self.final or not self.z.eof or self.z.unused_data:
            raise BackupError("Sauvegarde tronquée : sa fin manque.")
