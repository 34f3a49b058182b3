"""Photos and documents on the record page: added with a plain form (no JavaScript),
shown as thumbnails served by a checked view, refused with a message next to the file
input, and never served to whoever may not read them."""

from __future__ import annotations

import re

from yiri.attachments.models import Attachment
from yiri.attachments.services import add_attachment
from yiri.audit.models import AuditEvent
from yiri.cases.services import assign_record

from ..attachments.files import PDF, photo, upload
from ..conftest import make_case
from .helpers import client_for, text_of

NAME = "Awa_Ouedraogo_Kaya.jpg"


def urls(case, att) -> dict[str, str]:
    base = f"/cases/{case.pk}/attachments/{att.pk}/"
    return {"file": base, "thumbnail": f"{base}thumbnail/", "remove": f"{base}remove/"}


def test_a_photo_is_added_without_javascript_and_shown_as_a_thumbnail(cast):
    case = make_case(cast.worker)
    c = client_for(cast.worker)
    r = c.post(f"/cases/{case.pk}/attachments/", {"field": "photos", "file": photo(NAME)})
    assert r.status_code == 302 and r["Location"].endswith(f"/cases/{case.pk}/#att-photos")
    att = Attachment.objects.get()
    page = c.get(f"/cases/{case.pk}/").content.decode()
    assert f'<img src="{urls(case, att)["thumbnail"]}"' in page
    assert NAME in page and "Fichier ajouté." in page
    thumb = c.get(urls(case, att)["thumbnail"])
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert thumb.content.startswith(b"\xff\xd8")


def test_files_are_served_private_uncached_unsniffed_and_documents_downloaded(cast):
    case = make_case(cast.worker)
    doc = add_attachment(cast.worker, case, "supporting_documents",
                         upload("acte_naissance_Awa.pdf", PDF))
    pic = add_attachment(cast.worker, case, "photos", photo(NAME))
    c = client_for(cast.worker)
    r = c.get(urls(case, doc)["file"])
    assert r.status_code == 200 and r.content == PDF and r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"].startswith("attachment;")
    for response in (r, c.get(urls(case, pic)["file"]), c.get(urls(case, pic)["thumbnail"])):
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "private, no-store"
        assert "sandbox" in response["Content-Security-Policy"]
        assert "Awa" not in response["Content-Disposition"]  # named by record, not by upload
    assert c.get(urls(case, doc)["thumbnail"]).status_code == 404  # a PDF has none


def test_a_refused_file_is_explained_next_to_its_input_and_nothing_is_stored(cast):
    case = make_case(cast.worker)
    c = client_for(cast.worker)
    r = c.post(f"/cases/{case.pk}/attachments/",
               {"field": "photos", "file": upload("photo.jpg", b"pas une image\n" * 20)})
    assert r.status_code == 422
    html = r.content.decode()
    assert re.search(r'id="att-photos-file"[^>]*aria-describedby="att-photos-err', html)
    assert 'aria-invalid="true"' in html
    assert "n'est pas une photo" in text_of(r)
    assert not Attachment.objects.exists()
    r = c.post(f"/cases/{case.pk}/attachments/", {"field": "photos"})
    assert r.status_code == 422 and "Choisissez un fichier." in text_of(r)


def test_a_file_is_removed_from_the_page_and_the_row_is_kept(cast):
    case = make_case(cast.worker)
    att = add_attachment(cast.worker, case, "photos", photo(NAME))
    c = client_for(cast.worker)
    r = c.post(urls(case, att)["remove"])
    assert r.status_code == 302
    att.refresh_from_db()
    assert att.removed and att.removed_by == cast.worker
    assert NAME not in c.get(f"/cases/{case.pk}/").content.decode()
    assert c.get(urls(case, att)["file"]).status_code == 404


def test_outsiders_are_refused_every_attachment_url(cast):
    case = make_case(cast.worker)
    att = add_attachment(cast.worker, case, "photos", photo(NAME))
    c = client_for(cast.outsider)
    assert c.get(urls(case, att)["file"]).status_code == 404
    assert c.get(urls(case, att)["thumbnail"]).status_code == 404
    assert c.post(urls(case, att)["remove"]).status_code == 404
    assert c.post(f"/cases/{case.pk}/attachments/",
                  {"field": "photos", "file": photo()}).status_code == 404
    assert Attachment.objects.filter(removed=False).count() == 1


def test_a_read_only_role_downloads_but_is_offered_no_form_and_refused_an_upload(cast):
    case = make_case(cast.worker)
    att = add_attachment(cast.worker, case, "photos", photo(NAME))
    c = client_for(cast.relay)
    page = c.get(f"/cases/{case.pk}/").content.decode()
    assert urls(case, att)["thumbnail"] in page
    assert 'type="file"' not in page and "Retirer" not in page
    assert c.get(urls(case, att)["file"]).status_code == 200
    assert c.post(f"/cases/{case.pk}/attachments/",
                  {"field": "photos", "file": photo()}).status_code == 403
    assert c.post(urls(case, att)["remove"]).status_code == 403
    assert Attachment.objects.filter(removed=False).count() == 1


def test_a_service_provider_who_cannot_read_the_photos_section_gets_not_found(cast):
    case = make_case(cast.worker)
    att = add_attachment(cast.worker, case, "photos", photo(NAME))
    assign_record(cast.manager, case, cast.provider)
    c = client_for(cast.provider)
    page = c.get(f"/cases/{case.pk}/").content.decode()
    assert "Photos de l" not in page and str(att.pk) not in page
    for url in (urls(case, att)["file"], urls(case, att)["thumbnail"]):
        assert c.get(url).status_code == 404
    assert c.post(f"/cases/{case.pk}/attachments/",
                  {"field": "photos", "file": photo()}).status_code == 404


def test_no_file_name_reaches_a_url_or_the_audit_log(cast):
    case = make_case(cast.worker)
    c = client_for(cast.worker)
    c.post(f"/cases/{case.pk}/attachments/", {"field": "photos", "file": photo(NAME)})
    att = Attachment.objects.get()
    c.get(urls(case, att)["file"])
    page = c.get(f"/cases/{case.pk}/").content.decode()
    assert not [u for u in re.findall(r'(?:href|src|action)="([^"]+)"', page) if "Awa_" in u]
    assert "Awa" not in str(list(AuditEvent.objects.values_list("details", flat=True)))


def test_the_photos_section_is_not_a_text_box_any_more(cast):
    case = make_case(cast.worker)
    c = client_for(cast.worker)
    page = c.get(f"/cases/{case.pk}/section/photos_documents/?edit=1").content.decode()
    assert 'name="photos"' not in page and 'type="file"' in page


def test_a_file_over_the_limit_is_dropped_while_it_arrives_and_refused_with_its_size(
        cast, settings, tmp_path):
    settings.YIRI_ATTACHMENT_MAX_MB = 1
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100_000  # anything kept would be spooled here
    case = make_case(cast.worker)
    c = client_for(cast.worker)
    r = c.post(f"/cases/{case.pk}/attachments/",
               {"field": "supporting_documents", "file": upload("scan.pdf", PDF + b"0" * 3_000_000)})
    assert r.status_code == 422
    assert "Ce fichier fait 2,9 Mo : 1 Mo au plus sont acceptés." in text_of(r)
    assert not Attachment.objects.exists() and not list(tmp_path.iterdir())
