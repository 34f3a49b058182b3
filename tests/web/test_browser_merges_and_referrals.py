"""In a real browser: two tabs editing one case keep both people's changes and show a
clash on one field with both values; a referral's recipient sees and writes only what was
referred (issue 6, defects 1 and 2)."""

from __future__ import annotations

import re

import pytest

from yiri.cases.identity import read_answers
from yiri.cases.models import Case
from yiri.formconfig.schema import get_schema
from yiri.workflow.services import refer

from ..conftest import make_case
from .test_browser_story import browser, keep_reference_data, shot, story  # noqa: F401

pytestmark = [pytest.mark.browser]


def stored(case) -> dict:
    return read_answers(Case.objects.get(pk=case.pk), get_schema("case"))


def open_assessment(page, base, case):
    page.goto(f"{base}/cases/{case.pk}/")
    section = page.locator("#sec-assessment")
    section.get_by_role("link", name="Modifier").click()
    section.locator("form").wait_for()
    return section


def save(page, section):
    section.get_by_role("button", name="Enregistrer").click()


def test_two_tabs_keep_both_changes_and_show_a_clash_with_both_values(story):  # noqa: F811
    cast, login, base = story
    case = make_case(cast.worker)
    mariam, aminata = login(cast.worker), login(cast.manager)

    # Different fields of the same section, from the same read: both survive.
    tab1, tab2 = open_assessment(mariam, base, case), open_assessment(aminata, base, case)
    tab1.get_by_label("Synthèse de l'évaluation").fill("Enfant retirée d'un site d'orpaillage.")
    tab2.get_by_label("Avis et souhaits de l'enfant").fill("Retourner à l'école.")
    save(mariam, tab1)
    mariam.locator("#sec-assessment form").wait_for(state="detached")
    save(aminata, tab2)
    aminata.locator("#sec-assessment form").wait_for(state="detached")
    answers = stored(case)
    assert answers["assessment_summary"] == "Enfant retirée d'un site d'orpaillage."
    assert answers["child_wishes"] == "Retourner à l'école."

    # The same field changed in both tabs: the second save is refused, both values shown.
    tab1, tab2 = open_assessment(mariam, base, case), open_assessment(aminata, base, case)
    tab1.get_by_label("Synthèse de l'évaluation").fill("Version de Mariam.")
    tab2.get_by_label("Synthèse de l'évaluation").fill("Version d'Aminata.")
    save(mariam, tab1)
    mariam.locator("#sec-assessment form").wait_for(state="detached")
    save(aminata, tab2)
    error = aminata.locator("#f-assessment-assessment_summary-err")
    error.wait_for()
    assert "Version de Mariam." in error.inner_text()
    assert "Version d'Aminata." in error.inner_text()
    field = aminata.get_by_label("Synthèse de l'évaluation")
    assert field.input_value() == "Version d'Aminata."  # what she typed is still there
    assert "assessment_summary-err" in field.get_attribute("aria-describedby")
    shot(aminata, "20-conflict-both-values")
    assert stored(case)["assessment_summary"] == "Version de Mariam."
    # Saving again is her choice, made knowingly.
    save(aminata, aminata.locator("#sec-assessment"))
    aminata.locator("#sec-assessment form").wait_for(state="detached")
    assert stored(case)["assessment_summary"] == "Version d'Aminata."


def test_a_referral_recipient_sees_and_writes_only_what_was_referred(story):  # noqa: F811
    cast, login, base = story
    case = make_case(cast.worker, consent_for_services=True, disclosure_other_orgs=True,
                     services=[{"service_type": "health"}, {"service_type": "legal"}],
                     assessment_summary="Très confidentiel")
    rows = [r["_id"] for r in stored(case)["services"]]
    refer(cast.worker, case, to_agency=cast.bta, to_user=cast.provider, service_row_id=rows[0])

    provider = login(cast.provider)
    provider.goto(f"{base}/cases/{case.pk}/")
    assert "Très confidentiel" not in provider.content()
    assert provider.get_by_role("link", name=re.compile("^Modifier")).count() == 0
    shot(provider, "21-referral-pending-recipient")
    provider.get_by_role("button", name="Accepter").click()
    provider.get_by_text("Accepté.").wait_for()

    # Only the referred service's row can be changed; no section as a whole.
    edit_links = provider.get_by_role("link", name=re.compile("^Modifier"))
    assert edit_links.count() == 1
    services = provider.locator("#sec-services_section")
    services.locator(f"#row-{rows[0]}").get_by_role("link", name=re.compile("^Modifier")).click()
    services.locator("form").wait_for()
    services.get_by_label("Observations").fill("Consultation faite au CSPS.")
    services.get_by_role("button", name="Enregistrer").click()
    provider.locator("#sec-services_section form").wait_for(state="detached")
    assert "Consultation faite" in provider.locator("#sec-services_section").inner_text()
    assert provider.get_by_text("Transférer le dossier").count() == 0
    shot(provider, "22-referral-accepted-recipient")
    answers = stored(case)
    assert answers["services"][0]["service_notes"] == "Consultation faite au CSPS."
    assert "service_notes" not in answers["services"][1]
