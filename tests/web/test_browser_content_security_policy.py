"""In a real browser the Content-Security-Policy blocks nothing of Yiri's own: the case
page (htmx edits), the print page and the API docs work without a single violation."""

from __future__ import annotations

import pytest

from ..conftest import make_case
from .test_browser_story import browser, keep_reference_data, story  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser]


def watch(page) -> list[str]:
    refused: list[str] = []
    page.on("console", lambda m: refused.append(f"{page.url}: {m.text}")
            if "Content Security Policy" in m.text else None)
    return refused


def test_the_pages_and_the_api_docs_run_under_the_policy(story):  # noqa: F811
    cast, login, base = story
    case = make_case(cast.worker)
    page = login(cast.worker)
    refused = watch(page)
    page.goto(f"{base}/cases/{case.pk}/")
    section = page.locator("#sec-protection_concerns")
    section.get_by_role("link", name="Modifier").click()
    section.locator("form").wait_for()  # htmx swapped the form in
    page.goto(f"{base}/cases/{case.pk}/print/")
    page.goto(f"{base}/api/docs/")
    page.locator(".opblock").first.wait_for()  # Swagger UI ran and drew the operations
    assert refused == []
