"""The import of a spreadsheet, step by step: ``create_batch`` (upload), ``set_mapping``
(columns → fields, remembered for the organisation), ``check_batch`` (every row checked,
nothing written: the preview) and ``run_import`` (checked again, then all rows written in
one transaction, or none).

``check_batch`` and ``run_import`` take ``progress(done, total, message="")`` so the
background-jobs framework can run them and show how far they are.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from yiri.audit.models import AuditAction
from yiri.audit.services import record_event
from yiri.cases import identity

from .kinds import EXTERNAL_ID, Checked, Kind, fold, kind_of
from .models import ImportBatch, ImportKind, ImportMapping
from .reading import UnreadableFile, file_format, read_table

Progress = Callable[..., None]
ERRORS_KEPT = 1000  # bad rows listed; beyond, they are counted
DUPLICATES_KEPT = 1000
_FILE_PART = "import-file"


def _quiet(done: int, total: int, message: str = "") -> None:
    pass


class ImportRefused(Exception):
    """The step cannot run; the message says why, in French."""


def owner_of(user) -> str:
    return str(user.agency_id) if getattr(user, "agency_id", None) else "-"


def kinds_for(user) -> list[tuple[str, str]]:
    """The kinds of import ``user`` may run, as ``(code, label)``."""
    return [(k.value, k.label) for k in ImportKind if kind_of(k.value).may_import(user)]


def require_right(user, kind: str) -> Kind:
    if kind not in ImportKind.values:
        raise ImportRefused(_("Type d'import inconnu."))
    k = kind_of(kind)
    if not k.may_import(user):
        raise PermissionDenied(_("Votre rôle ne permet pas cet import."))
    return k


def access_batch(user, batch_id) -> ImportBatch:
    """The user's own batch (404 for anyone else's), if they still hold the right."""
    batch = ImportBatch.objects.filter(pk=batch_id, created_by=user).first()
    if batch is None:
        raise Http404
    require_right(user, batch.kind)
    return batch


def _file(batch: ImportBatch) -> bytes:
    blob = bytes(batch.sealed_file)
    if not blob:
        raise ImportRefused(_("Le fichier de cet import n'est plus conservé : déposez-le à nouveau."))
    return identity.unseal_bytes(blob, attachment_id=batch.pk, part=_FILE_PART)


def headers_key(headers: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(fold(h) for h in headers)).encode()).hexdigest()


def create_batch(user, kind: str, name: str, data: bytes) -> ImportBatch:
    """Keep an uploaded file (sealed) and read its column headers; the mapping starts
    from the one remembered for these headers, else from headers that name a field."""
    require_right(user, kind)
    try:
        fmt = file_format(name, data)
        headers, _rows = read_table(data, fmt)
    except UnreadableFile as exc:
        raise ImportRefused(str(exc)) from None
    batch = ImportBatch(kind=kind, created_by=user, file_format=fmt, headers=headers)
    batch.sealed_file = identity.seal_bytes(data, attachment_id=batch.pk, part=_FILE_PART)
    batch.mapping = remembered_mapping(user, kind, headers) or suggested_mapping(kind, headers)
    batch.save()
    return batch


def remembered_mapping(user, kind: str, headers: list[str]) -> dict[str, str] | None:
    saved = ImportMapping.objects.filter(kind=kind, owner=owner_of(user),
                                         headers_key=headers_key(headers)).first()
    if saved is None:
        return None
    known = {t.code for t in kind_of(kind).targets()}
    return {h: saved.mapping.get(h, "") if saved.mapping.get(h, "") in known else ""
            for h in headers}


def suggested_mapping(kind: str, headers: list[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for t in kind_of(kind).targets():
        for name in (t.code, t.label, *t.aliases):
            names.setdefault(fold(name), t.code)
    out, used = {}, set()
    for h in headers:
        code = names.get(fold(h), "")
        out[h] = code if code not in used else ""
        used.add(code)
    return out


def set_mapping(user, batch: ImportBatch, mapping: dict[str, str]) -> ImportBatch:
    """Set and remember the mapping; a field chosen for two columns or a required field
    with no column is refused."""
    targets = {t.code: t for t in kind_of(batch.kind).targets()}
    clean = {h: (mapping.get(h) or "") for h in batch.headers}
    problems = []
    unknown = [c for c in clean.values() if c and c not in targets]
    if unknown:
        problems.append(_("Champ inconnu dans la correspondance."))
    chosen = [c for c in clean.values() if c]
    for code in sorted({c for c in chosen if chosen.count(c) > 1}):
        problems.append(_("Le champ « %(label)s » est choisi pour plusieurs colonnes.")
                        % {"label": targets[code].label if code in targets else code})
    for t in targets.values():
        if t.required and t.code not in chosen:
            problems.append(_("Choisissez la colonne du champ obligatoire « %(label)s ».")
                            % {"label": t.label})
    if problems:
        raise ImportRefused(" ".join(problems))
    batch.mapping = clean
    batch.status = ImportBatch.Status.UPLOADED
    batch.save(update_fields=["mapping", "status"])
    ImportMapping.objects.update_or_create(
        kind=batch.kind, owner=owner_of(user), headers_key=headers_key(batch.headers),
        defaults={"mapping": clean})
    return batch


def _label(kind: Kind) -> dict[str, str]:
    return {t.code: t.label for t in kind.targets()}


def _messages(row: Checked, columns: dict[str, str], labels: dict[str, str]) -> list[str]:
    out = []
    for code, messages in row.errors.items():
        column = columns.get(code)
        for m in messages:
            out.append(_("Colonne « %(column)s » : %(message)s")
                       % {"column": column[:60], "message": m} if column else m)
    return out


def _checked_rows(batch: ImportBatch, kind: Kind, progress: Progress, *, step: str
                  ) -> tuple[list[Checked], list[dict], int]:
    """Every row of the file checked: ``(good rows, errors, bad row count)``."""
    headers, rows = read_table(_file(batch), batch.file_format)
    if headers != batch.headers:
        raise ImportRefused(_("Les colonnes du fichier ont changé : déposez-le à nouveau."))
    pairs = [(i, code) for i, code in enumerate(headers) if batch.mapping.get(headers[i])
             for code in [batch.mapping[headers[i]]]]
    columns = {code: headers[i] for i, code in pairs}
    labels = _label(kind)
    kind.start(batch.created_by, owner_of(batch.created_by))
    good: list[Checked] = []
    errors: list[dict] = []
    bad = 0
    for n, (line, cells) in enumerate(rows, start=1):
        row = kind.check(line, {code: cells[i] for i, code in pairs})
        if row.errors:
            bad += 1
            if len(errors) < ERRORS_KEPT:
                errors.append({"line": line, "messages": _messages(row, columns, labels)})
        else:
            good.append(row)
        if n % 2000 == 0:
            progress(n, 0, step)
    return good, errors, bad


def _split_known(kind: Kind, rows: list[Checked]) -> tuple[list[Checked], int]:
    """The rows not imported before (and the first of rows repeated in the file)."""
    known = kind.known([r.key for r in rows])
    fresh, seen, skipped = [], set(), 0
    for r in rows:
        if r.key in known or r.key in seen:
            skipped += 1
        else:
            seen.add(r.key)
            fresh.append(r)
    return fresh, skipped


def check_batch(batch: ImportBatch, progress: Progress = _quiet) -> ImportBatch:
    """The preview: every row checked as the form checks it, the bad ones listed with
    their line and reason, the rows already imported counted, the likely duplicates of
    cases already registered flagged. Nothing is written but the batch's own report."""
    kind = require_right(batch.created_by, batch.kind)
    try:
        good, errors, bad = _checked_rows(batch, kind, progress, step=_("vérification"))
    except UnreadableFile as exc:
        raise ImportRefused(str(exc)) from None
    fresh, skipped = _split_known(kind, good)
    progress(0, len(fresh), _("recherche des doublons"))
    duplicates = [] if bad else kind.likely_duplicates(batch.created_by, fresh)
    batch.total_rows = len(good) + bad
    batch.errors, batch.error_rows = errors, bad
    batch.new_rows, batch.skipped_rows = len(fresh), skipped
    batch.duplicates = duplicates[:DUPLICATES_KEPT]
    batch.status = ImportBatch.Status.CHECKED
    batch.message = ""
    batch.save()
    return batch


def run_import(batch: ImportBatch, progress: Progress = _quiet) -> ImportBatch:
    """Import the rows of a checked batch: checked again (the database may have changed
    since the preview), then written all in one transaction, or nothing if one row is
    bad. Rows already imported are skipped, so importing the same file again creates
    nothing. The file is forgotten once imported."""
    user = batch.created_by
    kind = require_right(user, batch.kind)
    if batch.status == ImportBatch.Status.DONE:
        raise ImportRefused(_("Ce fichier est déjà importé."))
    if batch.status != ImportBatch.Status.CHECKED:
        raise ImportRefused(_("Vérifiez le fichier (aperçu) avant de l'importer."))
    batch.status = ImportBatch.Status.RUNNING
    batch.save(update_fields=["status"])
    try:
        good, errors, bad = _checked_rows(batch, kind, progress, step=_("vérification"))
        if bad:
            batch.errors, batch.error_rows = errors, bad
            batch.status = ImportBatch.Status.CHECKED
            batch.message = _("Des lignes sont en erreur : rien n'a été importé.")
            batch.save()
            return batch
        fresh, skipped = _split_known(kind, good)
        total = len(fresh)
        progress(0, total, _("enregistrement"))
        with transaction.atomic():
            kind.write(user, fresh, batch, lambda done: progress(done, total, _("enregistrement")))
            if kind.code != ImportKind.CASE and fresh:
                record_event(AuditAction.IMPORT, user=user, record_type=kind.code,
                             count=len(fresh), batch=str(batch.pk))
            batch.created_count, batch.skipped_rows = total, skipped
            batch.total_rows = len(good)
            batch.errors, batch.error_rows = [], 0
            batch.status = ImportBatch.Status.DONE
            batch.finished_at = timezone.now()
            batch.sealed_file = b""
            batch.message = ""
            batch.save()
    except Exception:
        batch.status = ImportBatch.Status.CHECKED
        batch.save(update_fields=["status"])
        raise
    progress(total, total, _("terminé"))
    return batch


__all__ = ["EXTERNAL_ID", "ImportRefused", "access_batch", "check_batch", "create_batch",
           "kinds_for", "run_import", "set_mapping"]
