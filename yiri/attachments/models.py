"""Files attached to a record: a child's photos, scanned documents.

One row per file, with its own UUID (a ``SyncedModel``) so synchronisation can carry it
later; the bytes live in the data folder (``attachments.storage``), the row says what
they are (type, size, SHA-256) and where they belong (record, form field). Removing a
file keeps the row (who removed it and when) and erases the bytes. The uploaded file name
can name the child ("acte_naissance_Awa_Ouedraogo.pdf"), so it is sealed like an
identifying answer. Written only by ``attachments.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiri.cases.models import _text
from yiri.cases.sealed import SealedTextField
from yiri.sync.models import SyncedModel, SyncedQuerySet

from .content import EXTENSIONS, IMAGE_TYPES


class AttachmentQuerySet(SyncedQuerySet):
    """No bulk shortcut skips the change log and the audit (``SyncedQuerySet``)."""

    def of(self, record) -> AttachmentQuerySet:
        """The files of ``record`` still attached, oldest first."""
        return self.filter(record_type=record.RECORD_TYPE, record_id=record.pk, deleted=False,
                           removed=False).order_by("uploaded_at", "pk")


class Attachment(SyncedModel):
    SYNC_SEALED = frozenset({"name_blob"})

    record_type = models.CharField(max_length=20)
    record_id = models.UUIDField()
    field_code = models.CharField(max_length=60)
    name_blob = SealedTextField(default="", blank=True, editable=False)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    thumbnail_size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()
    removed = models.BooleanField(default=False)
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at"]
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        indexes = [models.Index(fields=["record_id", "removed"], name="attachment_record")]

    def __str__(self) -> str:
        return f"{self.record_type} {self.record_id} {self.field_code}"

    @property
    def name(self) -> str:
        """The file name as uploaded (identifying: show it only to who reads the field)."""
        return _text(self.name_blob)

    @property
    def is_image(self) -> bool:
        return self.content_type in IMAGE_TYPES

    @property
    def has_thumbnail(self) -> bool:
        return self.thumbnail_size > 0

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.content_type, "bin")
