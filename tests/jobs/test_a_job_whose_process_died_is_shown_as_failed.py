"""A job whose process is gone (the server or the laptop was stopped) is shown and
recorded as failed with a French message, never as running for ever."""

from __future__ import annotations

import datetime as dt
import os
import subprocess

from django.utils import timezone

from yiri.jobs import services
from yiri.jobs.models import Job

from ..web.helpers import client_for


def a_dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_a_running_job_whose_process_is_gone_is_failed(cast):
    job = Job.objects.create(kind="export", owner=cast.manager, status=Job.Status.RUNNING,
                             host=services.HOST, pid=a_dead_pid(), done=5, total=10,
                             started_at=timezone.now(), heartbeat_at=timezone.now())
    page = client_for(cast.manager).get(f"/jobs/{job.pk}/progress/").content.decode()
    assert "arrêté sans finir" in page and "hx-trigger" not in page
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.finished_at is not None


def test_a_running_job_of_another_machine_silent_for_hours_is_failed(cast):
    long_ago = timezone.now() - services.STALE_AFTER - dt.timedelta(minutes=1)
    job = Job.objects.create(kind="export", owner=cast.manager, status=Job.Status.RUNNING,
                             host="un-autre-serveur", pid=os.getpid(), heartbeat_at=long_ago)
    assert services.refresh(job).status == Job.Status.FAILED


def test_a_job_running_in_a_live_process_stays_running(cast):
    job = Job.objects.create(kind="export", owner=cast.manager, status=Job.Status.RUNNING,
                             host=services.HOST, pid=os.getpid(), heartbeat_at=timezone.now())
    assert services.refresh(job).status == Job.Status.RUNNING
