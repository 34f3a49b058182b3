"""Real Yiri nodes for sync tests: each its own data folder, database and server process.

``Node.manage`` runs ``manage.py`` in the node's environment; ``Node.script`` runs Python
inside the node (Django set up) and returns what it prints as JSON; ``Node.serve`` starts
its HTTP server on a free port of 127.0.0.1. On the PostgreSQL run (``DATABASE_URL``
naming PostgreSQL) nodes named in ``pg_nodes`` get a PostgreSQL database of their own.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SETUP_NETWORK = """
from yiri.accounts.models import Role, User
from yiri.network.models import Agency, Location, RelayCell
roles = {r.code: r for r in Role.objects.all()}
bf = Location.objects.get(code="BF")
centre = Location.objects.get(code="BF-03")
ace = Agency.objects.create(code="ACE", name="Action Enfance", acronym="ACE", country=bf)
ace.regions.add(centre)
bta = Agency.objects.create(code="BTA", name="Bureau Traite Alerte", acronym="BTA", country=bf)
tgo = Agency.objects.create(code="TGO", name="Togo Enfants", acronym="TGO",
                            country=Location.objects.get(code="TG"))
cell = RelayCell.objects.create(code="CRR-CEN", name="Cellule de relais du Centre")
cell.members.add(ace, bta)
def user(name, role, agency=None, **extra):
    return User.objects.create_user(name, password="motdepasse-tres-long-42", role=roles[role],
                                    agency=agency, first_name=name.capitalize(), **extra)
user("worker", "case_worker", ace)
user("admin", "administrator", ace)
user("manager", "manager", ace)
user("provider", "service_provider", bta)
user("bworker", "case_worker", bta)
user("relay", "relay_data_manager", None, relay_cell=cell)
user("national", "national_coordinator", None)
user("outsider", "case_worker", tgo)
"""


def _migration_digest() -> str:
    import hashlib

    h = hashlib.sha256(sys.executable.encode())
    for path in sorted((REPO / "yiri").glob("*/migrations/*.py")):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()[:16]


def _copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of the SQLite database ``source`` (its backup API), owner-only."""
    import sqlite3

    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def migrated_template() -> Path:
    """An empty node database with every migration applied, made once per set of
    migrations and shared by the test processes (under a lock)."""
    import fcntl
    import tempfile

    root = Path(tempfile.gettempdir()) / f"yiri-node-template-{_migration_digest()}"
    root.mkdir(mode=0o700, exist_ok=True)
    done = root / "yiri.sqlite3.ready"
    with open(root / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith(("PYTEST", "DJANGO_", "YIRI_"))}
            env.pop("DATABASE_URL", None)
            work = root / "data"
            work.mkdir(mode=0o700, exist_ok=True)
            env.update({"DJANGO_SETTINGS_MODULE": "yiri.settings", "YIRI_DATA_DIR": str(work),
                        "YIRI_NODE_ID": str(uuid.uuid4()), "YIRI_NODE_KIND": "office"})
            subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0", "--skip-checks"],
                           cwd=REPO, env=env, check=True, capture_output=True, timeout=600)
            template = root / "template.sqlite3"
            template.unlink(missing_ok=True)
            _copy_sqlite(work / "yiri.sqlite3", template)
            done.touch()
    return root / "template.sqlite3"


def migrated_postgres_template(base_url: str) -> str:
    """The name of a PostgreSQL database with every migration applied, made once per set
    of migrations (under a lock) and copied by ``CREATE DATABASE … TEMPLATE``: a tenth of
    a second against about ten for ``migrate``."""
    import fcntl
    import tempfile

    import psycopg

    name = f"yiri_node_tmpl_{_migration_digest()}"
    admin = base_url.rsplit("/", 1)[0] + "/postgres"
    lock_path = Path(tempfile.gettempdir()) / f"{name}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with psycopg.connect(admin, autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                return name
            building = name + "_new"
            conn.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{building}"')
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PYTEST", "DJANGO_", "YIRI_"))}
        work = Path(tempfile.mkdtemp(prefix="yiri-pg-template-"))
        env.update({"DJANGO_SETTINGS_MODULE": "yiri.settings", "YIRI_DATA_DIR": str(work),
                    "YIRI_NODE_ID": str(uuid.uuid4()), "YIRI_NODE_KIND": "office",
                    "DATABASE_URL": base_url.rsplit("/", 1)[0] + "/" + building})
        subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0", "--skip-checks"],
                       cwd=REPO, env=env, check=True, capture_output=True, timeout=600)
        with psycopg.connect(admin, autocommit=True) as conn:
            # Renamed only once complete: an interrupted build is never taken as a template.
            conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    return name


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


class Node:
    def __init__(self, root: Path, name: str, kind: str, *, postgres: bool = False) -> None:
        self.name = name
        self.kind = kind
        self.node_id = str(uuid.uuid4())
        self.dir = root / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.pg_db = None
        self._installed = False
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PYTEST", "DJANGO_", "YIRI_"))}
        env.update({
            "DJANGO_SETTINGS_MODULE": "yiri.settings", "YIRI_DATA_DIR": str(self.dir),
            "YIRI_NODE_ID": self.node_id, "YIRI_NODE_KIND": kind,
            "YIRI_NODE_CODE": name[:3].upper(), "YIRI_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
            # The tests say when each node syncs; test_a_relay_forwards_at_once.py turns
            # the relay's forwarding (on in a real network) back on.
            "YIRI_SYNC_FORWARD": "0",
        })
        env.pop("DATABASE_URL", None)
        base = postgres_url()
        if postgres and base:
            self.pg_db = f"yiri_sync_{name}_{uuid.uuid4().hex[:8]}"
            self._psql(f'CREATE DATABASE "{self.pg_db}"')
            env["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + self.pg_db
        self.env = env

    def _psql(self, sql: str) -> None:
        import psycopg

        base = postgres_url().rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(sql)

    def _pg_is_blank(self) -> bool:
        import psycopg

        url = postgres_url().rsplit("/", 1)[0] + "/" + self.pg_db
        with psycopg.connect(url, autocommit=True) as conn:
            return not conn.execute("SELECT 1 FROM information_schema.tables "
                                    "WHERE table_schema = 'public' LIMIT 1").fetchone()

    @property
    def database(self) -> str:
        return "PostgreSQL" if self.pg_db else "SQLite"

    def manage(self, *args: str, check: bool = True, timeout: float = 300) -> str:
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=self.env,
                              capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise AssertionError(f"{self.name}: manage.py {' '.join(args)} failed:\n"
                                 f"{done.stdout}\n{done.stderr}")
        return done.stdout

    def refused(self, *args: str) -> str:
        """Run ``manage.py args``, which must fail: its error message (stderr)."""
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=self.env,
                              capture_output=True, text=True, timeout=300)
        if done.returncode == 0:
            raise AssertionError(f"{self.name}: manage.py {' '.join(args)} succeeded:\n{done.stdout}")
        return done.stderr

    def script(self, code: str):
        """Run ``code`` in the node; it sets ``result`` to something JSON can carry."""
        program = ("import django, json; django.setup()\nresult = None\n"
                   + textwrap.dedent(code) + "\nprint('@@' + json.dumps(result, default=str))")
        done = subprocess.run([sys.executable, "-c", program], cwd=REPO, env=self.env,
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise AssertionError(f"{self.name}: script failed:\n{done.stderr[-4000:]}")
        line = [x for x in done.stdout.splitlines() if x.startswith("@@")][-1]
        return json.loads(line[2:])

    def install(self) -> None:
        if not (self.dir / "node_keys").exists():  # (keys copied from another machine: kept)
            self.manage("node", "init", "--kind", self.kind, "--name", self.name)
        database = self.dir / "yiri.sqlite3"
        if self.pg_db and not self._installed and self.proc is None and self._pg_is_blank():
            # Still empty (a restore needs it so, hence not in ``__init__``): made again as
            # a copy of a database migrated once for the whole run.
            template = migrated_postgres_template(postgres_url())
            self._psql(f'DROP DATABASE "{self.pg_db}" WITH (FORCE)')
            self._psql(f'CREATE DATABASE "{self.pg_db}" TEMPLATE "{template}"')
        elif self.pg_db or database.exists():
            self.manage("migrate", "--no-input", "-v", "0", "--skip-checks")
        else:
            # A copy of a database migrated once for the whole run: what ``migrate`` would
            # write, in a tenth of the time (the suite installs about sixty nodes).
            _copy_sqlite(migrated_template(), database)
        self._installed = True
        self.manage("load_reference_data")

    def show(self) -> dict:
        """``node show --json``: id, kind, name, code, public keys, fingerprint."""
        return json.loads(self.manage("node", "show", "--json"))

    def identity(self):
        """This node's keys, read from its data folder (to open what was sealed to it)."""
        from nacl.public import PrivateKey
        from nacl.signing import SigningKey

        from yiri.sync.identity import Identity, unb64

        data = json.loads((self.dir / "node_keys").read_text())
        return Identity(SigningKey(unb64(data["signing"])), PrivateKey(unb64(data["box"])))

    def serve(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload", "--skip-checks"],
            cwd=REPO, env=self.env, stdout=subprocess.DEVNULL,
            stderr=open(self.dir / "server.log", "ab"))  # noqa: SIM115 (the process owns it)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.2)
        raise AssertionError(f"{self.name}: server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None
        if self.pg_db:
            self._psql(f'DROP DATABASE IF EXISTS "{self.pg_db}" WITH (FORCE)')
            self.pg_db = None

    def digest(self, organisations: str = "") -> str:
        args = ["sync", "digest"] + (["--organisations", organisations] if organisations else [])
        return self.manage(*args).strip()

    def sync(self) -> str:
        return self.manage("sync", "run", "--quiet")


def link(parent: Node, child: Node, organisations: str) -> None:
    """Enrol ``child`` under ``parent`` as operators would: the child writes its request,
    the parent accepts it with the fingerprint read over the phone and writes the grant,
    the child joins with the parent's fingerprint. Files in the nodes' folders."""
    request, grant = child.dir / "enrol-request.json", child.dir / "enrol-grant.json"
    for f in (request, grant):
        f.unlink(missing_ok=True)
    child.manage("node", "enrol-request", "--out", str(request))
    heard = child.show()["fingerprint"]
    parent.manage("node", "enrol", str(request), "--organisations", organisations,
                  "--out", str(grant), "--fingerprint", heard, "--url", parent.url)
    out = child.manage("node", "join", str(grant), "--fingerprint", parent.show()["fingerprint"])
    child.code = out.split("Code de ce nœud : ", 1)[1].split(".")[0]
