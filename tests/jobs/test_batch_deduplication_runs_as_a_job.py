"""The batch deduplication started from its page runs as a background job: a worker takes
the queued run, its progress reaches its total, a run whose process died is closed as
failed; its command draws the jobs' progress bar. (The re-encryption of ``keys rotate
--data``, a job too, is tested in tests/cases/test_data_key_rotation.py.)"""

from __future__ import annotations

import io
import subprocess

from django.core.management import call_command
from django.utils import timezone

from yiri.jobs import services
from yiri.jobs.models import Job
from yiri.matching import jobs as dedupe_jobs
from yiri.matching.models import DedupeRun

from ..matching.test_dedupe_job import planted  # noqa: F401 - the fixture
from ..web.helpers import client_for
from .helpers import work


def test_a_run_started_on_the_page_is_queued_then_taken_by_the_worker(cast, planted):  # noqa: F811
    client = client_for(cast.relay)
    client.post("/doublons/lancer/")
    run = DedupeRun.objects.get()
    job = Job.objects.get(kind="dedupe")
    assert (job.params, job.owner, job.status) == ({"run": run.pk}, cast.relay, Job.Status.QUEUED)
    work()
    run.refresh_from_db()
    job.refresh_from_db()
    assert run.status == DedupeRun.Status.DONE and run.pairs_found >= 1
    assert job.status == Job.Status.DONE and job.done == job.total
    assert job.result["pairs_found"] == run.pairs_found


def test_a_run_whose_job_died_is_closed_and_another_can_start(cast, planted):  # noqa: F811
    run = dedupe_jobs.start_run(cast.relay, spawn=True)
    proc = subprocess.Popen(["true"])
    proc.wait()
    Job.objects.filter(kind="dedupe").update(status=Job.Status.RUNNING, host=services.HOST,
                                             pid=proc.pid, heartbeat_at=timezone.now())
    assert dedupe_jobs.current() is None
    run.refresh_from_db()
    assert run.status == DedupeRun.Status.FAILED and "sans finir" in run.error
    assert dedupe_jobs.start_run(cast.coordinator).pk != run.pk


def test_the_command_draws_the_job_progress_bar(cast, planted):  # noqa: F811
    out = io.StringIO()
    call_command("matching", "dedupe", stdout=out)
    assert "(100 %) enregistrement des paires" in out.getvalue()
    assert Job.objects.get(kind="dedupe").status == Job.Status.DONE
