"""Bundles on the synchronisation status page: the relay cell's data manager downloads a
bundle for a node, uploads one (the page says what it did or why it was refused, then
offers the acknowledgement), and sees how each node was last heard of. Only for the roles
with ``view_sync``."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from nacl.public import PrivateKey
from nacl.signing import SigningKey

from yiri.audit.models import AuditAction, AuditEvent
from yiri.sync import bundle, identity
from yiri.sync.models import Peer, PeerRole

from .helpers import client_for, text_of

URL = "/sync/status/"


@pytest.fixture
def keys(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    identity.load.cache_clear()
    yield identity.create()
    identity.load.cache_clear()


@pytest.fixture
def office(cast, keys):
    """A child node (its keys held by the test) under this node."""
    theirs = identity.Identity(SigningKey.generate(), PrivateKey.generate())
    peer = Peer.objects.create(node_id="noeud-bureau", name="Bureau ACE", role=PeerRole.CHILD,
                               organisations=["ACE"], code="RLY01",
                               sign_key=theirs.sign_key, box_key=theirs.box_key)
    return peer, theirs


def from_office(peer: Peer, theirs: identity.Identity, number: int = 1) -> bytes:
    """A bundle the office wrote for this node (nothing new in it, its acknowledgement)."""
    prefix = bundle._prefix(bundle.DATA, peer.node_id, django_settings.YIRI_NODE_ID, number)
    header = bundle.read_header(io.BytesIO(prefix))
    end = bundle._frame(theirs, identity.load().box_key, header, 0, {
        "end": True, "frames": 0, "digest": hashlib.sha256().hexdigest(), "from": 0, "upto": 0,
        "ack": 0, "count": 0})
    return prefix + end


def opened(content: bytes, theirs: identity.Identity) -> tuple[bundle.Header, list[dict]]:
    """A downloaded bundle as the office reads it."""
    fh = io.BytesIO(content)
    header = bundle.read_header(fh)
    return header, list(bundle._frames(fh, header, theirs, identity.load().sign_key))


def upload(client, content: bytes):
    return client.post(URL + "bundle/import/",
                       {"bundle": SimpleUploadedFile("paquet.yiri", content)})


def test_outsiders_and_case_workers_can_neither_download_nor_upload_a_bundle(cast, office):
    peer, theirs = office
    for user in (cast.outsider, cast.worker, cast.manager, cast.provider, cast.partner):
        c = client_for(user)
        assert c.post(URL + f"bundle/{peer.node_id}/export/").status_code == 403, user
        assert c.post(URL + f"bundle/{peer.node_id}/ack/").status_code == 403, user
        assert upload(c, from_office(peer, theirs)).status_code == 403, user
    peer.refresh_from_db()
    assert peer.bundle_number == 0 and peer.last_contact is None
    assert client_for(cast.relay).get(URL + f"bundle/{peer.node_id}/export/").status_code == 405


def test_the_relay_data_manager_downloads_a_bundle_that_only_the_node_can_read(cast, office):
    peer, theirs = office
    c = client_for(cast.relay)
    page = text_of(c.get(URL))
    assert "Télécharger un paquet" in page and "Importer le paquet" in page
    answer = c.post(URL + f"bundle/{peer.node_id}/export/")
    assert answer.status_code == 200
    assert answer["Content-Disposition"].startswith('attachment; filename="yiri-paquet-')
    content = b"".join(answer.streaming_content)
    header, frames = opened(content, theirs)
    assert (header.kind, header.receiver, header.number) == ("data", peer.node_id, 1)
    assert frames[-1]["end"] and frames[-1]["count"] == sum(len(f.get("ops", [])) for f in frames)
    with pytest.raises(bundle.BundleRefused):  # another key cannot open it
        opened(content, identity.Identity(SigningKey.generate(), PrivateKey.generate()))
    assert not list((django_settings.DATA_DIR / "bundles").iterdir())  # nothing left behind
    assert AuditEvent.objects.filter(action=AuditAction.SYNC_RUN, user=cast.relay).exists()


def test_the_relay_data_manager_uploads_a_bundle_and_downloads_its_acknowledgement(cast, office):
    peer, theirs = office
    c = client_for(cast.relay)
    answer = upload(c, from_office(peer, theirs))
    assert answer.status_code == 200
    text = text_of(answer)
    assert "Paquet n° 1 de Bureau ACE importé" in text
    assert "Télécharger l'accusé de réception" in text
    assert "(par paquet)" in text  # last heard of by bundle
    ack = c.post(URL + f"bundle/{peer.node_id}/ack/", {"of": "1"})
    header, frames = opened(b"".join(ack.streaming_content), theirs)
    assert header.kind == "ack" and frames[-1]["of"] == 1
    # The same file again: refused, told, nothing changed.
    before = Peer.objects.values().get(pk=peer.pk)
    again = upload(c, from_office(peer, theirs))
    assert again.status_code == 422
    assert "a déjà été importé le" in text_of(again)
    assert Peer.objects.values().get(pk=peer.pk) == before


def test_a_refused_bundle_is_told_on_the_page_and_changes_nothing(cast, office):
    peer, theirs = office
    content = bytearray(from_office(peer, theirs))
    content[-5] ^= 1
    answer = upload(client_for(cast.coordinator), bytes(content))
    assert answer.status_code == 422
    assert "Ce paquet a été modifié ou abîmé en route" in text_of(answer)
    peer.refresh_from_db()
    assert peer.last_contact is None and peer.received_upto == 0
    answer = upload(client_for(cast.admin), b"rien")
    assert "n'est pas un paquet Yiri" in text_of(answer)


def test_the_page_says_how_each_node_was_last_heard_of(cast, office):
    peer, _ = office
    Peer.objects.create(node_id="noeud-national", name="National", role=PeerRole.PARENT,
                        url="http://127.0.0.1:9", last_contact=timezone.now(),
                        last_way="http")
    Peer.objects.filter(pk=peer.pk).update(last_contact=timezone.now(), last_way="bundle")
    text = text_of(client_for(cast.relay).get(URL))
    assert "(par HTTP)" in text and "(par paquet)" in text


def test_a_bundle_for_a_node_whose_keys_are_unknown_is_refused_with_a_message(cast, keys):
    peer = Peer.objects.create(node_id="noeud-sans-cles", name="Bureau BTA", role=PeerRole.CHILD,
                               organisations=["BTA"])
    answer = client_for(cast.relay).post(URL + f"bundle/{peer.node_id}/export/")
    assert answer.status_code == 422
    assert "Les clés du nœud Bureau BTA ne sont pas connues ici" in text_of(answer)
    peer.refresh_from_db()
    assert peer.bundle_number == 0
