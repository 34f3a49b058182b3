"""Who may open the dashboard and the indicators, and what each one counts."""

from __future__ import annotations

import re

import pytest

from yiri.cases.models import Case
from yiri.dashboards import queries
from yiri.dashboards.queries import Filters

from ..web.helpers import client_for, text_of
from .data import network_of_cases

PAGES = ["/dashboard/", "/indicators/", "/indicators/indicators.csv", "/indicators/indicators.xlsx"]


@pytest.mark.parametrize("who", ["outsider", "worker", "provider"])
def test_a_role_without_the_reports_right_is_refused_everywhere(cast, who):
    c = client_for(getattr(cast, who))
    for url in PAGES:
        assert c.get(url).status_code == 403, url


def test_someone_signed_out_is_sent_to_the_login_page(client, cast):
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_partner_gets_the_indicators_but_not_the_dashboard(cast):
    c = client_for(cast.partner)
    assert c.get("/dashboard/").status_code == 403
    for url in PAGES[1:]:
        assert c.get(url).status_code == 200, url


def test_the_relay_cell_counts_only_the_cases_of_its_cell(cast):
    network_of_cases(cast)
    seen = Case.objects.visible_to(cast.relay)
    togo = Case.objects.filter(owning_agency=cast.tgo).count()
    assert togo and not seen.filter(owning_agency=cast.tgo).exists()
    data = queries.dashboard(cast.relay, Filters())
    assert data["counts"]["total"] == seen.count() == Case.objects.count() - togo
    agencies = {b.label for s in data["series"] if s.code == "agency" for b in s.bars}
    assert agencies == {"ACE"}
    page = text_of(client_for(cast.relay).get("/dashboard/"))
    assert "TGO" not in page.split("Organisation :")[1].split("Appliquer")[1]


def test_numbers_link_to_the_case_list_behind_them_with_the_period_too(cast):
    network_of_cases(cast)
    c = client_for(cast.coordinator)
    html = c.get("/dashboard/").content.decode()
    assert 'href="/cases/?stage=new"' in html and 'href="/cases/?concern=trafficked"' in html
    assert 'href="/cases/?age=0-5"' in html and f'href="/cases/?agency={cast.ace.pk}"' in html
    # The list behind a number holds that many cases.
    data = queries.dashboard(cast.coordinator, Filters())
    new = next(b.count for s in data["series"] if s.code == "stage" for b in s.bars if b.key == "new")
    listed = text_of(c.get("/cases/?stage=new"))
    assert f"sur {new} " in listed
    filtered = c.get("/dashboard/?date_from=2020-01-01").content.decode()
    assert 'href="/cases/?registered_from=2020-01-01&amp;stage=new"' in filtered


def test_a_bad_filter_is_told_in_french_and_the_page_still_shows(cast):
    c = client_for(cast.coordinator)
    response = c.get("/dashboard/?date_from=2026-05-01&date_to=2026-01-01&region=NOPE")
    assert response.status_code == 200
    page = text_of(response)
    assert "La date de début est après la date de fin." in page
    assert "Dossiers par étape" in page


def test_the_charts_need_no_inline_style_or_script(cast):
    """The Content-Security-Policy blocks both: the charts are SVG with classes only."""
    network_of_cases(cast, n=10)
    for who, url in (("coordinator", "/dashboard/"), ("partner", "/indicators/")):
        html = client_for(getattr(cast, who)).get(url).content.decode()
        assert "<svg" in html and "<title" in html
        assert " style=" not in html and "<style" not in html
        assert not re.search(r"<script(?![^>]*\bsrc=)", html)
        assert not re.search(r"\son[a-z]+=", html)


def test_a_dashboard_link_opens_only_what_the_follower_may_see(cast):
    """The links carry filters, not cases: the partner and the outsider get no case from
    them, and a case worker following a coordinator's link sees only their own cases."""
    network_of_cases(cast)
    data = queries.dashboard(cast.coordinator, Filters())
    link = "/cases/?" + "&".join(f"{k}={v}" for k, v in data["quality"]["no_consent_params"].items())
    assert client_for(cast.partner).get(link).status_code in (403, 404)
    mine = Case.objects.visible_to(cast.worker).filter(consent_for_services=False)
    assert 0 < mine.count() < data["quality"]["no_consent"]
    page = text_of(client_for(cast.worker).get(link))
    assert f"sur {mine.count()}" in page
    outsider = text_of(client_for(cast.outsider).get(link + "&overdue=on&missing=on"))
    assert not any(c.short_id in outsider for c in Case.objects.exclude(owner=cast.outsider))
