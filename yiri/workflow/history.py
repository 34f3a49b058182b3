"""A record's history with its workflow: the one reader the web page and the API use.

Field changes come from ``cases.history.readable_history`` (which decides which fields a
user may read). For a case, the change log of its approvals and referrals (entities
``approval`` and ``referral``) and its own status changes become events: approval
requested, approved or refused; referral or transfer sent, accepted, declined, done,
revoked; case closed, reopened.

Who sees what: every user who may open the case sees its events (what happened, when, by
whom, to which organisation), as the case page's workflow panel shows them. The free text
typed with them (request and decision comments, referral reasons and answers) is sealed
in the change log and is unsealed only for a user who may read the section it belongs
with: an approval's comments go with the section approved (as on the case page); a
referral's with the services section when it refers a service, else with the child's
identity (a whole-case referral or a transfer is about the child). Others see the event
without its text.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiri.cases import identity
from yiri.cases.access import readable_sections
from yiri.cases.history import Event, HistoryEntry, operation_time, readable_history
from yiri.cases.models import Case, CaseStatus
from yiri.formconfig.schema import FormSchema
from yiri.network.models import Agency
from yiri.sync.models import Operation, OpKind

from .models import Approval, ApprovalKind, Referral, ReferralKind

WORKFLOW_ENTITIES = ("approval", "referral")
APPROVAL_SECTIONS = {"assessment": "assessment", "case_plan": "case_plan", "closure": "closure"}


def record_operations(record) -> QuerySet[Operation]:
    """The change-log operations a record's history is made of (unordered): its own and,
    for a case, its approvals' and referrals'."""
    from yiri.matching.merge import merged_ids

    # A record merged into this one (``matching.merge``): its history is this one's too.
    ids = [record.pk, *merged_ids(record)]
    own = Q(entity=record.RECORD_TYPE, entity_id__in=ids)
    if not isinstance(record, Case):
        return Operation.objects.filter(own)
    return Operation.objects.filter(
        own
        | Q(entity="approval", entity_id__in=Approval.objects.filter(case_id__in=ids).values("pk"))
        | Q(entity="referral", entity_id__in=Referral.objects.filter(case_id__in=ids).values("pk"))
    )


def record_history(user, record, schema: FormSchema,
                   operations: Iterable[Operation]) -> list[HistoryEntry]:
    """Entries for ``operations`` (from ``record_operations``), in the order given, with
    only what ``user`` may read. The caller has checked that ``user`` may open ``record``."""
    operations = list(operations)
    own = [op for op in operations if op.entity not in WORKFLOW_ENTITIES]
    entries = {e.operation.pk: e for e in readable_history(user, schema, own, record)}
    for entry in entries.values():
        entry.event = _status_event(entry)
    flow = [op for op in operations if op.entity in WORKFLOW_ENTITIES]
    if flow and isinstance(record, Case):
        entries.update(_workflow_entries(user, record, schema, flow, _authors(entries)))
    return [entries[op.pk] for op in operations if op.pk in entries]


def _authors(entries: dict) -> dict:
    return {e.operation.author_id: e.author for e in entries.values() if e.author is not None}


def _status_event(entry: HistoryEntry) -> Event | None:
    for change in entry.changes:
        if change.path != "@status":
            continue
        if change.new == CaseStatus.CLOSED:
            return Event("case_closed", _("Dossier clôturé"))
        if change.new == CaseStatus.OPEN and change.old == CaseStatus.CLOSED:
            return Event("case_reopened", _("Dossier rouvert"))
    return None


_REFERRAL_LABELS = {
    (ReferralKind.REFERRAL, None): ("referral_sent", gettext_lazy("Orientation envoyée à %(agency)s")),
    (ReferralKind.REFERRAL, "accepted"): ("referral_accepted", gettext_lazy("Orientation acceptée par %(agency)s")),
    (ReferralKind.REFERRAL, "declined"): ("referral_declined", gettext_lazy("Orientation refusée par %(agency)s")),
    (ReferralKind.REFERRAL, "done"): ("referral_done", gettext_lazy("Service réalisé par %(agency)s")),
    (ReferralKind.REFERRAL, "revoked"): ("referral_revoked", gettext_lazy("Orientation vers %(agency)s annulée")),
    (ReferralKind.TRANSFER, None): ("transfer_proposed", gettext_lazy("Transfert proposé à %(agency)s")),
    (ReferralKind.TRANSFER, "accepted"): ("transfer_accepted", gettext_lazy("Transfert accepté par %(agency)s")),
    (ReferralKind.TRANSFER, "declined"): ("transfer_declined", gettext_lazy("Transfert refusé par %(agency)s")),
    (ReferralKind.TRANSFER, "revoked"): ("transfer_revoked", gettext_lazy("Transfert vers %(agency)s annulé")),
}
_APPROVAL_LABELS = {
    None: ("approval_requested", gettext_lazy("Approbation demandée : %(what)s")),
    "approved": ("approval_approved", gettext_lazy("Approbation accordée : %(what)s")),
    "rejected": ("approval_rejected", gettext_lazy("Approbation refusée : %(what)s")),
}


def _workflow_entries(user, case: Case, schema: FormSchema, operations: list[Operation],
                      authors: dict) -> dict:
    """One entry per workflow operation that tells a step (others, such as the approver
    being set, are left out)."""
    ids = {op.record_id for op in operations if op.record_id} | {case.pk}
    approvals = {a.pk: a for a in Approval.objects.filter(case_id__in=ids)}
    referrals = {r.pk: r for r in Referral.objects.filter(case_id__in=ids)}
    agencies = {a.pk: str(a) for a in Agency.objects.filter(
        pk__in={r.to_agency_id for r in referrals.values()})}
    readable = set(readable_sections(user, schema, case))
    missing = {op.author_id for op in operations if op.author_id and op.author_id not in authors}
    if missing:
        from django.contrib.auth import get_user_model

        authors = {**authors, **{u.pk: u for u in get_user_model().objects.filter(pk__in=missing)}}
    out = {}
    for op in operations:
        status = None if op.kind == OpKind.CREATE else (op.changes.get("status") or [None])[0]
        if op.kind != OpKind.CREATE and status is None:
            continue
        if op.entity == "approval" and op.entity_id in approvals:
            approval = approvals[op.entity_id]
            found = _APPROVAL_LABELS.get(status)
            if found is None:
                continue
            code, template = found
            label = str(template) % {"what": ApprovalKind(approval.kind).label}
            section = APPROVAL_SECTIONS.get(approval.kind)
            text_field = "comment" if status is None else "decision_comment"
        elif op.entity == "referral" and op.entity_id in referrals:
            referral = referrals[op.entity_id]
            found = _REFERRAL_LABELS.get((referral.kind, status))
            if found is None:
                continue
            code, template = found
            label = str(template) % {"agency": agencies.get(referral.to_agency_id, "—")}
            section = "services_section" if referral.service_row_id else "basic_identity"
            text_field = "reason" if status is None else "response_comment"
        else:
            continue
        comment = None
        if section in readable and op.sealed_changes:
            typed = identity.changes_of(op).get(text_field)
            comment = (typed or [None])[0] or None
        out[op.pk] = HistoryEntry(op, operation_time(op), authors.get(op.author_id), [],
                                  Event(code, label, comment))
    return out
