"""Keyed blind indexes: the search tokens stored in ``NameToken`` without the names.

A token is ``<key id><HMAC-SHA256(index key, kind, normalised value) truncated to 16 bytes,
base64url>`` (4 + 22 characters). Whoever reads the database (a copy, a backup, a stolen
laptop) without the index key sees random-looking strings: no name, no phone digits.
Search computes the same HMAC of what the worker typed and looks it up on the index, so a
name search is still a few indexed equality lookups; nothing is decrypted or scanned.

Kinds are separated inside the HMAC input (``word``, ``prefix``, ``phonetic``, ``phone``):
the word "kofi" and the phonetic key "kf" of another name never give the same token.

What a blind index still shows (documented in the README): equal tokens mean equal
values, so someone holding the database sees which records share a name word, a prefix
or a phone number, and could guess very common names by their frequency. The key is
what keeps the values themselves unreadable.

The key lives outside the database, like the node keys: ``search_index_key`` in the data
folder (owner-only, created on first use) or the file named by ``YIRI_INDEX_KEY_FILE``.
The file holds the current key and, while ``manage.py rebuild_search_index --new-key``
runs, the keys it is replacing: tokens are always written under the current key and
searched under every key in the file, so a search finds every record during a rotation.
Every process rereads the file when it changes (one ``stat`` per use), so a running
server follows a rotation without a restart.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

KEY_FILE = "search_index_key"
KEY_ID_LENGTH = 4
MAC_BYTES = 16
TOKEN_LENGTH = KEY_ID_LENGTH + 22  # base64url of 16 bytes, unpadded

WORD, PREFIX, PHONETIC, PHONE = "word", "prefix", "phonetic", "phone"
# Match keys (issue 10, ``yiri.lib.names``): the sound key of a name word and the sound
# key with one letter left out (typos); ``PARENT`` the words of a parent's name, which
# rank a search that names a parent but never find a child by itself.
# ``WORD_DELETION`` the word less one letter (typos in short names, whose sound key is
# too short to lose a letter); ``SIZE`` how many name words the record has (a record
# with a blank family name is still found by the given name).
SOUND, SOUND_DELETION, PARENT = "sound", "sound-1", "parent"
WORD_DELETION, SIZE = "word-1", "size"
_DOMAIN = {WORD: b"w", PREFIX: b"x", PHONETIC: b"p", PHONE: b"t", SOUND: b"s",
           SOUND_DELETION: b"d", PARENT: b"m", WORD_DELETION: b"e", SIZE: b"n"}
_CONTEXT = b"yiri/search-index/v1\x00"


class IndexKeyError(Exception):
    """An unreadable key file; the message says what to do."""


@dataclass(frozen=True)
class IndexKey:
    id: str
    secret: bytes

    def token(self, kind: str, value: str) -> str:
        message = _CONTEXT + _DOMAIN[kind] + b"\x00" + value.encode("utf-8")
        mac = hmac.digest(self.secret, message, hashlib.sha256)[:MAC_BYTES]  # one-shot: same MAC, faster
        return self.id + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


@dataclass(frozen=True)
class KeyRing:
    """The current key (writes) and the keys still being replaced (searches only)."""

    keys: tuple[IndexKey, ...]

    @property
    def current(self) -> IndexKey:
        return self.keys[0]

    def token(self, kind: str, value: str) -> str:
        return self.current.token(kind, value)

    def query_tokens(self, kind: str, value: str) -> list[str]:
        return [k.token(kind, value) for k in self.keys]


def key_path() -> Path:
    named = getattr(settings, "YIRI_INDEX_KEY_FILE", None)
    return Path(named) if named else Path(settings.DATA_DIR) / KEY_FILE


def _new_key(taken: set[str]) -> IndexKey:
    while True:
        kid = secrets.token_hex(KEY_ID_LENGTH // 2)
        if kid not in taken:
            return IndexKey(kid, secrets.token_bytes(32))


def _encode(ring: KeyRing) -> str:
    return json.dumps({"keys": [{"id": k.id, "key": base64.urlsafe_b64encode(k.secret).decode()}
                                for k in ring.keys]}, indent=1) + "\n"


def _decode(text: str, path: Path) -> KeyRing:
    try:
        keys = tuple(IndexKey(str(k["id"]), base64.urlsafe_b64decode(k["key"]))
                     for k in json.loads(text)["keys"])
        if not keys or any(len(k.id) != KEY_ID_LENGTH or len(k.secret) < 32 for k in keys):
            raise ValueError("no usable key")
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexKeyError(f"Fichier de clé de l'index de recherche illisible ({path.name}) : "
                            "restaurez-le depuis sa copie de sécurité, ou créez une nouvelle clé "
                            "avec « manage.py rebuild_search_index --new-key ».") from exc
    return KeyRing(keys)


def _write_new_file(path: Path, text: str) -> None:
    """Create ``path`` owner-only with ``text``, atomically: another process sees no file
    or the whole file, and if two processes race the first one's key stays."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)


def _replace_file(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


_lock = threading.Lock()
_cached: tuple[tuple, KeyRing] | None = None


_held = threading.local()


@contextmanager
def steady_ring() -> Iterator[KeyRing]:
    """The key ring read once for a batch of writes made in this thread: ``ring`` serves
    it without looking at the key file again for each record (a ``stat`` a call). A
    rotation meanwhile leaves the batch's tokens under the previous key, as it would a
    batch computed just before it: the old key stays in the ring for searches until
    ``end_rotation``, after the rebuild of every record's tokens."""
    outer = getattr(_held, "ring", None)
    _held.ring = outer or ring()
    try:
        yield _held.ring
    finally:
        _held.ring = outer


def ring() -> KeyRing:
    """The keys in the key file, creating it with one new key on first use."""
    global _cached
    held = getattr(_held, "ring", None)
    if held is not None:
        return held
    path = key_path()
    try:
        st = path.stat()
    except FileNotFoundError:
        _write_new_file(path, _encode(KeyRing((_new_key(set()),))))
        st = path.stat()
    stamp = (str(path), st.st_ino, st.st_mtime_ns, st.st_size)
    with _lock:
        if _cached is not None and _cached[0] == stamp:
            return _cached[1]
        loaded = _decode(path.read_text(), path)
        _cached = (stamp, loaded)
        return loaded


def begin_rotation() -> IndexKey:
    """Put a new key first in the file; the old ones stay for searches until
    ``end_rotation``. Returns the new key."""
    old = ring()
    new = _new_key({k.id for k in old.keys})
    _replace_file(key_path(), _encode(KeyRing((new, *old.keys))))
    return new


def end_rotation(keep: IndexKey) -> None:
    """Leave only ``keep`` in the file: tokens under the other keys are now useless."""
    _replace_file(key_path(), _encode(KeyRing((keep,))))


# ------------------------------------------------------------------ tokens of a text

def word_tokens(word: str, key: IndexKey | KeyRing | None = None) -> set[str]:
    """The tokens stored for one normalised name word: the word, each proper prefix
    (a query word matches the beginning of a name word, from one letter on), its
    phonetic key, its sound key and the sound key less one letter (``names.sound_key``,
    ``names.deletion_keys``), the word less one letter. Words are cut at 60 letters as
    before."""
    key = key or ring()
    word = word[:60]
    if isinstance(key, IndexKey):
        return set(_word_tokens(word, key))
    return _compute_word_tokens(word, key)


@functools.lru_cache(maxsize=4096)
def _word_tokens(word: str, key: IndexKey) -> frozenset[str]:
    # Registers repeat the same few thousand name words: a bulk import or a rebuild of the
    # index computes each word's some thirty HMACs once.
    return frozenset(_compute_word_tokens(word, key))


def _compute_word_tokens(word: str, key: IndexKey | KeyRing) -> set[str]:
    from yiri.lib import names

    out = {key.token(WORD, word)}
    out.update(key.token(PREFIX, word[:n]) for n in range(1, len(word)))
    sound = names.phonetic_key(word)
    if sound:
        out.add(key.token(PHONETIC, sound[:60]))
    match = names.sound_key(word)[:60]
    if match:
        out.add(key.token(SOUND, match))
        out.update(key.token(SOUND_DELETION, d) for d in names.deletion_keys(match))
    out.update(key.token(WORD_DELETION, d) for d in names.deletion_keys(word))
    return out


def size_token(count: int, key: IndexKey | KeyRing | None = None) -> str:
    """How many name words a record has (9 for 9 or more)."""
    return (key or ring()).token(SIZE, str(min(count, 9)))


def parent_tokens(word: str, key: IndexKey | KeyRing | None = None) -> set[str]:
    """The tokens of one word of a parent's name: the word and its sound key, under
    their own kind, so that they rank a search naming the parent but never match a
    search for the child's name."""
    from yiri.lib import names

    key = key or ring()
    out = {key.token(PARENT, "w:" + word[:60])}
    match = names.sound_key(word)[:60]
    if match:
        out.add(key.token(PARENT, "s:" + match))
    return out


def query_word_tokens(word: str, keys: KeyRing | None = None) -> list[str]:
    """The tokens a typed word is looked up by: a name word equal to it, starting with
    it, or sounding like it (under every key of the ring)."""
    from yiri.lib import names

    keys = keys or ring()
    word = word[:60]
    out = keys.query_tokens(WORD, word) + keys.query_tokens(PREFIX, word)
    sound = names.phonetic_key(word)
    if sound:
        out += keys.query_tokens(PHONETIC, sound[:60])
    return out


def phone_token(last_digits: str, key: IndexKey | KeyRing | None = None) -> str:
    return (key or ring()).token(PHONE, last_digits)


def query_phone_tokens(last_digits: str, keys: KeyRing | None = None) -> list[str]:
    return (keys or ring()).query_tokens(PHONE, last_digits)
