"""In a real browser the Content-Security-Policy blocks nothing of Yiri's own: the case
page (htmx edits), the print page, the API docs and an export (its job's polled progress
bar, its password and download) work without a single violation."""

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


def test_enrolling_a_phone_and_confirming_identity_run_under_the_policy(story, browser):  # noqa: F811
    import re

    from ..conftest import PASSWORD, enrolled_device, totp_code
    from ..jobs.helpers import work
    from .test_browser_story import totp_from_secret

    cast, _login, base = story
    make_case(cast.worker)
    ctx = browser.new_context(locale="fr-FR")
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    refused = watch(page)
    page.goto(f"{base}/login/")
    page.get_by_label("Nom d'utilisateur").fill("manager")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/2fa/setup/$"))
    assert page.locator(".qr svg").bounding_box()["width"] > 100  # the QR code is drawn
    secret = page.locator("#secret").inner_text().replace(" ", "")
    page.get_by_label("Code").fill(totp_from_secret(secret))
    page.get_by_role("button", name="Activer").click()
    page.wait_for_url(re.compile(r"/2fa/recovery-codes/$"))
    assert page.locator("#recovery-codes li").count() == 10
    page.locator("#codes-noted").click()
    page.wait_for_url(f"{base}/")
    # Later, the export asks for the password and code again.
    page.goto(f"{base}/reauth/?next=/cases/export.csv")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_label("Code de l'application d'authentification").fill(
        totp_code(enrolled_device(cast.manager)))
    page.get_by_role("button", name="Confirmer").click()
    page.wait_for_url(re.compile(r"/cases/export/$"))
    page.get_by_label("CSV (séparateur « ; »)").check()
    page.get_by_role("button", name="Préparer l'export").click()
    page.wait_for_url(re.compile(r"/jobs/\d+/$"))
    work()  # the worker the server would start (tests/jobs/helpers.py)
    # The page's progress bar, polled, turns into the password and the download link.
    page.locator("[data-secret]").wait_for(timeout=20_000)
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Télécharger")).click()
    assert download.value.suggested_filename.endswith(".7z")
    ctx.close()
    assert refused == []
