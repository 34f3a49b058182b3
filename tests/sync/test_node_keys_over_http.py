"""Exchanges between nodes are signed with the nodes' keys and sealed to the receiver, over
plain HTTP in this test (HTTPS in production): a request signed by another key or replayed
is refused, an answer changed on the way is refused by the child, and traffic captured on
the line shows no name typed on the office."""

from __future__ import annotations

import gzip
import json
import socket

import pytest

from .nodes import SETUP_NETWORK, Node, link
from .proxy import CutProxy

NAME, PLACE = "Kwetzalcoatl", "Zorgholand"

CREATE = f"""
from yiri.accounts.models import User
from yiri.cases.services import create_record
c = create_record(User.objects.get(username="worker"), "case", {{
    "name_first": "Awa", "name_last": "{NAME}", "sex": "female", "age": 12,
    "registration_date": "2026-11-01", "exploitation_place": "{PLACE}"}})
result = str(c.pk)
"""

SYNC_ONCE = """
from yiri.sync import scope
from yiri.sync.transport import SyncError, sync_with
try:
    sync_with(scope.parent_peer(), retries=0)
    result = "ok"
except SyncError as exc:
    result = str(exc)
"""

FROM_NATIONAL = """
from yiri.sync.models import Operation
result = Operation.objects.filter(origin_node=%r).count()
"""


@pytest.fixture(scope="module")
def line(tmp_path_factory):
    root = tmp_path_factory.mktemp("keys-over-http")
    national, office = Node(root, "national", "national"), Node(root, "office", "office")
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


def _bodies(exchange) -> list[bytes]:
    return [b for b in (exchange._body(exchange.request), exchange._body(exchange.response)) if b]


def test_traffic_captured_on_plain_http_shows_no_name_typed_on_the_office(line):
    national, office, proxy = line
    start = len(proxy.exchanges)
    case = office.script(CREATE)
    office.sync()
    captured = proxy.exchanges[start:]
    assert captured
    for exchange in captured:
        raw = bytes(exchange.request) + bytes(exchange.response)
        assert NAME.encode() not in raw and PLACE.encode() not in raw
        for body in _bodies(exchange):
            try:
                plain = gzip.decompress(body)
            except OSError:
                continue  # sealed: not gzip on the wire
            raise AssertionError(f"a body travelled readable as gzip: {plain[:80]!r}")
    # The national node, holding its key, reads what the office sent: the place is there.
    opened = [e.payload("request", national.identity()) for e in captured]
    assert any(PLACE in json.dumps(p, ensure_ascii=False) for p in opened if p)
    assert national.script(f"from yiri.cases.models import Case\n"
                           f"result = Case.objects.filter(pk={case!r}).exists()")


def test_a_request_signed_by_another_key_is_refused(line, tmp_path):
    national, office, _ = line
    # Another installation claiming to be the office: its id and its parent, not its keys.
    impostor = Node(tmp_path, "impostor", "office")
    impostor.node_id = impostor.env["YIRI_NODE_ID"] = office.node_id
    impostor.install()
    keys = national.show()
    impostor.script(f"""
from yiri.sync.models import Peer
Peer.objects.create(node_id={national.node_id!r}, role="parent", url={national.url!r},
                    sign_key={keys["sign_key"]!r}, box_key={keys["box_key"]!r}, organisations=["ACE"])
""")
    assert impostor.script(SYNC_ONCE) == ("Signature invalide : ce nœud n'est pas celui qui a "
                                          "été enrôlé.")


def test_a_captured_request_sent_again_is_refused(line):
    national, office, proxy = line
    start = len(proxy.exchanges)
    office.sync()
    request = bytes(proxy.exchanges[start].request)
    with socket.create_connection(("127.0.0.1", national.port)) as s:
        s.sendall(request)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 403")
    assert json.loads(body)["error"] == "Requête rejouée : refusée."


def test_an_answer_changed_on_the_way_is_refused_by_the_child_and_changes_nothing(line):
    national, office, proxy = line
    national.script(CREATE)  # something for the office to receive
    before = office.script(FROM_NATIONAL % national.node_id)
    proxy.flip(len(proxy.exchanges))
    error = office.script(SYNC_ONCE)
    assert error.startswith("Réponse non authentifiée")
    assert office.script(FROM_NATIONAL % national.node_id) == before
    assert office.script(SYNC_ONCE) == "ok"
    assert office.script(FROM_NATIONAL % national.node_id) > before
    assert national.digest("ACE") == office.digest()
