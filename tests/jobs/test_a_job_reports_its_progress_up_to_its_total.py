"""A job writes how far it went into its row as it runs (the page's bar reads it), up to
its total, and draws the same progress in a terminal for the commands."""

from __future__ import annotations

import io

from django.core.management.base import OutputWrapper

from yiri.jobs import Bar, exports
from yiri.jobs.models import Job
from yiri.jobs.services import run_here

from ..conftest import make_case
from ..web.helpers import client_for
from .helpers import work


def test_an_export_job_reaches_its_total_and_the_page_shows_it_done(cast, settings, tmp_path):
    settings.YIRI_JOBS_DIR = tmp_path / "jobs"
    for n in range(3):
        make_case(cast.worker, name_first=f"Enfant{n}")
    job = exports.start(cast.manager, {}, "csv", "fr")
    page = client_for(cast.manager).get(f"/jobs/{job.pk}/progress/").content.decode()
    assert "hx-trigger=\"every 1s\"" in page and "<progress" in page  # queued: polled
    work()
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.percent) == (Job.Status.DONE, 3, 3, 100)
    page = client_for(cast.manager).get(f"/jobs/{job.pk}/progress/").content.decode()
    assert "hx-trigger" not in page and 'value="100"' in page and "3 dossiers exportés" in page


def test_a_command_draws_the_progress_in_the_terminal(cast, settings, tmp_path):
    settings.YIRI_JOBS_DIR = tmp_path / "jobs"
    for n in range(3):
        make_case(cast.worker, name_first=f"Enfant{n}")
    out = io.StringIO()
    job = run_here("export", {"record_type": "case", "filters": {}, "format": "csv",
                              "lang": "fr"}, cast.manager, printer=Bar(OutputWrapper(out)))
    assert job.status == Job.Status.DONE and job.done == job.total == 3
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("[------------------------------] 0/3 (0 %)")
    assert lines[-1] == "[##############################] 3/3 (100 %) Lignes écrites"


def test_a_bar_on_a_terminal_is_redrawn_in_place():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    out = Tty()
    bar = Bar(out)
    bar(1, 4, "Lecture")
    bar(4, 4, "Lecture")
    assert out.getvalue() == ("\r[#######-----------------------] 1/4 (25 %) Lecture"
                              "\r[##############################] 4/4 (100 %) Lecture\n")


def test_the_export_command_writes_the_archive_and_prints_its_password_once(cast, settings, tmp_path):
    from django.core.management import call_command

    from .helpers import rows_of

    settings.YIRI_JOBS_DIR = tmp_path / "jobs"
    case = make_case(cast.worker, risk_level="high")
    make_case(cast.worker, risk_level="low")
    out = io.StringIO()
    call_command("jobs", "export", "--user", "manager", "--output", str(tmp_path / "x.7z"),
                 "--format", "csv", "--filter", "risk=high", stdout=out)
    text = out.getvalue()
    password = text.rsplit(": ", 1)[1].strip()
    assert "1/1 (100 %)" in text
    assert [r["Numéro"] for r in rows_of((tmp_path / "x.7z").read_bytes(), password)] == [case.short_id]
    assert not list((tmp_path / "jobs").iterdir())
