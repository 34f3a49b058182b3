"""The home page asks for the 20 soonest tasks only: ``tasks_for(limit=k)`` reads the
cases by ``next_due`` and stops early, and must give exactly the first ``k`` tasks of
the whole list (ties, case plans of shared cases and approvals included)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yiri.workflow import services
from yiri.workflow.services import request_approval, tasks_for

from ..conftest import make_case

TODAY = dt.date(2026, 3, 10)


def _day(rng: random.Random) -> str:
    # Few distinct days, so that many tasks fall on the same day (ties by case number).
    return (TODAY + dt.timedelta(days=rng.randrange(-6, 6))).isoformat()


def _answers(rng: random.Random) -> dict:
    answers: dict = {}
    if rng.random() < 0.5:
        answers["case_plan_due_date"] = _day(rng)
        if rng.random() < 0.3:
            answers["case_plan_date"] = _day(rng)
    answers["services"] = [{"service_type": "health", "appointment_date": _day(rng),
                            **({"implemented": True} if rng.random() < 0.3 else {})}
                           for _ in range(rng.randrange(3))]
    answers["followups"] = [{"followup_type": "in_care", "needed_by": _day(rng),
                             **({"done_on": _day(rng)} if rng.random() < 0.3 else {})}
                            for _ in range(rng.randrange(3))]
    return answers


def _key(task):
    return (task.kind, task.case_id, task.due, task.ref_id)


@pytest.mark.parametrize("seed", range(4))
def test_the_first_tasks_are_those_of_the_whole_list(cast, monkeypatch, seed):
    rng = random.Random(seed)
    for _ in range(14):
        make_case(cast.worker, **_answers(rng))
    make_case(cast.colleague, **_answers(rng))  # not the worker's: never listed
    case = make_case(cast.worker, consent_for_services=True)
    request_approval(cast.worker, case, "closure", closure_reason="formal_closing")
    everything = tasks_for(cast.worker, TODAY)
    assert len(everything) > 12
    monkeypatch.setattr(services, "TASK_CASE_LIMIT", 500)
    for limit in (1, 3, 5, 8, len(everything), len(everything) + 5):
        assert [_key(t) for t in tasks_for(cast.worker, TODAY, limit=limit)] == \
            [_key(t) for t in everything[:limit]], limit
    # The supervisor sees the team's approval (undated, last) among the team's tasks.
    manager_all = tasks_for(cast.manager, TODAY)
    assert [_key(t) for t in tasks_for(cast.manager, TODAY, limit=2)] == \
        [_key(t) for t in manager_all[:2]]


def test_a_short_list_reads_fewer_cases_than_the_whole_list(cast):
    for day in range(30):
        make_case(cast.worker, followups=[{"followup_type": "in_care",
                                           "needed_by": (TODAY + dt.timedelta(days=day)).isoformat()}])
    with CaptureQueriesContext(connection) as short:
        soonest = tasks_for(cast.worker, TODAY, limit=3)
    assert [t.due for t in soonest] == [TODAY, TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=2)]
    # The answers of one batch of 20 cases were read (the 10 others were not).
    read = [q["sql"] for q in short.captured_queries if "case_plan_due_date" in q["sql"]]
    assert len(read) == 1 and "LIMIT 20" in read[0], read
