"""Enrolment in three files a person can carry: the child's request, the parent's grant,
the child's join, each checked; every refusal says what to do in French and changes
nothing. Real nodes, real files (``tests/sync/nodes.py``)."""

from __future__ import annotations

import json

import pytest

from .nodes import SETUP_NETWORK, Node, link

PEERS = """
from yiri.sync.models import Peer
from yiri.network.services import node_code
result = {"peers": sorted([p.node_id, p.role, p.code, p.organisations, p.places, p.sign_key,
                           p.revoked] for p in Peer.objects.all()),
          "code": node_code()}
"""


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    root = tmp_path_factory.mktemp("enrolment")
    national, relay = Node(root, "national", "national"), Node(root, "relay", "relay")
    office, other = Node(root, "office", "office"), Node(root, "other", "office")
    all_ = [national, relay, office, other]
    try:
        for node in all_:
            node.install()
        national.script(SETUP_NETWORK)
        national.serve()
        yield national, relay, office, other
    finally:
        for node in all_:
            node.stop()


def request_of(node: Node, name: str = "request.json"):
    path = node.dir / name
    path.unlink(missing_ok=True)
    out = node.manage("node", "enrol-request", "--out", str(path))
    assert node.show()["fingerprint"] in out  # printed to read over the phone
    return path


def test_the_three_steps_record_the_child_and_its_parent(nodes, tmp_path):
    national, relay, *_ = nodes
    request = request_of(relay)
    data = json.loads(request.read_text())
    assert {data["node_id"], data["kind"], data["name"]} == {relay.node_id, "relay"}
    grant = tmp_path / "grant.json"
    heard = relay.show()["fingerprint"]
    out = national.manage("node", "enrol", str(request), "--organisations", "ACE,BTA",
                          "--out", str(grant), "--fingerprint", heard.lower().replace("-", " "),
                          "--url", national.url)
    parent_fp = national.show()["fingerprint"]
    assert parent_fp in out and "code NAT01" in out
    on_parent = national.script(PEERS)["peers"]
    assert on_parent == [[relay.node_id, "child", "NAT01", ["ACE", "BTA"], ["BF-03"],
                          relay.show()["sign_key"], False]]
    body = json.loads(grant.read_text())
    assert body["child"]["code"] == "NAT01" and body["parent"]["url"] == national.url
    assert body["places"] == ["BF-03"]
    out = relay.manage("node", "join", str(grant), "--fingerprint", parent_fp)
    state = relay.script(PEERS)
    assert state["code"] == "NAT01"
    assert state["peers"] == [[national.node_id, "parent", "", ["ACE", "BTA"], ["BF-03"],
                               national.show()["sign_key"], False]]
    # Joining twice, or a second parent: refused, nothing changed.
    assert "déjà rejoint" in relay.refused("node", "join", str(grant), "--fingerprint", parent_fp)
    assert relay.script(PEERS) == state
    relay.sync()  # the keys work over HTTP: the relay receives the network
    assert relay.script("from yiri.network.models import Agency\n"
                        "result = sorted(Agency.objects.values_list('code', flat=True))") == [
        "ACE", "BTA", "TGO"]


def test_a_tampered_request_is_refused(nodes, tmp_path):
    national, _, _, other = nodes
    request = request_of(other)
    data = json.loads(request.read_text())
    data["name"] = "Bureau pirate"
    request.write_text(json.dumps(data))
    before = national.script(PEERS)
    err = national.refused("node", "enrol", str(request), "--organisations", "ACE",
                           "--out", str(tmp_path / "g.json"),
                           "--fingerprint", other.show()["fingerprint"])
    assert "signature ne correspond pas" in err
    assert national.script(PEERS) == before and not (tmp_path / "g.json").exists()


def test_a_request_is_refused_without_the_fingerprint_heard_or_with_another(nodes, tmp_path):
    national, _, _, other = nodes
    request = request_of(other)
    before = national.script(PEERS)
    out = tmp_path / "g.json"
    err = national.refused("node", "enrol", str(request), "--organisations", "ACE", "--out", str(out))
    assert other.show()["fingerprint"] in err and "relancez avec --fingerprint" in err
    err = national.refused("node", "enrol", str(request), "--organisations", "ACE", "--out",
                           str(out), "--fingerprint", national.show()["fingerprint"])
    assert "ne correspond pas à celle de la demande" in err
    assert national.script(PEERS) == before and not out.exists()


def test_unknown_organisations_and_organisations_outside_the_nodes_scope_are_refused(nodes, tmp_path):
    national, relay, office, _ = nodes
    request = request_of(office)
    heard = office.show()["fingerprint"]
    out = tmp_path / "g.json"
    before = national.script(PEERS)
    err = national.refused("node", "enrol", str(request), "--organisations", "ACE,XYZ",
                           "--out", str(out), "--fingerprint", heard)
    assert "Organisation inconnue : XYZ" in err
    assert national.script(PEERS) == before
    # The relay holds ACE and BTA (its grant): TGO is not its to give.
    if not relay.script("from yiri.sync.models import Peer\nresult = Peer.objects.exists()"):
        link(national, relay, "ACE,BTA")
        relay.sync()
    before = relay.script(PEERS)
    err = relay.refused("node", "enrol", str(request), "--organisations", "TGO",
                        "--out", str(out), "--fingerprint", heard)
    assert "hors de la portée de ce nœud : TGO" in err
    assert relay.script(PEERS) == before and not out.exists()


def test_a_grant_for_another_node_a_tampered_grant_and_a_wrong_parent_fingerprint_are_refused(
        nodes, tmp_path):
    national, _, office, other = nodes
    grant = tmp_path / "grant.json"
    national.manage("node", "enrol", str(request_of(office)), "--organisations", "ACE",
                    "--out", str(grant), "--fingerprint", office.show()["fingerprint"],
                    "--url", national.url)
    parent_fp = national.show()["fingerprint"]
    before = other.script(PEERS)
    err = other.refused("node", "join", str(grant), "--fingerprint", parent_fp)
    assert "destiné à un autre nœud" in err
    assert other.script(PEERS) == before

    before = office.script(PEERS)
    err = office.refused("node", "join", str(grant), "--fingerprint", other.show()["fingerprint"])
    assert "ne correspond pas à celle du nœud parent" in err
    err = office.refused("node", "join", str(grant))
    assert parent_fp in err and "relancez avec --fingerprint" in err
    data = json.loads(grant.read_text())
    data["organisations"] = ["ACE", "BTA", "TGO"]
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(data))
    err = office.refused("node", "join", str(tampered), "--fingerprint", parent_fp)
    assert "signature ne correspond pas" in err
    assert office.script(PEERS) == before
    office.manage("node", "join", str(grant), "--fingerprint", parent_fp)
    assert office.script(PEERS)["code"].startswith("NAT")


def test_an_office_enrols_no_child_and_old_commands_are_gone(nodes, tmp_path):
    _, _, office, other = nodes
    err = office.refused("node", "enrol", str(request_of(other)), "--organisations", "ACE",
                         "--out", str(tmp_path / "g.json"), "--fingerprint",
                         other.show()["fingerprint"])
    assert "ne peut pas être enrôlé sous un nœud de type bureau" in err
    assert office.refused("sync", "add-child", "--node-id", "x", "--organisations", "ACE")
