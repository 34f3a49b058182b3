"""A large file is checked and imported by background jobs with a progress bar
(``imports/jobs.py``), the job's page leading back to the preview and to the result;
nobody else sees those jobs."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yiri.cases.models import Case
from yiri.imports.models import ImportBatch
from yiri.jobs.models import Job

from ..jobs.helpers import work
from ..web.helpers import client_for
from .data import HEADERS, MAPPING, csv_bytes


@pytest.fixture
def large(settings, tmp_path):
    settings.YIRI_IMPORT_BACKGROUND_BYTES = 0  # every file counts as large here
    settings.YIRI_JOBS_DIR = tmp_path / "jobs"


def job_of(response) -> Job:
    assert response.status_code == 302
    found = re.fullmatch(r"/jobs/(\d+)/", response["Location"])
    assert found, response["Location"]
    return Job.objects.get(pk=int(found.group(1)))


def test_the_preview_and_the_import_run_as_jobs_and_lead_back_to_the_batch(cast, large):
    client = client_for(cast.admin)
    upload = SimpleUploadedFile("registre.csv", csv_bytes(), content_type="text/csv")
    r = client.post("/imports/", {"kind": "case", "file": upload})
    batch = ImportBatch.objects.get()
    assert r["Location"] == f"/imports/{batch.pk}/colonnes/"

    columns = {f"col-{i}": MAPPING[h] for i, h in enumerate(HEADERS)}
    check = job_of(client.post(f"/imports/{batch.pk}/colonnes/", columns))
    assert check.kind == "import_check" and check.owner == cast.admin
    work()
    check.refresh_from_db()
    assert check.status == Job.Status.DONE and check.done == check.total
    page = client.get(f"/jobs/{check.pk}/").content.decode()
    assert f'href="/imports/{batch.pk}/"' in page and "Voir l&#x27;aperçu" in page
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CHECKED and batch.new_rows == 3
    assert Case.objects.count() == 0

    imported = job_of(client.post(f"/imports/{batch.pk}/importer/"))
    assert imported.kind == "import"
    work()
    imported.refresh_from_db()
    assert imported.status == Job.Status.DONE and imported.result["created"] == 3
    assert Case.objects.count() == 3

    # Someone else, even an administrator's peer, does not follow the uploader's batch.
    other = client_for(cast.relay)
    assert other.get(f"/imports/{batch.pk}/").status_code == 404


def test_an_import_job_of_a_batch_with_bad_rows_fails_and_writes_nothing(cast, large):
    client = client_for(cast.admin)
    rows = [["A-9", "Issa", "Zongo", "Masculin", "onze", "2026-02-03", "BF-KAD"]]
    upload = SimpleUploadedFile("registre.csv", csv_bytes(rows), content_type="text/csv")
    client.post("/imports/", {"kind": "case", "file": upload})
    batch = ImportBatch.objects.get()
    columns = {f"col-{i}": MAPPING[h] for i, h in enumerate(HEADERS)}
    job_of(client.post(f"/imports/{batch.pk}/colonnes/", columns))
    work()
    batch.refresh_from_db()
    assert batch.error_rows == 1
    # Forced past the preview: the job refuses, nothing is written.
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.CHECKED)
    failed = job_of(client.post(f"/imports/{batch.pk}/importer/"))
    work()
    failed.refresh_from_db()
    assert failed.status == Job.Status.FAILED and "rien n'a été importé" in failed.error
    assert Case.objects.count() == 0
