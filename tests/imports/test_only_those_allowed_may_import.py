"""Who may import what: cases need the "import" right on cases (relay-cell data managers,
administrators), places and organisations ``manage_network``, users ``manage_users``. A
case worker, an outsider or a partner is refused the pages; an import is its uploader's
only (404 for anyone else)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from yiri.cases.models import Case
from yiri.imports.models import ImportBatch
from yiri.imports.services import create_batch, kinds_for

from .data import MAPPING, csv_bytes


def test_the_kinds_each_role_may_import(cast):
    kinds = {name: {k for k, _label in kinds_for(u)} for name, u in cast.everyone.items()}
    assert kinds["admin"] == {"case", "location", "organisation", "user"}
    assert kinds["relay"] == {"case"}
    assert kinds["coordinator"] == {"location", "organisation"}
    for name in ("worker", "colleague", "manager", "provider", "partner", "outsider"):
        assert kinds[name] == set(), name


@pytest.mark.parametrize("who", ["outsider", "worker", "partner", "provider"])
def test_those_without_a_right_are_refused_the_page(client, cast, who):
    client.force_login(getattr(cast, who))
    assert client.get("/imports/").status_code == 403
    r = client.post("/imports/", {"kind": "case", "file": _upload()})
    assert r.status_code == 403
    assert ImportBatch.objects.count() == 0


def test_a_case_worker_cannot_import_cases_through_the_service(cast):
    with pytest.raises(PermissionDenied):
        create_batch(cast.worker, "case", "enfants.csv", csv_bytes())


def test_a_relay_data_manager_imports_cases_but_not_users(client, cast):
    client.force_login(cast.relay)
    page = client.get("/imports/")
    assert page.status_code == 200
    assert b'value="case"' in page.content and b'value="user"' not in page.content
    r = client.post("/imports/", {"kind": "user", "file": _upload()})
    assert r.status_code == 403
    r = client.post("/imports/", {"kind": "case", "file": _upload()})
    assert r.status_code == 302
    assert ImportBatch.objects.get().created_by == cast.relay


def test_an_import_is_its_uploaders_only(client, cast):
    batch = create_batch(cast.admin, "case", "enfants.csv", csv_bytes())
    client.force_login(cast.relay)
    for url in (f"/imports/{batch.pk}/", f"/imports/{batch.pk}/colonnes/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/imports/{batch.pk}/importer/").status_code == 404
    client.force_login(cast.outsider)
    assert client.get(f"/imports/{batch.pk}/").status_code == 403  # no right at all
    assert Case.objects.count() == 0


def test_the_whole_import_through_the_pages(client, cast):
    client.force_login(cast.admin)
    r = client.post("/imports/", {"kind": "case", "file": _upload()})
    batch = ImportBatch.objects.get()
    assert r["Location"] == f"/imports/{batch.pk}/colonnes/"
    form = {f"col-{i}": MAPPING[h] for i, h in enumerate(batch.headers)}
    r = client.post(f"/imports/{batch.pk}/colonnes/", form)
    assert r["Location"] == f"/imports/{batch.pk}/"
    page = client.get(r["Location"]).content.decode()
    assert "Importer 3 lignes" in page
    assert Case.objects.count() == 0
    client.post(f"/imports/{batch.pk}/importer/")
    assert Case.objects.count() == 3
    assert "Import terminé" in client.get(f"/imports/{batch.pk}/").content.decode()


def _upload(data: bytes | None = None, name: str = "enfants.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data or csv_bytes(), content_type="text/csv")
