"""Attaching files to a record, reading them back and removing them: the only writers of
``Attachment`` and of the files in the data folder.

Who may do what (the record page and the API apply the same functions):

* Seeing a file, its thumbnail or its name needs seeing the record (``access_record``:
  404 otherwise) and reading the form section that holds the field ("Photos et
  documents" on a case): 404 for a role that may not, so a role kept away from the
  photos learns nothing of them.
* Attaching or removing a file needs what editing the field needs: the ``edit`` action on
  the record type and the section writable (403 for a role that reads but may not write).

Each write runs in one transaction, appends a change-log operation through
``save_logged`` (entity ``attachment``; the file name is sealed) and writes one audit row
with ids only. Reading an original (a download) writes a view audit row; thumbnails are
shown with the record page, whose view is audited already.
"""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from yiri.audit.models import AuditAction
from yiri.audit.services import record_event
from yiri.cases.access import (
    access_record,
    check_writable,
    field_limits,
    readable_sections,
    vetted,
    writable_sections,
)
from yiri.cases.models import Record, sealed_text
from yiri.formconfig.models import FieldType
from yiri.formconfig.schema import FieldDef, FormSchema, get_schema
from yiri.formconfig.validation import AnswersInvalid
from yiri.sync.log import save_logged

from . import storage
from .content import DOCUMENT_TYPES, IMAGE_TYPES, ContentRefused, clean
from .models import Attachment

NAME_MAX = 200
# Fields that hold pictures of the child take images only; other attachment fields take
# documents (PDF) and images (a scan photographed with a phone).
IMAGES_ONLY = frozenset({"photos"})


class AttachmentInvalid(AnswersInvalid):
    """A refused file, ``errors`` as ``{"file": [message]}`` like refused answers."""


def max_bytes() -> int:
    return settings.YIRI_ATTACHMENT_MAX_MB * 1024 * 1024


def accepted_types(field_code: str) -> tuple[str, ...]:
    return IMAGE_TYPES if field_code in IMAGES_ONLY else DOCUMENT_TYPES


def attachment_fields(schema: FormSchema, section_code: str | None = None) -> list[FieldDef]:
    """The attachment fields of the main sections (``schema.fields`` holds no row field)."""
    return [f for f in schema.fields.values() if f.type == FieldType.ATTACHMENT
            and (section_code is None or f.section == section_code)]


# The one place that asks which sections a user reads and writes for files: the
# record's own rights (a referral's shared sections, a closed case read-only).
def _readable(user, schema: FormSchema, record: Record) -> set[str]:
    return set(readable_sections(user, schema, record))


def _writable(user, schema: FormSchema, record: Record) -> set[str]:
    return set(writable_sections(user, schema, record))


def readable_fields(user, record: Record, schema: FormSchema | None = None) -> list[FieldDef]:
    schema = schema or get_schema(record.RECORD_TYPE)
    readable = _readable(user, schema, record)
    limits = field_limits(user, schema.record_type)
    return [f for f in attachment_fields(schema) if f.section in readable and limits.shows(f.code)]


def writable_fields(user, record: Record, schema: FormSchema | None = None) -> list[FieldDef]:
    schema = schema or get_schema(record.RECORD_TYPE)
    writable = _writable(user, schema, record)
    limits = field_limits(user, schema.record_type)
    return [f for f in attachment_fields(schema) if f.section in writable and limits.writes(f.code)]


def _field(user, record: Record, field_code: str, write: bool) -> FieldDef:
    """The attachment field ``field_code`` of ``record``: 404 if there is none or the user
    may not read its section, 403 if ``write`` and they may not write it."""
    schema = get_schema(record.RECORD_TYPE)
    f = schema.fields.get(field_code)
    if (f is None or f.type != FieldType.ATTACHMENT or f.section not in _readable(user, schema, record)
            or not field_limits(user, schema.record_type).shows(field_code)):
        raise Http404(_("Pièce jointe introuvable."))
    if write:
        access_record(user, type(record), record.pk, "edit")  # 403 for a read-only role
        check_writable(user, schema, [field_code], record)
    return f


def attachments_for(user, record: Record) -> dict[str, list[Attachment]]:
    """``{field code: [attachment]}`` of the fields ``user`` may read, oldest first (404
    if they do not see the record). One query."""
    record = vetted(user, record)
    codes = [f.code for f in readable_fields(user, record)]
    out: dict[str, list[Attachment]] = {code: [] for code in codes}
    if codes:
        for att in Attachment.objects.of(record).filter(field_code__in=codes):
            out[att.field_code].append(att)
    return out


def access_attachment(user, record: Record, attachment_id, *, write: bool = False) -> Attachment:
    """The attachment ``attachment_id`` of ``record`` if ``user`` may read its field (and
    write it if ``write``); 404 / 403 otherwise. ``record`` was fetched through
    ``access_record`` by the caller; it is fetched again here so no caller can skip it."""
    record = vetted(user, record)
    try:
        att = Attachment.objects.of(record).get(pk=attachment_id)
    except (Attachment.DoesNotExist, ValidationError, ValueError, TypeError):
        raise Http404(_("Pièce jointe introuvable.")) from None
    _field(user, record, att.field_code, write)
    return att


def too_big(size: int) -> AttachmentInvalid:
    """The refusal of a file of ``size`` bytes, over the limit."""
    return AttachmentInvalid({"file": [
        _("Ce fichier fait %(size)s Mo : %(max)s Mo au plus sont acceptés. Réduisez-le "
          "(photo en qualité moyenne, scan en noir et blanc) puis réessayez.")
        % {"size": _megabytes(size), "max": settings.YIRI_ATTACHMENT_MAX_MB}]})


def _read_upload(upload) -> tuple[str, bytes]:
    """The name and bytes of an uploaded file, refused before reading when too big."""
    limit = max_bytes()
    if upload is None:
        raise AttachmentInvalid({"file": [_("Choisissez un fichier.")]})
    size = getattr(upload, "size", None)
    if size is None or size <= limit:
        data = upload.read(limit + 1)
        size = len(data)
    if size > limit:
        raise too_big(size)
    if not data:
        raise AttachmentInvalid({"file": [_("Ce fichier est vide.")]})
    name = (getattr(upload, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:NAME_MAX], data


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".replace(".", ",")


def add_attachment(user, record: Record, field_code: str, upload, *, skipped_size: int = 0,
                   request=None) -> Attachment:
    """Attach the uploaded file ``upload`` (anything with ``name``, ``size`` and ``read``)
    to the field ``field_code`` of ``record``. Refused files raise ``AttachmentInvalid``
    and leave nothing behind. ``skipped_size``: the size of a file the upload handler
    dropped on the way for being too big (``uploads.SizeLimitUploadHandler``)."""
    record = access_record(user, type(record), record.pk)
    _field(user, record, field_code, write=True)
    if skipped_size:
        raise too_big(skipped_size)
    name, data = _read_upload(upload)
    try:
        cleaned = clean(data, accepted_types(field_code))
    except ContentRefused as exc:
        raise AttachmentInvalid({"file": [str(exc)]}) from None
    att = Attachment(
        id=uuid.uuid4(), record_type=record.RECORD_TYPE, record_id=record.pk,
        field_code=field_code, name_blob=sealed_text(name), content_type=cleaned.content_type,
        size=len(cleaned.data), sha256=hashlib.sha256(cleaned.data).hexdigest(),
        thumbnail_size=len(cleaned.thumbnail), uploaded_by=user, uploaded_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            storage.write(att.pk, cleaned.data, record_id=att.record_id)
            if cleaned.thumbnail:
                storage.write(att.pk, cleaned.thumbnail, storage.THUMBNAIL,
                              record_id=att.record_id)
            save_logged(user, att, created=True)
            record_event(AuditAction.UPDATE, user=user, request=request,
                         record_type=record.RECORD_TYPE, record_id=record.pk,
                         attachment="added", attachment_id=str(att.pk), field=field_code)
    except BaseException:
        storage.erase(att.pk)  # the row was not written: neither are its bytes
        raise
    return att


def remove_attachment(user, record: Record, attachment_id, *, request=None) -> Attachment:
    """Remove a file from ``record``. The row stays (who removed it, when); the bytes are
    erased once the removal is committed."""
    att = access_attachment(user, record, attachment_id, write=True)
    with transaction.atomic():
        att = Attachment.objects.select_for_update().get(pk=att.pk)
        if att.removed:
            raise Http404(_("Pièce jointe introuvable."))
        att.removed = True
        att.removed_by = user
        att.removed_at = timezone.now()
        save_logged(user, att)
        record_event(AuditAction.UPDATE, user=user, request=request,
                     record_type=att.record_type, record_id=att.record_id,
                     attachment="removed", attachment_id=str(att.pk), field=att.field_code)
        transaction.on_commit(lambda pk=att.pk: storage.erase(pk))
    return att


def read_content(user, record: Record, attachment_id, *, thumbnail: bool = False,
                 request=None) -> tuple[Attachment, bytes]:
    """The attachment and its bytes (or its thumbnail's) for ``user``; 404 as
    ``access_attachment``, and 404 for a thumbnail a document does not have."""
    att = access_attachment(user, record, attachment_id)
    if thumbnail and not att.has_thumbnail:
        raise Http404(_("Pièce jointe introuvable."))
    try:
        data = storage.read(att.pk, storage.THUMBNAIL if thumbnail else storage.ORIGINAL)
    except FileNotFoundError:
        raise Http404(_("Le fichier de cette pièce jointe est introuvable sur ce serveur.")) from None
    if not thumbnail:
        record_event(AuditAction.VIEW, user=user, request=request, record_type=att.record_type,
                     record_id=att.record_id, part="attachment", attachment_id=str(att.pk))
    return att, data


def copy_attachment(user, att: Attachment, record: Record) -> Attachment | None:
    """A copy of ``att`` (a file of another record) on ``record``: its bytes sealed again
    under ``record``'s key, a new row logged like any upload. For merging two records of
    one child (``matching.merge``, which checks the user's right). ``None`` when the
    bytes are not on this node (a removed file is copied as removed, without bytes)."""
    data = thumb = b""
    if not att.removed:
        try:
            data = storage.read(att.pk, storage.ORIGINAL)
            thumb = storage.read(att.pk, storage.THUMBNAIL) if att.has_thumbnail else b""
        except FileNotFoundError:
            return None
    copy = Attachment(
        id=uuid.uuid4(), record_type=record.RECORD_TYPE, record_id=record.pk,
        field_code=att.field_code, name_blob=sealed_text(att.name), content_type=att.content_type,
        size=att.size, sha256=att.sha256, thumbnail_size=att.thumbnail_size,
        uploaded_by=att.uploaded_by, uploaded_at=att.uploaded_at, removed=att.removed,
        removed_by=att.removed_by, removed_at=att.removed_at,
    )
    try:
        with transaction.atomic():
            if data:
                storage.write(copy.pk, data, record_id=record.pk)
            if thumb:
                storage.write(copy.pk, thumb, storage.THUMBNAIL, record_id=record.pk)
            save_logged(user, copy, created=True)
    except BaseException:
        storage.erase(copy.pk)
        raise
    return copy


def withdraw_copy(user, att: Attachment) -> None:
    """Take back a copy made by ``copy_attachment`` (undoing a merge): the row removed,
    its bytes erased once committed; the original stays on its record."""
    with transaction.atomic():
        att = Attachment.objects.select_for_update().get(pk=att.pk)
        if att.removed and att.deleted:
            return
        att.removed = True
        att.deleted = True
        att.removed_by = user
        att.removed_at = att.removed_at or timezone.now()
        save_logged(user, att)
        transaction.on_commit(lambda pk=att.pk: storage.erase(pk))
