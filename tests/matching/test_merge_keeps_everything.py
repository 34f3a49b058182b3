""""Même enfant": two records of one child become one without losing anything — every
answer (a differing one kept beside the survivor's), history entry, service, note, flag,
file and referral — and "annuler la fusion" gives both back."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from yiri.attachments.models import Attachment
from yiri.attachments.services import read_content
from yiri.audit.models import AuditAction, AuditEvent
from yiri.cases.models import Case, CaseStatus, Flag, Note
from yiri.formconfig.schema import get_schema
from yiri.matching.merge import MergeRefused, alternates_for, merge_records, undo_merge
from yiri.sync.models import Operation
from yiri.workflow.history import record_history, record_operations
from yiri.workflow.models import Referral

from .data import answers, child_twice


def _flat(value):
    return value if not isinstance(value, list) else sorted(map(str, value))


def test_a_merge_keeps_every_answer_of_both_records(cast):
    first, second, _referral = child_twice(cast)
    before_first, before_second = answers(first), answers(second)
    merge = merge_records(cast.relay, first, second)
    kept = answers(Case.objects.get(pk=first.pk))
    alternates = merge.details["alternates"]
    for code, value in before_second.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):  # subform rows
            ids = {r["_id"] for r in kept[code]}
            assert {r["_id"] for r in value} <= ids, code
            continue
        if isinstance(value, list):
            assert set(value) <= set(kept[code]), code
            continue
        assert kept.get(code) == value or alternates.get(code) == value, code
    for code, value in before_first.items():  # the survivor keeps its own values
        if not (isinstance(value, list) and value and isinstance(value[0], dict)):
            assert _flat(kept[code]) == _flat(value) or set(value) <= set(kept[code]), code
    assert alternates["name_first"] == "Fatoumata" and kept["name_first"] == "Fatimata"
    assert kept["name_nickname"] == "Fati"
    assert kept["date_of_birth"] == "2013-11-02"
    assert sorted(kept["nationality"]) == ["bf", "ci"]
    assert [r["service_type"] for r in kept["services"]] == ["health", "education", "psychosocial"]
    assert kept["family_details"][0]["relation_name"] == "Salimata Ouédraogo"
    shown = alternates_for(cast.relay, first)
    assert shown[0]["short_id"] == second.short_id
    assert shown[0]["values"]["name_first"] == "Fatoumata"


def test_notes_flags_files_and_referrals_follow_to_the_survivor(cast):
    first, second, referral = child_twice(cast)
    merge_records(cast.relay, first, second)
    assert sorted(n.body for n in Note.objects.of(first)) == ["Parle de sa tante à Bobo",
                                                              "Vue au centre"]
    assert [f.reason for f in Flag.objects.of(first)] == ["Ne pas contacter l'oncle"]
    files = {a.field_code: a for a in Attachment.objects.of(first)}
    assert set(files) == {"photos", "supporting_documents"}
    _att, data = read_content(cast.worker, first, files["supporting_documents"].pk)
    assert data.startswith(b"%PDF")
    moved = Referral.objects.get(case=first, deleted=False)
    assert (moved.to_agency_id, moved.status, moved.reason) == (
        referral.to_agency_id, referral.status, referral.reason)
    # The recipient of the referral keeps reaching the child through the survivor.
    assert Case.objects.visible_to(cast.provider).filter(pk=first.pk).exists()


def test_the_survivor_history_holds_the_merged_record_history(cast):
    first, second, _referral = child_twice(cast)
    merge_records(cast.relay, first, second)
    ops = list(record_operations(first))
    assert {op.entity_id for op in ops if op.entity == "case"} >= {first.pk, second.pk}
    assert any(op.entity == "referral" for op in ops)
    entries = record_history(cast.manager, first, get_schema("case"), ops)
    changed = {c.path for e in entries for c in e.changes}
    assert "name_nickname" in changed  # typed on the merged record only
    assert any(e.event and e.event.code == "referral_sent" for e in entries)


def test_the_merged_record_is_tombstoned_with_a_link_and_the_merge_is_audited(cast):
    first, second, _referral = child_twice(cast)
    merge = merge_records(cast.relay, first, second)
    gone = Case._base_manager.get(pk=second.pk)
    assert gone.deleted and gone.status == CaseStatus.DUPLICATE
    last = Operation.objects.filter(entity_id=second.pk).order_by("-seq").first()
    assert last.meta["merged_into"] == str(first.pk)
    assert not Case.objects.visible_to(cast.colleague).filter(pk=second.pk).exists()
    assert AuditEvent.objects.filter(action=AuditAction.MERGE, record_id=first.pk,
                                     details__merge=str(merge.pk)).exists()


def test_undoing_the_merge_gives_both_records_back(cast):
    first, second, _referral = child_twice(cast)
    before_first, before_second = answers(first), answers(second)
    merge = merge_records(cast.relay, first, second)
    undo_merge(cast.relay, merge)
    assert answers(Case.objects.get(pk=first.pk)) == before_first
    back = Case.objects.get(pk=second.pk)
    assert not back.deleted and back.status == CaseStatus.OPEN
    assert answers(back) == before_second
    assert [n.body for n in Note.objects.of(first)] == ["Vue au centre"]
    assert not Flag.objects.of(first).exists()
    assert [a.field_code for a in Attachment.objects.of(first)] == ["photos"]
    assert not Referral.objects.filter(case=first, deleted=False).exists()
    assert Referral.objects.filter(case=second, deleted=False).count() == 1
    assert Case.objects.visible_to(cast.colleague).filter(pk=second.pk).exists()
    with pytest.raises(MergeRefused):
        undo_merge(cast.relay, merge)


def test_a_value_changed_after_the_merge_survives_its_undo(cast):
    from yiri.cases.services import update_record

    first, second, _referral = child_twice(cast)
    merge = merge_records(cast.relay, first, second)
    update_record(cast.worker, Case.objects.get(pk=first.pk), {"name_nickname": "Fatim"})
    undo_merge(cast.relay, merge)
    assert answers(Case.objects.get(pk=first.pk))["name_nickname"] == "Fatim"


def test_only_a_reviewer_holding_both_records_may_merge(cast):
    first, second, _referral = child_twice(cast)
    for user in (cast.worker, cast.manager, cast.provider, cast.outsider):
        with pytest.raises(PermissionDenied):
            merge_records(user, first, second)
    assert not Case._base_manager.get(pk=second.pk).deleted
