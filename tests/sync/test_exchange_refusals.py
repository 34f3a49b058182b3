"""The exchange endpoint refuses what it cannot trust or read, with a message a person
can act on, and keeps nothing of a refused chunk."""

from __future__ import annotations

import gzip
import json
import time

import pytest
from django.conf import settings

from tests.conftest import make_case, new_identity
from yiri.sync import clock, identity
from yiri.sync.fieldclock import FieldClock
from yiri.sync.models import Operation, Peer, PeerRole
from yiri.sync.transport import PATH, pack, request_message, response_message

KAYA = new_identity()  # the child's keys


@pytest.fixture
def child(cast, node_keys):
    return Peer.objects.create(node_id="bureau-kaya", role=PeerRole.CHILD, organisations=["ACE"],
                               name="Bureau de Kaya", sign_key=KAYA.sign_key, box_key=KAYA.box_key)


def post(client, body: bytes, *, node="bureau-kaya", key=KAYA, stamp=None, nonce=None,
         seal=True):
    """``body`` (packed) sealed to this node and signed with ``key``, as a child sends it."""
    stamp = str(int(time.time())) if stamp is None else stamp
    nonce = nonce or ("n" + str(time.monotonic_ns())).ljust(20, "0")
    if seal:
        body = identity.seal(identity.load().box_key, body)
    signature = key.sign(request_message(node, settings.YIRI_NODE_ID, stamp, nonce, body))
    r = client.generic("POST", PATH, body, content_type="application/octet-stream",
                       HTTP_X_YIRI_NODE=node, HTTP_X_YIRI_TIME=stamp,
                       HTTP_X_YIRI_NONCE=nonce, HTTP_X_YIRI_SIGNATURE=signature)
    r.nonce = nonce
    return r


def answer(r, key=KAYA) -> dict:
    """The parent's answer, its signature checked, opened with the child's key."""
    message = response_message(r.nonce, settings.YIRI_NODE_ID, "bureau-kaya", r.content)
    assert identity.verify(identity.load().sign_key, message, r["X-Yiri-Signature"])
    return json.loads(gzip.decompress(key.unseal(r.content)))


def payload(ops=(), **extra) -> bytes:
    return pack({"v": 1, "cursor": 0, "limit": 50,
                 "push": {"from": 0, "upto": len(ops), "ops": list(ops)}, **extra})


def test_a_signed_exchange_answers_with_a_signed_chunk_and_acknowledges_the_push(client, child, cast):
    r = post(client, payload())
    assert r.status_code == 200 and r["X-Yiri-Signature"]
    data = answer(r)
    assert data["ack"] == 0 and isinstance(data["ops"], list)
    case = make_case(cast.worker)
    edit = {"o": "bureau-kaya", "c": 1, "h": clock.stamp_of(clock.wall_ms()), "e": "case",
            "i": str(case.pk), "k": "u", "t": "case", "x": {"risk_level": ["high", None, None]}}
    r = post(client, payload([edit]))
    assert answer(r)["ack"] == 1
    assert Peer.objects.get(pk=child.pk).received_upto == 1


def test_an_unknown_node_another_key_and_a_revoked_node_are_refused(client, child):
    assert "Nœud inconnu" in post(client, payload(), node="inconnu").json()["error"]
    r = post(client, payload(), key=new_identity())
    assert r.status_code == 403
    assert r.json()["error"] == "Signature invalide : ce nœud n'est pas celui qui a été enrôlé."
    Peer.objects.filter(pk=child.pk).update(revoked=True)
    r = post(client, payload())
    assert r.status_code == 403 and "révoqué" in r.json()["error"]


def test_a_replayed_or_old_request_is_refused(client, child):
    body = payload()
    assert post(client, body, nonce="a" * 32).status_code == 200
    r = post(client, body, nonce="a" * 32)
    assert r.status_code == 403 and "rejouée" in r.json()["error"]
    r = post(client, body, stamp=str(int(time.time()) - 3600))
    assert r.status_code == 403 and "horloge" in r.json()["error"]


def test_a_body_not_sealed_to_this_node_is_refused(client, child):
    r = post(client, identity.seal(new_identity().box_key, payload()), seal=False)
    assert r.status_code == 400 and "chiffré illisible" in r.json()["error"]
    r = post(client, payload(), seal=False)
    assert r.status_code == 400 and r.json()["error"]


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
