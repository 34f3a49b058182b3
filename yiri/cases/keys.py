"""The keys that encrypt identifying data at rest, all outside the database.

Two levels (envelope encryption, libsodium's XChaCha20-Poly1305 through PyNaCl):

* **master keys** (key-encryption keys): ``DATA_DIR/keys/master`` (owner-only, made on first
  use like ``node_keys``), or the file named by ``YIRI_KEY_FILE``. JSON
  ``{"current": id, "keys": {id: key}}``: several ids coexist while a rotation
  (``manage.py keys rotate``) moves the data keys from the old one to the new one.
* **data keys**: one random key per record (``record_id``), plus one for this node's own
  sealed values that belong to no record (a user's e-mail, a revocation's reason). Each
  has a random 16-byte id, carried in every ciphertext it made. They are kept *wrapped*
  (encrypted under a master key, bound to their id and record) in ``DATA_DIR/keys/
  records.sqlite3``, owner-only, opened with ``secure_delete``: never in the database, so
  no database dump, ``pg_dump`` or backup archive holds them.

``forget(record_id)`` destroys a record's data keys (crypto-shredding, called by an
erasure through ``identity.forget_record_key``): the row keeps its id and record so a
ciphertext made by it reads as *erased* (``RecordKeyForgotten``), the wrapped key itself is
overwritten. Every copy of that record's ciphertexts — older backups included — is then
unreadable. A process caches unwrapped keys; ``forget`` touches ``keys/generation``, which
every process checks (one ``stat``) before using its cache.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from nacl import bindings
from nacl.exceptions import CryptoError

from yiri.lib.datadir import private_sqlite_file

KEY_BYTES = bindings.crypto_aead_xchacha20poly1305_ietf_KEYBYTES
NONCE_BYTES = bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
KEY_ID_BYTES = 16
NODE = "node"  # the ``record_id`` of the key for values that belong to no record
MASTER_FILE = "master"
STORE_FILE = "records.sqlite3"
GENERATION_FILE = "generation"


class KeyMissing(Exception):
    """A key missing or unreadable; the message says what to do (in French)."""


class RecordKeyForgotten(KeyMissing):
    """The record's key was destroyed (erasure): what it encrypted is gone for good."""


_SECURED: dict[tuple, Path] = {}  # folders made owner-only by this process


def folder() -> Path:
    # Made and checked once per process and setting: sealing calls this for every value.
    where = (getattr(settings, "YIRI_KEYS_DIR", None), settings.DATA_DIR)
    path = _SECURED.get(where)
    if path is None or not path.exists():
        path = Path(where[0] or Path(where[1]) / "keys")
        if not path.exists():
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path, 0o700)
        _SECURED[where] = path
    return path


def master_path() -> Path:
    named = os.environ.get("YIRI_KEY_FILE")
    return Path(named) if named else folder() / MASTER_FILE


def store_path() -> Path:
    return folder() / STORE_FILE


def _b64(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).decode()


def _unb64(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text)


def aead_encrypt(key: bytes, plain: bytes, ad: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(plain, ad, nonce, key)


def aead_decrypt(key: bytes, sealed: bytes, ad: bytes) -> bytes:
    if len(sealed) < NONCE_BYTES + 16:
        raise CryptoError("too short")
    return bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
        sealed[NONCE_BYTES:], ad, sealed[:NONCE_BYTES], key)


# ------------------------------------------------------------------ master keys


class Masters:
    """The master keys file: ``current`` id and every id still in use."""

    def __init__(self, current: str, keys: dict[str, bytes]) -> None:
        self.current = current
        self.keys = keys

    def save(self) -> None:
        path = master_path()
        temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"current": self.current,
                       "keys": {k: _b64(v) for k, v in self.keys.items()}}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
        _MASTERS.clear()


_MASTERS: dict[str, tuple[int, Masters]] = {}
_LOCK = threading.RLock()


def new_master_id() -> str:
    return "m" + secrets.token_hex(4)


def masters() -> Masters:
    """The master keys, created on first use (owner-only)."""
    path = master_path()
    with _LOCK:
        try:
            mtime = path.stat().st_mtime_ns
        except FileNotFoundError:
            if os.environ.get("YIRI_KEY_FILE"):
                raise KeyMissing(f"Le fichier de clé maîtresse nommé par YIRI_KEY_FILE est "
                                f"introuvable ({path.name}) : restaurez-le depuis sa copie de "
                                "sécurité.") from None
            first = Masters(new_master_id(), {})
            first.keys[first.current] = secrets.token_bytes(KEY_BYTES)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process made it meanwhile
                return masters()
            with os.fdopen(fd, "w") as fh:
                json.dump({"current": first.current,
                           "keys": {k: _b64(v) for k, v in first.keys.items()}}, fh)
                fh.flush()
                os.fsync(fh.fileno())
            mtime = path.stat().st_mtime_ns
        cached = _MASTERS.get(str(path))
        if cached and cached[0] == mtime:
            return cached[1]
        try:
            data = json.loads(path.read_text())
            loaded = Masters(data["current"], {k: _unb64(v) for k, v in data["keys"].items()})
        except (ValueError, KeyError, TypeError) as exc:
            raise KeyMissing("Fichier de clé maîtresse illisible : restaurez-le depuis sa copie "
                            "de sécurité.") from exc
        _MASTERS[str(path)] = (mtime, loaded)
        return loaded


def _wrap_ad(key_id: bytes, record_id: str, master_id: str) -> bytes:
    return b"yiri-data-key\0" + key_id + b"\0" + record_id.encode() + b"\0" + master_id.encode()


def wrap(master_id: str, key_id: bytes, record_id: str, key: bytes) -> bytes:
    return aead_encrypt(masters().keys[master_id], key, _wrap_ad(key_id, record_id, master_id))


def unwrap(master_id: str, key_id: bytes, record_id: str, wrapped: bytes) -> bytes:
    found = masters().keys.get(master_id)
    if found is None:
        raise KeyMissing(f"La clé maîtresse {master_id} manque dans le fichier de clés : "
                        "restaurez-le depuis sa copie de sécurité.")
    try:
        return aead_decrypt(found, wrapped, _wrap_ad(key_id, record_id, master_id))
    except CryptoError as exc:
        raise KeyMissing("Une clé de dossier ne s'ouvre pas avec la clé maîtresse : le "
                        "magasin de clés ou le fichier de clé maîtresse a été altéré.") from exc


# -------------------------------------------------------------------- key store

SCHEMA = """
CREATE TABLE IF NOT EXISTS data_key (
    key_id BLOB PRIMARY KEY,
    record_id TEXT NOT NULL,
    master_id TEXT NOT NULL,
    wrapped BLOB,              -- NULL once forgotten
    created REAL NOT NULL,
    forgotten REAL
);
CREATE INDEX IF NOT EXISTS data_key_record ON data_key (record_id);
CREATE INDEX IF NOT EXISTS data_key_master ON data_key (master_id);
CREATE TABLE IF NOT EXISTS data_rotation (
    started REAL NOT NULL,     -- keys made before this are replaced by the rotation
    finished REAL
);
"""

_CONN = threading.local()


def connect(path: Path | None = None) -> sqlite3.Connection:
    """A connection to the key store (one per thread and path)."""
    path = Path(path) if path else store_path()
    conns = getattr(_CONN, "by_path", None)
    if conns is None:
        conns = _CONN.by_path = {}
    conn = conns.get(str(path))
    if conn is not None and path.exists():
        return conn
    private_sqlite_file(path)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA secure_delete=ON")  # a forgotten key's bytes are overwritten
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("PRAGMA synchronous=FULL")
    conn.executescript(SCHEMA)
    conns[str(path)] = conn
    return conn


class _Cache:
    def __init__(self) -> None:
        self.generation: int | None = None
        self.by_id: dict[bytes, tuple[str, bytes]] = {}
        self.current: dict[str, bytes] = {}  # record id -> key id


_CACHES: dict[str, _Cache] = {}


def _generation_path() -> Path:
    return folder() / GENERATION_FILE


def _cache() -> _Cache:
    key = str(folder())
    cache = _CACHES.get(key)
    if cache is None:
        cache = _CACHES[key] = _Cache()
    try:
        gen = _generation_path().stat().st_mtime_ns
    except FileNotFoundError:
        gen = 0
    if gen != cache.generation:
        cache.by_id.clear()
        cache.current.clear()
        cache.generation = gen
    return cache


def _touch_generation() -> None:
    path = _generation_path()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(str(time.time_ns()))
    os.utime(path, ns=(time.time_ns(), time.time_ns()))
    _CACHES.clear()


def _rid(record_id) -> str:
    return NODE if record_id is None else str(uuid.UUID(str(record_id)))


_PINNED = threading.local()


@contextmanager
def new_records(record_ids: Iterable) -> Iterator[None]:
    """Make the data keys of records being created (``ensure_many``) and, until the block
    ends, serve them to ``key_for`` from memory in this thread, without the key store's
    generation check that each sealed value otherwise costs (a file ``stat``: about a
    twentieth of a large import). Safe for new records only: no other process can know
    them yet, so none can erase them, and a master key's rotation re-wraps their data
    keys without changing them."""
    ids = list(record_ids)
    ensure_many(ids)
    cache = _cache()
    pins: dict = {}
    for record_id in ids:
        rid = _rid(record_id)
        kid = cache.current.get(rid)
        if kid is not None:
            pins[rid] = pins[record_id] = (kid, cache.by_id[kid][1])
    outer = getattr(_PINNED, "keys", None)
    _PINNED.keys = {**outer, **pins} if outer else pins
    try:
        yield
    finally:
        _PINNED.keys = outer


def key_for(record_id) -> tuple[bytes, bytes]:
    """``(key id, key)`` this node seals ``record_id``'s values with (made on first use)."""
    pins = getattr(_PINNED, "keys", None)
    if pins:
        hit = pins.get(record_id)
        if hit is not None:
            return hit
    rid = _rid(record_id)
    cache = _cache()
    kid = cache.current.get(rid)
    if kid is not None:
        return kid, cache.by_id[kid][1]
    with _LOCK:
        conn = connect()
        row = conn.execute("SELECT key_id, master_id, wrapped FROM data_key WHERE record_id=? "
                           "AND wrapped IS NOT NULL ORDER BY created DESC LIMIT 1", (rid,)).fetchone()
        if row is None:
            kid = secrets.token_bytes(KEY_ID_BYTES)
            key = secrets.token_bytes(KEY_BYTES)
            master = masters().current
            conn.execute("INSERT INTO data_key (key_id, record_id, master_id, wrapped, created) "
                         "VALUES (?, ?, ?, ?, ?)",
                         (kid, rid, master, wrap(master, kid, rid, key), time.time()))
        else:
            kid = row[0]
            key = unwrap(row[1], kid, rid, row[2])
        cache.by_id[kid] = (rid, key)
        cache.current[rid] = kid
        return kid, key


def ensure_many(record_ids: Iterable) -> None:
    """Make the keys of many records at once (one transaction: a batch of received records)."""
    rids = {_rid(r) for r in record_ids}
    if not rids:
        return
    with _LOCK:
        conn = connect()
        held: set[str] = set()
        listed = sorted(rids)
        for i in range(0, len(listed), 500):
            part = listed[i:i + 500]
            # Only "?" placeholders are formatted into the statement; the ids are bound.
            held |= {r for (r,) in conn.execute(
                f"SELECT record_id FROM data_key WHERE wrapped IS NOT NULL AND record_id IN "  # nosec B608
                f"({','.join('?' * len(part))})", part)}
        missing = rids - held
        if not missing:
            return
        master = masters().current
        now = time.time()
        rows, made = [], []
        for rid in missing:
            kid = secrets.token_bytes(KEY_ID_BYTES)
            key = secrets.token_bytes(KEY_BYTES)
            rows.append((kid, rid, master, wrap(master, kid, rid, key), now))
            made.append((kid, rid, key))
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany("INSERT INTO data_key (key_id, record_id, master_id, wrapped, created) "
                             "VALUES (?, ?, ?, ?, ?)", rows)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        # Kept unwrapped as ``key_for`` would after reading them back (a bulk import
        # seals every one of them next).
        cache = _cache()
        for kid, rid, key in made:
            cache.by_id[kid] = (rid, key)
            cache.current[rid] = kid


def key_by_id(kid: bytes) -> tuple[str, bytes]:
    """``(record id, key)`` of the data key ``kid``; ``RecordKeyForgotten`` if destroyed."""
    cache = _cache()
    found = cache.by_id.get(kid)
    if found is not None:
        return found
    with _LOCK:
        row = connect().execute("SELECT record_id, master_id, wrapped FROM data_key WHERE key_id=?",
                                (kid,)).fetchone()
    if row is None:
        raise KeyMissing("Clé de chiffrement inconnue de ce nœud : le magasin de clés du dossier "
                        "de données (keys/) manque ou n'est pas celui de cette base. Restaurez-le "
                        "(voir « manage.py restore --keys »).")
    rid, master, wrapped = row
    if wrapped is None:
        raise RecordKeyForgotten("Les données de ce dossier ont été effacées (clé détruite).")
    key = unwrap(master, kid, rid, wrapped)
    cache.by_id[kid] = (rid, key)
    return rid, key


def forget(record_id) -> int:
    """Destroy every data key of ``record_id``; returns how many were destroyed."""
    rid = _rid(record_id)
    with _LOCK:
        conn = connect()
        cur = conn.execute("UPDATE data_key SET wrapped=NULL, forgotten=? WHERE record_id=? "
                           "AND wrapped IS NOT NULL", (time.time(), rid))
        count = cur.rowcount
        _touch_generation()
    from . import keycopy

    keycopy.refresh_copies()
    return count


def is_forgotten(record_id) -> bool:
    rid = _rid(record_id)
    with _LOCK:
        row = connect().execute(
            "SELECT SUM(wrapped IS NULL), SUM(wrapped IS NOT NULL) FROM data_key WHERE record_id=?",
            (rid,)).fetchone()
    return bool(row[0]) and not row[1]


def status() -> dict:
    """Master key ids (current first) and how many live and forgotten data keys use each."""
    m = masters()
    with _LOCK:
        rows = connect().execute(
            "SELECT master_id, SUM(wrapped IS NOT NULL), SUM(wrapped IS NULL) FROM data_key "
            "GROUP BY master_id").fetchall()
    used = {r[0]: (r[1] or 0, r[2] or 0) for r in rows}
    ids = [m.current] + sorted(k for k in set(m.keys) | set(used) if k != m.current)
    return {"current": m.current,
            "masters": [{"id": k, "present": k in m.keys, "live": used.get(k, (0, 0))[0],
                         "forgotten": used.get(k, (0, 0))[1]} for k in ids]}


def rotate(batch: int = 1000, progress=None, new: bool = True) -> Iterator[tuple[int, int]]:
    """Move every live data key to a new master key (or, after an interruption, finish
    moving them to the current one). Yields ``(done, total)`` after each batch; each batch
    is one transaction, so stopping at any point loses nothing and running again resumes.
    Master keys no data key uses any more are then removed from the master file."""
    m = masters()
    conn = connect()
    pending = conn.execute("SELECT COUNT(*) FROM data_key WHERE master_id != ? AND wrapped IS "
                           "NOT NULL", (m.current,)).fetchone()[0]
    if new and not pending:
        fresh = new_master_id()
        m.keys[fresh] = secrets.token_bytes(KEY_BYTES)
        m.current = fresh
        m.save()  # the new key is on disk before anything is wrapped with it
        m = masters()
    total = conn.execute("SELECT COUNT(*) FROM data_key WHERE master_id != ? AND wrapped IS NOT "
                         "NULL", (m.current,)).fetchone()[0]
    done = 0
    yield done, total
    while True:
        rows = conn.execute("SELECT key_id, record_id, master_id, wrapped FROM data_key WHERE "
                            "master_id != ? AND wrapped IS NOT NULL LIMIT ?",
                            (m.current, batch)).fetchall()
        if not rows:
            break
        updates = []
        for kid, rid, old, wrapped in rows:
            key = unwrap(old, kid, rid, wrapped)
            updates.append((m.current, wrap(m.current, kid, rid, key), kid, old))
        with _LOCK:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany("UPDATE data_key SET master_id=?, wrapped=? WHERE key_id=? AND "
                                 "master_id=?", updates)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        done += len(rows)
        yield done, total
    # Forgotten keys hold no key: they follow the current master id.
    conn.execute("UPDATE data_key SET master_id=? WHERE wrapped IS NULL", (m.current,))
    from . import keycopy

    keycopy.refresh_copies()  # resealed under the new key before the old one goes
    retire_unused()


def retire_unused() -> list[str]:
    """Remove from the master file the ids no data key uses (never the current one)."""
    m = masters()
    used = {r[0] for r in connect().execute(
        "SELECT DISTINCT master_id FROM data_key WHERE wrapped IS NOT NULL")}
    gone = [k for k in m.keys if k != m.current and k not in used]
    if gone:
        for k in gone:
            del m.keys[k]
        m.save()
    return gone


# ------------------------------------------------------- rotation of the data keys
#
# ``rotate`` above re-wraps the data keys under a new master key; the ciphertexts do not
# change. ``begin_data_rotation``/``renew_data_keys``/``finish_data_rotation`` replace the
# data keys themselves: every record gets a new key, ``cases.reencrypt`` re-encrypts every
# value under it, and the old keys are then only kept to read older backups (or destroyed,
# ``destroy_old``, after a suspected leak of a key). The record's current key is its newest
# live one (``key_for``); an old key is a live key that is not its record's newest.


def data_rotation() -> float | None:
    """When the unfinished rotation of the data keys began, or ``None`` if there is none."""
    row = connect().execute("SELECT started FROM data_rotation WHERE finished IS NULL "
                            "ORDER BY started DESC LIMIT 1").fetchone()
    return row[0] if row else None


def begin_data_rotation() -> tuple[float, bool]:
    """``(started, resumed)``: the unfinished rotation, or a new one begun now."""
    started = data_rotation()
    if started is not None:
        return started, True
    started = time.time()
    with _LOCK:
        connect().execute("INSERT INTO data_rotation (started) VALUES (?)", (started,))
    return started, False


def renew_data_keys(started: float, batch: int = 1000) -> Iterator[tuple[int, int]]:
    """A new data key for every record whose newest live key is older than ``started``;
    yields ``(done, total)``. One transaction per batch: resumable."""
    conn = connect()
    due = ("SELECT record_id FROM data_key WHERE wrapped IS NOT NULL GROUP BY record_id "
           "HAVING MAX(created) < ?")
    total = conn.execute(f"SELECT COUNT(*) FROM ({due})", (started,)).fetchone()[0]  # nosec B608
    done = 0
    yield done, total
    master = masters().current
    while True:
        rids = [r for (r,) in conn.execute(f"{due} LIMIT ?", (started, batch))]  # nosec B608
        if not rids:
            break
        now = max(time.time(), started + 1e-6)
        rows = []
        for rid in rids:
            kid = secrets.token_bytes(KEY_ID_BYTES)
            rows.append((kid, rid, master, wrap(master, kid, rid, secrets.token_bytes(KEY_BYTES)),
                         now))
        with _LOCK:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany("INSERT INTO data_key (key_id, record_id, master_id, wrapped, "
                                 "created) VALUES (?, ?, ?, ?, ?)", rows)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            _touch_generation()  # every process now seals with the new keys
        done += len(rids)
        yield done, total


def is_current(kid: bytes) -> bool:
    """Whether ``kid`` is its record's newest live key (what new values are sealed with)."""
    rid, _key = key_by_id(kid)
    return key_for(None if rid == NODE else rid)[0] == kid


def old_key_count() -> int:
    """Live data keys that are not their record's newest (kept for older backups)."""
    return connect().execute(
        "SELECT COUNT(*) FROM data_key k WHERE wrapped IS NOT NULL AND EXISTS (SELECT 1 FROM "
        "data_key n WHERE n.record_id = k.record_id AND n.wrapped IS NOT NULL AND "
        "n.created > k.created)").fetchone()[0]


def finish_data_rotation(destroy_old: bool = False) -> int:
    """Close the rotation; with ``destroy_old``, destroy the replaced keys (older backups
    then read as erased). Returns how many keys were destroyed."""
    destroyed = 0
    with _LOCK:
        conn = connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            if destroy_old:
                destroyed = conn.execute(
                    "UPDATE data_key SET wrapped=NULL, forgotten=? WHERE wrapped IS NOT NULL AND "
                    "EXISTS (SELECT 1 FROM data_key n WHERE n.record_id = data_key.record_id AND "
                    "n.wrapped IS NOT NULL AND n.created > data_key.created)",
                    (time.time(),)).rowcount
            conn.execute("UPDATE data_rotation SET finished=? WHERE finished IS NULL", (time.time(),))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        _touch_generation()
    from . import keycopy

    keycopy.refresh_copies()
    return destroyed
