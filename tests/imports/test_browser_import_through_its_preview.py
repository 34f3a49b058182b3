"""In a real browser: an administrator uploads a register with a bad row, maps its
columns, sees the bad row's line and reason in the preview with nothing written, uploads
the corrected file (the columns chosen are remembered), previews again and imports."""

from __future__ import annotations

import re

import pytest

from yiri.cases.models import Case

from ..web.test_browser_story import browser, keep_reference_data, story  # noqa: F401
from .data import ROWS, csv_bytes

pytestmark = [pytest.mark.browser]

BAD = ROWS + [["A-4", "Issa", "Zongo", "Masculin", "onze", "2026-02-03", "BF-KAD"]]
FIXED = ROWS + [["A-4", "Issa", "Zongo", "Masculin", "11", "2026-02-03", "BF-KAD"]]


def upload(page, data: bytes) -> None:
    page.get_by_label("Ce que contient le fichier").select_option("case")
    page.get_by_label("Fichier (CSV ou XLSX)").set_input_files(
        {"name": "registre.csv", "mimeType": "text/csv", "buffer": data})
    page.get_by_role("button", name="Déposer").click()
    page.wait_for_url(re.compile(r"/imports/[0-9a-f-]+/colonnes/$"))


def test_an_import_through_its_preview_in_a_browser(story):  # noqa: F811
    cast, login, base = story
    page = login(cast.admin)
    page.get_by_role("link", name="Imports", exact=True).click()
    upload(page, csv_bytes(BAD))

    # Most columns are recognised by their header; the register's number is chosen.
    assert page.get_by_label("Colonne « Prénom »").input_value() == "name_first"
    page.get_by_label("Colonne « N° »").select_option("@external_id")
    page.get_by_label("Colonne « Nom »").select_option("name_last")
    page.get_by_label("Colonne « Localité »").select_option("location_current")
    page.get_by_role("button", name="Vérifier le fichier").click()
    page.wait_for_url(re.compile(r"/imports/[0-9a-f-]+/$"))
    errors = page.locator("#import-errors")
    assert "5" in errors.locator("tbody th").first.inner_text()
    assert "Colonne « Âge »" in errors.inner_text()
    assert page.get_by_role("button", name=re.compile("^Importer")).count() == 0
    assert Case.objects.count() == 0

    # The corrected file: the columns come back as chosen.
    page.get_by_role("link", name="Déposer le fichier corrigé").click()
    upload(page, csv_bytes(FIXED))
    assert page.get_by_label("Colonne « N° »").input_value() == "@external_id"
    page.get_by_role("button", name="Vérifier le fichier").click()
    page.get_by_role("button", name="Importer 4 lignes").click()
    page.get_by_text("Import terminé").first.wait_for()
    assert page.locator("#rows-created").inner_text() == "4"
    assert Case.objects.count() == 4
