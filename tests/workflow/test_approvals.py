from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from yiri.cases.models import CaseStatus, WorkflowStage
from yiri.cases.services import update_record
from yiri.workflow.models import ApprovalStatus
from yiri.workflow.services import WorkflowError, decide_approval, request_approval

from .conftest import reload


def test_requesting_the_assessment_approval_moves_a_new_case_to_assessment(cast, case):
    approval = request_approval(cast.worker, case, "assessment")
    assert approval.status == ApprovalStatus.PENDING
    assert approval.requested_by == cast.worker
    assert reload(case).workflow_stage == WorkflowStage.ASSESSMENT


def test_the_approver_is_the_supervisor_of_the_workers_team(cast, case):
    assert request_approval(cast.worker, case, "assessment").approver == cast.manager


def test_without_a_supervisor_in_the_team_the_approver_is_one_of_the_agency(cast):
    from ..conftest import make_case

    case = make_case(cast.colleague)  # team B has no manager
    approval = request_approval(cast.colleague, case, "assessment")
    assert approval.approver.can("approve_assessment")
    assert approval.approver.agency == cast.ace


def test_the_supervisor_approves_the_assessment(cast, case):
    approval = request_approval(cast.worker, case, "assessment")
    approval = decide_approval(cast.manager, approval, approve=True)
    assert approval.status == ApprovalStatus.APPROVED
    assert approval.decided_by == cast.manager and approval.decided_at is not None


def test_a_rejection_needs_a_comment(cast, case):
    approval = request_approval(cast.worker, case, "assessment")
    with pytest.raises(WorkflowError) as exc:
        decide_approval(cast.manager, approval, approve=False, comment="  ")
    assert "motif" in exc.value.messages[0]
    approval = decide_approval(cast.manager, approval, approve=False, comment="Évaluation incomplète")
    assert approval.status == ApprovalStatus.REJECTED
    assert approval.decision_comment == "Évaluation incomplète"


def test_a_request_can_be_decided_only_once(cast, case):
    approval = request_approval(cast.worker, case, "assessment")
    decide_approval(cast.manager, approval, approve=True)
    with pytest.raises(WorkflowError):
        decide_approval(cast.manager, approval, approve=False, comment="non")


def test_a_second_request_of_the_same_kind_waits_for_the_first(cast, case):
    request_approval(cast.worker, case, "assessment")
    with pytest.raises(WorkflowError):
        request_approval(cast.worker, case, "assessment")


def test_a_case_worker_cannot_approve(cast, case):
    approval = request_approval(cast.worker, case, "assessment")
    with pytest.raises(PermissionDenied):
        decide_approval(cast.worker, approval, approve=True)


def test_a_supervisor_of_another_team_cannot_see_the_request(cast, case):
    from yiri.accounts.models import Role, User

    other = User.objects.create_user("manager_b", role=Role.objects.get(code="manager"),
                                     agency=cast.ace)
    other.user_groups.add(cast.team_b)
    approval = request_approval(cast.worker, case, "assessment")
    with pytest.raises(Http404):
        decide_approval(other, approval, approve=True)


def test_a_service_provider_cannot_request_an_approval(cast, case):
    with pytest.raises((PermissionDenied, Http404)):
        request_approval(cast.provider, case, "assessment")


def test_a_case_plan_request_needs_the_case_plan_date(cast, case):
    with pytest.raises(WorkflowError) as exc:
        request_approval(cast.worker, case, "case_plan")
    assert "date du plan" in exc.value.messages[0]
    update_record(cast.worker, case, {"case_plan_date": "2026-02-01"})
    assert request_approval(cast.worker, case, "case_plan").kind == "case_plan"


def test_approving_the_case_plan_moves_an_earlier_stage_to_case_plan(cast, case):
    update_record(cast.worker, case, {"case_plan_date": "2026-02-01"})
    approval = request_approval(cast.worker, case, "case_plan")
    assert reload(case).workflow_stage == WorkflowStage.NEW
    decide_approval(cast.manager, approval, approve=True)
    assert reload(case).workflow_stage == WorkflowStage.CASE_PLAN


def test_a_closure_request_needs_a_reason_from_the_list(cast, case):
    with pytest.raises(WorkflowError):
        request_approval(cast.worker, case, "closure")
    with pytest.raises(WorkflowError):
        request_approval(cast.worker, case, "closure", closure_reason="bored")
    approval = request_approval(cast.worker, case, "closure", closure_reason="reunified")
    assert approval.closure_reason == "reunified"


def test_approving_the_closure_closes_the_case_with_its_reason_and_date(cast, case):
    approval = request_approval(cast.worker, case, "closure", closure_reason="formal_closing")
    decide_approval(cast.manager, approval, approve=True)
    case = reload(case)
    assert case.status == CaseStatus.CLOSED
    assert case.workflow_stage == WorkflowStage.CLOSED
    assert case.closure_date is not None
    assert case.data["closure_reason"] == "formal_closing"
    assert case.data["closure_date"] == case.closure_date.isoformat()


def test_rejecting_the_closure_leaves_the_case_open(cast, case):
    approval = request_approval(cast.worker, case, "closure", closure_reason="formal_closing")
    decide_approval(cast.manager, approval, approve=False, comment="Suivi encore nécessaire")
    assert reload(case).status == CaseStatus.OPEN


def test_no_approval_can_be_requested_on_a_closed_case(cast, case):
    approval = request_approval(cast.worker, case, "closure", closure_reason="formal_closing")
    decide_approval(cast.manager, approval, approve=True)
    with pytest.raises(PermissionDenied, match="n'est pas ouvert"):
        request_approval(cast.worker, case, "assessment")


def test_an_unknown_approval_kind_is_refused(cast, case):
    with pytest.raises(WorkflowError):
        request_approval(cast.worker, case, "holiday")


def test_an_outsider_cannot_open_an_approval(cast, case):
    from yiri.workflow.services import access_approval

    approval = request_approval(cast.worker, case, "assessment")
    assert access_approval(cast.manager, approval.pk) == approval
    for user in (cast.outsider, cast.colleague, cast.provider):
        with pytest.raises(Http404):
            access_approval(user, approval.pk)
    with pytest.raises(Http404):
        access_approval(cast.manager, "nope")
