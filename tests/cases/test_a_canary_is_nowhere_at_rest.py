"""A canary typed into a case, a note, a flag, a workflow comment and an attached file
through the services of a real node is in none of the bytes at rest: the SQLite database
file and its WAL (or ``pg_dump``'s output on PostgreSQL), and a backup archive opened with
the node's key. Its key forgotten, an older backup restored — on the same data folder or
on another machine with the key copy beside the archives — does not reveal it.
The name search index holds keyed HMACs (``cases/blind_index.py``), and no column holds
a sort name: nothing is cleared before the bytes are read.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.backup.test_no_child_name_in_a_backup_file import found
from tests.sync.nodes import Node
from yiri.backup import archive, services

FIRST, LAST = "Zyxquelinde", "Ouobrakyanga"
TEXT = "Quxfoltrane"  # in the address, a note, a flag, a comment, a file name and its bytes

CANARY = f"""
from django.core.files.uploadedfile import SimpleUploadedFile
from yiri.accounts.models import User
from yiri.attachments.services import add_attachment
from yiri.cases.notes import add_flag, add_note
from yiri.cases.services import create_record
from yiri.workflow.services import request_approval
worker = User.objects.filter(role__code="case_worker", agency__isnull=False).order_by("username").first()
case = create_record(worker, "case", {{
    "name_first": "{FIRST}", "name_last": "{LAST}", "sex": "female", "age": 9,
    "registration_date": "2026-01-15", "location_current": "BF-KAD",
    "address_current": "chez {TEXT}, secteur 12", "exploitation_narrative": "{TEXT} raconte"}})
add_note(worker, case, subject="Visite {TEXT}", body="La tante {TEXT} menace")
add_flag(worker, case, reason="Représailles de {TEXT}")
request_approval(worker, case, "assessment", comment="Voir {TEXT}")
pdf = b"%PDF-1.4\\n% acte de {TEXT}\\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\\ntrailer<</Root 1 0 R>>\\n%%EOF\\n"
add_attachment(worker, case, "supporting_documents",
               SimpleUploadedFile("acte_{TEXT}.pdf", pdf, content_type="application/pdf"))
witness = create_record(worker, "case", {{
    "name_first": "Mariam", "name_last": "Témoin", "sex": "female", "age": 11,
    "registration_date": "2026-01-15", "location_current": "BF-KAD"}})
result = [str(case.pk), str(witness.pk)]
"""

READ = """
from yiri.cases.identity import display_name, read_answers
from yiri.cases.models import Case, Note
from yiri.formconfig.schema import get_schema
case = Case._base_manager.get(pk="%s")
answers = read_answers(case, get_schema("case"))
result = [display_name(case), answers.get("address_current"),
          [n.body for n in Note._base_manager.filter(record_id=case.pk)]]
"""


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    node = Node(tmp_path_factory.mktemp("canary-office"), "office", "office", postgres=True)
    node.install()
    node.manage("load_demo", "--cases", "3", "--validate", "sample", "-v", "0")
    node.case_id, node.witness_id = node.script(CANARY)
    yield node
    node.stop()


def at_rest(node: Node) -> bytes:
    """The database as it lies: SQLite file and WAL, or pg_dump's plain SQL output."""
    if node.pg_db:
        url = node.env["DATABASE_URL"]
        return subprocess.run(["pg_dump", "--no-owner", url], capture_output=True,
                              check=True).stdout
    return b"".join(p.read_bytes() for p in sorted(node.dir.glob("yiri.sqlite3*")))


def opened_backup(node: Node, folder) -> bytes:
    node.manage("backup", "--out", str(folder), "--no-verify")
    (path,) = sorted(folder.glob("*.ybk"))
    with open(path, "rb") as fh:
        header, lines = archive.read_header(fh)
        key = archive.data_key(header, services.load_keys(node.dir / "node_keys"))
        return archive.Reader(fh, key, lines).read()


def test_the_canary_is_in_no_byte_at_rest_nor_in_a_backup(office, tmp_path):
    # The check can fail: the node reads the canary back through the codec.
    name, address, notes = office.script(READ % office.case_id)
    assert name == f"{FIRST} {LAST}" and TEXT in address and TEXT in notes[0]
    assert not found(TEXT, at_rest(office))
    assert not found(TEXT, opened_backup(office, tmp_path / "one"))
    assert not found(TEXT, b"".join(p.read_bytes() for p in (office.dir / "attachments").rglob("*")
                                    if p.is_file()))
    data = at_rest(office)
    for word in (FIRST, LAST, TEXT):
        assert not found(word, data), word
    plain = opened_backup(office, tmp_path / "two")
    for word in (FIRST, LAST, TEXT):
        assert not found(word, plain), word
    assert office.database != "PostgreSQL" or b"COPY public.cases_case" in data


def test_after_its_key_is_forgotten_an_older_backup_does_not_reveal_the_child(
        office, tmp_path_factory):
    folder = tmp_path_factory.mktemp("older-backups")
    office.manage("backup", "--out", str(folder), "--no-verify")
    (older,) = sorted(folder.glob("*.ybk"))
    assert (folder / "keys.ykeys").exists()
    office.script(f"from yiri.cases import identity\nidentity.forget_record_key('{office.case_id}')")
    name, address, notes = office.script(READ % office.case_id)
    assert (name, address, notes) == ("", None, [""])

    # On another machine: the node keys copied, the key copy beside the archive imported.
    elsewhere = Node(tmp_path_factory.mktemp("elsewhere"), "elsewhere", "office", postgres=True)
    # On the same data folder: its live key store (here: the keys folder copied).
    same = Node(tmp_path_factory.mktemp("same"), "same", "office", postgres=True)
    try:
        for node in (elsewhere, same):
            node.env["YIRI_NODE_ID"] = office.node_id
            shutil.copyfile(office.dir / "node_keys", node.dir / "node_keys")
            (node.dir / "node_keys").chmod(0o600)
        shutil.copytree(office.dir / "keys", same.dir / "keys")
        for node in (elsewhere, same):
            node.install()
            out = node.manage("restore", str(older))
            assert "Sauvegarde restaurée" in out
            name, address, notes = node.script(READ % office.case_id)
            assert (name, address, notes) == ("", None, [""]), node.name
            assert node.script(READ % office.witness_id)[0] == "Mariam Témoin", node.name
        assert "1 détruite(s)" in elsewhere.manage("keys", "status")
    finally:
        elsewhere.stop()
        same.stop()
