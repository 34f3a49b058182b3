"""Photos and documents through the API: the same rules and checks as the record page."""

from __future__ import annotations

from yiri.attachments.models import Attachment
from yiri.attachments.services import add_attachment
from yiri.cases.services import assign_record

from ..attachments.files import PDF, jpeg_with_gps, photo, upload
from ..conftest import make_case


def test_a_worker_uploads_lists_downloads_and_removes_a_photo(cast, api):
    case = make_case(cast.worker)
    client = api(cast.worker)
    base = f"/api/v1/cases/{case.pk}/attachments/"
    r = client.post(base, {"field": "photos", "file": upload("awa.jpg", jpeg_with_gps())},
                    format="multipart")
    assert r.status_code == 201, r.content
    made = r.json()
    assert made["field"] == "photos" and made["content_type"] == "image/jpeg"
    assert made["has_thumbnail"] and made["uploaded_by"]["username"] == "worker"
    assert [a["id"] for a in client.get(base).json()] == [made["id"]]
    content = client.get(f"{base}{made['id']}/content/", HTTP_ACCEPT="image/jpeg")
    assert content.status_code == 200 and content["Content-Type"] == "image/jpeg"
    assert content["Cache-Control"] == "private, no-store"
    thumb = client.get(f"{base}{made['id']}/content/?thumbnail=1")
    assert thumb.status_code == 200 and len(thumb.content) <= 10_000
    assert client.delete(f"{base}{made['id']}/").status_code == 204
    assert client.get(base).json() == []


def test_a_refused_file_is_a_400_in_french_and_nothing_is_stored(cast, api):
    case = make_case(cast.worker)
    r = api(cast.worker).post(f"/api/v1/cases/{case.pk}/attachments/",
                              {"field": "photos", "file": upload("x.jpg", b"texte " * 100)},
                              format="multipart")
    assert r.status_code == 400
    assert "n'est pas une photo" in r.json()["errors"]["file"][0]
    assert not Attachment.objects.exists()


def test_outsiders_read_only_roles_and_service_providers_get_what_their_role_grants(cast, api):
    case = make_case(cast.worker)
    doc = add_attachment(cast.worker, case, "supporting_documents", upload("acte.pdf", PDF))
    base = f"/api/v1/cases/{case.pk}/attachments/"
    content = f"{base}{doc.pk}/content/"
    assert api(cast.outsider).get(base).status_code == 404
    assert api(cast.outsider).get(content).status_code == 404
    assert api(cast.relay).get(content).status_code == 200
    assert api(cast.relay).post(base, {"field": "photos", "file": photo()},
                                format="multipart").status_code == 403
    assert api(cast.relay).delete(f"{base}{doc.pk}/").status_code == 403
    assign_record(cast.manager, case, cast.provider)
    assert api(cast.provider).get(base).json() == []
    assert api(cast.provider).get(content).status_code == 404
    assert Attachment.objects.filter(removed=False).count() == 1


def test_a_file_over_the_limit_is_a_400_saying_its_size(cast, api, settings):
    settings.YIRI_ATTACHMENT_MAX_MB = 1
    case = make_case(cast.worker)
    r = api(cast.worker).post(f"/api/v1/cases/{case.pk}/attachments/",
                              {"field": "supporting_documents",
                               "file": upload("scan.pdf", PDF + b"0" * 3_000_000)},
                              format="multipart")
    assert r.status_code == 400
    assert r.json()["errors"]["file"][0].startswith("Ce fichier fait 2,9 Mo : 1 Mo au plus")
    assert not Attachment.objects.exists()
