"""A service provider who marks a referred service done lands on a page that exists."""

from __future__ import annotations

from yiri.cases.services import update_record
from yiri.workflow.models import Referral
from yiri.workflow.services import refer, respond_referral

from ..conftest import make_case
from .helpers import client_for, text_of


def _accepted_referral(cast):
    case = make_case(cast.worker, consent_for_services=True, disclosure_other_orgs=True)
    case = update_record(cast.worker, case, {"services": [{"service_type": "health"}]})
    referral = refer(cast.worker, case, to_agency=cast.bta,
                     service_row_id=case.data["services"][0]["_id"])
    respond_referral(cast.provider, referral, accept=True)
    return case, referral


def test_completing_a_referral_goes_home_with_a_message_naming_the_case(cast):
    case, referral = _accepted_referral(cast)
    c = client_for(cast.provider)
    r = c.post(f"/referrals/{referral.pk}/complete/", follow=True)
    assert r.status_code == 200
    assert r.redirect_chain[-1][0] == "/"
    assert f"Service marqué comme réalisé pour le dossier {case.short_id}." in text_of(r)
    assert Referral.objects.get(pk=referral.pk).status == "done"


def test_after_completing_no_link_on_the_home_page_leads_to_the_case(cast):
    case, referral = _accepted_referral(cast)
    c = client_for(cast.provider)
    home = c.post(f"/referrals/{referral.pk}/complete/", follow=True).content.decode()
    assert f"/cases/{case.pk}/" not in home
