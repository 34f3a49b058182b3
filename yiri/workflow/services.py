"""The case workflow as named actions: approvals, referrals, transfers, closure, reopening.

Every action takes the acting user first, checks the user's right (``user.can``) and that
the user sees the case (``access_record``), runs in one transaction, changes the case
only through ``cases.services`` (so the case's change log and audit are written), writes
its own rows with a change-log entry (``sync.log.save_logged``), writes one audit row
(ids and codes only, never names or free text) and notifies the people concerned.

Errors a user can act on are raised as ``PermissionDenied`` (not allowed) or
``WorkflowError`` (not possible now), both with a French message; a case or referral
the user may not see is ``Http404``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from yiri.audit.models import AuditAction
from yiri.audit.services import record_event
from yiri.cases import identity
from yiri.cases.access import access_record, forget_rights, rights_for
from yiri.cases.models import Case, CaseStatus, RecordShare, ShareKind, WorkflowStage
from yiri.cases.services import set_record_meta, update_record
from yiri.formconfig.schema import get_schema
from yiri.sync.log import save_logged

from .models import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    Notification,
    NotificationKind,
    Referral,
    ReferralKind,
    ReferralStatus,
)
from .stages import STAGE_ORDER, compute_stage, live_rows

__all__ = [
    "REFERRAL_SECTIONS", "Task", "WorkflowError", "access_approval", "may_decide", "access_referral", "approvals_waiting_for", "complete_referral",
    "compute_stage", "decide_approval", "mark_read", "referrals_waiting_for", "refer",
    "refresh_stage", "reopen_case", "request_approval", "respond_referral", "respond_transfer",
    "revoke_referral", "tasks_for", "transfer", "unread_notifications",
]

# tasks_for inspects the answers of at most this many cases (the soonest work first).
TASK_CASE_LIMIT = 500

# What a referral shares by default, as the CPIMS+ service provider role reads it; a
# transfer shares the whole case (the recipient is deciding to take it over).
REFERRAL_SECTIONS = ("basic_identity", "consent", "protection_concerns", "services_section",
                     "followup")
TRANSFER_SECTIONS = ("*",)
# What a recipient reads while deciding whether to accept a referral.
REFERRAL_DECIDE_SECTIONS = ("basic_identity", "protection_concerns", "services_section")
# The ``share_with`` consent answer that allows sharing with another member organisation.
SHARE_WITH_ORGANISATIONS = "other_organisations"


class WorkflowError(ValidationError):
    """The step is not possible in the case's current state (message for the user)."""


@dataclass(frozen=True)
class Task:
    """One thing a user has to do on a case, for the home page."""

    kind: str  # approval_<kind> | case_plan_due | service | followup
    case_id: UUID
    short_id: str
    due: dt.date | None
    overdue: bool
    label: str
    ref_id: UUID | str | None = None  # the approval id or the subform row id


# ---------------------------------------------------------------------------------------
# Helpers


def _require(user, action: str) -> None:
    if not user.can(action, "case"):
        raise PermissionDenied(_("Votre rôle ne permet pas cette action."))


def _case_for(user, case, action: str) -> Case:
    """Re-read ``case`` through the scoping code: 404 if unseen, 403 without the right."""
    pk = case.pk if isinstance(case, Case) else case
    return access_record(user, Case, pk, action)


def _answers(case: Case) -> dict:
    return identity.read_answers(case, get_schema("case"))


def _save(user, obj, *, created: bool = False) -> None:
    """Save a workflow row (or a share) and append its change to the change log."""
    save_logged(user, obj, created=created)


def _notify(users: Iterable, kind: str, case: Case, *, approval: Approval | None = None,
            referral: Referral | None = None, actor=None) -> list[Notification]:
    now = timezone.now()
    out, seen = [], set()
    for u in users:
        if u is None or u.pk in seen or (actor is not None and u.pk == actor.pk):
            continue
        seen.add(u.pk)
        n = Notification(id=uuid.uuid4(), user=u, kind=kind, case=case, approval=approval,
                         referral=referral, created_at=now)
        _save(actor, n, created=True)
        out.append(n)
    return out


def _set_stage(user, case: Case, stage: str, action: str, request=None) -> Case:
    if case.workflow_stage == stage:
        return case
    return set_record_meta(user, case, action, AuditAction.WORKFLOW, request, workflow_stage=stage)


def _audit(action_name: str, user, case: Case, request=None, *, override: bool = False, **details):
    record_event(AuditAction.CONSENT_OVERRIDE if override else AuditAction.WORKFLOW, user=user,
                 request=request, record_type="case", record_id=case.pk,
                 action_name=action_name, **{k: (str(v) if isinstance(v, UUID) else v)
                                             for k, v in details.items()})


def _require_open(case: Case, message: str) -> None:
    if case.status != CaseStatus.OPEN:
        raise WorkflowError(message)


def _users_who_can(queryset, action: str) -> list:
    """Active users of ``queryset`` whose role allows ``action`` on cases (roles are JSON:
    the check is done in Python on a small, already filtered set)."""
    return [u for u in queryset.filter(is_active=True).select_related("role").order_by("username")
            if u.can(action, "case")]


# ---------------------------------------------------------------------------------------
# Approvals


def _pick_approver(user, kind: str):
    """A supervisor of ``user``: the first active user of the same user groups with the
    approve right, else the first in the same agency; never the requester when another
    one exists."""
    User = get_user_model()
    action = f"approve_{kind}"
    groups = list(user.user_groups.values_list("pk", flat=True))
    pools = []
    if groups:
        pools.append(User.objects.filter(user_groups__in=groups).distinct())
    if user.agency_id:
        pools.append(User.objects.filter(agency_id=user.agency_id))
    for pool in pools:
        candidates = [u for u in _users_who_can(pool.exclude(pk=user.pk), action)]
        if candidates:
            return candidates[0]
    return user if user.can(action, "case") else None


def request_approval(user, case, kind: str, *, comment: str = "", closure_reason: str | None = None,
                     request=None) -> Approval:
    """Ask a supervisor to approve the case's assessment, case plan or closure.

    Needs ``request_<kind>``. A case plan request needs the case plan date; a closure
    request needs a reason from the ``closure_reason`` lookup. Requesting the assessment
    approval moves a new or reopened case to the assessment stage. Refused while a request
    of the same kind is pending.
    """
    if kind not in ApprovalKind.values:
        raise WorkflowError(_("Type d'approbation inconnu."))
    case = _case_for(user, case, f"request_{kind}")
    _require_open(case, _("Ce dossier n'est pas ouvert : aucune approbation ne peut être demandée."))
    answers = _answers(case)
    reason = ""
    if kind == ApprovalKind.CASE_PLAN and not answers.get("case_plan_date"):
        raise WorkflowError(_("Indiquez d'abord la date du plan de prise en charge."))
    if kind == ApprovalKind.CLOSURE:
        reason = closure_reason or answers.get("closure_reason") or ""
        lookup = get_schema("case").lookups.get("closure_reason")
        if not reason or lookup is None or reason not in lookup.values:
            raise WorkflowError(_("Choisissez un motif de clôture dans la liste."))
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if Approval.objects.filter(case=case, kind=kind, status=ApprovalStatus.PENDING,
                                   deleted=False).exists():
            raise WorkflowError(_("Une demande d'approbation de ce type est déjà en attente."))
        approval = Approval(
            id=uuid.uuid4(), case=case, kind=kind, requested_by=user, requested_at=timezone.now(),
            approver=_pick_approver(user, kind), comment=(comment or "").strip(),
            closure_reason=reason,
        )
        _save(user, approval, created=True)
        if kind == ApprovalKind.ASSESSMENT and case.workflow_stage in (WorkflowStage.NEW,
                                                                       WorkflowStage.REOPENED):
            case = _set_stage(user, case, WorkflowStage.ASSESSMENT, "request_assessment", request)
        _audit("request_approval", user, case, request, approval=approval.pk, kind=kind,
               **({"closure_reason": reason} if reason else {}))
        _notify([approval.approver], NotificationKind.APPROVAL_REQUESTED, case,
                approval=approval, actor=user)
    return approval


def decide_approval(user, approval: Approval, *, approve: bool, comment: str = "",
                    request=None) -> Approval:
    """Approve or reject a pending request (needs ``approve_<kind>`` and sight of the case).

    A rejection needs a comment. Approving a closure closes the case (closure reason and
    date answers, status and stage closed); approving a case plan moves an earlier stage
    to "case_plan". The requester is notified.
    """
    case = _case_for(user, approval.case_id, f"approve_{approval.kind}")
    if not may_decide(user, approval, case):
        raise PermissionDenied(_("Cette demande est adressée à un autre superviseur."))
    comment = (comment or "").strip()
    if not approve and not comment:
        raise WorkflowError(_("Indiquez le motif du refus dans le commentaire."))
    with transaction.atomic():
        approval = Approval.objects.select_for_update().get(pk=approval.pk)
        if approval.status != ApprovalStatus.PENDING:
            raise WorkflowError(_("Cette demande a déjà été traitée."))
        if approve and approval.kind == ApprovalKind.CLOSURE and case.status != CaseStatus.OPEN:
            raise WorkflowError(_("Ce dossier n'est pas ouvert."))
        approval.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
        approval.decided_by, approval.decided_at = user, timezone.now()
        approval.decision_comment = comment
        _save(user, approval)
        if approve and approval.kind == ApprovalKind.CLOSURE:
            case = update_record(user, case, {
                "closure_reason": approval.closure_reason,
                "closure_date": timezone.localdate().isoformat(),
            }, request=request)
            case = set_record_meta(user, case, "close", AuditAction.WORKFLOW, request,
                                   status=CaseStatus.CLOSED, workflow_stage=WorkflowStage.CLOSED)
        elif approve and approval.kind == ApprovalKind.CASE_PLAN:
            if STAGE_ORDER[case.workflow_stage] < STAGE_ORDER[WorkflowStage.CASE_PLAN]:
                case = _set_stage(user, case, WorkflowStage.CASE_PLAN, "approve_case_plan", request)
        _audit("decide_approval", user, case, request, approval=approval.pk, kind=approval.kind,
               status=approval.status)
        kind = NotificationKind.APPROVAL_APPROVED if approve else NotificationKind.APPROVAL_REJECTED
        _notify([approval.requested_by], kind, case, approval=approval, actor=user)
        if approve and approval.kind == ApprovalKind.CLOSURE and case.owner_id != approval.requested_by_id:
            _notify([case.owner], NotificationKind.CASE_CLOSED, case, approval=approval, actor=user)
    return approval


def may_decide(user, approval: Approval, case: Case) -> bool:
    """The supervisor named on the request, or (standing in) a supervisor of the
    organisation that owns the case who reaches it through their own role."""
    if user.is_superuser or approval.approver_id == user.pk:
        return True
    rights = rights_for(user, case)
    return rights.full and user.agency_id is not None and user.agency_id == case.owning_agency_id


def access_approval(user, pk) -> Approval:
    """The approval ``pk`` if ``user`` sees its case (or asked for it, or is asked to
    decide it); 404 otherwise."""
    try:
        approval = Approval.objects.select_related("case").get(pk=pk, deleted=False)
    except (Approval.DoesNotExist, ValidationError, ValueError, TypeError):
        raise Http404(_("Demande introuvable.")) from None
    if user.pk in (approval.requested_by_id, approval.approver_id) or (
            Case.objects.visible_to(user).filter(pk=approval.case_id).exists()):
        return approval
    raise Http404(_("Demande introuvable."))


# ---------------------------------------------------------------------------------------
# Referrals and transfers


def _check_consent(user, case: Case, consent_override: bool) -> bool:
    """True when sharing goes ahead on an override; raises when it may not go ahead."""
    missing = []
    if not case.consent_for_services:
        missing.append(_("le consentement aux services"))
    if not case.consent_disclosure:
        missing.append(_("l'accord pour partager les informations avec d'autres organisations"))
    share_with = _answers(case).get("share_with") or []
    if share_with and SHARE_WITH_ORGANISATIONS not in share_with:
        missing.append(_("l'accord pour partager avec d'autres organisations (la réponse « Avec "
                         "qui les informations peuvent-elles être partagées ? » ne les cite pas)"))
    if not missing:
        return False
    if consent_override and user.can("consent_override", "case"):
        return True
    if consent_override:
        raise PermissionDenied(_("Votre rôle ne permet pas de passer outre le consentement."))
    raise PermissionDenied(
        _("Ce dossier ne peut pas être partagé : il manque %(missing)s. Enregistrez le "
          "consentement dans la section Consentement, ou demandez à un superviseur de passer "
          "outre.") % {"missing": _(" et ").join(missing)}
    )


def _check_recipient(to_agency, to_user) -> None:
    if to_agency is None or to_agency.deleted:
        raise WorkflowError(_("Choisissez l'organisation destinataire."))
    if to_user is not None:
        if to_user.agency_id != to_agency.pk:
            raise WorkflowError(_("Le destinataire ne fait pas partie de cette organisation."))
        if not to_user.is_active or not to_user.can("view", "case"):
            raise WorkflowError(_("Ce destinataire ne peut pas recevoir de dossiers."))


def _recipients(referral: Referral) -> list:
    """Who the referral or transfer is addressed to."""
    if referral.to_user_id:
        return [referral.to_user]
    return _users_who_can(get_user_model().objects.filter(agency_id=referral.to_agency_id), "view")


def _is_recipient(user, referral: Referral) -> bool:
    if not user.is_active:
        return False
    if referral.to_user_id:
        return referral.to_user_id == user.pk
    return user.agency_id == referral.to_agency_id and user.can("view", "case")


def access_referral(user, pk) -> Referral:
    """The referral or transfer ``pk`` if ``user`` sent it, receives it, or sees its case;
    404 otherwise."""
    try:
        referral = Referral.objects.select_related("case", "to_agency", "from_agency").get(
            pk=pk, deleted=False)
    except (Referral.DoesNotExist, ValidationError, ValueError, TypeError):
        raise Http404(_("Orientation introuvable.")) from None
    if referral.from_user_id == user.pk or _is_recipient(user, referral):
        return referral
    if Case.objects.visible_to(user).filter(pk=referral.case_id).exists():
        return referral
    raise Http404(_("Orientation introuvable."))


def _pending_permit(kind: str, sections: list[str]) -> dict:
    """What the recipient of a referral or transfer awaiting an answer may do: read what is
    needed to decide, write nothing, no workflow action."""
    read = sections if kind == ReferralKind.TRANSFER else [
        s for s in sections if s in REFERRAL_DECIDE_SECTIONS]
    return {"sections_read": read, "sections_write": [], "actions": ["view"],
            "rows_write": {}, "rows_add": []}


def _accepted_permit(referral: Referral, sections: list[str]) -> dict:
    """An accepted referral: read the sections shared, write the referred service's row
    and the follow-ups the recipient adds; nothing else."""
    rows = {"services": [str(referral.service_row_id)]} if referral.service_row_id else {}
    return {"sections_read": sections, "sections_write": [], "actions": ["view", "edit"],
            "rows_write": rows, "rows_add": ["followups"]}


def _set_permit(share: RecordShare, permit: dict) -> None:
    for name, value in permit.items():
        setattr(share, name, value)


def _open_share(user, case: Case, kind: str, to_agency, to_user, permit: dict) -> RecordShare:
    share = RecordShare(id=uuid.uuid4(), record_type="case", record_id=case.pk, kind=kind,
                        user=to_user, agency=to_agency, active=True, created_by=user)
    _set_permit(share, permit)
    _save(user, share, created=True)
    return share


def _shared_sections(kind: str, sections) -> list[str]:
    """The case sections the referrer shares: the default set when none is chosen."""
    codes = {s.code for s in get_schema("case").main_sections}
    if not sections:
        default = REFERRAL_SECTIONS if kind == ReferralKind.REFERRAL else TRANSFER_SECTIONS
        return [s for s in default if s in codes or s == "*"]
    chosen = [str(s) for s in sections]
    unknown = [s for s in chosen if s not in codes]
    if unknown:
        raise WorkflowError(_("Section inconnue : %(codes)s.") % {"codes": ", ".join(unknown)})
    return [s.code for s in get_schema("case").main_sections if s.code in chosen]


def _close_share(user, referral: Referral) -> None:
    if referral.share_id:
        share = RecordShare.objects.select_for_update().get(pk=referral.share_id)
        if share.active:
            share.active = False
            _save(user, share)


def _start(user, case, kind: str, *, to_agency, to_user, service_row_id, reason: str,
           consent_override: bool, request, sections=None) -> Referral:
    action = "refer" if kind == ReferralKind.REFERRAL else "transfer"
    case = _case_for(user, case, action)
    if kind == ReferralKind.REFERRAL:
        _require_open(case, _("Un dossier clôturé ne peut pas être orienté."))
    else:
        _require_open(case, _("Un dossier clôturé ne peut pas être transféré."))
    _check_recipient(to_agency, to_user)
    if to_user is not None and to_user.pk == case.owner_id:
        raise WorkflowError(_("Ce dossier est déjà suivi par ce destinataire."))
    if kind == ReferralKind.TRANSFER and to_user is None and to_agency.pk == case.owning_agency_id:
        raise WorkflowError(_("Choisissez le travailleur qui reprendra le dossier."))
    override = _check_consent(user, case, consent_override)
    shared = _shared_sections(kind, sections)
    if service_row_id is not None:
        try:
            service_row_id = UUID(str(service_row_id))
        except ValueError:
            raise WorkflowError(_("Service inconnu dans ce dossier.")) from None
        rows = live_rows(_answers(case), "services")
        if str(service_row_id) not in {r.get("_id") for r in rows}:
            raise WorkflowError(_("Service inconnu dans ce dossier."))
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if kind == ReferralKind.TRANSFER and Referral.objects.filter(
                case=case, kind=kind, status=ReferralStatus.IN_PROGRESS, deleted=False).exists():
            raise WorkflowError(_("Un transfert de ce dossier est déjà en attente."))
        share_kind = ShareKind.REFERRAL if kind == ReferralKind.REFERRAL else ShareKind.TRANSFER
        share = _open_share(user, case, share_kind, to_agency, to_user,
                            _pending_permit(kind, shared))
        referral = Referral(
            id=uuid.uuid4(), case=case, kind=kind, from_user=user, from_agency_id=user.agency_id,
            to_user=to_user, to_agency=to_agency, service_row_id=service_row_id, share=share,
            consent_override=override, reason=(reason or "").strip(), created_at=timezone.now(),
            sections=shared,
        )
        _save(user, referral, created=True)
        _audit(action, user, case, request, override=override, referral=referral.pk,
               to_agency=to_agency.pk, to_user=to_user.pk if to_user else None,
               consent_override=override,
               **({"service_row": str(service_row_id)} if service_row_id else {}))
        notify_kind = (NotificationKind.REFERRAL_RECEIVED if kind == ReferralKind.REFERRAL
                       else NotificationKind.TRANSFER_RECEIVED)
        _notify(_recipients(referral), notify_kind, case, referral=referral, actor=user)
    return referral


def refer(user, case, *, to_agency, to_user=None, service_row_id=None, reason: str = "",
          consent_override: bool = False, sections=None, request=None) -> Referral:
    """Refer an open case to another organisation (or one of its users), optionally for
    one row of the services subform. The recipient gets access through an active share
    that permits only what the referral is for: while it awaits an answer, reading what is
    needed to decide; once accepted, reading the ``sections`` shared (the referrer's
    choice, ``REFERRAL_SECTIONS`` by default) and writing the referred service's row and
    the follow-ups the recipient adds. Never a workflow action on the case.

    Needs ``refer``, and recorded consent (consent for services and disclosure to other
    organisations) or ``consent_override=True`` with the ``consent_override`` right, which
    is audited as a consent override.
    """
    return _start(user, case, ReferralKind.REFERRAL, to_agency=to_agency, to_user=to_user,
                  service_row_id=service_row_id, reason=reason,
                  consent_override=consent_override, request=request, sections=sections)


def transfer(user, case, *, to_agency, to_user=None, reason: str = "", consent_override: bool = False,
             sections=None, request=None) -> Referral:
    """Offer the case to another organisation or user; ownership moves when they accept.

    Same rights and consent rules as ``refer`` (with ``transfer``). The recipient sees the
    case while the transfer is pending.
    """
    return _start(user, case, ReferralKind.TRANSFER, to_agency=to_agency, to_user=to_user,
                  service_row_id=None, reason=reason, consent_override=consent_override,
                  request=request, sections=sections)


def _respond(user, referral: Referral, kind: str, accept: bool, comment: str) -> Referral:
    if referral.kind != kind:
        raise WorkflowError(_("Cette action ne s'applique pas à ce type d'orientation."))
    if not _is_recipient(user, referral):
        raise PermissionDenied(_("Cette orientation ne vous est pas adressée."))
    if not accept and not (comment or "").strip():
        raise WorkflowError(_("Expliquez le refus dans le commentaire."))
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.status != ReferralStatus.IN_PROGRESS:
        raise WorkflowError(_("Cette orientation a déjà reçu une réponse ou a été annulée."))
    referral.status = ReferralStatus.ACCEPTED if accept else ReferralStatus.DECLINED
    referral.responded_by, referral.responded_at = user, timezone.now()
    referral.response_comment = (comment or "").strip()
    return referral


def respond_referral(user, referral: Referral, *, accept: bool, comment: str = "",
                     request=None) -> Referral:
    """The recipient (``to_user``, or any user of ``to_agency`` who may view cases when no
    user was named) accepts or declines. Declining removes the recipient's access."""
    with transaction.atomic():
        referral = _respond(user, referral, ReferralKind.REFERRAL, accept, comment)
        _save(user, referral)
        if not accept:
            _close_share(user, referral)
        elif referral.share_id:
            share = RecordShare.objects.select_for_update().get(pk=referral.share_id)
            _set_permit(share, _accepted_permit(referral, referral.sections or []))
            _save(user, share)
        case = referral.case
        _audit("respond_referral", user, case, request, referral=referral.pk, status=referral.status)
        kind = NotificationKind.REFERRAL_ACCEPTED if accept else NotificationKind.REFERRAL_DECLINED
        _notify([referral.from_user], kind, case, referral=referral, actor=user)
    return referral


def complete_referral(user, referral: Referral, *, request=None) -> Referral:
    """The recipient marks the referral done. The referred service row (if any) becomes
    implemented today, and the recipient's access ends with the referral."""
    if referral.kind != ReferralKind.REFERRAL:
        raise WorkflowError(_("Cette action ne s'applique pas à ce type d'orientation."))
    if not _is_recipient(user, referral):
        raise PermissionDenied(_("Cette orientation ne vous est pas adressée."))
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if not referral.is_live:
            raise WorkflowError(_("Cette orientation n'est plus en cours."))
        if referral.service_row_id:
            case = _case_for(user, referral.case_id, "edit")
            row = str(referral.service_row_id)
            if row in {r.get("_id") for r in live_rows(_answers(case), "services")}:
                case = update_record(user, case, {"services": [{
                    "_id": row, "implemented": True,
                    "implemented_on": timezone.localdate().isoformat(),
                }]}, request=request)
                case = _set_stage(user, case, compute_stage(case, _answers(case)),
                                  "complete_referral", request)
        if referral.status == ReferralStatus.IN_PROGRESS:
            referral.responded_by, referral.responded_at = user, timezone.now()
        referral.status = ReferralStatus.DONE
        _save(user, referral)
        _close_share(user, referral)
        case = Case.objects.get(pk=referral.case_id)
        _audit("complete_referral", user, case, request, referral=referral.pk)
        _notify([referral.from_user], NotificationKind.REFERRAL_DONE, case, referral=referral,
                actor=user)
    return referral


def _may_revoke(user, referral: Referral) -> bool:
    if referral.from_user_id == user.pk or user.is_superuser:
        return True
    # The referrer's supervisor: may assign, sees the case, in the referring organisation.
    return (user.can("assign", "case") and user.agency_id is not None
            and user.agency_id == referral.from_agency_id
            and Case.objects.visible_to(user).filter(pk=referral.case_id).exists())


def revoke_referral(user, referral: Referral, *, request=None) -> Referral:
    """The referrer (or their supervisor) withdraws a referral or a pending transfer; the
    recipient loses access."""
    if not _may_revoke(user, referral):
        raise PermissionDenied(_("Seule la personne qui a fait l'orientation, ou son "
                                 "superviseur, peut l'annuler."))
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        live = (ReferralStatus.IN_PROGRESS,) if referral.kind == ReferralKind.TRANSFER else (
            ReferralStatus.IN_PROGRESS, ReferralStatus.ACCEPTED)
        if referral.status not in live:
            raise WorkflowError(_("Cette orientation n'est plus en cours."))
        referral.status = ReferralStatus.REVOKED
        _save(user, referral)
        _close_share(user, referral)
        case = referral.case
        _audit("revoke_referral", user, case, request, referral=referral.pk)
        kind = (NotificationKind.REFERRAL_REVOKED if referral.kind == ReferralKind.REFERRAL
                else NotificationKind.TRANSFER_REVOKED)
        recipients = [referral.responded_by] if referral.responded_by_id else _recipients(referral)
        _notify(recipients, kind, case, referral=referral, actor=user)
    return referral


def respond_transfer(user, referral: Referral, *, accept: bool, comment: str = "",
                     request=None) -> Referral:
    """The recipient accepts (becomes owner, the case moves to their organisation, the
    previous owner keeps no access unless assigned) or declines a pending transfer."""
    with transaction.atomic():
        referral = _respond(user, referral, ReferralKind.TRANSFER, accept, comment)
        _save(user, referral)
        _close_share(user, referral)
        case = Case.objects.get(pk=referral.case_id)
        if accept:
            if case.status != CaseStatus.OPEN or case.deleted:
                raise WorkflowError(_("Ce dossier n'est plus ouvert : le transfert est impossible."))
            new_owner = referral.to_user or user
            case = set_record_meta(user, case, "transfer", AuditAction.WORKFLOW, request,
                                   owner_id=new_owner.pk, owning_agency_id=referral.to_agency_id)
        _audit("respond_transfer", user, case, request, referral=referral.pk, status=referral.status)
        kind = NotificationKind.TRANSFER_ACCEPTED if accept else NotificationKind.TRANSFER_DECLINED
        _notify([referral.from_user], kind, case, referral=referral, actor=user)
    return referral


# ---------------------------------------------------------------------------------------
# Reopening and stages


def reopen_case(user, case, *, reason: str = "", request=None) -> Case:
    """Reopen a closed case (needs ``reopen``): status open, stage "reopened".

    ``reason`` is required. It is free text about the child, so it is kept as a note on
    the case (sealed, readable by those who read the case's notes), never in the audit.
    """
    case = _case_for(user, case, "reopen")
    if case.status != CaseStatus.CLOSED:
        raise WorkflowError(_("Seul un dossier clôturé peut être rouvert."))
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError(_("Indiquez pourquoi le dossier est rouvert."))
    from yiri.cases.notes import add_reopen_note

    with transaction.atomic():
        case = set_record_meta(user, case, "reopen", AuditAction.WORKFLOW, request,
                               status=CaseStatus.OPEN, workflow_stage=WorkflowStage.REOPENED)
        forget_rights(case)
        add_reopen_note(user, case, reason, request=request)
        _notify([case.owner], NotificationKind.CASE_REOPENED, case, actor=user)
    return case


def refresh_stage(user, case, *, request=None) -> Case:
    """Recompute the case's workflow stage from its answers (the UI calls this after
    saving a section); writes a change only when the stage moves."""
    case = _case_for(user, case, "edit")
    with transaction.atomic():
        return _set_stage(user, case, compute_stage(case, _answers(case)), "refresh_stage", request)


# ---------------------------------------------------------------------------------------
# What is waiting for a user


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def tasks_for(user, today: dt.date | None = None, *, limit: int | None = None) -> list[Task]:
    """The user's to-do list, soonest first.

    - approvals pending that the user is asked to decide;
    - case plans due (``case_plan_due_date``) on the user's own cases without a plan date;
    - services with an appointment date not yet implemented;
    - follow-ups with a needed-by date not yet done.

    Only open cases the user owns or is assigned/referred to by name, with work due
    (``Case.next_due``), are inspected, found through indexed columns (owner, status,
    active shares), the soonest due first; their answers are read for at most
    ``TASK_CASE_LIMIT`` (500) cases, so a user with more such cases than that sees the
    tasks of the 500 with the soonest work only.

    ``limit``: only the ``limit`` soonest tasks are wanted (the home page shows 20). As
    ``next_due`` is the earliest due date of a case's tasks, cases are read by
    ``next_due`` in batches and the reading stops once ``limit`` tasks are found that are
    due no later than any case not yet read: the first ``limit`` tasks are the same as
    those of the whole list, without reading the answers of a worker's hundreds of cases.
    """
    today = today or timezone.localdate()
    tasks: list[Task] = []
    approvals = (Approval.objects.filter(approver=user, status=ApprovalStatus.PENDING, deleted=False)
                 .filter(case__in=Case.objects.visible_to(user))
                 .select_related("case").order_by("requested_at")[:TASK_CASE_LIMIT])
    for a in approvals:
        if user.can(f"approve_{a.kind}", "case"):
            tasks.append(Task(f"approval_{a.kind}", a.case_id, a.case.short_id, None, False,
                              _("Approbation à décider : %(what)s") % {"what": a.get_kind_display()},
                              a.pk))
    # "owned UNION shared" reads only this user's cases; "owner OR EXISTS(share)" would
    # test every open case of the node (see cases.access.scope_q).
    owned = Case.objects.order_by().filter(owner=user, status=CaseStatus.OPEN).values("pk")
    shared = RecordShare.objects.filter(record_type="case", user=user, active=True,
                                        deleted=False).values("record_id")
    # ``next_due`` (kept by the write path from the same answers, ``cases.columns``) is
    # empty on a case with no work due: its answers need not be read.
    order = ("next_due", "pk")
    due = (Case.objects.visible_to(user).filter(status=CaseStatus.OPEN, next_due__isnull=False)
           .filter(pk__in=owned.union(shared)).order_by(*order).values("pk"))
    dated: list[Task] = []
    batch = TASK_CASE_LIMIT if limit is None else max(2 * limit, 20)
    start = 0
    while start < TASK_CASE_LIMIT:
        # The batch's cases are chosen on indexed columns first, then only their four
        # answers are read (PostgreSQL would otherwise extract the JSON of every case due
        # before sorting them).
        rows = list(Case.objects.filter(pk__in=due[start:min(start + batch, TASK_CASE_LIMIT)])
                    .order_by(*order)
                    .values_list("next_due", "id", "short_id", "owner_id",
                                 "data__case_plan_due_date", "data__case_plan_date",
                                 "data__services", "data__followups"))
        for _due, pk, short, owner_id, plan_due, plan_date, services, followups in rows:
            data = {"case_plan_due_date": plan_due, "case_plan_date": plan_date,
                    "services": services, "followups": followups}
            dated += case_tasks(pk, short, data, owner_id == user.pk, today)
        if len(rows) < batch:
            break
        if limit is not None and len(dated) >= limit:
            dated.sort(key=_task_order)
            # Every case not read yet has no work due before the last one read.
            if dated[limit - 1].due < rows[-1][0]:
                break
        start += batch
    tasks += dated
    tasks.sort(key=_task_order)
    return tasks if limit is None else tasks[:limit]


def _task_order(task: Task) -> tuple:
    return (task.due is None, task.due or dt.date.max, task.short_id)


def case_tasks(case_id, short: str, data: dict, owned: bool, today: dt.date) -> list[Task]:
    """The dated work still to do on one case (the case plan only for its owner)."""
    tasks = []
    due = _date(data.get("case_plan_due_date"))
    if owned and due and not data.get("case_plan_date"):
        tasks.append(Task("case_plan_due", case_id, short, due, due < today,
                          _("Plan de prise en charge à établir")))
    for row in live_rows(data, "services"):
        due = _date(row.get("appointment_date"))
        if due and not row.get("implemented"):
            tasks.append(Task("service", case_id, short, due, due < today,
                              _("Service à réaliser"), row.get("_id")))
    for row in live_rows(data, "followups"):
        due = _date(row.get("needed_by"))
        if due and not row.get("done_on"):
            tasks.append(Task("followup", case_id, short, due, due < today,
                              _("Suivi à faire"), row.get("_id")))
    return tasks


def approvals_waiting_for(user) -> QuerySet[Approval]:
    """Pending approvals the user may decide: of a kind the user's role approves, on cases
    the user sees (their team's for a supervisor), addressed to them or on a case of their
    own organisation (a stand-in may decide those), oldest first."""
    kinds = [k for k in ApprovalKind.values if user.can(f"approve_{k}", "case")]
    if not kinds:
        return Approval.objects.none()
    mine = Q(approver=user)
    if user.agency_id:
        mine |= Q(case__owning_agency_id=user.agency_id)  # standing in (``may_decide``)
    qs = Approval.objects.filter(status=ApprovalStatus.PENDING, kind__in=kinds, deleted=False,
                                 case__in=Case.objects.visible_to(user))
    if not user.is_superuser:
        qs = qs.filter(mine)
    return qs.select_related("case", "requested_by").order_by("requested_at")


def referrals_waiting_for(user) -> QuerySet[Referral]:
    """Referrals and transfers addressed to the user (by name, or to their organisation
    when no user was named) that await an answer, oldest first."""
    if not user.is_active or not user.can("view", "case"):
        return Referral.objects.none()
    addressed = Q(to_user=user)
    if user.agency_id:
        addressed |= Q(to_user__isnull=True, to_agency_id=user.agency_id)
    return (Referral.objects.filter(addressed, status=ReferralStatus.IN_PROGRESS, deleted=False)
            .select_related("case", "from_agency", "to_agency").order_by("created_at"))


def unread_notifications(user) -> QuerySet[Notification]:
    """The user's unread notifications, newest first (``.message`` gives the text)."""
    return (Notification.objects.filter(user=user, read_at__isnull=True, deleted=False)
            .select_related("case", "approval").order_by("-created_at"))


def mark_read(user, ids) -> int:
    """Mark some of the user's own notifications read (ids that are not the user's, or
    not ids at all, are ignored); returns how many changed."""
    wanted = []
    for i in ids:
        try:
            wanted.append(UUID(str(i)))
        except ValueError:
            continue
    now = timezone.now()
    count = 0
    with transaction.atomic():
        for n in Notification.objects.select_for_update().filter(
                user=user, id__in=wanted[:1000], read_at__isnull=True):
            n.read_at = now
            _save(user, n)
            count += 1
    return count

