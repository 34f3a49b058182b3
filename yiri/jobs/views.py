"""The pages of background jobs: a person's jobs, one job with its progress bar (polled
by htmx), its file to download (once), and the export form of the case list.

A job is seen by its owner and by the administrators (progress and outcome); its file and
its password only by its owner. Anyone else gets a 404, as for a job that does not exist.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from yiri.accounts.reauth import require_recent_auth
from yiri.audit.models import AuditAction
from yiri.audit.services import record_event

from . import exports, services, worker
from .models import Job

RECENT = 30


def _job_for(request: HttpRequest, pk: int) -> Job:
    job = Job.objects.filter(pk=pk).select_related("owner").first()
    if job is None or not services.may_see(request.user, job):
        raise Http404
    job = services.refresh(job)
    if job.status == Job.Status.QUEUED:
        worker.ensure()  # queued before a restart of the server: a worker takes it now
    return job


def _context(request: HttpRequest, job: Job) -> dict:
    mine = job.owner_id == request.user.pk
    secret = ""
    if mine and job.status == Job.Status.DONE and job.sealed_secret:
        secret = services.take_secret(job)  # shown this once
    if mine and job.finished and job.seen_at is None:
        Job.objects.filter(pk=job.pk).update(seen_at=timezone.now())
    return {"job": job, "label": services.label_of(job), "mine": mine, "secret": secret,
            "running": not job.finished,
            "has_file": mine and services.file_path(job) is not None}


@login_required
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    services.purge_expired()
    jobs = [services.refresh(j) for j in Job.objects.filter(owner=request.user)[:RECENT]]
    Job.objects.filter(owner=request.user, seen_at__isnull=True,
                       status__in=[Job.Status.DONE, Job.Status.FAILED]).update(seen_at=timezone.now())
    return render(request, "jobs/list.html", {
        "jobs": [(j, services.label_of(j)) for j in jobs]})


@login_required
@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    services.purge_expired()
    job = _job_for(request, pk)
    return render(request, "jobs/detail.html", _context(request, job))


@login_required
@require_GET
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    return render(request, "jobs/_progress.html", _context(request, job))


@login_required
@require_GET
def job_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's file, to its owner only, once: deleted as it is sent."""
    job = _job_for(request, pk)
    if job.owner_id != request.user.pk:
        raise Http404
    path = services.file_path(job)
    if path is None or (job.expires_at and job.expires_at < timezone.now()):
        raise Http404
    data = path.read_bytes()
    services.discard_file(job)
    Job.objects.filter(pk=job.pk).update(downloaded_at=timezone.now())
    record_event(AuditAction.EXPORT, user=request.user, request=request, step="download",
                 job=job.pk, size=len(data))
    response = HttpResponse(data, content_type="application/x-7z-compressed")
    response["Content-Disposition"] = f'attachment; filename="{job.download_name or "export.7z"}"'
    response["Cache-Control"] = "no-store"
    return response


FILTER_KEYS = sorted(exports._FILTER_KEYS)


@login_required
@require_http_methods(["GET", "POST"])
def export_start(request: HttpRequest) -> HttpResponse:
    """The case list's export: format and language, then a job (identity confirmed again
    within the last minutes first, ``accounts/reauth.py``)."""
    user = request.user
    if not user.can("view", "case"):
        raise Http404
    if not user.can("export", "case"):
        raise PermissionDenied(_("Votre rôle ne permet pas d'exporter."))
    return _export_start(request)


@require_recent_auth
def _export_start(request: HttpRequest) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    filters = {k: source[k] for k in FILTER_KEYS if source.get(k)}
    if request.method == "POST":
        fmt = request.POST.get("format", "csv")
        lang = request.POST.get("lang", "fr")
        if fmt not in exports.FORMATS or lang not in exports.LANGUAGES:
            return render(request, "jobs/export.html", {
                "filters": filters, "error": _("Choisissez un format (CSV ou XLSX) et une langue.")},
                status=400)
        job = exports.start(request.user, filters, fmt, lang)
        return redirect("job_detail", job.pk)
    return render(request, "jobs/export.html", {"filters": filters})
