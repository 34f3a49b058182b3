"""A parent's address is called only over HTTP(S): a ``file:`` or ``ftp:`` address (a
grant edited by hand) is refused before anything is read or sent (bandit B310)."""

from __future__ import annotations

import pytest

from yiri.sync.models import Peer, PeerRole
from yiri.sync.transport import SyncError, _post

from ..conftest import new_identity


@pytest.mark.parametrize("url", ["file:///etc", "ftp://relais.example", "relais.example"])
def test_an_address_other_than_http_is_refused_in_french(db, node_keys, url):
    other = new_identity()
    peer = Peer.objects.create(node_id="noeud-relais", role=PeerRole.PARENT, url=url,
                               sign_key=other.sign_key, box_key=other.box_key)
    with pytest.raises(SyncError, match="https://"):
        _post(peer, b"{}", timeout=1)
