"""Whoever carries a bundle file can neither read it, change it nor replay it, and a
bundle that is not for this node, or from a node it must not trust, is refused.

Real nodes and files: the office writes bundles for its relay cell, the relay imports
them with ``manage.py bundle import``. Each refusal is a French message saying which,
and changes nothing on the receiving node.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import struct
import zlib

import pytest

from .bundles import CREATE, bundle_network, export, import_, path_for, refused

CANARY = "Ylvaéquine"

STATE = """
from yiri.sync.models import BundleReceipt, Operation, Peer
result = {
    "ops": Operation.objects.count(),
    "last": Operation.objects.order_by("-seq").values_list("seq", flat=True).first(),
    "receipts": sorted([r.peer_id, r.number] for r in BundleReceipt.objects.all()),
    "peers": [[p.node_id, p.sent_upto, p.received_upto, str(p.last_contact), p.last_way,
               p.bundle_number, p.revoked] for p in Peer.objects.order_by("node_id")],
}
"""

OPENED = """
import json
from yiri.sync import bundle, identity
with open(%(path)r, "rb") as fh:
    header = bundle.read_header(fh)
    peer = bundle._sender(header)
    frames = list(bundle._frames(fh, header, identity.load(), peer.sign_key))
result = json.dumps(frames, ensure_ascii=False)
"""

DAMAGED = """
from pathlib import Path
from yiri.sync import bundle
data = Path(%(path)r).read_bytes()
trial = Path(%(path)r + ".trial")
seen = {}
for n, damaged in enumerate(%(variants)s):
    trial.write_bytes(bytes(damaged))
    try:
        bundle.import_bundle(trial)
        seen.setdefault("IMPORTED", []).append(n)
    except bundle.BundleRefused as exc:
        seen.setdefault(str(exc), []).append(n)
result = {message: len(cases) for message, cases in seen.items()}
"""

FLIPS = "(bytearray(data[:i]) + bytes([data[i] ^ mask]) + data[i + 1:] for mask in (0x01, 0xFF) for i in range(len(data)))"
CUTS = "(data[:n] for n in range(1, len(data)))"

STRANGER = """
import hashlib, io
from pathlib import Path
from nacl.public import PrivateKey
from nacl.signing import SigningKey
from django.conf import settings
from yiri.sync import bundle, identity
stranger = identity.Identity(SigningKey.generate(), PrivateKey.generate())
prefix = bundle._prefix("data", "noeud-inconnu-0042", settings.YIRI_NODE_ID, 1)
header = bundle.read_header(io.BytesIO(prefix))
end = bundle._frame(stranger, identity.load().box_key, header, 0, {
    "end": True, "frames": 0, "digest": hashlib.sha256().hexdigest(), "from": 0, "upto": 0,
    "ack": 0, "count": 0})
Path(%(path)r).write_bytes(prefix + end)
"""


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    national, relay, office = bundle_network(tmp_path_factory.mktemp("carrier"))
    office.script(CREATE % {"first": CANARY})
    return national, relay, office


def state(node):
    return node.script(STATE)


def prefix_length(data: bytes) -> int:
    return 8 + 10 + struct.unpack(">I", data[10:14])[0] + 32


def test_the_carrier_cannot_read_a_bundle_a_childs_name_is_in_no_encoding(network):
    national, relay, office = network
    path = export(office, relay)
    data = path.read_bytes()
    plain = CANARY.encode()
    forms = {
        "plain": plain,
        "json": json.dumps(CANARY)[1:-1].encode(),  # Ylva\u00e9quine
        "latin-1": CANARY.encode("latin-1"),
        "utf-16": CANARY.encode("utf-16-le"),
        "gzip": gzip.compress(plain, mtime=0)[10:],
        "deflate": zlib.compress(plain)[2:-4],
    }
    for shift in range(3):  # base64 of the name wherever it falls in a longer text
        encoded = base64.b64encode(b"\0" * shift + plain)[4 if shift else 0:]
        core = encoded[:len(encoded) - 4]
        forms[f"base64+{shift}"] = core
        forms[f"base64url+{shift}"] = core.replace(b"+", b"-").replace(b"/", b"_")
    for name, form in forms.items():
        assert form not in data and form.lower() not in data.lower(), name
    # ... while the bundle does carry it: the relay, which holds the key, reads it.
    assert CANARY in relay.script(OPENED % {"path": str(path)})


def test_a_bundle_with_one_flipped_byte_anywhere_is_refused_and_changes_nothing(network):
    national, relay, office = network
    path = export(office, relay)
    size = path.stat().st_size
    before = state(relay)
    seen = relay.script(DAMAGED % {"path": str(path), "variants": FLIPS})
    assert list(seen) == ["Ce paquet a été modifié ou abîmé en route : il est refusé. Demandez à "
                          "l'expéditeur d'en exporter un nouveau. Rien n'a changé."], seen
    assert sum(seen.values()) == 2 * size
    # The real command, on a byte of the header, of a frame and of the last frame.
    data = path.read_bytes()
    digest = relay.digest("ACE,BTA")
    for at in (12, prefix_length(data) + 40, size - 1):
        damaged = path_for(office)
        damaged.write_bytes(data[:at] + bytes([data[at] ^ 0x10]) + data[at + 1:])
        assert "modifié ou abîmé en route" in refused(relay, damaged)
    assert state(relay) == before and relay.digest("ACE,BTA") == digest
    # The bundle as written imports.
    assert "dont 1 nouvelle(s)" in import_(relay, path)


def test_a_truncated_bundle_is_refused_as_incomplete_and_changes_nothing(network):
    national, relay, office = network
    path = export(office, relay)
    before = state(relay)
    seen = relay.script(DAMAGED % {"path": str(path), "variants": CUTS})
    assert list(seen) == ["Ce paquet est incomplet (fichier tronqué : copie interrompue ?). "
                          "Copiez-le à nouveau depuis l'original ou demandez-en un nouveau. "
                          "Rien n'a changé."], seen
    cut = path_for(office)
    cut.write_bytes(path.read_bytes()[:path.stat().st_size // 2])
    assert "incomplet (fichier tronqué" in refused(relay, cut)
    assert state(relay) == before


def test_the_same_bundle_imported_twice_is_refused_the_second_time_and_changes_nothing(network):
    national, relay, office = network
    # What earlier tests of this module left unsent (on this worker) reaches the relay
    # first, so that the bundle below brings exactly one operation it has not seen.
    import_(relay, export(office, relay))
    office.script(CREATE % {"first": "Aminata"})
    path = export(office, relay)
    assert "dont 1 nouvelle(s)" in import_(relay, path)
    before, digest = state(relay), relay.digest("ACE,BTA")
    message = refused(relay, path)
    assert "a déjà été importé le " in message and "rien n'a changé" in message, message
    assert state(relay) == before and relay.digest("ACE,BTA") == digest


def test_frames_taken_from_another_bundle_are_refused(network):
    national, relay, office = network
    first, second = export(office, relay), export(office, relay)
    a, b = first.read_bytes(), second.read_bytes()
    spliced = path_for(office)
    spliced.write_bytes(b[:prefix_length(b)] + a[prefix_length(a):])
    before = state(relay)
    assert "modifié ou abîmé en route" in refused(relay, spliced)
    assert state(relay) == before


def test_a_bundle_for_another_node_is_refused(network):
    national, relay, office = network
    path = export(relay, office)
    before = state(national)
    message = refused(national, path)
    assert "destiné à un autre nœud" in message and "Rien n'a changé" in message, message
    assert state(national) == before


def test_a_bundle_from_a_revoked_node_is_refused(network):
    national, relay, office = network
    office.script(CREATE % {"first": "Rasmata"})
    path = export(office, relay)
    revoke = "from yiri.sync.models import Peer\nPeer.objects.filter(node_id=%r).update(revoked=%r)"
    relay.script(revoke % (office.node_id, True))
    try:
        before = state(relay)
        message = refused(relay, path)
        assert "qui a été révoqué" in message and "Rien n'a changé" in message, message
        assert state(relay) == before
    finally:
        relay.script(revoke % (office.node_id, False))


def test_a_bundle_from_an_unknown_node_is_refused(network):
    national, relay, office = network
    path = path_for(relay, "inconnu")
    relay.script(STRANGER % {"path": str(path)})
    before = state(relay)
    message = refused(relay, path)
    assert "vient d'un nœud inconnu ici (noeud-inconnu-0042)" in message, message
    assert state(relay) == before


def test_a_bundle_from_a_newer_yiri_is_refused_with_the_advice_to_update(network):
    national, relay, office = network
    data = export(office, relay).read_bytes()
    end = prefix_length(data) - 32
    head = data[:8] + struct.pack(">H", 2) + data[10:end]
    newer = path_for(office)
    newer.write_bytes(head + hashlib.sha256(head).digest() + data[end + 32:])
    before = state(relay)
    assert refused(relay, newer) == (
        "CommandError: Ce paquet vient d'une version plus récente de Yiri : mettez Yiri à jour "
        "avant de l'importer. Rien n'a changé.")
    assert state(relay) == before


def test_a_file_that_is_not_a_bundle_is_refused(network):
    national, relay, office = network
    other = path_for(office)
    other.write_text("Liste des dossiers\n")
    before = state(relay)
    assert "n'est pas un paquet Yiri" in refused(relay, other)
    assert state(relay) == before
