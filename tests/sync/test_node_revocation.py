"""A parent revokes a child (``manage.py node revoke``): the child's next exchange is
refused with a message in French; the revocation travels up with the next sync, and the
node above refuses a request signed by the revoked node's key too."""

from __future__ import annotations

import pytest

from .nodes import SETUP_NETWORK, Node, link

SYNC_ONCE = """
from yiri.sync import scope
from yiri.sync.transport import SyncError, sync_with
try:
    sync_with(scope.parent_peer(), retries=0)
    result = "ok"
except SyncError as exc:
    result = str(exc)
"""

# The office's process, signing with its own key, calls the national node directly.
CALL = """
from yiri.sync.models import Peer
from yiri.sync.transport import SyncError, _post, pack
national = Peer(node_id=%(id)r, role="parent", url=%(url)r, sign_key=%(sign)r, box_key=%(box)r)
try:
    _post(national, pack({"v": 1, "cursor": 0, "limit": 10, "push": {}}), timeout=30)
    result = "ok"
except SyncError as exc:
    result = str(exc)
"""

REVOKED = """
from yiri.sync.enrol import is_revoked
from yiri.sync.models import NodeRevocation
result = [is_revoked(%(id)r), [[r.node_id, r.code, r.reason] for r in NodeRevocation.objects.all()]]
"""


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    root = tmp_path_factory.mktemp("revocation")
    national, relay = Node(root, "national", "national"), Node(root, "relay", "relay")
    office = Node(root, "office", "office")
    nodes = [national, relay, office]
    try:
        for node in nodes:
            node.install()
        national.script(SETUP_NETWORK)
        national.serve()
        relay.serve()
        link(national, relay, "ACE,BTA")
        relay.sync()
        link(relay, office, "ACE")
        office.sync()
        yield national, relay, office
    finally:
        for node in nodes:
            node.stop()


def test_a_revoked_office_is_refused_by_its_relay_then_by_the_national_node(network):
    national, relay, office = network
    keys = national.show()
    call = CALL % {"id": national.node_id, "url": national.url, "sign": keys["sign_key"],
                   "box": keys["box_key"]}
    # Before: the national node does not know the office (not its child) and says so.
    assert "Nœud inconnu" in office.script(call)
    assert office.script(SYNC_ONCE) == "ok"

    out = relay.manage("node", "revoke", office.code, "--reason", "ordinateur volé")
    assert "Nœud révoqué" in out
    assert office.script(SYNC_ONCE) == "Ce nœud a été révoqué : ses échanges sont refusés."
    assert "déjà révoqué" in relay.refused("node", "revoke", office.code)
    assert "Aucun nœud enfant" in relay.refused("node", "revoke", "inconnu")

    assert national.script(REVOKED % {"id": office.node_id})[0] is False
    relay.sync()  # the revocation travels up like configuration
    revoked, rows = national.script(REVOKED % {"id": office.node_id})
    assert revoked and rows == [[office.node_id, office.code, "ordinateur volé"]]
    assert office.script(call) == "Ce nœud a été révoqué : ses échanges sont refusés."
    # The relay itself still syncs.
    assert relay.script(SYNC_ONCE) == "ok"
