"""Workflow steps from the case page: approvals, referrals, transfers, reopening,
notifications. Each view fetches what it acts on through the case's access check, calls
one ``yiri.workflow.services`` action and returns to the case page with a message."""

from __future__ import annotations

import dataclasses
from uuid import UUID

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiri.cases import identity
from yiri.cases.access import access_record, readable_sections, rights_for
from yiri.cases.models import Case, CaseStatus, WorkflowStage
from yiri.formconfig.schema import get_schema
from yiri.network.models import Agency
from yiri.workflow import models as workflow_models
from yiri.workflow import services as workflow
from yiri.workflow.history import APPROVAL_SECTIONS

from ..answers import is_uuid

APPROVAL_KINDS = {
    "assessment": ("request_assessment", "approve_assessment"),
    "case_plan": ("request_case_plan", "approve_case_plan"),
    "closure": ("request_closure", "approve_closure"),
}




@dataclasses.dataclass
class FormError:
    """A refused workflow action, shown next to the form that asked for it.

    ``form`` names the form (``decide``, ``request``, ``refer``, ``transfer``, ``respond``,
    ``referral``, ``reopen``, ``assign``); ``target`` the approval or referral it acts on,
    for the forms repeated per item; ``field`` the id of the field the message is about;
    ``values`` what was posted, put back so that nothing typed is lost.
    """

    form: str
    message: str
    field: str = ""
    target: UUID | None = None
    values: dict = dataclasses.field(default_factory=dict)

    @property
    def anchor(self) -> str:
        return f"{self.form}-{self.target}" if self.target else f"{self.form}-form"

    @property
    def id(self) -> str:
        return f"{self.anchor}-error"


# The bar shows one response stage: the three are alternatives chosen per service.
RESPONSE_STAGES = (WorkflowStage.CARE_PLAN, WorkflowStage.ACTION_PLAN, WorkflowStage.SERVICE_PROVISION)


@dataclasses.dataclass
class Step:
    stage: str
    label: str
    state: str  # "done", "current" or "todo"


def stage_steps(case: Case) -> list[Step]:
    """The case's stages in the CPIMS+ order as a bar: those passed, the current one and
    those to come. "Reopened" is shown only while the case is at it; of the response
    stages, the case's own (or "service provision" before one is chosen)."""
    current = case.workflow_stage
    response = current if current in RESPONSE_STAGES else WorkflowStage.SERVICE_PROVISION
    shown = [s for s in WorkflowStage
             if (s != WorkflowStage.REOPENED or current == s)
             and (s not in RESPONSE_STAGES or s == response)]
    at = next((i for i, s in enumerate(shown) if s == current), 0)
    return [Step(s.value, s.label, "done" if i < at else "current" if i == at else "todo")
            for i, s in enumerate(shown)]


def _pending(approvals, referrals) -> list[str]:
    """What the case waits for, from the rows the panel already read (no query)."""
    m = workflow_models
    out = [_("Approbation demandée : %(what)s") % {"what": a.get_kind_display()}
           for a in approvals if a.status == m.ApprovalStatus.PENDING]
    for r in referrals:
        if r.status != m.ReferralStatus.IN_PROGRESS:
            continue
        template = (_("Transfert en attente de réponse : %(agency)s")
                    if r.kind == m.ReferralKind.TRANSFER
                    else _("Orientation en attente de réponse : %(agency)s"))
        out.append(template % {"agency": r.to_agency})
    return out


def case_panel(user, case: Case, error: FormError | None = None) -> dict:
    """What the workflow part of the case page shows and offers to ``user``; ``error``
    (a refused action) is attached to the form it came from."""
    m = workflow_models
    schema = get_schema("case")
    rights = rights_for(user, case)
    readable = set(readable_sections(user, schema, case))
    # An approval's comments belong with the section it approves: shown to its readers only.
    approvals = [a for a in m.Approval.objects.filter(case=case, deleted=False)
                 .select_related("requested_by", "decided_by")[:20]
                 if APPROVAL_SECTIONS.get(a.kind) in readable]
    referrals = list(m.Referral.objects.filter(case=case, deleted=False)
                     .select_related("from_agency", "to_agency", "to_user", "from_user")[:20])
    pending = {a.kind for a in approvals if a.status == m.ApprovalStatus.PENDING}
    requestable = [
        (kind, m.ApprovalKind(kind).label) for kind, (req, _app) in APPROVAL_KINDS.items()
        if rights.can(req) and kind not in pending and case.status == CaseStatus.OPEN
    ]
    decidable = {a.pk for a in approvals if a.status == m.ApprovalStatus.PENDING
                 and rights.can(APPROVAL_KINDS[a.kind][1]) and workflow.may_decide(user, a, case)}
    my_agency = user.agency_id
    for r in referrals:
        r.can_respond = r.status == m.ReferralStatus.IN_PROGRESS and (
            r.to_user_id == user.pk or (r.to_user_id is None and r.to_agency_id == my_agency))
        r.can_complete = r.kind == m.ReferralKind.REFERRAL and r.status == m.ReferralStatus.ACCEPTED \
            and (r.to_user_id == user.pk or r.to_agency_id == my_agency)
        r.can_revoke = r.is_live and (r.from_user_id == user.pk or user.can("assign", "case")) \
            and r.from_agency_id == my_agency
        r.service_label = _service_label(case, r.service_row_id)
        r.error = error if error and error.target == r.pk else None
    for a in approvals:
        a.error = error if error and error.target == a.pk else None
    services_rows = []
    if "services_section" in readable:
        answers = identity.read_answers(case, schema)
        lookup = schema.lookups.get("service_type")
        for row in answers.get("services") or []:
            if not row.get("_deleted"):
                label = lookup.label(row.get("service_type")) if lookup else row.get("service_type")
                services_rows.append((row["_id"], label or "—"))
    closure = schema.lookups.get("closure_reason")
    is_open = case.status == CaseStatus.OPEN
    can = {
        "request": bool(requestable), "refer": is_open and rights.can("refer"),
        "transfer": is_open and rights.can("transfer"),
        "reopen": case.status == CaseStatus.CLOSED and rights.can("reopen"),
        "decide": error is not None and error.target in decidable,
        "respond": any(r.error and r.can_respond for r in referrals),
        "referral": any(r.error and (r.can_complete or r.can_revoke) for r in referrals),
    }
    return {
        "workflow": True,
        "approvals": approvals, "referrals": referrals, "requestable": requestable,
        "decidable": decidable,
        "can_refer": can["refer"], "can_transfer": can["transfer"], "can_reopen": can["reopen"],
        "can_override": rights.can("consent_override"),
        "shareable_sections": [(s.code, s.name) for s in schema.main_sections],
        "default_referral_sections": workflow.REFERRAL_SECTIONS,
        "consent_ok": case.consent_for_services and case.consent_disclosure,
        "agencies": Agency.objects.filter(deleted=False).exclude(pk=case.owning_agency_id)
        .order_by("name")[:200],
        "service_rows": services_rows,
        "closure_reasons": closure.labels() if closure else [],
        "wf_error": error,
        "pending": _pending(approvals, referrals),
        # The case moved on meanwhile (reopened by someone else…): its form is gone, so
        # the message is shown at the top of the panel, under the form's anchor.
        "wf_error_orphan": error if error and not can.get(error.form) else None,
        **{f"{form}_error": error if error and error.form == form else None
           for form in ("request", "refer", "transfer", "reopen")},
    }


def _service_label(case, row_id) -> str:
    if not row_id:
        return ""
    schema = get_schema("case")
    for row in (case.data or {}).get("services") or []:
        if row.get("_id") == str(row_id):
            lookup = schema.lookups.get("service_type")
            return lookup.label(row.get("service_type")) if lookup else ""
    return ""


def _back(case) -> HttpResponse:
    return redirect(reverse("cases_record", args=[case.pk]) + "#workflow")


def _refused(request, case, error: FormError) -> HttpResponse:
    """The case page again, with the message beside the form that was sent (the form's
    action carries its anchor, so the browser comes back to it) and what was typed."""
    from .records import page_context  # records builds the page and imports this module

    error.values = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    error.values["sections"] = request.POST.getlist("sections")  # the referral's checkboxes
    case = Case.objects.visible_to(request.user).filter(pk=case.pk).first()
    if case is None:  # the refusal came with the end of this user's access
        messages.error(request, error.message)
        return redirect("home")
    return render(request, "web/record.html", page_context(request.user, case, wf_error=error),
                  status=422)


def _run(request, case, action, success: str, error: FormError) -> HttpResponse:
    """Call one workflow action; a refusal is shown next to ``error``'s form."""
    try:
        action()
    except ValidationError as exc:
        error.message = " ".join(exc.messages)
        return _refused(request, case, error)
    except PermissionDenied as exc:
        error.message = str(exc) or _("Votre rôle ne permet pas cette action.")
        return _refused(request, case, error)
    messages.success(request, success)
    return _back(case)


def _comment(request, name: str = "comment") -> str:
    return (request.POST.get(name) or "").strip()[:2000]


@login_required
@require_POST
def request_approval(request: HttpRequest, pk) -> HttpResponse:
    user = request.user
    kind = request.POST.get("kind")
    if kind not in APPROVAL_KINDS:
        raise Http404
    case = access_record(user, Case, pk, APPROVAL_KINDS[kind][0])
    return _run(request, case, lambda: workflow.request_approval(
        user, case, kind, comment=_comment(request),
        closure_reason=request.POST.get("closure_reason") or None, request=request,
    ), _("Demande d'approbation envoyée au superviseur."),
        FormError("request", "", "wf-closure" if kind == "closure" else "wf-kind"))


def _approval(user, approval_id):
    """The approval if the user sees its case, asked for it or is asked to decide it."""
    approval = workflow.access_approval(user, approval_id)
    return approval, approval.case


@login_required
@require_POST
def decide_approval(request: HttpRequest, approval_id) -> HttpResponse:
    user = request.user
    approval, case = _approval(user, str(approval_id))
    approve = request.POST.get("decision") == "approve"
    comment = _comment(request)
    error = FormError("decide", "", f"c-{approval.pk}", target=approval.pk)
    if not approve and not comment:
        error.message = _("Expliquez le refus dans le commentaire.")
        return _refused(request, case, error)
    return _run(request, case, lambda: workflow.decide_approval(
        user, approval, approve=approve, comment=comment, request=request,
    ), _("Demande approuvée.") if approve else _("Demande refusée."), error)


def _agency(pk):
    if not pk or not is_uuid(pk):
        return None
    return Agency.objects.filter(pk=pk, deleted=False).first()


@login_required
@require_POST
def refer(request: HttpRequest, pk) -> HttpResponse:
    user = request.user
    case = access_record(user, Case, pk, "refer")
    agency = _agency(request.POST.get("to_agency"))
    error = FormError("refer", "", "rf-agency")
    if agency is None:
        error.message = _("Choisissez l'organisation qui recevra l'orientation.")
        return _refused(request, case, error)
    row_id = request.POST.get("service_row_id") or None
    if row_id and not is_uuid(row_id):
        raise Http404
    override = request.POST.get("consent_override") == "on" and user.can("consent_override", "case")
    return _run(request, case, lambda: workflow.refer(
        user, case, to_agency=agency, to_user=_recipient(agency, request.POST.get("to_user")),
        service_row_id=row_id, reason=_comment(request, "reason"), consent_override=override,
        sections=request.POST.getlist("sections") or None, request=request,
    ), _("Orientation envoyée à %(agency)s.") % {"agency": agency}, error)


def _recipient(agency, pk):
    if not pk or not is_uuid(pk):
        return None
    return get_user_model().objects.filter(pk=pk, agency=agency, is_active=True).first()


@login_required
@require_POST
def transfer(request: HttpRequest, pk) -> HttpResponse:
    user = request.user
    case = access_record(user, Case, pk, "transfer")
    agency = _agency(request.POST.get("to_agency"))
    error = FormError("transfer", "", "tr-agency")
    if agency is None:
        error.message = _("Choisissez l'organisation qui recevra le dossier.")
        return _refused(request, case, error)
    override = request.POST.get("consent_override") == "on" and user.can("consent_override", "case")
    return _run(request, case, lambda: workflow.transfer(
        user, case, to_agency=agency, reason=_comment(request, "reason"),
        consent_override=override, request=request,
    ), _("Transfert proposé à %(agency)s.") % {"agency": agency}, error)


def _referral(user, referral_id):
    """The referral if the user sent it, receives it or sees its case (404 otherwise)."""
    referral = workflow.access_referral(user, referral_id)
    return referral, referral.case


@login_required
@require_POST
def respond_referral(request: HttpRequest, referral_id) -> HttpResponse:
    user = request.user
    referral, case = _referral(user, referral_id)
    accept = request.POST.get("decision") == "accept"
    is_transfer = referral.kind == workflow_models.ReferralKind.TRANSFER
    fn = workflow.respond_transfer if is_transfer else workflow.respond_referral
    done = _("Accepté.") if accept else _("Refusé.")
    response = _run(request, case, lambda: fn(user, referral, accept=accept,
                                               comment=_comment(request), request=request), done,
                    FormError("respond", "", f"rc-{referral.pk}", target=referral.pk))
    return _home_if_gone(user, case, response)


def _home_if_gone(user, case, response):
    """A declined referral or a revoked one ends this user's access: go home, not to a 404."""
    if not Case.objects.visible_to(user).filter(pk=case.pk).exists():
        return redirect("home")
    return response


@login_required
@require_POST
def complete_referral(request: HttpRequest, referral_id) -> HttpResponse:
    user = request.user
    referral, case = _referral(user, referral_id)
    response = _run(request, case, lambda: workflow.complete_referral(
        user, referral, request=request),
        _("Service marqué comme réalisé pour le dossier %(id)s.") % {"id": case.short_id},
        FormError("referral", "", target=referral.pk))
    return _home_if_gone(user, case, response)


@login_required
@require_POST
def revoke_referral(request: HttpRequest, referral_id) -> HttpResponse:
    user = request.user
    referral, case = _referral(user, referral_id)
    response = _run(request, case, lambda: workflow.revoke_referral(
        user, referral, request=request), _("Orientation annulée."),
        FormError("referral", "", target=referral.pk))
    return _home_if_gone(user, case, response)


@login_required
@require_POST
def reopen(request: HttpRequest, pk) -> HttpResponse:
    user = request.user
    case = access_record(user, Case, pk, "reopen")
    return _run(request, case, lambda: workflow.reopen_case(
        user, case, reason=_comment(request, "reason"), request=request), _("Dossier rouvert."),
        FormError("reopen", "", "ro-reason"))


@login_required
@require_POST
def mark_notifications_read(request: HttpRequest) -> HttpResponse:
    ids = [i for i in request.POST.getlist("ids") if is_uuid(i)]
    if ids:
        workflow.mark_read(request.user, ids)
    return redirect("home")
