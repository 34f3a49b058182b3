from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from yiri.cases.services import update_record
from yiri.workflow.services import (
    approvals_waiting_for,
    refer,
    request_approval,
    respond_referral,
    tasks_for,
)

from ..conftest import make_case
from .conftest import add_service

TODAY = dt.date(2026, 3, 10)


def by_kind(tasks, kind):
    return [t for t in tasks if t.kind == kind]


def test_overdue_follow_ups_are_listed_and_flagged(cast, case):
    update_record(cast.worker, case, {"followups": [
        {"followup_type": "in_care", "needed_by": "2026-03-01"},
        {"followup_type": "in_care", "needed_by": "2026-03-20"},
        {"followup_type": "in_care", "needed_by": "2026-02-01", "done_on": "2026-02-01"},
    ]})
    followups = by_kind(tasks_for(cast.worker, TODAY), "followup")
    assert [(t.due, t.overdue) for t in followups] == [
        (dt.date(2026, 3, 1), True), (dt.date(2026, 3, 20), False)]
    assert followups[0].short_id == case.short_id and followups[0].case_id == case.pk


def test_services_with_an_appointment_not_implemented_are_listed(cast, case):
    case, late = add_service(cast.worker, case, appointment_date="2026-03-05")
    case, _ = add_service(cast.worker, case, appointment_date="2026-03-02", implemented=True)
    case, _ = add_service(cast.worker, case)  # no appointment
    (task,) = by_kind(tasks_for(cast.worker, TODAY), "service")
    assert (task.ref_id, task.overdue) == (late, True)


def test_a_case_plan_due_on_an_own_case_without_plan_is_listed(cast, case):
    update_record(cast.worker, case, {"case_plan_due_date": "2026-03-15"})
    (task,) = by_kind(tasks_for(cast.worker, TODAY), "case_plan_due")
    assert task.due == dt.date(2026, 3, 15) and not task.overdue
    update_record(cast.worker, case, {"case_plan_date": "2026-03-09"})
    assert by_kind(tasks_for(cast.worker, TODAY), "case_plan_due") == []


def test_tasks_are_sorted_soonest_first(cast, case):
    update_record(cast.worker, case, {"followups": [{"followup_type": "in_care", "needed_by": "2026-03-20"}]})
    add_service(cast.worker, case, appointment_date="2026-03-01")
    assert [t.kind for t in tasks_for(cast.worker, TODAY)] == ["service", "followup"]


def test_the_supervisor_sees_the_assessments_to_decide(cast, case):
    approval = request_approval(cast.worker, case, "assessment")
    (task,) = tasks_for(cast.manager, TODAY)
    assert (task.kind, task.ref_id) == ("approval_assessment", approval.pk)
    assert list(approvals_waiting_for(cast.manager)) == [approval]
    assert list(approvals_waiting_for(cast.worker)) == []


def test_other_peoples_cases_give_no_tasks(cast, case):
    update_record(cast.worker, case, {"followups": [{"followup_type": "in_care", "needed_by": "2026-03-01"}]})
    assert tasks_for(cast.colleague, TODAY) == []
    assert tasks_for(cast.outsider, TODAY) == []
    # the supervisor sees the team's cases but owns none of them
    assert tasks_for(cast.manager, TODAY) == []


def test_a_referred_case_gives_its_services_to_the_named_recipient(cast, case):
    case, _ = add_service(cast.worker, case, appointment_date="2026-03-05")
    referral = refer(cast.worker, case, to_agency=cast.bta, to_user=cast.provider)
    respond_referral(cast.provider, referral, accept=True)
    assert [t.kind for t in tasks_for(cast.provider, TODAY)] == ["service"]


def test_closed_cases_give_no_tasks(cast, case):
    from yiri.workflow.services import decide_approval

    update_record(cast.worker, case, {"followups": [{"followup_type": "in_care", "needed_by": "2026-03-01"}]})
    approval = request_approval(cast.worker, case, "closure", closure_reason="formal_closing")
    decide_approval(cast.manager, approval, approve=True)
    assert tasks_for(cast.worker, TODAY) == []


def test_the_number_of_queries_does_not_grow_with_the_number_of_cases(cast):
    for _ in range(3):
        make_case(cast.worker, followups=[{"followup_type": "in_care", "needed_by": "2026-03-01"}])
    with CaptureQueriesContext(connection) as few:
        assert len(tasks_for(cast.worker, TODAY)) == 3
    for _ in range(5):
        make_case(cast.worker, followups=[{"followup_type": "in_care", "needed_by": "2026-03-01"}])
    with CaptureQueriesContext(connection) as more:
        assert len(tasks_for(cast.worker, TODAY)) == 8
    assert len(more) == len(few)


def test_at_most_500_cases_are_inspected_the_soonest_work_first(cast, monkeypatch):
    from yiri.workflow import services

    monkeypatch.setattr(services, "TASK_CASE_LIMIT", 2)
    for _ in range(3):
        make_case(cast.worker, followups=[{"followup_type": "in_care", "needed_by": "2026-03-01"}])
    assert len(tasks_for(cast.worker, TODAY)) == 2
