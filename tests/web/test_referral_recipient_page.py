"""On the case page, a referral's recipient sees and writes only what was referred."""

from __future__ import annotations

import html as html_lib
import re

from yiri.accounts.models import Role, User
from yiri.cases.identity import read_answers
from yiri.cases.models import Case
from yiri.formconfig.schema import get_schema
from yiri.workflow.services import refer, respond_referral

from ..conftest import PASSWORD, make_case
from .helpers import client_for, text_of

HTMX = {"HTTP_HX_REQUEST": "true"}


def setup_referral(cast):
    bta_worker = User.objects.create_user("bta.worker", role=Role.objects.get(code="case_worker"),
                                          agency=cast.bta, password=PASSWORD, first_name="Salif")
    case = make_case(cast.worker, consent_for_services=True, disclosure_other_orgs=True,
                     services=[{"service_type": "health"}], assessment_summary="Très confidentiel")
    row = read_answers(case, get_schema("case"))["services"][0]["_id"]
    referral = refer(cast.worker, case, to_agency=cast.bta, service_row_id=row)
    return bta_worker, case, row, referral


def test_a_pending_referral_shows_what_is_needed_to_decide_and_no_edit_button(cast):
    bta_worker, case, _row, _referral = setup_referral(cast)
    r = client_for(bta_worker).get(f"/cases/{case.pk}/")
    page, html = text_of(r), r.content.decode()
    assert r.status_code == 200
    assert "Awa" in page and "Très confidentiel" not in page
    assert "?edit=" not in html and "?row=" not in html
    assert "Transférer le dossier" not in page and "Demander" not in page
    assert "Accepter" in page
    refused = client_for(bta_worker).post(
        f"/cases/{case.pk}/section/basic_identity/",
        {"stamps": "{}", "name_first": "Autre", "sex": "female", "age": "12",
         "registration_date": "2026-01-15"})
    assert refused.status_code in (403, 422)
    assert read_answers(Case.objects.get(pk=case.pk), get_schema("case"))["name_first"] == "Awa"


def test_an_accepted_referral_edits_only_the_referred_service_row(cast):
    bta_worker, case, row, referral = setup_referral(cast)
    respond_referral(bta_worker, referral, accept=True)
    c = client_for(bta_worker)
    html = c.get(f"/cases/{case.pk}/").content.decode()
    assert f"?row=services:{row}" in html  # her row
    assert "?edit=" not in html  # no section as a whole
    assert "?row=followups:new" in html  # she may add a follow-up
    form = c.get(f"/cases/{case.pk}/section/services_section/?row=services:{row}", **HTMX)
    stamps = html_lib.unescape(re.search(r'name="stamps" value="([^"]*)"',
                                         form.content.decode()).group(1))
    r = c.post(f"/cases/{case.pk}/section/services_section/rows/services/",
               {"stamps": stamps, "_id": row, "service_type": "health",
                "service_notes": "Consultation faite"}, **HTMX)
    assert r.status_code == 200
    stored = read_answers(Case.objects.get(pk=case.pk), get_schema("case"))
    assert stored["services"][0]["service_notes"] == "Consultation faite"


def test_an_outsider_and_a_declined_recipient_are_refused(cast):
    bta_worker, case, _row, referral = setup_referral(cast)
    respond_referral(bta_worker, referral, accept=False, comment="Pas de place")
    for user in (bta_worker, cast.outsider):
        assert client_for(user).get(f"/cases/{case.pk}/").status_code == 404


def referred_without_identity(cast):
    """An accepted referral that shares only the services section."""
    bta_worker = User.objects.create_user("bta.worker", role=Role.objects.get(code="case_worker"),
                                          agency=cast.bta, password=PASSWORD)
    case = make_case(cast.worker, name_first="Zénabou", consent_for_services=True,
                     disclosure_other_orgs=True, services=[{"service_type": "health"}])
    referral = refer(cast.worker, case, to_agency=cast.bta, sections=["services_section"])
    respond_referral(bta_worker, referral, accept=True)
    return bta_worker, case


def test_the_case_list_hides_the_name_when_the_referral_does_not_share_the_identity(cast):
    bta_worker, case = referred_without_identity(cast)
    listed = text_of(client_for(bta_worker).get("/cases/"))
    assert case.short_id in listed and "Zénabou" not in listed
    assert "Zénabou" in text_of(client_for(cast.worker).get("/cases/"))


def test_the_case_page_hides_the_name_when_the_identity_is_not_shared(cast):
    bta_worker, case = referred_without_identity(cast)
    page = text_of(client_for(bta_worker).get(f"/cases/{case.pk}/"))
    assert case.short_id in page and "Zénabou" not in page
