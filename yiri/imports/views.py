"""The import pages, for the roles allowed to import something (``kinds.Kind.right``):

- ``/imports/``: the user's imports and the upload form (kind, file);
- ``/imports/<id>/colonnes/``: which field each column fills (remembered for the
  organisation and these columns); saving it checks every row (the preview);
- ``/imports/<id>/``: the preview (bad rows with their line and reason, rows already
  imported, likely duplicates) and "Importer", or the result.

A batch is its uploader's only: anyone else gets a 404. The preview and the import of a
large file run as background jobs with a progress bar (``imports/jobs.py``); a small
file's, in the request.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from yiri.jobs.services import enqueue

from . import jobs, services
from .kinds import kind_of
from .models import ImportBatch


def _require_some_right(user) -> list[tuple[str, str]]:
    kinds = services.kinds_for(user)
    if not kinds:
        raise PermissionDenied(_("Votre rôle ne permet pas d'importer."))
    return kinds


@login_required
@require_http_methods(["GET", "POST"])
def imports(request: HttpRequest) -> HttpResponse:
    kinds = _require_some_right(request.user)
    if request.method == "POST":
        upload = request.FILES.get("file")
        kind = request.POST.get("kind", "")
        if upload is None:
            messages.error(request, _("Choisissez un fichier CSV ou XLSX."))
        else:
            try:
                batch = services.create_batch(request.user, kind, upload.name, upload.read())
            except services.ImportRefused as exc:
                messages.error(request, str(exc))
            else:
                return redirect("imports_mapping", batch.pk)
    batches = ImportBatch.objects.filter(created_by=request.user).defer("sealed_file")[:20]
    return render(request, "imports/imports.html", {"kinds": kinds, "batches": batches})


@login_required
@require_http_methods(["GET", "POST"])
def mapping(request: HttpRequest, batch_id) -> HttpResponse:
    _require_some_right(request.user)
    batch = services.access_batch(request.user, batch_id)
    if batch.status in (ImportBatch.Status.DONE, ImportBatch.Status.RUNNING):
        return redirect("imports_batch", batch.pk)
    targets = kind_of(batch.kind).targets()
    chosen = batch.mapping
    if request.method == "POST":
        chosen = {h: request.POST.get(f"col-{i}", "") for i, h in enumerate(batch.headers)}
        try:
            services.set_mapping(request.user, batch, chosen)
            if jobs.in_background(batch):
                return redirect("job_detail", enqueue("import_check", {"batch": str(batch.pk)},
                                                      request.user).pk)
            services.check_batch(batch)
        except services.ImportRefused as exc:
            messages.error(request, str(exc))
        else:
            return redirect("imports_batch", batch.pk)
    columns = [{"index": i, "header": h, "chosen": chosen.get(h, "")}
               for i, h in enumerate(batch.headers)]
    return render(request, "imports/mapping.html", {
        "batch": batch, "columns": columns, "targets": targets,
        "required": [t for t in targets if t.required]})


@login_required
def batch_page(request: HttpRequest, batch_id) -> HttpResponse:
    _require_some_right(request.user)
    batch = services.access_batch(request.user, batch_id)
    if batch.status == ImportBatch.Status.UPLOADED:
        return redirect("imports_mapping", batch.pk)
    return render(request, "imports/batch.html", {
        "batch": batch, "more_errors": batch.error_rows - len(batch.errors)})


@login_required
@require_POST
def run(request: HttpRequest, batch_id) -> HttpResponse:
    _require_some_right(request.user)
    batch = services.access_batch(request.user, batch_id)
    if jobs.in_background(batch) and batch.status == ImportBatch.Status.CHECKED:
        return redirect("job_detail", enqueue("import", {"batch": str(batch.pk)}, request.user).pk)
    try:
        services.run_import(batch)
    except services.ImportRefused as exc:
        messages.error(request, str(exc))
    else:
        if batch.status == ImportBatch.Status.DONE:
            messages.success(request, _("Import terminé : %(n)d créé(s), %(s)d déjà présent(s).")
                             % {"n": batch.created_count, "s": batch.skipped_rows})
        else:
            messages.error(request, batch.message)
    return redirect("imports_batch", batch.pk)
