"""A job's page is its owner's: an administrator sees its progress and outcome but not
its password nor its file; anyone else gets a 404, as for a job that does not exist."""

from __future__ import annotations

from django.test import Client

from yiri.jobs import exports

from ..conftest import make_case
from ..web.helpers import client_for
from .helpers import PASSWORD_RE, work


def test_an_outsider_or_a_colleague_cannot_see_nor_download_someone_elses_job(cast, settings, tmp_path):
    settings.YIRI_JOBS_DIR = tmp_path / "jobs"
    make_case(cast.worker)
    job = exports.start(cast.manager, {}, "csv", "fr")
    work()
    for user in (cast.outsider, cast.worker, cast.coordinator):
        client = client_for(user)
        for url in (f"/jobs/{job.pk}/", f"/jobs/{job.pk}/progress/", f"/jobs/{job.pk}/download/"):
            assert client.get(url).status_code == 404, (user.username, url)
        assert f"/jobs/{job.pk}/" not in client.get("/jobs/").content.decode()
    assert Client().get(f"/jobs/{job.pk}/").status_code == 302  # to the login page
    # Still whole for its owner.
    owner = client_for(cast.manager)
    assert PASSWORD_RE.search(owner.get(f"/jobs/{job.pk}/").content.decode())
    assert owner.get(f"/jobs/{job.pk}/download/").status_code == 200


def test_an_administrator_sees_the_progress_but_not_the_password_nor_the_file(cast, settings, tmp_path):
    settings.YIRI_JOBS_DIR = tmp_path / "jobs"
    make_case(cast.worker)
    job = exports.start(cast.manager, {}, "csv", "fr")
    work()
    admin = client_for(cast.admin)
    page = admin.get(f"/jobs/{job.pk}/").content.decode()
    assert "Terminé le" in page and not PASSWORD_RE.search(page) and "/download/" not in page
    assert admin.get(f"/jobs/{job.pk}/download/").status_code == 404
    assert PASSWORD_RE.search(client_for(cast.manager).get(f"/jobs/{job.pk}/").content.decode())
