"""A referral gives only what it is for (as in CPIMS+, where the referrer picks the role
the recipient acts under): tested as a matrix of share kind × status × action × section.

The recipient here is a case worker of BTA, whose role alone would let her do everything
on her own cases: every right she has on the referred case comes from the share.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from yiri.accounts.models import Role, User
from yiri.cases.access import access_record, readable_sections, rights_for
from yiri.cases.identity import read_answers
from yiri.cases.models import Case
from yiri.cases.services import update_record
from yiri.formconfig.schema import get_schema
from yiri.workflow.models import ApprovalKind
from yiri.workflow.services import (
    WorkflowError,
    complete_referral,
    decide_approval,
    refer,
    request_approval,
    respond_referral,
    respond_transfer,
    revoke_referral,
    transfer,
)

from ..conftest import make_case

SCHEMA_SECTIONS = ("basic_identity", "consent", "protection_concerns", "assessment",
                   "services_section", "followup", "closure")
WORKFLOW_ACTIONS = ("refer", "transfer", "request_closure", "request_assessment",
                    "approve_closure", "assign", "reopen", "delete")


@pytest.fixture
def bta_worker(cast):
    return User.objects.create_user("bta.worker", role=Role.objects.get(code="case_worker"),
                                    agency=cast.bta, password="x" * 20)


@pytest.fixture
def bta_manager(cast):
    return User.objects.create_user("bta.manager", role=Role.objects.get(code="manager"),
                                    agency=cast.bta, password="x" * 20)


def _case(cast):
    case = make_case(cast.worker, consent_for_services=True, disclosure_other_orgs=True,
                     services=[{"service_type": "health"}], assessment_summary="Besoin d'un abri")
    row = read_answers(case, get_schema("case"))["services"][0]["_id"]
    return case, row


def _in_state(cast, kind: str, status: str, recipient):
    """A case referred (or offered in transfer) to BTA, brought to ``status``."""
    case, row = _case(cast)
    if kind == "referral":
        referral = refer(cast.worker, case, to_agency=cast.bta, service_row_id=row)
    else:
        referral = transfer(cast.worker, case, to_agency=cast.bta, to_user=recipient)
    if status == "accepted":
        respond_referral(recipient, referral, accept=True)
    elif status == "declined":
        (respond_referral if kind == "referral" else respond_transfer)(
            recipient, referral, accept=False, comment="Pas de place")
    elif status == "revoked":
        revoke_referral(cast.worker, referral)
    elif status == "done":
        respond_referral(recipient, referral, accept=True)
        complete_referral(recipient, referral)
    return Case.objects.get(pk=case.pk), row


# What the recipient may read, per state: None = no access at all.
READS = {
    ("referral", "pending"): {"basic_identity", "protection_concerns", "services_section"},
    ("referral", "accepted"): {"basic_identity", "consent", "protection_concerns",
                               "services_section", "followup"},
    ("referral", "declined"): None,
    ("referral", "revoked"): None,
    ("referral", "done"): None,
    ("transfer", "pending"): set(SCHEMA_SECTIONS),
    ("transfer", "declined"): None,
    ("transfer", "revoked"): None,
}


@pytest.mark.parametrize(("kind", "status"), sorted(READS))
def test_what_the_recipient_reads_in_each_state(cast, bta_worker, kind, status):
    case, _row = _in_state(cast, kind, status, bta_worker)
    expected = READS[(kind, status)]
    if expected is None:
        with pytest.raises(Http404):
            access_record(bta_worker, Case, case.pk)
        return
    seen = access_record(bta_worker, Case, case.pk)
    readable = set(readable_sections(bta_worker, get_schema("case"), seen)) & set(SCHEMA_SECTIONS)
    assert readable == expected


@pytest.mark.parametrize(("kind", "status"), [k for k, v in sorted(READS.items()) if v])
@pytest.mark.parametrize("action", WORKFLOW_ACTIONS)
def test_no_workflow_action_on_another_organisations_case(cast, bta_worker, kind, status, action):
    case, _row = _in_state(cast, kind, status, bta_worker)
    assert not rights_for(bta_worker, case).can(action)
    with pytest.raises(PermissionDenied):
        access_record(bta_worker, Case, case.pk, action)


@pytest.mark.parametrize(("kind", "status"), [k for k, v in sorted(READS.items()) if v])
@pytest.mark.parametrize("section", ["basic_identity", "consent", "assessment", "closure"])
def test_the_recipient_writes_no_section_of_the_case(cast, bta_worker, kind, status, section):
    case, _row = _in_state(cast, kind, status, bta_worker)
    field = next(c for c, f in get_schema("case").fields.items()
                 if f.section == section and f.type == "text" or
                 (f.section == section and f.type == "date"))
    with pytest.raises(PermissionDenied):
        update_record(bta_worker, case, {field: "2026-01-02" if "date" in field else "X"})
    assert read_answers(Case.objects.get(pk=case.pk), get_schema("case")).get(field) != "X"


def test_an_accepted_referral_writes_the_referred_service_row_and_follow_ups_only(cast, bta_worker):
    case, row = _in_state(cast, "referral", "accepted", bta_worker)
    case = update_record(bta_worker, case, {"services": [{"_id": row, "service_notes": "Vu"}]})
    with pytest.raises(PermissionDenied):  # another service of the case
        update_record(bta_worker, case, {"services": [{"service_type": "legal"}]})
    case = update_record(bta_worker, case, {"followups": [{"followup_type": "for_service"}]})
    followup = read_answers(case, get_schema("case"))["followups"][0]["_id"]
    # The follow-up she added stays hers to complete.
    case = update_record(bta_worker, case, {"followups": [{"_id": followup, "child_seen": True}]})
    assert read_answers(case, get_schema("case"))["followups"][0]["child_seen"] is True


def test_a_pending_referral_writes_nothing(cast, bta_worker):
    case, row = _in_state(cast, "referral", "pending", bta_worker)
    for answers in ({"services": [{"_id": row, "service_notes": "Vu"}]},
                    {"followups": [{"followup_type": "for_service"}]}):
        with pytest.raises(PermissionDenied):
            update_record(bta_worker, case, answers)


def test_the_owning_agency_keeps_full_rights(cast, bta_worker):
    case, _row = _in_state(cast, "referral", "accepted", bta_worker)
    rights = rights_for(cast.worker, case)
    assert rights.full and rights.can("transfer") and "assessment" in rights.write


def test_a_recipient_cannot_pass_the_case_on_to_a_third_organisation(cast, bta_worker):
    case, _row = _in_state(cast, "referral", "accepted", bta_worker)
    with pytest.raises(PermissionDenied):
        transfer(bta_worker, case, to_agency=cast.tgo)
    with pytest.raises(PermissionDenied):
        refer(bta_worker, case, to_agency=cast.tgo)
    assert access_record(cast.worker, Case, case.pk).owner_id == cast.worker.pk


def test_the_receiving_supervisor_cannot_decide_the_owners_closure(cast, bta_worker, bta_manager):
    case, row = _case(cast)
    approval = request_approval(cast.worker, case, ApprovalKind.CLOSURE,
                                closure_reason="formal_closing")
    assert approval.approver_id == cast.manager.pk
    refer(cast.worker, case, to_agency=cast.bta, service_row_id=row)
    with pytest.raises((PermissionDenied, Http404)):
        decide_approval(bta_manager, approval, approve=True)
    assert Case.objects.get(pk=case.pk).status == "open"


def test_a_supervisor_not_named_on_the_request_outside_the_agency_cannot_decide(cast):
    case, _row = _case(cast)
    approval = request_approval(cast.worker, case, ApprovalKind.CLOSURE,
                                closure_reason="formal_closing")
    # The administrator sees everything and holds every right, but is a superuser only
    # when flagged; a national-scope user of another agency is not the approver.
    other = User.objects.create_user("tg.manager", role=Role.objects.get(code="administrator"),
                                     agency=cast.tgo, password="x" * 20)
    with pytest.raises(PermissionDenied, match="autre superviseur"):
        decide_approval(other, approval, approve=True)


def test_sharing_is_refused_when_the_consent_names_no_other_organisation(cast):
    case = make_case(cast.worker, consent_for_services=True, disclosure_other_orgs=True,
                     share_with=["family"])
    with pytest.raises(PermissionDenied, match="Avec qui"):
        refer(cast.worker, case, to_agency=cast.bta)
    ok = make_case(cast.worker, consent_for_services=True, disclosure_other_orgs=True,
                   share_with=["family", "other_organisations"])
    assert refer(cast.worker, ok, to_agency=cast.bta).pk


def test_declining_needs_a_reason(cast, bta_worker):
    case, row = _case(cast)
    referral = refer(cast.worker, case, to_agency=cast.bta, service_row_id=row)
    with pytest.raises(WorkflowError, match="Expliquez le refus"):
        respond_referral(bta_worker, referral, accept=False, comment="  ")
    assert access_record(bta_worker, Case, case.pk)


def test_the_referrer_chooses_the_sections_shared(cast, bta_worker):
    case, row = _case(cast)
    referral = refer(cast.worker, case, to_agency=cast.bta, service_row_id=row,
                     sections=["basic_identity", "services_section", "assessment"])
    respond_referral(bta_worker, referral, accept=True)
    seen = access_record(bta_worker, Case, case.pk)
    assert set(readable_sections(bta_worker, get_schema("case"), seen)) == {
        "basic_identity", "services_section", "assessment"}
    with pytest.raises(WorkflowError, match="Section inconnue"):
        refer(cast.worker, case, to_agency=cast.tgo, sections=["nope"])


def test_the_recipients_supervisor_reads_what_the_team_received_and_does_nothing(cast, bta_manager):
    from yiri.accounts.models import UserGroup

    team = UserGroup.objects.create(name="Équipe BTA", agency=cast.bta)
    bta_manager.user_groups.add(team)
    cast.provider.user_groups.add(team)
    case, row = _case(cast)
    referral = refer(cast.worker, case, to_agency=cast.bta, to_user=cast.provider,
                     service_row_id=row)
    respond_referral(cast.provider, referral, accept=True)
    seen = access_record(bta_manager, Case, case.pk)
    rights = rights_for(bta_manager, seen)
    assert rights.actions == {"view"} and not rights.write and not rights.rows
    assert "assessment" not in rights.read and "services_section" in rights.read
    from yiri.workflow.services import approvals_waiting_for

    request_approval(cast.worker, case, ApprovalKind.CLOSURE, closure_reason="formal_closing")
    assert list(approvals_waiting_for(bta_manager)) == []
    assert len(approvals_waiting_for(cast.manager)) == 1


def test_an_export_leaves_out_cases_reached_only_through_a_referral(cast, bta_manager):
    from yiri.cases.export import export_csv

    case, row = _case(cast)
    refer(cast.worker, case, to_agency=cast.bta, service_row_id=row)
    assert Case.objects.visible_to(bta_manager).filter(pk=case.pk).exists()
    exported = "".join(export_csv(bta_manager, "case"))
    assert case.short_id not in exported
    assert case.short_id in "".join(export_csv(cast.manager, "case"))
