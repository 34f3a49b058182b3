"""The case workflow: approvals, referrals and transfers, and the notifications they send.

Rows are written only by ``workflow.services``; each write also appends to the change log
(entities ``approval``, ``referral``, ``notification``) so the workflow travels between
nodes with the case it belongs to. Free text (comments, reasons) is sealed in the change
log like identifying answers; notifications store no text at all.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiri.cases.sealed import SealedTextField
from yiri.network.models import SyncedModel


class ApprovalKind(models.TextChoices):
    ASSESSMENT = "assessment", _("Évaluation")
    CASE_PLAN = "case_plan", _("Plan de prise en charge")
    CLOSURE = "closure", _("Clôture")


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    APPROVED = "approved", _("Approuvée")
    REJECTED = "rejected", _("Refusée")


class Approval(SyncedModel):
    """A request that a supervisor approve a case's assessment, case plan or closure."""

    SYNC_SEALED = frozenset({"comment", "decision_comment"})

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="approvals")
    kind = models.CharField(max_length=12, choices=ApprovalKind.choices)
    status = models.CharField(max_length=10, choices=ApprovalStatus.choices,
                              default=ApprovalStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField()
    # The supervisor asked to decide (any user with the approve right who sees the case may).
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = SealedTextField(_("commentaire de la demande"), blank=True, default="")
    decision_comment = SealedTextField(_("commentaire de la décision"), blank=True, default="")
    # Lookup ``closure_reason`` code, for closure requests only.
    closure_reason = models.CharField(max_length=40, blank=True, default="")

    def sync_parent(self):
        return ("case", self.case_id) if self.case_id else None

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("demande d'approbation")
        verbose_name_plural = _("demandes d'approbation")
        indexes = [
            models.Index(fields=["case", "kind", "status"], name="approval_case"),
            models.Index(fields=["approver", "status"], name="approval_approver"),
            models.Index(fields=["status", "kind", "requested_at"], name="approval_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"


class ReferralKind(models.TextChoices):
    REFERRAL = "referral", _("Orientation")
    TRANSFER = "transfer", _("Transfert")


class ReferralStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("En cours")
    ACCEPTED = "accepted", _("Acceptée")
    DECLINED = "declined", _("Refusée")
    DONE = "done", _("Terminée")
    REVOKED = "revoked", _("Annulée")


class Referral(SyncedModel):
    """A referral (the recipient gets access) or a transfer (ownership moves on acceptance).

    ``share`` is the ``RecordShare`` that gives the recipient access while the referral
    or the pending transfer is live.
    """

    SYNC_SEALED = frozenset({"reason", "response_comment"})

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="referrals")
    kind = models.CharField(max_length=10, choices=ReferralKind.choices, default=ReferralKind.REFERRAL)
    status = models.CharField(max_length=12, choices=ReferralStatus.choices,
                              default=ReferralStatus.IN_PROGRESS)
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                                  related_name="+")
    from_agency = models.ForeignKey("network.Agency", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    to_agency = models.ForeignKey("network.Agency", on_delete=models.PROTECT, related_name="+")
    # The ``services`` subform row referred, if any: marked implemented when done.
    service_row_id = models.UUIDField(null=True, blank=True)
    share = models.ForeignKey("cases.RecordShare", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    consent_override = models.BooleanField(default=False)
    # The case sections shared with the recipient (the referrer's choice; see
    # workflow.services.refer for what each state of the referral lets them do).
    sections = models.JSONField(default=list, blank=True)
    reason = SealedTextField(_("motif"), blank=True, default="")
    response_comment = SealedTextField(_("commentaire de la réponse"), blank=True, default="")
    created_at = models.DateTimeField()
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    responded_at = models.DateTimeField(null=True, blank=True)

    def sync_parent(self):
        return ("case", self.case_id) if self.case_id else None

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("orientation ou transfert")
        verbose_name_plural = _("orientations et transferts")
        indexes = [
            models.Index(fields=["case", "kind", "status"], name="referral_case"),
            models.Index(fields=["to_user", "status"], name="referral_to_user"),
            models.Index(fields=["to_agency", "status"], name="referral_to_agency"),
            models.Index(fields=["from_user", "status"], name="referral_from_user"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"

    @property
    def is_live(self) -> bool:
        return self.status in (ReferralStatus.IN_PROGRESS, ReferralStatus.ACCEPTED)


class NotificationKind(models.TextChoices):
    APPROVAL_REQUESTED = "approval_requested", _("Approbation demandée")
    APPROVAL_APPROVED = "approval_approved", _("Approbation accordée")
    APPROVAL_REJECTED = "approval_rejected", _("Approbation refusée")
    REFERRAL_RECEIVED = "referral_received", _("Orientation reçue")
    REFERRAL_ACCEPTED = "referral_accepted", _("Orientation acceptée")
    REFERRAL_DECLINED = "referral_declined", _("Orientation refusée")
    REFERRAL_DONE = "referral_done", _("Orientation terminée")
    REFERRAL_REVOKED = "referral_revoked", _("Orientation annulée")
    TRANSFER_RECEIVED = "transfer_received", _("Transfert reçu")
    TRANSFER_ACCEPTED = "transfer_accepted", _("Transfert accepté")
    TRANSFER_DECLINED = "transfer_declined", _("Transfert refusé")
    TRANSFER_REVOKED = "transfer_revoked", _("Transfert annulé")
    CASE_CLOSED = "case_closed", _("Dossier clôturé")
    CASE_REOPENED = "case_reopened", _("Dossier rouvert")
    MATCH_QUESTION = "match_question", _("Doublon possible signalé par une autre organisation")


# French templates; ``%(case)s`` is the case's short id, ``%(what)s`` the approval kind.
_MESSAGES = {
    NotificationKind.APPROVAL_REQUESTED: _("Approbation demandée (%(what)s) pour le dossier %(case)s."),
    NotificationKind.APPROVAL_APPROVED: _("Votre demande d'approbation (%(what)s) du dossier %(case)s a été approuvée."),
    NotificationKind.APPROVAL_REJECTED: _("Votre demande d'approbation (%(what)s) du dossier %(case)s a été refusée."),
    NotificationKind.REFERRAL_RECEIVED: _("Le dossier %(case)s vous a été orienté."),
    NotificationKind.REFERRAL_ACCEPTED: _("L'orientation du dossier %(case)s a été acceptée."),
    NotificationKind.REFERRAL_DECLINED: _("L'orientation du dossier %(case)s a été refusée."),
    NotificationKind.REFERRAL_DONE: _("L'orientation du dossier %(case)s est terminée."),
    NotificationKind.REFERRAL_REVOKED: _("L'orientation du dossier %(case)s a été annulée."),
    NotificationKind.TRANSFER_RECEIVED: _("Le transfert du dossier %(case)s vous est proposé."),
    NotificationKind.TRANSFER_ACCEPTED: _("Le transfert du dossier %(case)s a été accepté."),
    NotificationKind.TRANSFER_DECLINED: _("Le transfert du dossier %(case)s a été refusé."),
    NotificationKind.TRANSFER_REVOKED: _("Le transfert du dossier %(case)s a été annulé."),
    NotificationKind.CASE_CLOSED: _("Le dossier %(case)s a été clôturé."),
    NotificationKind.CASE_REOPENED: _("Le dossier %(case)s a été rouvert."),
    NotificationKind.MATCH_QUESTION: _("Une autre organisation pense que le dossier %(case)s "
                                       "pourrait être le même enfant qu'un des siens : elle "
                                       "est nommée sur la page du dossier."),
}


class Notification(SyncedModel):
    """Something a user should look at. No text is stored: ``message`` builds it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    approval = models.ForeignKey(Approval, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    referral = models.ForeignKey(Referral, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    def sync_parent(self):
        return ("case", self.case_id) if self.case_id else None

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def message(self) -> str:
        template = _MESSAGES.get(self.kind)
        if template is None:
            return str(self.get_kind_display())
        what = ""
        if self.approval_id:
            what = ApprovalKind(self.approval.kind).label
        case = self.case.short_id if self.case_id else "—"
        return str(template) % {"case": case, "what": what}
