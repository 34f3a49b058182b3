"""Queueing, running and following background jobs (see the package's docstring)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Job

log = logging.getLogger(__name__)

__all__ = ["KINDS", "JobFailed", "Progress", "enqueue", "execute", "jobs_dir", "may_see",
           "refresh", "register", "run_here", "purge_expired", "attach_file", "label_of",
           "file_path", "discard_file", "take_secret"]

# A running job that has not reported progress for this long is taken as dead (when its
# process cannot be checked: another machine).
STALE_AFTER = dt.timedelta(hours=2)
# A queued job no worker took for this long is given up.
QUEUED_STALE_AFTER = dt.timedelta(days=1)
# Progress is written to the database at most this often (and always at the end).
WRITE_EVERY = 0.5
HOST = socket.gethostname()[:100]


class JobFailed(Exception):
    """A job stops; its message (French) is shown on the job's page."""


@dataclass(frozen=True)
class Kind:
    name: str
    path: str  # dotted path of ``fn(job, progress) -> dict | None``
    label: str


KINDS: dict[str, Kind] = {}


def register(name: str, path: str, label) -> None:
    """Declare a kind of job: ``path`` names ``fn(job, progress)``, imported when run."""
    KINDS[name] = Kind(name, path, label)


register("export", "yiri.jobs.exports.run", gettext_lazy("Export de dossiers"))
register("dedupe", "yiri.matching.jobs.run_job", gettext_lazy("Recherche de doublons"))
register("import_check", "yiri.imports.jobs.check",
         gettext_lazy("Vérification d'un fichier à importer"))
register("import", "yiri.imports.jobs.run", gettext_lazy("Import d'un fichier"))
register("reencrypt", "yiri.cases.reencrypt.run_job",
         gettext_lazy("Rechiffrement des données au repos"))


def label_of(job: Job) -> str:
    kind = KINDS.get(job.kind)
    return str(kind.label) if kind else job.kind


def jobs_dir() -> Path:
    path = Path(getattr(settings, "YIRI_JOBS_DIR", None) or settings.DATA_DIR / "jobs")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


class Progress:
    """``progress(done, total, message="")``: what a job calls as it goes. Written to the
    job's row (at most every ``WRITE_EVERY`` seconds, and whenever the message changes or
    the work is done), and drawn by ``printer`` when the job runs in a terminal."""

    def __init__(self, job: Job, printer: Callable[[int, int, str], None] | None = None):
        self.job = job
        self.printer = printer
        self._last = 0.0
        self._message = None

    def __call__(self, done: int, total: int, message: str = "") -> None:
        done, total, message = max(0, int(done)), max(0, int(total)), str(message)[:200]
        self.job.done, self.job.total, self.job.message = done, total, message
        now = time.monotonic()
        if now - self._last >= WRITE_EVERY or message != self._message or done >= total:
            Job.objects.filter(pk=self.job.pk).update(
                done=done, total=total, message=message, heartbeat_at=timezone.now())
            self._last, self._message = now, message
        if self.printer is not None:
            self.printer(done, total, message)


def enqueue(kind: str, params: dict, user) -> Job:
    """A new job of ``kind`` for ``user``, queued; it runs in a worker process. ``params``
    must be JSON (codes and filters: no names, no free text — the row is not encrypted)."""
    from . import tasks, worker

    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    json.dumps(params)
    purge_expired()
    with transaction.atomic():
        job = Job.objects.create(kind=kind, params=params,
                                 owner=user if getattr(user, "is_authenticated", False) else None)
        result = tasks.run_job.enqueue(job.pk)
        Job.objects.filter(pk=job.pk, task_id="").update(task_id=str(result.id)[:64])
        transaction.on_commit(worker.ensure)
    job.refresh_from_db()
    return job


def run_here(kind: str, params: dict, user=None, *, printer=None) -> Job:
    """Run a job of ``kind`` now in this process (a management command), its progress
    drawn by ``printer``; returns the finished job."""
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job.objects.create(kind=kind, params=params,
                             owner=user if getattr(user, "is_authenticated", False) else None)
    execute(job.pk, printer=printer)
    job.refresh_from_db()
    return job


def execute(job_id: int, *, printer=None) -> None:
    """Run job ``job_id`` if it is still queued (a job is run once, whichever worker takes
    it first), recording its end."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=now, heartbeat_at=now, host=HOST, pid=os.getpid())
    if not claimed:
        return
    job = Job.objects.get(pk=job_id)
    progress = Progress(job, printer)
    try:
        kind = KINDS.get(job.kind)
        if kind is None:
            raise JobFailed(_("Ce type de travail n'existe pas sur ce serveur."))
        result = import_string(kind.path)(job, progress) or {}
    except JobFailed as exc:
        _fail(job_id, str(exc))
        return
    except Exception as exc:  # noqa: BLE001 — shown on the page, never a silent failure
        log.error("Travail %s (%s) : échec (%s)", job_id, job.kind, exc.__class__.__name__)
        _fail(job_id, _("Le travail s'est arrêté sur une erreur inattendue (%(kind)s). "
                        "Réessayez ; si cela se répète, prévenez l'administrateur.")
              % {"kind": exc.__class__.__name__})
        return
    job.refresh_from_db(fields=["done", "total"])
    total = job.total or job.done
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.DONE, finished_at=timezone.now(), heartbeat_at=timezone.now(),
        result=result, done=total, total=total)


def _fail(job_id: int, message: str) -> None:
    Job.objects.filter(pk=job_id, finished_at__isnull=True).update(
        status=Job.Status.FAILED, finished_at=timezone.now(), error=message)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def refresh(job: Job) -> Job:
    """``job`` as it stands, a job whose process died recorded as failed (so it is never
    shown running for ever)."""
    if job.finished:
        return job
    now = timezone.now()
    dead = False
    if job.status == Job.Status.RUNNING:
        if job.host == HOST and job.pid and not _pid_alive(job.pid):
            dead = True
        elif (job.heartbeat_at or job.created_at) < now - STALE_AFTER:
            dead = True
    elif job.created_at < now - QUEUED_STALE_AFTER:
        dead = True
    if dead:
        _fail(job.pk, _("Le travail s'est arrêté sans finir : son processus a disparu (serveur "
                        "redémarré ou ordinateur éteint ?). Relancez-le."))
        job.refresh_from_db()
    return job


def may_see(user, job: Job) -> bool:
    """The job's owner, and the administrators (who see its progress, not its file)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return job.owner_id == user.pk or user.is_superuser or user.can("manage_users", "system")


def attach_file(job: Job, path: Path, download_name: str, *, keep: dt.timedelta,
                secret: str = "") -> None:
    """Record that ``job`` wrote ``path`` (in ``jobs_dir()``), kept for ``keep`` at most,
    with ``secret`` (a password) to show its owner once."""
    from .secret import seal

    Job.objects.filter(pk=job.pk).update(
        file_name=path.name, download_name=download_name,
        sealed_secret=seal(job.pk, secret) if secret else "",
        expires_at=timezone.now() + keep)


def file_path(job: Job) -> Path | None:
    if not job.file_name:
        return None
    path = jobs_dir() / job.file_name
    return path if path.is_file() else None


def discard_file(job: Job) -> None:
    path = jobs_dir() / job.file_name if job.file_name else None
    if path is not None:
        path.unlink(missing_ok=True)
    Job.objects.filter(pk=job.pk).update(file_name="", sealed_secret="")
    job.file_name = job.sealed_secret = ""


def purge_expired() -> int:
    """Delete the files of jobs past their keeping time; returns how many."""
    n = 0
    for job in Job.objects.filter(expires_at__lt=timezone.now()).exclude(file_name=""):
        discard_file(job)
        n += 1
    Job.objects.filter(expires_at__lt=timezone.now()).exclude(sealed_secret="").update(
        sealed_secret="")
    # The task queue's finished rows (a job id each) are not kept past a week: the job's
    # own row says what happened.
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.finished().filter(
        finished_at__lt=timezone.now() - dt.timedelta(days=7)).delete()
    return n


def take_secret(job: Job) -> str:
    """The job's secret, once: emptied in the database as it is read."""
    from .secret import unseal

    with transaction.atomic():
        row = Job.objects.select_for_update().filter(pk=job.pk).values_list(
            "sealed_secret", flat=True).first()
        if not row:
            return ""
        Job.objects.filter(pk=job.pk).update(sealed_secret="")
    return unseal(job.pk, row)
