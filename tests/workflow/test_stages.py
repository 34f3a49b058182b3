from __future__ import annotations

from types import SimpleNamespace

import pytest

from yiri.cases.models import WorkflowStage as S
from yiri.cases.services import update_record
from yiri.workflow.services import compute_stage, refresh_stage

from .conftest import add_service, reload


def stage(status="open", current=S.NEW, **answers):
    return compute_stage(SimpleNamespace(status=status, workflow_stage=current), answers)


def svc(implemented=False, response_type="care_plan", **extra):
    return {"_id": "x", "service_type": "health", "response_type": response_type,
            "implemented": implemented, **extra}


def test_a_new_case_is_new():
    assert stage() == S.NEW


def test_an_assessment_request_moves_it_to_assessment():
    assert stage(assessment_requested_on="2026-01-20") == S.ASSESSMENT
    assert stage(current=S.ASSESSMENT) == S.ASSESSMENT


def test_a_case_plan_date_moves_it_to_case_plan():
    assert stage(current=S.ASSESSMENT, case_plan_date="2026-02-01") == S.CASE_PLAN


@pytest.mark.parametrize("response", ["care_plan", "action_plan", "service_provision"])
def test_the_latest_unimplemented_service_gives_its_response_type(response):
    services = [svc(response_type="care_plan"), svc(implemented=True), svc(response_type=response)]
    assert stage(case_plan_date="2026-02-01", services=services) == response


def test_all_services_implemented():
    assert stage(case_plan_date="2026-02-01", services=[svc(True), svc(True)]) == S.SERVICES_IMPLEMENTED


def test_deleted_service_rows_do_not_count():
    services = [svc(True), svc(False, _deleted=True)]
    assert stage(case_plan_date="2026-02-01", services=services) == S.SERVICES_IMPLEMENTED


def test_a_closed_case_is_closed_whatever_its_answers():
    assert stage(status="closed", services=[svc()]) == S.CLOSED


def test_a_reopened_case_stays_reopened_until_new_work():
    done = {"case_plan_date": "2026-02-01", "services": [svc(True)]}
    assert stage(current=S.REOPENED, **done) == S.REOPENED
    assert stage(current=S.REOPENED, **{**done, "services": [svc(True), svc(response_type="action_plan")]}) == S.ACTION_PLAN


def test_refresh_stage_writes_the_stage_after_a_section_is_saved(cast, case):
    case = update_record(cast.worker, case, {"case_plan_date": "2026-02-01"})
    assert refresh_stage(cast.worker, case).workflow_stage == S.CASE_PLAN
    case, row = add_service(cast.worker, case, response_type="action_plan")
    assert refresh_stage(cast.worker, case).workflow_stage == S.ACTION_PLAN
    update_record(cast.worker, case, {"services": [{"_id": row, "implemented": True}]})
    assert refresh_stage(cast.worker, case).workflow_stage == S.SERVICES_IMPLEMENTED
    assert reload(case).workflow_stage == S.SERVICES_IMPLEMENTED


def test_refresh_stage_writes_nothing_when_the_stage_is_unchanged(cast, case):
    from yiri.sync.models import Operation

    before = Operation.objects.filter(entity_id=case.pk).count()
    refresh_stage(cast.worker, case)
    assert Operation.objects.filter(entity_id=case.pk).count() == before
