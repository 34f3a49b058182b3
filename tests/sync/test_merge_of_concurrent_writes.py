"""Concurrent writes merge to the same state on every node, whatever order they arrive in.

The writes are applied through the real apply path (``sync.apply``) to one row, once per
delivery order (each order inside a transaction rolled back afterwards), and the results
compared: the value held, the open conflicts, and that different fields both survive.
"""

from __future__ import annotations

import itertools
import json

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_case
from yiri.cases import identity
from yiri.cases.models import Case
from yiri.formconfig.schema import get_schema
from yiri.sync import clock
from yiri.sync.apply import apply_operations, from_wire
from yiri.sync.fieldclock import FieldClock
from yiri.sync.models import Conflict

NODES = ["bureau-a", "bureau-b", "relais", "national"]
FIELDS = {"risk_level": ["high", "medium", "low"], "sex": ["female", "male"],
          "nationality": [["bf"], ["tg"], ["bf", "tg"]]}


class Rollback(Exception):
    pass


def _state(case_id) -> tuple:
    case = Case.objects.get(pk=case_id)
    answers = identity.read_answers(case, get_schema("case"))
    open_ = sorted((c.path, c.loser_stamp) for c in Conflict.objects.filter(
        entity_id=case_id, resolved=False, dormant=False))
    return ({k: answers.get(k) for k in FIELDS}, open_)


def _deliver(case_id, ops) -> tuple:
    try:
        with transaction.atomic():
            apply_operations([from_wire(o, received_from="relais") for o in ops],
                             received_from="relais")
            apply_operations([from_wire(o, received_from="relais") for o in ops[::-1]],
                             received_from="relais")  # a duplicate delivery changes nothing
            result = _state(case_id)
            raise Rollback
    except Rollback:
        pass
    return result


writes = st.lists(st.tuples(st.sampled_from(NODES), st.sampled_from(sorted(FIELDS)),
                            st.integers(0, 2)), min_size=1, max_size=3)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=writes)
def test_any_delivery_order_gives_the_same_values_and_the_same_conflicts(cast, writes):
    case = make_case(cast.worker)
    base = FieldClock(case.field_clock)
    start = clock.stamp_of(clock.wall_ms())
    ops = []
    last_of: dict = {}  # a node's later write of a field replaces its earlier one
    counters: dict = {}
    for i, (node, field, choice) in enumerate(writes):
        values = FIELDS[field]
        counters[node] = counters.get(node, 0) + 1
        replaced = last_of.get((node, field), base.get(field))
        ops.append({"o": node, "c": counters[node], "h": start + 10 + i, "e": "case",
                    "i": str(case.pk), "k": "u", "t": "case",
                    "x": {field: [values[choice % len(values)], None, replaced]}})
        last_of[(node, field)] = start + 10 + i

    def causal(order) -> bool:  # each node's writes arrive in the order it made them
        seen: dict = {}
        for o in order:
            if o["c"] < seen.get(o["o"], 0):
                return False
            seen[o["o"]] = o["c"]
        return True

    results = {json.dumps(_deliver(case.pk, list(order)), sort_keys=True)
               for order in itertools.permutations(ops) if causal(order)}
    assert len(results) == 1, results
    values, open_ = json.loads(results.pop())
    open_ = [tuple(x) for x in open_]
    # The latest write of each field holds; every other write of it is an open conflict
    # unless it wrote the value that holds.
    for field in FIELDS:
        mine = [o for o in ops if field in o["x"]]
        if not mine:
            continue
        last = max(mine, key=lambda o: o["h"])
        assert values[field] == last["x"][field][0]
        overwritten = {o["x"][field][2] for o in mine}  # by a later write of the same node
        losers = {o["h"] for o in mine if o is not last and o["h"] not in overwritten
                  and o["x"][field][0] != last["x"][field][0]}
        assert {stamp for path, stamp in open_ if path == field} == losers


def test_two_fields_changed_on_two_nodes_both_survive(cast):
    case = make_case(cast.worker)
    base = FieldClock(case.field_clock)
    now = clock.stamp_of(clock.wall_ms())
    ops = [{"o": "bureau-a", "c": 1, "h": now + 1, "e": "case", "i": str(case.pk), "k": "u",
            "t": "case", "x": {"risk_level": ["high", None, base.get("risk_level")]}},
           {"o": "bureau-b", "c": 1, "h": now + 2, "e": "case", "i": str(case.pk), "k": "u",
            "t": "case", "x": {"sex": ["male", "female", base.get("sex")]}}]
    values, open_ = _deliver(case.pk, ops)
    assert values["risk_level"] == "high" and values["sex"] == "male" and open_ == []


def test_an_edit_of_a_deleted_case_does_not_bring_it_back(cast):
    from yiri.cases.services import delete_record

    case = make_case(cast.worker)
    base = FieldClock(case.field_clock)
    delete_record(cast.admin, case)
    edit = {"o": "bureau-a", "c": 1, "h": clock.stamp_of(clock.wall_ms()) + 5, "e": "case",
            "i": str(case.pk), "k": "u", "t": "case",
            "x": {"risk_level": ["high", None, base.get("risk_level")]}}
    apply_operations([from_wire(edit, received_from="relais")], received_from="relais")
    case.refresh_from_db()
    assert case.deleted and case.risk_level == "high"
    assert not Case.objects.visible_to(cast.worker).filter(pk=case.pk).exists()
