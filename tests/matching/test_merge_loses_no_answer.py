"""``combine`` (the answers of a merge), for any two sets of answers: every answer of the
merged record ends in the survivor or beside it, the survivor keeps each value it had,
and what the merge changed is exactly what undoing it gives back."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiri.formconfig.schema import get_schema
from yiri.matching.merge import combine

TEXT = st.sampled_from(["", "Awa", "Aoua", "Fati", "Ouédraogo", "Wedraogo"])
PLAIN = {"name_first": TEXT, "name_last": TEXT, "name_nickname": TEXT,
         "sex": st.sampled_from(["", "female", "male"]), "age": st.one_of(st.none(), st.integers(0, 17)),
         "nationality": st.lists(st.sampled_from(["bf", "tg", "ci"]), unique=True, max_size=3)}
ROW = st.builds(lambda kind: {"_id": str(uuid.uuid4()), "service_type": kind},
                st.sampled_from(["health", "education", "legal"]))


def answers():
    return st.fixed_dictionaries({}, optional={**PLAIN, "services": st.lists(ROW, max_size=3)})


@pytest.fixture
def schema(db):
    return get_schema("case")


@given(mine=answers(), theirs=answers())
@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_answer_is_lost_and_the_survivor_keeps_its_own(schema, mine, theirs):
    new, before, alternates, rows = combine(schema, mine, theirs)
    for code, value in theirs.items():
        if value in (None, "", []):
            continue
        if code == "services":
            assert {r["_id"] for r in value} <= {r["_id"] for r in new["services"]}
        elif isinstance(value, list):
            assert set(value) <= set(new[code])
        else:
            assert new.get(code) == value or alternates.get(code) == value
    for code, value in mine.items():
        if value in (None, "", []):
            continue
        if isinstance(value, list) and code != "services":
            assert new[code][:len(value)] == value
        elif code == "services":
            assert new[code][:len(value)] == value
        else:
            assert new[code] == value
    undone = {**new, **{c: v for c, v in before.items()}}
    assert {k: v for k, v in undone.items() if v not in (None, "", [])} == \
        {k: v for k, v in mine.items() if v not in (None, "", [])}
    assert set(rows) <= {"services"}
