"""An export is written only inside an encrypted 7z archive (AES-256); the password the
server drew is shown once to the person who asked, opens the archive, and no other does.
The file can be downloaded once, and both the export and its download are audited."""

from __future__ import annotations

import pytest

from yiri.audit.models import AuditAction, AuditEvent
from yiri.jobs import services
from yiri.jobs.exports import read_archive
from yiri.jobs.models import Job

from ..conftest import make_case
from .helpers import export_through_the_pages, rows_of


def test_the_archive_opens_with_the_shown_password_and_not_with_another(cast, settings, tmp_path):
    settings.YIRI_JOBS_DIR = tmp_path / "jobs"
    case = make_case(cast.worker, name_first="Mariam")
    client, job, password, archive = export_through_the_pages(cast.manager)
    assert job.status == Job.Status.DONE and len(password) == 29
    assert archive.startswith(b"7z\xbc\xaf\x27\x1c") and b"Mariam" not in archive
    (row,) = rows_of(archive, password)
    assert row["Numéro"] == case.short_id and row["Prénom(s)"] == "Mariam"
    for wrong in ("", "ABCD-EFGH-JKLM-NPQR-STUV-WXYZ", password.lower()):
        with pytest.raises(Exception):  # noqa: B017 — py7zr's error depends on the damage
            read_archive(archive, wrong or None)


def test_the_password_is_shown_once_and_the_file_downloaded_once(cast, settings, tmp_path):
    settings.YIRI_JOBS_DIR = tmp_path / "jobs"
    make_case(cast.worker)
    client, job, password, archive = export_through_the_pages(cast.manager)
    assert password and archive
    again = client.get(f"/jobs/{job.pk}/").content.decode()
    assert password not in again and "data-secret" not in again
    assert client.get(f"/jobs/{job.pk}/download/").status_code == 404
    assert "no-store" in client.get(f"/jobs/{job.pk}/")["Cache-Control"]
    assert not list((tmp_path / "jobs").iterdir())


def test_an_expired_archive_is_deleted(cast, settings, tmp_path):
    settings.YIRI_JOBS_DIR = tmp_path / "jobs"
    settings.YIRI_EXPORT_KEEP_HOURS = 0
    make_case(cast.worker)
    client, job, password, archive = export_through_the_pages(cast.manager)
    assert archive == b""  # expired as soon as written
    services.purge_expired()
    assert not list((tmp_path / "jobs").iterdir())
    assert Job.objects.get(pk=job.pk).sealed_secret == ""


def test_the_export_and_its_download_are_audited_without_names(cast, settings, tmp_path):
    settings.YIRI_JOBS_DIR = tmp_path / "jobs"
    make_case(cast.worker, name_first="Mariam")
    export_through_the_pages(cast.manager, fmt="xlsx", lang="en")
    events = list(AuditEvent.objects.filter(action=AuditAction.EXPORT, user=cast.manager)
                  .order_by("id"))
    assert [e.details.get("step", "export") for e in events] == ["export", "download"]
    assert events[0].details["count"] == 1 and events[0].details["format"] == "xlsx"
    assert events[0].details["encrypted"] == "7z-aes256"
    assert "Mariam" not in str([e.details for e in events])
