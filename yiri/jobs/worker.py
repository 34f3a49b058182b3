"""A worker process started by the server itself when a job is queued (an office laptop
runs ``run.sh`` only): ``manage.py db_worker --batch`` takes every queued task, then
exits. One at a time per server process; when it ends with jobs still queued (queued just
as it was leaving), another is started. ``YIRI_JOBS_START_WORKER=0``: a worker of its own
runs on this node (``manage.py db_worker``), nothing is started here."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection

_lock = threading.Lock()
_proc: subprocess.Popen | None = None
# A worker that failed (exit code not 0) is not started again before this many seconds: a
# page polling a queued job does not start one a second.
RETRY_AFTER = 60.0
_failed_at = 0.0


def command() -> list[str]:
    return [sys.executable, "-m", "django", "db_worker", "--batch", "--no-startup-delay",
            "--no-reload"]


def ensure() -> None:
    global _proc
    if not getattr(settings, "YIRI_JOBS_START_WORKER", True):
        return
    with _lock:
        if _proc is not None and _proc.poll() is None:
            return
        if _proc is not None and _proc.returncode and time.monotonic() - _failed_at < RETRY_AFTER:
            return
        _proc = subprocess.Popen(
            command(), env={**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE},
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        proc = _proc
    threading.Thread(target=_reap, args=(proc,), name="yiri-jobs-worker", daemon=True).start()


def _reap(proc: subprocess.Popen) -> None:
    """When the worker ends: its jobs left running are failed (``refresh``), and a job
    queued meanwhile gets a new worker."""
    global _failed_at
    code = proc.wait()
    if code:
        _failed_at = time.monotonic()
    try:
        from .models import Job
        from .services import refresh

        for job in Job.objects.filter(status=Job.Status.RUNNING, pid=proc.pid):
            refresh(job)
        if code == 0 and Job.objects.filter(status=Job.Status.QUEUED).exists():
            ensure()
    finally:
        close_old_connections()
        connection.close()
