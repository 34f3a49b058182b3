"""An office syncing with the national node through a line that breaks mid-transfer.

Real server process and ``sync`` client, a loopback proxy between them (``proxy.py``)
that cuts one exchange after some bytes of the request or of the answer, with a TCP reset
or an ordinary close. Whether the client retries at once (``sync run``) or the run fails
and the next one resumes, at most one chunk travels twice in each direction, and both
nodes end with the same state.
"""

from __future__ import annotations

import pytest

from .nodes import SETUP_NETWORK, Node, link
from .proxy import CutProxy

CHUNK = 20

CREATE = """
from yiri.accounts.models import User
from yiri.cases.services import create_record
u = User.objects.get(username="worker")
for i in range(%(n)d):
    create_record(u, "case", {"name_first": "Awa", "name_last": "Ouedraogo", "sex": "female",
                              "age": 12, "registration_date": "2026-01-15",
                              "exploitation_place": "%(node)s %%d" %% i})
"""

SYNC_ONCE = """
from yiri.sync import scope
from yiri.sync.transport import SyncError, sync_with
try:
    state = sync_with(scope.parent_peer(), chunk=%(chunk)d, retries=0)
    result = {"ok": True, "sent": state.sent, "received": state.received}
except SyncError as exc:
    result = {"ok": False, "error": str(exc)}
"""


@pytest.fixture(scope="module")
def line(tmp_path_factory):
    root = tmp_path_factory.mktemp("cut-line")
    national = Node(root, "national", "national", postgres=True)
    office = Node(root, "office", "office")
    proxy = None
    try:
        for node in (national, office):
            node.install()
        national.script(SETUP_NETWORK)
        national.serve()
        proxy = CutProxy(national.port)
        national.url = proxy.url  # the office reaches its parent through the proxy
        link(national, office, "ACE")
        office.sync()
        yield national, office, proxy
    finally:
        if proxy is not None:
            proxy.close()
        for node in (national, office):
            node.stop()


def _sent_twice(exchanges, side: str, key) -> int:
    """Operations carried more than once by the requests (or answers) of ``exchanges``,
    as the sender wrote them (cut or not), opened with the receiver's ``key``."""
    seen: set = set()
    total = 0
    read = 0
    for exchange in exchanges:
        payload = exchange.payload(side, key)
        if payload is None:
            continue
        read += 1
        ops = payload["push"]["ops"] if side == "request" else payload["ops"]
        total += len(ops)
        seen.update((o["o"], o["c"]) for o in ops)
    assert read >= len(exchanges) - 1  # every whole message was read (the cut one may not)
    return total - len(seen)


@pytest.mark.parametrize(("side", "reset", "resume"), [
    ("response", True, True), ("response", False, False),
    ("request", True, False), ("request", False, True)],
    ids=["answer-reset-next-run", "answer-closed-retry", "request-reset-retry",
         "request-closed-next-run"])
def test_a_cut_exchange_costs_at_most_one_chunk(line, side, reset, resume):
    national, office = line[0], line[1]
    proxy: CutProxy = line[2]
    office.script(CREATE % {"n": 2 * CHUNK + 5, "node": "office"})
    national.script(CREATE % {"n": 2 * CHUNK + 5, "node": "national"})
    start = len(proxy.exchanges)
    proxy.cut(start + 1, side, 400, reset=reset)  # the second exchange, mid-chunk
    if resume:
        first = office.script(SYNC_ONCE % {"chunk": CHUNK})
        assert not first["ok"] and "Connexion" in first["error"]
        assert office.script(SYNC_ONCE % {"chunk": CHUNK})["ok"]
    else:
        office.manage("sync", "run", "--chunk", str(CHUNK), "--quiet")
    exchanges = proxy.exchanges[start:]
    assert exchanges[1].cut == side
    assert _sent_twice(exchanges, "request", national.identity()) <= CHUNK
    assert _sent_twice(exchanges, "response", office.identity()) <= CHUNK
    assert national.digest("ACE") == office.digest()
