"""A mixed path: the office reaches its relay cell by bundle files only, the relay its
national node over HTTP. Changes made on all three nodes end in the same state (equal
``sync digest``), and a case that leaves the office's scope is purged there by bundle as
it would be over HTTP.
"""

from __future__ import annotations

import re

import pytest

from .bundles import ANSWERS, CREATE, EDIT, carry, cursors, export, import_
from .nodes import SETUP_NETWORK, Node, link

PURGED = """
from yiri.cases.models import Case, NameToken
from yiri.sync.models import Operation, PendingPurge
cid = %(case)r
result = [Case.objects.filter(pk=cid).exists(), NameToken.objects.filter(record_id=cid).count(),
          Operation.objects.filter(record_id=cid).count(), PendingPurge.objects.filter(record_id=cid).count()]
"""


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    root = tmp_path_factory.mktemp("mixed")
    national = Node(root, "national", "national", postgres=True)
    relay = Node(root, "relay", "relay")
    office = Node(root, "office", "office")
    nodes = [national, relay, office]
    try:
        for node in nodes:
            node.install()
        national.script(SETUP_NETWORK)
        national.serve()
        link(national, relay, "ACE,BTA")
        relay.sync()
        link(relay, office, "ACE")
        carry(relay, office)
        yield national, relay, office
    finally:
        for node in nodes:
            node.stop()


def test_office_to_relay_by_bundle_and_relay_to_national_by_http_end_in_equal_digests(network):
    national, relay, office = network
    case = office.script(CREATE % {"first": "Awa"})
    carry(office, relay)
    relay.sync()
    national.script(EDIT % {"case": case["id"], "user": "admin", "answers": {"risk_level": "high"}})
    relay.script(EDIT % {"case": case["id"], "user": "admin", "answers": {"nationality": ["bf"]}})
    office.script(EDIT % {"case": case["id"], "user": "worker",
                          "answers": {"services": [{"service_type": "health"}]}})
    carry(office, relay)
    relay.sync()
    carry(relay, office)
    answers = {n.name: n.script(ANSWERS % {"case": case["id"]}) for n in network}
    assert answers["national"] == answers["relay"] == answers["office"]
    assert answers["office"]["risk_level"] == "high" and answers["office"]["nationality"] == ["bf"]
    digests = {n.name: n.digest("ACE") for n in network}
    assert len(set(digests.values())) == 1, digests
    assert relay.digest("ACE,BTA") == national.digest("ACE,BTA")
    # The relay heard of the office by bundle, of the national node over HTTP.
    assert cursors(relay, office)["way"] == "bundle"
    assert cursors(relay, national)["way"] == "http"
    assert cursors(national, relay)["way"] == "http"
    status = relay.manage("sync", "status")
    assert re.search(r"Nœud enfant office: dernier contact il y a \d+ min \(paquet\)", status), status
    assert "(HTTP)" in status


def test_a_case_transferred_out_of_the_offices_scope_is_purged_there_by_bundle(network):
    national, relay, office = network
    case = office.script(CREATE.replace('"age": 12,', '"age": 9, "consent_for_services": True, '
                                        '"disclosure_other_orgs": True,') % {"first": "Nafi"})
    office.script(f"""
from yiri.accounts.models import User
from yiri.cases.models import Case
from yiri.network.models import Agency
from yiri.workflow.services import transfer
transfer(User.objects.get(username="worker"), Case.objects.get(pk={case["id"]!r}),
         to_agency=Agency.objects.get(code="BTA"), to_user=User.objects.get(username="bworker"),
         reason="Suivi plus proche")
""")
    carry(office, relay)
    relay.script(f"""
from yiri.accounts.models import User
from yiri.workflow.models import Referral
from yiri.workflow.services import respond_transfer
respond_transfer(User.objects.get(username="bworker"), Referral.objects.get(case_id={case["id"]!r}),
                 accept=True)
""")
    assert "1 dossier(s) sorti(s) de la portée de ce nœud retiré(s)" in carry(relay, office)
    assert office.script(PURGED % {"case": case["id"]}) == [False, 0, 0, 0]
    relay.sync()
    assert national.script(ANSWERS % {"case": case["id"]})["name_first"] == "Nafi"
    digests = {n.name: n.digest("ACE") for n in network}
    assert len(set(digests.values())) == 1, digests
    assert relay.digest("ACE,BTA") == national.digest("ACE,BTA")


def test_a_bundle_that_arrives_after_http_brought_the_same_is_not_applied_again(network):
    national, relay, office = network
    case = office.script(CREATE % {"first": "Bintou"})
    carry(office, relay)
    relay.sync()
    national.script(EDIT % {"case": case["id"], "user": "admin", "answers": {"risk_level": "low"}})
    late = export(national, relay)  # the driver is late...
    relay.sync()  # ... and the line came back first
    before = cursors(relay, national), relay.digest("ACE,BTA")
    out = import_(relay, late)
    assert "avait déjà reçu tout ce qu'il contient" in out, out
    after = cursors(relay, national)
    assert (after["ops"], after["received_upto"], relay.digest("ACE,BTA")) == (
        before[0]["ops"], before[0]["received_upto"], before[1])
    assert relay.script(ANSWERS % {"case": case["id"]})["risk_level"] == "low"
