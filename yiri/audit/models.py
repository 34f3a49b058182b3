"""Who did what to which record, when and from where — ids only, no personal data."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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


class AuditEvent(models.Model):
    at = models.DateTimeField(_("date et heure"), auto_now_add=True, db_index=True)
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

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "at"])]
        verbose_name = _("événement d'audit")
        verbose_name_plural = _("journal d'audit")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"
