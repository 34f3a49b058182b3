from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from yiri.cases.models import CaseStatus, WorkflowStage
from yiri.workflow.services import (
    WorkflowError,
    decide_approval,
    reopen_case,
    request_approval,
)

from .conftest import reload


@pytest.fixture
def closed(cast, case):
    approval = request_approval(cast.worker, case, "closure", closure_reason="formal_closing")
    decide_approval(cast.manager, approval, approve=True)
    return reload(case)


def test_a_supervisor_reopens_a_closed_case(cast, closed):
    case = reopen_case(cast.manager, closed, reason="Nouvelle situation de risque")
    assert (case.status, case.workflow_stage) == (CaseStatus.OPEN, WorkflowStage.REOPENED)


def test_a_case_worker_may_not_reopen(cast, closed):
    with pytest.raises(PermissionDenied):
        reopen_case(cast.worker, closed, reason="Nouvelle situation")


def test_only_a_closed_case_can_be_reopened(cast, case):
    with pytest.raises(WorkflowError):
        reopen_case(cast.manager, case, reason="Nouvelle situation")


def test_a_reopened_case_goes_back_to_assessment_when_one_is_requested(cast, closed):
    reopen_case(cast.manager, closed, reason="Nouvelle situation")
    request_approval(cast.worker, closed, "assessment")
    assert reload(closed).workflow_stage == WorkflowStage.ASSESSMENT
