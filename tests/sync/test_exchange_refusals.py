"""The exchange endpoint refuses what it cannot trust or read, with a message a person
can act on, and keeps nothing of a refused chunk."""

from __future__ import annotations

import gzip
import json
import time

import pytest

from tests.conftest import make_case
from yiri.sync import clock
from yiri.sync.fieldclock import FieldClock
from yiri.sync.models import Operation, Peer, PeerRole
from yiri.sync.transport import PATH, _body_hash, _sign, pack

SECRET = "s" * 64


@pytest.fixture
def child(cast):
    return Peer.objects.create(node_id="bureau-kaya", role=PeerRole.CHILD, secret=SECRET,
                               organisations=["ACE"], name="Bureau de Kaya")


def post(client, body: bytes, *, node="bureau-kaya", secret=SECRET, stamp=None, nonce=None):
    stamp = str(int(time.time())) if stamp is None else stamp
    nonce = nonce or ("n" + str(time.monotonic_ns())).ljust(20, "0")
    signature = _sign(secret, "POST", PATH, stamp, nonce, _body_hash(body))
    return client.generic("POST", PATH, body, content_type="application/json",
                          HTTP_X_YIRI_NODE=node, HTTP_X_YIRI_TIME=stamp,
                          HTTP_X_YIRI_NONCE=nonce, HTTP_X_YIRI_SIGNATURE=signature)


def payload(ops=(), **extra) -> bytes:
    return pack({"v": 1, "cursor": 0, "limit": 50,
                 "push": {"from": 0, "upto": len(ops), "ops": list(ops)}, **extra})


def test_a_signed_exchange_answers_with_a_signed_chunk_and_acknowledges_the_push(client, child, cast):
    r = post(client, payload())
    assert r.status_code == 200 and r["X-Yiri-Signature"]
    data = json.loads(gzip.decompress(r.content))
    assert data["ack"] == 0 and isinstance(data["ops"], list)
    case = make_case(cast.worker)
    edit = {"o": "bureau-kaya", "c": 1, "h": clock.stamp_of(clock.wall_ms()), "e": "case",
            "i": str(case.pk), "k": "u", "t": "case", "x": {"risk_level": ["high", None, None]}}
    r = post(client, payload([edit]))
    assert json.loads(gzip.decompress(r.content))["ack"] == 1
    assert Peer.objects.get(pk=child.pk).received_upto == 1


def test_an_unknown_node_a_wrong_secret_and_a_revoked_node_are_refused(client, child):
    assert post(client, payload(), node="inconnu").status_code == 403
    r = post(client, payload(), secret="x" * 64)
    assert r.status_code == 403 and "Signature invalide" in r.json()["error"]
    Peer.objects.filter(pk=child.pk).update(revoked=True)
    assert "révoqué" in post(client, payload()).json()["error"]


def test_a_replayed_or_old_request_is_refused(client, child):
    body = payload()
    assert post(client, body, nonce="a" * 32).status_code == 200
    r = post(client, body, nonce="a" * 32)
    assert r.status_code == 403 and "rejouée" in r.json()["error"]
    r = post(client, body, stamp=str(int(time.time()) - 3600))
    assert r.status_code == 403 and "horloge" in r.json()["error"]


@pytest.mark.parametrize("body", [b"not gzip", gzip.compress(b"{not json", mtime=0),
                                  gzip.compress(json.dumps({"v": 99}).encode(), mtime=0),
                                  gzip.compress(b"[" * 5000 + b"]" * 5000, mtime=0)],
                         ids=["not-gzip", "not-json", "unknown-version", "nested-too-deep"])
def test_an_unreadable_message_is_a_400_in_french(client, child, body):
    r = post(client, body)
    assert r.status_code == 400 and r.json()["error"]


def test_a_chunk_with_one_bad_operation_keeps_nothing(client, child, cast):
    case = make_case(cast.worker)
    now = clock.stamp_of(clock.wall_ms())
    good = {"o": "bureau-kaya", "c": 1, "h": now + 1, "e": "case", "i": str(case.pk), "k": "u",
            "t": "case", "x": {"risk_level": ["high", None, None]}}
    owner = FieldClock(case.field_clock).get("@owner")
    bad = {"o": "bureau-kaya", "c": 2, "h": now + 2, "e": "case", "i": str(case.pk),
           "k": "u", "t": "case", "x": {"@owner": ["pas-un-identifiant", None, owner]}}
    r = post(client, payload([good, bad]))
    assert r.status_code == 400
    assert "n° 2" in r.json()["error"] and "Rien de ce lot" in r.json()["error"]
    assert not Operation.objects.filter(origin_node="bureau-kaya").exists()
    case.refresh_from_db()
    assert case.risk_level == ""
    r = post(client, payload([{"o": "x", "c": 1, "h": 5, "e": "inconnue", "i": str(case.pk),
                               "k": "u"}]))
    assert r.status_code == 400 and "invalide" in r.json()["error"]
