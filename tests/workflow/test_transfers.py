from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from yiri.cases.models import Case, CaseStatus, RecordShare, ShareKind
from yiri.cases.services import assign_record
from yiri.workflow.models import ReferralStatus
from yiri.workflow.services import WorkflowError, respond_transfer, revoke_referral, transfer

from .conftest import reload


def sees(user, case) -> bool:
    return Case.objects.visible_to(user).filter(pk=case.pk).exists()


def test_the_recipient_sees_a_pending_transfer(cast, case):
    referral = transfer(cast.worker, case, to_agency=cast.tgo, to_user=cast.outsider)
    assert RecordShare.objects.get(pk=referral.share_id).kind == ShareKind.TRANSFER
    assert sees(cast.outsider, case)
    assert reload(case).owner == cast.worker


def test_accepting_a_transfer_changes_owner_and_agency_and_keeps_the_case_open(cast, case):
    referral = transfer(cast.worker, case, to_agency=cast.tgo, to_user=cast.outsider)
    referral = respond_transfer(cast.outsider, referral, accept=True)
    assert referral.status == ReferralStatus.ACCEPTED
    case = reload(case)
    assert (case.owner, case.owning_agency, case.status) == (cast.outsider, cast.tgo, CaseStatus.OPEN)
    assert not RecordShare.objects.get(pk=referral.share_id).active


def test_the_previous_owner_and_their_supervisor_lose_access(cast, case):
    referral = transfer(cast.worker, case, to_agency=cast.tgo, to_user=cast.outsider)
    respond_transfer(cast.outsider, referral, accept=True)
    assert sees(cast.outsider, case)
    assert not sees(cast.worker, case)
    assert not sees(cast.manager, case)


def test_the_previous_owner_keeps_access_when_assigned(cast, case):
    referral = transfer(cast.worker, case, to_agency=cast.tgo, to_user=cast.outsider)
    assign_record(cast.manager, case, cast.worker)
    respond_transfer(cast.outsider, referral, accept=True)
    assert sees(cast.worker, case)


def test_a_transfer_to_an_agency_makes_the_accepting_user_the_owner(cast, case):
    referral = transfer(cast.worker, case, to_agency=cast.tgo)
    respond_transfer(cast.outsider, referral, accept=True)
    assert reload(case).owner == cast.outsider


def test_declining_a_transfer_keeps_the_owner_and_removes_the_recipients_access(cast, case):
    referral = transfer(cast.worker, case, to_agency=cast.tgo, to_user=cast.outsider)
    referral = respond_transfer(cast.outsider, referral, accept=False, comment="Hors zone")
    assert referral.status == ReferralStatus.DECLINED
    assert reload(case).owner == cast.worker
    assert not sees(cast.outsider, case)


def test_only_the_recipient_answers_a_transfer(cast, case):
    referral = transfer(cast.worker, case, to_agency=cast.tgo, to_user=cast.outsider)
    for user in (cast.worker, cast.provider, cast.colleague):
        with pytest.raises(PermissionDenied):
            respond_transfer(user, referral, accept=True)
    assert reload(case).owner == cast.worker


def test_only_one_transfer_may_be_pending(cast, case):
    transfer(cast.worker, case, to_agency=cast.tgo, to_user=cast.outsider)
    with pytest.raises(WorkflowError):
        transfer(cast.worker, case, to_agency=cast.bta, to_user=cast.provider)


def test_a_revoked_transfer_cannot_be_accepted(cast, case):
    referral = transfer(cast.worker, case, to_agency=cast.tgo, to_user=cast.outsider)
    revoke_referral(cast.worker, referral)
    assert not sees(cast.outsider, case)
    with pytest.raises(WorkflowError):
        respond_transfer(cast.outsider, referral, accept=True)
    assert reload(case).owner == cast.worker


def test_a_transfer_answer_is_not_a_referral_answer(cast, case):
    from yiri.workflow.services import respond_referral

    referral = transfer(cast.worker, case, to_agency=cast.tgo, to_user=cast.outsider)
    with pytest.raises(WorkflowError):
        respond_referral(cast.outsider, referral, accept=True)
