"""The preview and the import of a large file as background jobs (``yiri/jobs``).

A file larger than ``settings.YIRI_IMPORT_BACKGROUND_BYTES`` (200 KB by default: about
2,000 rows of cases) is checked and imported by a job, with its progress bar, instead of
inside the request: at 100,000 rows the import takes minutes (docs/imports.md), past any
web server's patience. (Its size is known at once; its rows only once read.)
Smaller files are handled in the request, as before. Either way the same
``services.check_batch`` / ``services.run_import`` run; the job's page links back to the
batch's page (preview or result).
"""

from __future__ import annotations

from django.conf import settings
from django.db.models.functions import Length
from django.urls import reverse
from django.utils.translation import gettext as _

from yiri.jobs.services import JobFailed

from . import services
from .models import ImportBatch

# The two kinds are declared in ``yiri.jobs.services`` (loaded by every worker).


def in_background(batch: ImportBatch) -> bool:
    """Whether the file is large: its size measured by the database (the sealed file,
    megabytes for a big register, is not read for that)."""
    size = (ImportBatch.objects.filter(pk=batch.pk).annotate(size=Length("sealed_file"))
            .values_list("size", flat=True).first())
    return (size or 0) > settings.YIRI_IMPORT_BACKGROUND_BYTES


def _batch_of(job) -> ImportBatch:
    batch = ImportBatch.objects.filter(pk=(job.params or {}).get("batch")).first()
    if batch is None or batch.created_by_id != job.owner_id:
        raise JobFailed(_("Ce fichier d'import n'existe plus."))
    return batch


def _link(batch: ImportBatch, label: str) -> dict:
    return {"url": reverse("imports_batch", args=[batch.pk]), "link": label}


def check(job, progress) -> dict:
    batch = _batch_of(job)
    try:
        services.check_batch(batch, progress)
    except services.ImportRefused as exc:
        raise JobFailed(str(exc)) from None
    return {**_link(batch, _("Voir l'aperçu")), "rows": batch.total_rows,
            "errors": batch.error_rows}


def run(job, progress) -> dict:
    batch = _batch_of(job)
    try:
        services.run_import(batch, progress)
    except services.ImportRefused as exc:
        raise JobFailed(str(exc)) from None
    if batch.status != ImportBatch.Status.DONE:
        raise JobFailed(batch.message or _("Rien n'a été importé."))
    return {**_link(batch, _("Voir le résultat")), "created": batch.created_count,
            "skipped": batch.skipped_rows}
