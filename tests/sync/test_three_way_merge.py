"""The one merge: random edits by two or three people from the same read state lose no
change and refuse every clash on one field (sync.merge.three_way, and update_record
which applies it to stored records)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiri.cases.identity import read_answers
from yiri.cases.services import EditConflict, stamps_of, update_record
from yiri.formconfig.schema import get_schema
from yiri.sync.merge import three_way

from ..conftest import make_case

PATHS = ["a", "b", "c", "d", "rows/1/x"]
values = st.one_of(st.none(), st.sampled_from(["x", "y", "z"]), st.integers(0, 3))


@st.composite
def edits(draw):
    base = {p: draw(values) for p in PATHS}
    stamps = {p: f"s0-{p}" for p in PATHS}
    theirs_changes = draw(st.dictionaries(st.sampled_from(PATHS), values))
    mine = {p: draw(values) for p in draw(st.sets(st.sampled_from(PATHS)))}
    return base, stamps, theirs_changes, mine


@given(edits())
def test_nothing_is_lost_and_every_same_field_clash_is_refused(case):
    base, stamps, theirs_changes, mine = case
    theirs = {**base, **theirs_changes}
    their_stamps = {p: (f"s1-{p}" if p in theirs_changes else s) for p, s in stamps.items()}
    result = three_way(mine, base, stamps, theirs, their_stamps)
    clashing = {c.path for c in result.conflicts}
    for path, wanted in mine.items():
        changed_by_me = wanted != base[path] and not (wanted in (None, "") and base[path] in (None, ""))
        changed_by_them = path in theirs_changes and theirs[path] != base[path]
        if changed_by_me and changed_by_them and theirs[path] != wanted:
            assert path in clashing  # a clash is never decided silently
            assert path not in result.apply
        elif changed_by_me:
            assert path not in clashing
            if theirs[path] != wanted:
                assert result.apply[path] == wanted  # my change survives
        else:
            assert path not in result.apply  # a field I left alone is not written
            assert path not in clashing
    # Their changes on fields I did not change survive: nothing writes over them.
    for path in theirs_changes:
        if path not in mine or mine[path] == base[path]:
            assert path not in result.apply


def test_a_path_whose_stamp_moved_needs_its_base_value():
    with pytest.raises(KeyError):
        three_way({"a": 1}, {}, {"a": "s0"}, {"a": 2}, {"a": "s1"})


# ----------------------------------------------------------------- against stored records

FIELDS = {  # field -> two values different from the registration's
    "risk_level": ["low", "high"], "protection_status": ["separated", "unaccompanied"],
    "urgent_protection_concern": [True, False], "displacement_status": ["idp", "resident"],
}


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_two_or_three_people_editing_one_section_keep_every_change(cast, data):
    case = make_case(cast.worker)
    schema = get_schema("case")
    read_at = stamps_of(case, schema)
    people = [cast.worker, cast.manager, cast.admin][: data.draw(st.integers(2, 3))]
    plans = [data.draw(st.dictionaries(st.sampled_from(sorted(FIELDS)),
                                       st.integers(0, 1)), label=f"edits of {i}")
             for i, _ in enumerate(people)]
    written: dict[str, object] = {}
    for person, plan in zip(people, plans, strict=True):
        answers = {f: FIELDS[f][i] for f, i in plan.items()}
        clashes = {f for f, v in answers.items() if f in written and written[f] != v}
        try:
            update_record(person, case, answers, section="protection_concerns",
                          base_stamps=read_at)
        except EditConflict as exc:
            assert {c.path for c in exc.conflicts} == clashes
            continue
        assert not clashes
        written.update(answers)
    stored = read_answers(type(case).objects.get(pk=case.pk), schema)
    for f, v in written.items():
        assert stored.get(f) == v
