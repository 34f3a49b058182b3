"""A relay passes on to its parent what an office pushes, without waiting for its own
scheduled sync (``sync.runs.forward``): the office's work reaches the national node while
the office is still sending, and what arrives during a forwarding run is not left behind.
"""

from __future__ import annotations

import time

import pytest

from .nodes import SETUP_NETWORK, Node, link

CREATE = """
from yiri.accounts.models import User
from yiri.cases.services import bulk_create_records
w = User.objects.get(username="worker")
made = bulk_create_records(w, "case", [
    {"name_first": "Enfant%%d" %% i, "name_last": "Relais", "sex": "female", "age": 9,
     "registration_date": "2026-11-01"} for i in range(%(count)d)])
result = len(made)
"""

COUNT = """
from yiri.cases.models import Case
from yiri.sync.models import SyncRun
result = {"cases": Case.objects.filter(deleted=False).count(),
          "runs": [[r.started_by_id, bool(r.finished_at), r.error] for r in SyncRun.objects.all()]}
"""


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    root = tmp_path_factory.mktemp("forward")
    national = Node(root, "national", "national", postgres=True)
    relay = Node(root, "relay", "relay")
    office = Node(root, "office", "office")
    relay.env["YIRI_SYNC_FORWARD"] = "1"
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


def wait_for_cases(node: Node, count: int, seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        state = node.script(COUNT)
        if state["cases"] >= count and all(done for _, done, _ in state["runs"]):
            return state
        if time.monotonic() > deadline:
            return state
        time.sleep(0.5)


def test_what_an_office_pushes_reaches_the_national_node_without_the_relay_syncing(network):
    national, relay, office = network
    assert national.script(COUNT)["cases"] == 0
    assert office.script(CREATE % {"count": 3}) == 3
    office.sync()
    state = wait_for_cases(national, 3)
    assert state["cases"] == 3
    runs = relay.script(COUNT)["runs"]
    # Started by nobody (the relay itself), finished, without error.
    assert runs and all(by is None and done and not error for by, done, error in runs)


def test_what_arrives_during_a_forwarding_run_is_forwarded_too(network):
    """Several chunks pushed one after the other: each push finds the run going (or
    finished) and the national node ends with every case, the relay with nothing left."""
    national, relay, office = network
    before = national.script(COUNT)["cases"]
    assert office.script(CREATE % {"count": 120}) == 120
    office.manage("sync", "run", "--quiet", "--chunk", "20")
    state = wait_for_cases(national, before + 120)
    assert state["cases"] == before + 120
    left = relay.script("""
from yiri.sync import scope
p = scope.parent_peer()
result = scope.pending_count(p, p.sent_upto)
""")
    assert left == 0


def test_a_node_told_not_to_forward_waits_for_its_own_sync(network):
    national, relay, office = network
    relay.stop()
    relay.env["YIRI_SYNC_FORWARD"] = "0"
    relay.serve()
    before = national.script(COUNT)["cases"]
    office.script(CREATE % {"count": 2})
    office.sync()
    time.sleep(2)
    assert national.script(COUNT)["cases"] == before
    relay.sync()
    assert national.script(COUNT)["cases"] == before + 2


@pytest.fixture
def parent_peer(db, monkeypatch):
    from yiri.sync import runs
    from yiri.sync.models import Peer, PeerRole

    monkeypatch.setattr(runs, "BACKGROUND", False)  # the run happens in the call
    return Peer.objects.create(node_id="parent-node", role=PeerRole.PARENT,
                               url="http://127.0.0.1:9")


def test_a_push_during_a_forwarding_run_makes_it_go_round_again(parent_peer, monkeypatch):
    from yiri.sync import runs
    from yiri.sync.models import SyncRun
    from yiri.sync.transport import Progress

    rounds = []

    def exchanges(peer, *, progress, **kw):
        rounds.append(peer.node_id)
        if len(rounds) == 1:
            runs.forward()  # a child pushes while the run works: asked to go round again
            assert SyncRun.objects.get().again
        return Progress()

    monkeypatch.setattr(runs, "sync_with", exchanges)
    runs.forward()
    assert rounds == ["parent-node", "parent-node"]
    run = SyncRun.objects.get()
    assert run.finished_at is not None and not run.again and not run.error
    assert run.started_by_id is None  # started by the node itself


def test_a_forwarding_run_that_failed_is_not_tried_again_at_every_push(parent_peer, monkeypatch):
    from yiri.sync import runs
    from yiri.sync.models import SyncRun
    from yiri.sync.transport import SyncError

    calls = []

    def unreachable(peer, **kw):
        calls.append(1)
        raise SyncError("Connexion au nœud parent impossible (URLError) : nouvel essai plus tard.")

    monkeypatch.setattr(runs, "sync_with", unreachable)
    runs.forward()
    runs.forward()
    assert len(calls) == 1
    assert "Connexion au nœud parent impossible" in SyncRun.objects.get().error
