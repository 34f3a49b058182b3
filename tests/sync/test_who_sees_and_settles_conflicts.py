"""Who sees a synchronisation conflict and who may settle it (sync.conflicts): the record's
scope and the field's section decide what is shown; the resolve right and the right to
write that field decide who settles; configuration conflicts are for administrators."""

from __future__ import annotations

import pytest
from django.http import Http404

from yiri.accounts.models import UserGroup
from yiri.sync.conflicts import conflict_for, visible_conflicts

from ..conftest import make_case, referred_case
from .clashes import clash, row_clash


def _seen(user):
    return {v.id: v for v in visible_conflicts(user)}


def test_the_case_worker_sees_the_clash_on_their_case_but_the_supervisor_settles_it(cast):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "risk_level", "high", "low", author=cast.colleague)
    mine = _seen(cast.worker)[conflict.pk]
    assert mine.label == "Niveau de risque"
    assert (mine.kept.value, mine.other.value) == ("low", "high")
    assert mine.kept.author == "Colleague" and mine.other.author == "Worker"
    assert mine.other.node == "ce nœud" and mine.kept.node == "noeud-bobo"
    assert mine.kept.at is not None and mine.kept.at >= mine.other.at
    assert not mine.can_resolve and "superviseur" in mine.why_not
    assert _seen(cast.manager)[conflict.pk].can_resolve
    assert _seen(cast.admin)[conflict.pk].can_resolve


def test_an_outsider_sees_nothing_and_cannot_fetch_the_conflict(cast):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "risk_level", "high", "low")
    assert visible_conflicts(cast.outsider) == []
    assert visible_conflicts(cast.partner) == []
    with pytest.raises(Http404):
        conflict_for(cast.outsider, conflict.pk)


def test_a_relay_data_manager_sees_the_cells_conflicts_read_only_as_their_role_writes_nothing(cast):
    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "risk_level", "high", "low")
    seen = _seen(cast.relay)[conflict.pk]
    assert not seen.can_resolve and seen.why_not
    coordinator = _seen(cast.coordinator)[conflict.pk]
    assert not coordinator.can_resolve


def test_a_referral_recipient_sees_only_the_fields_of_sections_they_may_read(cast):
    case, _referral, row = referred_case(cast, sections=["protection_concerns"])
    hidden = clash(cast.worker, case, "trafficking_scope", "internal", "cross_border")
    case.refresh_from_db()
    shown = clash(cast.worker, case, "risk_level", "high", "low")
    seen = _seen(cast.provider)
    assert shown.pk in seen and hidden.pk not in seen
    assert not seen[shown.pk].can_resolve
    assert hidden.pk in _seen(cast.manager)


def test_a_closed_case_must_be_reopened_before_its_conflicts_are_settled(cast):
    from yiri.audit.models import AuditAction
    from yiri.cases.services import set_record_meta

    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "risk_level", "high", "low")
    set_record_meta(cast.manager, case, "close", AuditAction.WORKFLOW, status="closed")
    seen = _seen(cast.manager)[conflict.pk]
    assert not seen.can_resolve and "rouvrez" in seen.why_not


def test_a_user_account_conflict_is_shown_only_to_administrators(cast):
    team = UserGroup.objects.get(name="Équipe A")
    conflict = row_clash(cast.admin, team, "name", "Équipe A1", "Équipe Alpha")
    assert _seen(cast.admin)[conflict.pk].can_resolve
    assert _seen(cast.admin)[conflict.pk].label == "Groupe d'utilisateurs › nom"
    for who in (cast.manager, cast.worker, cast.relay, cast.coordinator, cast.outsider):
        assert conflict.pk not in _seen(who)


def test_one_records_conflicts_are_listed_for_its_page(cast):
    case, other = make_case(cast.worker), make_case(cast.worker, name_first="Mariam")
    mine = clash(cast.worker, case, "risk_level", "high", "low")
    clash(cast.worker, other, "risk_level", "high", "low")
    assert [v.id for v in visible_conflicts(cast.worker, record=case)] == [mine.pk]


def test_a_value_written_again_since_the_clash_is_shown_with_who_wrote_it(cast):
    from yiri.cases.models import Case
    from yiri.cases.services import update_record

    case = make_case(cast.worker)
    conflict = clash(cast.worker, case, "risk_level", "high", "low", author=cast.colleague)
    update_record(cast.admin, Case.objects.get(pk=case.pk), {"risk_level": "medium"})
    seen = _seen(cast.manager)[conflict.pk]
    assert seen.kept.value == "medium" and seen.kept.author == "Admin"
    assert seen.kept.node == "ce nœud" and seen.other.value == "high"
