"""The case page's head in a real browser: the workflow bar at 320 px, badges that follow
an in-place save, and a refused workflow action shown where the user is."""

from __future__ import annotations

import re

import pytest

from yiri.workflow.services import request_approval

from ..conftest import make_case
from .test_browser_story import browser, keep_reference_data, story  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser]


def test_the_workflow_bar_wraps_at_320_px_and_marks_the_current_stage(story):  # noqa: F811
    cast, login, base = story
    case = make_case(cast.worker)
    page = login(cast.worker)
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"{base}/cases/{case.pk}/")
    bar = page.locator("ol.stages")
    assert bar.locator('[aria-current="step"]').inner_text().startswith("Nouveau")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    box = bar.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320


def test_the_risk_badge_follows_an_in_place_save(story):  # noqa: F811
    cast, login, base = story
    case = make_case(cast.worker)
    page = login(cast.worker)
    page.goto(f"{base}/cases/{case.pk}/")
    assert page.locator("#record-facts").get_by_text("Risque").count() == 0
    section = page.locator("#sec-protection_concerns")
    section.get_by_role("link", name="Modifier").click()
    section.locator("form").wait_for()
    section.get_by_label("Niveau de risque").select_option("high")
    section.get_by_role("button", name="Enregistrer").click()
    page.locator("#sec-protection_concerns form").wait_for(state="detached")
    assert "Risque : Élevé" in page.locator("#record-facts").inner_text()  # no reload


def test_a_refused_rejection_is_shown_beside_its_comment_in_view(story):  # noqa: F811
    cast, login, base = story
    case = make_case(cast.worker)
    approval = request_approval(cast.worker, case, "assessment")
    page = login(cast.manager)
    page.goto(f"{base}/cases/{case.pk}/")
    page.get_by_role("button", name="Refuser").click()
    page.wait_for_url(re.compile(rf"#decide-{approval.pk}$"))
    error = page.locator(f"#decide-{approval.pk}-error")
    assert "Expliquez le refus" in error.inner_text()
    assert error.is_visible() and error.evaluate(
        "e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }")
    comment = page.get_by_label("Commentaire (obligatoire pour un refus)")
    assert comment.get_attribute("aria-describedby") == f"decide-{approval.pk}-error"
