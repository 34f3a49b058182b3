"""An office restored from a backup older than its last sync loses nothing.

Real processes and real files: a relay cell's node serving HTTP, an office node whose
SQLite database file is copied (as a backup script would, with SQLite's backup API) and
later put back in place of the database. The office's clock, arrival numbers and
readable record numbers go back to the copy's; the relay holds operations of the office
that the copy lacks. At the next sync the office is told, moves its counters past the
relay's, renumbers what it made since under numbers already taken, and gets its own
lost changes back: both nodes end with the same state and the same operations.
"""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from .nodes import SETUP_NETWORK, Node, link

CREATE = """
from yiri.accounts.models import User
from yiri.cases.services import create_record
w = User.objects.get(username="worker")
c = create_record(w, "case", {"name_first": %(first)r, "name_last": "Ouédraogo", "sex": "female",
                              "age": 11, "registration_date": "2026-11-01"})
result = {"id": str(c.pk), "short_id": c.short_id}
"""

EDIT = """
from yiri.accounts.models import User
from yiri.cases.models import Case
from yiri.cases.services import update_record
update_record(User.objects.get(username="worker"), Case.objects.get(pk=%(case)r), %(answers)r)
"""

CASES = """
from yiri.cases import identity
from yiri.cases.models import Case
from yiri.formconfig.schema import get_schema
schema = get_schema("case")
result = {str(c.pk): {"short_id": c.short_id, "first": identity.read_answers(c, schema)["name_first"],
                      "risk": identity.read_answers(c, schema).get("risk_level")}
          for c in Case.objects.all()}
"""

OPS = """
from yiri.sync.models import Operation
result = sorted([o.counter, o.hlc, str(o.entity_id), o.kind] for o in
                Operation.objects.filter(origin_node=%(node)r).exclude(record_id__in=%(left)r))
"""

AUDIT = """
from yiri.audit.models import AuditEvent
result = [e.details for e in AuditEvent.objects.filter(action="sync_restored")]
"""


def database(node: Node):
    return node.dir / "yiri.sqlite3"


def back_up(node: Node, to) -> None:
    """What a backup script does: SQLite's online backup of the database into a file."""
    source, target = sqlite3.connect(database(node)), sqlite3.connect(to)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def restore_file(node: Node, copy) -> None:
    """Put the copy in place of the database (nothing of the office runs meanwhile)."""
    for suffix in ("-wal", "-shm"):
        database(node).with_name(database(node).name + suffix).unlink(missing_ok=True)
    shutil.copyfile(copy, database(node))


@pytest.fixture(scope="module")
def relay(tmp_path_factory):
    root = tmp_path_factory.mktemp("restore")
    # The office's parent, of the national kind: a relay cell enrols nobody before it has
    # joined its own parent (its scope is not known), and one parent is enough here.
    node = Node(root, "relay", "national", postgres=True)  # PostgreSQL in the PostgreSQL run
    try:
        node.install()
        node.script(SETUP_NETWORK)
        node.serve()
        node.root = root
        yield node
    finally:
        node.stop()


@pytest.fixture
def office(relay):
    node = Node(relay.root, f"office{len(list(relay.root.iterdir()))}", "office")
    node.install()
    link(relay, node, "ACE")
    node.sync()
    return node


def ops_of(node: Node, office: Node, left=()) -> list:
    """The office's operations ``node`` holds (but those of records that ``left`` its scope,
    which the office purged)."""
    return node.script(OPS % {"node": office.node_id, "left": list(left)})


def _same_everywhere(relay: Node, office: Node, left=()) -> dict:
    """Both nodes hold the same state and the same operations of the office."""
    assert relay.digest("ACE") == office.digest("ACE"), (
        relay.manage("sync", "digest", "--organisations", "ACE", "--parts"),
        office.manage("sync", "digest", "--organisations", "ACE", "--parts"))
    ops = {n.name: ops_of(n, office, left) for n in (relay, office)}
    assert ops[relay.name] == ops[office.name]
    counters = [o[0] for o in ops[office.name]]
    assert len(counters) == len(set(counters))
    return {"ops": ops[office.name], "cases": office.script(CASES)}


def test_an_office_restored_from_an_old_backup_loses_nothing_and_is_told(relay, office, tmp_path):
    a = office.script(CREATE % {"first": "Awa"})
    office.sync()
    backup = tmp_path / "office-backup.sqlite3"
    back_up(office, backup)
    at_backup = len(ops_of(office, office))

    b = office.script(CREATE % {"first": "Binta"})
    office.script(EDIT % {"case": a["id"], "answers": {"exploitation_place": "Kaya"}})
    office.sync()
    before_restore = len(ops_of(relay, office))
    assert before_restore > at_backup

    restore_file(office, backup)
    assert b["id"] not in office.script(CASES)
    # New work after the restore: its operations take the numbers of B's, and the new
    # case the readable number of B.
    c = office.script(CREATE % {"first": "Coumba"})
    assert c["short_id"] == b["short_id"]
    office.script(EDIT % {"case": a["id"], "answers": {"risk_level": "high"}})
    made_since = len(ops_of(office, office)) - at_backup

    out = office.sync()
    assert "restauré depuis une sauvegarde plus ancienne que sa dernière synchronisation" in out
    assert "compteurs ont été avancés" in out and f"{c['short_id']} → " in out
    office.sync()

    state = _same_everywhere(relay, office)
    # No operation lost: those on the relay before the restore, and the new ones.
    assert len(state["ops"]) == before_restore + made_since
    cases = state["cases"]
    assert {a["id"], b["id"], c["id"]} <= set(cases)
    assert cases[a["id"]]["risk"] == "high"
    assert cases[b["id"]]["short_id"] == b["short_id"] and cases[b["id"]]["first"] == "Binta"
    assert cases[c["id"]]["first"] == "Coumba" and cases[c["id"]]["short_id"] != b["short_id"]
    assert relay.script(CASES)[a["id"]]["risk"] == "high"
    assert "Kaya" in str(relay.script(f"""
from yiri.cases import identity
from yiri.cases.models import Case
from yiri.formconfig.schema import get_schema
result = identity.read_answers(Case.objects.get(pk={a["id"]!r}), get_schema("case"))
"""))

    # The operator reads it in ``sync status`` and the audit log; the relay's too.
    status = office.manage("sync", "status")
    assert "avis" in status and "restauré depuis une sauvegarde" in status
    audited = office.script(AUDIT)
    assert audited and audited[0]["renumbered"] >= 2 and audited[0]["counter_after"] > \
        audited[0]["counter_before"]
    assert "nœud enfant a été restauré" in relay.manage("sync", "status")

    # Work goes on normally afterwards, on both sides.
    d = office.script(CREATE % {"first": "Djeneba"})
    assert d["short_id"] not in {x["short_id"] for x in cases.values()}
    assert "restauré" not in office.sync()
    _same_everywhere(relay, office)


TRANSFER = """
from yiri.accounts.models import User
from yiri.cases.models import Case
from yiri.network.models import Agency
from yiri.workflow.services import transfer
transfer(User.objects.get(username="worker"), Case.objects.get(pk=%(case)r),
         to_agency=Agency.objects.get(code="BTA"), to_user=User.objects.get(username="bworker"),
         reason="Suivi plus proche")
"""

ACCEPT = """
from yiri.accounts.models import User
from yiri.workflow.models import Referral
from yiri.workflow.services import respond_transfer
respond_transfer(User.objects.get(username="bworker"), Referral.objects.get(case_id=%(case)r),
                 accept=True)
"""


def test_an_office_restored_then_synced_before_new_work_gets_its_changes_back(relay, office,
                                                                               tmp_path):
    a = office.script(CREATE % {"first": "Aïcha"})
    x = office.script(CREATE.replace('"age": 11,', '"age": 9, "consent_for_services": True, '
                                     '"disclosure_other_orgs": True,') % {"first": "Xadi"})
    office.sync()
    backup = tmp_path / "office-backup.sqlite3"
    back_up(office, backup)
    b = office.script(CREATE % {"first": "Bintou"})
    # A case leaves the office's scope after the copy: transferred to BTA, accepted there.
    office.script(TRANSFER % {"case": x["id"]})
    office.sync()
    relay.script(ACCEPT % {"case": x["id"]})
    office.sync()
    assert x["id"] not in office.script(CASES)
    office.sync()  # the relay takes the purge as confirmed: the office holds it no more

    restore_file(office, backup)
    assert x["id"] in office.script(CASES)
    out = office.sync()
    assert "restauré depuis une sauvegarde" in out
    cases = office.script(CASES)
    assert cases[b["id"]] == {"short_id": b["short_id"], "first": "Bintou", "risk": None}
    assert x["id"] not in cases  # purged again: it left the office's scope
    _same_everywhere(relay, office, left=[x["id"]])

    # New work after it takes new numbers: nothing collides, nothing to renumber.
    c = office.script(CREATE % {"first": "Chata"})
    assert c["short_id"] not in (a["short_id"], b["short_id"])
    office.script(EDIT % {"case": b["id"], "answers": {"risk_level": "low"}})
    assert "restauré" not in office.sync()
    state = _same_everywhere(relay, office, left=[x["id"]])
    assert state["cases"][b["id"]]["risk"] == "low" and c["id"] in state["cases"]
    assert relay.script(CASES)[c["id"]]["first"] == "Chata"
