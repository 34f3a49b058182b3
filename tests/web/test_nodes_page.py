"""The page "Nœuds" (``manage_nodes``): a relay-cell data manager enrols an office from
its uploaded request — the fingerprint shown, typed as heard, only the cell's
organisations offered — and downloads the grant, which a real node joins; revocation
after a confirmation. Outsiders and case workers are refused."""

from __future__ import annotations

import html
import json
import re

import pytest

from yiri.audit.models import AuditAction, AuditEvent
from yiri.sync.models import NodeRevocation, Peer, PeerRole

from ..sync.nodes import Node
from .helpers import client_for, text_of

URL = "/sync/nodes/"


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """A real office node and its enrolment request."""
    node = Node(tmp_path_factory.mktemp("nodes-page"), "kaya", "office")
    node.install()
    path = node.dir / "request.json"
    node.manage("node", "enrol-request", "--out", str(path))
    node.request = path.read_bytes()
    node.fingerprint = node.show()["fingerprint"]
    yield node
    node.stop()


@pytest.fixture
def relay_node(cast, node_keys, settings):
    """This test node is a relay cell holding ACE and BTA (its parent's grant)."""
    settings.YIRI_NODE_KIND = "relay"
    Peer.objects.create(node_id="noeud-national", role=PeerRole.PARENT, url="http://127.0.0.1:9",
                        organisations=["ACE", "BTA"], sign_key=node_keys.sign_key,
                        box_key=node_keys.box_key)
    return node_keys


def upload(client, office):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(URL + "enrol/", {"request_file": SimpleUploadedFile(
        "demande.json", office.request, content_type="application/json")})


def confirm(client, office, organisations, fingerprint=None):
    return client.post(URL + "enrol/", {
        "request": office.request.decode(), "organisations": organisations,
        "fingerprint": office.fingerprint if fingerprint is None else fingerprint,
        "url": "http://relais.example"})


def test_outsiders_and_case_workers_are_refused(cast, relay_node, office, client):
    assert client.get(URL).status_code == 302  # to the sign-in page
    child = Peer.objects.create(node_id="bureau", role=PeerRole.CHILD, organisations=["ACE"])
    for user in (cast.outsider, cast.worker, cast.manager):
        c = client_for(user)
        assert c.get(URL).status_code == 403
        assert upload(c, office).status_code == 403
        assert confirm(c, office, ["ACE"]).status_code == 403
        assert c.post(f"{URL}bureau/revoke/", {"confirm": "yes"}).status_code == 403
    assert Peer.objects.filter(role=PeerRole.CHILD).count() == 1
    child.refresh_from_db()
    assert not child.revoked


def test_a_relay_manager_sees_the_fingerprint_and_cannot_grant_outside_the_cell(
        cast, relay_node, office):
    c = client_for(cast.relay)
    r = upload(c, office)
    page = text_of(r)
    assert r.status_code == 200 and office.fingerprint in page and "kaya" in page
    assert "Action Enfance (ACE)" in page and "(BTA)" not in page  # the cell holds ACE only
    # The form carries the request as uploaded (its signature still holds once posted back).
    carried = html.unescape(re.search(r'name="request" value="([^"]*)"', r.content.decode())[1])
    assert json.loads(carried) == json.loads(office.request)
    r = confirm(c, office, ["BTA"])
    assert r.status_code == 422
    assert "hors de la portée de votre cellule de relais : BTA" in text_of(r)
    r = confirm(c, office, ["ACE"], fingerprint="AAAA-BBBB-CCCC-DDDD")
    assert r.status_code == 422 and "ne correspond pas à celle de la demande" in text_of(r)
    r = confirm(c, office, ["ACE"], fingerprint="")
    assert r.status_code == 422 and "Saisissez l'empreinte" in text_of(r)
    assert not Peer.objects.filter(role=PeerRole.CHILD).exists()


def test_the_national_coordination_grants_what_the_node_holds_and_no_more(
        cast, relay_node, office):
    c = client_for(cast.coordinator)
    r = confirm(c, office, ["TGO"])
    assert r.status_code == 422 and "hors de la portée de ce nœud : TGO" in text_of(r)
    r = confirm(c, office, ["ACE", "BTA"])
    assert r.status_code == 200
    assert Peer.objects.get(node_id=office.node_id).organisations == ["ACE", "BTA"]


def test_the_grant_downloaded_joins_a_real_node(cast, relay_node, office):
    c = client_for(cast.relay)
    r = confirm(c, office, ["ACE"])
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    child = Peer.objects.get(node_id=office.node_id)
    assert child.role == PeerRole.CHILD and child.code.endswith("01") and child.organisations == ["ACE"]
    assert AuditEvent.objects.filter(action=AuditAction.PERMISSION_CHANGE,
                                     details__node_enrolled=child.code).exists()
    grant = office.dir / "accord.json"
    grant.write_bytes(r.content)
    assert json.loads(r.content)["parent"]["url"] == "http://relais.example"
    out = office.manage("node", "join", str(grant), "--fingerprint", relay_node.fingerprint)
    assert f"Code de ce nœud : {child.code}" in out
    parent = office.script("from yiri.sync.models import Peer\n"
                           "p = Peer.objects.get(role='parent')\n"
                           "result = [p.url, p.sign_key, p.box_key, p.organisations]")
    assert parent == ["http://relais.example", relay_node.sign_key, relay_node.box_key, ["ACE"]]
    page = text_of(c.get(URL))
    assert child.code in page and office.fingerprint in page


def test_a_revocation_asks_for_a_confirmation_and_stays_within_the_managers_cell(cast, relay_node):
    ace = Peer.objects.create(node_id="bureau-ace", name="Bureau ACE", role=PeerRole.CHILD,
                              code="X01", organisations=["ACE"])
    Peer.objects.create(node_id="bureau-bta", name="Bureau BTA", role=PeerRole.CHILD, code="X02",
                        organisations=["BTA"])
    c = client_for(cast.relay)
    r = c.get(f"{URL}bureau-ace/revoke/")
    assert r.status_code == 200 and "Je confirme la révocation" in text_of(r)
    r = c.post(f"{URL}bureau-ace/revoke/", {"reason": "perdu"})
    assert r.status_code == 422
    ace.refresh_from_db()
    assert not ace.revoked and not NodeRevocation.objects.exists()
    r = c.post(f"{URL}bureau-ace/revoke/", {"confirm": "yes", "reason": "perdu"})
    assert r.status_code == 302
    ace.refresh_from_db()
    assert ace.revoked
    assert list(NodeRevocation.objects.values_list("node_id", "code")) == [("bureau-ace", "X01")]
    assert c.post(f"{URL}bureau-bta/revoke/", {"confirm": "yes"}).status_code == 403
    assert not Peer.objects.get(node_id="bureau-bta").revoked
