"""What is known of a node's backups: one row per backup file, written by ``manage.py
backup`` (made) and ``manage.py backup verify`` (verified). Synchronised like the audit
checkpoints (ids, dates and sizes only, no personal data), so a relay cell sees the age of
the last verified backup of each of its offices on its status page."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiri.sync.models import SyncedModel


class BackupReport(SyncedModel):
    SYNC_ENTITY = "backup_report"

    backup_id = models.UUIDField(_("sauvegarde"), unique=True)
    node_id = models.CharField(_("nœud"), max_length=64, db_index=True)
    made_at = models.DateTimeField(_("faite le"))
    verified_at = models.DateTimeField(_("vérifiée le"), null=True, blank=True)
    size = models.BigIntegerField(_("taille (octets)"), default=0)
    ok = models.BooleanField(_("vérification réussie"), default=False)

    class Meta:
        ordering = ["node_id", "-made_at"]
        verbose_name = _("rapport de sauvegarde")
        verbose_name_plural = _("rapports de sauvegarde")

    def __str__(self) -> str:
        return f"{self.node_id} {self.made_at:%Y-%m-%d %H:%M}"
