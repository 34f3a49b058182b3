from __future__ import annotations

from yiri.cases import identity
from yiri.cases.models import Case
from yiri.cases.services import update_record
from yiri.sync.fieldclock import FieldClock
from yiri.sync.models import Operation, OpKind

from ..conftest import make_case


def field_entries(case, path):
    return [op for op in Operation.objects.filter(entity_id=case.pk) if path in op.changes]


def test_creating_a_case_writes_one_operation_with_every_answer(cast):
    case = make_case(cast.worker)
    ops = list(Operation.objects.filter(entity_id=case.pk))
    assert [op.kind for op in ops] == [OpKind.CREATE]
    assert ops[0].changes["sex"][:2] == ["female", None]
    assert ops[0].author_id == cast.worker.pk


def test_each_field_change_is_recorded_exactly_once(cast):
    case = make_case(cast.worker)
    update_record(cast.worker, case, {"risk_level": "high"})
    update_record(cast.worker, case, {"risk_level": "high"})  # no change: no entry
    update_record(cast.worker, case, {"risk_level": "low", "sex": "female"})
    entries = field_entries(case, "risk_level")
    assert [e.changes["risk_level"][:2] for e in entries] == [["high", None], ["low", "high"]]
    assert len(field_entries(case, "sex")) == 1  # only at creation


def test_an_entry_names_the_stamp_of_the_value_it_replaced(cast):
    case = make_case(cast.worker)
    first = update_record(cast.worker, case, {"risk_level": "high"})
    stamp = FieldClock(first.field_clock).get("risk_level")
    update_record(cast.worker, case, {"risk_level": "low"})
    last = field_entries(case, "risk_level")[-1]
    assert last.changes["risk_level"][2] == stamp
    assert last.hlc > stamp


def test_counters_of_this_node_increase_without_gaps(cast):
    case = make_case(cast.worker)
    for level in ("high", "medium", "low"):
        update_record(cast.worker, case, {"risk_level": level})
    counters = list(Operation.objects.order_by("counter").values_list("counter", flat=True))
    assert counters == list(range(counters[0], counters[0] + len(counters)))


def test_identifying_answers_stay_out_of_the_plain_change_entries(cast):
    case = make_case(cast.worker)
    update_record(cast.worker, case, {"name_first": "Aïcha"})
    op = Operation.objects.filter(entity_id=case.pk).latest("counter")
    assert "name_first" not in op.changes
    assert "Aïcha" not in str(op.changes)
    assert "Aïcha" not in op.sealed_changes  # encrypted at rest
    assert identity.changes_of(op)["name_first"][0] == "Aïcha"
    assert "Aïcha" not in str(Case.objects.get(pk=case.pk).data)


def test_subform_rows_get_their_own_ids_and_merge_by_id(cast):
    case = make_case(cast.worker)
    case = update_record(cast.worker, case, {"services": [{"service_type": "health"}]})
    row_id = case.data["services"][0]["_id"]
    case = update_record(cast.worker, case, {"services": [{"_id": row_id, "implemented": True}]})
    rows = case.data["services"]
    assert len(rows) == 1 and rows[0]["service_type"] == "health" and rows[0]["implemented"] is True
    op = Operation.objects.filter(entity_id=case.pk).latest("counter")
    assert list(op.changes) == [f"services/{row_id}/implemented"]


def test_bulk_shortcuts_that_would_skip_the_change_log_are_refused(cast):
    import pytest

    from yiri.cases.models import RawWriteRefused

    case = make_case(cast.worker)
    with pytest.raises(RawWriteRefused):
        Case.objects.filter(pk=case.pk).update(risk_level="high")
    with pytest.raises(RawWriteRefused):
        Case.objects.filter(pk=case.pk).delete()
    assert Case.objects.get(pk=case.pk).risk_level == ""


def test_an_assignment_is_a_change_log_entry_of_its_own(cast):
    from yiri.cases.models import RecordShare
    from yiri.cases.services import assign_record

    case = make_case(cast.worker)
    assign_record(cast.manager, case, cast.colleague)
    assign_record(cast.manager, case, cast.colleague)  # already assigned: nothing new
    share = RecordShare.objects.get(record_id=case.pk)
    (op,) = Operation.objects.filter(entity="record_share", entity_id=share.pk)
    assert op.changes["user"][0] == str(cast.colleague.pk) and op.author_id == cast.manager.pk
