"""A chunk that brings new records: they are written once the chunk is applied (with
their search tokens), a later write in the same chunk and a record linked to them see
them, and a record that cannot be stored refuses the chunk naming its operation. On the
wire, first writes travel without their empty old values and stamps and come back whole.
"""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import make_case
from yiri.cases import blind_index, identity
from yiri.cases.columns import search_tokens
from yiri.cases.models import Case, Incident, NameToken
from yiri.formconfig.schema import get_schema
from yiri.sync import clock
from yiri.sync.apply import BadOperation, apply_operations, from_wire, to_wire
from yiri.sync.models import Operation

ORIGIN = "bureau-fada"


def wire(counter: int, stamp: int, entity: str, entity_id, changes: dict, kind="c", **extra):
    return {"o": ORIGIN, "c": counter, "h": stamp, "e": entity, "i": str(entity_id), "k": kind,
            "t": entity, "x": changes, **extra}


def test_records_created_then_changed_and_linked_in_one_chunk(cast):
    now = clock.stamp_of(clock.wall_ms())
    case_id, incident_id, row = uuid.uuid4(), uuid.uuid4(), str(uuid.uuid4())
    ops = [
        wire(1, now + 1, "case", case_id, {
            "@short_id": ["FAD-0001", None, None], "@owner": [str(cast.worker.pk), None, None],
            "@owning_agency": [str(cast.ace.pk), None, None], "@status": ["open", None, None],
            "name_first": ["Awa", None, None], "name_last": ["Ouédraogo", None, None],
            "sex": ["female", None, None], "age": [12, None, None],
            f"services/{row}/_id": [row, None, None],
            f"services/{row}/service_type": ["health", None, None]},
            m={"order": {"services": [row]}}),
        wire(2, now + 2, "case", case_id, {"name_last": ["Kaboré", "Ouédraogo", now + 1],
                                           f"services/{row}/implemented": [True, None, None]},
             kind="u"),
        wire(3, now + 3, "incident", incident_id, {
            "@short_id": ["FAD-I-0001", None, None], "@case": [str(case_id), None, None],
            "@owning_agency": [str(cast.ace.pk), None, None],
            "incident_date": ["2026-11-02", None, None]}),
    ]
    report = apply_operations([from_wire(o, received_from=ORIGIN) for o in ops],
                              received_from=ORIGIN)
    assert report.applied == 3
    case = Case.objects.get(pk=case_id)
    answers = identity.read_answers(case, get_schema("case"))
    assert (answers["name_first"], answers["name_last"], case.short_id) == ("Awa", "Kaboré", "FAD-0001")
    assert answers["services"] == [{"_id": row, "service_type": "health", "implemented": True}]
    assert case.owner_id == cast.worker.pk and case.version == 2
    tokens = set(NameToken.objects.filter(record_id=case_id).values_list("token", flat=True))
    assert tokens == search_tokens(get_schema("case"), answers) and blind_index.word_tokens("kabore") <= tokens
    assert Incident.objects.get(pk=incident_id).case_id == case_id


def test_a_new_record_that_cannot_be_stored_refuses_the_chunk_naming_its_operation(cast):
    taken = make_case(cast.worker).short_id
    now = clock.stamp_of(clock.wall_ms())
    ops = [wire(1, now + 1, "case", uuid.uuid4(), {"@short_id": ["FAD-0002", None, None],
                                                   "sex": ["male", None, None]}),
           wire(2, now + 2, "case", uuid.uuid4(), {"@short_id": [taken, None, None],
                                                   "sex": ["female", None, None]})]
    with pytest.raises(BadOperation, match="n° 2 du nœud bureau-fada"):
        apply_operations([from_wire(o, received_from=ORIGIN) for o in ops], received_from=ORIGIN)


def test_first_writes_travel_without_their_nulls_and_come_back_whole(cast):
    case = make_case(cast.worker, services=[{"service_type": "health"}, {"service_type": "legal"}])
    op = Operation.objects.filter(entity_id=case.pk).get()
    sent = to_wire(op)
    assert "x" not in sent  # a new case: nothing but first writes
    assert sent["n"]["sex"] == "female" and len(sent["w"]["services"]) == 2
    back = from_wire(sent, received_from="relais")
    assert back.changes == op.changes
    # Sealed values travel in the clear inside the sealed transport, sealed again on arrival.
    assert identity.changes_of(back) == identity.changes_of(op)
    update = {"risk_level": ["high", None, None], "sex": ["male", "female", op.hlc]}
    op.changes = update
    assert to_wire(op)["x"] == {"sex": ["male", "female", op.hlc]}
    assert from_wire(to_wire(op), received_from="relais").changes == update
