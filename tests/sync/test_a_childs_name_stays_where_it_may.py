"""The canary of issue 8: a distinctive child's name typed on an office never appears — in
plain text, JSON-escaped, base64 or compressed — in the HTTP traffic between the nodes as a
loopback proxy captures it, in a bundle file, or on a node outside the record's scope.

Office ACE → relay (ACE, BTA) → national over HTTP through counting proxies, an office of
TGO under the national node, and a bundle written by the ACE office for the relay. The
nodes that hold the record (the relay, the national node) read the name — the test would
otherwise pass for a record that never travelled.
"""

from __future__ import annotations

import base64
import gzip
import json
import zlib

import pytest

from .nodes import SETUP_NETWORK, Node, link
from .proxy import CutProxy

NAME = "Zéphyrine Kwëtzalcoatlù"

CREATE = f"""
from yiri.accounts.models import User
from yiri.cases.services import create_record
c = create_record(User.objects.get(username="worker"), "case", {{
    "name_first": {NAME.split()[0]!r}, "name_last": {NAME.split()[1]!r}, "sex": "female",
    "age": 11, "registration_date": "2026-11-01"}})
result = str(c.pk)
"""

HOLDS = """
from yiri.cases import identity
from yiri.cases.models import Case
c = Case._base_manager.filter(pk=%r).first()
result = identity.display_name(c) if c is not None else None
"""


def encodings(text: str) -> list[bytes]:
    """The forms a name could take in a file or on a line."""
    forms = set()
    for word in text.split():
        plain = word.encode()
        escaped = json.dumps(word).strip('"').encode()  # \\u00e9 for é
        forms |= {plain, escaped, word.encode("utf-16-le"),
                  base64.b64encode(plain).rstrip(b"="), base64.urlsafe_b64encode(plain).rstrip(b"=")}
    return sorted(forms)


def inflated(data: bytes) -> list[bytes]:
    """``data`` and whatever gzip or zlib streams inside it open to."""
    found = [data]
    for start in range(len(data) - 1):
        if data[start:start + 2] == b"\x1f\x8b":
            try:
                found.append(gzip.decompress(data[start:]))
            except (OSError, EOFError, zlib.error):
                pass
        elif data[start] == 0x78 and data[start + 1] in (0x01, 0x5E, 0x9C, 0xDA):
            try:
                found.append(zlib.decompressobj().decompress(data[start:start + 1_000_000]))
            except zlib.error:
                pass
    return found


def leaks(data: bytes) -> list[bytes]:
    return [form for blob in inflated(data) for form in encodings(NAME) if form in blob]


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    root = tmp_path_factory.mktemp("canary")
    national = Node(root, "national", "national", postgres=True)
    relay = Node(root, "relay", "relay")
    office = Node(root, "office", "office")
    togo = Node(root, "togo", "office")
    nodes = [national, relay, office, togo]
    proxies = []
    try:
        for node in nodes:
            node.install()
        national.script(SETUP_NETWORK)
        for parent in (national, relay):
            parent.serve()
            proxy = CutProxy(parent.port)
            parent.url = proxy.url  # children reach it through the proxy: all is captured
            proxies.append(proxy)
        link(national, relay, "ACE,BTA")
        relay.sync()
        link(relay, office, "ACE")
        link(national, togo, "TGO")
        office.sync()
        togo.sync()
        yield national, relay, office, togo, proxies, root
    finally:
        for proxy in proxies:
            proxy.close()
        for node in nodes:
            node.stop()


def test_the_name_travels_sealed_and_lands_only_where_the_record_may_be(network):
    national, relay, office, togo, proxies, root = network
    start = [len(p.exchanges) for p in proxies]
    case = office.script(CREATE)
    bundle = root / "pour-le-relais.yiri"
    office.manage("bundle", "export", "--to", relay.node_id, "--out", str(bundle), "--quiet")
    office.sync()
    relay.sync()
    togo.sync()
    office.sync()

    # It travelled: the nodes that may hold the record read the name.
    assert relay.script(HOLDS % case) == NAME
    assert national.script(HOLDS % case) == NAME

    # Not on the line, in no encoding.
    captured = [e for proxy, n in zip(proxies, start, strict=True) for e in proxy.exchanges[n:]]
    assert len(captured) >= 4
    for exchange in captured:
        assert not leaks(bytes(exchange.request)), "request"
        assert not leaks(bytes(exchange.response)), "response"

    # Not in the bundle file.
    assert bundle.stat().st_size > 0 and not leaks(bundle.read_bytes())

    # Not on the office of another organisation: neither the record nor the name anywhere
    # in its database files.
    assert togo.script(HOLDS % case) is None
    files = [p for p in togo.dir.iterdir() if p.name.startswith("yiri.sqlite3")]
    assert files
    for path in files:
        assert not leaks(path.read_bytes()), path.name


@pytest.mark.parametrize("wrap", [
    lambda t: t.encode(),
    lambda t: json.dumps({"name": t}).encode(),  # \\u escapes
    lambda t: base64.b64encode(t.split()[1].encode()),
    lambda t: b"prefix" + gzip.compress(json.dumps({"n": t}, ensure_ascii=False).encode()),
    lambda t: zlib.compress(t.encode("utf-16-le")),
], ids=["plain", "json-escaped", "base64", "gzip-inside", "zlib-utf16"])
def test_the_detector_finds_the_name_in_each_encoding(wrap):
    assert leaks(wrap(NAME))
