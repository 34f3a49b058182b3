"""At 320 px wide (WCAG 1.4.10, reflow) no page scrolls sideways: wide tables scroll inside
their own box, which a keyboard user can focus and scroll (Debian's chromium)."""

from __future__ import annotations

import pytest

from yiri.cases.models import Case
from yiri.cases.services import create_record, update_record

from ..conftest import make_case
from .test_browser_story import shot

pytestmark = [pytest.mark.browser]

SCROLL_WIDTH = "document.documentElement.scrollWidth"


def narrow(page) -> None:
    page.set_viewport_size({"width": 320, "height": 640})


def test_no_page_scrolls_sideways_at_320_px(story):
    cast, login, base = story
    case = make_case(cast.worker, name_first="Awa-Mariétou-Fatoumata",
                     name_last="Ouédraogo-Sawadogo-Kaboré")
    long_text = "Enfant retirée d'un site d'orpaillage de la commune, " * 6
    update_record(cast.worker, case, {"assessment_summary": long_text,
                                      "assessment_requested_on": "2026-02-02"}, section="assessment")
    update_record(cast.worker, Case.objects.get(pk=case.pk),
                  {"assessment_summary": long_text + " Suivie par l'école."}, section="assessment")
    create_record(cast.worker, "incident", {
        "incident_date": "2026-01-10", "incident_type": ["trafficking"], "survivor_age": 14,
        "survivor_sex": "female", "incident_location": "BF-KAD"})
    page = login(cast.worker)
    narrow(page)
    for path in ("/", "/cases/", f"/cases/{case.pk}/", f"/cases/{case.pk}/history/",
                 "/incidents/", "/search/"):
        page.goto(f"{base}{path}")
        assert page.evaluate(SCROLL_WIDTH) <= 320, path


def test_the_history_table_scrolls_in_its_own_focusable_labelled_box(story):
    cast, login, base = story
    case = make_case(cast.worker)
    long_text = "Enfant retirée d'un site d'orpaillage de la commune, " * 6
    update_record(cast.worker, case, {"assessment_summary": long_text}, section="assessment")
    page = login(cast.worker)
    narrow(page)
    page.goto(f"{base}/cases/{case.pk}/history/")
    box = page.get_by_role("region", name="Historique des modifications")
    assert box.get_attribute("tabindex") == "0"
    assert box.locator("table").count() == 1
    assert box.evaluate("el => getComputedStyle(el).overflowX") == "auto"
    assert box.evaluate("el => el.scrollWidth > el.clientWidth")  # it does scroll, inside
    box.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("el => el.scrollLeft > 0", arg=box.element_handle())
    shot(page, "narrow-320-history")
