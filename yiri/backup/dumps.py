"""The database side of a backup: an online, consistent copy, putting one back, and the
facts (record counts, digest, clock) of a database, computed by ``manage.py backup facts``
in a process of its own pointed at that database.

SQLite: the backup API of Python's ``sqlite3`` (a consistent copy while the node keeps
working, WAL included). PostgreSQL: ``pg_dump -Fc`` in a snapshot exported by a
repeatable-read transaction, the facts read in that same snapshot; ``pg_restore``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from .archive import BackupError

SQLITE, POSTGRESQL = "sqlite", "postgresql"


def vendor() -> str:
    return connection.vendor


def _db() -> dict:
    return settings.DATABASES["default"]


# ------------------------------------------------------------------------ facts


def facts_here(snapshot: str = "") -> dict:
    """Counts per table, digest, clock state and applied migrations of this process's
    database (in the exported PostgreSQL ``snapshot`` if given)."""
    from django.apps import apps
    from django.db import transaction

    from yiri.sync import scope

    with transaction.atomic():
        if snapshot:
            if not re.fullmatch(r"[0-9A-Fa-f-]{1,64}", snapshot):
                raise BackupError("Instantané invalide.")
            with connection.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cur.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        tables = set(connection.introspection.table_names())
        counts = {}
        with connection.cursor() as cur:
            names = {m._meta.db_table for m in apps.get_models(include_auto_created=True)}
            for table in sorted(names & tables):
                # Bandit B608 is a false alarm: Yiri's own table names, quoted.
                cur.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # nosec B608
                counts[table] = cur.fetchone()[0]
            clock = {"counter": 0, "seq": 0, "stamp": 0}
            if "sync_clockstate" in tables:
                cur.execute("SELECT counter, seq, stamp FROM sync_clockstate WHERE id = 1")
                row = cur.fetchone()
                if row:
                    clock = {"counter": row[0], "seq": row[1], "stamp": row[2]}
            cur.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
            migrations = [f"{a}.{n}" for a, n in cur.fetchall()]
        # Over the stored ciphertexts (``identity.opaque``): the digest of a backup does not
        # change when a record's key is later forgotten, and needs no key to check.
        from yiri.cases import identity

        with identity.opaque():
            digest, rows = scope.digest()
    return {"counts": counts, "digest": digest, "rows": rows, "clock": clock,
            "migrations": migrations}


def facts_of(database_url: str, snapshot: str = "") -> dict:
    """``facts_here`` of another database, in a process of its own (``backup facts``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update({"DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "yiri.settings"})
    args = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "backup", "facts"]
    if snapshot:
        args += ["--snapshot", snapshot]
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError("Lecture de la base sauvegardée impossible :\n"
                          + (done.stderr.strip().splitlines() or ["?"])[-1])
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------- PostgreSQL


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"« {name} » est introuvable : installez les outils clients de "
                          f"PostgreSQL (paquet postgresql-client) pour sauvegarder ou restaurer "
                          "une base PostgreSQL.")
    return found


def _pg_args(name: str | None = None) -> tuple[list[str], dict]:
    db = _db()
    args = []
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    args += ["-d", name or str(db["NAME"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def pg_url(name: str) -> str:
    db = _db()
    auth = quote(str(db.get("USER") or ""), safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(str(db["PASSWORD"]), safe="")
    host = str(db.get("HOST") or "localhost")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{name}"


def _psycopg(name: str | None = None):
    import psycopg

    db = _db()
    return psycopg.connect(dbname=name or db["NAME"], user=db.get("USER") or None,
                           password=db.get("PASSWORD") or None, host=db.get("HOST") or None,
                           port=db.get("PORT") or None)


def _run(args: list[str], env: dict, what: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise BackupError(f"{what} a échoué :\n{tail}")


# ------------------------------------------------------------------------- dump


def dump(target: Path) -> dict:
    """Write a consistent copy of this node's database to ``target``; returns its facts
    (those of exactly what was copied)."""
    if vendor() == SQLITE:
        source = sqlite3.connect(str(_db()["NAME"]))
        copy = sqlite3.connect(str(target))
        try:
            source.execute("PRAGMA busy_timeout = 30000")
            source.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()
            source.close()
        return facts_of(f"sqlite:///{target}")
    if vendor() != POSTGRESQL:
        raise BackupError(f"Base de données non prise en charge : {vendor()}.")
    pg_dump = _pg_tool("pg_dump")
    args, env = _pg_args()
    import psycopg

    with _psycopg() as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        # pg_dump and the facts both read the snapshot while this transaction holds it.
        _run([pg_dump, "-Fc", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
              "-f", str(target), *args], env, "pg_dump")
        facts = facts_of(pg_url(_db()["NAME"]), snapshot)
        conn.rollback()
    return facts


# ---------------------------------------------------------------------- scratch


@contextmanager
def scratch_database(dump_file: Path):
    """The dump put into a database of its own for reading; yields its URL and drops it
    afterwards. SQLite: the file itself."""
    if vendor() == SQLITE:
        yield f"sqlite:///{dump_file}"
        return
    pg_restore = _pg_tool("pg_restore")
    name = f"yiri_verify_{uuid.uuid4().hex[:12]}"
    with _psycopg() as conn:
        conn.autocommit = True
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        args, env = _pg_args(name)
        _run([pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", *args,
              str(dump_file)], env, "pg_restore (base de vérification)")
        yield pg_url(name)
    finally:
        with _psycopg() as conn:
            conn.autocommit = True
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------------- restore


def is_empty() -> tuple[bool, int, int]:
    """Whether this installation's database holds no record and no operation:
    (empty, records, operations)."""
    from yiri.cases.models import RECORD_MODELS
    from yiri.sync.models import Operation

    tables = set(connection.introspection.table_names())
    records = operations = 0
    # Bandit B608 below is a false alarm: Yiri's own table names, quoted.
    with connection.cursor() as cur:
        for model in RECORD_MODELS.values():
            if model._meta.db_table in tables:
                cur.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(model._meta.db_table)}")  # nosec B608
                records += cur.fetchone()[0]
        if Operation._meta.db_table in tables:
            cur.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(Operation._meta.db_table)}")  # nosec B608
            operations = cur.fetchone()[0]
    return records == 0 and operations == 0, records, operations


def put_back(dump_file: Path) -> None:
    """Replace this installation's (empty) database by the dump, in one transaction."""
    from django.db import connections

    connections.close_all()
    if vendor() == SQLITE:
        source = sqlite3.connect(str(dump_file))
        target = sqlite3.connect(str(_db()["NAME"]))
        try:
            target.execute("PRAGMA busy_timeout = 30000")
            source.backup(target)
            target.execute("PRAGMA journal_mode = WAL")
        finally:
            target.close()
            source.close()
        return
    pg_restore = _pg_tool("pg_restore")
    args, env = _pg_args()
    _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", *args, str(dump_file)], env, "pg_restore")
