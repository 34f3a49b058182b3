"""In a real browser: a photo uploaded to a case and shown as a thumbnail, then the case
file printed to PDF by Chromium (kept under artifacts/, not committed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from yiri.attachments.models import Attachment

from ..attachments.files import jpeg_with_gps
from ..conftest import make_case

# The browser, the live server and the logged-in pages of the story (fixtures by name).
from .test_browser_story import browser, keep_reference_data, story  # noqa: F401

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

pytestmark = [pytest.mark.browser]


def test_a_photo_is_uploaded_shown_as_a_thumbnail_and_the_case_file_printed_to_pdf(story):  # noqa: F811
    cast, login, base = story
    case = make_case(cast.worker)
    worker = login(cast.worker)
    worker.goto(f"{base}/cases/{case.pk}/")

    # The upload is a plain form: choose the file, send it, come back to the section.
    worker.set_input_files("#att-photos-file", files=[{
        "name": "photo_awa.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps()}])
    worker.locator("#att-photos").get_by_role("button", name="Envoyer le fichier").click()
    worker.wait_for_url(re.compile(r"/cases/[0-9a-f-]+/#att-photos$"))
    att = Attachment.objects.get()
    thumb = worker.locator(f'#att-{att.pk} img')
    thumb.wait_for()
    assert thumb.evaluate("img => img.decode().then(() => img.naturalWidth)") == 160  # served and decoded
    assert worker.get_by_text("Fichier ajouté.").is_visible()
    (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
    worker.locator("#sec-photos_documents").screenshot(
        path=str(ARTIFACTS / "screenshots" / "20-photo-thumbnail.png"))

    # Print: the link opens the print view; Chromium prints it to a PDF.
    worker.get_by_role("link", name=re.compile("^Imprimer")).click()
    worker.wait_for_url(f"{base}/cases/{case.pk}/print/")
    assert worker.get_by_text("Confidentiel", exact=True).is_visible()
    printed_thumb = worker.locator(f'img[src$="/attachments/{att.pk}/thumbnail/"]')
    assert printed_thumb.evaluate("img => img.decode().then(() => img.naturalWidth)") == 160
    worker.emulate_media(media="print")
    assert not worker.get_by_text("Retour au dossier").is_visible()  # screen-only help
    worker.screenshot(path=str(ARTIFACTS / "screenshots" / "21-printed-case-file.png"),
                      full_page=True)
    pdf = ARTIFACTS / "case-file.pdf"
    worker.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 5_000
