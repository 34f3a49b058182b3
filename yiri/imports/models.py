"""Imports of spreadsheets: the file being imported, the remembered column mappings, and
the keys of the rows already imported (what makes a re-import create nothing).

These rows stay on the node where the import is made: they are never synchronised (what
an import creates is, through the usual write paths).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    CASE = "case", _("Dossiers d'enfants")
    LOCATION = "location", _("Lieux")
    ORGANISATION = "organisation", _("Organisations membres")
    USER = "user", _("Utilisateurs")


class ImportBatch(models.Model):
    """One uploaded file, from its upload to its import.

    The file is kept sealed (``identity.seal_bytes``, this node's keys) until it is
    imported, then emptied. ``errors`` is ``[{"line": n, "messages": [...]}]`` in French,
    with no value a person typed (only the column and what is wrong)."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Déposé")
        CHECKED = "checked", _("Vérifié")
        RUNNING = "running", _("En cours")
        DONE = "done", _("Importé")
        FAILED = "failed", _("Refusé")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("type"), max_length=20, choices=ImportKind.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("déposé par"))
    created_at = models.DateTimeField(_("déposé le"), auto_now_add=True)
    file_format = models.CharField(_("format"), max_length=5)
    sealed_file = models.BinaryField(_("fichier (chiffré)"), default=bytes)
    headers = models.JSONField(_("colonnes"), default=list)
    mapping = models.JSONField(_("correspondance des colonnes"), default=dict)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices,
                              default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(_("lignes"), default=0)
    errors = models.JSONField(_("erreurs"), default=list)
    error_rows = models.PositiveIntegerField(_("lignes en erreur"), default=0)
    new_rows = models.PositiveIntegerField(_("lignes nouvelles"), default=0)
    skipped_rows = models.PositiveIntegerField(_("lignes déjà importées"), default=0)
    duplicates = models.JSONField(_("doublons probables"), default=list)
    created_count = models.PositiveIntegerField(_("créés"), default=0)
    done = models.PositiveIntegerField(_("fait"), default=0)
    message = models.CharField(_("message"), max_length=300, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


class ImportMapping(models.Model):
    """The column mapping last used for a kind of file and a set of column headers, by
    an organisation (``owner``: the agency's id, or ``-`` for a user without one)."""

    kind = models.CharField(_("type"), max_length=20, choices=ImportKind.choices)
    owner = models.CharField(_("organisation"), max_length=40)
    headers_key = models.CharField(_("empreinte des colonnes"), max_length=64)
    mapping = models.JSONField(_("correspondance"), default=dict)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "owner", "headers_key"],
                                               name="import_mapping_once")]
        verbose_name = _("correspondance de colonnes")
        verbose_name_plural = _("correspondances de colonnes")


class ImportedRow(models.Model):
    """A row already imported: a keyed hash of its identifying content (a blind index
    under the search index key: no value readable), and what it created."""

    kind = models.CharField(_("type"), max_length=20, choices=ImportKind.choices)
    key = models.CharField(_("clé"), max_length=64)
    object_id = models.UUIDField(_("créé"))
    batch = models.ForeignKey(ImportBatch, on_delete=models.SET_NULL, null=True,
                              related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="imported_row_once")]
        verbose_name = _("ligne importée")
        verbose_name_plural = _("lignes importées")
