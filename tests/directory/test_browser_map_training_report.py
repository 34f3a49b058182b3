"""In a real browser: the national coordination finds a telecentre on the offline map,
opens its page, records a training with three participants and sees them counted in
the report of people trained."""

from __future__ import annotations

import re

import pytest

from yiri.directory.models import Participant

from ..web.test_browser_story import shot
from .data import Directory

pytestmark = [pytest.mark.browser]


def test_find_a_telecentre_on_the_map_record_a_training_and_see_it_in_the_report(story):
    cast, login, _base = story
    directory = Directory(cast)
    page = login(cast.coordinator)
    page.get_by_role("link", name="Annuaire", exact=True).click()
    page.get_by_role("link", name="Carte", exact=True).click()
    point = page.locator("svg.map a[aria-label='Télécentre communautaire de Tanghin']")
    point.wait_for()
    assert page.locator("svg.map path.map-region").count() >= 13  # the regions, drawn offline
    shot(page, "directory-map")
    point.click()
    page.wait_for_url(re.compile(rf"/directory/sites/{directory.telecentre.pk}/$"))
    assert page.get_by_role("heading", name="Télécentre communautaire de Tanghin").is_visible()

    page.get_by_role("link", name="Formations", exact=True).click()
    page.get_by_role("link", name="Enregistrer une formation").click()
    page.get_by_label("Intitulé").fill("Atelier transmission des données")
    page.get_by_label("Transmission des données").check()
    page.get_by_label("Sécurité informatique et des données").check()
    page.get_by_label("Début").fill("2026-03-02")
    page.get_by_label("Bailleur").fill("Fonds d'appui fictif")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(re.compile(r"/directory/trainings/[0-9a-f-]{36}/$"))

    page.get_by_label("Profil de l'annuaire").select_option(label="Mariam Kaboré (Télécentre communautaire de Tanghin)")
    page.get_by_role("button", name="Ajouter", exact=True).click()
    for name, site in (("Awa Sanou", "Action Enfance"),
                       ("Koffi Mensah", "Télécentre communautaire de Tanghin")):
        page.get_by_label("Ou nom (sans profil)").fill(name)
        page.locator("#id_site").select_option(label=site)
        page.get_by_role("button", name="Ajouter", exact=True).click()
        page.wait_for_load_state()
    table = page.locator("#participants tbody")
    for name in ("Mariam Kaboré", "Awa Sanou", "Koffi Mensah"):
        assert table.get_by_text(name).is_visible()
    assert Participant.objects.filter(attended=True).count() == 3
    shot(page, "directory-training")

    page.get_by_role("link", name="Personnes formées", exact=True).click()
    assert page.locator("#total-trained").inner_text() == "3"
    themes = page.locator("#by-theme")
    assert themes.locator("tr", has_text="Transmission des données").locator("td").inner_text() == "3"
    assert page.locator("#by-region tr", has_text="Centre").locator("td").inner_text() == "3"
    assert page.locator("#by-month tr", has_text="2026-03").locator("td").inner_text() == "3"
    assert page.locator("svg.chart").count() >= 3
    shot(page, "directory-report")
