"""Each side of the restore of a node from an old backup, one database at a time.

The parent (``serve_exchange``) finds a child behind what it holds of it, or pushing
new work under numbers it holds for other operations, and applies nothing of the chunk;
the child (``sync.restore.recover``) moves its counters on, renumbers and asks for its
own operations back. The whole story over HTTP between real nodes is in
``test_an_office_restored_from_an_old_backup.py``.
"""

from __future__ import annotations

import pytest
from django.conf import settings

from tests.conftest import make_case
from yiri.audit.models import AuditEvent
from yiri.cases.services import update_record
from yiri.sync import clock, restore
from yiri.sync.apply import apply_operations, from_wire
from yiri.sync.models import ClockState, Operation, Peer, PeerRole, operation_id
from yiri.sync.transport import Refusal, client_request, serve_exchange

CHILD = "bureau-kaya"


@pytest.fixture
def child(cast):
    return Peer.objects.create(node_id=CHILD, role=PeerRole.CHILD,
                               organisations=["ACE"], name="Bureau de Kaya", code="NAT01")


def edit(case, counter: int, value: str, stamp: int | None = None) -> dict:
    return {"o": CHILD, "c": counter, "h": stamp or clock.stamp_of(clock.wall_ms()) + counter,
            "e": "case", "i": str(case.pk), "k": "u", "t": "case",
            "x": {"exploitation_place": [value, None, None]}}


def exchange(peer, ops, *, start, upto, me, cursor=0):
    return serve_exchange(Peer.objects.get(pk=peer.pk), {
        "v": 1, "cursor": cursor, "limit": 50, "me": me,
        "push": {"from": start, "upto": upto, "ops": ops}})


def held(counter: int):
    return Operation.objects.filter(origin_node=CHILD, counter=counter).values_list("hlc", flat=True).first()


def test_a_child_behind_what_its_parent_holds_of_it_is_told_and_nothing_is_applied(child, cast):
    case = make_case(cast.worker)
    first = [edit(case, n, f"lieu {n}") for n in (1, 2, 3)]
    answer = exchange(child, first, start=0, upto=3, me={"counter": 3, "seq": 3})
    assert answer["ack"] == 3 and "restored" not in answer
    # The child's copy from after its first operation: its counter and numbers are 1.
    again = edit(case, 2, "après la restauration", stamp=first[1]["h"] + 1000)
    answer = exchange(child, [again], start=1, upto=2, me={"counter": 2, "seq": 2})
    found = answer["restored"]
    assert found["counter"] == 3 and found["seq"] == 3
    assert found["collisions"] == [str(operation_id(CHILD, 2))]
    assert found["numbers"] == {} and answer["ops"] == []
    assert held(2) == first[1]["h"]  # the parent's operation 2 is kept, the new one not taken
    assert "restauré" in Peer.objects.get(pk=child.pk).notice


def test_new_work_under_a_counter_the_parent_holds_is_a_collision_even_with_a_clock_ahead(child, cast):
    case = make_case(cast.worker)
    first = [edit(case, n, f"lieu {n}") for n in (1, 2)]
    exchange(child, first, start=0, upto=2, me={"counter": 2, "seq": 2})
    # More new work since the restore than was lost: its clock passes the parent's.
    clash = edit(case, 2, "nouveau", stamp=first[1]["h"] + 5)
    answer = exchange(child, [clash, edit(case, 3, "suite")], start=2, upto=4,
                      me={"counter": 9, "seq": 9})
    assert answer["restored"]["collisions"] == [str(operation_id(CHILD, 2))]
    assert held(3) is None and Peer.objects.get(pk=child.pk).received_upto == 2


def test_an_operation_sent_again_unchanged_is_a_duplicate_not_a_collision(child, cast):
    case = make_case(cast.worker)
    ops = [edit(case, n, f"lieu {n}") for n in (1, 2)]
    exchange(child, ops, start=0, upto=2, me={"counter": 2, "seq": 2})
    answer = exchange(child, ops + [edit(case, 3, "suite")], start=0, upto=3,
                      me={"counter": 3, "seq": 3})
    assert "restored" not in answer and answer["ack"] == 3 and held(3)
    # ``apply_operations`` alone keeps dropping a held id (another sender's business).
    other = from_wire(edit(case, 1, "autre", stamp=ops[0]["h"] + 7), received_from=CHILD)
    report = apply_operations([other], received_from=CHILD)
    assert report.duplicates == 1 and report.collisions == []
    report = apply_operations([other], received_from=CHILD, collisions_of=CHILD)
    assert report.collisions == [other.id] and report.applied == 0


def test_the_acknowledgement_covers_what_the_child_sent_not_more(child, cast):
    case = make_case(cast.worker)
    ops = [edit(case, n, f"lieu {n}") for n in (1, 2, 3)]
    exchange(child, ops, start=0, upto=6, me={"counter": 3, "seq": 6})
    # A push that ends before what the parent acknowledged: the child must not jump over
    # what it has between the two.
    answer = exchange(child, ops[:1], start=0, upto=2, me={"counter": 3, "seq": 7})
    assert "restored" not in answer and answer["ack"] == 2
    assert Peer.objects.get(pk=child.pk).received_upto == 6


def test_a_cursor_beyond_the_parents_log_starts_again_from_zero(child, cast):
    make_case(cast.worker)
    end = restore.log_end()
    answer = exchange(child, [], start=0, upto=0, me={"counter": 0, "seq": 0}, cursor=end + 500)
    assert answer["rewound"] is True and answer["ops"] and answer["upto"] <= end
    answer = exchange(child, [], start=0, upto=0, me={"counter": 0, "seq": 0}, cursor=end)
    assert "rewound" not in answer


def test_a_malformed_clock_is_refused(child):
    with pytest.raises(Refusal) as refused:
        exchange(child, [], start=0, upto=0, me={"counter": "beaucoup", "seq": 1})
    assert refused.value.status == 400 and "mal formée" in refused.value.message


# ------------------------------------------------------------------- the child


@pytest.fixture
def parent(cast):
    return Peer.objects.create(node_id="relais-centre", role=PeerRole.PARENT,
                               organisations=["ACE"], name="Relais du Centre",
                               url="http://127.0.0.1:9")


def own_ops():
    return list(Operation.objects.filter(origin_node=settings.YIRI_NODE_ID).order_by("seq"))


def test_the_child_moves_its_counters_on_renumbers_and_asks_for_its_own_operations_back(parent, cast):
    case = make_case(cast.worker)
    update_record(cast.worker, case, {"exploitation_place": "Kaya"})
    mine = own_ops()
    acked = mine[0].seq  # the parent acknowledged the first, not the last
    Peer.objects.filter(pk=parent.pk).update(sent_upto=acked)
    state = ClockState.objects.get(pk=1)
    last = mine[-1]
    message = restore.recover(Peer.objects.get(pk=parent.pk), {
        "counter": state.counter + 40, "seq": state.seq + 100, "end": 777,
        "collisions": [str(last.id)], "numbers": {"case": 12}, "renamed": []})
    assert "restauré depuis une sauvegarde plus ancienne" in message
    assert "compteurs ont été avancés" in message
    now = ClockState.objects.get(pk=1)
    assert now.counter == state.counter + 41
    # The colliding operation: a new number and id, the same stamp and content.
    moved = Operation.objects.get(hlc=last.hlc, origin_node=settings.YIRI_NODE_ID)
    assert moved.counter == state.counter + 41 and moved.id == operation_id(moved.origin_node, moved.counter)
    assert moved.changes == last.changes and moved.author_id == last.author_id
    assert not Operation.objects.filter(pk=last.id).exists()
    # What the parent had not acknowledged goes above its acknowledgement, in order.
    after = own_ops()
    waiting = [o for o in after if o.seq > acked]
    assert waiting and all(o.seq > state.seq + 100 for o in waiting)
    assert [o.hlc for o in waiting] == sorted(o.hlc for o in waiting)
    peer = Peer.objects.get(pk=parent.pk)
    assert peer.sent_upto == state.seq + 100 and peer.recover_own_until == 777
    assert peer.notice == message
    payload, _, _ = client_request(peer)
    assert payload["own"] is True and payload["me"] == {"counter": now.counter, "seq": now.seq}
    assert [o["c"] for o in payload["push"]["ops"]] == [o.counter for o in waiting]
    event = AuditEvent.objects.get(action="sync_restored")
    assert event.details["reoriginated"] == 1 and event.details["renumbered"] == len(waiting)
    # Readable numbers go on past the parent's.
    assert make_case(cast.worker).short_id.endswith("00013")


def test_its_own_operation_coming_back_does_not_hide_one_made_since_under_its_number(parent, cast):
    case = make_case(cast.worker)
    update_record(cast.worker, case, {"exploitation_place": "Kaya"})
    local = own_ops()[-1]
    back = {"o": local.origin_node, "c": local.counter, "h": local.hlc - 10, "e": "case",
            "i": str(case.pk), "k": "u", "t": "case",
            "x": {"exploitation_place": ["Ouahigouya", None, None]}}
    from yiri.sync.transport import take_response

    take_response(Peer.objects.get(pk=parent.pk), {"ack": 0, "ops": [back], "upto": 5})
    theirs = Operation.objects.get(pk=local.id)
    assert theirs.hlc == local.hlc - 10 and theirs.received_from == parent.node_id
    ours = Operation.objects.get(hlc=local.hlc, origin_node=local.origin_node)
    assert ours.counter > local.counter and ours.changes == local.changes
    assert ClockState.objects.get(pk=1).counter >= ours.counter


def test_a_child_follows_its_parent_back_when_the_parents_log_was_rewound(parent, cast):
    from yiri.sync.transport import take_response

    Peer.objects.filter(pk=parent.pk).update(received_upto=900)
    take_response(Peer.objects.get(pk=parent.pk), {"ack": 0, "ops": [], "upto": 40})
    assert Peer.objects.get(pk=parent.pk).received_upto == 900  # an old answer: kept
    take_response(Peer.objects.get(pk=parent.pk), {"ack": 0, "ops": [], "upto": 40,
                                                   "rewound": True})
    assert Peer.objects.get(pk=parent.pk).received_upto == 40
