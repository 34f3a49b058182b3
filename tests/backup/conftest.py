"""A real office node (its own data folder, database and keys: SQLite, or PostgreSQL on
the PostgreSQL run) holding a small demo, a canary child and an attached file, and one
backup of it made by ``manage.py backup``, shared by the tests of this folder (each works
on its own copy of the file)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.sync.nodes import Node

CANARY_FIRST, CANARY_LAST = "Zyxquilinde", "Ouobrakyanga"

# The node's keys (``node init``, run by ``Node.install``, made them).
MAKE_KEYS = """
from yiri.sync import identity
keys = identity.load() if identity.has_keys() else identity.create()
result = keys.box_key
"""

CANARY = f"""
import uuid
from yiri.accounts.models import User
from yiri.attachments import storage
from yiri.cases.services import create_record
worker = User.objects.filter(role__code="case_worker", agency__isnull=False).order_by("username").first()
case = create_record(worker, "case", {{
    "name_first": "{CANARY_FIRST}", "name_last": "{CANARY_LAST}", "sex": "female", "age": 9,
    "registration_date": "2026-01-15", "location_current": "BF-KAD"}})
storage.write(uuid.uuid4(), b"acte de naissance de {CANARY_FIRST} {CANARY_LAST}")
result = str(case.pk)
"""


def new_node(root: Path, name: str, kind: str = "office") -> Node:
    return Node(root, name, kind, postgres=True)


@pytest.fixture(scope="session")
def office(tmp_path_factory):
    """The office: installed, 30 demo cases, the canary, its keys."""
    node = new_node(tmp_path_factory.mktemp("backup-office"), "office")
    node.install()
    node.manage("load_demo", "--cases", "30", "--validate", "sample", "-v", "0")
    node.box_key = node.script(MAKE_KEYS)
    node.script(CANARY)
    yield node
    node.stop()


@pytest.fixture(scope="session")
def made_backup(office, tmp_path_factory):
    """One backup of the office and its digest at that moment."""
    folder = tmp_path_factory.mktemp("backup-files")
    out = office.manage("backup", "--out", str(folder))
    files = sorted(folder.glob("*.ybk"))
    assert len(files) == 1, out
    # The backup's own digest, over the stored ciphertexts (see test_backup_verify.py).
    office.sealed_facts = office.script("from yiri.backup import dumps\n"
                                        "result = dumps.facts_here()")
    return files[0], office.digest()


@pytest.fixture
def backup_file(made_backup, tmp_path) -> Path:
    """A copy of the office's backup this test may change."""
    copy = tmp_path / made_backup[0].name
    shutil.copyfile(made_backup[0], copy)
    return copy


@pytest.fixture
def nodes(tmp_path):
    """Further nodes made by a test, stopped (PostgreSQL databases dropped) after it."""
    made: list[Node] = []

    def make(name: str, kind: str = "office") -> Node:
        node = new_node(tmp_path, name, kind)
        made.append(node)
        return node

    yield make
    for node in made:
        node.stop()


def as_office(node: Node, office: Node) -> Node:
    """``node`` given the office's identity: its node id and a copy of its keys, as an
    operator copies them from the old machine's data folder."""
    node.env["YIRI_NODE_ID"] = office.node_id
    shutil.copyfile(office.dir / "node_keys", node.dir / "node_keys")
    (node.dir / "node_keys").chmod(0o600)
    return node


def header_of(path: Path) -> dict:
    """The readable header of a backup file (its second line)."""
    import json

    with open(path, "rb") as fh:
        fh.readline()
        return json.loads(fh.readline())


def run(node: Node, *args: str):
    """``manage.py`` in the node's environment, its exit status and both outputs kept."""
    import subprocess
    import sys

    from tests.sync.nodes import REPO

    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=node.env,
                          capture_output=True, text=True, timeout=300)
