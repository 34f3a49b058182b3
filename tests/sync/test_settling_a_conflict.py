"""Settling a conflict (sync.conflicts.resolve): keep the value every node holds, the other
one, or a new one checked like a form; the decision is an ordinary operation carrying
``meta["resolves"]``, audited without the values; a stale, invalid or forbidden decision
writes nothing."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from yiri.accounts.models import UserGroup
from yiri.audit.models import AuditAction, AuditEvent
from yiri.cases.identity import read_answers
from yiri.cases.models import Case
from yiri.cases.services import set_record_meta
from yiri.formconfig.schema import get_schema
from yiri.sync.conflicts import ResolutionRefused, conflict_for, resolve
from yiri.sync.models import Conflict, Operation

from ..conftest import make_case
from .clashes import clash, row_clash


def _answers(case):
    return read_answers(Case.objects.get(pk=case.pk), get_schema("case"))


def _stamp(user, conflict):
    return conflict_for(user, conflict.pk).stamp


def test_keeping_the_value_every_node_holds_writes_an_operation_that_only_settles(cast):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "risk_level", "high", "low")
    op = resolve(cast.manager, conflict, keep="winner", seen_stamp=_stamp(cast.manager, conflict))
    assert op.changes == {} and op.sealed_changes == ""
    assert op.meta["resolves"] == [["risk_level", conflict.loser_stamp]]
    assert op.author_id == cast.manager.pk and op.entity_id == case.pk
    conflict.refresh_from_db()
    assert conflict.resolved and conflict.resolved_by_id == cast.manager.pk
    assert conflict.resolved_stamp == op.hlc
    assert _answers(case)["risk_level"] == "low"


def test_keeping_the_other_value_writes_it_back(cast):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "risk_level", "high", "low")
    op = resolve(cast.manager, conflict, keep="loser")
    assert op.changes["risk_level"][0] == "high"
    assert _answers(case)["risk_level"] == "high"
    assert Case.objects.get(pk=case.pk).risk_level == "high"
    assert Conflict.objects.get(pk=conflict.pk).resolved


def test_a_new_value_is_written_once_checked_like_the_form(cast):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "age", 13, 11, remote_wins=False)
    resolve(cast.manager, conflict, keep="new", value="14")
    assert _answers(case)["age"] == 14


def test_an_invalid_new_value_is_refused_in_french_and_nothing_is_written(cast):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "age", 13, 11)
    ops = Operation.objects.count()
    with pytest.raises(ResolutionRefused) as refused:
        resolve(cast.manager, conflict, keep="new", value="quatorze")
    assert "rien n'a été enregistré" in refused.value.message
    assert any("nombre" in e for e in refused.value.errors)
    assert Operation.objects.count() == ops
    assert not Conflict.objects.get(pk=conflict.pk).resolved
    assert not AuditEvent.objects.filter(action=AuditAction.CONFLICT_RESOLVED).exists()


def test_a_decision_taken_on_a_page_out_of_date_is_refused(cast):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "risk_level", "high", "low")
    seen = _stamp(cast.manager, conflict)
    from yiri.cases.services import update_record

    update_record(cast.admin, Case.objects.get(pk=case.pk), {"risk_level": "medium"})
    ops = Operation.objects.count()
    for stamp in (seen, "123", "pas-une-marque"):
        with pytest.raises(ResolutionRefused) as refused:
            resolve(cast.manager, conflict, keep="loser", seen_stamp=stamp)
        assert "modifiée depuis l'affichage" in refused.value.message
    assert Operation.objects.count() == ops
    assert _answers(case)["risk_level"] == "medium"


def test_a_conflict_settled_already_is_not_settled_twice(cast):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "risk_level", "high", "low")
    resolve(cast.manager, conflict, keep="winner")
    ops = Operation.objects.count()
    with pytest.raises(ResolutionRefused) as refused:
        resolve(cast.admin, conflict, keep="loser")
    assert "déjà été résolu" in refused.value.message
    assert Operation.objects.count() == ops


def test_someone_without_the_resolve_right_is_refused(cast):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "risk_level", "high", "low")
    with pytest.raises(PermissionDenied):
        resolve(cast.worker, conflict, keep="loser")
    with pytest.raises(PermissionDenied):
        resolve(cast.relay, conflict, keep="loser")
    assert not Conflict.objects.get(pk=conflict.pk).resolved


def test_an_unknown_choice_is_refused(cast):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "risk_level", "high", "low")
    with pytest.raises(ResolutionRefused):
        resolve(cast.manager, conflict, keep="both")


def test_a_metadata_conflict_keeps_one_of_the_two_values_only(cast):
    case = make_case(cast.worker)

    def reassign():
        set_record_meta(cast.manager, case, "assign", AuditAction.UPDATE, owner_id=cast.colleague.pk)

    conflict = clash(cast.manager, case, "@owner", None, str(cast.manager.pk), write=reassign)
    view = conflict_for(cast.manager, conflict.pk)
    assert view.kind == "meta" and view.label == "Responsable" and not view.can_type
    with pytest.raises(ResolutionRefused):
        resolve(cast.manager, conflict, keep="new", value=str(cast.worker.pk))
    op = resolve(cast.manager, conflict, keep="loser")
    assert op.meta["resolves"] == [["@owner", conflict.loser_stamp]]
    assert Case.objects.get(pk=case.pk).owner_id == cast.colleague.pk


def test_a_subform_row_field_conflict_is_settled_in_its_row(cast):
    case = make_case(cast.worker, services=[{"service_type": "health"}])
    row = _answers(case)["services"][0]["_id"]
    path = f"services/{row}/service_type"
    conflict = clash(cast.worker, case, path, "legal", "psychosocial",
                     answers={"services": [{"_id": row, "service_type": "legal"}]})
    view = conflict_for(cast.manager, conflict.pk)
    assert view.label == "Services › Type de service"
    resolve(cast.manager, conflict, keep="new", value="education", seen_stamp=view.stamp)
    assert _answers(case)["services"][0]["service_type"] == "education"


def test_a_configuration_conflict_is_settled_by_saving_the_row(cast):
    team = UserGroup.objects.get(name="Équipe A")
    conflict = row_clash(cast.admin, team, "name", "Équipe A1", "Équipe Alpha")
    with pytest.raises(Http404):  # a supervisor does not even see it
        resolve(cast.manager, conflict, keep="loser")
    op = resolve(cast.admin, conflict, keep="loser")
    assert op.entity == "usergroup" and op.meta["resolves"] == [["name", conflict.loser_stamp]]
    assert UserGroup.objects.get(pk=team.pk).name == "Équipe A1"
    assert Conflict.objects.get(pk=conflict.pk).resolved


def test_the_decision_is_audited_with_ids_and_codes_never_the_values(cast):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "name_first", "Aminata", "Mariam", sealed=True)
    assert conflict_for(cast.manager, conflict.pk).other.value == "Aminata"
    op = resolve(cast.manager, conflict, keep="new", value="Salimata")
    event = AuditEvent.objects.get(action=AuditAction.CONFLICT_RESOLVED)
    assert event.user_id == cast.manager.pk and event.record_id == case.pk
    assert event.details["path"] == "name_first" and event.details["kept"] == "new"
    every_row = json.dumps(list(AuditEvent.objects.values("details")))
    for name in ("Aminata", "Mariam", "Salimata"):
        assert name not in every_row
        assert name not in json.dumps(op.changes) and name not in json.dumps(op.meta)
    assert _answers(case)["name_first"] == "Salimata"
