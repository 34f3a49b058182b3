"""A link that drops while saving loses nothing typed (Debian's chromium through Playwright).

The page is loaded, then the browser goes offline (``context.set_offline``) before the
worker saves a section (htmx) or registers a child (a plain form, sent by fetch when
JavaScript runs). The save says, next to the form and to a screen reader, that it could not
reach the server; what was typed stays on the page; "Réessayer" sends it again once the
link is back. Nothing personal is kept in browser storage on the way.
"""

from __future__ import annotations

import re

import pytest

from yiri.cases.models import Case

from ..conftest import make_case
from .helpers import client_for
from .test_browser_story import shot

# Records every value aria-busy takes on the forms of the page, to see the save announced.
WATCH_BUSY = """
window.busySeen = [];
new MutationObserver(function (records) {
  records.forEach(function (r) { window.busySeen.push(r.target.getAttribute("aria-busy")); });
}).observe(document.body, {attributes: true, attributeFilter: ["aria-busy"], subtree: true});
"""


def stored_in_browser(page) -> str:
    """Everything the page's scripts put in localStorage and sessionStorage. htmx keeps
    the current path there (ids only, never names: URLs carry no personal data)."""
    return page.evaluate("""() => [localStorage, sessionStorage].map(s => Object.keys(s).map(
        k => k + "=" + s.getItem(k)).join("\\n")).join("\\n")""")


def nothing_typed_is_stored(page, *typed: str) -> bool:
    stored = stored_in_browser(page)
    assert page.evaluate("htmx.config.historyCacheSize") == 0  # no copies of whole pages
    return not any(value in stored for value in typed)


@pytest.mark.browser
def test_a_section_saved_while_offline_keeps_what_was_typed_and_goes_through_on_retry(story):
    cast, login, base = story
    case = make_case(cast.worker)
    worker = login(cast.worker)
    worker.goto(f"{base}/cases/{case.pk}/")
    section = worker.locator("#sec-assessment")
    section.get_by_role("link", name="Modifier").click()
    section.locator("form").wait_for()
    section.get_by_label("Date de la demande d'évaluation").fill("2026-02-02")
    summary = "Enfant retirée d'un site d'orpaillage, suivie par l'école."
    section.get_by_label("Synthèse de l'évaluation").fill(summary)
    worker.evaluate(WATCH_BUSY)

    worker.context.set_offline(True)
    section.get_by_role("button", name="Enregistrer").click()
    alert = section.get_by_role("alert")
    alert.wait_for()
    assert "connexion" in alert.inner_text().lower()
    assert section.get_by_label("Synthèse de l'évaluation").input_value() == summary
    assert section.get_by_label("Date de la demande d'évaluation").input_value() == "2026-02-02"
    form = section.locator("form")
    assert "true" in worker.evaluate("window.busySeen")
    assert form.get_attribute("aria-busy") in (None, "false")
    assert nothing_typed_is_stored(worker, summary, "2026-02-02")
    shot(worker, "offline-1-section-save-failed")

    worker.context.set_offline(False)
    section.get_by_role("button", name="Réessayer").click()
    worker.locator("#sec-assessment form").wait_for(state="detached")
    assert "orpaillage" in worker.locator("#sec-assessment").inner_text()
    assert worker.locator("#sec-assessment").get_by_role("alert").count() == 0
    worker.reload()
    assert "orpaillage" in worker.locator("#sec-assessment").inner_text()
    assert nothing_typed_is_stored(worker, summary, "orpaillage")


@pytest.mark.browser
def test_a_child_registered_while_offline_keeps_the_form_and_is_registered_on_retry(story):
    cast, login, base = story
    worker = login(cast.worker)
    worker.get_by_role("link", name="Rechercher", exact=True).click()
    worker.get_by_label("Nom de l'enfant").fill("Fatou Sawadogo")
    worker.get_by_label("Sexe").select_option("female")
    worker.get_by_role("button", name="Rechercher").click()
    worker.get_by_role("button", name="Enregistrer un nouvel enfant").click()
    form_url = worker.url
    worker.get_by_label("Âge (en années)").fill("14")
    worker.get_by_label("Date d'enregistrement").fill("2026-02-01")
    worker.get_by_label("Localité actuelle").fill("BF-KAD")
    worker.get_by_role("group", name="Consentement pour bénéficier de services").get_by_label("Oui").check()
    worker.evaluate(WATCH_BUSY)

    worker.context.set_offline(True)
    worker.get_by_role("button", name="Enregistrer", exact=True).click()
    alert = worker.locator("main form + .save-failed").get_by_role("alert")
    alert.wait_for()
    assert "connexion" in alert.inner_text().lower()
    # Still the form, not the browser's "no internet" page, with everything typed.
    assert worker.url == form_url
    assert worker.get_by_label(re.compile(r"^Prénom\(s\)")).input_value() == "Fatou"
    assert worker.get_by_label("Nom de famille").input_value() == "Sawadogo"
    assert worker.get_by_label("Âge (en années)").input_value() == "14"
    assert worker.get_by_role("group", name="Consentement pour bénéficier de services").get_by_label(
        "Oui").is_checked()
    assert "true" in worker.evaluate("window.busySeen")
    assert worker.locator("form[aria-busy=true]").count() == 0
    assert Case.objects.count() == 0
    assert nothing_typed_is_stored(worker, "Fatou", "Sawadogo", "2026-02-01")
    shot(worker, "offline-2-registration-failed")

    worker.context.set_offline(False)
    worker.get_by_role("button", name="Réessayer").click()
    worker.wait_for_url(re.compile(r"/cases/[0-9a-f-]+/$"))
    case = Case.objects.get()
    assert case.short_id in worker.locator("main").inner_text()
    assert "Sawadogo" in worker.locator("main").inner_text()
    assert nothing_typed_is_stored(worker, "Fatou", "Sawadogo", "2026-02-01")
    # The case page shown after the save works as if loaded: its sections open in place.
    section = worker.locator("#sec-assessment")
    section.get_by_role("link", name="Modifier").click()
    section.locator("form").wait_for()


def test_every_page_carries_the_translated_failure_message_and_the_registration_opts_in(cast):
    worker = client_for(cast.worker)
    html = worker.post("/cases/new/", {"prefill_name_first": "Awa"}).content.decode()
    assert 'id="save-failed"' in html and "Connexion perdue" in html and "Réessayer" in html
    assert "web/saves." in html and "data-fetch-submit" in html
    english = worker.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Connection lost" in english and "Try again" in english
