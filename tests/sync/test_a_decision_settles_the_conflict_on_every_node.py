"""A decision taken on one node settles the same conflict on the others: the operation it
writes travels like any other, and applying it (``apply_operations`` → ``settle_conflicts``)
marks that node's copy of the conflict resolved."""

from __future__ import annotations

from yiri.cases.models import Case
from yiri.sync.apply import apply_operations, from_wire, to_wire
from yiri.sync.conflicts import resolve
from yiri.sync.models import Conflict, Operation, raw_writes

from ..conftest import make_case
from .clashes import clash


def _elsewhere(settings, conflict, op):
    """This database as another node that found the same conflict and has not seen the
    decision: the conflict open again, the decision's operation not held yet."""
    wire = to_wire(op)
    with raw_writes():
        Operation.objects.filter(pk=op.pk).delete()
        Conflict.objects.filter(pk=conflict.pk).update(
            resolved=False, resolved_at=None, resolved_by_id=None, resolved_stamp=None)
    settings.YIRI_NODE_ID = "noeud-national"
    return from_wire(wire, received_from="noeud-relais")


def test_keeping_the_value_settles_the_conflict_where_the_decision_arrives(cast, settings):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "risk_level", "high", "low")
    op = resolve(cast.manager, conflict, keep="winner")
    arriving = _elsewhere(settings, conflict, op)
    assert not Conflict.objects.get(pk=conflict.pk).resolved
    report = apply_operations([arriving], received_from="noeud-relais")
    assert report.applied == 1
    settled = Conflict.objects.get(pk=conflict.pk)
    assert settled.resolved and settled.resolved_by_id == cast.manager.pk
    assert settled.resolved_stamp == op.hlc
    assert Case.objects.get(pk=case.pk).risk_level == "low"


def test_keeping_the_other_value_settles_it_and_every_node_holds_that_value(cast, settings):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "risk_level", "high", "low")
    op = resolve(cast.manager, conflict, keep="loser")
    arriving = _elsewhere(settings, conflict, op)
    apply_operations([arriving], received_from="noeud-relais")
    assert Conflict.objects.get(pk=conflict.pk).resolved
    assert Case.objects.get(pk=case.pk).risk_level == "high"


def test_a_decision_arriving_twice_changes_nothing_more(cast, settings):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "risk_level", "high", "low")
    op = resolve(cast.manager, conflict, keep="winner")
    arriving = _elsewhere(settings, conflict, op)
    apply_operations([arriving], received_from="noeud-relais")
    again = apply_operations([from_wire(to_wire(arriving), received_from="noeud-relais")],
                             received_from="noeud-relais")
    assert again.duplicates == 1 and again.applied == 0
    assert Conflict.objects.filter(entity_id=case.pk, resolved=False).count() == 0
