from __future__ import annotations

from yiri.audit.models import AuditEvent
from yiri.cases.models import Case
from yiri.cases.services import update_record
from yiri.workflow.models import Approval, Referral
from yiri.workflow.services import refer, request_approval

from ..conftest import make_case
from .helpers import client_for, text_of


def consenting_case(cast):
    case = make_case(cast.worker, consent_for_services=True, disclosure_other_orgs=True)
    return update_record(cast.worker, case, {"services": [{"service_type": "health"}]})


def test_a_worker_requests_an_assessment_approval_and_the_supervisor_approves(cast):
    case = make_case(cast.worker)
    worker, manager = client_for(cast.worker), client_for(cast.manager)
    r = worker.post(f"/cases/{case.pk}/approval/", {"kind": "assessment", "comment": "Prête"})
    assert r.status_code == 302
    approval = Approval.objects.get(case=case)
    page = text_of(manager.get(f"/cases/{case.pk}/"))
    assert "Approuver" in page
    manager.post(f"/approvals/{approval.pk}/decide/", {"decision": "approve"})
    approval.refresh_from_db()
    assert approval.status == "approved"
    assert Case.objects.get(pk=case.pk).workflow_stage == "assessment"


def test_a_rejection_needs_a_comment(cast):
    case = make_case(cast.worker)
    approval = request_approval(cast.worker, case, "assessment")
    c = client_for(cast.manager)
    r = c.post(f"/approvals/{approval.pk}/decide/", {"decision": "reject"}, follow=True)
    assert "Expliquez le refus" in text_of(r)
    approval.refresh_from_db()
    assert approval.status == "pending"
    c.post(f"/approvals/{approval.pk}/decide/", {"decision": "reject", "comment": "Incomplète"})
    approval.refresh_from_db()
    assert approval.status == "rejected"


def test_a_case_worker_cannot_decide_an_approval(cast):
    case = make_case(cast.worker)
    approval = request_approval(cast.worker, case, "assessment")
    r = client_for(cast.worker).post(f"/approvals/{approval.pk}/decide/", {"decision": "approve"},
                                     follow=True)
    assert "Approuver" not in text_of(client_for(cast.worker).get(f"/cases/{case.pk}/"))
    approval.refresh_from_db()
    assert approval.status == "pending" and r.status_code == 422  # refused beside its form


def test_a_referral_without_consent_is_refused_and_nothing_is_shared(cast):
    case = make_case(cast.worker)
    c = client_for(cast.worker)
    page = text_of(c.get(f"/cases/{case.pk}/"))
    assert "n'a pas consenti au partage" in page
    assert "Passer outre" not in page  # a case worker has no override right
    r = c.post(f"/cases/{case.pk}/refer/", {"to_agency": str(cast.bta.pk),
                                            "consent_override": "on"}, follow=True)
    assert not Referral.objects.exists()
    assert "consentement" in text_of(r)


def test_a_supervisor_may_override_missing_consent_and_it_is_audited(cast):
    case = make_case(cast.worker)
    c = client_for(cast.manager)
    page = text_of(c.get(f"/cases/{case.pk}/"))
    assert "Passer outre l'absence de consentement" in page and "journal d'audit" in page
    c.post(f"/cases/{case.pk}/refer/", {"to_agency": str(cast.bta.pk), "consent_override": "on",
                                        "reason": "Danger immédiat"})
    referral = Referral.objects.get()
    assert referral.consent_override
    assert AuditEvent.objects.filter(record_id=case.pk, action="consent_override").exists()


def test_a_service_is_referred_accepted_and_completed_by_the_other_agency(cast):
    case = consenting_case(cast)
    row_id = case.data["services"][0]["_id"]
    worker, provider = client_for(cast.worker), client_for(cast.provider)
    worker.post(f"/cases/{case.pk}/refer/", {"to_agency": str(cast.bta.pk), "service_row_id": row_id})
    referral = Referral.objects.get()
    assert case.short_id in text_of(provider.get("/"))
    assert "Accepter" in text_of(provider.get(f"/cases/{case.pk}/"))
    provider.post(f"/referrals/{referral.pk}/respond/", {"decision": "accept"})
    provider.post(f"/referrals/{referral.pk}/complete/")
    referral.refresh_from_db()
    assert referral.status == "done"
    services = Case.objects.get(pk=case.pk).data["services"]
    assert services[0]["implemented"] is True


def test_a_declined_referral_sends_the_recipient_home(cast):
    case = consenting_case(cast)
    referral = refer(cast.worker, case, to_agency=cast.bta)
    r = client_for(cast.provider).post(f"/referrals/{referral.pk}/respond/",
                                       {"decision": "decline", "comment": "Pas de place"})
    assert r.status_code == 302 and r["Location"] == "/"


def test_closure_is_requested_with_a_reason_approved_and_the_case_reopened(cast):
    case = make_case(cast.worker)
    worker, manager = client_for(cast.worker), client_for(cast.manager)
    worker.post(f"/cases/{case.pk}/approval/", {"kind": "closure", "closure_reason": "other"})
    approval = Approval.objects.get(kind="closure")
    manager.post(f"/approvals/{approval.pk}/decide/", {"decision": "approve"})
    case.refresh_from_db()
    assert case.status == "closed"
    page = text_of(manager.get(f"/cases/{case.pk}/"))
    assert "Clôturé" in page and "Rouvrir le dossier" in page
    manager.post(f"/cases/{case.pk}/reopen/", {"reason": "Nouvelle situation"})
    case.refresh_from_db()
    assert case.status == "open" and case.workflow_stage == "reopened"


def test_a_transfer_moves_the_case_when_accepted(cast):
    case = consenting_case(cast)
    client_for(cast.worker).post(f"/cases/{case.pk}/transfer/", {"to_agency": str(cast.bta.pk)})
    referral = Referral.objects.get(kind="transfer")
    client_for(cast.provider).post(f"/referrals/{referral.pk}/respond/", {"decision": "accept"})
    case.refresh_from_db()
    assert case.owning_agency == cast.bta


def test_outsiders_are_refused_every_workflow_url(cast):
    case = consenting_case(cast)
    approval = request_approval(cast.worker, case, "assessment")
    referral = refer(cast.worker, case, to_agency=cast.bta)
    c = client_for(cast.outsider)
    for url, data in (
        (f"/cases/{case.pk}/approval/", {"kind": "assessment"}),
        (f"/cases/{case.pk}/refer/", {"to_agency": str(cast.tgo.pk)}),
        (f"/cases/{case.pk}/transfer/", {"to_agency": str(cast.tgo.pk)}),
        (f"/cases/{case.pk}/reopen/", {}),
        (f"/approvals/{approval.pk}/decide/", {"decision": "approve"}),
        (f"/referrals/{referral.pk}/respond/", {"decision": "accept"}),
        (f"/referrals/{referral.pk}/complete/", {}),
        (f"/referrals/{referral.pk}/revoke/", {}),
    ):
        assert c.post(url, data).status_code == 404, url
    approval.refresh_from_db()
    referral.refresh_from_db()
    assert approval.status == "pending" and referral.status == "in_progress"
