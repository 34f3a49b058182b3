from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from yiri.cases.access import access_record
from yiri.cases.models import Case, RecordShare, ShareKind
from yiri.workflow.models import ApprovalKind, ReferralStatus
from yiri.workflow.services import (
    WorkflowError,
    access_referral,
    complete_referral,
    decide_approval,
    refer,
    referrals_waiting_for,
    request_approval,
    respond_referral,
    revoke_referral,
)

from .conftest import add_service, reload


def sees(user, case) -> bool:
    return Case.objects.visible_to(user).filter(pk=case.pk).exists()


def test_the_provider_sees_the_case_only_once_it_is_referred_to_their_agency(cast, case):
    assert not sees(cast.provider, case)
    referral = refer(cast.worker, case, to_agency=cast.bta)
    assert referral.status == ReferralStatus.IN_PROGRESS
    assert sees(cast.provider, case)
    share = RecordShare.objects.get(pk=referral.share_id)
    assert (share.kind, share.agency, share.user, share.active) == (ShareKind.REFERRAL, cast.bta, None, True)


def test_a_referral_to_a_named_user_opens_the_case_to_that_user(cast, case):
    refer(cast.worker, case, to_agency=cast.bta, to_user=cast.provider)
    assert access_record(cast.provider, Case, case.pk).pk == case.pk
    assert not sees(cast.outsider, case)


def test_the_recipient_accepts_then_completes_and_the_service_row_is_implemented(cast, case):
    case, row_id = add_service(cast.worker, case, appointment_date="2026-03-01")
    referral = refer(cast.worker, case, to_agency=cast.bta, service_row_id=row_id)
    referral = respond_referral(cast.provider, referral, accept=True, comment="Reçu")
    assert referral.status == ReferralStatus.ACCEPTED
    assert referral.responded_by == cast.provider
    referral = complete_referral(cast.provider, referral)
    assert referral.status == ReferralStatus.DONE
    (row,) = reload(case).data["services"]
    assert row["implemented"] is True
    assert row["implemented_on"] == timezone.localdate().isoformat()


def test_access_ends_when_the_referral_is_done(cast, case):
    referral = refer(cast.worker, case, to_agency=cast.bta)
    respond_referral(cast.provider, referral, accept=True)
    complete_referral(cast.provider, referral)
    assert not sees(cast.provider, case)


def test_a_declined_referral_removes_the_recipients_access(cast, case):
    referral = refer(cast.worker, case, to_agency=cast.bta, to_user=cast.provider)
    referral = respond_referral(cast.provider, referral, accept=False, comment="Pas de place")
    assert referral.status == ReferralStatus.DECLINED
    assert not RecordShare.objects.get(pk=referral.share_id).active
    assert not sees(cast.provider, case)


def test_the_referrer_can_revoke_and_the_recipient_loses_access(cast, case):
    referral = refer(cast.worker, case, to_agency=cast.bta)
    respond_referral(cast.provider, referral, accept=True)
    with pytest.raises(PermissionDenied):
        revoke_referral(cast.provider, referral)
    referral = revoke_referral(cast.worker, referral)
    assert referral.status == ReferralStatus.REVOKED
    assert not sees(cast.provider, case)
    with pytest.raises(WorkflowError):
        complete_referral(cast.provider, referral)


def test_an_outsider_cannot_respond_to_a_referral_not_addressed_to_them(cast, case):
    referral = refer(cast.worker, case, to_agency=cast.bta)
    for user in (cast.outsider, cast.colleague, cast.manager):
        with pytest.raises(PermissionDenied):
            respond_referral(user, referral, accept=True)
        with pytest.raises(PermissionDenied):
            complete_referral(user, referral)
    assert reload(case) and referral.__class__.objects.get(pk=referral.pk).status == ReferralStatus.IN_PROGRESS


def test_only_the_named_user_may_answer_a_referral_addressed_to_them(cast, case):
    from yiri.accounts.models import Role, User

    other = User.objects.create_user("provider2", role=Role.objects.get(code="service_provider"),
                                     agency=cast.bta)
    referral = refer(cast.worker, case, to_agency=cast.bta, to_user=cast.provider)
    with pytest.raises(PermissionDenied):
        respond_referral(other, referral, accept=True)
    assert not sees(other, case)


def test_an_outsider_cannot_open_the_referral(cast, case):
    referral = refer(cast.worker, case, to_agency=cast.bta)
    assert access_referral(cast.provider, referral.pk) == referral
    assert access_referral(cast.worker, referral.pk) == referral
    with pytest.raises(Http404):
        access_referral(cast.outsider, referral.pk)
    with pytest.raises(Http404):
        access_referral(cast.outsider, "not-a-uuid")


def test_a_referral_can_be_answered_only_once(cast, case):
    referral = refer(cast.worker, case, to_agency=cast.bta)
    respond_referral(cast.provider, referral, accept=True)
    with pytest.raises(WorkflowError):
        respond_referral(cast.provider, referral, accept=False)


def test_referrals_waiting_for_lists_what_is_addressed_to_the_user(cast, case):
    referral = refer(cast.worker, case, to_agency=cast.bta)
    assert list(referrals_waiting_for(cast.provider)) == [referral]
    assert list(referrals_waiting_for(cast.outsider)) == []
    respond_referral(cast.provider, referral, accept=True)
    assert list(referrals_waiting_for(cast.provider)) == []


def test_a_closed_case_cannot_be_referred(cast, case):
    approval = request_approval(cast.worker, case, ApprovalKind.CLOSURE, closure_reason="formal_closing")
    decide_approval(cast.manager, approval, approve=True)
    with pytest.raises(PermissionDenied, match="n'est pas ouvert"):
        refer(cast.worker, case, to_agency=cast.bta)


def test_the_named_recipient_must_belong_to_the_agency(cast, case):
    with pytest.raises(WorkflowError):
        refer(cast.worker, case, to_agency=cast.bta, to_user=cast.outsider)


def test_the_referred_service_row_must_exist_in_the_case(cast, case):
    with pytest.raises(WorkflowError):
        refer(cast.worker, case, to_agency=cast.bta, service_row_id="5b0e8c1e-3f0a-4c44-9c7e-1b2a3c4d5e6f")


def test_a_user_who_cannot_see_the_case_cannot_refer_it(cast, case):
    with pytest.raises(Http404):
        refer(cast.colleague, case, to_agency=cast.bta)


def test_a_role_without_the_refer_right_cannot_refer(cast, case):
    referral = refer(cast.worker, case, to_agency=cast.bta, to_user=cast.provider)
    respond_referral(cast.provider, referral, accept=True)
    with pytest.raises(PermissionDenied):
        refer(cast.provider, case, to_agency=cast.tgo)


def test_the_referrers_supervisor_may_revoke_but_a_colleague_may_not(cast, case):
    referral = refer(cast.worker, case, to_agency=cast.bta)
    with pytest.raises(PermissionDenied):
        revoke_referral(cast.colleague, referral)
    assert revoke_referral(cast.manager, referral).status == ReferralStatus.REVOKED
