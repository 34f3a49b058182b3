"""A case's history shows its workflow (approvals, closure, reopening, referrals,
transfers) beside its field changes, on the web page and in the API, through one reader."""

from __future__ import annotations

from rest_framework.test import APIClient

from yiri.cases.services import update_record
from yiri.workflow.services import (
    decide_approval,
    refer,
    reopen_case,
    request_approval,
    respond_referral,
    respond_transfer,
    transfer,
)

from ..conftest import make_case
from ..web.helpers import client_for, text_of

STEPS_IN_ORDER = [
    "Approbation demandée : Évaluation",
    "Approbation refusée : Évaluation",
    "Orientation envoyée à BTA",
    "Orientation refusée par BTA",
    "Approbation demandée : Clôture",
    "Approbation accordée : Clôture",
    "Dossier clôturé",
    "Dossier rouvert",
    "Transfert proposé à BTA",
    "Transfert refusé par BTA",
]


def _story(cast):
    """A case through its whole workflow, the supervisor deciding."""
    case = make_case(cast.worker, consent_for_services=True, disclosure_other_orgs=True)
    first = request_approval(cast.worker, case, "assessment", comment="Évaluation prête")
    decide_approval(cast.manager, first, approve=False, comment="Il manque la famille")
    referral = refer(cast.worker, case, to_agency=cast.bta, reason="Soins à Ouagadougou")
    respond_referral(cast.provider, referral, accept=False, comment="Plus de place")
    closure = request_approval(cast.worker, case, "closure", closure_reason="other")
    decide_approval(cast.manager, closure, approve=True)
    reopen_case(cast.manager, case, reason="Nouvelle situation")
    case = update_record(cast.worker, case.__class__.objects.get(pk=case.pk), {"risk_level": "high"})
    moved = transfer(cast.manager, case, to_agency=cast.bta, reason="Déménagement")
    respond_transfer(cast.provider, moved, accept=False, comment="Pas dans notre zone")
    return case


def _positions(page: str, labels: list[str]) -> list[int]:
    found = [page.find(label) for label in labels]
    assert -1 not in found, [lab for lab, at in zip(labels, found, strict=True) if at == -1]
    return found


def test_the_supervisor_sees_every_workflow_step_newest_first_beside_field_changes(cast):
    case = _story(cast)
    page = text_of(client_for(cast.manager).get(f"/cases/{case.pk}/history/"))
    at = _positions(page, STEPS_IN_ORDER)
    assert at == sorted(at, reverse=True)  # newest first, as the field changes
    assert "Niveau de risque" in page  # field changes are still there
    assert "Il manque la famille" in page  # the decision comment, for a reader of the section


def test_free_text_is_shown_only_to_readers_of_the_section_it_belongs_with(cast):
    case = make_case(cast.worker, consent_for_services=True, disclosure_other_orgs=True)
    case = update_record(cast.worker, case, {"services": [{"service_type": "health"}]})
    approval = request_approval(cast.worker, case, "assessment", comment="Évaluation prête")
    refer(cast.worker, case, to_agency=cast.bta, reason="Soins à Ouagadougou",
          service_row_id=case.data["services"][0]["_id"])
    # The service provider reads the services section, not the assessment.
    provider = text_of(client_for(cast.provider).get(f"/cases/{case.pk}/history/"))
    assert "Approbation demandée : Évaluation" in provider
    assert "Évaluation prête" not in provider
    assert "Orientation envoyée à BTA" in provider and "Soins à Ouagadougou" in provider
    manager = text_of(client_for(cast.manager).get(f"/cases/{case.pk}/history/"))
    assert "Évaluation prête" in manager and "Soins à Ouagadougou" in manager
    assert approval.pk


def test_an_outsider_gets_404_on_the_history_page_and_in_the_api(cast):
    case = _story(cast)
    assert client_for(cast.outsider).get(f"/cases/{case.pk}/history/").status_code == 404
    api = APIClient()
    api.force_authenticate(cast.outsider)
    assert api.get(f"/api/v1/cases/{case.pk}/history/").status_code == 404


def test_the_api_gives_the_same_steps_in_order_as_events(cast):
    case = _story(cast)
    api = APIClient()
    api.force_authenticate(cast.manager)
    results, url = [], f"/api/v1/cases/{case.pk}/history/?page_size=100"
    while url:
        body = api.get(url).json()
        results += body["results"]
        url = body.get("next")
    labels = [e["event"]["label"] for e in results if e["event"]]
    assert labels == STEPS_IN_ORDER  # oldest first, as the API pages the log
    codes = [e["event"]["code"] for e in results if e["event"]]
    assert codes[:2] == ["approval_requested", "approval_rejected"]
    rejected = next(e for e in results if e["event"] and e["event"]["code"] == "approval_rejected")
    assert rejected["event"]["comment"] == "Il manque la famille"


def test_a_field_filter_shows_field_changes_only(cast):
    case = _story(cast)
    page = text_of(client_for(cast.manager).get(f"/cases/{case.pk}/history/?field=risk_level"))
    assert "Niveau de risque" in page and "Orientation envoyée" not in page
