"""The record page's header badges (stage, status, risk, urgent, consent) follow an
in-place (htmx) section save without a reload."""

from __future__ import annotations

import re

from ..conftest import make_case
from .helpers import client_for

HTMX = {"HTTP_HX_REQUEST": "true"}


def _oob_facts(html: str) -> str:
    match = re.search(r'<ul[^>]*id="record-facts"[^>]*>.*?</ul>', html, flags=re.S)
    assert match, "no header facts in the answer"
    assert 'hx-swap-oob="true"' in match.group(0)
    return match.group(0)


def test_risk_and_urgent_badges_follow_an_htmx_save(cast):
    case = make_case(cast.worker)
    c = client_for(cast.worker)
    r = c.post(f"/cases/{case.pk}/section/protection_concerns/", {
        "version": case.version, "risk_level": "high", "urgent_protection_concern": "true",
    }, **HTMX)
    assert r.status_code == 200
    facts = _oob_facts(r.content.decode())
    assert "Élevé" in facts and "Urgent" in facts


def test_the_consent_badge_follows_an_htmx_save(cast):
    case = make_case(cast.worker)
    c = client_for(cast.worker)
    page = c.get(f"/cases/{case.pk}/").content.decode()
    assert "Pas de consentement au partage" in page
    r = c.post(f"/cases/{case.pk}/section/consent/", {
        "version": case.version, "consent_for_services": "true", "disclosure_other_orgs": "true",
    }, **HTMX)
    facts = _oob_facts(r.content.decode())
    assert "Partage autorisé" in facts


def test_a_plain_section_view_does_not_replace_the_header(cast):
    case = make_case(cast.worker)
    r = client_for(cast.worker).get(f"/cases/{case.pk}/section/protection_concerns/", **HTMX)
    assert 'id="record-facts"' not in r.content.decode()


def test_the_full_page_has_one_set_of_header_facts(cast):
    case = make_case(cast.worker)
    html = client_for(cast.worker).get(f"/cases/{case.pk}/").content.decode()
    assert html.count('id="record-facts"') == 1
