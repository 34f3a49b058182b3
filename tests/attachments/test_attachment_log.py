"""Attaching and removing a file leave a change-log operation (for synchronisation) and an
audit row — with ids only: the uploaded file name can name the child, so it is sealed."""

from __future__ import annotations

import json

from yiri.attachments.models import Attachment
from yiri.attachments.services import add_attachment, read_content, remove_attachment
from yiri.audit.models import AuditAction, AuditEvent
from yiri.cases import identity
from yiri.sync.models import Operation

from ..conftest import make_case
from .files import photo

NAME = "Awa_Ouedraogo_Kaya.jpg"


def test_attaching_writes_one_operation_with_the_file_name_sealed(cast):
    case = make_case(cast.worker)
    att = add_attachment(cast.worker, case, "photos", photo(NAME))
    op = Operation.objects.get(entity="attachment", entity_id=att.pk)
    assert op.kind == "create" and op.author_id == cast.worker.pk
    assert op.changes["sha256"][0] == att.sha256 and op.changes["record_id"][0] == str(case.pk)
    assert "Awa" not in json.dumps(op.changes)
    assert identity.changes_of(op)["name_blob"][0]
    assert Attachment.objects.get(pk=att.pk).name == NAME


def test_attaching_removing_and_downloading_are_audited_with_ids_only(cast):
    case = make_case(cast.worker)
    att = add_attachment(cast.worker, case, "photos", photo(NAME))
    read_content(cast.worker, case, att.pk)
    read_content(cast.worker, case, att.pk, thumbnail=True)  # shown with the audited page
    remove_attachment(cast.worker, case, att.pk)
    events = list(AuditEvent.objects.filter(record_id=case.pk, details__attachment_id=str(att.pk))
                  .order_by("at", "pk").values_list("action", "details"))
    assert [(a, d.get("attachment") or d.get("part")) for a, d in events] == [
        (AuditAction.UPDATE, "added"), (AuditAction.VIEW, "attachment"),
        (AuditAction.UPDATE, "removed")]
    assert "Awa" not in json.dumps([d for _a, d in events])


def test_removing_keeps_the_row_with_who_removed_it_and_logs_the_change(cast):
    case = make_case(cast.worker)
    att = add_attachment(cast.worker, case, "photos", photo(NAME))
    remove_attachment(cast.manager, case, att.pk)
    att.refresh_from_db()
    assert att.removed and att.removed_by == cast.manager and att.removed_at
    op = Operation.objects.filter(entity="attachment", entity_id=att.pk).latest("hlc")
    assert op.kind == "update" and op.changes["removed"][:2] == [True, False]
