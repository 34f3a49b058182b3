"""Exports of selected cases as background jobs (issue 11, item 3).

``start(user, filters, fmt, lang)`` queues an export of the cases of the case list's
filters (``web.listing``) that ``user`` may see, with the columns of the fields the role
may read (``cases.export.Plan``: scope and field rights), as CSV (the French spreadsheet
dialect of ``cases.export``) or XLSX, headed by the form's labels in French or English.

The file is written only inside a 7z archive encrypted with AES-256 (7-Zip's own format:
the key is stretched from the password by 2^19 rounds of SHA-256, file names encrypted
too; it opens in 7-Zip, PeaZip, Keka, and Windows 11's explorer), under a password the
server draws at random (24 characters from 32 unambiguous ones: 120 bits, nothing to
guess offline). The password is shown once to the job's owner on its page; until then it
is sealed in the job's row with a key derived from the server's secret key, and emptied
as it is shown; it is never written in clear, nor logged. The archive is deleted once
downloaded, or after ``YIRI_EXPORT_KEEP_HOURS``. Each export is audited (count, format,
language, columns: no name), and so is its download.

An erasure reaches the exports not yet downloaded (issue 9, item 11): its execution on
this node deletes every archive waiting (``discard_waiting``: an archive cannot be
opened to take one child out), and an export running meanwhile throws its file away
rather than keep what it read before the erasure. Their owners export again.
"""

from __future__ import annotations

import datetime as dt
import io
import secrets
import uuid

import py7zr
from django.conf import settings
from django.http import QueryDict
from django.utils import translation
from django.utils.translation import gettext as _

from yiri.audit.models import AuditAction
from yiri.audit.services import record_event

from .models import Job
from .services import JobFailed, attach_file, discard_file, enqueue, jobs_dir

FORMATS = ("csv", "xlsx")
LANGUAGES = ("fr", "en")
PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
PASSWORD_GROUPS, GROUP_LENGTH = 6, 4


def new_password() -> str:
    return "-".join("".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(GROUP_LENGTH))
                    for _ in range(PASSWORD_GROUPS))


def start(user, filters: dict, fmt: str = "csv", lang: str = "fr"):
    """Queue an export job; ``filters``: the case list's query (codes only)."""
    from django.core.exceptions import PermissionDenied

    if fmt not in FORMATS or lang not in LANGUAGES:
        raise ValueError("format or language")
    if not user.can("export", "case"):  # checked again when the job runs
        raise PermissionDenied(_("Votre rôle ne permet pas d'exporter."))
    clean = {k: str(v)[:60] for k, v in filters.items() if k in _FILTER_KEYS}
    return enqueue("export", {"record_type": "case", "filters": clean, "format": fmt,
                              "lang": lang}, user)


_FILTER_KEYS = {"stage", "status", "risk", "concern", "sex", "age", "location", "agency",
                "owner", "overdue"}


def _queryset(user, filters: dict):
    from yiri.cases.models import Case
    from yiri.web import listing

    data = QueryDict(mutable=True)
    data.update(filters)
    form = listing.CaseFilterForm(data or None, user=user)
    cleaned = form.cleaned_data if form.is_bound and form.is_valid() else {}
    return listing.filter_cases(Case.objects.visible_to(user), {**cleaned, "_user": user})


def run(job, progress) -> dict:
    from yiri.cases.export import Plan, csv_chunks
    from yiri.lib import spreadsheet

    erasures_before = _erasures_done()
    user = job.owner
    if user is None or not user.is_active or not user.can("export", "case"):
        raise JobFailed(_("La personne qui a demandé l'export n'a plus le droit d'exporter."))
    params = job.params
    fmt, lang = params.get("format", "csv"), params.get("lang", "fr")
    with translation.override(lang):
        plan = Plan(user, params.get("record_type", "case"),
                    queryset=_queryset(user, params.get("filters") or {}))
        label = _("Lignes écrites")
        progress(0, plan.count, label)

        def counted():
            for n, row in enumerate(plan.rows(), start=1):
                yield row
                if n % 100 == 0 or n == plan.count:
                    progress(n, plan.count, label)

        if fmt == "xlsx":
            data = spreadsheet.xlsx([(_("Dossiers"), _with_header(plan.headers(), counted()))])
        else:
            data = "".join(csv_chunks(plan, counted())).encode("utf-8")
        inner = f"{_('dossiers')}-{job.pk}.{fmt}"
    if _erasures_done() != erasures_before:
        raise JobFailed(_("Un dossier a été effacé pendant l'export : le fichier n'a pas été "
                          "gardé. Relancez l'export."))
    password = new_password()
    path = jobs_dir() / f"export-{uuid.uuid4().hex}.7z"
    try:
        with py7zr.SevenZipFile(path, "w", password=password, header_encryption=True) as archive:
            archive.writestr(data, inner)
        path.chmod(0o600)
        del data
        attach_file(job, path, f"dossiers-{job.pk}.7z", secret=password,
                    keep=dt.timedelta(hours=settings.YIRI_EXPORT_KEEP_HOURS))
    except BaseException:
        path.unlink(missing_ok=True)  # no archive left behind without its job
        raise
    record_event(AuditAction.EXPORT, user=user, record_type=plan.record_type, count=plan.count,
                 fields=len(plan.fields), format=fmt, language=lang, encrypted="7z-aes256",
                 job=job.pk)
    return {"count": plan.count, "columns": len(plan.headers()), "format": fmt, "lang": lang}


def _erasures_done() -> int:
    """How many erasures this node has executed (its audit log counts them)."""
    from yiri.audit.models import AuditEvent

    return AuditEvent.objects.filter(action=AuditAction.ERASURE).count()


def discard_waiting() -> int:
    """Delete the archives of exports not yet downloaded (an erasure was just executed);
    returns how many."""
    n = 0
    for job in Job.objects.filter(kind="export", downloaded_at__isnull=True).exclude(file_name=""):
        discard_file(job)
        Job.objects.filter(pk=job.pk).update(message=_(
            "Fichier supprimé : un dossier a été effacé depuis l'export. Relancez l'export."))
        n += 1
    return n


def _with_header(header, rows):
    yield header
    yield from rows


def read_archive(data: bytes, password: str) -> dict[str, bytes]:
    """The files of an export archive (for the tests and for checking a download)."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        with py7zr.SevenZipFile(io.BytesIO(data), "r", password=password) as archive:
            archive.extractall(path=tmp)
        return {p.name: p.read_bytes() for p in Path(tmp).iterdir()}
