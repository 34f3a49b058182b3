"""Every workflow step leaves entries in the change log, so it travels to other nodes."""

from __future__ import annotations

from yiri.cases import identity
from yiri.cases.services import update_record
from yiri.sync.models import Operation, OpKind
from yiri.workflow.services import (
    complete_referral,
    decide_approval,
    mark_read,
    refer,
    reopen_case,
    request_approval,
    respond_referral,
    respond_transfer,
    revoke_referral,
    transfer,
    unread_notifications,
)

from .conftest import add_service


class NewOps:
    """The operations written inside the ``with`` block, by entity."""

    def __enter__(self):
        self.start = Operation.objects.order_by("-counter").values_list("counter", flat=True).first() or 0
        return self

    def __exit__(self, *exc):
        self.ops = list(Operation.objects.filter(counter__gt=self.start).order_by("counter"))

    def entities(self) -> set[str]:
        return {op.entity for op in self.ops}

    def of(self, entity: str, entity_id=None) -> list[Operation]:
        return [op for op in self.ops if op.entity == entity and (entity_id is None or op.entity_id == entity_id)]


def test_an_approval_request_logs_the_approval_the_stage_and_the_notification(cast, case):
    with NewOps() as log:
        approval = request_approval(cast.worker, case, "assessment", comment="Merci de relire")
    (op,) = log.of("approval", approval.pk)
    assert op.kind == OpKind.CREATE and op.author_id == cast.worker.pk
    assert op.changes["kind"][:2] == ["assessment", None]
    assert op.changes["status"][:2] == ["pending", None]
    (stage,) = log.of("case", case.pk)
    assert stage.changes["@workflow_stage"][:2] == ["assessment", "new"]
    assert log.of("notification")


def test_free_text_is_sealed_not_logged_in_clear(cast, case):
    with NewOps() as log:
        approval = request_approval(cast.worker, case, "assessment", comment="Voir avec la tante Mariam")
    (op,) = log.of("approval", approval.pk)
    assert "comment" not in op.changes and "Mariam" not in str(op.changes)
    assert "Mariam" not in op.sealed_changes  # encrypted at rest
    assert "Mariam" in identity.changes_of(op)["comment"][0]


def test_a_decision_logs_the_change_and_the_stamp_it_replaced(cast, case):
    approval = request_approval(cast.worker, case, "assessment")
    created = Operation.objects.get(entity="approval", entity_id=approval.pk)
    with NewOps() as log:
        decide_approval(cast.manager, approval, approve=True)
    (op,) = log.of("approval", approval.pk)
    assert op.kind == OpKind.UPDATE
    assert op.changes["status"] == ["approved", "pending", created.hlc]
    assert op.changes["decided_by"][:2] == [str(cast.manager.pk), None]


def test_closing_logs_the_closure_answers_and_the_status(cast, case):
    approval = request_approval(cast.worker, case, "closure", closure_reason="formal_closing")
    with NewOps() as log:
        decide_approval(cast.manager, approval, approve=True)
    paths = {p for op in log.of("case", case.pk) for p in op.changes}
    assert {"closure_reason", "closure_date", "@status", "@workflow_stage"} <= paths


def test_referral_steps_log_the_referral_and_the_share(cast, case):
    case, row = add_service(cast.worker, case)
    with NewOps() as log:
        referral = refer(cast.worker, case, to_agency=cast.bta, service_row_id=row)
    assert log.entities() >= {"referral", "record_share", "notification"}
    (share_op,) = log.of("record_share", referral.share_id)
    assert share_op.changes["agency"][0] == str(cast.bta.pk) and share_op.changes["active"][0] is True
    with NewOps() as log:
        respond_referral(cast.provider, referral, accept=True)
    assert log.of("referral", referral.pk)[0].changes["status"][:2] == ["accepted", "in_progress"]
    with NewOps() as log:
        complete_referral(cast.provider, referral)
    assert any(f"services/{row}/implemented" in op.changes for op in log.of("case", case.pk))
    assert log.of("record_share", referral.share_id)[0].changes["active"][:2] == [False, True]
    assert log.of("referral", referral.pk)[0].changes["status"][0] == "done"


def test_revoking_logs_the_referral_and_the_share(cast, case):
    referral = refer(cast.worker, case, to_agency=cast.bta)
    with NewOps() as log:
        revoke_referral(cast.worker, referral)
    assert log.of("referral", referral.pk) and log.of("record_share", referral.share_id)


def test_an_accepted_transfer_logs_the_new_owner_and_agency(cast, case):
    referral = transfer(cast.worker, case, to_agency=cast.tgo, to_user=cast.outsider)
    with NewOps() as log:
        respond_transfer(cast.outsider, referral, accept=True)
    (op,) = log.of("case", case.pk)
    assert op.changes["@owner"][:2] == [str(cast.outsider.pk), str(cast.worker.pk)]
    assert op.changes["@owning_agency"][:2] == [str(cast.tgo.pk), str(cast.ace.pk)]


def test_reopening_logs_the_status(cast, case):
    approval = request_approval(cast.worker, case, "closure", closure_reason="formal_closing")
    decide_approval(cast.manager, approval, approve=True)
    with NewOps() as log:
        reopen_case(cast.manager, case, reason="Nouvelle situation")
    (op,) = log.of("case", case.pk)
    assert op.changes["@status"][:2] == ["open", "closed"]


def test_reading_a_notification_is_logged(cast, case):
    request_approval(cast.worker, case, "assessment")
    (n,) = unread_notifications(cast.manager)
    with NewOps() as log:
        mark_read(cast.manager, [n.pk])
    (op,) = log.of("notification", n.pk)
    assert op.changes["read_at"][1] is None


def test_counters_stay_gapless_through_the_workflow(cast, case):
    update_record(cast.worker, case, {"case_plan_date": "2026-02-01"})
    request_approval(cast.worker, case, "case_plan")
    refer(cast.worker, case, to_agency=cast.bta)
    counters = list(Operation.objects.order_by("counter").values_list("counter", flat=True))
    assert counters == list(range(counters[0], counters[0] + len(counters)))
