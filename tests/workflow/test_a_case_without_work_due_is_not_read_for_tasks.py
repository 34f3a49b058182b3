"""The to-do list reads only the cases whose ``next_due`` column is set: that column
(kept by the write path) is set exactly when the case's answers give its owner a dated
task, so no task is lost by not reading the others."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from yiri.cases.columns import next_due
from yiri.workflow.services import case_tasks

_day = st.one_of(st.none(), st.just(""), st.just("pas une date"),
                 st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)).map(dt.date.isoformat))
_flag = st.one_of(st.none(), st.just(""), st.booleans(), st.just("2026-01-05"))
_service = st.fixed_dictionaries({"_id": st.uuids().map(str), "appointment_date": _day,
                                  "implemented": _flag},
                                 optional={"_deleted": st.booleans(), "service_type": st.just("health")})
_followup = st.fixed_dictionaries({"_id": st.uuids().map(str), "needed_by": _day, "done_on": _day},
                                  optional={"_deleted": st.booleans()})
_answers = st.fixed_dictionaries({}, optional={
    "case_plan_due_date": _day, "case_plan_date": _day,
    "services": st.lists(_service, max_size=3), "followups": st.lists(_followup, max_size=3)})


@given(_answers)
def test_next_due_is_set_exactly_when_the_owner_has_a_dated_task(answers):
    tasks = case_tasks("id", "C-1", answers, True, dt.date(2026, 12, 1))
    due = next_due(answers)
    assert (due is not None) == bool(tasks)
    if tasks:
        assert due == min(t.due for t in tasks)
