"""One child's case through the whole workflow, as the people involved live it."""

from __future__ import annotations

from django.utils import timezone

from yiri.audit.models import AuditAction, AuditEvent
from yiri.cases.models import Case, CaseStatus, WorkflowStage
from yiri.cases.services import update_record
from yiri.workflow.models import ApprovalStatus, NotificationKind, ReferralStatus
from yiri.workflow.services import (
    approvals_waiting_for,
    complete_referral,
    decide_approval,
    refer,
    referrals_waiting_for,
    refresh_stage,
    reopen_case,
    request_approval,
    respond_referral,
    unread_notifications,
)

from .conftest import consented_case, reload


def test_a_case_goes_from_registration_to_closure_and_reopening(cast):
    # The worker registers the child with consent and asks for the assessment approval.
    case = consented_case(cast.worker)
    assessment = request_approval(cast.worker, case, "assessment")
    assert reload(case).workflow_stage == WorkflowStage.ASSESSMENT

    # The supervisor finds it waiting and approves it.
    assert list(approvals_waiting_for(cast.manager)) == [assessment]
    assert decide_approval(cast.manager, assessment, approve=True).status == ApprovalStatus.APPROVED

    # The worker writes the case plan with a health service and asks for its approval.
    case = update_record(cast.worker, case, {
        "case_plan_date": "2026-02-01",
        "services": [{"service_type": "health", "response_type": "service_provision",
                      "appointment_date": "2026-02-10", "provider_agency": "BTA"}],
    })
    row_id = case.data["services"][0]["_id"]
    case = refresh_stage(cast.worker, case)
    assert case.workflow_stage == WorkflowStage.SERVICE_PROVISION
    plan = request_approval(cast.worker, case, "case_plan")
    decide_approval(cast.manager, plan, approve=True)

    # The worker refers the service to BTA; the provider only then sees the case.
    assert not Case.objects.visible_to(cast.provider).filter(pk=case.pk).exists()
    referral = refer(cast.worker, case, to_agency=cast.bta, service_row_id=row_id)
    assert Case.objects.visible_to(cast.provider).filter(pk=case.pk).exists()
    assert list(referrals_waiting_for(cast.provider)) == [referral]
    assert [n.kind for n in unread_notifications(cast.provider)] == [NotificationKind.REFERRAL_RECEIVED]

    # The provider accepts, delivers the service and marks the referral done.
    respond_referral(cast.provider, referral, accept=True)
    assert complete_referral(cast.provider, referral).status == ReferralStatus.DONE
    case = reload(case)
    assert case.data["services"][0]["implemented"] is True
    assert case.workflow_stage == WorkflowStage.SERVICES_IMPLEMENTED

    # The worker asks to close; the supervisor approves; the case is closed.
    closure = request_approval(cast.worker, case, "closure", closure_reason="formal_closing")
    decide_approval(cast.manager, closure, approve=True)
    case = reload(case)
    assert (case.status, case.workflow_stage) == (CaseStatus.CLOSED, WorkflowStage.CLOSED)
    assert case.closure_date == timezone.localdate()

    # Months later the child is at risk again: the supervisor reopens the case.
    case = reopen_case(cast.manager, case, reason="Nouvelle situation")
    assert (case.status, case.workflow_stage) == (CaseStatus.OPEN, WorkflowStage.REOPENED)

    # Every step was audited, with ids and codes only.
    events = AuditEvent.objects.filter(record_id=case.pk, action=AuditAction.WORKFLOW)
    steps = {e.details.get("action_name") for e in events}
    assert {"request_approval", "decide_approval", "refer", "respond_referral",
            "complete_referral", "close", "reopen"} <= steps
    for event in events:
        assert "Awa" not in str(event.details) and "Ouédraogo" not in str(event.details)
