"""Every seeded role gets a home page that shows what it can do, and no link on it leads
to a refusal."""

from __future__ import annotations

import re

import pytest

from yiri.accounts.roles import SEEDED_ROLES
from yiri.cases.services import update_record
from yiri.workflow.services import complete_referral, refer, request_approval, respond_referral

from ..conftest import make_case
from .helpers import client_for, text_of

USER_OF_ROLE = {"administrator": "admin", "manager": "manager", "case_worker": "worker",
                "service_provider": "provider", "relay_data_manager": "relay",
                "national_coordinator": "coordinator", "partner_viewer": "partner"}


def _network_at_work(cast):
    """Cases in the Centre region with an approval waiting, a live referral and a finished
    one (whose recipient keeps a notification but no longer sees the case)."""
    cases = [make_case(cast.worker, consent_for_services=True, disclosure_other_orgs=True)
             for _ in range(3)]
    request_approval(cast.worker, cases[0], "assessment")
    refer(cast.worker, cases[1], to_agency=cast.bta)
    done = update_record(cast.worker, cases[2], {"services": [{"service_type": "health"}]})
    finished = refer(cast.worker, done, to_agency=cast.bta,
                     service_row_id=done.data["services"][0]["_id"])
    respond_referral(cast.provider, finished, accept=True)
    complete_referral(cast.provider, finished)
    return cases


def _internal_links(html: str) -> set[str]:
    links = set()
    for href in re.findall(r'href="([^"]+)"', html):
        href = href.replace("&amp;", "&").split("#")[0]
        if href.startswith("/") and not href.startswith("//") and href:
            links.add(href)
    return links


def test_every_seeded_role_has_a_user_in_this_test():
    assert set(SEEDED_ROLES) == set(USER_OF_ROLE)


@pytest.mark.parametrize("role", sorted(USER_OF_ROLE))
def test_no_link_on_a_roles_home_page_leads_to_a_refusal(cast, role):
    _network_at_work(cast)
    user = getattr(cast, USER_OF_ROLE[role])
    assert user.role.code == role
    if role == "administrator":  # as the demo's admin: the administration link shows too
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    c = client_for(user)
    home = c.get("/")
    assert home.status_code == 200
    links = _internal_links(home.content.decode())
    assert links, "a home page with nowhere to go"
    for link in sorted(links):
        status = c.get(link).status_code
        assert status not in (403, 404), f"{role}: {link} answers {status}"


def test_the_relay_cell_sees_its_regions_cases_by_status_recent_changes_and_exports(cast):
    cases = _network_at_work(cast)
    page = text_of(client_for(cast.relay).get("/"))
    assert "Dossiers par région et par statut" in page and "Centre" in page
    assert "Dernières modifications" in page and cases[0].short_id in page
    assert "Exporter les dossiers (CSV ou XLSX chiffré)" in page
    assert "Organisations membres (1)" in page and "Action Enfance" in page
    assert "Mes tâches" not in page and "Tous mes dossiers" not in page


def test_the_national_coordinator_sees_counts_and_the_member_organisations(cast):
    _network_at_work(cast)
    page = text_of(client_for(cast.coordinator).get("/"))
    assert "Dossiers par région et par statut" in page
    assert "Organisations membres (3)" in page
    for name in ("Action Enfance", "Bureau Traite Alerte", "Togo Enfants"):
        assert name in page
    assert "Approbations à donner" not in page


def test_the_partner_sees_aggregated_counts_only(cast):
    cases = _network_at_work(cast)
    for _ in range(3):
        make_case(cast.colleague)
    r = client_for(cast.partner).get("/")
    html, page = r.content.decode(), text_of(r)
    assert "Nombre de dossiers par région et par statut" in page
    assert "Centre" in page and "arrondis" in page
    assert "5" in page.split("Centre", 1)[1][:80]  # six open cases, rounded to 5
    for case in cases:
        assert case.short_id not in page
    assert "Awa" not in page and "Ouédraogo" not in page
    assert "/cases/" not in html and "/incidents/" not in html


def test_small_counts_are_hidden_from_the_partner(cast):
    make_case(cast.worker)
    page = text_of(client_for(cast.partner).get("/"))
    assert "moins de 5" in page.split("Centre", 1)[1][:80]


def test_the_service_provider_keeps_the_notification_of_a_finished_referral_without_a_link(cast):
    cases = _network_at_work(cast)
    html = client_for(cast.provider).get("/").content.decode()
    assert f"/cases/{cases[2].pk}/" not in html
    assert f"Le dossier {cases[2].short_id} vous a été orienté." in text_of(client_for(cast.provider).get("/"))
