"""A parent remembers the cursor its child sent in each exchange (what the child holds of
the parent's log), so the status page can count what still waits for that child."""

from __future__ import annotations

from yiri.sync import scope
from yiri.sync.models import Operation, Peer, PeerRole
from yiri.sync.transport import serve_exchange

from ..conftest import make_case


def test_the_childs_cursor_is_kept_and_what_waits_after_it_is_counted(cast):
    child = Peer.objects.create(node_id="noeud-bureau", name="Bureau ACE", role=PeerRole.CHILD,
                                organisations=["ACE"])
    make_case(cast.worker)
    last = Operation.objects.order_by("-seq").first().seq
    assert scope.pending_count(child, child.sent_upto) == Operation.objects.count()
    serve_exchange(child, {"cursor": last - 2, "limit": 10, "push": {}})
    child.refresh_from_db()
    assert child.sent_upto == last - 2
    assert child.last_contact is not None
    assert scope.pending_count(child, child.sent_upto) == 2
