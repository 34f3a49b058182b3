from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from yiri.audit.models import AuditAction, AuditEvent
from yiri.cases.models import Case
from yiri.workflow.services import refer, transfer

from ..conftest import make_case


def test_a_case_without_consent_cannot_be_referred(cast):
    case = make_case(cast.worker)
    with pytest.raises(PermissionDenied) as exc:
        refer(cast.worker, case, to_agency=cast.bta)
    message = str(exc.value)
    assert "consentement aux services" in message and "partager" in message
    assert not Case.objects.visible_to(cast.provider).exists()


def test_the_refusal_names_only_what_is_missing(cast):
    case = make_case(cast.worker, consent_for_services=True)
    with pytest.raises(PermissionDenied) as exc:
        refer(cast.worker, case, to_agency=cast.bta)
    assert "consentement aux services" not in str(exc.value)
    assert "partager" in str(exc.value)


def test_a_case_without_consent_cannot_be_transferred(cast):
    case = make_case(cast.worker, disclosure_other_orgs=True)
    with pytest.raises(PermissionDenied) as exc:
        transfer(cast.worker, case, to_agency=cast.tgo)
    assert "consentement aux services" in str(exc.value)


def test_a_case_worker_may_not_override_consent(cast):
    case = make_case(cast.worker)
    with pytest.raises(PermissionDenied) as exc:
        refer(cast.worker, case, to_agency=cast.bta, consent_override=True)
    assert "passer outre" in str(exc.value)


def test_a_supervisor_may_override_consent_and_the_override_is_audited(cast):
    case = make_case(cast.worker)
    referral = refer(cast.manager, case, to_agency=cast.bta, consent_override=True)
    assert referral.consent_override is True
    event = AuditEvent.objects.get(action=AuditAction.CONSENT_OVERRIDE, record_id=case.pk)
    assert event.user == cast.manager
    assert event.details["referral"] == str(referral.pk)
    assert event.details["consent_override"] is True
    assert Case.objects.visible_to(cast.provider).filter(pk=case.pk).exists()


def test_an_override_is_not_recorded_when_consent_was_given(cast):
    case = make_case(cast.worker, consent_for_services=True, disclosure_other_orgs=True)
    referral = refer(cast.manager, case, to_agency=cast.bta, consent_override=True)
    assert referral.consent_override is False
    assert not AuditEvent.objects.filter(action=AuditAction.CONSENT_OVERRIDE).exists()
    assert AuditEvent.objects.filter(action=AuditAction.WORKFLOW, record_id=case.pk,
                                     details__action_name="refer").exists()
