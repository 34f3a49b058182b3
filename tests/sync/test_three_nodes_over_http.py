"""Office → relay cell → national over real HTTP, each node its own server process and
database (the relay and national on PostgreSQL in the PostgreSQL run).

Edits on all three nodes, one field changed on two nodes at once: after syncing, the
three nodes hold the same state (equal ``sync digest``), the clash is a conflict on each
node with the same winner everywhere, and the national node knows where each change came
from and who made it.
"""

from __future__ import annotations

import pytest

from .nodes import SETUP_NETWORK, Node, link

CREATE = """
from yiri.accounts.models import User
from yiri.cases.services import create_record
w = User.objects.get(username="worker")
c = create_record(w, "case", {"name_first": "Awa", "name_last": "Ouédraogo", "sex": "female",
                              "age": 12, "registration_date": "2026-11-01"})
result = {"id": str(c.pk), "short_id": c.short_id}
"""

EDIT = """
from yiri.accounts.models import User
from yiri.cases.models import Case
from yiri.cases.services import update_record
u = User.objects.get(username=%(user)r)
c = Case.objects.get(pk=%(case)r)
c = update_record(u, c, %(answers)r)
from yiri.sync.models import Operation
op = Operation.objects.filter(entity_id=c.pk).order_by("-seq").first()
result = {"stamp": op.hlc, "origin": op.origin_node}
"""

STATE = """
from yiri.cases import identity
from yiri.cases.models import Case
from yiri.formconfig.schema import get_schema
from yiri.sync.models import Conflict, Operation
c = Case.objects.get(pk=%(case)r)
answers = identity.read_answers(c, get_schema("case"))
result = {
    "answers": answers, "short_id": c.short_id, "owner": str(c.owner_id),
    "conflicts": [[x.path, x.values, x.winner_stamp, x.loser_stamp, x.resolved]
                  for x in Conflict.objects.filter(entity_id=c.pk)],
    "ops": [[o.origin_node, str(o.author_id), sorted(o.changes)] for o in
            Operation.objects.filter(entity_id=c.pk).order_by("hlc")],
}
"""


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    root = tmp_path_factory.mktemp("nodes")
    national = Node(root, "national", "national", postgres=True)
    relay = Node(root, "relay", "relay", postgres=True)
    office = Node(root, "office", "office")
    nodes = [national, relay, office]
    try:
        for node in nodes:
            node.install()
        national.script(SETUP_NETWORK)
        national.serve()
        relay.serve()
        link(national, relay, "ACE,BTA")
        relay.sync()  # the relay receives the network's configuration and users
        link(relay, office, "ACE")
        office.sync()
        yield national, relay, office
    finally:
        for node in nodes:
            node.stop()


def test_three_nodes_converge_and_show_the_same_clash_as_a_conflict(network):
    national, relay, office = network
    users = national.script("""
from yiri.accounts.models import User
result = {u.username: str(u.pk) for u in User.objects.all()}
""")
    case = office.script(CREATE)
    # Readable ids carry the code the parent assigned: unique in the network.
    assert relay.code.startswith("NAT") and office.code.startswith(relay.code)
    assert case["short_id"].startswith(office.code + "-")
    office.sync()
    relay.sync()
    assert national.script(STATE % {"case": case["id"]})["short_id"] == case["short_id"]

    # Concurrent edits: the same field on the office and the national node, another
    # field on the relay, a subform row on the office.
    national.script(EDIT % {"user": "admin", "case": case["id"],
                            "answers": {"risk_level": "high"}})
    relay.script(EDIT % {"user": "admin", "case": case["id"], "answers": {"nationality": ["bf"]}})
    office.script(EDIT % {"user": "worker", "case": case["id"],
                          "answers": {"risk_level": "low",
                                      "services": [{"service_type": "health"}]}})
    for _ in range(2):
        relay.sync()
        office.sync()

    states = {n.name: n.script(STATE % {"case": case["id"]}) for n in network}
    answers = {name: s["answers"] for name, s in states.items()}
    assert answers["national"] == answers["relay"] == answers["office"]
    final = answers["national"]
    assert final["nationality"] == ["bf"]
    assert [r["service_type"] for r in final["services"]] == ["health"]
    # One winner everywhere (the later stamp), the loser kept as a conflict on each node.
    conflicts = {name: s["conflicts"] for name, s in states.items()}
    assert all(len(c) == 1 for c in conflicts.values()), conflicts
    (path, values, winner, loser, resolved), = conflicts["national"]
    assert path == "risk_level" and not resolved
    assert {values["winner"], values["loser"]} == {"high", "low"}
    assert final["risk_level"] == values["winner"]
    assert all(c[0][2:4] == [winner, loser] for c in conflicts.values())

    # Every node's digest of the office's scope is the same; relay and national agree on
    # the relay's scope too.
    digests = {n.name: n.digest("ACE") for n in network}
    assert len(set(digests.values())) == 1, digests
    assert relay.digest("ACE,BTA") == national.digest("ACE,BTA")

    # The national node knows where each change came from and who made it.
    ops = states["national"]["ops"]
    by_origin = {(o[0], o[1]) for o in ops}
    assert (office.node_id, users["worker"]) in by_origin
    assert (relay.node_id, users["admin"]) in by_origin
    assert (national.node_id, users["admin"]) in by_origin


def test_a_sync_with_nothing_to_do_is_one_small_exchange(network):
    national, relay, office = network
    out = office.manage("sync", "run")
    assert "0 envoyée(s), 0 reçue(s), 1 échange(s)" in out
    size = int(out.rsplit(",", 1)[1].split()[0])
    assert size < 1024


def test_a_case_transferred_out_of_the_offices_scope_is_purged_there(network):
    national, relay, office = network
    case = office.script(CREATE.replace('"age": 12,', '"age": 9, "consent_for_services": True, '
                                        '"disclosure_other_orgs": True,'))
    office.script(f"""
from yiri.accounts.models import User
from yiri.cases.models import Case
from yiri.network.models import Agency
from yiri.workflow.services import transfer
transfer(User.objects.get(username="worker"), Case.objects.get(pk={case["id"]!r}),
         to_agency=Agency.objects.get(code="BTA"), to_user=User.objects.get(username="bworker"),
         reason="Suivi plus proche")
""")
    office.sync()
    # BTA's case worker accepts on the relay cell's node.
    relay.script(f"""
from yiri.accounts.models import User
from yiri.workflow.models import Referral
from yiri.workflow.services import respond_transfer
referral = Referral.objects.get(case_id={case["id"]!r})
respond_transfer(User.objects.get(username="bworker"), referral, accept=True)
""")
    relay.sync()
    office.sync()
    left = office.script(f"""
from yiri.audit.models import AuditEvent
from yiri.cases.models import Case, NameToken, RecordShare
from yiri.sync.models import Operation, PendingPurge
from yiri.workflow.models import Referral
cid = {case["id"]!r}
result = {{
    "case": Case.objects.filter(pk=cid).exists(),
    "tokens": NameToken.objects.filter(record_id=cid).count(),
    "rows": RecordShare.objects.filter(record_id=cid).count() + Referral.objects.filter(case_id=cid).count(),
    "ops": Operation.objects.filter(record_id=cid).count(),
    "waiting": PendingPurge.objects.filter(record_id=cid).count(),
    "audited": AuditEvent.objects.filter(action="purge", record_id=cid).count(),
}}
""")
    assert left == {"case": False, "tokens": 0, "rows": 0, "ops": 0, "waiting": 0, "audited": 1}
    moved = national.script(STATE % {"case": case["id"]})
    assert moved["owner"] != ""  # the national node holds it, owned in BTA now
    digests = {n.name: n.digest("ACE") for n in network}
    assert len(set(digests.values())) == 1, {
        n.name: n.manage("sync", "digest", "--organisations", "ACE", "--parts") for n in network}
    parts = [set(n.manage("sync", "digest", "--organisations", "ACE,BTA", "--parts").splitlines())
             for n in (relay, national)]
    assert parts[0] == parts[1], (parts[0] - parts[1], parts[1] - parts[0])
