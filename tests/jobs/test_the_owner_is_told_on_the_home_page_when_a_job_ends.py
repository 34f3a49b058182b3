"""When a background job ends, its owner finds it on the home page (a link to its page)
until she opened it; nobody else is told."""

from __future__ import annotations

from yiri.jobs import exports

from ..conftest import make_case
from ..web.helpers import client_for
from .helpers import work


def test_a_finished_export_is_announced_to_its_owner_until_opened(cast, settings, tmp_path):
    settings.YIRI_JOBS_DIR = tmp_path / "jobs"
    make_case(cast.worker)
    job = exports.start(cast.manager, {}, "csv", "fr")
    owner = client_for(cast.manager)
    assert "Travaux terminés" not in owner.get("/").content.decode()  # still queued
    work()
    home = owner.get("/").content.decode()
    assert "Travaux terminés" in home and f"/jobs/{job.pk}/" in home
    assert f"/jobs/{job.pk}/" not in client_for(cast.coordinator).get("/").content.decode()
    owner.get(f"/jobs/{job.pk}/")
    assert "Travaux terminés" not in owner.get("/").content.decode()
