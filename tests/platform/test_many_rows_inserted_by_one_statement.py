"""``lib.bulk.insert_many`` stores what Django's ``bulk_create`` stores, refuses a synced
table outside the write path, and the key caches a bulk write holds (``keys.new_records``,
``blind_index.steady_ring``) serve the same keys as the ordinary calls."""

from __future__ import annotations

import itertools
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiri.cases import blind_index, keys
from yiri.cases.models import Case
from yiri.lib.bulk import insert_many
from yiri.sync.models import Operation, RawWriteRefused, record_writes

pytestmark = pytest.mark.django_db

_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)
_json = st.recursive(st.none() | st.booleans() | st.integers(-2**31, 2**31) | _text,
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
                     max_leaves=8)
_operation = st.fixed_dictionaries({
    "kind": st.sampled_from(["create", "update", "delete"]),
    "entity": st.sampled_from(["case", "note", "user"]),
    "changes": st.dictionaries(_text, _json, max_size=4),
    "meta": st.dictionaries(_text, _json, max_size=2),
    "sealed_changes": _text,
    "record_type": st.sampled_from(["", "case"]),
    "author": st.booleans(),
})
_STARTS = itertools.count(10**6, 100)  # examples share the test's database


def _operations(specs: list[dict], node: str, start: int, seq_from: int = 0) -> list[Operation]:
    out = []
    for n, spec in enumerate(specs, start=start):
        out.append(Operation(
            id=uuid.uuid4(), origin_node=node, counter=n, hlc=n * 7, seq=seq_from + n,
            entity=spec["entity"], entity_id=uuid.UUID(int=n), kind=spec["kind"],
            author_id=uuid.UUID(int=n + 1) if spec["author"] else None,
            changes=spec["changes"], sealed_changes=spec["sealed_changes"],
            record_type=spec["record_type"], record_id=uuid.UUID(int=n) if spec["record_type"] else None,
            meta=spec["meta"]))
    return out


def _stored(node: str) -> list[tuple]:
    columns = [f.attname for f in Operation._meta.concrete_fields
               if f.attname not in ("id", "origin_node", "received_at", "seq")]
    return list(Operation.objects.filter(origin_node=node).order_by("counter").values_list(*columns))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_operation, min_size=1, max_size=6))
def test_rows_read_back_as_bulk_create_stores_them(specs):
    start = next(_STARTS)
    Operation.objects.bulk_create(_operations(specs, "by-bulk-create", start))
    # The same counters, entity ids and clocks; another sequence (a unique column).
    inserted = _operations(specs, "by-insert-many", start, seq_from=10**8)
    insert_many(Operation, inserted)
    assert _stored("by-insert-many") == _stored("by-bulk-create")
    assert all(not o._state.adding for o in inserted)
    received = Operation.objects.filter(origin_node="by-insert-many").values_list("received_at", flat=True)
    assert all(r is not None for r in received)  # auto_now_add, as save() sets it


def test_a_synced_table_is_refused_outside_the_write_path(cast):
    case = Case(id=uuid.uuid4(), short_id="X-1", owner=cast.worker)
    with pytest.raises(RawWriteRefused):
        insert_many(Case, [case])
    assert not Case.objects.filter(pk=case.pk).exists()


def test_rows_without_their_primary_key_are_refused():
    op = _operations([{"kind": "create", "entity": "case", "changes": {}, "meta": {},
                       "sealed_changes": "", "record_type": "", "author": False}], "n", 1)[0]
    op.id = None
    with record_writes(), pytest.raises(ValueError, match="primary key"):
        insert_many(Operation, [op])


def test_a_new_record_is_sealed_with_the_key_the_key_store_holds_for_it():
    ids = [uuid.uuid4() for _ in range(3)]
    with keys.new_records(ids):
        inside = [keys.key_for(i) for i in ids]
        inside_by_text = [keys.key_for(str(i)) for i in ids]
    keys._CACHES.clear()  # read back from the key store
    assert inside == inside_by_text == [keys.key_for(i) for i in ids]
    assert not getattr(keys._PINNED, "keys", None)  # nothing held after the block


def test_the_held_index_ring_is_the_key_file_s_and_is_let_go_after():
    before = blind_index.ring()
    with blind_index.steady_ring() as held:
        assert held.current.id == before.current.id
        assert blind_index.ring() is held
        new = blind_index.begin_rotation()
        assert blind_index.ring() is held  # the batch keeps the ring it started with
    assert blind_index.ring().current.id == new.id
    blind_index.end_rotation(new)
