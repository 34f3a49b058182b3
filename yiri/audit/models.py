"""Who did what to which record, when and from where — ids only, no personal data.

The log is append-only and hash-chained (``audit/chain.py``): each event carries its
place in the chain (``seq``) and a digest of its content and of the digest before it, so
an event altered, removed or moved is found by ``manage.py audit verify``. Checkpoints
(``AuditCheckpoint``) sign the head of the chain with the node's key and travel up with
sync: a relay or the national node keeps an office's checkpoints, which the office cannot
rewrite.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiri.sync.models import SyncedModel


class AuditAction(models.TextChoices):
    LOGIN = "login", _("Connexion")
    LOGIN_FAILED = "login_failed", _("Échec de connexion")
    LOCKOUT = "lockout", _("Compte verrouillé")
    UNLOCK = "unlock", _("Compte déverrouillé")
    LOGOUT = "logout", _("Déconnexion")
    VIEW = "view", _("Consultation")
    SEARCH = "search", _("Recherche")
    CREATE = "create", _("Création")
    UPDATE = "update", _("Modification")
    DELETE = "delete", _("Suppression")
    ASSIGN = "assign", _("Attribution")
    EXPORT = "export", _("Export")
    IMPORT = "import", _("Import")
    PERMISSION_CHANGE = "permission_change", _("Changement de droits")
    CONSENT_OVERRIDE = "consent_override", _("Passage outre le consentement")
    WORKFLOW = "workflow", _("Étape du circuit")
    CONFLICT_RESOLVED = "conflict_resolved", _("Conflit de synchronisation résolu")
    SYNC_RUN = "sync_run", _("Synchronisation lancée")
    PURGE = "purge", _("Fiche retirée du nœud (hors de sa portée)")
    SYNC_RESTORED = "sync_restored", _("Nœud restauré depuis une sauvegarde ancienne")
    ERASURE_REQUEST = "erasure_request", _("Effacement demandé")
    ERASURE_REFUSE = "erasure_refuse", _("Effacement refusé")
    ERASURE = "erasure", _("Dossier effacé")
    MATCH_DECISION = "match_decision", _("Doublon possible examiné")
    MERGE = "merge", _("Dossiers fusionnés")
    MERGE_UNDONE = "merge_undone", _("Fusion annulée")
    KEY_ROTATION = "key_rotation", _("Clés de chiffrement renouvelées")


class AuditEvent(models.Model):
    # Set before the digest is computed (``chain.append``), hence not ``auto_now_add``.
    at = models.DateTimeField(_("date et heure"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("utilisateur"),
    )
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices)
    record_type = models.CharField(_("type de fiche"), max_length=30, blank=True)
    record_id = models.UUIDField(_("identifiant de la fiche"), null=True, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    # Field codes, counts, role codes: never names, answers or free text.
    details = models.JSONField(_("détails"), default=dict, blank=True)
    # Place in the chain (1, 2, …, no gap) and SHA-256 of (previous digest, this event).
    seq = models.BigIntegerField(_("n° dans la chaîne"), unique=True, null=True, editable=False)
    digest = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "at"])]
        verbose_name = _("événement d'audit")
        verbose_name_plural = _("journal d'audit")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class AuditHead(models.Model):
    """The end of the chain (one row): taken under a lock by every new event, so that two
    events never claim the same place."""

    seq = models.BigIntegerField(default=0)
    digest = models.CharField(max_length=64, default="")


class AuditCheckpoint(SyncedModel):
    """The head of a node's audit chain at a moment, signed with that node's key. Synced
    (towards every node: no personal data, ids and digests only), so the nodes above an
    office hold its checkpoints: an office that rewrote its history no longer matches
    them."""

    SYNC_ENTITY = "audit_checkpoint"

    node_id = models.CharField(_("nœud"), max_length=64, db_index=True)
    seq = models.BigIntegerField(_("n° dans la chaîne"))
    digest = models.CharField(max_length=64)
    made_at = models.DateTimeField(_("date"))
    sign_key = models.CharField(max_length=64, blank=True, default="")
    signature = models.CharField(max_length=128, blank=True, default="")

    class Meta:
        ordering = ["node_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["node_id", "seq"],
                                               name="audit_checkpoint_unique")]
        verbose_name = _("point de contrôle du journal d'audit")
        verbose_name_plural = _("points de contrôle du journal d'audit")
