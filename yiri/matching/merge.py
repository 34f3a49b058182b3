"""Merging two records of one child, and undoing it.

``merge_records(user, survivor, merged)`` keeps everything of both, through the write
path only (so every step is an operation that syncs, and is audited):

- **answers**: a field the survivor left empty takes the merged record's value; a
  multi-select takes the union; a field where both differ keeps the survivor's value and
  the merged record's is kept in ``Merge.details["alternates"]``, shown on the survivor's
  page ("valeurs de l'autre dossier"); subform rows (services, follow-ups, family,
  interventions…) of the merged record are added to the survivor's, same row ids;
- **notes, flags, files, referrals and their shares, assignments**: copied onto the
  survivor (``cases.notes.copy_to``, ``attachments.services.copy_attachment``, logged
  rows); incidents and tracing requests linked to the merged case are linked to the
  survivor (``set_record_meta``);
- **history**: the merged record's operations stay where they are; the survivor's
  history reads them too (``merged_ids``, used by ``workflow.history.record_operations``);
- the merged record is **tombstoned** (status "doublon", its answers untouched), its
  operation carrying ``merged_into``; a ``Merge`` row names both.

``undo_merge`` restores both: the merged record back alive with its former status, the
survivor's answers back as they were before the merge (a field changed since the merge
keeps its new value), the rows brought over and the copies withdrawn, linked records
linked back.

Every step is an ordinary logged write, so every node that holds the records replays the
same operations and ends in the same state (``tests/matching/test_merge_converges.py``).
"""

from __future__ import annotations

import json
import uuid

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiri.audit.models import AuditAction
from yiri.audit.services import record_event
from yiri.cases import identity
from yiri.cases.access import rights_for
from yiri.cases.models import (
    Case,
    CaseStatus,
    Flag,
    Incident,
    Note,
    Record,
    RecordShare,
    TracingRequest,
)
from yiri.cases.services import rewrite_answers, set_record_meta
from yiri.formconfig.models import FieldType
from yiri.formconfig.schema import get_schema
from yiri.sync.log import save_logged

from .models import Merge

RIGHT = "review_duplicates"


class MergeRefused(Exception):
    """A merge or undo that cannot be made (the message says why, in French)."""


def has_right(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active
                and user.can(RIGHT, "system"))


def may_merge(user, record: Record) -> bool:
    """The right, and the record in the user's own scope (not through a referral)."""
    return has_right(user) and rights_for(user, record).full


def _empty(value) -> bool:
    return value in (None, "", [], {})


def merged_ids(record: Record) -> list[uuid.UUID]:
    """The records merged into ``record`` (and not unmerged): their history is its own."""
    return list(Merge.objects.filter(record_id=record.pk, undone=False, deleted=False)
                .values_list("merged_id", flat=True))


def combine(schema, survivor: dict, other: dict) -> tuple[dict, dict, dict, dict]:
    """``(new answers, before, alternates, rows)``: the survivor's answers with the
    other's added (see the module docstring), the survivor's values the merge changed,
    the other's values the survivor kept its own over, and the row ids added per subform.
    Nothing of ``other`` is dropped: each of its answers ends up in the new answers or in
    the alternates."""
    new = {k: (list(v) if isinstance(v, list) else v) for k, v in survivor.items()}
    before: dict = {}
    alternates: dict = {}
    rows: dict[str, list[str]] = {}
    for code, value in other.items():
        f = schema.fields.get(code)
        if f is None or _empty(value) or f.type == FieldType.ATTACHMENT:
            if f is None and not _empty(value):
                alternates[code] = value  # a field no longer in the form: kept aside
            continue
        mine = survivor.get(code)
        if f.type == FieldType.SUBFORM:
            have = {r.get("_id") for r in mine or []}
            added = [dict(r) for r in value if r.get("_id") not in have]
            if added:
                before[code] = mine
                new[code] = [dict(r) for r in mine or []] + added
                rows[code] = [r["_id"] for r in added]
            continue
        if _empty(mine):
            before[code] = mine
            new[code] = value
        elif f.type == FieldType.MULTISELECT and isinstance(mine, list) and isinstance(value, list):
            union = list(mine) + [v for v in value if v not in mine]
            if union != list(mine):
                before[code] = mine
                new[code] = union
        elif mine != value:
            alternates[code] = value
    return new, before, alternates, rows


@transaction.atomic
def merge_records(user, survivor: Record, merged: Record, *, candidate=None,
                  request=None) -> Merge:
    """Merge ``merged`` into ``survivor`` (both fetched through ``access_record``)."""
    if not (may_merge(user, survivor) and may_merge(user, merged)):
        raise PermissionDenied(_("Votre rôle ne permet pas de fusionner ces dossiers."))
    if survivor.pk == merged.pk or survivor.RECORD_TYPE != merged.RECORD_TYPE:
        raise MergeRefused(_("Seuls deux dossiers différents du même type peuvent être fusionnés."))
    survivor = type(survivor).objects.select_for_update().get(pk=survivor.pk)
    merged = type(merged).objects.select_for_update().get(pk=merged.pk)
    if survivor.deleted or merged.deleted:
        raise MergeRefused(_("L'un des deux dossiers a déjà été fusionné ou supprimé."))
    if survivor.erased or merged.erased:
        raise MergeRefused(_("Un dossier effacé ne peut pas être fusionné."))
    rt = survivor.RECORD_TYPE
    schema = get_schema(rt)
    mine = identity.read_answers(survivor, schema)
    theirs = identity.read_answers(merged, schema)
    new, before, alternates, rows = combine(schema, mine, theirs)
    merge = Merge(id=uuid.uuid4(), record_type=rt, record_id=survivor.pk, merged_id=merged.pk,
                  merged_short_id=merged.short_id, merged_status=merged.status,
                  candidate_id=getattr(candidate, "pk", None), merged_by=user,
                  merged_at=timezone.now())
    meta = {"merge": str(merge.pk), "merged_from": str(merged.pk)}
    if before:
        rewrite_answers(user, survivor, new, "merge", AuditAction.MERGE, request,
                        extra_meta=meta)
    copies: dict[str, list] = {"notes": [], "flags": [], "attachments": [], "referrals": [],
                               "shares": [], "linked": []}
    for model, key in ((Note, "notes"), (Flag, "flags")):
        for row in model.objects.of(merged).order_by("pk"):
            from yiri.cases.notes import copy_to

            copies[key].append(str(copy_to(user, row, survivor).pk))
    from yiri.attachments.models import Attachment
    from yiri.attachments.services import copy_attachment

    for att in Attachment.objects.filter(record_id=merged.pk, deleted=False).order_by("uploaded_at", "pk"):
        copied = copy_attachment(user, att, survivor)
        if copied is not None:
            copies["attachments"].append(str(copied.pk))
    share_map = _copy_shares(user, merged, survivor, copies)
    if isinstance(merged, Case):
        _copy_referrals(user, merged, survivor, share_map, copies)
        for model in (Incident, TracingRequest):
            for linked in model.objects.filter(case_id=merged.pk, deleted=False):
                set_record_meta(user, linked, "merge_link", AuditAction.MERGE, request,
                                case_id=survivor.pk)
                copies["linked"].append([linked.RECORD_TYPE, str(linked.pk)])
    merge.copies = copies
    merge.details_blob = json.dumps({"before": before, "alternates": alternates, "rows": rows,
                                     "written": {c: new[c] for c in before}},
                                    ensure_ascii=False, default=str)
    save_logged(user, merge, created=True)
    set_record_meta(user, merged, "merge", AuditAction.MERGE, request,
                    extra_meta={"merged_into": str(survivor.pk), "merge": str(merge.pk)},
                    deleted=True, deleted_at=timezone.now(), status=CaseStatus.DUPLICATE)
    record_event(AuditAction.MERGE, user=user, request=request, record_type=rt,
                 record_id=survivor.pk, merged=str(merged.pk), merge=str(merge.pk),
                 fields=sorted(before), alternates=sorted(alternates),
                 **{k: len(v) for k, v in copies.items()})
    return merge


def _copy_shares(user, merged: Record, survivor: Record, copies: dict) -> dict:
    """Active shares of the merged record (assignments, referrals, pending transfers)
    copied onto the survivor: whoever worked on the child keeps access."""
    out = {}
    keep = ("kind", "user_id", "agency_id", "active", "created_by_id", "sections_read",
            "sections_write", "actions", "rows_write", "rows_add")
    for share in RecordShare.objects.filter(record_id=merged.pk, deleted=False, active=True):
        copy = RecordShare(id=uuid.uuid4(), record_type=survivor.RECORD_TYPE,
                           record_id=survivor.pk, **{k: getattr(share, k) for k in keep})
        save_logged(user, copy, created=True)
        out[share.pk] = copy.pk
        copies["shares"].append(str(copy.pk))
    return out


def _copy_referrals(user, merged: Case, survivor: Case, share_map: dict, copies: dict) -> None:
    from yiri.workflow.models import Referral

    keep = ("kind", "status", "from_user_id", "from_agency_id", "to_user_id", "to_agency_id",
            "service_row_id", "consent_override", "sections", "reason", "response_comment",
            "created_at", "responded_by_id", "responded_at")
    for ref in Referral.objects.filter(case_id=merged.pk, deleted=False).order_by("created_at"):
        copy = Referral(id=uuid.uuid4(), case_id=survivor.pk,
                        share_id=share_map.get(ref.share_id), **{k: getattr(ref, k) for k in keep})
        save_logged(user, copy, created=True)
        copies["referrals"].append(str(copy.pk))


# --------------------------------------------------------------------------- undo


@transaction.atomic
def undo_merge(user, merge: Merge, *, request=None) -> Merge:
    """"Annuler la fusion": both records as they were (see the module docstring)."""
    from yiri.cases.models import RECORD_MODELS

    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone or merge.deleted:
        raise MergeRefused(_("Cette fusion a déjà été annulée."))
    model = RECORD_MODELS[merge.record_type]
    survivor = model._base_manager.filter(pk=merge.record_id).first()
    merged = model._base_manager.filter(pk=merge.merged_id).first()
    if survivor is None or merged is None:
        raise MergeRefused(_("Les deux dossiers ne sont pas sur ce nœud."))
    if not may_merge(user, survivor):
        raise PermissionDenied(_("Votre rôle ne permet pas d'annuler cette fusion."))
    if survivor.deleted:
        raise MergeRefused(_("Le dossier conservé a été fusionné ou supprimé depuis : "
                             "annulez d'abord cette autre opération."))
    schema = get_schema(merge.record_type)
    details = merge.details
    current = identity.read_answers(survivor, schema)
    restored = {k: (list(v) if isinstance(v, list) else v) for k, v in current.items()}
    written = details.get("written") or {}
    for code, old in (details.get("before") or {}).items():
        f = schema.fields.get(code)
        if f is not None and f.type == FieldType.SUBFORM:
            added = set((details.get("rows") or {}).get(code) or [])
            rows = [r for r in restored.get(code) or [] if r.get("_id") not in added]
            restored[code] = rows or None
        elif current.get(code) == written.get(code):
            restored[code] = old  # (a value changed since the merge stays)
    restored = {k: v for k, v in restored.items() if not _empty(v)}
    rewrite_answers(user, survivor, restored, "merge_undo", AuditAction.MERGE_UNDONE, request,
                    extra_meta={"merge": str(merge.pk), "undo": True})
    copies = merge.copies or {}
    for model_, key in ((Note, "notes"), (Flag, "flags")):
        for row in model_.objects.filter(pk__in=copies.get(key) or [], deleted=False):
            row.deleted = True
            save_logged(user, row)
    from yiri.attachments.models import Attachment
    from yiri.attachments.services import withdraw_copy

    for att in Attachment.objects.filter(pk__in=copies.get("attachments") or []):
        withdraw_copy(user, att)
    for share in RecordShare.objects.filter(pk__in=copies.get("shares") or [], deleted=False):
        share.active = False
        share.deleted = True
        save_logged(user, share)
    from yiri.workflow.models import Referral

    for ref in Referral.objects.filter(pk__in=copies.get("referrals") or [], deleted=False):
        ref.deleted = True
        save_logged(user, ref)
    for record_type, pk in copies.get("linked") or []:
        linked = RECORD_MODELS[record_type].objects.filter(pk=pk, case_id=survivor.pk).first()
        if linked is not None:
            set_record_meta(user, linked, "merge_undo_link", AuditAction.MERGE_UNDONE, request,
                            case_id=merged.pk)
    set_record_meta(user, merged, "merge_undo", AuditAction.MERGE_UNDONE, request,
                    extra_meta={"merge": str(merge.pk), "undo": True}, deleted=False,
                    deleted_at=None, status=merge.merged_status or CaseStatus.OPEN)
    merge.undone = True
    merge.undone_by = user
    merge.undone_at = timezone.now()
    save_logged(user, merge)
    record_event(AuditAction.MERGE_UNDONE, user=user, request=request,
                 record_type=merge.record_type, record_id=survivor.pk, merged=str(merged.pk),
                 merge=str(merge.pk))
    from .models import MatchCandidate, MatchStatus

    for cand in MatchCandidate.objects.filter(pk=merge.candidate_id, deleted=False):
        cand.status = MatchStatus.OPEN
        cand.decided_by, cand.decided_at = None, None
        save_logged(user, cand)
    return merge


def alternates_for(user, record: Record) -> list[dict]:
    """The values of records merged into ``record`` that differ from its own, for the
    fields ``user`` may read: ``[{"short_id", "merge", "values": {code: value}}]``."""
    from yiri.cases.access import visible_answers

    schema = get_schema(record.RECORD_TYPE)
    out = []
    for merge in Merge.objects.filter(record_id=record.pk, undone=False, deleted=False):
        values = visible_answers(user, schema, merge.details.get("alternates") or {}, record)
        out.append({"short_id": merge.merged_short_id, "merge": merge, "values": values})
    return out
