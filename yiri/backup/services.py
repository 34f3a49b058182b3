"""Backups: make one, check one (restored into a scratch database), put one back.

``make`` writes ``yiri-backup-<node id>-<date>.ybk`` (see ``archive`` for the file):
the database copied online (``dumps.dump``), the attached files, and a manifest — record
counts per table, the sync digest, the clock (highest counter and seq), the migrations,
sha256 of the dump and of the attached files. The data folder's keys, secret key and node
id are never in it: they are the data folder's, not the database's. Identifying values in
the dump and the attached files are ciphertexts (``cases.identity``) whose data keys live in
the data folder's ``keys/``; ``make`` also writes (overwrites) one current copy of that key
store, ``keys.ykeys``, sealed like the archive to this node and its parent, beside the
archives (``cases.keycopy``).

Restoring on the same data folder uses its live key store: a record whose key was forgotten
since the backup (an erasure) stays unreadable. Restoring elsewhere (a new computer, or the
relay cell restoring an office) imports ``keys.ykeys`` found beside the archive (or named
by ``--keys``) with the same node keys that open the archive; that copy is rewritten without
a record's key when the key is forgotten, so an older archive never brings a child back.

``verify`` decrypts a backup, restores it into a scratch database and compares its counts
and digest with the manifest. ``restore`` does the same, then puts the database and the
files into this installation, which must be empty.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from yiri.sync import identity

from . import archive, dumps
from .archive import BackupError

SUFFIX = ".ybk"
DB_NAMES = {dumps.SQLITE: "database.sqlite3", dumps.POSTGRESQL: "database.pgdump"}
ATTACHMENTS = "attachments/"
MANIFEST = "manifest.json"
# What the header repeats of the manifest: nothing that names or describes a child.
HEADER_FIELDS = ("counts", "digest", "rows", "clock")


def software_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("yiri")
    except PackageNotFoundError:
        return "0.1.0"


def default_folder() -> Path:
    return Path(settings.DATA_DIR) / "backups"


def private_folder(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def load_keys(key_file: Path | None = None) -> identity.Identity:
    """This node's keys, or those of the ``node_keys`` file given (a relay cell's, to
    restore an office's backup)."""
    if key_file is None:
        return identity.load()
    from nacl.public import PrivateKey
    from nacl.signing import SigningKey

    try:
        data = json.loads(Path(key_file).read_text())
        return identity.Identity(SigningKey(identity.unb64(data["signing"])),
                                 PrivateKey(identity.unb64(data["box"])))
    except FileNotFoundError:
        raise BackupError(f"Fichier de clés introuvable : {key_file}") from None
    except (ValueError, KeyError, TypeError, identity.IdentityError):
        raise BackupError(f"Fichier de clés illisible : {key_file} (il faut le fichier "
                          "node_keys d'un dossier de données Yiri).") from None


def recipients() -> list[dict]:
    """Whom the data key is sealed to: this node, and its parent if its key is known."""
    from yiri.sync.models import Peer, PeerRole

    mine = identity.load()
    out = [{"role": "self", "node_id": settings.YIRI_NODE_ID, "box_key": mine.box_key}]
    parent = (Peer.objects.filter(role=PeerRole.PARENT, revoked=False).exclude(box_key="")
              .first())
    if parent is not None and parent.box_key != mine.box_key:
        out.append({"role": "parent", "node_id": parent.node_id, "box_key": parent.box_key})
    return out


# ---------------------------------------------------------------- attachments


def _attachment_files() -> list[tuple[str, Path]]:
    root = Path(settings.YIRI_ATTACHMENTS_DIR)
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not path.is_symlink() and not any(
                part.startswith(".") for part in rel.split("/")):  # files being written
            found.append((rel, path))
    return found


class _FilesDigest:
    """sha256 over the attached files: each one's name and sha256, in order."""

    def __init__(self) -> None:
        self.h = hashlib.sha256()
        self.files = 0
        self.bytes = 0

    def add(self, rel: str, data: bytes) -> None:
        self.h.update(f"{rel}\0{hashlib.sha256(data).hexdigest()}\n".encode())
        self.files += 1
        self.bytes += len(data)

    def summary(self) -> dict:
        return {"files": self.files, "bytes": self.bytes, "sha256": self.h.hexdigest()}


def _safe_rel(name: str) -> str:
    rel = name[len(ATTACHMENTS):]
    parts = rel.split("/")
    if not rel or rel.startswith("/") or any(p in ("", ".", "..") or p.startswith(".")
                                             for p in parts):
        raise BackupError("Sauvegarde invalide : nom de fichier joint refusé.")
    return rel


def _member(tar: tarfile.TarFile, name: str, data_or_file, size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = 0
    fileobj = io.BytesIO(data_or_file) if isinstance(data_or_file, bytes) else data_or_file
    tar.addfile(info, fileobj)


# ----------------------------------------------------------------------- make


@dataclass
class Made:
    path: Path
    header: dict
    size: int


def backup_name(node_id: str, when: dt.datetime) -> str:
    return f"yiri-backup-{node_id}-{when:%Y%m%d-%H%M%S}{SUFFIX}"


def make(folder: Path | None = None, progress=None) -> Made:
    """Write a backup of this node into ``folder`` (default: the data folder's
    ``backups``); the file appears whole or not at all."""
    folder = private_folder(Path(folder) if folder else default_folder())
    who = recipients()
    work = Path(settings.DATA_DIR) / f".backup-{uuid.uuid4().hex}"
    private_folder(work)
    now = timezone.now()
    path = folder / backup_name(settings.YIRI_NODE_ID, now.astimezone(dt.UTC))
    temp = folder / f".{path.name}.part"
    try:
        db_file = work / DB_NAMES[dumps.vendor()]
        facts = dumps.dump(db_file)
        key = archive.new_key()
        header = {
            "format": archive.FORMAT, "backup_id": str(uuid.uuid4()),
            "node_id": settings.YIRI_NODE_ID, "kind": settings.YIRI_NODE_KIND,
            "created": now.isoformat(), "software": software_version(),
            "vendor": dumps.vendor(),
            "manifest": {k: facts[k] for k in HEADER_FIELDS},
            "recipients": [{**r, "sealed": identity.b64(identity.seal(r["box_key"], key))}
                           for r in who],
        }
        lines = archive.header_lines(header)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(lines)
            writer = archive.Writer(fh, key, lines, progress)
            with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                db_hash = hashlib.sha256()
                size = db_file.stat().st_size
                with open(db_file, "rb") as src:
                    _member(tar, db_file.name, _Hashing(src, db_hash), size)
                files = _FilesDigest()
                for rel, file in _attachment_files():
                    try:
                        data = file.read_bytes()
                    except FileNotFoundError:  # erased meanwhile
                        continue
                    files.add(rel, data)
                    _member(tar, ATTACHMENTS + rel, data, len(data))
                manifest = {
                    **{k: header[k] for k in ("backup_id", "node_id", "kind", "created",
                                              "software", "vendor")},
                    **facts,
                    "database": {"name": db_file.name, "size": size,
                                 "sha256": db_hash.hexdigest()},
                    "attachments": files.summary(),
                }
                data = json.dumps(manifest, sort_keys=True).encode()
                _member(tar, MANIFEST, data, len(data))
            writer.close()
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    from yiri.cases import keycopy

    keycopy.write(folder, who)  # the one current copy of the key store, beside the archives
    return Made(path, header, path.stat().st_size)


class _Hashing:
    def __init__(self, fh, h) -> None:
        self.fh, self.h = fh, h

    def read(self, n: int = -1) -> bytes:
        data = self.fh.read(n)
        self.h.update(data)
        return data


def rotate(folder: Path | None, keep: int, node_id: str | None = None) -> list[Path]:
    """Remove this node's oldest backups in ``folder`` beyond the ``keep`` newest."""
    folder = Path(folder) if folder else default_folder()
    node_id = node_id or settings.YIRI_NODE_ID
    pattern = re.compile(rf"yiri-backup-{re.escape(node_id)}-(\d{{8}}-\d{{6}}){re.escape(SUFFIX)}")
    mine = sorted((p for p in folder.glob(f"yiri-backup-{node_id}-*{SUFFIX}")
                   if pattern.fullmatch(p.name)), key=lambda p: p.name, reverse=True)
    gone = mine[max(keep, 1):]
    for path in gone:
        path.unlink(missing_ok=True)
    return gone


# ------------------------------------------------------------------ unpack & check


@dataclass
class Unpacked:
    header: dict
    manifest: dict
    database: Path
    attachments: Path
    size: int


def unpack(path: Path, work: Path, keys: identity.Identity) -> Unpacked:
    """Decrypt ``path`` into the folder ``work``; every checksum checked. ``BackupError``
    if the file was changed, cut, or is not for these keys."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"Fichier de sauvegarde introuvable : {path}")
    with open(path, "rb") as fh:
        header, lines = archive.read_header(fh)
        if header.get("vendor") not in DB_NAMES:
            raise BackupError("Sauvegarde illisible : base de données d'un type inconnu.")
        reader = archive.Reader(fh, archive.data_key(header, keys), lines)
        manifest = None
        db_name = DB_NAMES[header["vendor"]]
        db_hash = hashlib.sha256()
        files = _FilesDigest()
        attachments = private_folder(work / "attachments")
        seen_db = False
        try:
            with tarfile.open(fileobj=reader, mode="r|") as tar:
                for info in tar:
                    if not info.isfile():
                        raise BackupError("Sauvegarde invalide : élément inattendu.")
                    src = tar.extractfile(info)
                    if info.name == db_name and not seen_db:
                        seen_db = True
                        fd = os.open(work / db_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                        with os.fdopen(fd, "wb") as out:
                            while block := src.read(archive.CHUNK):
                                db_hash.update(block)
                                out.write(block)
                    elif info.name.startswith(ATTACHMENTS):
                        rel = _safe_rel(info.name)
                        data = src.read()
                        files.add(rel, data)
                        target = attachments / rel
                        private_folder(target.parent)
                        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                        with os.fdopen(fd, "wb") as out:
                            out.write(data)
                    elif info.name == MANIFEST and manifest is None:
                        manifest = json.loads(src.read())
                    else:
                        raise BackupError("Sauvegarde invalide : élément inattendu.")
            reader.finish()
        except tarfile.TarError:
            raise BackupError("Sauvegarde illisible : contenu invalide.") from None
    if manifest is None or not seen_db:
        raise BackupError("Sauvegarde incomplète : le manifeste ou la base manque.")
    problems = []
    if any(manifest.get(k) != header["manifest"].get(k) for k in HEADER_FIELDS) or any(
            manifest.get(k) != header.get(k) for k in ("backup_id", "node_id", "vendor")):
        problems.append("l'en-tête ne correspond pas au manifeste")
    if manifest["database"]["sha256"] != db_hash.hexdigest():
        problems.append("l'empreinte de la base ne correspond pas")
    if manifest["attachments"] != files.summary():
        problems.append("les fichiers joints ne correspondent pas")
    if problems:
        raise BackupError("Sauvegarde incohérente : " + " ; ".join(problems) + ".")
    return Unpacked(header, manifest, work / db_name, attachments, path.stat().st_size)


def compare(manifest: dict, facts: dict) -> list[str]:
    """What differs between the manifest and the facts of the restored database."""
    out = []
    if facts["digest"] != manifest["digest"] or facts["rows"] != manifest["rows"]:
        out.append(f"empreinte des données : {facts['digest'][:16]}… ({facts['rows']} lignes) "
                   f"au lieu de {manifest['digest'][:16]}… ({manifest['rows']} lignes)")
    for table in sorted(set(manifest["counts"]) | set(facts["counts"])):
        want, got = manifest["counts"].get(table), facts["counts"].get(table)
        if want != got:
            out.append(f"table {table} : {got} ligne(s) au lieu de {want}")
    if facts["clock"] != manifest["clock"]:
        out.append("état de l'horloge différent")
    return out


@dataclass
class Checked:
    unpacked: Unpacked
    differences: list[str]


def check(path: Path, work: Path, keys: identity.Identity) -> Checked:
    """Unpack and restore into a scratch database, compare with the manifest."""
    unpacked = unpack(path, work, keys)
    if unpacked.header["vendor"] != dumps.vendor():
        raise BackupError(
            f"Cette sauvegarde vient d'une base {unpacked.header['vendor']} ; cette installation "
            f"utilise {dumps.vendor()} : elle se lit avec le même type de base.")
    with dumps.scratch_database(unpacked.database) as url:
        facts = dumps.facts_of(url)
    return Checked(unpacked, compare(unpacked.manifest, facts))


def work_folder(kind: str) -> Path:
    return private_folder(Path(settings.DATA_DIR) / f".{kind}-{uuid.uuid4().hex}")


def verify(path: Path, keys: identity.Identity | None = None) -> Checked:
    work = work_folder("verify")
    try:
        checked = check(path, work, keys or identity.load())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    record(checked.unpacked.header, checked.unpacked.size, verified=True,
           ok=not checked.differences)
    return checked


def record(header: dict, size: int, *, verified: bool, ok: bool):
    """Write (or update) the synchronised report of this backup."""
    from .models import BackupReport

    report = BackupReport.objects.filter(backup_id=header["backup_id"]).first()
    if report is None:
        report = BackupReport(backup_id=header["backup_id"], node_id=header["node_id"],
                              made_at=dt.datetime.fromisoformat(header["created"]), size=size)
    if verified:
        report.verified_at = timezone.now()
        report.ok = ok
    report.save()
    return report


# ---------------------------------------------------------------------- restore


@dataclass
class Restored:
    header: dict
    manifest: dict
    identity_changed: bool
    same_keys: bool


def restore(path: Path, keys: identity.Identity | None = None,
            key_copy: Path | None = None) -> Restored:
    """Put a backup into this installation, whose database must hold no record and no
    operation. Checked first in full (a scratch database); nothing changes on refusal.
    The copy of the key store (``key_copy``, by default ``keys.ykeys`` beside the archive)
    is imported if there is one: its keys this key store lacks are added."""
    from django.db.migrations.loader import MigrationLoader

    empty, records, operations = dumps.is_empty()
    if not empty:
        raise BackupError(
            f"Restauration refusée : la base de cette installation n'est pas vide ({records} "
            f"dossier(s), {operations} opération(s)). Une restauration ne remplace jamais des "
            "données : restaurez dans une installation neuve (dossier de données et base de "
            "données vides).")
    env_id = os.environ.get("YIRI_NODE_ID")
    work = work_folder("restore")
    try:
        node_keys = keys or identity.load()
        checked = check(path, work, node_keys)
        header, manifest = checked.unpacked.header, checked.unpacked.manifest
        if checked.differences:
            raise BackupError("Sauvegarde refusée : la base restaurée ne correspond pas à son "
                              "manifeste (" + " ; ".join(checked.differences) + ").")
        if env_id and env_id != header["node_id"]:
            raise BackupError(
                f"Cette sauvegarde est celle du nœud {header['node_id']} mais YIRI_NODE_ID vaut "
                f"{env_id} : retirez YIRI_NODE_ID ou donnez-lui l'identifiant de ce nœud.")
        known = {f"{app}.{name}" for app, name in MigrationLoader(None, ignore_no_migrations=True)
                 .disk_migrations}
        newer = sorted(set(manifest["migrations"]) - known)
        if newer:
            raise BackupError("Cette sauvegarde a été faite par une version plus récente de Yiri "
                              f"({header['software']}) : mettez Yiri à jour avant de la restaurer.")
        # Nothing has changed so far. From here on, the installation becomes the backup's
        # (checked empty again: a server left running may have written meanwhile).
        if not dumps.is_empty()[0]:
            raise BackupError("Restauration refusée : des données ont été écrites dans cette "
                              "installation pendant la vérification. Arrêtez son serveur et "
                              "recommencez dans une installation neuve.")
        from yiri.cases import keycopy
        from yiri.cases.keys import KeyMissing

        copy_file = Path(key_copy) if key_copy else Path(path).with_name(keycopy.COPY_NAME)
        if key_copy or copy_file.exists():
            try:
                keycopy.import_copy(copy_file, node_keys)
            except KeyMissing as exc:
                raise BackupError(str(exc)) from exc
        dumps.put_back(checked.unpacked.database)
        target = private_folder(Path(settings.YIRI_ATTACHMENTS_DIR))
        source = checked.unpacked.attachments
        for file in sorted(p for p in source.rglob("*") if p.is_file()):
            rel = file.relative_to(source)
            private_folder((target / rel).parent)
            os.replace(file, target / rel)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    changed = header["node_id"] != settings.YIRI_NODE_ID
    if changed:
        node_file = Path(settings.DATA_DIR) / "node_id"
        temp = node_file.with_name(".node_id.new")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(header["node_id"] + "\n")
        os.replace(temp, node_file)
    self_key = next((r["box_key"] for r in header["recipients"] if r["role"] == "self"), "")
    same = identity.has_keys() and identity.load().box_key == self_key
    return Restored(header, manifest, changed, same)
